//! A server's Read through the client, now served by the store's lent read: the handlers' read
//! hooks still run before the values are taken, a hook's error is still the answer's code, and
//! the payload is what the owned records encode to.

// A failed unwrap is a failed test here.
#![allow(clippy::unwrap_used)]

use lwm2m::Instant;

use crate::support::*;
use coap_lite::{MessageClass, RequestType, ResponseType};
use lwm2m::client::{Client, LwM2mVersion};
use lwm2m::codec::{self, ContentFormat, Record};
use lwm2m::{Error, Handler, Instances, Object, Path, Value};

/// A sensor whose value the read hook refreshes, with a multiple resource and a resource the
/// hook may refuse.
#[derive(Debug, Default, Clone, PartialEq, Object)]
#[lwm2m(id = 32771, name = "Probe", multiple)]
struct Probe {
    #[lwm2m(id = 0, name = "Reading", op = "R", mandatory)]
    reading: i64,
    #[lwm2m(id = 1, name = "Label", op = "RW")]
    label: Option<String>,
    #[lwm2m(id = 2, name = "History", op = "R", multiple)]
    history: Instances<String>,
}

/// Counts up the reading at each read of it; with `failing`, a read of the label fails with a
/// 5.00 (a sensor gone), with `hiding` it answers Not Found (the label left out).
#[derive(Default)]
struct Sampler {
    failing: bool,
    hiding: bool,
}

impl Handler<Probe> for Sampler {
    fn read(&mut self, probe: &mut Probe, resource: u16) -> Result<(), Error> {
        match resource {
            0 => {
                probe.reading += 10;
                Ok(())
            }
            1 if self.failing => Err(Error::Internal {
                reason: "sensor gone".into(),
            }),
            1 if self.hiding => Err(Error::NotFound { resource }),
            _ => Ok(()),
        }
    }
}

fn probe() -> Probe {
    Probe {
        reading: 0,
        label: Some("kitchen \"north\"".into()),
        history: Instances::from_iter([(0, "a".to_owned()), (3, "b".to_owned())]),
    }
}

/// A registered client whose store holds a Probe at `/32771/0` with `sampler`.
fn client_with(sampler: Sampler, now: Instant) -> Client {
    let mut store = base_store();
    store.insert(0, probe(), sampler).unwrap();
    register(Client::new(config(LwM2mVersion::V1_1), store), now)
}

fn probe_kinds(path: &Path) -> Option<(lwm2m::Kind, bool)> {
    let r = Probe::META.resource(path.resource_id()?)?;
    Some((r.kind, r.multiple))
}

/// The hook runs at every read (the reading counts up), for the instance, the object and the
/// resource, in every format the client serves for several values; the payload is the owned
/// records' encoding.
#[test]
fn reads_run_the_hook_and_encode_the_fields() {
    let now = Instant::now();
    let mut id = 0x5000;
    let mut client = client_with(Sampler::default(), now);
    let mut reading = 0;
    for format in [
        ContentFormat::Tlv,
        ContentFormat::SenmlCbor,
        ContentFormat::SenmlJson,
        ContentFormat::Json,
        ContentFormat::Lwm2mCbor,
    ] {
        for path in [Path::instance(32771, 0), Path::object(32771)] {
            let response = get(&path.to_string(), &mut id)
                .accept(format.to_u16())
                .send(&mut client, now);
            assert_eq!(code(&response), "2.05", "{path} {format:?}");
            reading += 10;
            let expected = vec![
                Record::new(Path::resource(32771, 0, 0), Value::Integer(reading)),
                Record::new(
                    Path::resource(32771, 0, 1),
                    Value::String("kitchen \"north\"".into()),
                ),
                Record::new(
                    Path::resource_instance(32771, 0, 2, 0),
                    Value::String("a".into()),
                ),
                Record::new(
                    Path::resource_instance(32771, 0, 2, 3),
                    Value::String("b".into()),
                ),
            ];
            assert_eq!(
                response.payload,
                codec::encode(format, &path, &expected).unwrap(),
                "{path} {format:?}"
            );
            let decoded = codec::decode(format, &path, &response.payload, &probe_kinds).unwrap();
            assert_eq!(decoded, expected, "{path} {format:?}");
        }
    }
    let response = get("/32771/0/0", &mut id)
        .accept(ContentFormat::Text.to_u16())
        .send(&mut client, now);
    assert_eq!(code(&response), "2.05");
    assert_eq!(response.payload, format!("{}", reading + 10).into_bytes());
    let response = get("/32771/0/2/3", &mut id).send(&mut client, now);
    assert_eq!(code(&response), "2.05");
    assert_eq!(response.payload, b"b");
    let response = get("/32771/0/2/1", &mut id).send(&mut client, now);
    assert_eq!(code(&response), "4.04");
}

/// A request with its own message id (the client answers a repeated id from its cache).
fn get(path: &str, id: &mut u16) -> Request {
    *id += 1;
    Request::new(RequestType::Get, path).id(*id)
}

/// A hook's error is the answer: 5.00 for the label's failing hook, whether the label, its
/// instance or its object is read; the other resources still read.
#[test]
fn a_failing_hook_answers_its_code() {
    let now = Instant::now();
    let sampler = Sampler {
        failing: true,
        hiding: false,
    };
    let mut id = 0x5000;
    let mut client = client_with(sampler, now);
    for path in ["/32771/0/1", "/32771/0", "/32771"] {
        let response = get(path, &mut id).send(&mut client, now);
        assert_eq!(
            response.header.code,
            MessageClass::Response(ResponseType::InternalServerError),
            "{path}"
        );
    }
    let response = get("/32771/0/0", &mut id)
        .accept(ContentFormat::Text.to_u16())
        .send(&mut client, now);
    assert_eq!(code(&response), "2.05");
}

/// A hook that answers Not Found hides its resource: 4.04 for the resource, left out of its
/// instance.
#[test]
fn a_hiding_hook_leaves_the_resource_out() {
    let now = Instant::now();
    let sampler = Sampler {
        failing: false,
        hiding: true,
    };
    let mut id = 0x5000;
    let mut client = client_with(sampler, now);
    let response = get("/32771/0/1", &mut id).send(&mut client, now);
    assert_eq!(code(&response), "4.04");
    let path = Path::instance(32771, 0);
    let response = get("/32771/0", &mut id)
        .accept(ContentFormat::SenmlCbor.to_u16())
        .send(&mut client, now);
    assert_eq!(code(&response), "2.05");
    let decoded = codec::decode(
        ContentFormat::SenmlCbor,
        &path,
        &response.payload,
        &probe_kinds,
    )
    .unwrap();
    let paths: Vec<Path> = decoded.iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            Path::resource(32771, 0, 0),
            Path::resource_instance(32771, 0, 2, 0),
            Path::resource_instance(32771, 0, 2, 3),
        ]
    );
}
