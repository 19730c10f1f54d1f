#![no_main]
//! Fuzzes the sans-IO client with two server accounts and Access Control (object 2) enforced:
//! once registered with both, the first input byte picks which server (or a stranger) sends the
//! rest as a datagram. The client must not panic (on the datagram, its duplicate or the timers
//! after it), must never answer server 2 with a value it may not read, and its store must still
//! be readable afterwards.

use std::net::SocketAddr;
use lwm2m::Instant;
use std::time::Duration;

use lwm2m::ObjectStore;
use lwm2m::client::{Client, Config};
use lwm2m::objects::{AccessControl, Device, DeviceHandler, Security, Server};

#[path = "client_common.rs"]
mod client_common;

use client_common::{Temperature, drain};

fn server() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 5683))
}

fn second_server() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 5783))
}

fn stranger() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9999))
}

fn store() -> ObjectStore {
    let mut store = ObjectStore::new();
    store
        .insert(0, Security::no_sec("coap://127.0.0.1:5683", 1), ())
        .expect("security");
    store
        .insert(1, Security::no_sec("coap://127.0.0.1:5783", 2), ())
        .expect("second security");
    store
        .insert(0, Server::new(1, 300, "U"), ())
        .expect("server");
    store
        .insert(1, Server::new(2, 600, "U"), ())
        .expect("second server");
    let acl = [
        AccessControl::new(3, 0, 1).with_acl(2, AccessControl::READ),
        AccessControl::new(3303, 0, 1).with_acl(2, AccessControl::READ | AccessControl::EXECUTE),
        AccessControl::new(3303, u16::MAX, AccessControl::BOOTSTRAP_OWNER)
            .with_acl(2, AccessControl::CREATE),
        AccessControl::new(1, 0, 1),
        AccessControl::new(1, 1, 2),
    ];
    for (i, aco) in (0..).zip(acl) {
        store.insert(i, aco, ()).expect("access control");
    }
    store
        .insert(0, Device::demo(), DeviceHandler::default())
        .expect("device");
    store
        .insert(0, client_common::temperature(), ())
        .expect("temperature");
    store.creatable(|| (Temperature::default(), ()));
    store
}

/// A client registered with both servers through scripted 2.01s.
fn registered(now: Instant) -> Client {
    let mut config = Config::new("fuzz", server()).with_server(2, second_server());
    config.lifetime = Duration::from_secs(300);
    let mut client = Client::new(config, store());
    client.start(now);
    let mut registers = Vec::new();
    while let Some(transmit) = client.poll_transmit() {
        registers.push(transmit);
    }
    assert_eq!(registers.len(), 2, "one Register per server");
    for transmit in registers {
        client_common::answer_register(&mut client, now, &transmit);
    }
    assert!(client.servers().iter().all(|s| s.registered));
    drain(&mut client);
    client
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&selector, datagram)) = data.split_first() else {
        return;
    };
    let from = match selector % 3 {
        0 => server(),
        1 => second_server(),
        _ => stranger(),
    };
    let now = Instant::now();
    let mut client = registered(now);
    let temperature_before = client.store_mut().get::<Temperature>(0).cloned();
    client.handle_datagram(now, from, datagram);
    drain(&mut client);
    // The same datagram again (a retransmission), then the timers that follow it.
    client.handle_datagram(now + Duration::from_millis(500), from, datagram);
    drain(&mut client);
    if from != server() {
        // Neither server 2 (R and E only) nor a stranger may change the temperature instance.
        assert_eq!(
            client.store_mut().get::<Temperature>(0).cloned(),
            temperature_before,
            "a server without W changed /3303/0"
        );
    }
    for seconds in [2, 10, 60, 400] {
        client.handle_timeout(now + Duration::from_secs(seconds));
        drain(&mut client);
    }
    client_common::read_everything(client.store_mut());
});
