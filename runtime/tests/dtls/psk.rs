//! DTLS 1.2 PSK against a real peer, `openssl s_server`, through a recording UDP relay.
//!
//! Each test starts its own `s_server` on a free loopback port (and kills it by its child
//! handle when done); the relay between client and server records every datagram, so the tests
//! can assert that only DTLS records ever left the client's socket. The peers and the relay are
//! in `support`; session resumption is tested in `resume.rs`.
#![allow(clippy::unwrap_used, missing_docs)]

use lwm2m::Instant;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use lwm2m::net::dtls::{
    APPLICATION_DATA, CHANGE_CIPHER_SPEC, Credentials, DtlsConfig, DtlsError, HANDSHAKE,
};
use lwm2m::objects::Security;

use crate::support::*;

#[tokio::test]
async fn psk_aes128_ccm8_handshake_and_coap_round_trip() {
    let mut server = SServer::start(free_udp_port(), &KEY, "PSK-AES128-CCM8").await;
    let Relay {
        addr: relay,
        capture,
        ..
    } = Relay::start(server.addr, 0).await;
    let mut transport = OneServer::connect(any_local(), relay, config(&KEY)).await;
    assert!(transport.status().established);
    assert!(
        server
            .wait_for("CIPHER is PSK-AES128-CCM8", Duration::from_secs(5))
            .await
    );

    let register = coap_register();
    transport.send(&register).await.unwrap();
    assert!(
        server
            .wait_for("</3/0>,</3303/0>", Duration::from_secs(5))
            .await,
        "the server did not decrypt the CoAP message: {}",
        server.output.lock().unwrap()
    );
    server.say("pong-from-server");
    let answer = transport.recv_within(Duration::from_secs(5)).await;
    // s_server may send the line and its newline in two records.
    assert!(answer.starts_with(b"pong-from-server"), "{answer:?}");

    let types = assert_only_dtls_from_client(&capture, b"</3/0>");
    assert!(types.contains(&APPLICATION_DATA) && types.contains(&HANDSHAKE));
    assert_eq!(transport.handshakes(), 1);
}

#[tokio::test]
async fn psk_aes128_cbc_sha256_is_offered_too() {
    let server = SServer::start(free_udp_port(), &KEY, "PSK-AES128-CBC-SHA256").await;
    let mut transport = OneServer::connect(any_local(), server.addr, config(&KEY)).await;
    assert!(
        server
            .wait_for("CIPHER is PSK-AES128-CBC-SHA256", Duration::from_secs(5))
            .await
    );
    transport.send(b"cbc says hello").await.unwrap();
    assert!(
        server
            .wait_for("cbc says hello", Duration::from_secs(5))
            .await
    );
}

#[tokio::test]
async fn wrong_key_fails_clearly_and_no_plaintext_leaves_the_socket() {
    let server = SServer::start(free_udp_port(), &KEY, "PSK-AES128-CCM8").await;
    let Relay {
        addr: relay,
        capture,
        ..
    } = Relay::start(server.addr, 0).await;
    let mut wrong = config(&[0x55; 16]);
    wrong.handshake_timeout = Duration::from_secs(3);
    let mut transport = OneServer::bind(any_local(), relay, wrong);

    // Sending asks for a handshake first, which fails: the CoAP message never leaves.
    let register = coap_register();
    let err = transport.send(&register).await.unwrap_err();
    let text = err.to_string();
    match &*err {
        DtlsError::Timeout { hint, .. } => {
            assert!(hint.contains("wrong pre-shared key"), "{text}")
        }
        DtlsError::Alert { alert, .. } => assert!(alert.level == 2, "{text}"),
        other => panic!("unexpected error: {other}"),
    }
    assert!(text.contains("DTLS handshake with"), "{text}");
    assert!(!transport.status().established);
    let io_err = transport.send(&register).await.unwrap_err();
    assert!(io_err.to_string().contains("DTLS handshake"), "{io_err}");

    let types = assert_only_dtls_from_client(&capture, b"</3/0>");
    // The handshake reached our Finished (under the wrong key), then nothing else.
    assert!(types.contains(&CHANGE_CIPHER_SPEC), "{types:?}");
    assert!(!types.contains(&APPLICATION_DATA), "{types:?}");
    assert!(!server.output.lock().unwrap().contains("</3/0>"));
}

#[tokio::test]
async fn lost_handshake_flights_are_retransmitted() {
    let server = SServer::start(free_udp_port(), &KEY, "PSK-AES128-CCM8").await;
    // The first two ClientHellos are lost: OpenSSL's timer resends after 1 s, then 2 s.
    let Relay {
        addr: relay,
        capture,
        ..
    } = Relay::start(server.addr, 2).await;
    let started = Instant::now();
    let mut transport = OneServer::connect(any_local(), relay, config(&KEY)).await;
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(2500), "{took:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    let client_hellos = capture
        .lock()
        .unwrap()
        .iter()
        .filter(|(d, g)| {
            *d == Dir::FromClient && g.first() == Some(&HANDSHAKE) && g.get(13) == Some(&1)
        })
        .count();
    assert!(client_hellos >= 3, "{client_hellos} ClientHellos");
    transport.send(b"after loss").await.unwrap();
    assert!(server.wait_for("after loss", Duration::from_secs(5)).await);
}

#[tokio::test]
async fn a_restarted_server_gets_a_new_handshake() {
    let port = free_udp_port();
    let mut server = SServer::start(port, &KEY, "PSK-AES128-CCM8").await;
    let mut cfg = config(&KEY);
    cfg.rehandshake_after_unanswered = 2;
    let mut transport = OneServer::connect(any_local(), server.addr, cfg).await;
    transport.send(b"before restart").await.unwrap();
    assert!(
        server
            .wait_for("before restart", Duration::from_secs(5))
            .await
    );
    server.say("ack");
    assert_eq!(
        transport.recv_within(Duration::from_secs(5)).await[..3],
        *b"ack"
    );

    drop(server);
    let server = SServer::start(port, &KEY, "PSK-AES128-CCM8").await;
    // The new server drops records of the old session; after two unanswered sends the third
    // one starts a new handshake and gets through.
    transport.send(b"lost one").await.unwrap();
    transport.send(b"lost two").await.unwrap();
    assert_eq!(transport.handshakes(), 1);
    transport.send(b"after restart").await.unwrap();
    assert_eq!(transport.handshakes(), 2);
    assert!(
        server
            .wait_for("after restart", Duration::from_secs(5))
            .await
    );
}

/// The whole client (register over DTLS) through the driver, against libcoap's resource
/// directory `coap-rd-openssl` (Debian libcoap3-bin), which listens for DTLS on port + 1.
#[tokio::test]
async fn the_client_registers_over_dtls_with_libcoap_rd() {
    use std::sync::atomic::{AtomicBool, Ordering};

    use lwm2m::ObjectStore;
    use lwm2m::client::{Client, Config};
    use lwm2m::net::Driver;

    let port = free_udp_port();
    let log = std::env::temp_dir().join(format!("dtls-rd-{port}.log"));
    let mut rd = Command::new("coap-rd-openssl")
        .args(["-A", "127.0.0.1", "-p"])
        .arg(port.to_string())
        .args(["-k", "rd-secret", "-v", "7"])
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("coap-rd-openssl (apt-get install libcoap3-bin)");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let server = SocketAddr::from(([127, 0, 0, 1], port + 1));
    let security = Security::psk("coaps://127.0.0.1", 1, b"dtls-e2e", b"rd-secret");
    let config = DtlsConfig::new(Credentials::from_security(&security).unwrap());
    let transport = OneServer::bind(any_local(), server, config).transport;

    let client = Client::new(Config::new("dtls-e2e", server), ObjectStore::new());
    let registered = Arc::new(AtomicBool::new(false));
    let seen = registered.clone();
    let tick = move |client: &mut Client, _now: Instant| {
        if client.is_registered() {
            seen.store(true, Ordering::SeqCst);
        }
    };
    let flag = registered.clone();
    let shutdown = async move {
        let give_up = Instant::now() + Duration::from_secs(10);
        while !flag.load(Ordering::SeqCst) && Instant::now() < give_up {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let result = Driver::new(transport)
        .with_shutdown_timeout(Duration::from_secs(2))
        .run(client, Duration::from_millis(20), tick, shutdown)
        .await;
    let _ = rd.kill();
    let _ = rd.wait();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    result.unwrap();
    assert!(registered.load(Ordering::SeqCst), "not registered: {text}");
    assert!(text.contains("psk_identity: 'dtls-e2e'"), "{text}");
    assert!(text.contains("Uri-Query:ep=dtls-e2e"), "{text}");
}
