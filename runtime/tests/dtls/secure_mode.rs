//! Secure mode: with a DTLS transport, only the DTLS session can deliver a message to the
//! client. Plaintext CoAP requests sent to the client's socket — from the server's address,
//! dressed as DTLS records, or from another address — are never delivered, and they do not
//! disturb the session (RFC 6347 §4.1.2.7: invalid records are silently discarded).
//!
//! Each test proves the absence by order, not by a timeout: the forged datagrams reach the
//! client's socket before a genuine message is sent in the session, and the genuine message
//! must be the first thing `recv` returns.
#![allow(clippy::unwrap_used, missing_docs)]

use crate::support::*;
use lwm2m::net::Transport;
use lwm2m::net::dtls::APPLICATION_DATA;
use tokio::net::UdpSocket;

/// A CoAP CON GET /3/0/0 (RFC 7252 §3: version 1, CON, no token, code 0.01, message ID 0x7701,
/// then Uri-Path options "3", "0", "0"): a Read request a server would send.
const PLAINTEXT_READ: [u8; 10] = [0x40, 0x01, 0x77, 0x01, 0xb1, b'3', 0x01, b'0', 0x01, b'0'];

/// A DTLS 1.2 record (RFC 6347 §4.1: type, version 254.253, epoch, 48-bit sequence number,
/// length, fragment) carrying `fragment` as is, unprotected.
fn forged_record(content_type: u8, epoch: u16, sequence: u64, fragment: &[u8]) -> Vec<u8> {
    let mut record = vec![content_type, 0xfe, 0xfd];
    record.extend(epoch.to_be_bytes());
    record.extend(&sequence.to_be_bytes()[2..]);
    record.extend(u16::try_from(fragment.len()).unwrap().to_be_bytes());
    record.extend(fragment);
    record
}

/// Sends the plaintext request to the client every way an attacker could: from the server's
/// address (the relay, which the client takes for the server) in the clear and as forged
/// application-data records of epoch 0 (no protection) and epoch 1 (the session's epoch, but
/// not under its keys), and in the clear from another address.
async fn forge_requests(relay: &Relay, client: std::net::SocketAddr) {
    relay.inject_to_client(&PLAINTEXT_READ).await;
    for (epoch, sequence) in [(0, 9), (1, 5), (1, 1000)] {
        let record = forged_record(APPLICATION_DATA, epoch, sequence, &PLAINTEXT_READ);
        relay.inject_to_client(&record).await;
    }
    let stranger = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    stranger.send_to(&PLAINTEXT_READ, client).await.unwrap();
}

#[tokio::test]
async fn plaintext_requests_are_never_delivered_in_an_established_session() {
    let mut server = SServer::start(free_udp_port(), &KEY, "PSK-AES128-CCM8").await;
    let relay = Relay::start(server.addr, 0).await;
    let mut transport = OneServer::connect(any_local(), relay.addr, config(&KEY)).await;
    let client = transport.local_addr();

    forge_requests(&relay, client).await;
    server.say("genuine");
    let first = transport.recv_within(5 * SECOND).await;
    assert!(first.starts_with(b"genuine"), "delivered: {first:02x?}");

    // The forgeries did not break the session: it still carries data both ways, with the
    // first handshake.
    assert!(transport.status().established);
    transport.send(b"still here").await.unwrap();
    assert!(server.wait_for("still here", 5 * SECOND).await);
    assert_eq!(transport.handshakes(), 1);
}

#[tokio::test]
async fn plaintext_requests_are_never_delivered_without_a_session() {
    let mut server = SServer::start(free_udp_port(), &KEY, "PSK-AES128-CCM8").await;
    let relay = Relay::start(server.addr, 0).await;
    let mut transport = OneServer::connect(any_local(), relay.addr, config(&KEY)).await;
    let client = transport.local_addr();
    transport.close();
    assert!(server.wait_for("DONE", 5 * SECOND).await);
    assert!(!transport.status().established);

    // Without a session, `recv` reads the forgeries (already in the socket's queue) and drops
    // them: nothing is delivered.
    forge_requests(&relay, client).await;
    let mut buf = [0u8; 64];
    let delivered = tokio::time::timeout(SECOND / 2, transport.transport.recv_from(&mut buf)).await;
    assert!(delivered.is_err(), "delivered: {delivered:?} {buf:02x?}");

    // Forgeries waiting in the socket when a handshake starts are read past by it.
    forge_requests(&relay, client).await;
    transport.send(b"new session").await.unwrap();
    assert!(server.wait_for("new session", 5 * SECOND).await);
    server.say("genuine");
    let first = transport.recv_within(5 * SECOND).await;
    assert!(first.starts_with(b"genuine"), "delivered: {first:02x?}");
    assert_eq!(transport.handshakes(), 2);
}
