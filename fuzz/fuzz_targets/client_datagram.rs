#![no_main]
//! Fuzzes the sans-IO client with one arbitrary datagram from its server, once registered: the
//! client must not panic (on the datagram, its duplicate or the timers after it), and its store
//! must still be readable afterwards.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, ResponseType};
use lwm2m::client::{Client, Config};
use lwm2m::objects::{Device, DeviceHandler, Security, Server};
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

/// A client registered at `/rd/5` through a scripted 2.01.
fn registered(now: Instant) -> Client {
    let mut config = Config::new("fuzz", server());
    config.lifetime = Duration::from_secs(300);
    let mut client = Client::new(config, store());
    client.start(now);
    let register = client.poll_transmit().expect("a Register");
    let register = Packet::from_bytes(&register.bytes).expect("Register parses");
    let mut created = Packet::new();
    created.header.set_type(MessageType::Acknowledgement);
    created.header.message_id = register.header.message_id;
    created.header.code = MessageClass::Response(ResponseType::Created);
    created.set_token(register.get_token().to_vec());
    created.add_option(CoapOption::LocationPath, b"rd".to_vec());
    created.add_option(CoapOption::LocationPath, b"5".to_vec());
    client.handle_datagram(now, server(), &created.to_bytes().expect("2.01 encodes"));
    assert!(client.is_registered());
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
