#![no_main]
//! Fuzzes the sans-IO client with one arbitrary datagram from its server, once registered: the
//! client must not panic (on the datagram, its duplicate or the timers after it), and its store
//! must still be readable afterwards.

use std::net::SocketAddr;
use lwm2m::Instant;
use std::time::Duration;

use lwm2m::ObjectStore;
use lwm2m::client::{Client, Config};
use lwm2m::objects::{Device, DeviceHandler, Security, Server};

#[path = "client_common.rs"]
mod client_common;

use client_common::{Temperature, drain};

fn server() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 5683))
}

fn store() -> ObjectStore {
    let mut store = ObjectStore::new();
    store
        .insert(0, Security::no_sec("coap://127.0.0.1:5683", 1), ())
        .expect("security");
    store
        .insert(0, Server::new(1, 300, "U"), ())
        .expect("server");
    store
        .insert(0, Device::demo(), DeviceHandler::default())
        .expect("device");
    store
        .insert(0, client_common::temperature(), ())
        .expect("temperature");
    store.creatable(|| (Temperature::default(), ()));
    store
}

/// A client registered at `/rd/5` through a scripted 2.01.
fn registered(now: Instant) -> Client {
    let mut config = Config::new("fuzz", server());
    config.lifetime = Duration::from_secs(300);
    let mut client = Client::new(config, store());
    client.start(now);
    let register = client.poll_transmit().expect("a Register");
    client_common::answer_register(&mut client, now, &register);
    assert!(client.is_registered());
    drain(&mut client);
    client
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let now = Instant::now();
    let mut client = registered(now);
    client.handle_datagram(now, server(), data);
    drain(&mut client);
    // The same datagram again (a retransmission), then the timers that follow it.
    client.handle_datagram(now + Duration::from_millis(500), server(), data);
    drain(&mut client);
    for seconds in [2, 10, 60, 400] {
        client.handle_timeout(now + Duration::from_secs(seconds));
        drain(&mut client);
    }
    client_common::read_everything(client.store_mut());
});
