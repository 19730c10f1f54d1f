//! DTLS session resumption against real peers (`openssl s_server`, libcoap's
//! `coap-server-openssl`), through the recording relay of `dtls_support`.
//!
//! A resumed DTLS 1.2 session is an abbreviated handshake (RFC 5246 §7.3, RFC 6347 §4.2.4): the
//! client offers the old session ID in its ClientHello, the server echoes it in its ServerHello
//! and goes straight to ChangeCipherSpec and Finished. There is no ServerHelloDone and no
//! ClientKeyExchange, which the full handshake always has, so the captures tell the two apart
//! independently of what the client reports.
#![cfg(feature = "dtls")]
#![allow(clippy::unwrap_used, missing_docs)]

mod dtls_support;

use std::time::Duration;

use dtls_support::*;
use lwm2m::net::dtls::{DtlsTransport, HANDSHAKE};

const SECOND: Duration = Duration::from_secs(1);

/// The session ID in the ServerHellos of `datagrams` (RFC 5246 §7.4.1.3: after server_version
/// and random, like the ClientHello's).
fn server_hello_session_ids(datagrams: &[(Dir, Vec<u8>)]) -> Vec<Vec<u8>> {
    datagrams
        .iter()
        .filter(|(d, _)| *d == Dir::FromServer)
        .filter_map(|(_, g)| records(g))
        .flatten()
        .filter(|(kind, epoch, body)| {
            *kind == HANDSHAKE && *epoch == 0 && body.first() == Some(&SERVER_HELLO)
        })
        .map(|(_, _, body)| {
            let len = usize::from(body[12 + 2 + 32]);
            body[12 + 2 + 32 + 1..][..len].to_vec()
        })
        .collect()
}

/// Asserts the shape of a full handshake in `phase`: key exchange and ServerHelloDone.
fn assert_full_handshake(phase: &[(Dir, Vec<u8>)]) {
    let client = handshake_messages(phase, Dir::FromClient);
    let server = handshake_messages(phase, Dir::FromServer);
    assert!(client.contains(&CLIENT_KEY_EXCHANGE), "client: {client:?}");
    assert!(server.contains(&SERVER_HELLO_DONE), "server: {server:?}");
}

/// Asserts the shape of an abbreviated handshake in `phase`: the server echoed the non-empty
/// session ID the client offered, and there was no key exchange.
fn assert_abbreviated_handshake(phase: &[(Dir, Vec<u8>)]) {
    let client = handshake_messages(phase, Dir::FromClient);
    let server = handshake_messages(phase, Dir::FromServer);
    assert!(client.contains(&CLIENT_HELLO), "client: {client:?}");
    assert!(server.contains(&SERVER_HELLO), "server: {server:?}");
    assert!(!client.contains(&CLIENT_KEY_EXCHANGE), "client: {client:?}");
    assert!(!server.contains(&SERVER_HELLO_DONE), "server: {server:?}");
    let offered = offered_session_ids(phase);
    let last_offered = offered.last().unwrap();
    assert!(!last_offered.is_empty(), "no session offered: {offered:?}");
    assert_eq!(
        server_hello_session_ids(phase).last(),
        Some(last_offered),
        "the server did not echo the offered session"
    );
}

/// Asserts that the abbreviated handshake `resumed` took fewer flights than the full `full`,
/// the server's in particular (its ServerHello, ChangeCipherSpec and Finished go as one).
fn assert_one_round_trip_less(resumed: &[(Dir, Vec<u8>)], full: &[(Dir, Vec<u8>)]) {
    let (resumed_flights, full_flights) = (handshake_flights(resumed), handshake_flights(full));
    eprintln!("flights: resumed {resumed_flights:?}, full {full_flights:?}");
    let from_server = |flights: &[Dir]| flights.iter().filter(|d| **d == Dir::FromServer).count();
    assert!(
        resumed_flights.len() < full_flights.len()
            && from_server(&resumed_flights) < from_server(&full_flights),
        "resumed {resumed_flights:?} {:?}/{:?}, full {full_flights:?} {:?}/{:?}",
        handshake_messages(resumed, Dir::FromClient),
        handshake_messages(resumed, Dir::FromServer),
        handshake_messages(full, Dir::FromClient),
        handshake_messages(full, Dir::FromServer),
    );
}

/// A CoAP GET of `/` to libcoap's server and its 2.05 answer (matched by message ID, RFC 7252
/// §4.4: an ACK carries the message ID of the CON; code 2.05 is 0x45).
async fn get_root(transport: &mut DtlsTransport, mid: u16) {
    transport.send(&coap_get_root(mid, 0x5a)).await.unwrap();
    let answer = recv_within(transport, 5 * SECOND).await;
    assert_eq!(answer[1], 0x45, "not 2.05 Content: {answer:02x?}");
    assert_eq!(answer[2..4], mid.to_be_bytes(), "{answer:02x?}");
}

#[tokio::test]
async fn s_server_resumes_the_session_in_an_abbreviated_handshake() {
    let server = SServer::start(free_udp_port(), &KEY, "PSK-AES128-CCM8").await;
    let relay = Relay::start(server.addr, 0).await;
    let mut transport = DtlsTransport::connect(any_local(), relay.addr, config(&KEY))
        .await
        .unwrap();
    assert!(!transport.session_reused());
    transport.send(b"first session").await.unwrap();
    assert!(server.wait_for("first session", 5 * SECOND).await);
    let full = relay.since(0);
    assert_full_handshake(&full);
    assert!(
        offered_session_ids(&full).iter().all(Vec::is_empty),
        "nothing to resume yet"
    );

    // s_server serves one association at a time: the client ends this one (close_notify) and
    // s_server goes back to accepting, its session cache intact.
    transport.close().await;
    assert!(
        server.wait_for("DONE", 5 * SECOND).await,
        "{}",
        server.output.lock().unwrap()
    );
    let mark = relay.mark();
    transport.send(b"second session").await.unwrap();
    assert!(server.wait_for("second session", 5 * SECOND).await);

    assert!(transport.session_reused());
    assert_eq!(transport.handshakes(), 2);
    assert_eq!(transport.resumed_handshakes(), 1);
    assert!(
        server.wait_for("Reused session-id", 5 * SECOND).await,
        "s_server did not report a resumed session: {}",
        server.output.lock().unwrap()
    );
    let resumed = relay.since(mark);
    assert_abbreviated_handshake(&resumed);
    assert_one_round_trip_less(&resumed, &full);
    assert_only_dtls_from_client(&relay.capture, b"session");
}

#[tokio::test]
async fn a_lost_connection_is_resumed_from_a_new_address() {
    let server = CoapServer::start(free_udp_port_pair(), "resume-secret").await;
    let relay = Relay::start(server.addr, 0).await;
    let mut cfg = libcoap_config("resume-secret");
    cfg.rehandshake_after_unanswered = 2;
    let mut transport = DtlsTransport::connect(any_local(), relay.addr, cfg)
        .await
        .unwrap();
    get_root(&mut transport, 1).await;
    let full = relay.since(0);
    assert_full_handshake(&full);

    // The client's address changes under it (NAT rebinding): its records reach the server
    // from an address the server has no association with, and go unanswered.
    relay.rebind();
    let mark = relay.mark();
    transport.send(&coap_get_root(2, 0x5a)).await.unwrap();
    transport.send(&coap_get_root(3, 0x5a)).await.unwrap();
    assert_eq!(transport.handshakes(), 1);
    // The third send finds two unanswered ones: a new handshake first, offering the session.
    get_root(&mut transport, 4).await;

    assert_eq!(transport.handshakes(), 2);
    assert!(transport.session_reused());
    assert_eq!(transport.resumed_handshakes(), 1);
    let resumed = relay.since(mark);
    assert_abbreviated_handshake(&resumed);
    assert_one_round_trip_less(&resumed, &full);
    assert_only_dtls_from_client(&relay.capture, b"\x41\x01");
}

#[tokio::test]
async fn an_outage_longer_than_a_handshake_still_ends_in_a_resumed_session() {
    let server = CoapServer::start(free_udp_port_pair(), "resume-secret").await;
    let relay = Relay::start(server.addr, 0).await;
    let mut cfg = libcoap_config("resume-secret");
    cfg.rehandshake_after_unanswered = 1;
    cfg.handshake_timeout = 2 * SECOND;
    let mut transport = DtlsTransport::connect(any_local(), relay.addr, cfg)
        .await
        .unwrap();
    get_root(&mut transport, 1).await;

    // The network goes down: a request goes unanswered, and the new handshake the next send
    // starts gets no answer at all and times out.
    relay.cut(true);
    transport.send(&coap_get_root(2, 0x5a)).await.unwrap();
    let err = transport.send(&coap_get_root(3, 0x5a)).await.unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");

    // It comes back with a new address (the NAT forgot the client): the session is resumed.
    relay.rebind();
    relay.cut(false);
    let mark = relay.mark();
    get_root(&mut transport, 4).await;
    assert_eq!(transport.handshakes(), 2);
    assert!(transport.session_reused());
    assert_abbreviated_handshake(&relay.since(mark));
}

#[tokio::test]
async fn a_restarted_server_refuses_the_session_and_a_full_handshake_follows() {
    let port = free_udp_port();
    let mut server = SServer::start(port, &KEY, "PSK-AES128-CCM8").await;
    let relay = Relay::start(server.addr, 0).await;
    let mut cfg = config(&KEY);
    cfg.rehandshake_after_unanswered = 2;
    let mut transport = DtlsTransport::connect(any_local(), relay.addr, cfg)
        .await
        .unwrap();
    transport.send(b"before restart").await.unwrap();
    assert!(server.wait_for("before restart", 5 * SECOND).await);
    server.say("ack");
    assert_eq!(recv_within(&mut transport, 5 * SECOND).await[..3], *b"ack");

    drop(server);
    let server = SServer::start(port, &KEY, "PSK-AES128-CCM8").await;
    let mark = relay.mark();
    transport.send(b"lost one").await.unwrap();
    transport.send(b"lost two").await.unwrap();
    transport.send(b"after restart").await.unwrap();
    assert!(server.wait_for("after restart", 5 * SECOND).await);

    assert_eq!(transport.handshakes(), 2);
    assert!(!transport.session_reused());
    assert_eq!(transport.resumed_handshakes(), 0);
    let phase = relay.since(mark);
    // The client did offer the old session; the new server chose a new one.
    let offered = offered_session_ids(&phase);
    assert!(offered.iter().all(|id| !id.is_empty()), "{offered:?}");
    let chosen = server_hello_session_ids(&phase);
    assert!(!chosen.is_empty() && chosen.iter().all(|id| !offered.contains(id)));
    assert_full_handshake(&phase);
    assert_eq!(server.count("Reused session-id"), 0);
}

#[tokio::test]
async fn resumption_can_be_turned_off() {
    let server = SServer::start(free_udp_port(), &KEY, "PSK-AES128-CCM8").await;
    let relay = Relay::start(server.addr, 0).await;
    let mut cfg = config(&KEY);
    cfg.resume_sessions = false;
    let mut transport = DtlsTransport::connect(any_local(), relay.addr, cfg)
        .await
        .unwrap();
    transport.close().await;
    assert!(
        server.wait_for("DONE", 5 * SECOND).await,
        "{}",
        server.output.lock().unwrap()
    );
    let mark = relay.mark();
    transport.send(b"no resumption").await.unwrap();
    assert!(server.wait_for("no resumption", 5 * SECOND).await);
    assert!(!transport.session_reused());
    assert_eq!(transport.resumed_handshakes(), 0);
    let phase = relay.since(mark);
    assert!(offered_session_ids(&phase).iter().all(Vec::is_empty));
    assert_full_handshake(&phase);
}
