//! The tokio driver after a bootstrap to a host name: the Bootstrap-Server writes the server URI
//! `coap://localhost:PORT`, the client emits `Event::ResolveServer`, and the driver looks the host
//! up and hands the address to `Client::set_server`, so the Register reaches the server.
//! Everything runs on loopback sockets scripted by the test.

// A failed unwrap is a failed test here.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::Duration;

use crate::support::{answer, strings, tlv};
use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};
use lwm2m::client::{Client, Config};
use lwm2m::codec::Record;
use lwm2m::net::UdpDriver;
use lwm2m::objects::{Device, DeviceHandler, Security};
use lwm2m::{ObjectStore, Path, Value};
use tokio::net::UdpSocket;
use tokio::sync::oneshot;

const LIMIT: Duration = Duration::from_secs(10);

async fn recv(socket: &UdpSocket) -> (Packet, SocketAddr) {
    let mut buf = [0u8; 2048];
    let (len, from) = tokio::time::timeout(LIMIT, socket.recv_from(&mut buf))
        .await
        .expect("waited too long for the client")
        .unwrap();
    (Packet::from_bytes(&buf[..len]).unwrap(), from)
}

fn request(method: RequestType, path: &[&str], message_id: u16, tlv: Option<Vec<u8>>) -> Packet {
    let mut packet = Packet::new();
    packet.header.set_type(MessageType::Confirmable);
    packet.header.message_id = message_id;
    packet.header.code = MessageClass::Request(method);
    packet.set_token(message_id.to_be_bytes().to_vec());
    for part in path {
        packet.add_option(CoapOption::UriPath, part.as_bytes().to_vec());
    }
    if let Some(payload) = tlv {
        packet.add_option(CoapOption::ContentFormat, 11542u16.to_be_bytes().to_vec());
        packet.payload = payload;
    }
    packet
}

/// Sends `request` to the client and returns the code of its answer.
async fn exchange(bs: &UdpSocket, client: SocketAddr, request: Packet) -> MessageClass {
    bs.send_to(&request.to_bytes().unwrap(), client)
        .await
        .unwrap();
    let (answer, _) = recv(bs).await;
    assert_eq!(answer.header.message_id, request.header.message_id);
    answer.header.code
}

#[tokio::test]
async fn bootstrapped_to_localhost_the_driver_resolves_it_and_registers() {
    let bs = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let server_port = server.local_addr().unwrap().port();
    let driver = UdpDriver::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
        .with_shutdown_timeout(Duration::from_millis(300));
    let driver_addr = driver.local_addr().unwrap();

    let mut store = ObjectStore::new();
    let bs_uri = format!("coap://{}", bs.local_addr().unwrap());
    store.insert(0, Security::bootstrap(&bs_uri), ()).unwrap();
    store
        .insert(0, Device::demo(), DeviceHandler::default())
        .unwrap();
    // The configured server is a placeholder: the bootstrap decides where to register.
    let mut config = Config::new("resolve-test", "127.0.0.1:9".parse().unwrap());
    config.bootstrap_server = Some(bs.local_addr().unwrap());
    let client = Client::new(config, store);
    let (stop, stopped) = oneshot::channel::<()>();

    let script = async {
        let (bootstrap_request, from) = recv(&bs).await;
        assert_eq!(from, driver_addr);
        assert_eq!(strings(&bootstrap_request, CoapOption::UriPath), ["bs"]);
        bs.send_to(
            &answer(&bootstrap_request, ResponseType::Changed)
                .to_bytes()
                .unwrap(),
            from,
        )
        .await
        .unwrap();

        let security = |r| Path::resource(0, 1, r);
        let uri = format!("coap://localhost:{server_port}");
        let write = tlv(
            Path::instance(0, 1),
            &[
                Record::new(security(0), Value::String(uri)),
                Record::new(security(1), Value::Boolean(false)),
                Record::new(security(2), Value::Integer(3)),
                Record::new(security(10), Value::Integer(1)),
            ],
        );
        let code = exchange(
            &bs,
            from,
            request(RequestType::Put, &["0", "1"], 1, Some(write)),
        );
        assert_eq!(code.await, MessageClass::Response(ResponseType::Changed));
        let at = |r| Path::resource(1, 0, r);
        let write = tlv(
            Path::instance(1, 0),
            &[
                Record::new(at(0), Value::Integer(1)),
                Record::new(at(1), Value::Integer(300)),
                Record::new(at(6), Value::Boolean(false)),
                Record::new(at(7), Value::String("U".to_owned())),
            ],
        );
        let code = exchange(
            &bs,
            from,
            request(RequestType::Put, &["1", "0"], 2, Some(write)),
        );
        assert_eq!(code.await, MessageClass::Response(ResponseType::Changed));
        let code = exchange(&bs, from, request(RequestType::Post, &["bs"], 3, None));
        assert_eq!(code.await, MessageClass::Response(ResponseType::Changed));

        // The Register reaches the server named by host: the driver resolved `localhost`.
        let (register, from) = recv(&server).await;
        assert_eq!(from, driver_addr);
        assert_eq!(strings(&register, CoapOption::UriPath), ["rd"]);
        let query = strings(&register, CoapOption::UriQuery);
        assert!(query.contains(&"ep=resolve-test".to_owned()), "{query:?}");
        assert!(query.contains(&"lt=300".to_owned()), "{query:?}");
        let mut created = answer(&register, ResponseType::Created);
        created.add_option(CoapOption::LocationPath, b"rd".to_vec());
        created.add_option(CoapOption::LocationPath, b"4".to_vec());
        server
            .send_to(&created.to_bytes().unwrap(), from)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        stop.send(()).unwrap();
        // The Deregister goes to the resolved address too.
        let (deregister, _) = recv(&server).await;
        assert_eq!(strings(&deregister, CoapOption::UriPath), ["rd", "4"]);
        server
            .send_to(
                &answer(&deregister, ResponseType::Deleted)
                    .to_bytes()
                    .unwrap(),
                from,
            )
            .await
            .unwrap();
    };
    let run = driver.run(client, Duration::from_secs(1), |_, _| {}, async {
        let _ = stopped.await;
    });
    let (client, ()) = tokio::time::timeout(LIMIT, async { tokio::join!(run, script) })
        .await
        .expect("the driver did not register and stop");
    assert!(!client.unwrap().is_registered());
}
