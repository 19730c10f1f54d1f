//! [`Client::transport_changed`] against the sans-IO client: after the transport re-established
//! its session with a server (a new DTLS handshake, maybe from a new local port), the client
//! sends that server one Registration Update (`POST` to its registration location, LwM2M Core
//! §6.2.2) so that it learns the new address and session; the other servers hear nothing.

// A failed unwrap is a failed test here.
#![allow(clippy::unwrap_used)]

use lwm2m::Instant;
use std::net::SocketAddr;
use std::time::Duration;

use crate::support::*;
use coap_lite::{CoapOption, MessageClass, RequestType, ResponseType};
use lwm2m::ObjectStore;
use lwm2m::client::{Client, Event, LwM2mVersion};
use lwm2m::objects::{Device, DeviceHandler, Security, Server};

fn second() -> SocketAddr {
    "127.0.0.1:5783".parse().unwrap()
}

/// Two server accounts (Short Server IDs 1 at [`server`] and 2 at [`second`]), both registered:
/// server 1 at `/rd/1`, server 2 at `/rd/2`.
fn two_registered(now: Instant) -> Client {
    let mut store = ObjectStore::new();
    store
        .insert(0, Security::no_sec("coap://127.0.0.1:5683", 1), ())
        .unwrap();
    store
        .insert(1, Security::no_sec("coap://127.0.0.1:5783", 2), ())
        .unwrap();
    store.insert(0, Server::new(1, 300, "U"), ()).unwrap();
    store.insert(1, Server::new(2, 300, "U"), ()).unwrap();
    store
        .insert(0, Device::demo(), DeviceHandler::default())
        .unwrap();
    register_both(Client::new(config(LwM2mVersion::V1_1), store), now)
}

#[test]
fn a_changed_transport_sends_exactly_one_update_to_that_server() {
    let now = Instant::now();
    let mut client = two_registered(now);
    assert!(sent(&mut client).is_empty());

    client.transport_changed(now, second());
    let out = sent(&mut client);
    assert_eq!(out.len(), 1, "{out:?}");
    let (to, update) = &out[0];
    assert_eq!(*to, second());
    assert_eq!(update.header.code, MessageClass::Request(RequestType::Post));
    assert_eq!(strings(update, CoapOption::UriPath), ["rd", "2"]);
    // Nothing changed but the address: an Update without parameters or payload (§6.2.2: only
    // what changed is sent).
    assert!(
        strings(update, CoapOption::UriQuery).is_empty(),
        "{update:?}"
    );
    assert!(update.payload.is_empty());

    // Time passes with the Update unanswered: its retransmissions go to the same server, and
    // nothing is sent to the first one.
    // (The first retransmission is due 2 to 3 s after the Update, the second 4 to 6 s later.)
    client.handle_timeout(now + Duration::from_secs(5));
    let resent = sent(&mut client);
    assert_eq!(resent.len(), 1, "{resent:?}");
    assert_eq!(resent[0].0, second());
    assert_eq!(resent[0].1.header.message_id, update.header.message_id);

    // Answered: registration updated, and no further Update.
    client.handle_datagram(
        now + Duration::from_secs(5),
        second(),
        &answer(update, ResponseType::Changed).to_bytes().unwrap(),
    );
    assert_eq!(events(&mut client), [Event::Updated]);
    client.handle_timeout(now + Duration::from_secs(6));
    assert!(sent(&mut client).is_empty());
}

#[test]
fn a_change_while_an_update_is_in_flight_adds_none() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    client.transport_changed(now, server());
    let first = only(&mut client);
    assert_eq!(strings(&first, CoapOption::UriPath), ["rd", "5"]);
    // A second change before the answer: the Update in flight carries the news already.
    client.transport_changed(now, server());
    assert!(sent(&mut client).is_empty());
}

#[test]
fn a_change_before_registration_or_from_an_unknown_address_sends_nothing() {
    let now = Instant::now();
    let mut client = client(LwM2mVersion::V1_1);
    client.start(now);
    let register = only(&mut client);
    assert_eq!(strings(&register, CoapOption::UriPath), ["rd"]);
    // The Register is in flight: its retransmission goes through the new session.
    client.transport_changed(now, server());
    assert!(sent(&mut client).is_empty());

    let mut client = registered(LwM2mVersion::V1_1, now);
    client.transport_changed(now, second());
    assert!(sent(&mut client).is_empty());
}
