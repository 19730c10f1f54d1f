#![no_main]
//! Fuzzes the sans-IO client with two server accounts and Access Control (object 2) enforced:
//! once registered with both, the first input byte picks which server (or a stranger) sends the
//! rest as a datagram. The client must not panic (on the datagram, its duplicate or the timers
//! after it), must never answer server 2 with a value it may not read, and its store must still
//! be readable afterwards.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, ResponseType};
use lwm2m::client::{Client, Config};
use lwm2m::objects::{AccessControl, Device, DeviceHandler, Security, Server};
use lwm2m::{Executable, Instances, ObjectStore};

/// A Temperature-like object with readable, writable, multiple and executable resources.
#[derive(Debug, Clone, PartialEq, Default, lwm2m::Object)]
#[lwm2m(id = 3303, name = "Temperature", version = "1.1", multiple)]
struct Temperature {
    #[lwm2m(id = 5700, name = "Sensor Value", op = "R", mandatory)]
    sensor_value: f64,
    #[lwm2m(id = 5701, name = "Sensor Units", op = "R")]
    sensor_units: Option<String>,
    #[lwm2m(
        id = 5603,
        name = "Min Range Value",
        op = "RW",
        min = "-40",
        max = "125"
    )]
    min_range: Option<f64>,
    #[lwm2m(id = 5750, name = "Application Type", op = "RW")]
    application_type: Option<String>,
    #[lwm2m(id = 7, name = "Voltages", op = "RW", multiple)]
    voltages: Option<Instances<i64>>,
    #[lwm2m(id = 5605, name = "Reset Min and Max Measured Values", op = "E")]
    reset: Executable,
}

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
    let temperature = Temperature {
        sensor_value: 21.5,
        sensor_units: Some("Cel".into()),
        voltages: Some(Instances::from([(0, 3300), (1, 5000)])),
        ..Temperature::default()
    };
    store.insert(0, temperature, ()).expect("temperature");
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
        let register = Packet::from_bytes(&transmit.bytes).expect("Register parses");
        let mut created = Packet::new();
        created.header.set_type(MessageType::Acknowledgement);
        created.header.message_id = register.header.message_id;
        created.header.code = MessageClass::Response(ResponseType::Created);
        created.set_token(register.get_token().to_vec());
        created.add_option(CoapOption::LocationPath, b"rd".to_vec());
        created.add_option(CoapOption::LocationPath, b"5".to_vec());
        client.handle_datagram(now, transmit.to, &created.to_bytes().expect("2.01 encodes"));
    }
    assert!(client.servers().iter().all(|s| s.registered));
    drain(&mut client);
    client
}

fn drain(client: &mut Client) {
    while let Some(transmit) = client.poll_transmit() {
        assert!(
            transmit.bytes.len() <= 1152,
            "{} bytes sent",
            transmit.bytes.len()
        );
    }
    while client.poll_event().is_some() {}
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
    let store = client.store_mut();
    let objects: Vec<_> = store.objects().collect();
    for meta in objects {
        let instances: Vec<u16> = store.instances(meta.id).collect();
        for instance in instances {
            for resource in meta.resources {
                let _ = store.read_internal(meta.id, instance, resource.id);
            }
        }
    }
    assert!(
        store.get::<Device>(0).is_some(),
        "the Device instance is gone"
    );
});
