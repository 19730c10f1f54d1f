//! End-to-end: a Send of timestamped values (a time series sampled while offline) from the
//! sans-IO client, driven over a real UDP socket by this test, to the aiocoap LwM2M server
//! (`tests/peers/lwm2m_server.py`). The server decodes the SenML CBOR with cbor2 and resolves the
//! records itself (RFC 8428 §4.6: name = bn + n, time = bt + t); the test checks its answer.

use lwm2m::Instant;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use lwm2m::ObjectStore;
use lwm2m::client::{Client, Config, Event};
use lwm2m::codec::Record;
use lwm2m::objects::{Device, DeviceHandler, Security, Server};
use lwm2m::{Path, Value};
use lwm2m_tests::peers::Peer;
use lwm2m_tests::sans_io;
use serde_json::Value as Json;

const TIMEOUT: Duration = Duration::from_secs(20);

/// A client with the Security, Server and Device objects, registering with `server`.
fn client(server: SocketAddr) -> Client {
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
    Client::new(Config::new("send-time-1", server), store)
}

/// [`sans_io::pump`] with this file's timeout, without the datagram sizes.
fn pump(client: &mut Client, socket: &UdpSocket, done: impl Fn(&Event) -> bool) -> Event {
    sans_io::pump(client, socket, TIMEOUT, done).0
}

fn number(json: &Json) -> f64 {
    json.as_f64()
        .unwrap_or_else(|| panic!("not a number: {json}"))
}

#[test]
fn send_of_a_time_series_reaches_the_aiocoap_server_with_its_times() {
    let mut peer = Peer::aiocoap();
    let server: SocketAddr = format!("127.0.0.1:{}", peer.port())
        .parse()
        .expect("address");
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let mut client = client(server);
    client.start(Instant::now());
    pump(&mut client, &socket, |e| {
        matches!(e, Event::Registered { .. })
    });

    let temperature = Path::resource(3303, 0, 5700);
    let records = vec![
        // A series of one resource at absolute times, one with a fraction.
        Record::new(temperature, Value::Float(21.5)).at(1_700_000_000.0),
        Record::new(temperature, Value::Float(22.0)).at(1_700_000_060.25),
        Record::new(temperature, Value::Float(22.5)).at(1_700_000_120.0),
        // Relative: 30 s ago; and "now".
        Record::new(Path::resource(3, 0, 9), Value::Integer(87)).at(-30.0),
        Record::new(Path::resource(3, 0, 10), Value::Integer(1024)),
    ];
    client
        .send_records(Instant::now(), &records)
        .expect("send_records");
    let sent = pump(&mut client, &socket, |e| {
        matches!(e, Event::Sent { .. } | Event::SendFailed { .. })
    });
    assert_eq!(
        sent,
        Event::Sent {
            paths: vec![
                Path::resource(3, 0, 9),
                Path::resource(3, 0, 10),
                Path::resource(3303, 0, 5700)
            ]
        }
    );

    let event = peer.wait_event("send", TIMEOUT).expect("send event");
    let event: Json = serde_json::from_str(&event.json).expect("event JSON");
    assert_eq!(event["content_format"], 112, "{event}");
    assert!(event.get("resolve_error").is_none(), "{event}");
    let resolved: Vec<(String, f64, f64)> = event["resolved"]
        .as_array()
        .unwrap_or_else(|| panic!("no resolved records: {event}"))
        .iter()
        .map(|r| {
            let name = r["n"].as_str().unwrap_or_default().to_owned();
            (name, number(&r["t"]), number(&r["v"]))
        })
        .collect();
    assert_eq!(
        resolved,
        [
            ("/3/0/9".to_owned(), -30.0, 87.0),
            ("/3/0/10".to_owned(), 0.0, 1024.0),
            ("/3303/0/5700".to_owned(), 1_700_000_000.0, 21.5),
            ("/3303/0/5700".to_owned(), 1_700_000_060.25, 22.0),
            ("/3303/0/5700".to_owned(), 1_700_000_120.0, 22.5),
        ],
        "{event}"
    );
    // The pack as cbor2 read it: times as base times (-3), none relative (6).
    let decoded = event["decoded"].as_array().expect("decoded pack");
    assert_eq!(decoded.len(), 5, "{event}");
    assert!(decoded.iter().all(|r| r.get("6").is_none()), "{event}");
    assert_eq!(decoded[0]["-3"], -30, "{event}");
    assert_eq!(decoded[1]["-3"], 0, "{event}");
    assert_eq!(decoded[3]["-3"], 1_700_000_060.25, "{event}");
    assert!(decoded[4].get("-3").is_some(), "{event}");
}
