//! DTLS 1.2 PSK against a real peer, `openssl s_server`, through a recording UDP relay.
//!
//! Each test starts its own `s_server` on a free loopback port (and kills it by its child
//! handle when done); the relay between client and server records every datagram, so the tests
//! can assert that only DTLS records ever left the client's socket.
#![cfg(feature = "dtls")]
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::{Read, Write};
use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lwm2m::net::Transport;
use lwm2m::net::dtls::{
    ALERT, APPLICATION_DATA, CHANGE_CIPHER_SPEC, Credentials, DtlsConfig, DtlsError, DtlsTransport,
    HANDSHAKE, RECORD_HEADER_LEN,
};
use lwm2m::objects::Security;
use tokio::net::UdpSocket;

const IDENTITY: &[u8] = b"lwm2m-dev-1";
const KEY: [u8; 16] = [
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
];

/// A CoAP CON POST /rd?ep=dtls-dev with a link-format payload: what a Register looks like.
fn coap_register() -> Vec<u8> {
    let mut m = vec![0x44, 0x02, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef];
    m.extend([0xb2, b'r', b'd']); // Uri-Path (11) "rd"
    m.push(0x4b); // Uri-Query (15 = 11 + 4), length 11
    m.extend(b"ep=dtls-dev");
    m.push(0xff);
    m.extend(b"</3/0>,</3303/0>");
    m
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn free_udp_port() -> u16 {
    StdUdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `openssl s_server` in DTLS 1.2 PSK mode; killed on drop.
struct SServer {
    child: Child,
    stdin: ChildStdin,
    output: Arc<Mutex<String>>,
    addr: SocketAddr,
}

impl SServer {
    async fn start(port: u16, key: &[u8], cipher: &str) -> SServer {
        let mut child = Command::new("openssl")
            .args(["s_server", "-dtls1_2", "-nocert", "-psk"])
            .arg(hex(key))
            .arg("-psk_identity")
            .arg(std::str::from_utf8(IDENTITY).unwrap())
            .args(["-cipher", cipher, "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server (apt-get install openssl)");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let output = Arc::new(Mutex::new(String::new()));
        let sink = output.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let server = SServer {
            child,
            stdin,
            output,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        };
        assert!(
            server.wait_for("ACCEPT", Duration::from_secs(10)).await,
            "s_server did not start"
        );
        server
    }

    /// Waits (without blocking the runtime: the relay runs on it) until s_server printed `text`.
    async fn wait_for(&self, text: &str, within: Duration) -> bool {
        let give_up = Instant::now() + within;
        while Instant::now() < give_up {
            if self.output.lock().unwrap().contains(text) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }

    /// Sends a line to the client (s_server writes its stdin into the session).
    fn say(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
    }
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Which way a recorded datagram went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    FromClient,
    FromServer,
}

type Capture = Arc<Mutex<Vec<(Dir, Vec<u8>)>>>;

/// A UDP relay on loopback between the client and `server` that records every datagram and
/// drops the first `drop_from_client` datagrams of the client.
async fn relay(server: SocketAddr, drop_from_client: usize) -> (SocketAddr, Capture) {
    let front = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let back = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    back.connect(server).await.unwrap();
    let addr = front.local_addr().unwrap();
    let capture: Capture = Arc::default();
    let record = capture.clone();
    tokio::spawn(async move {
        let mut client = None;
        let mut dropped = 0;
        let (mut a, mut b) = (vec![0u8; 65_535], vec![0u8; 65_535]);
        loop {
            tokio::select! {
                Ok((n, from)) = front.recv_from(&mut a) => {
                    client = Some(from);
                    record.lock().unwrap().push((Dir::FromClient, a[..n].to_vec()));
                    if dropped < drop_from_client {
                        dropped += 1;
                        continue;
                    }
                    let _ = back.send(&a[..n]).await;
                }
                Ok(n) = back.recv(&mut b) => {
                    record.lock().unwrap().push((Dir::FromServer, b[..n].to_vec()));
                    if let Some(to) = client {
                        let _ = front.send_to(&b[..n], to).await;
                    }
                }
            }
        }
    });
    (addr, capture)
}

/// The content types of the DTLS records of a datagram; `None` unless the datagram is exactly a
/// sequence of well-formed DTLS 1.2 (or 1.0 ClientHello) record headers and bodies.
fn record_types(datagram: &[u8]) -> Option<Vec<u8>> {
    let mut types = Vec::new();
    let mut rest = datagram;
    while !rest.is_empty() {
        let header = rest.get(..RECORD_HEADER_LEN)?;
        let version = [header[1], header[2]];
        if version != [0xfe, 0xfd] && version != [0xfe, 0xff] {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([header[11], header[12]]));
        rest = rest.get(RECORD_HEADER_LEN + len..)?;
        types.push(header[0]);
    }
    Some(types)
}

/// Asserts that every datagram the client sent is DTLS records only, and never holds `secret`.
fn assert_only_dtls_from_client(capture: &Capture, secret: &[u8]) -> Vec<u8> {
    let capture = capture.lock().unwrap();
    let mut all = Vec::new();
    for (dir, datagram) in capture.iter().filter(|(d, _)| *d == Dir::FromClient) {
        let types = record_types(datagram)
            .unwrap_or_else(|| panic!("{dir:?} datagram is not DTLS records: {datagram:02x?}"));
        for t in &types {
            assert!(
                [HANDSHAKE, CHANGE_CIPHER_SPEC, ALERT, APPLICATION_DATA].contains(t),
                "content type {t}"
            );
        }
        assert!(
            !datagram.windows(secret.len()).any(|w| w == secret),
            "plaintext on the wire: {datagram:02x?}"
        );
        // A CoAP header (version 1) is never the first byte of a datagram.
        assert_ne!(datagram[0] >> 6, 1, "CoAP header in the clear");
        all.extend(types);
    }
    assert!(!all.is_empty(), "the client sent nothing");
    all
}

fn config(key: &[u8]) -> DtlsConfig {
    let security = Security::psk("coaps://127.0.0.1", 1, IDENTITY, key);
    DtlsConfig::new(Credentials::from_security(&security).unwrap())
}

fn any_local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

async fn recv_within(transport: &mut DtlsTransport, within: Duration) -> Vec<u8> {
    let mut buf = vec![0u8; 2048];
    let (n, from) = tokio::time::timeout(within, transport.recv_from(&mut buf))
        .await
        .expect("no datagram from the server")
        .unwrap();
    assert_eq!(from, transport.peer_addr());
    buf.truncate(n);
    buf
}

#[tokio::test]
async fn psk_aes128_ccm8_handshake_and_coap_round_trip() {
    let mut server = SServer::start(free_udp_port(), &KEY, "PSK-AES128-CCM8").await;
    let (relay, capture) = relay(server.addr, 0).await;
    let mut transport = DtlsTransport::connect(any_local(), relay, config(&KEY))
        .await
        .unwrap();
    assert!(transport.is_established());
    assert!(
        server
            .wait_for("CIPHER is PSK-AES128-CCM8", Duration::from_secs(5))
            .await
    );

    let register = coap_register();
    transport.send_to(&register, relay).await.unwrap();
    assert!(
        server
            .wait_for("</3/0>,</3303/0>", Duration::from_secs(5))
            .await,
        "the server did not decrypt the CoAP message: {}",
        server.output.lock().unwrap()
    );
    server.say("pong-from-server");
    let answer = recv_within(&mut transport, Duration::from_secs(5)).await;
    // s_server may send the line and its newline in two records.
    assert!(answer.starts_with(b"pong-from-server"), "{answer:?}");

    let types = assert_only_dtls_from_client(&capture, b"</3/0>");
    assert!(types.contains(&APPLICATION_DATA) && types.contains(&HANDSHAKE));
    assert_eq!(transport.handshakes(), 1);
}

#[tokio::test]
async fn psk_aes128_cbc_sha256_is_offered_too() {
    let server = SServer::start(free_udp_port(), &KEY, "PSK-AES128-CBC-SHA256").await;
    let mut transport = DtlsTransport::connect(any_local(), server.addr, config(&KEY))
        .await
        .unwrap();
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
    let (relay, capture) = relay(server.addr, 0).await;
    let mut wrong = config(&[0x55; 16]);
    wrong.handshake_timeout = Duration::from_secs(3);
    let mut transport = DtlsTransport::bind(any_local(), relay, wrong)
        .await
        .unwrap();

    // Sending asks for a handshake first, which fails: the CoAP message never leaves.
    let register = coap_register();
    let err = transport.send(&register).await.unwrap_err();
    let text = err.to_string();
    match &err {
        DtlsError::Timeout { hint, .. } => {
            assert!(hint.contains("wrong pre-shared key"), "{text}")
        }
        DtlsError::Alert { alert, .. } => assert!(alert.level == 2, "{text}"),
        other => panic!("unexpected error: {other}"),
    }
    assert!(text.contains("DTLS handshake with"), "{text}");
    assert!(!transport.is_established());
    let io_err = transport.send_to(&register, relay).await.unwrap_err();
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
    let (relay, capture) = relay(server.addr, 2).await;
    let started = Instant::now();
    let mut transport = DtlsTransport::connect(any_local(), relay, config(&KEY))
        .await
        .unwrap();
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
    let mut transport = DtlsTransport::connect(any_local(), server.addr, cfg)
        .await
        .unwrap();
    transport.send(b"before restart").await.unwrap();
    assert!(
        server
            .wait_for("before restart", Duration::from_secs(5))
            .await
    );
    server.say("ack");
    assert_eq!(
        recv_within(&mut transport, Duration::from_secs(5)).await[..3],
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
    let transport = DtlsTransport::bind(any_local(), server, config)
        .await
        .unwrap();

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
