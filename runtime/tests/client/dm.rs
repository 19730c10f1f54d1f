//! Device management details against a scripted server: Write replace vs partial update of a
//! multiple-instance resource, composite Read/Write (FETCH/iPATCH) with SenML JSON and CBOR.

// A failed unwrap is a failed test here.
#![allow(clippy::unwrap_used)]

use lwm2m::Instant;

use crate::support::*;
use coap_lite::{CoapOption, RequestType, ResponseType};
use lwm2m::client::{Client, LwM2mVersion};
use lwm2m::codec::{self, ContentFormat, Record};
use lwm2m::{Instances, Object, ObjectStore, Path, Value};

/// An object with a writable multiple-instance resource beside a single one.
#[derive(Debug, Default, Clone, PartialEq, Object)]
#[lwm2m(id = 32770, name = "Tagged")]
struct Tagged {
    #[lwm2m(id = 0, name = "Label", op = "RW")]
    label: Option<String>,
    #[lwm2m(id = 1, name = "Tags", op = "RW", multiple)]
    tags: Option<Instances<String>>,
}

fn tagged_client(now: Instant) -> Client {
    let mut store: ObjectStore = store();
    let tagged = Tagged {
        label: Some("keep".to_owned()),
        tags: Some(lwm2m::Instances::from_iter([
            (0, "a".to_owned()),
            (1, "b".to_owned()),
        ])),
    };
    store.insert(0, tagged, ()).unwrap();
    let mut client = Client::new(config(LwM2mVersion::V1_1), store);
    client.start(now);
    let register = only(&mut client);
    let mut created = answer(&register, ResponseType::Created);
    created.add_option(CoapOption::LocationPath, b"rd/5".to_vec());
    client.handle_datagram(now, server(), &created.to_bytes().unwrap());
    assert!(client.is_registered());
    events(&mut client);
    client
}

fn tags(pairs: &[(u16, &str)]) -> Vec<u8> {
    let records: Vec<Record> = pairs
        .iter()
        .map(|(ri, v)| {
            Record::new(
                Path::resource_instance(32770, 0, 1, *ri),
                Value::String((*v).to_owned()),
            )
        })
        .collect();
    codec::encode(ContentFormat::Tlv, &Path::resource(32770, 0, 1), &records).unwrap()
}

fn current(client: &Client) -> (Option<String>, Vec<(u16, String)>) {
    let tagged = client.store().get::<Tagged>(0).unwrap();
    let tags = tagged
        .tags
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    (tagged.label.clone(), tags)
}

#[test]
fn put_of_a_multiple_resource_replaces_its_instances_and_post_adds() {
    let now = Instant::now();
    let mut client = tagged_client(now);
    let put = Request::new(RequestType::Put, "/32770/0/1")
        .format(11542)
        .payload(&tags(&[(5, "z")]))
        .send(&mut client, now);
    assert_eq!(code(&put), "2.04");
    assert_eq!(
        current(&client),
        (Some("keep".to_owned()), vec![(5, "z".to_owned())]),
        "PUT replaces the instances and leaves the other resources"
    );
    let post = Request::new(RequestType::Post, "/32770/0/1")
        .id(2)
        .format(11542)
        .payload(&tags(&[(6, "y"), (5, "x")]))
        .send(&mut client, now);
    assert_eq!(code(&post), "2.04");
    assert_eq!(
        current(&client),
        (
            Some("keep".to_owned()),
            vec![(5, "x".to_owned()), (6, "y".to_owned())]
        ),
        "POST adds and overwrites instances"
    );
}

fn kinds(path: &Path) -> Option<(lwm2m::Kind, bool)> {
    let meta = match path.object_id()? {
        3 => lwm2m::objects::Device::META,
        3311 => Light::META,
        32770 => Tagged::META,
        _ => return None,
    };
    let r = meta.resource(path.resource_id()?)?;
    Some((r.kind, r.multiple))
}

fn composite_values(format: ContentFormat, payload: &[u8]) -> Vec<(String, Value)> {
    codec::decode(format, &Path::ROOT, payload, &kinds)
        .unwrap()
        .into_iter()
        .map(|r| (r.path.to_string(), r.value))
        .collect()
}

#[test]
fn read_composite_in_senml_json_and_cbor() {
    let now = Instant::now();
    let mut client = tagged_client(now);
    let json = Request::new(RequestType::Fetch, "/")
        .format(110)
        .accept(110)
        .payload(br#"[{"n":"/3/0/0"},{"n":"/32770/0/0"},{"n":"/9/9/9"}]"#)
        .send(&mut client, now);
    assert_eq!(code(&json), "2.05");
    assert_eq!(content_format(&json), Some(110));
    let expected = vec![
        (
            "/3/0/0".to_owned(),
            Value::String(lwm2m::objects::Device::DEMO_MANUFACTURER.to_owned()),
        ),
        ("/32770/0/0".to_owned(), Value::String("keep".to_owned())),
    ];
    assert_eq!(
        composite_values(ContentFormat::SenmlJson, &json.payload),
        expected
    );
    // SenML CBOR: [{0: "/3/0/0"}, {0: "/32770/0/0"}] (name is label 0).
    let mut cbor = vec![0x82, 0xa1, 0x00, 0x66];
    cbor.extend_from_slice(b"/3/0/0");
    cbor.extend_from_slice(&[0xa1, 0x00, 0x6a]);
    cbor.extend_from_slice(b"/32770/0/0");
    let response = Request::new(RequestType::Fetch, "/")
        .id(2)
        .format(112)
        .payload(&cbor)
        .send(&mut client, now);
    assert_eq!(code(&response), "2.05");
    assert_eq!(content_format(&response), Some(112));
    assert_eq!(
        composite_values(ContentFormat::SenmlCbor, &response.payload),
        expected
    );
    // A composite read may not be answered in TLV.
    let refused = Request::new(RequestType::Fetch, "/")
        .id(3)
        .format(110)
        .accept(11542)
        .payload(br#"[{"n":"/3/0/0"}]"#)
        .send(&mut client, now);
    assert_eq!(code(&refused), "4.06");
}

#[test]
fn write_composite_in_senml_json_and_cbor() {
    let now = Instant::now();
    let mut client = tagged_client(now);
    let json = Request::new(RequestType::IPatch, "/")
        .format(110)
        .payload(br#"[{"n":"/32770/0/0","vs":"new"},{"n":"/3311/0/5851","v":42}]"#)
        .send(&mut client, now);
    assert_eq!(code(&json), "2.04");
    assert_eq!(current(&client).0.as_deref(), Some("new"));
    assert_eq!(client.store().get::<Light>(0).unwrap().dimmer, Some(42));
    let records = [
        Record::new(
            Path::resource(32770, 0, 0),
            Value::String("cbor".to_owned()),
        ),
        Record::new(Path::resource(3311, 0, 5851), Value::Integer(7)),
    ];
    let cbor = codec::encode(ContentFormat::SenmlCbor, &Path::ROOT, &records).unwrap();
    let response = Request::new(RequestType::IPatch, "/")
        .id(2)
        .format(112)
        .payload(&cbor)
        .send(&mut client, now);
    assert_eq!(code(&response), "2.04");
    assert_eq!(current(&client).0.as_deref(), Some("cbor"));
    assert_eq!(client.store().get::<Light>(0).unwrap().dimmer, Some(7));
    // Out of range: refused, and the valid value in the same request is not written.
    let bad = Request::new(RequestType::IPatch, "/")
        .id(3)
        .format(110)
        .payload(br#"[{"n":"/3311/0/5851","v":500}]"#)
        .send(&mut client, now);
    assert_eq!(code(&bad), "4.00");
    assert_eq!(client.store().get::<Light>(0).unwrap().dimmer, Some(7));
}

/// ETS LightweightM2M-1.1-int-221: every operation of the LwM2M server on the Security object
/// gets 4.01 Unauthorized, and nothing changes.
#[test]
fn every_operation_on_security_is_unauthorized() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    let requests = [
        Request::new(RequestType::Get, "/0").accept(11542),
        Request::new(RequestType::Get, "/0/0/0").accept(0),
        Request::new(RequestType::Get, "/0").accept(40),
        Request::new(RequestType::Get, "/0/0").option(CoapOption::Observe, &[]),
        Request::new(RequestType::Put, "/0/0/0")
            .format(0)
            .payload(b"coap://x"),
        Request::new(RequestType::Put, "/0").option(CoapOption::UriQuery, b"pmin=10"),
        Request::new(RequestType::Post, "/0"),
        Request::new(RequestType::Delete, "/0/0"),
    ];
    for (id, request) in requests.into_iter().enumerate() {
        let what = format!("{:?}", request.packet.header.code);
        let response = request.id(100 + id as u16).send(&mut client, now);
        assert_eq!(code(&response), "4.01", "{what}");
        assert!(response.payload.is_empty());
    }
    let patch = br#"[{"n":"/0/0/0","vs":"coap://evil"},{"n":"/3311/0/5850","vb":true}]"#;
    let response = Request::new(RequestType::IPatch, "/")
        .format(110)
        .payload(patch)
        .id(200)
        .send(&mut client, now);
    assert_eq!(code(&response), "4.01");
    assert_eq!(
        client.store_mut().read_internal(0, 0, 0).unwrap(),
        lwm2m::ResourceValue::Single(Value::String("coap://127.0.0.1:5683".to_owned()))
    );
    let light = Request::new(RequestType::Get, "/3311/0/5850")
        .accept(0)
        .id(201)
        .send(&mut client, now);
    assert_eq!(light.payload, b"0", "the composite write was refused whole");
    assert_eq!(client.store().instances(0).count(), 1);
}

/// Load shedding (`Client::set_overloaded`): while overloaded, a Write, a Create and a Read are
/// answered 5.03 with a Max-Age and change nothing; a retransmission of a request answered
/// before is still answered from the duplicate cache; once the load is gone the same requests
/// succeed.
#[test]
fn an_overloaded_client_answers_5_03_and_changes_nothing() {
    let now = Instant::now();
    let mut client = tagged_client(now);
    let before = current(&client);
    let read = Request::new(RequestType::Get, "/32770/0/0")
        .accept(0)
        .id(0x7001)
        .send(&mut client, now);
    assert_eq!(code(&read), "2.05");

    client.set_overloaded(true);
    let write = Request::new(RequestType::Put, "/32770/0/1")
        .format(11542)
        .payload(&tags(&[(5, "z")]))
        .id(0x7002)
        .send(&mut client, now);
    assert_eq!(code(&write), "5.03");
    assert_eq!(strings(&write, CoapOption::MaxAge).len(), 1, "{write:?}");
    let create = Request::new(RequestType::Post, "/32770")
        .format(11542)
        .payload(&tags(&[(0, "new")]))
        .id(0x7003)
        .send(&mut client, now);
    assert_eq!(code(&create), "5.03");
    let read_again = Request::new(RequestType::Get, "/32770/0/0")
        .accept(0)
        .id(0x7004)
        .send(&mut client, now);
    assert_eq!(code(&read_again), "5.03");
    assert_eq!(current(&client), before);
    assert_eq!(client.store().instances(32770).count(), 1);
    // A retransmission of the read answered before the load: the same 2.05, from the cache.
    let duplicate = Request::new(RequestType::Get, "/32770/0/0")
        .accept(0)
        .id(0x7001)
        .send(&mut client, now);
    assert_eq!(duplicate.payload, read.payload);

    client.set_overloaded(false);
    let write = Request::new(RequestType::Put, "/32770/0/1")
        .format(11542)
        .payload(&tags(&[(5, "z")]))
        .id(0x7005)
        .send(&mut client, now);
    assert_eq!(code(&write), "2.04");
    assert_eq!(current(&client).1, vec![(5, "z".to_owned())]);
}

/// Load shedding spares a Delete: it is what gives memory back (a device whose heap ran low
/// after a server created instance after instance must be able to get rid of them).
#[test]
fn an_overloaded_client_still_serves_a_delete() {
    let now = Instant::now();
    let mut client = tagged_client(now);
    assert_eq!(client.store().instances(32770).count(), 1);
    client.set_overloaded(true);
    let read = Request::new(RequestType::Get, "/32770/0/0")
        .accept(0)
        .id(0x7101)
        .send(&mut client, now);
    assert_eq!(code(&read), "5.03");
    let delete = Request::new(RequestType::Delete, "/32770/0")
        .id(0x7102)
        .send(&mut client, now);
    assert_eq!(code(&delete), "2.02");
    assert_eq!(client.store().instances(32770).count(), 0);
}

/// Issue 14: `DELETE /3/0` deleted the Device instance. The one instance of a mandatory
/// single-instance object is refused with 4.05 and stays; other instances are deleted.
#[test]
fn the_device_instance_cannot_be_deleted() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    let refused = Request::new(RequestType::Delete, "/3/0").send(&mut client, now);
    assert_eq!(code(&refused), "4.05");
    assert!(client.store().instance(3, 0).is_some());
    let read = Request::new(RequestType::Get, "/3/0/0")
        .id(0x4243)
        .send(&mut client, now);
    assert_eq!(code(&read), "2.05");
}

/// Reboot (`/3/0/4`) and Factory Reset (`/3/0/5`) reach the application as events, after the
/// Execute is answered.
#[test]
fn reboot_and_factory_reset_reach_the_application() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    events(&mut client);
    let reset = Request::new(RequestType::Post, "/3/0/5").send(&mut client, now);
    assert_eq!(code(&reset), "2.04");
    assert!(events(&mut client).contains(&lwm2m::client::Event::FactoryReset));
    let reboot = Request::new(RequestType::Post, "/3/0/4")
        .id(0x4243)
        .send(&mut client, now);
    assert_eq!(code(&reboot), "2.04");
    assert!(events(&mut client).contains(&lwm2m::client::Event::Rebooting));
}

/// Observe-Composite (FETCH with Observe 0): 2.05 with an Observe option and every path; a
/// change of one path notifies once, with every path again; FETCH with Observe 1 ends it.
#[test]
fn observe_composite_notifies_every_path_once_per_change_and_is_cancelled() {
    let now = Instant::now();
    let mut client = tagged_client(now);
    let paths = br#"[{"n":"/3/0/0"},{"n":"/32770/0/0"}]"#;
    let first = Request::new(RequestType::Fetch, "/")
        .format(110)
        .accept(110)
        .option(CoapOption::Observe, &[])
        .payload(paths)
        .send(&mut client, now);
    assert_eq!(code(&first), "2.05");
    assert!(
        first.get_option(CoapOption::Observe).is_some(),
        "no Observe option"
    );
    assert_eq!(
        composite_values(ContentFormat::SenmlJson, &first.payload).len(),
        2
    );
    let later = now + std::time::Duration::from_secs(2);
    client.handle_timeout(later);
    let _ = sent(&mut client);
    client.resource_changed(later, &Path::resource(32770, 0, 0));
    client.handle_timeout(later);
    let notifications = sent(&mut client);
    assert_eq!(notifications.len(), 1, "{notifications:?}");
    let (_, note) = &notifications[0];
    assert_eq!(note.get_token(), first.get_token());
    let values = composite_values(ContentFormat::SenmlJson, &note.payload);
    let names: Vec<&str> = values.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["/3/0/0", "/32770/0/0"]);
    let cancel = Request::new(RequestType::Fetch, "/")
        .id(0x4300)
        .format(110)
        .accept(110)
        .option(CoapOption::Observe, &[1])
        .payload(paths)
        .send(&mut client, later);
    assert_eq!(code(&cancel), "2.05");
    assert!(cancel.get_option(CoapOption::Observe).is_none());
    client.resource_changed(later, &Path::resource(32770, 0, 0));
    client.handle_timeout(later + std::time::Duration::from_secs(5));
    assert!(sent(&mut client).is_empty(), "notified after the cancel");
}
