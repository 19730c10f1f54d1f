//! What the client fuzz targets share: a Temperature-like object, the 2.01 a server answers a
//! Register with, draining the client, and reading every resource afterwards.

use std::net::SocketAddr;
use lwm2m::Instant;

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, ResponseType};
use lwm2m::client::{Client, Transmit};
use lwm2m::objects::Device;
use lwm2m::{Executable, Instances, ObjectStore};

/// A Temperature-like object with readable, writable, multiple and executable resources.
#[derive(Debug, Clone, PartialEq, Default, lwm2m::Object)]
#[lwm2m(id = 3303, name = "Temperature", version = "1.1", multiple)]
pub struct Temperature {
    #[lwm2m(id = 5700, name = "Sensor Value", op = "R", mandatory)]
    pub sensor_value: f64,
    #[lwm2m(id = 5701, name = "Sensor Units", op = "R")]
    pub sensor_units: Option<String>,
    #[lwm2m(
        id = 5603,
        name = "Min Range Value",
        op = "RW",
        min = "-40",
        max = "125"
    )]
    pub min_range: Option<f64>,
    #[lwm2m(id = 5750, name = "Application Type", op = "RW")]
    pub application_type: Option<String>,
    #[lwm2m(id = 7, name = "Voltages", op = "RW", multiple)]
    pub voltages: Option<Instances<i64>>,
    #[lwm2m(id = 5605, name = "Reset Min and Max Measured Values", op = "E")]
    pub reset: Executable,
}

/// The instance `/3303/0` the targets start from.
pub fn temperature() -> Temperature {
    Temperature {
        sensor_value: 21.5,
        sensor_units: Some("Cel".into()),
        voltages: Some(Instances::from_iter([(0, 3300), (1, 5000)])),
        ..Temperature::default()
    }
}

/// Answers the Register in `register` with a 2.01 at `/rd/5`, as its server would.
pub fn answer_register(client: &mut Client, now: Instant, register: &Transmit) {
    let request = Packet::from_bytes(&register.bytes).expect("Register parses");
    let mut created = Packet::new();
    created.header.set_type(MessageType::Acknowledgement);
    created.header.message_id = request.header.message_id;
    created.header.code = MessageClass::Response(ResponseType::Created);
    created.set_token(request.get_token().to_vec());
    created.add_option(CoapOption::LocationPath, b"rd".to_vec());
    created.add_option(CoapOption::LocationPath, b"5".to_vec());
    let to: SocketAddr = register.to;
    client.handle_datagram(now, to, &created.to_bytes().expect("2.01 encodes"));
}

/// Takes everything the client wants to send (each at most 1152 bytes) and every event.
pub fn drain(client: &mut Client) {
    while let Some(transmit) = client.poll_transmit() {
        assert!(
            transmit.bytes.len() <= 1152,
            "{} bytes sent",
            transmit.bytes.len()
        );
    }
    while client.poll_event().is_some() {}
}

/// Reads every resource of every instance (none may panic) and checks the Device is there.
pub fn read_everything(store: &mut ObjectStore) {
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
}
