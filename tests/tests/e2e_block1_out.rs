//! End-to-end: the client's own large requests go block-wise (Block1, RFC 7959) to a real
//! server. The sans-IO client, driven over a real UDP socket by this test, registers 300
//! instances (a link payload of several kilobytes), updates with 100 more, and Sends a time
//! series of 300 records, to the aiocoap LwM2M server (`tests/peers/lwm2m_server.py`), whose
//! resource asks aiocoap to reassemble Block1 transfers: the server reports the whole link
//! payload it received, and decodes and resolves the whole SenML CBOR pack with cbor2.

use lwm2m::Instant;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use lwm2m::client::{Client, Config, Event, LwM2mVersion, registration};
use lwm2m::codec::Record;
use lwm2m::objects::{Device, DeviceHandler, Security, Server};
use lwm2m::{Object, ObjectStore, Path, Value};
use lwm2m_tests::peers::Peer;
use lwm2m_tests::sans_io;
use serde_json::Value as Json;

const TIMEOUT: Duration = Duration::from_secs(20);

/// A multiple-instance object to have many instances of.
#[derive(Debug, Default, Clone, PartialEq, Object)]
#[lwm2m(id = 3303, name = "Temperature", multiple)]
struct Temperature {
    #[lwm2m(id = 5700, name = "Sensor Value", op = "R", mandatory)]
    value: f64,
}

/// A client with the Security, Server and Device objects and `instances` Temperature instances,
/// registering with `server`.
fn client(server: SocketAddr, instances: u16) -> Client {
    let mut store = ObjectStore::new();
    let uri = format!("coap://{server}");
    store
        .insert(0, Security::no_sec(&uri, 1), ())
        .expect("security");
    store
        .insert(0, Server::new(1, 300, "U"), ())
        .expect("server");
    store
        .insert(0, Device::demo(), DeviceHandler::default())
        .expect("device");
    for instance in 0..instances {
        store
            .insert(instance, Temperature::default(), ())
            .expect("temperature");
    }
    Client::new(Config::new("block1-out-1", server), store)
}

/// [`sans_io::pump`] with this file's timeout.
fn pump(
    client: &mut Client,
    socket: &UdpSocket,
    done: impl Fn(&Event) -> bool,
) -> (Event, Vec<usize>) {
    sans_io::pump(client, socket, TIMEOUT, done)
}

fn event_json(peer: &mut Peer, name: &str) -> Json {
    let event = peer
        .wait_event(name, TIMEOUT)
        .unwrap_or_else(|e| panic!("{e}\n{}", peer.log()));
    serde_json::from_str(&event.json).expect("event JSON")
}

fn connect(instances: u16) -> (Peer, UdpSocket, Client) {
    let peer = Peer::aiocoap();
    let server: SocketAddr = format!("127.0.0.1:{}", peer.port())
        .parse()
        .expect("address");
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    (peer, socket, client(server, instances))
}

#[test]
fn a_register_and_an_update_with_kilobytes_of_links_reach_aiocoap_whole() {
    let (mut peer, socket, mut client) = connect(300);
    let links = registration::object_links(client.store(), LwM2mVersion::V1_1);
    assert!(links.len() > 3000, "{}", links.len());
    assert!(links.contains("</3303/299>"), "{links}");
    client.start(Instant::now());
    let (_, sizes) = pump(&mut client, &socket, |e| {
        matches!(
            e,
            Event::Registered { .. } | Event::RegistrationFailed { .. }
        )
    });
    assert!(client.is_registered(), "{}", peer.log());
    assert!(sizes.len() > 3, "sent in blocks: {sizes:?}");
    assert!(sizes.iter().all(|&size| size <= 1152), "{sizes:?}");
    let registration = event_json(&mut peer, "registration");
    assert_eq!(registration["content_format"], 40, "{registration}");
    assert_eq!(registration["ep"], "block1-out-1", "{registration}");
    assert_eq!(registration["links"].as_str(), Some(links.as_str()));

    // 100 more instances: the Update carries the new links, block-wise too.
    for instance in 300..400 {
        client
            .store_mut()
            .insert(instance, Temperature::default(), ())
            .expect("temperature");
    }
    let links = registration::object_links(client.store(), LwM2mVersion::V1_1);
    client.handle_timeout(Instant::now());
    let (updated, sizes) = pump(&mut client, &socket, |e| {
        matches!(e, Event::Updated | Event::RegistrationFailed { .. })
    });
    assert_eq!(updated, Event::Updated);
    assert!(sizes.len() > 3, "sent in blocks: {sizes:?}");
    let update = event_json(&mut peer, "update");
    assert_eq!(update["payload"].as_str(), Some(links.as_str()));
}

#[test]
fn a_send_of_300_records_reaches_aiocoap_whole_and_decodes() {
    let (mut peer, socket, mut client) = connect(1);
    client.start(Instant::now());
    pump(&mut client, &socket, |e| {
        matches!(e, Event::Registered { .. })
    });

    let path = Path::resource(3303, 0, 5700);
    let records: Vec<Record> = (0..300u32)
        .map(|i| {
            Record::new(path, Value::Float(20.0 + f64::from(i) / 4.0))
                .at(1_700_000_000.0 + f64::from(i) * 60.0)
        })
        .collect();
    client
        .send_records(Instant::now(), &records)
        .expect("a Send larger than one message is sent block-wise");
    let (sent, sizes) = pump(&mut client, &socket, |e| {
        matches!(e, Event::Sent { .. } | Event::SendFailed { .. })
    });
    assert_eq!(
        sent,
        Event::Sent {
            paths: vec![Path::resource(3303, 0, 5700)]
        }
    );
    assert!(sizes.len() > 3, "sent in blocks: {sizes:?}");
    assert!(sizes.iter().all(|&size| size <= 1152), "{sizes:?}");

    let event = event_json(&mut peer, "send");
    assert_eq!(event["content_format"], 112, "{event}");
    assert!(event.get("resolve_error").is_none(), "{event}");
    let resolved: Vec<(String, f64, f64)> = event["resolved"]
        .as_array()
        .unwrap_or_else(|| panic!("no resolved records: {event}"))
        .iter()
        .map(|r| {
            (
                r["n"].as_str().unwrap_or_default().to_owned(),
                r["t"].as_f64().unwrap_or(f64::NAN),
                r["v"].as_f64().unwrap_or(f64::NAN),
            )
        })
        .collect();
    let expected: Vec<(String, f64, f64)> = (0..300u32)
        .map(|i| {
            (
                "/3303/0/5700".to_owned(),
                1_700_000_000.0 + f64::from(i) * 60.0,
                20.0 + f64::from(i) / 4.0,
            )
        })
        .collect();
    assert_eq!(resolved, expected);
}
