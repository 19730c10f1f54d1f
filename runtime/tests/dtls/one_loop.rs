//! One driver loop for every server ([`SecureTransport`]): a server that black-holes its DTLS
//! handshake (a UDP socket that reads and never answers) holds nothing but its own session,
//! so reads from another server, plain or DTLS, are answered at their usual latency while
//! that handshake is pending; and a `coaps://` server of the client's Security object gets its
//! DTLS endpoint when the client first sends to it, with no transport set up beforehand.
#![allow(clippy::unwrap_used, missing_docs)]

use lwm2m::Instant;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};
use lwm2m::ObjectStore;
use lwm2m::client::{Client, Config};
use lwm2m::net::Driver;
use lwm2m::net::dtls::{SecureTransport, SessionReport};
use lwm2m::objects::{AccessControl, Device, DeviceHandler, Security, Server};
use tokio::net::UdpSocket;

use crate::support::*;

const ENDPOINT: &str = "one-loop";
/// The longest a read of the good server may take while the other handshake is pending:
/// generous for a loaded CI machine; a read stuck behind a handshake would take a second or
/// more (the first retransmission of the black-holed ClientHello).
const PROMPT: Duration = Duration::from_millis(200);

/// Security and Server instances for the accounts, in Short Server ID order, an Access Control
/// instance that lets each read `/3/0`, and the Device object.
fn store(accounts: &[Security]) -> ObjectStore {
    let mut store = ObjectStore::new();
    let mut aco = AccessControl::new(3, 0, 1);
    for (instance, security) in (0..).zip(accounts) {
        let ssid = security.short_server_id.unwrap();
        store.insert(instance, security.clone(), ()).unwrap();
        store
            .insert(instance, Server::new(ssid, 300, "U"), ())
            .unwrap();
        aco = aco.with_acl(ssid, AccessControl::READ);
    }
    store.insert(0, aco, ()).unwrap();
    store
        .insert(0, Device::demo(), DeviceHandler::default())
        .unwrap();
    store
}

/// A "server" that reads every datagram and answers none: its handshake never completes.
async fn black_hole() -> (SocketAddr, Arc<Mutex<usize>>) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let received = Arc::new(Mutex::new(0));
    let count = received.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65_535];
        while socket.recv_from(&mut buf).await.is_ok() {
            *count.lock().unwrap() += 1;
        }
    });
    (addr, received)
}

async fn recv(socket: &UdpSocket) -> (Packet, SocketAddr) {
    let mut buf = [0u8; 2048];
    let (len, from) = tokio::time::timeout(10 * SECOND, socket.recv_from(&mut buf))
        .await
        .expect("the plain server waited too long")
        .unwrap();
    (Packet::from_bytes(&buf[..len]).unwrap(), from)
}

/// Answers the client's Register on `server` with 2.01 `/rd/1`; the client's address.
async fn accept_register(server: &UdpSocket) -> SocketAddr {
    loop {
        let (register, client) = recv(server).await;
        if register.header.code != MessageClass::Request(RequestType::Post) {
            continue;
        }
        let mut created = Packet::new();
        created.header.set_type(MessageType::Acknowledgement);
        created.header.message_id = register.header.message_id;
        created.header.code = MessageClass::Response(ResponseType::Created);
        created.set_token(register.get_token().to_vec());
        created.add_option(CoapOption::LocationPath, b"rd".to_vec());
        created.add_option(CoapOption::LocationPath, b"1".to_vec());
        server
            .send_to(&created.to_bytes().unwrap(), client)
            .await
            .unwrap();
        return client;
    }
}

/// A GET of `/3/0/0` to `client` and its 2.05 answer: how long it took.
async fn read_manufacturer(server: &UdpSocket, client: SocketAddr, n: u16) -> Duration {
    let mut read = Packet::new();
    read.header.set_type(MessageType::Confirmable);
    read.header.message_id = 4000 + n;
    read.header.code = MessageClass::Request(RequestType::Get);
    read.set_token(n.to_be_bytes().to_vec());
    for part in ["3", "0", "0"] {
        read.add_option(CoapOption::UriPath, part.as_bytes().to_vec());
    }
    let sent = Instant::now();
    server
        .send_to(&read.to_bytes().unwrap(), client)
        .await
        .unwrap();
    loop {
        let (answer, _) = recv(server).await;
        if answer.header.message_id == 4000 + n {
            assert_eq!(
                answer.header.code,
                MessageClass::Response(ResponseType::Content)
            );
            assert_eq!(answer.payload, Device::DEMO_MANUFACTURER.as_bytes());
            return sent.elapsed();
        }
    }
}

/// A driver on a [`SecureTransport`] that reports its sessions; the reports go to `reports`.
fn driver(reports: &Arc<Mutex<Vec<SessionReport>>>) -> Driver<SecureTransport> {
    let (sender, mut received) = tokio::sync::mpsc::unbounded_channel();
    let sink = reports.clone();
    tokio::spawn(async move {
        while let Some(report) = received.recv().await {
            sink.lock().unwrap().push(report);
        }
    });
    Driver::new(SecureTransport::new(any_local()).with_reports(sender))
        .with_shutdown_timeout(Duration::from_millis(200))
}

#[tokio::test]
async fn a_black_holed_handshake_does_not_slow_reads_from_a_plain_server() {
    let (hole, hole_received) = black_hole().await;
    let plain = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let plain_addr = plain.local_addr().unwrap();
    let accounts = [
        Security::psk(&format!("coaps://{hole}"), 1, IDENTITY, &KEY),
        Security::no_sec(&format!("coap://{plain_addr}"), 2),
    ];
    let client = Client::new(
        Config::new(ENDPOINT, hole).with_server(2, plain_addr),
        store(&accounts),
    );
    let reports = Arc::default();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let script = async {
        let client = accept_register(&plain).await;
        // 2.5 s of reads, across the black hole's retransmissions at 1 and 3 s.
        let started = Instant::now();
        let mut n = 0;
        let mut slowest = Duration::ZERO;
        while started.elapsed() < Duration::from_millis(2500) {
            let took = read_manufacturer(&plain, client, n).await;
            slowest = slowest.max(took);
            assert!(took < PROMPT, "read {n} took {took:?}");
            n += 1;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        stop.send(()).unwrap();
        (n, slowest)
    };
    let run = driver(&reports).run(client, Duration::from_millis(100), |_, _| {}, async {
        let _ = stopped.await;
    });
    let (client, (reads, slowest)) = tokio::join!(run, script);
    client.unwrap();
    eprintln!("{reads} reads, the slowest {slowest:?}");
    assert!(reads >= 10, "{reads} reads");
    // The black hole did get the handshake (a ClientHello and its retransmission), which never
    // completed.
    assert!(
        *hole_received.lock().unwrap() >= 2,
        "the handshake was not retransmitted"
    );
    assert!(
        reports
            .lock()
            .unwrap()
            .iter()
            .all(|r| !matches!(r, SessionReport::Established { .. })),
        "no session with the black hole"
    );
}

/// A CoAP CON GET of `/3/0/0` with message ID `mid` and token `token`, printable but for the
/// option headers (s_server writes its stdin into the session as is).
fn get_manufacturer(mid: [u8; 2], token: [u8; 2]) -> Vec<u8> {
    let mut m = vec![0x42, 0x01, mid[0], mid[1], token[0], token[1]];
    m.extend([0xb1, b'3', 0x01, b'0', 0x01, b'0']);
    m
}

#[tokio::test]
async fn a_black_holed_handshake_does_not_slow_reads_from_another_dtls_server() {
    let (hole, hole_received) = black_hole().await;
    let mut good = SServer::start(free_udp_port(), &KEY, "PSK-AES128-CCM8").await;
    let accounts = [
        Security::psk(&format!("coaps://{hole}"), 1, IDENTITY, &KEY),
        Security::psk(&format!("coaps://{}", good.addr), 2, IDENTITY, &KEY),
    ];
    let client = Client::new(
        Config::new(ENDPOINT, hole).with_server(2, good.addr),
        store(&accounts),
    );
    let reports = Arc::default();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let script = async {
        assert!(
            good.wait_for(&format!("ep={ENDPOINT}"), 10 * SECOND).await,
            "no Register over DTLS: {}",
            good.output.lock().unwrap()
        );
        let started = Instant::now();
        let mut n: u8 = 0;
        let mut slowest = Duration::ZERO;
        while started.elapsed() < Duration::from_millis(2500) {
            // Message IDs and tokens of letters: s_server takes its stdin as is.
            let (mid, token) = ([b'A' + n, b'a'], [b't', b'A' + n]);
            let answer =
                String::from_utf8(vec![0x62, 0x45, mid[0], mid[1], token[0], token[1]]).unwrap();
            let sent = Instant::now();
            good.say_raw(&get_manufacturer(mid, token));
            assert!(
                good.wait_for(&answer, 5 * SECOND).await,
                "read {n} not answered: {}",
                good.output.lock().unwrap()
            );
            let took = sent.elapsed();
            slowest = slowest.max(took);
            assert!(took < PROMPT, "read {n} took {took:?}");
            n += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        stop.send(()).unwrap();
        (n, slowest)
    };
    let run = driver(&reports).run(client, Duration::from_millis(100), |_, _| {}, async {
        let _ = stopped.await;
    });
    let (client, (reads, slowest)) = tokio::join!(run, script);
    client.unwrap();
    eprintln!("{reads} reads, the slowest {slowest:?}");
    assert!(reads >= 10, "{reads} reads");
    assert!(
        *hole_received.lock().unwrap() >= 2,
        "the handshake was not retransmitted"
    );
    let reports = reports.lock().unwrap();
    let established: Vec<SocketAddr> = reports
        .iter()
        .filter_map(|r| match r {
            SessionReport::Established { server, .. } => Some(*server),
            _ => None,
        })
        .collect();
    assert_eq!(established, [good.addr], "{reports:?}");
}

/// No server given to the transport: the client's Security instance (PSK) is all it takes,
/// looked up when the client first sends to the server (as for a server a Bootstrap-Server
/// wrote).
#[tokio::test]
async fn a_coaps_server_of_the_security_object_gets_its_endpoint_on_demand() {
    let rd = CoapServer::start_rd(free_udp_port_pair(), "on-demand-key").await;
    let accounts = [Security::psk(
        &format!("coaps://{}", rd.addr),
        1,
        b"on-demand-dev",
        b"on-demand-key",
    )];
    let client = Client::new(Config::new(ENDPOINT, rd.addr), store(&accounts));
    let reports: Arc<Mutex<Vec<SessionReport>>> = Arc::default();
    let registered = Arc::new(Mutex::new(false));
    let seen = registered.clone();
    let tick = move |client: &mut Client, _now: Instant| {
        if client.is_registered() {
            *seen.lock().unwrap() = true;
        }
    };
    let flag = registered.clone();
    let stop = async move {
        let give_up = Instant::now() + 10 * SECOND;
        while !*flag.lock().unwrap() && Instant::now() < give_up {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    driver(&reports)
        .run(client, Duration::from_millis(20), tick, stop)
        .await
        .unwrap();
    let log = rd.log();
    assert!(*registered.lock().unwrap(), "not registered: {log}");
    assert!(log.contains("psk_identity: 'on-demand-dev'"), "{log}");
    assert!(log.contains(&format!("Uri-Query:ep={ENDPOINT}")), "{log}");
    assert!(
        matches!(
            reports.lock().unwrap()[..],
            [SessionReport::Established { server, handshakes: 1, .. }] if server == rd.addr
        ),
        "{:?}",
        reports.lock().unwrap()
    );
}
