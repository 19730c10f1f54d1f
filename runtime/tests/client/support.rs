//! Shared by the modules of the `client` test binary: a scripted fake server (hand-built coap-lite
//! packets, a simulated clock) and the objects it talks to.

// A failed unwrap is a failed test here; not every test file uses every helper.
#![allow(clippy::unwrap_used, dead_code)]

use lwm2m::Instant;
use std::net::SocketAddr;
use std::time::Duration;

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};
use lwm2m::client::{Client, Config, Event, LwM2mVersion};
use lwm2m::codec::{self, ContentFormat, Record};
use lwm2m::objects::{Device, DeviceHandler, Security, Server};
use lwm2m::{Executable, Handler, Object, ObjectStore, Path};

/// A creatable multiple-instance object with a writable, a read-only and an executable resource.
#[derive(Debug, Default, Clone, PartialEq, Object)]
#[lwm2m(id = 3311, name = "Light Control", version = "1.1", multiple)]
pub struct Light {
    #[lwm2m(id = 5850, name = "On/Off", op = "RW", mandatory)]
    pub on: bool,
    #[lwm2m(id = 5851, name = "Dimmer", op = "RW", min = "0", max = "100")]
    pub dimmer: Option<i64>,
    #[lwm2m(id = 5852, name = "On Time", op = "R")]
    pub on_time: Option<i64>,
    #[lwm2m(id = 5853, name = "Toggle", op = "E")]
    pub toggle: Executable,
}

pub struct Switch;

impl Handler<Light> for Switch {
    fn execute(
        &mut self,
        light: &mut Light,
        _resource: u16,
        _args: &lwm2m::ExecuteArgs,
    ) -> Result<(), lwm2m::Error> {
        light.on = !light.on;
        Ok(())
    }
}

pub fn server() -> SocketAddr {
    "127.0.0.1:5683".parse().unwrap()
}

/// The server account (Security `/0/0`, Server `/1/0`, Short Server ID 1) and the Device
/// `/3/0`: what every test device has.
pub fn base_store() -> ObjectStore {
    let mut store = ObjectStore::new();
    store
        .insert(0, Security::no_sec("coap://127.0.0.1:5683", 1), ())
        .unwrap();
    store.insert(0, Server::new(1, 300, "U"), ()).unwrap();
    store
        .insert(0, Device::demo(), DeviceHandler::default())
        .unwrap();
    store
}

/// [`base_store`] with a Light Control `/3311/0`, and more of them creatable.
pub fn store() -> ObjectStore {
    let mut store = base_store();
    store.insert(0, Light::default(), Switch).unwrap();
    store.creatable(|| (Light::default(), Switch));
    store
}

/// The Bootstrap-Server of the bootstrap tests (the URI of `unprovisioned`'s Security instance).
pub fn bootstrap_server() -> SocketAddr {
    "127.0.0.1:5699".parse().unwrap()
}

/// A device with only the Bootstrap-Server account and the Device object.
pub fn unprovisioned() -> ObjectStore {
    let mut store = ObjectStore::new();
    store
        .insert(0, Security::bootstrap("coap://127.0.0.1:5699"), ())
        .unwrap();
    store
        .insert(0, Device::demo(), DeviceHandler::default())
        .unwrap();
    store
}

pub fn config(version: LwM2mVersion) -> Config {
    let mut config = Config::new("dev1", server());
    config.lifetime = Duration::from_secs(300);
    config.lwm2m_version = version;
    config
}

pub fn client(version: LwM2mVersion) -> Client {
    Client::new(config(version), store())
}

/// Every datagram the client wants to send, parsed.
pub fn sent(client: &mut Client) -> Vec<(SocketAddr, Packet)> {
    std::iter::from_fn(|| client.poll_transmit())
        .map(|t| (t.to, Packet::from_bytes(&t.bytes).unwrap()))
        .collect()
}

pub fn only(client: &mut Client) -> Packet {
    let mut all = sent(client);
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0).1
}

pub fn strings(packet: &Packet, option: CoapOption) -> Vec<String> {
    packet
        .get_option(option)
        .into_iter()
        .flatten()
        .map(|v| String::from_utf8(v.clone()).unwrap())
        .collect()
}

pub fn events(client: &mut Client) -> Vec<Event> {
    std::iter::from_fn(|| client.poll_event()).collect()
}

/// The server's piggy-backed answer to `request`.
pub fn answer(request: &Packet, code: ResponseType) -> Packet {
    let mut response = Packet::new();
    response.header.set_type(MessageType::Acknowledgement);
    response.header.message_id = request.header.message_id;
    response.header.code = MessageClass::Response(code);
    response.set_token(request.get_token().to_vec());
    response
}

/// Starts the client and completes its registration at `/rd/5`.
pub fn registered(version: LwM2mVersion, now: Instant) -> Client {
    register(client(version), now)
}

/// Starts `client` and completes its registration at `/rd/5`.
pub fn register(mut client: Client, now: Instant) -> Client {
    client.start(now);
    let register = only(&mut client);
    let mut created = answer(&register, ResponseType::Created);
    created.add_option(CoapOption::LocationPath, b"rd".to_vec());
    created.add_option(CoapOption::LocationPath, b"5".to_vec());
    client.handle_datagram(now, server(), &created.to_bytes().unwrap());
    assert!(client.is_registered());
    events(&mut client);
    client
}

/// Starts a client with two server accounts and answers both Registers: `/rd/1` from
/// [`server`], `/rd/2` from the other; both are registered then, and the events so far drained.
pub fn register_both(mut client: Client, now: Instant) -> Client {
    client.start(now);
    let registers = sent(&mut client);
    assert_eq!(registers.len(), 2, "{registers:?}");
    for (to, register) in registers {
        let location = if to == server() { "1" } else { "2" };
        let mut created = answer(&register, ResponseType::Created);
        created.add_option(CoapOption::LocationPath, b"rd".to_vec());
        created.add_option(CoapOption::LocationPath, location.as_bytes().to_vec());
        client.handle_datagram(now, to, &created.to_bytes().unwrap());
    }
    assert!(client.servers().iter().all(|s| s.registered));
    events(&mut client);
    client
}

pub struct Request {
    pub packet: Packet,
}

impl Request {
    pub fn new(method: RequestType, path: &str) -> Request {
        let mut packet = Packet::new();
        packet.header.set_type(MessageType::Confirmable);
        packet.header.code = MessageClass::Request(method);
        packet.header.message_id = 0x4242;
        packet.set_token(vec![7, 7]);
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            packet.add_option(CoapOption::UriPath, segment.as_bytes().to_vec());
        }
        Request { packet }
    }

    pub fn option(mut self, option: CoapOption, value: &[u8]) -> Request {
        self.packet.add_option(option, value.to_vec());
        self
    }

    pub fn accept(self, format: u16) -> Request {
        let bytes = format.to_be_bytes();
        let value = if format < 256 {
            vec![bytes[1]]
        } else {
            bytes.to_vec()
        };
        self.option(CoapOption::Accept, &value)
    }

    pub fn format(self, format: u16) -> Request {
        let bytes = format.to_be_bytes();
        let value = if format < 256 {
            vec![bytes[1]]
        } else {
            bytes.to_vec()
        };
        self.option(CoapOption::ContentFormat, &value)
    }

    pub fn payload(mut self, payload: &[u8]) -> Request {
        self.packet.payload = payload.to_vec();
        self
    }

    pub fn id(mut self, message_id: u16) -> Request {
        self.packet.header.message_id = message_id;
        self
    }

    pub fn send(self, client: &mut Client, now: Instant) -> Packet {
        self.send_from(client, now, server())
    }

    pub fn send_from(self, client: &mut Client, now: Instant, from: SocketAddr) -> Packet {
        client.handle_datagram(now, from, &self.packet.to_bytes().unwrap());
        let mut all: Vec<Packet> = sent(client)
            .into_iter()
            .filter(|(to, p)| *to == from && p.get_token() == self.packet.get_token())
            .map(|(_, p)| p)
            .collect();
        assert_eq!(all.len(), 1, "{all:?}");
        let response = all.remove(0);
        assert_eq!(response.header.get_type(), MessageType::Acknowledgement);
        assert_eq!(response.header.message_id, self.packet.header.message_id);
        response
    }
}

pub fn code(packet: &Packet) -> String {
    packet.header.get_code()
}

pub fn content_format(packet: &Packet) -> Option<u16> {
    let bytes = packet.get_option(CoapOption::ContentFormat)?.front()?;
    Some(bytes.iter().fold(0u16, |acc, b| (acc << 8) | u16::from(*b)))
}

pub fn device_kinds(path: &Path) -> Option<(lwm2m::Kind, bool)> {
    let meta = match path.object_id()? {
        3 => Device::META,
        3311 => Light::META,
        _ => return None,
    };
    let r = meta.resource(path.resource_id()?)?;
    Some((r.kind, r.multiple))
}

pub fn decode(packet: &Packet, base: &Path) -> Vec<Record> {
    let format = ContentFormat::from_u16(content_format(packet).unwrap()).unwrap();
    codec::decode(format, base, &packet.payload, &device_kinds).unwrap()
}

/// `records` under `base` in TLV, as a Bootstrap-Server writes them.
pub fn tlv(base: Path, records: &[Record]) -> Vec<u8> {
    codec::encode(ContentFormat::Tlv, &base, records).unwrap()
}
