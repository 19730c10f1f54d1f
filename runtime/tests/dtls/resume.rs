//! DTLS session resumption against real peers (`openssl s_server`, libcoap's
//! `coap-server-openssl`), through the recording relay of `support`.
//!
//! A resumed DTLS 1.2 session is an abbreviated handshake (RFC 5246 §7.3, RFC 6347 §4.2.4): the
//! client offers the old session ID in its ClientHello, the server echoes it in its ServerHello
//! and goes straight to ChangeCipherSpec and Finished. There is no ServerHelloDone and no
//! ClientKeyExchange, which the full handshake always has, so the captures tell the two apart
//! independently of what the client reports.
#![allow(clippy::unwrap_used, missing_docs)]

use crate::support::*;

/// A CoAP GET of `/` to libcoap's server and its 2.05 answer (matched by message ID, RFC 7252
/// §4.4: an ACK carries the message ID of the CON; code 2.05 is 0x45).
async fn get_root(transport: &mut OneServer, mid: u16) {
    transport.send(&coap_get_root(mid, 0x5a)).await.unwrap();
    let answer = transport.recv_within(5 * SECOND).await;
    assert_eq!(answer[1], 0x45, "not 2.05 Content: {answer:02x?}");
    assert_eq!(answer[2..4], mid.to_be_bytes(), "{answer:02x?}");
}

#[tokio::test]
async fn s_server_resumes_the_session_in_an_abbreviated_handshake() {
    let server = SServer::start(free_udp_port(), &KEY, "PSK-AES128-CCM8").await;
    let relay = Relay::start(server.addr, 0).await;
    let mut transport = OneServer::connect(any_local(), relay.addr, config(&KEY)).await;
    assert!(!transport.status().resumed);
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
    transport.close();
    assert!(
        server.wait_for("DONE", 5 * SECOND).await,
        "{}",
        server.output.lock().unwrap()
    );
    let mark = relay.mark();
    transport.send(b"second session").await.unwrap();
    assert!(server.wait_for("second session", 5 * SECOND).await);

    assert!(transport.status().resumed);
    assert_eq!(transport.handshakes(), 2);
    assert_eq!(transport.status().resumed_handshakes, 1);
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
    let mut transport = OneServer::connect(any_local(), relay.addr, cfg).await;
    get_root(&mut transport, 1).await;
    let full = relay.since(0);
    assert_full_handshake(&full);
    let first_local = transport.local_addr();
    assert_eq!(
        transport.poll_change(),
        None,
        "the first handshake is no change"
    );

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
    assert!(transport.status().resumed);
    assert_eq!(transport.status().resumed_handshakes, 1);
    let resumed = relay.since(mark);
    assert_abbreviated_handshake(&resumed);
    assert_one_round_trip_less(&resumed, &full);
    // None of the CoAP messages went out in the clear. Each is searched whole (header and
    // token, 5 bytes): a 2-byte pattern such as `41 01` also turns up, now and then, in the
    // random bytes of a ClientHello.
    for mid in 1..=4 {
        assert_only_dtls_from_client(&relay.capture, &coap_get_root(mid, 0x5a));
    }

    // The session was lost silently: the new handshake went out from a fresh local port, and
    // the change is reported once, for the client to update its registration.
    let new_local = transport.local_addr();
    assert_eq!(new_local.ip(), first_local.ip());
    assert_ne!(new_local.port(), first_local.port());
    assert_eq!(transport.status().port_changes, 1);
    let change = transport.poll_change().unwrap();
    assert_eq!(change.server, relay.addr);
    assert_eq!(change.local, Some(new_local));
    assert!(change.moved && change.resumed, "{change:?}");
    assert_eq!(transport.poll_change(), None);
}

#[tokio::test]
async fn a_pinned_local_port_is_kept_when_the_session_is_lost() {
    let server = CoapServer::start(free_udp_port_pair(), "resume-secret").await;
    let relay = Relay::start(server.addr, 0).await;
    let mut cfg = libcoap_config("resume-secret");
    cfg.rehandshake_after_unanswered = 2;
    let pinned = std::net::SocketAddr::from(([127, 0, 0, 1], free_udp_port()));
    let mut transport = OneServer::connect(pinned, relay.addr, cfg).await;
    assert_eq!(transport.local_addr(), pinned);
    get_root(&mut transport, 1).await;

    // Lost as above; the relay's new address lets the server accept the new ClientHello
    // from the same client port.
    relay.rebind();
    transport.send(&coap_get_root(2, 0x5a)).await.unwrap();
    transport.send(&coap_get_root(3, 0x5a)).await.unwrap();
    get_root(&mut transport, 4).await;

    assert_eq!(transport.handshakes(), 2);
    assert_eq!(transport.local_addr(), pinned);
    assert_eq!(transport.status().port_changes, 0);
    let change = transport.poll_change().unwrap();
    assert!(!change.moved && change.resumed, "{change:?}");
}

#[tokio::test]
async fn non_confirmable_messages_do_not_count_as_unanswered() {
    let server = CoapServer::start(free_udp_port_pair(), "resume-secret").await;
    let relay = Relay::start(server.addr, 0).await;
    let mut cfg = libcoap_config("resume-secret");
    cfg.rehandshake_after_unanswered = 2;
    let mut transport = OneServer::connect(any_local(), relay.addr, cfg).await;
    get_root(&mut transport, 1).await;
    // Notifications are mostly non-confirmable: the server sends nothing back to them.
    for mid in 2..6 {
        let mut notification = coap_get_root(mid, 0x5a);
        notification[0] = 0x51; // NON, token length 1
        notification[1] = 0x45; // 2.05 Content
        transport.send(&notification).await.unwrap();
    }
    get_root(&mut transport, 6).await;
    assert_eq!(transport.handshakes(), 1, "a healthy session was dropped");
    assert_eq!(transport.status().port_changes, 0);
    assert_eq!(transport.poll_change(), None);
}

#[tokio::test]
async fn an_outage_longer_than_a_handshake_still_ends_in_a_resumed_session() {
    let server = CoapServer::start(free_udp_port_pair(), "resume-secret").await;
    let relay = Relay::start(server.addr, 0).await;
    let mut cfg = libcoap_config("resume-secret");
    cfg.rehandshake_after_unanswered = 1;
    cfg.handshake_timeout = 2 * SECOND;
    let mut transport = OneServer::connect(any_local(), relay.addr, cfg).await;
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
    assert!(transport.status().resumed);
    assert_abbreviated_handshake(&relay.since(mark));
}

#[tokio::test]
async fn a_restarted_server_refuses_the_session_and_a_full_handshake_follows() {
    let port = free_udp_port();
    let mut server = SServer::start(port, &KEY, "PSK-AES128-CCM8").await;
    let relay = Relay::start(server.addr, 0).await;
    let mut cfg = config(&KEY);
    cfg.rehandshake_after_unanswered = 2;
    let mut transport = OneServer::connect(any_local(), relay.addr, cfg).await;
    transport.send(b"before restart").await.unwrap();
    assert!(server.wait_for("before restart", 5 * SECOND).await);
    server.say("ack");
    assert_eq!(transport.recv_within(5 * SECOND).await[..3], *b"ack");

    drop(server);
    let server = SServer::start(port, &KEY, "PSK-AES128-CCM8").await;
    let mark = relay.mark();
    transport.send(b"lost one").await.unwrap();
    transport.send(b"lost two").await.unwrap();
    transport.send(b"after restart").await.unwrap();
    assert!(server.wait_for("after restart", 5 * SECOND).await);

    assert_eq!(transport.handshakes(), 2);
    assert!(!transport.status().resumed);
    assert_eq!(transport.status().resumed_handshakes, 0);
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
    let mut transport = OneServer::connect(any_local(), relay.addr, cfg).await;
    transport.close();
    assert!(
        server.wait_for("DONE", 5 * SECOND).await,
        "{}",
        server.output.lock().unwrap()
    );
    let mark = relay.mark();
    transport.send(b"no resumption").await.unwrap();
    assert!(server.wait_for("no resumption", 5 * SECOND).await);
    assert!(!transport.status().resumed);
    assert_eq!(transport.status().resumed_handshakes, 0);
    let phase = relay.since(mark);
    assert!(offered_session_ids(&phase).iter().all(Vec::is_empty));
    assert_full_handshake(&phase);
}
