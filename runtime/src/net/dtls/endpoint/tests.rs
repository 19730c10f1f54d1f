//! The endpoint against an in-process OpenSSL DTLS server, both sans I/O, on a simulated
//! clock: nothing here waits for real time.

use openssl::ssl::{ErrorCode, Ssl, SslContext, SslMethod, SslOptions, SslStream, SslVersion};

use super::*;
use crate::net::dtls::config::context;
use crate::net::dtls::pipe::Pipe;
use crate::net::dtls::{Credentials, DEFAULT_CIPHERS, DtlsConfig, HANDSHAKE};

const IDENTITY: &[u8] = b"endpoint-test";
const KEY: [u8; 16] = *b"0123456789abcdef";

fn peer() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 5684))
}

fn endpoint(config: EndpointConfig) -> Endpoint<OpenSslEngine> {
    let credentials = Credentials::psk(IDENTITY.to_vec(), KEY.to_vec()).unwrap();
    let context = context(&DtlsConfig::new(credentials)).unwrap();
    Endpoint::new(OpenSslEngine::new(context, 1232), peer(), config)
}

fn server_context() -> SslContext {
    let mut builder = SslContext::builder(SslMethod::dtls_server()).unwrap();
    builder
        .set_min_proto_version(Some(SslVersion::DTLS1_2))
        .unwrap();
    builder
        .set_max_proto_version(Some(SslVersion::DTLS1_2))
        .unwrap();
    builder.set_cipher_list(DEFAULT_CIPHERS).unwrap();
    builder.set_security_level(0);
    builder.set_options(SslOptions::NO_QUERY_MTU);
    builder.set_session_id_context(b"endpoint-test").unwrap();
    builder.set_psk_server_callback(|_ssl, identity, key| {
        if identity != Some(IDENTITY) {
            return Ok(0);
        }
        key.get_mut(..KEY.len())
            .ok_or_else(openssl::error::ErrorStack::get)?
            .copy_from_slice(&KEY);
        Ok(KEY.len())
    });
    builder.build()
}

/// One association of the server: OpenSSL in accept state on a pipe.
struct Server {
    stream: SslStream<Pipe>,
    established: bool,
    inbox: Vec<Vec<u8>>,
}

impl Server {
    fn new(context: &SslContext) -> Server {
        let mut ssl = Ssl::new(context).unwrap();
        ssl.set_accept_state();
        ssl.set_mtu(1232).unwrap();
        Server {
            stream: SslStream::new(ssl, Pipe::default()).unwrap(),
            established: false,
            inbox: Vec::new(),
        }
    }

    /// Takes a datagram; returns what the server sends back.
    fn receive(&mut self, datagram: Vec<u8>) -> Vec<Vec<u8>> {
        self.stream.get_mut().push_incoming(datagram);
        if !self.established {
            match self.stream.do_handshake() {
                Ok(()) => self.established = true,
                Err(e) if e.code() == ErrorCode::WANT_READ => {}
                Err(e) => panic!("server handshake: {e}"),
            }
        }
        if self.established {
            let mut buf = [0u8; 2048];
            loop {
                match self.stream.ssl_read(&mut buf) {
                    Ok(len) => self.inbox.push(buf[..len].to_vec()),
                    Err(e) if e.code() == ErrorCode::WANT_READ => break,
                    Err(e) => panic!("server read: {e}"),
                }
            }
        }
        self.outgoing()
    }

    fn send(&mut self, plaintext: &[u8]) -> Vec<Vec<u8>> {
        self.stream.ssl_write(plaintext).unwrap();
        self.outgoing()
    }

    fn outgoing(&mut self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(datagram) = self.stream.get_mut().pop_outgoing() {
            out.push(datagram);
        }
        out
    }
}

/// Moves datagrams both ways until neither side has anything to send.
fn pump(client: &mut Endpoint<OpenSslEngine>, server: &mut Server, now: Instant) {
    for _ in 0..32 {
        let mut moved = false;
        while let Some(datagram) = client.poll_transmit() {
            moved = true;
            for answer in server.receive(datagram) {
                client.handle_datagram(now, &answer);
            }
        }
        if !moved {
            return;
        }
    }
    panic!("the handshake does not settle");
}

fn events(client: &mut Endpoint<OpenSslEngine>) -> Vec<EndpointEvent> {
    core::iter::from_fn(|| client.poll_event()).collect()
}

fn at(secs: u64) -> Instant {
    Instant::from_millis(secs * 1000)
}

#[test]
fn a_lost_client_hello_goes_again_when_the_simulated_timer_fires() {
    let mut client = endpoint(EndpointConfig::default());
    let mut server = Server::new(&server_context());
    let t0 = at(100);
    client.send(t0, b"hello", true);
    let lost: Vec<Vec<u8>> = core::iter::from_fn(|| client.poll_transmit()).collect();
    assert!(!lost.is_empty());
    assert_eq!(lost[0].first(), Some(&HANDSHAKE));
    assert_eq!(client.poll_timeout(), Some(t0 + Duration::from_secs(1)));
    client.handle_timeout(t0 + Duration::from_millis(999));
    assert_eq!(client.poll_transmit(), None, "not before the timer");
    client.handle_timeout(t0 + Duration::from_secs(1));
    let again: Vec<Vec<u8>> = core::iter::from_fn(|| client.poll_transmit()).collect();
    assert_eq!(again, lost, "the same flight, byte for byte");
    assert_eq!(
        client.poll_timeout(),
        Some(t0 + Duration::from_secs(3)),
        "the timer doubled"
    );
    for datagram in again {
        for answer in server.receive(datagram) {
            client.handle_datagram(t0 + Duration::from_secs(1), &answer);
        }
    }
    pump(&mut client, &mut server, t0 + Duration::from_secs(1));
    assert!(client.is_established());
    assert!(matches!(
        events(&mut client)[..],
        [EndpointEvent::Established {
            resumed: false,
            handshakes: 1
        }]
    ));
    assert_eq!(server.inbox, [b"hello".to_vec()], "sent once established");
    assert_eq!(
        client.poll_timeout(),
        None,
        "no timer in an established session"
    );
    for datagram in server.send(b"answer") {
        client.handle_datagram(t0 + Duration::from_secs(2), &datagram);
    }
    assert_eq!(client.poll_plaintext(), Some(b"answer".to_vec()));
}

#[test]
fn a_server_silent_for_minutes_times_the_handshake_out_on_schedule() {
    let mut client = endpoint(EndpointConfig::default());
    let t0 = at(0);
    client.send(t0, b"hello", true);
    let mut flights = 0;
    let mut now = t0;
    while let Some(deadline) = client.poll_timeout() {
        assert!(deadline > now, "the deadline moves forward");
        now = deadline;
        while client.poll_transmit().is_some() {}
        client.handle_timeout(now);
        if client.poll_transmit().is_some() {
            flights += 1;
        }
    }
    // Retransmissions at 1, 3, 7 and 15 s; the handshake gives up at 20 s.
    assert_eq!(flights, 4);
    assert_eq!(now, t0 + Duration::from_secs(20));
    assert!(matches!(
        events(&mut client)[..],
        [EndpointEvent::HandshakeFailed {
            error: DtlsError::Timeout { .. },
            move_port: true
        }]
    ));
    // Minutes later the server is back: the next send shakes hands again, from a fresh port
    // (the server may hold a half-made association for the old one).
    let later = t0 + Duration::from_secs(300);
    let mut server = Server::new(&server_context());
    client.send(later, b"again", true);
    assert!(matches!(events(&mut client)[..], [EndpointEvent::MovePort]));
    pump(&mut client, &mut server, later);
    assert!(client.is_established());
    assert_eq!(server.inbox, [b"again".to_vec()]);
}

#[test]
fn an_established_session_outlives_minutes_of_silence() {
    let mut client = endpoint(EndpointConfig::default());
    let mut server = Server::new(&server_context());
    client.connect(at(0));
    pump(&mut client, &mut server, at(0));
    events(&mut client);
    // Nothing to time in an established session: no deadline, no keep-alive.
    assert_eq!(client.poll_timeout(), None);
    client.handle_timeout(at(600));
    assert_eq!(client.poll_transmit(), None);
    // Ten minutes later a send goes at once in the same session.
    client.send(at(600), b"still here", true);
    pump(&mut client, &mut server, at(600));
    assert_eq!(server.inbox, [b"still here".to_vec()]);
    assert!(events(&mut client).is_empty(), "no new handshake");
}

#[test]
fn a_restarted_server_answers_the_offered_session_with_a_full_handshake() {
    let mut client = endpoint(EndpointConfig {
        rehandshake_after_unanswered: 1,
        ..EndpointConfig::default()
    });
    let mut server = Server::new(&server_context());
    client.connect(at(1));
    pump(&mut client, &mut server, at(1));
    events(&mut client);
    // Restarted: a new context, whose session cache is empty.
    let mut restarted = Server::new(&server_context());
    client.send(at(2), b"lost", true);
    // The new server drops records of a session it does not know: nothing comes back.
    while client.poll_transmit().is_some() {}
    client.send(at(30), b"after restart", true);
    pump(&mut client, &mut restarted, at(30));
    let seen = events(&mut client);
    assert!(
        matches!(
            seen[..],
            [
                EndpointEvent::MovePort,
                EndpointEvent::Established {
                    resumed: false,
                    handshakes: 2
                }
            ]
        ),
        "{seen:?}"
    );
    assert_eq!(restarted.inbox, [b"after restart".to_vec()]);
}

#[test]
fn close_sends_close_notify_and_the_next_send_resumes() {
    let context = server_context();
    let mut client = endpoint(EndpointConfig::default());
    let mut server = Server::new(&context);
    client.connect(at(1));
    pump(&mut client, &mut server, at(1));
    client.close();
    assert!(!client.is_established());
    let alert = client.poll_transmit().expect("close_notify");
    assert_eq!(alert.first(), Some(&crate::net::dtls::ALERT));
    let mut server = Server::new(&context);
    client.send(at(2), b"again", true);
    pump(&mut client, &mut server, at(2));
    let seen = events(&mut client);
    assert!(
        matches!(
            seen[..],
            [
                EndpointEvent::Established { resumed: false, .. },
                EndpointEvent::Established { resumed: true, .. }
            ]
        ),
        "{seen:?}"
    );
}

#[test]
fn a_new_handshake_resumes_the_last_session() {
    let context = server_context();
    let mut client = endpoint(EndpointConfig::default());
    let mut server = Server::new(&context);
    client.connect(at(1));
    pump(&mut client, &mut server, at(1));
    assert!(client.is_established());
    // A new association (as from a fresh port) with the same server.
    let mut server = Server::new(&context);
    client.connect(at(2));
    pump(&mut client, &mut server, at(2));
    let seen = events(&mut client);
    assert!(
        matches!(
            seen[..],
            [
                EndpointEvent::Established {
                    resumed: false,
                    handshakes: 1
                },
                EndpointEvent::Established {
                    resumed: true,
                    handshakes: 2
                }
            ]
        ),
        "{seen:?}"
    );
    // Resumption off: a full handshake.
    let mut client = endpoint(EndpointConfig {
        resume_sessions: false,
        ..EndpointConfig::default()
    });
    let mut server = Server::new(&context);
    client.connect(at(3));
    pump(&mut client, &mut server, at(3));
    let mut server = Server::new(&context);
    client.connect(at(4));
    pump(&mut client, &mut server, at(4));
    assert!(matches!(
        events(&mut client)[..],
        [
            EndpointEvent::Established { resumed: false, .. },
            EndpointEvent::Established { resumed: false, .. }
        ]
    ));
}

#[test]
fn unanswered_sends_to_a_restarted_server_lead_to_a_new_handshake() {
    let mut client = endpoint(EndpointConfig::default());
    let mut server = Server::new(&server_context());
    client.connect(at(1));
    pump(&mut client, &mut server, at(1));
    events(&mut client);
    // The server restarts: it knows nothing of the session and drops its records. The client
    // sends four confirmable messages that get no answer, and non-confirmable ones, which do
    // not count.
    let mut restarted = Server::new(&server_context());
    for n in 0..4u8 {
        client.send(at(2), &[0x50, n], false);
        client.send(at(2), &[n], true);
        let records: Vec<Vec<u8>> = core::iter::from_fn(|| client.poll_transmit()).collect();
        assert!(records.iter().all(|r| r.first() != Some(&HANDSHAKE)));
    }
    // The next send, whatever it is, goes after a new handshake.
    client.send(at(3), b"fifth", true);
    let first = client.poll_transmit().expect("a ClientHello");
    assert_eq!(first.first(), Some(&HANDSHAKE));
    for answer in restarted.receive(first) {
        client.handle_datagram(at(3), &answer);
    }
    pump(&mut client, &mut restarted, at(3));
    assert!(client.is_established());
    assert_eq!(restarted.inbox, [b"fifth".to_vec()]);
    let seen = events(&mut client);
    assert!(
        matches!(
            seen[..],
            [
                EndpointEvent::MovePort,
                EndpointEvent::Established { handshakes: 2, .. }
            ]
        ),
        "a lost session asks for a fresh port first: {seen:?}"
    );
    // An answer resets the count: four more unanswered are needed for the next handshake.
    for datagram in restarted.send(b"ack") {
        client.handle_datagram(at(4), &datagram);
    }
    assert_eq!(client.poll_plaintext(), Some(b"ack".to_vec()));
    for n in 0..3u8 {
        client.send(at(4), &[n], true);
    }
    client.send(at(4), b"fourth", true);
    let records: Vec<Vec<u8>> = core::iter::from_fn(|| client.poll_transmit()).collect();
    assert!(records.iter().all(|r| r.first() != Some(&HANDSHAKE)));
}

#[test]
fn garbage_and_foreign_datagrams_change_nothing() {
    let mut client = endpoint(EndpointConfig::default());
    let mut server = Server::new(&server_context());
    client.connect(at(1));
    client.handle_datagram(at(1), b"\x45 not dtls at all");
    client.handle_datagram(at(1), &[]);
    pump(&mut client, &mut server, at(1));
    assert!(client.is_established());
    client.handle_datagram(
        at(2),
        &[23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0, 4, 1, 2, 3, 4],
    );
    assert!(
        client.is_established(),
        "a forged record is dropped by DTLS"
    );
    assert_eq!(client.poll_plaintext(), None);
}
