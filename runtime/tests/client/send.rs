//! Send (`POST /dp`, ETS LightweightM2M-1.1-int-306/307/311) against the scripted server.

// A failed unwrap is a failed test here.
#![allow(clippy::unwrap_used)]

use lwm2m::Instant;
use std::time::Duration;

use crate::support::*;
use coap_lite::{CoapOption, MessageClass, MessageType, RequestType, ResponseType};
use lwm2m::client::{Event, Failure, LwM2mVersion, ResponseCode, SendError};
use lwm2m::codec::{self, ContentFormat};
use lwm2m::objects::{Device, Server};
use lwm2m::{Object, Path, Value};

fn kinds(path: &Path) -> Option<(lwm2m::Kind, bool)> {
    let meta = match path.object_id()? {
        1 => Server::META,
        3 => Device::META,
        _ => return None,
    };
    let r = meta.resource(path.resource_id()?)?;
    Some((r.kind, r.multiple))
}

#[test]
fn send_posts_senml_cbor_to_dp_and_reports_the_outcome() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    let paths = [
        Path::resource(1, 0, 1),
        Path::resource_instance(3, 0, 11, 0),
        Path::resource(3, 0, 0),
    ];
    client.send(now, &paths).unwrap();
    let out = sent(&mut client);
    assert_eq!(out.len(), 1, "{out:?}");
    let (to, post) = &out[0];
    assert_eq!(*to, server());
    assert_eq!(post.header.get_type(), MessageType::Confirmable);
    assert_eq!(post.header.code, MessageClass::Request(RequestType::Post));
    assert_eq!(strings(post, CoapOption::UriPath), ["dp"]);
    assert!(post.get_option(CoapOption::UriQuery).is_none());
    assert_eq!(content_format(post), Some(112));
    let records =
        codec::decode(ContentFormat::SenmlCbor, &Path::ROOT, &post.payload, &kinds).unwrap();
    let values: Vec<(String, Value)> = records
        .into_iter()
        .map(|r| (r.path.to_string(), r.value))
        .collect();
    assert_eq!(
        values,
        [
            ("/1/0/1".to_owned(), Value::Integer(300)),
            ("/3/0/0".to_owned(), Value::String("lwm2m-rs".to_owned())),
            ("/3/0/11/0".to_owned(), Value::Integer(0)),
        ]
    );
    assert!(
        events(&mut client).is_empty(),
        "no outcome before the answer"
    );
    client.handle_datagram(
        now,
        server(),
        &answer(post, ResponseType::Changed).to_bytes().unwrap(),
    );
    let expected = vec![
        Path::resource(1, 0, 1),
        Path::resource_instance(3, 0, 11, 0),
        Path::resource(3, 0, 0),
    ];
    assert_eq!(events(&mut client), [Event::Sent { paths: expected }]);
    assert_eq!(
        client.poll_transmit(),
        None,
        "no retransmission after the answer"
    );

    // A refusal is reported; the registration stays.
    client.send(now, &[Path::resource(3, 0, 0)]).unwrap();
    let post = only(&mut client);
    client.handle_datagram(
        now,
        server(),
        &answer(&post, ResponseType::NotFound).to_bytes().unwrap(),
    );
    let seen = events(&mut client);
    assert!(
        matches!(
            &seen[..],
            [Event::SendFailed {
                reason: Failure::Answered(ResponseCode {
                    class: 4,
                    detail: 4
                }),
                ..
            }]
        ),
        "{seen:?}"
    );
    assert!(client.is_registered());
}

#[test]
fn an_unanswered_send_is_retransmitted_then_reported_failed() {
    let start = Instant::now();
    let mut client = registered(LwM2mVersion::V1_2, start);
    client.send(start, &[Path::instance(3, 0)]).unwrap();
    let first = only(&mut client);
    let mut resends = 0;
    let failed = loop {
        let now = client.poll_timeout().unwrap();
        assert!(now - start < Duration::from_secs(100), "never gave up");
        client.handle_timeout(now);
        for (_, packet) in sent(&mut client) {
            assert_eq!(packet, first);
            resends += 1;
        }
        let seen = events(&mut client);
        if !seen.is_empty() {
            break seen;
        }
    };
    assert_eq!(resends, 4, "MAX_RETRANSMIT");
    assert!(
        matches!(
            &failed[..],
            [Event::SendFailed { paths, reason: Failure::NoResponse }] if paths == &[Path::instance(3, 0)]
        ),
        "{failed:?}"
    );
    assert!(
        client.is_registered(),
        "a lost Send does not end the registration"
    );
}

#[test]
fn send_is_refused_unregistered_in_1_0_and_for_bad_paths() {
    let now = Instant::now();
    let mut unregistered = client(LwM2mVersion::V1_1);
    assert_eq!(
        unregistered.send(now, &[Path::resource(3, 0, 0)]),
        Err(SendError::NotRegistered)
    );
    unregistered.start(now);
    sent(&mut unregistered);
    assert_eq!(
        unregistered.send(now, &[Path::resource(3, 0, 0)]),
        Err(SendError::NotRegistered),
        "registering is not registered"
    );

    let mut old = registered(LwM2mVersion::V1_0, now);
    assert_eq!(
        old.send(now, &[Path::resource(3, 0, 0)]),
        Err(SendError::Unsupported)
    );
    assert!(sent(&mut old).is_empty());

    let mut client = registered(LwM2mVersion::V1_1, now);
    assert_eq!(client.send(now, &[]), Err(SendError::Empty));
    assert!(matches!(
        client.send(now, &[Path::resource(3, 0, 0), Path::resource(3, 0, 999)]),
        Err(SendError::Read { path, code: ResponseCode { class: 4, detail: 4 } })
            if path == Path::resource(3, 0, 999)
    ));
    assert!(matches!(
        client.send(now, &[Path::resource(0, 0, 0)]),
        Err(SendError::Protected { .. })
    ));
    assert!(sent(&mut client).is_empty(), "a refused Send sends nothing");
}

/// ETS LightweightM2M-1.1-int-307: Mute Send `/1/x/23` = true stops Send; false allows it again.
#[test]
fn mute_send_written_by_the_server_stops_send() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    let mute = Request::new(RequestType::Put, "/1/0/23")
        .format(0)
        .payload(b"1")
        .id(1)
        .send(&mut client, now);
    assert_eq!(code(&mute), "2.04");
    assert_eq!(
        client.send(now, &[Path::resource(3, 0, 0)]),
        Err(SendError::Muted)
    );
    assert!(sent(&mut client).is_empty());
    let unmute = Request::new(RequestType::Put, "/1/0/23")
        .format(0)
        .payload(b"0")
        .id(2)
        .send(&mut client, now);
    assert_eq!(code(&unmute), "2.04");
    client.send(now, &[Path::resource(3, 0, 0)]).unwrap();
    let post = only(&mut client);
    assert_eq!(strings(&post, CoapOption::UriPath), ["dp"]);
}

/// The values of the Light's dimmer `/3311/0/5851` at two times, as SenML records.
fn dimmer_series() -> Vec<codec::Record> {
    vec![
        codec::Record::new(Path::resource(3311, 0, 5851), Value::Integer(10)).at(1_700_000_000.0),
        codec::Record::new(Path::resource(3311, 0, 5851), Value::Integer(20)).at(1_700_000_060.5),
    ]
}

/// A Write (Replace, Partial Update, Write-Composite) carrying one path at two times is a time
/// series, not one value: 4.00 Bad Request, and nothing is written. The same requests with the
/// path once (timed) are accepted, so the refusal is about the series.
#[test]
fn a_write_carrying_a_time_series_is_bad_request_and_changes_nothing() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    let dimmer = |client: &lwm2m::client::Client| client.store().get::<Light>(0).unwrap().dimmer;
    let before = dimmer(&client);
    let series = dimmer_series();
    let json_series =
        br#"[{"bn":"/3311/0/","n":"5851","bt":1700000000,"v":10},{"n":"5851","t":60,"v":20}]"#;
    let requests = [
        (
            RequestType::Put,
            "/3311/0/5851",
            112,
            codec::encode(ContentFormat::SenmlCbor, &Path::ROOT, &series).unwrap(),
        ),
        (RequestType::Put, "/3311/0/5851", 110, json_series.to_vec()),
        (RequestType::Post, "/3311/0", 110, json_series.to_vec()),
        (RequestType::IPatch, "/", 110, json_series.to_vec()),
        (
            RequestType::IPatch,
            "/",
            112,
            codec::encode(ContentFormat::SenmlCbor, &Path::ROOT, &series).unwrap(),
        ),
    ];
    for (id, (method, path, format, payload)) in requests.into_iter().enumerate() {
        let response = Request::new(method, path)
            .format(format)
            .payload(&payload)
            .id(10 + id as u16)
            .send(&mut client, now);
        assert_eq!(code(&response), "4.00", "{method:?} {path} in {format}");
        assert_eq!(
            dimmer(&client),
            before,
            "{method:?} {path} in {format} wrote"
        );
    }
    let one = codec::encode(ContentFormat::SenmlCbor, &Path::ROOT, &series[1..]).unwrap();
    let accepted = Request::new(RequestType::IPatch, "/")
        .format(112)
        .payload(&one)
        .id(30)
        .send(&mut client, now);
    assert_eq!(code(&accepted), "2.04");
    assert_eq!(dimmer(&client), Some(20));
}

/// Send of records built by the device: values sampled while offline, one path at several
/// times, in SenML CBOR to /dp; the server reads back exactly the times and values.
#[test]
fn send_records_posts_a_time_series() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    let mut records = dimmer_series();
    records.push(codec::Record::new(
        Path::resource(3, 0, 0),
        Value::String("lwm2m-rs".to_owned()),
    ));
    client.send_records(now, &records).unwrap();
    let post = only(&mut client);
    assert_eq!(post.header.get_type(), MessageType::Confirmable);
    assert_eq!(post.header.code, MessageClass::Request(RequestType::Post));
    assert_eq!(strings(&post, CoapOption::UriPath), ["dp"]);
    assert_eq!(content_format(&post), Some(112));
    let decoded = codec::decode(
        ContentFormat::SenmlCbor,
        &Path::ROOT,
        &post.payload,
        &device_kinds,
    )
    .unwrap();
    let seen: Vec<(String, Value, Option<f64>)> = decoded
        .into_iter()
        .map(|r| (r.path.to_string(), r.value, r.time))
        .collect();
    assert_eq!(
        seen,
        [
            (
                "/3/0/0".to_owned(),
                Value::String("lwm2m-rs".to_owned()),
                None
            ),
            (
                "/3311/0/5851".to_owned(),
                Value::Integer(10),
                Some(1_700_000_000.0)
            ),
            (
                "/3311/0/5851".to_owned(),
                Value::Integer(20),
                Some(1_700_000_060.5)
            ),
        ]
    );
    client.handle_datagram(
        now,
        server(),
        &answer(&post, ResponseType::Changed).to_bytes().unwrap(),
    );
    assert_eq!(
        events(&mut client),
        [Event::Sent {
            paths: vec![Path::resource(3, 0, 0), Path::resource(3311, 0, 5851)]
        }]
    );
}

/// Send of records passes the checks of every Send, and refuses records no Send may carry.
#[test]
fn send_records_is_refused_like_send() {
    let now = Instant::now();
    let series = dimmer_series();
    let mut unregistered = client(LwM2mVersion::V1_1);
    assert_eq!(
        unregistered.send_records(now, &series),
        Err(SendError::NotRegistered)
    );
    let mut old = registered(LwM2mVersion::V1_0, now);
    assert_eq!(old.send_records(now, &series), Err(SendError::Unsupported));

    let mut client = registered(LwM2mVersion::V1_1, now);
    assert_eq!(client.send_records(now, &[]), Err(SendError::Empty));
    let security = codec::Record::new(Path::resource(0, 0, 0), Value::String("coap://x".into()));
    assert!(matches!(
        client.send_records(now, &[series[0].clone(), security]),
        Err(SendError::Protected { path }) if path == Path::resource(0, 0, 0)
    ));
    let oscore = codec::Record::new(Path::resource(21, 0, 0), Value::Opaque(vec![1]));
    assert!(matches!(
        client.send_records(now, &[oscore]),
        Err(SendError::Protected { .. })
    ));
    // The same path twice at the same time, and a path above a resource: not encodable.
    let twice = [series[0].clone(), series[0].clone()];
    assert!(matches!(
        client.send_records(now, &twice),
        Err(SendError::Encode(_))
    ));
    let instance = codec::Record::new(Path::instance(3311, 0), Value::Integer(1));
    assert!(matches!(
        client.send_records(now, &[instance]),
        Err(SendError::Encode(_))
    ));
    let nan = codec::Record {
        time: Some(f64::NAN),
        ..series[0].clone()
    };
    assert!(matches!(
        client.send_records(now, &[nan]),
        Err(SendError::Encode(_))
    ));
    // Too large even block-wise (above the 64 KiB bound; larger than one message goes
    // block-wise, see block1_out.rs).
    let big: Vec<codec::Record> = (0..4000)
        .map(|i| series[0].clone().at(1_700_000_000.0 + f64::from(i)))
        .collect();
    let result = client.send_records(now, &big);
    assert!(
        matches!(result, Err(SendError::TooLarge { .. })),
        "{result:?}"
    );
    assert!(sent(&mut client).is_empty(), "a refused Send sends nothing");

    // Mute Send applies.
    let mute = Request::new(RequestType::Put, "/1/0/23")
        .format(0)
        .payload(b"1")
        .id(1)
        .send(&mut client, now);
    assert_eq!(code(&mute), "2.04");
    assert_eq!(client.send_records(now, &series), Err(SendError::Muted));
    assert!(sent(&mut client).is_empty());
}
