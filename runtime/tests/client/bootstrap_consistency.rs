//! Bootstrap and Configuration Consistency (Core TS 1.1 §5.2.6, ETS LightweightM2M-1.1-int-9):
//! a Bootstrap-Finish that leaves no complete server account (a non-bootstrap Security instance
//! and a Server instance with the same Short Server ID) is refused with 4.06 Not Acceptable; the
//! client stays in the bootstrap, registers nowhere, and a later consistent Finish succeeds.

// A failed unwrap is a failed test here.
#![allow(clippy::unwrap_used)]

use lwm2m::Instant;
use std::net::SocketAddr;

use crate::support::*;
use coap_lite::{CoapOption, Packet, RequestType, ResponseType};
use lwm2m::client::{Client, Event, LwM2mVersion};
use lwm2m::codec::Record;
use lwm2m::objects::{Security, Server};
use lwm2m::{Path, Value};

fn written_server() -> SocketAddr {
    "127.0.0.1:5690".parse().unwrap()
}

/// A client that sent its Bootstrap-Request and had it accepted (2.04).
fn bootstrapping(now: Instant) -> Client {
    let mut config = config(LwM2mVersion::V1_1);
    config.bootstrap_server = Some(bootstrap_server());
    let mut client = Client::new(config, unprovisioned());
    client.start(now);
    let request = only(&mut client);
    assert_eq!(strings(&request, CoapOption::UriPath), ["bs"]);
    let changed = answer(&request, ResponseType::Changed);
    client.handle_datagram(now, bootstrap_server(), &changed.to_bytes().unwrap());
    client
}

/// Bootstrap-Write of Security `/0/1`: NoSec to the written server, Short Server ID `ssid`.
fn write_security(client: &mut Client, now: Instant, ssid: i64, id: u16) -> Packet {
    let at = |r| Path::resource(0, 1, r);
    let payload = tlv(
        Path::instance(0, 1),
        &[
            Record::new(at(0), Value::String("coap://127.0.0.1:5690".to_owned())),
            Record::new(at(1), Value::Boolean(false)),
            Record::new(at(2), Value::Integer(3)),
            Record::new(at(10), Value::Integer(ssid)),
        ],
    );
    Request::new(RequestType::Put, "/0/1")
        .id(id)
        .format(11542)
        .payload(&payload)
        .send_from(client, now, bootstrap_server())
}

/// Bootstrap-Write of Server `/1/0`: Short Server ID `ssid`, lifetime 120 s, binding U.
fn write_server(client: &mut Client, now: Instant, ssid: i64, id: u16) -> Packet {
    let at = |r| Path::resource(1, 0, r);
    let payload = tlv(
        Path::instance(1, 0),
        &[
            Record::new(at(0), Value::Integer(ssid)),
            Record::new(at(1), Value::Integer(120)),
            Record::new(at(6), Value::Boolean(false)),
            Record::new(at(7), Value::String("U".to_owned())),
        ],
    );
    Request::new(RequestType::Put, "/1/0")
        .id(id)
        .format(11542)
        .payload(&payload)
        .send_from(client, now, bootstrap_server())
}

/// Sends Bootstrap-Finish: the client's answer to it, and whatever else it sent.
fn finish(client: &mut Client, now: Instant, id: u16) -> (Packet, Vec<(SocketAddr, Packet)>) {
    let finish = Request::new(RequestType::Post, "/bs").id(id).packet;
    client.handle_datagram(now, bootstrap_server(), &finish.to_bytes().unwrap());
    let mut all = sent(client);
    assert!(!all.is_empty(), "Bootstrap-Finish unanswered");
    let (to, answer) = all.remove(0);
    assert_eq!(to, bootstrap_server());
    assert_eq!(answer.get_token(), finish.get_token());
    (answer, all)
}

fn registers(sent: &[(SocketAddr, Packet)]) -> usize {
    sent.iter()
        .filter(|(_, p)| strings(p, CoapOption::UriPath) == ["rd"])
        .count()
}

#[test]
fn ets_1_1_int_9_finish_after_writing_only_1_x_5_is_refused_with_4_06() {
    let now = Instant::now();
    let mut client = bootstrapping(now);
    let delete = Request::new(RequestType::Delete, "/").id(1).send_from(
        &mut client,
        now,
        bootstrap_server(),
    );
    assert_eq!(code(&delete), "2.02");
    // The Bootstrap-Server writes only the Disable Timeout of a Server instance.
    let _ = Request::new(RequestType::Put, "/1/0/5")
        .id(2)
        .payload(b"86400")
        .send_from(&mut client, now, bootstrap_server());
    let (answer, others) = finish(&mut client, now, 3);
    assert_eq!(code(&answer), "4.06");
    assert_eq!(registers(&others), 0, "{others:?}");
    let events = events(&mut client);
    assert!(!events.contains(&Event::Bootstrapped), "{events:?}");
    assert!(!client.is_registered());
}

#[test]
fn a_refused_finish_keeps_the_bootstrap_open_and_a_complete_account_then_registers() {
    let now = Instant::now();
    let mut client = bootstrapping(now);
    assert_eq!(code(&write_security(&mut client, now, 7, 1)), "2.04");
    // Security alone is not an account.
    let (answer, others) = finish(&mut client, now, 2);
    assert_eq!(code(&answer), "4.06");
    assert_eq!(registers(&others), 0, "{others:?}");
    // Still bootstrapping: the Bootstrap-Server may write the Server instance and finish again.
    assert_eq!(code(&write_server(&mut client, now, 7, 3)), "2.04");
    assert_eq!(client.store().get::<Server>(0).unwrap().short_server_id, 7);
    let (answer, others) = finish(&mut client, now, 4);
    assert_eq!(code(&answer), "2.04");
    assert!(events(&mut client).contains(&Event::Bootstrapped));
    let to_server: Vec<_> = others
        .iter()
        .filter(|(to, p)| *to == written_server() && strings(p, CoapOption::UriPath) == ["rd"])
        .collect();
    assert_eq!(to_server.len(), 1, "{others:?}");
}

#[test]
fn security_and_server_with_different_short_server_ids_are_refused() {
    let now = Instant::now();
    let mut client = bootstrapping(now);
    assert_eq!(code(&write_security(&mut client, now, 7, 1)), "2.04");
    assert_eq!(code(&write_server(&mut client, now, 8, 2)), "2.04");
    let (answer, others) = finish(&mut client, now, 3);
    assert_eq!(code(&answer), "4.06");
    assert_eq!(registers(&others), 0, "{others:?}");
    // The writes are kept (the refusal reports, it does not roll back).
    assert_eq!(client.store().get::<Server>(0).unwrap().short_server_id, 8);
}

#[test]
fn finish_with_only_the_bootstrap_account_is_refused() {
    let now = Instant::now();
    let mut client = bootstrapping(now);
    let (answer, others) = finish(&mut client, now, 1);
    assert_eq!(code(&answer), "4.06");
    assert_eq!(registers(&others), 0, "{others:?}");
    assert!(client.store().get::<Security>(0).unwrap().bootstrap_server);
}
