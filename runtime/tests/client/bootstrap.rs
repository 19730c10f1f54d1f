//! Bootstrap against a scripted Bootstrap-Server: client-initiated (`POST /bs?ep=`, writes,
//! Bootstrap-Finish, then Register with the server written), server-initiated (Execute
//! `/1/x/9`), Bootstrap-Delete keeping the bootstrap account, host names left to the driver;
//! and the store's device-side access that makes it possible.

// A failed unwrap is a failed test here.
#![allow(clippy::unwrap_used)]

use lwm2m::Instant;
use std::net::SocketAddr;

use crate::support::*;
use coap_lite::{CoapOption, MessageClass, Packet, RequestType, ResponseType};
use lwm2m::client::{Client, Event, LwM2mVersion};
use lwm2m::codec::Record;
use lwm2m::objects::{Device, Security, Server};
use lwm2m::{Path, ResourceValue, Value, WriteMode};

/// Security `/0/1`: NoSec to `uri`, Short Server ID 7.
fn security_instance(uri: &str) -> Vec<u8> {
    let at = |r| Path::resource(0, 1, r);
    tlv(
        Path::instance(0, 1),
        &[
            Record::new(at(0), Value::String(uri.to_owned())),
            Record::new(at(1), Value::Boolean(false)),
            Record::new(at(2), Value::Integer(3)),
            Record::new(at(10), Value::Integer(7)),
        ],
    )
}

/// Server `/1/0`: Short Server ID 7, lifetime 120 s, binding U.
fn server_instance() -> Vec<u8> {
    let at = |r| Path::resource(1, 0, r);
    tlv(
        Path::instance(1, 0),
        &[
            Record::new(at(0), Value::Integer(7)),
            Record::new(at(1), Value::Integer(120)),
            Record::new(at(6), Value::Boolean(false)),
            Record::new(at(7), Value::String("U".to_owned())),
        ],
    )
}

/// The bootstrap server's request, answered by the client.
fn from_bs(client: &mut Client, now: Instant, request: Request) -> Packet {
    request.send_from(client, now, bootstrap_server())
}

/// Starts `client`, expects `POST /bs?ep=dev1` to the bootstrap server and answers 2.04.
fn bootstrap_request_accepted(client: &mut Client, now: Instant) {
    let all = sent(client);
    assert_eq!(all.len(), 1, "{all:?}");
    let (to, request) = &all[0];
    assert_eq!(*to, bootstrap_server());
    assert_eq!(
        request.header.code,
        MessageClass::Request(RequestType::Post)
    );
    assert_eq!(strings(request, CoapOption::UriPath), ["bs"]);
    assert_eq!(strings(request, CoapOption::UriQuery), ["ep=dev1"]);
    let changed = answer(request, ResponseType::Changed);
    client.handle_datagram(now, bootstrap_server(), &changed.to_bytes().unwrap());
}

/// Provisions `/0/1` (server at `uri`) and `/1/0`, then Bootstrap-Finish: what the client sent
/// after the finish's 2.04.
fn provision(client: &mut Client, now: Instant, uri: &str) -> Vec<(SocketAddr, Packet)> {
    let delete = from_bs(client, now, Request::new(RequestType::Delete, "/").id(1));
    assert_eq!(code(&delete), "2.02");
    let write = Request::new(RequestType::Put, "/0/1")
        .id(2)
        .format(11542)
        .payload(&security_instance(uri));
    assert_eq!(code(&from_bs(client, now, write)), "2.04");
    let write = Request::new(RequestType::Put, "/1/0")
        .id(3)
        .format(11542)
        .payload(&server_instance());
    assert_eq!(code(&from_bs(client, now, write)), "2.04");
    let finish = Request::new(RequestType::Post, "/bs").id(4).packet;
    client.handle_datagram(now, bootstrap_server(), &finish.to_bytes().unwrap());
    let mut all = sent(client);
    let acked = all.remove(0);
    assert_eq!(acked.0, bootstrap_server());
    assert_eq!(acked.1.get_token(), finish.get_token());
    assert_eq!(code(&acked.1), "2.04");
    all
}

#[test]
fn client_initiated_bootstrap_then_register_with_the_written_server() {
    let now = Instant::now();
    let mut config = config(LwM2mVersion::V1_1);
    config.bootstrap_server = Some(bootstrap_server());
    let mut client = Client::new(config, unprovisioned());
    client.start(now);
    bootstrap_request_accepted(&mut client, now);
    let all = provision(&mut client, now, "coap://127.0.0.1:5690");
    // The bootstrap account survived Bootstrap-Delete "/"; the new instances are there.
    let store = client.store();
    assert!(store.get::<Security>(0).unwrap().bootstrap_server);
    let security = store.get::<Security>(1).unwrap();
    assert_eq!(security.server_uri, "coap://127.0.0.1:5690");
    assert_eq!(security.short_server_id, Some(7));
    assert_eq!(store.get::<Server>(0).unwrap().short_server_id, 7);
    assert!(
        store.get::<Device>(0).is_some(),
        "Bootstrap-Delete keeps the Device"
    );
    assert!(events(&mut client).contains(&Event::Bootstrapped));
    // Register goes to the written server, with the written lifetime.
    let registers: Vec<_> = all
        .iter()
        .filter(|(_, p)| strings(p, CoapOption::UriPath) == ["rd"])
        .collect();
    assert_eq!(registers.len(), 1, "{all:?}");
    let (to, register) = registers[0];
    assert_eq!(*to, "127.0.0.1:5690".parse::<SocketAddr>().unwrap());
    let query = strings(register, CoapOption::UriQuery);
    assert!(query.contains(&"lt=120".to_owned()), "{query:?}");
    let links = String::from_utf8(register.payload.clone()).unwrap();
    assert!(links.contains("</1/0>"), "{links}");
    assert!(!links.contains("</0"), "{links}");
}

#[test]
fn an_unprovisioned_device_bootstraps_from_its_bootstrap_account() {
    let now = Instant::now();
    // No bootstrap server configured: the Security object's bootstrap account is used.
    let mut client = Client::new(config(LwM2mVersion::V1_1), unprovisioned());
    client.start(now);
    bootstrap_request_accepted(&mut client, now);
}

#[test]
fn a_host_name_is_resolved_by_the_driver() {
    let now = Instant::now();
    let mut config = config(LwM2mVersion::V1_1);
    config.bootstrap_server = Some(bootstrap_server());
    let mut client = Client::new(config, unprovisioned());
    client.start(now);
    bootstrap_request_accepted(&mut client, now);
    let after = provision(&mut client, now, "coap://lwm2m.example:5690");
    assert!(events(&mut client).contains(&Event::ResolveServer {
        uri: "coap://lwm2m.example:5690".to_owned()
    }));
    assert!(
        after
            .iter()
            .all(|(_, p)| strings(p, CoapOption::UriPath) != ["rd"]),
        "no Register before the address is known"
    );
    let resolved: SocketAddr = "192.0.2.1:5690".parse().unwrap();
    client.set_server(now, resolved);
    let register = sent(&mut client);
    assert_eq!(register.len(), 1);
    assert_eq!(register[0].0, resolved);
    assert_eq!(strings(&register[0].1, CoapOption::UriPath), ["rd"]);
}

#[test]
fn requests_of_the_bootstrap_server_are_refused_outside_a_bootstrap() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    let response = from_bs(&mut client, now, Request::new(RequestType::Delete, "/"));
    assert_eq!(code(&response), "4.01");
    assert!(client.store().get::<Server>(0).is_some());
}

#[test]
fn server_initiated_bootstrap_via_execute_1_0_9() {
    let now = Instant::now();
    let mut store = store();
    store
        .insert(1, Security::bootstrap("coap://127.0.0.1:5699"), ())
        .unwrap();
    let mut client = Client::new(config(LwM2mVersion::V1_1), store);
    client.start(now);
    let register = only(&mut client);
    let mut created = answer(&register, ResponseType::Created);
    created.add_option(CoapOption::LocationPath, b"rd/5".to_vec());
    client.handle_datagram(now, server(), &created.to_bytes().unwrap());
    assert!(client.is_registered());
    client.handle_datagram(
        now,
        server(),
        &Request::new(RequestType::Post, "/1/0/9")
            .packet
            .to_bytes()
            .unwrap(),
    );
    let all = sent(&mut client);
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(all[0].0, server());
    assert_eq!(code(&all[0].1), "2.04");
    assert_eq!(all[1].0, bootstrap_server());
    assert_eq!(strings(&all[1].1, CoapOption::UriPath), ["bs"]);
    let changed = answer(&all[1].1, ResponseType::Changed);
    client.handle_datagram(now, bootstrap_server(), &changed.to_bytes().unwrap());
    // The bootstrap server may now delete everything but its own account.
    let delete = from_bs(
        &mut client,
        now,
        Request::new(RequestType::Delete, "/0").id(9),
    );
    assert_eq!(code(&delete), "2.02");
    assert_eq!(client.store().instances(0).collect::<Vec<_>>(), [1]);
}

#[test]
fn device_side_access_bypasses_operations_but_not_value_checks() {
    let mut store = store();
    // Security resources have no operations: a server read is refused, the client's is not.
    assert_eq!(store.read(0, 0, 1).map_err(|e| e.coap_code()), Err((4, 5)));
    assert_eq!(
        store.read_internal(0, 0, 1).unwrap(),
        ResourceValue::Single(Value::Boolean(false))
    );
    // Short Server ID is read-only for servers, writable by bootstrap.
    let ssid = vec![(0, ResourceValue::Single(Value::Integer(9)))];
    assert!(store.write(1, 0, ssid.clone(), WriteMode::Update).is_err());
    store.write_internal(1, 0, ssid, WriteMode::Update).unwrap();
    assert_eq!(store.get::<Server>(0).unwrap().short_server_id, 9);
    // A value of the wrong type is still refused.
    let wrong = vec![(0, ResourceValue::Single(Value::String("x".to_owned())))];
    assert!(
        store
            .write_internal(1, 0, wrong, WriteMode::Update)
            .is_err()
    );
    // Not creatable: even bootstrap cannot create.
    assert!(store.create_internal(3, Some(1), Vec::new()).is_err());
}
