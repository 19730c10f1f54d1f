//! Several `coaps://` servers at once (ETS LightweightM2M-1.1-int-950, Multi-Servers
//! Registration, over DTLS): one client, one [`SecureTransport`] with a DTLS endpoint per
//! server in the driver's one loop, each with its own pre-shared key, against real peers started on free loopback ports:
//! libcoap's resource directory `coap-rd-openssl` (answers the Register with 2.01) and
//! `openssl s_server` (writes what the test gives it into its session, so it can send the
//! client a CoAP request and show the answer).
#![allow(clippy::unwrap_used, missing_docs)]

use lwm2m::Instant;
use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lwm2m::ObjectStore;
use lwm2m::client::Transmit;
use lwm2m::client::{Client, Config};
use lwm2m::net::dtls::{Credentials, DtlsConfig, DtlsError, SecureTransport, SessionReport};
use lwm2m::net::{Driver, Transport};
use lwm2m::objects::{AccessControl, Device, DeviceHandler, Security, Server};

use crate::support::*;

const ENDPOINT: &str = "int-950-dtls";

/// A Security (PSK) and a Server instance per account, in Short Server ID order, the Device
/// object, and an Access Control instance that lets every server read `/3/0`.
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

fn psk(server: SocketAddr, ssid: u16, identity: &[u8], key: &[u8]) -> Security {
    Security::psk(&format!("coaps://{server}"), ssid, identity, key)
}

/// When each server was first seen registered, and whether it still is, as the driver's tick saw.
#[derive(Debug, Default)]
struct Seen {
    registered_at: BTreeMap<SocketAddr, Instant>,
    registered: BTreeMap<SocketAddr, bool>,
}

/// The session reports of a transport, as they came.
type Reports = Arc<Mutex<Vec<SessionReport>>>;

/// A transport that reports its sessions into the returned list.
fn reporting() -> (SecureTransport, Reports) {
    let (sender, mut received) = tokio::sync::mpsc::unbounded_channel();
    let reports = Reports::default();
    let sink = reports.clone();
    tokio::spawn(async move {
        while let Some(report) = received.recv().await {
            sink.lock().unwrap().push(report);
        }
    });
    (
        SecureTransport::new(any_local()).with_reports(sender),
        reports,
    )
}

/// The completed handshakes with `server` in `reports`: (local address, resumed).
fn established(reports: &Reports, server: SocketAddr) -> Vec<(Option<SocketAddr>, bool)> {
    reports
        .lock()
        .unwrap()
        .iter()
        .filter_map(|r| match r {
            SessionReport::Established {
                server: s,
                local,
                resumed,
                ..
            } if *s == server => Some((*local, *resumed)),
            _ => None,
        })
        .collect()
}

/// The failed handshakes with `server` in `reports`.
fn failures(reports: &Reports, server: SocketAddr) -> Vec<Arc<DtlsError>> {
    reports
        .lock()
        .unwrap()
        .iter()
        .filter_map(|r| match r {
            SessionReport::HandshakeFailed { server: s, error } if *s == server => {
                Some(error.clone())
            }
            _ => None,
        })
        .collect()
}

/// Runs `client` on `transport` until `stop` completes (then deregisters for at most 1 s);
/// returns what the tick saw.
async fn drive(
    transport: SecureTransport,
    client: Client,
    stop: impl Future<Output = ()>,
    seen: Arc<Mutex<Seen>>,
) -> Client {
    let tick = move |client: &mut Client, now: Instant| {
        let mut seen = seen.lock().unwrap();
        for server in client.servers() {
            if server.registered {
                seen.registered_at.entry(server.address).or_insert(now);
            }
            seen.registered.insert(server.address, server.registered);
        }
    };
    Driver::new(transport)
        .with_shutdown_timeout(Duration::from_secs(1))
        .run(client, Duration::from_millis(20), tick, stop)
        .await
        .unwrap()
}

/// Waits until `done` holds or `within` passes.
async fn until(within: Duration, mut done: impl FnMut() -> bool) {
    let give_up = Instant::now() + within;
    while !done() && Instant::now() < give_up {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// ETS int-950 over DTLS: the client registers with two `coap-rd-openssl` servers with
/// different keys; each answers 2.01 in its own session, under the identity and key of its
/// own Security instance (one socket and one handshake each).
#[tokio::test]
async fn int_950_registers_with_two_servers_over_dtls_each_with_its_own_key() {
    let rd1 = CoapServer::start_rd(free_udp_port_pair(), "key-one").await;
    let rd2 = CoapServer::start_rd(free_udp_port_pair(), "key-two").await;
    let accounts = [
        psk(rd1.addr, 1, b"dev-one", b"key-one"),
        psk(rd2.addr, 2, b"dev-two", b"key-two"),
    ];
    let (mut transport, reports) = reporting();
    for security in &accounts {
        let server = transport.add_security(any_local(), security).await.unwrap();
        assert_eq!(
            format!("coaps://{server}"),
            security.server_uri,
            "resolved from the Security instance"
        );
    }
    let client = Client::new(
        Config::new(ENDPOINT, rd1.addr).with_server(2, rd2.addr),
        store(&accounts),
    );
    let seen = Arc::new(Mutex::new(Seen::default()));
    let watch = seen.clone();
    let stop = until(Duration::from_secs(15), move || {
        watch.lock().unwrap().registered_at.len() == 2
    });
    drive(transport, client, stop, seen.clone()).await;

    let (log1, log2) = (rd1.log(), rd2.log());
    let seen = seen.lock().unwrap();
    assert!(
        seen.registered_at.contains_key(&rd1.addr) && seen.registered_at.contains_key(&rd2.addr),
        "{seen:?}\n--- rd1:\n{log1}\n--- rd2:\n{log2}"
    );
    // Each server saw only its own account's identity, and the registration.
    assert!(log1.contains("psk_identity: 'dev-one'"), "{log1}");
    assert!(!log1.contains("dev-two"), "{log1}");
    assert!(log2.contains("psk_identity: 'dev-two'"), "{log2}");
    assert!(!log2.contains("dev-one"), "{log2}");
    for log in [&log1, &log2] {
        assert!(log.contains(&format!("Uri-Query:ep={ENDPOINT}")), "{log}");
    }
    let (one, two) = (
        established(&reports, rd1.addr),
        established(&reports, rd2.addr),
    );
    assert_eq!((one.len(), two.len()), (1, 1), "{one:?} {two:?}");
    assert!(failures(&reports, rd1.addr).is_empty() && failures(&reports, rd2.addr).is_empty());
    assert_ne!(one[0].0, two[0].0, "one socket per server");
}

/// A CoAP CON GET of `/3/0/{resource}` with message ID `mid` and token `token`, all printable
/// bytes but the options' headers (s_server takes its stdin as is; no newline, no command
/// letter first).
fn get_device_resource(mid: [u8; 2], token: [u8; 2], resource: u8) -> Vec<u8> {
    let mut m = vec![0x42, 0x01, mid[0], mid[1], token[0], token[1]];
    m.extend([0xb1, b'3', 0x01, b'0', 0x01, resource]); // Uri-Path 3, 0, resource
    m
}

/// The start of the answer to that GET: ACK (type 2, TKL 2: 0x62 = `b`), 2.05 Content (0x45 =
/// `E`), the same message ID and token.
fn content_answer(mid: [u8; 2], token: [u8; 2]) -> String {
    String::from_utf8(vec![0x62, 0x45, mid[0], mid[1], token[0], token[1]]).unwrap()
}

/// ETS int-950 over DTLS: each of two servers (`openssl s_server`, different keys) reads a
/// resource of the Device object through its own session, and each answer comes back in the
/// session of the server that asked: server 1 gets the manufacturer, server 2 the model number,
/// and neither sees the other's.
#[tokio::test]
async fn int_950_requests_from_two_servers_are_answered_over_their_own_dtls_sessions() {
    let key_two = [0x5a; 16];
    let mut server1 = SServer::start(free_udp_port(), &KEY, "PSK-AES128-CCM8").await;
    let mut server2 = SServer::start(free_udp_port(), &key_two, "PSK-AES128-CCM8").await;
    let accounts = [
        psk(server1.addr, 1, IDENTITY, &KEY),
        psk(server2.addr, 2, IDENTITY, &key_two),
    ];
    // No server added: each gets its endpoint from its Security instance when the client
    // first sends to it.
    let (transport, reports) = reporting();
    let client = Client::new(
        Config::new(ENDPOINT, server1.addr).with_server(2, server2.addr),
        store(&accounts),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (mid1, token1) = (*b"AA", *b"t1");
    let (mid2, token2) = (*b"BB", *b"t2");
    let script = async {
        for server in [&server1, &server2] {
            assert!(
                server
                    .wait_for("CIPHER is PSK-AES128-CCM8", Duration::from_secs(10))
                    .await,
                "no session: {}",
                server.output.lock().unwrap()
            );
            // The Register came through (s_server does not answer it).
            assert!(
                server
                    .wait_for(&format!("ep={ENDPOINT}"), Duration::from_secs(5))
                    .await
            );
        }
        server1.say_raw(&get_device_resource(mid1, token1, b'0'));
        server2.say_raw(&get_device_resource(mid2, token2, b'1'));
        for (server, payload) in [
            (&server1, Device::DEMO_MANUFACTURER),
            (&server2, Device::DEMO_MODEL_NUMBER),
        ] {
            assert!(
                server.wait_for(payload, Duration::from_secs(5)).await,
                "no answer: {}",
                server.output.lock().unwrap()
            );
        }
        stop.send(()).unwrap();
    };
    let stop = async {
        let _ = stopped.await;
    };
    let seen = Arc::new(Mutex::new(Seen::default()));
    tokio::join!(drive(transport, client, stop, seen), script);

    let (out1, out2) = (
        server1.output.lock().unwrap().clone(),
        server2.output.lock().unwrap().clone(),
    );
    assert!(out1.contains(&content_answer(mid1, token1)), "{out1}");
    assert!(out2.contains(&content_answer(mid2, token2)), "{out2}");
    // "lwm2m-rs" is a prefix of the model number "lwm2m-rs-demo": look for the latter only.
    assert!(!out1.contains(Device::DEMO_MODEL_NUMBER), "{out1}");
    assert!(!out1.contains(&content_answer(mid2, token2)), "{out1}");
    assert!(!out2.contains(&content_answer(mid1, token1)), "{out2}");
    for server in [server1.addr, server2.addr] {
        let sessions = established(&reports, server);
        assert_eq!(sessions.len(), 1, "{sessions:?}");
    }
}

/// ETS int-950 over DTLS, one key wrong: the handshake with that server (Short Server ID 1, the
/// first the client sends to) fails with an error that names it and the likely cause, and is
/// retried on the next retransmission, while the other server registers at once: its session
/// never waits for the failing handshake.
#[tokio::test]
async fn int_950_a_wrong_key_fails_only_that_server_over_dtls() {
    let bad = CoapServer::start_rd(free_udp_port_pair(), "key-one").await;
    let good = CoapServer::start_rd(free_udp_port_pair(), "key-two").await;
    let accounts = [
        psk(bad.addr, 1, b"dev-one", b"not-key-one"),
        psk(good.addr, 2, b"dev-two", b"key-two"),
    ];
    let handshake_timeout = Duration::from_secs(4);
    let (mut transport, reports) = reporting();
    for security in &accounts {
        let mut config = DtlsConfig::new(Credentials::from_security(security).unwrap());
        config.handshake_timeout = handshake_timeout;
        let server = security.server_uri.trim_start_matches("coaps://");
        transport
            .add(any_local(), server.parse().unwrap(), config)
            .unwrap();
    }
    let client = Client::new(
        Config::new(ENDPOINT, bad.addr).with_server(2, good.addr),
        store(&accounts),
    );
    let seen = Arc::new(Mutex::new(Seen::default()));
    let failed_at = Arc::new(Mutex::new(None::<Instant>));
    let (watch, watch_failure, watch_reports) = (seen.clone(), failed_at.clone(), reports.clone());
    let bad_addr = bad.addr;
    let good_addr = good.addr;
    let stop = until(Duration::from_secs(20), move || {
        let failed = !failures(&watch_reports, bad_addr).is_empty();
        if failed {
            watch_failure
                .lock()
                .unwrap()
                .get_or_insert_with(Instant::now);
        }
        failed && watch.lock().unwrap().registered_at.contains_key(&good_addr)
    });
    let client = drive(transport, client, stop, seen.clone()).await;

    let error = failures(&reports, bad.addr)
        .first()
        .cloned()
        .expect("the bad handshake failed");
    let text = error.to_string();
    assert!(
        text.contains(&format!("DTLS handshake with {}", bad.addr)),
        "{text}"
    );
    match &*error {
        DtlsError::Timeout { hint, .. } => {
            assert!(hint.contains("wrong pre-shared key"), "{text}");
            // Registered well before the failing handshake gave up: it did not wait for it.
            let registered = seen.lock().unwrap().registered_at[&good.addr];
            let failed = failed_at.lock().unwrap().unwrap();
            assert!(registered < failed, "{text}");
        }
        DtlsError::Alert { alert, .. } => assert_eq!(alert.level, 2, "{text}"),
        other => panic!("unexpected error: {other}"),
    }
    assert!(established(&reports, bad.addr).is_empty());
    assert!(failures(&reports, good.addr).is_empty());
    let servers = client.servers();
    let registered = |addr| {
        servers
            .iter()
            .find(|s| s.address == addr)
            .unwrap()
            .registered
    };
    assert!(!registered(bad.addr), "{servers:?}");
    assert!(
        seen.lock().unwrap().registered[&good.addr],
        "{servers:?}: the good server stayed registered until shutdown"
    );
    assert!(!bad.log().contains("ep="), "{}", bad.log());
    assert!(good.log().contains(&format!("ep={ENDPOINT}")));
}

/// Each server is added once; without a socket there is no local address; and a destination
/// whose Security instance asks for what the transport cannot give (Raw Public Key here) gets
/// nothing, never the datagram in the clear, while one with no Security instance is plain
/// CoAP. No peer needed (nothing secure is sent before the first datagram).
#[tokio::test]
async fn each_server_is_added_once_and_nothing_goes_in_the_clear_to_a_secured_one() {
    let mut transport = SecureTransport::new(any_local());
    let err = Transport::local_addr(&transport).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotConnected);
    let server: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let credentials = Credentials::psk(*b"id", [1; 16]).unwrap();
    transport
        .add(any_local(), server, DtlsConfig::new(credentials.clone()))
        .unwrap();
    let again = transport
        .add(any_local(), server, DtlsConfig::new(credentials))
        .unwrap_err();
    assert!(
        matches!(again, DtlsError::DuplicateServer(s) if s == server),
        "{again}"
    );
    assert_eq!(transport.servers().collect::<Vec<_>>(), [server]);
    let local = Transport::local_addr(&transport).unwrap();
    assert_eq!(transport.status(server).unwrap().local, Some(local));

    // Server 2 has a Raw Public Key account: refused. Port 10 has no account: plain.
    let (rpk, plain): (SocketAddr, SocketAddr) = (
        "127.0.0.1:11".parse().unwrap(),
        "127.0.0.1:10".parse().unwrap(),
    );
    let mut security = psk(rpk, 2, b"id", b"key");
    security.security_mode = Security::MODE_RPK;
    let client = Client::new(
        Config::new(ENDPOINT, server).with_server(2, rpk),
        store(&[psk(server, 1, b"id", &[1; 16]), security]),
    );
    let transmits = [rpk, plain].map(|to| Transmit {
        to,
        bytes: b"x".to_vec(),
        expects_answer: true,
    });
    transport.prepare(&transmits, &client);
    let refused = transport.send_to(b"x", rpk).await.unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::PermissionDenied);
    assert!(refused.to_string().contains("Raw Public Key"), "{refused}");
    assert!(transport.status(rpk).is_none());
    transport.send_to(b"x", plain).await.unwrap();
    assert!(transport.status(plain).is_none(), "plain: no session");
    transport.send_to(b"x", server).await.unwrap();
    assert!(transport.status(server).unwrap().last_error.is_none());
}

/// After a bootstrap (the driver calls `security_changed`), a server found on demand keeps its
/// endpoint while its Security instance gives the same key, and loses it when the key changed:
/// the next datagram to it makes a new one with the new key. A server added by hand stays.
#[tokio::test]
async fn a_server_found_on_demand_is_looked_up_again_after_the_security_object_changed() {
    let added: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let found: SocketAddr = "127.0.0.1:12".parse().unwrap();
    let mut transport = SecureTransport::new(any_local());
    let credentials = Credentials::psk(*b"id", [1; 16]).unwrap();
    transport
        .add(any_local(), added, DtlsConfig::new(credentials))
        .unwrap();
    let mut client = Client::new(
        Config::new(ENDPOINT, added).with_server(2, found),
        store(&[
            psk(added, 1, b"id", &[1; 16]),
            psk(found, 2, b"id", b"first key"),
        ]),
    );
    let transmit = |to| Transmit {
        to,
        bytes: b"x".to_vec(),
        expects_answer: true,
    };
    transport.prepare(&[transmit(found)], &client);
    assert!(transport.status(found).is_some(), "made on demand");

    transport.security_changed(&client);
    assert!(transport.status(found).is_some(), "same key: kept");

    client
        .store_mut()
        .get_mut::<Security>(1)
        .unwrap()
        .secret_key = b"second key".to_vec();
    transport.security_changed(&client);
    assert!(transport.status(found).is_none(), "new key: dropped");
    assert!(transport.status(added).is_some(), "added by hand: kept");
    transport.prepare(&[transmit(found)], &client);
    assert!(transport.status(found).is_some(), "made again");
}
