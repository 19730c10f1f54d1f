//! Shared by the modules of the `dtls` test binary: real DTLS peers (`openssl s_server`, libcoap's
//! `coap-server-openssl`), started on free loopback ports and killed by their child handle, and a
//! recording UDP relay between the client and the server that can lose datagrams, move the
//! client to a new address (NAT rebinding: a lost connection) and inject datagrams, and a
//! NAT-like relay that gives each client port its own address at the server.

// A failed unwrap is a failed test here; not every test file uses every helper.
#![allow(clippy::unwrap_used, dead_code, missing_docs)]

use lwm2m::Instant;
use std::io::{Read, Write};
use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lwm2m::net::dtls::{
    ALERT, APPLICATION_DATA, CHANGE_CIPHER_SPEC, Credentials, DtlsConfig, DtlsError, HANDSHAKE,
    PeerStatus, RECORD_HEADER_LEN, SecureTransport,
};
use lwm2m::net::{Transport, TransportChange};
use lwm2m::objects::Security;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

pub const SECOND: Duration = Duration::from_secs(1);

pub const IDENTITY: &[u8] = b"lwm2m-dev-1";
pub const KEY: [u8; 16] = [
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
];

/// The DTLS handshake message types (RFC 5246 §7.4, RFC 6347 §4.3.2).
pub const CLIENT_HELLO: u8 = 1;
pub const SERVER_HELLO: u8 = 2;
pub const HELLO_VERIFY_REQUEST: u8 = 3;
pub const NEW_SESSION_TICKET: u8 = 4;
pub const SERVER_KEY_EXCHANGE: u8 = 12;
pub const SERVER_HELLO_DONE: u8 = 14;
pub const CLIENT_KEY_EXCHANGE: u8 = 16;

/// A CoAP CON POST /rd?ep=dtls-dev with a link-format payload: what a Register looks like.
pub fn coap_register() -> Vec<u8> {
    let mut m = vec![0x44, 0x02, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef];
    m.extend([0xb2, b'r', b'd']); // Uri-Path (11) "rd"
    m.push(0x4b); // Uri-Query (15 = 11 + 4), length 11
    m.extend(b"ep=dtls-dev");
    m.push(0xff);
    m.extend(b"</3/0>,</3303/0>");
    m
}

/// A CoAP CON GET of the root resource with message ID `mid` and the 1-byte token `token`
/// (RFC 7252 §3: version 1, type CON, TKL 1, code 0.01).
pub fn coap_get_root(mid: u16, token: u8) -> Vec<u8> {
    let [hi, lo] = mid.to_be_bytes();
    vec![0x41, 0x01, hi, lo, token]
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn free_udp_port() -> u16 {
    StdUdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A free port `p` whose `p + 1` is free too (libcoap listens for DTLS on port + 1).
pub fn free_udp_port_pair() -> u16 {
    loop {
        let port = free_udp_port();
        if port < u16::MAX && StdUdpSocket::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
}

/// Copies a child's output into a shared string, from a thread.
fn collect(mut from: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let output = Arc::new(Mutex::new(String::new()));
    let sink = output.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    output
}

/// Waits (without blocking the runtime: the relay runs on it) until `output` contains `text`.
async fn wait_for_text(output: &Mutex<String>, text: &str, within: Duration) -> bool {
    let give_up = Instant::now() + within;
    while Instant::now() < give_up {
        if output.lock().unwrap().contains(text) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

/// `openssl s_server` in DTLS 1.2 PSK mode; killed on drop. Its session cache is on (only
/// `-no_cache` turns it off), so it resumes sessions of earlier connections.
pub struct SServer {
    child: Child,
    stdin: ChildStdin,
    pub output: Arc<Mutex<String>>,
    pub addr: SocketAddr,
}

impl SServer {
    pub async fn start(port: u16, key: &[u8], cipher: &str) -> SServer {
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
        let output = collect(child.stdout.take().unwrap());
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

    /// Waits until s_server printed `text`.
    pub async fn wait_for(&self, text: &str, within: Duration) -> bool {
        wait_for_text(&self.output, text, within).await
    }

    /// How often s_server printed `text`.
    pub fn count(&self, text: &str) -> usize {
        self.output.lock().unwrap().matches(text).count()
    }

    /// Sends `bytes` to the client in one record (s_server writes each read of its stdin into
    /// the session; `bytes` must not start with one of its command letters `Q`, `q`, `P`, `S`).
    pub fn say_raw(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Sends a line to the client (s_server writes its stdin into the session).
    pub fn say(&mut self, line: &str) {
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

/// libcoap's `coap-server-openssl` (Debian libcoap3-bin) with a PSK, DTLS on `port + 1`, its
/// log (verbosity 7: DTLS events) in a temporary file; killed on drop. It serves many DTLS
/// sessions at once, one per client address, from one OpenSSL context.
pub struct CoapServer {
    child: Child,
    log: PathBuf,
    pub addr: SocketAddr,
}

impl CoapServer {
    pub async fn start(port: u16, key: &str) -> CoapServer {
        CoapServer::start_program("coap-server-openssl", port, key).await
    }

    /// libcoap's resource directory `coap-rd-openssl` (it accepts `POST /rd` and answers 2.01),
    /// started as [`start`](Self::start) starts the server.
    pub async fn start_rd(port: u16, key: &str) -> CoapServer {
        CoapServer::start_program("coap-rd-openssl", port, key).await
    }

    async fn start_program(program: &str, port: u16, key: &str) -> CoapServer {
        let log = std::env::temp_dir().join(format!("dtls-{program}-{port}.log"));
        let child = Command::new(program)
            .args(["-A", "127.0.0.1", "-p"])
            .arg(port.to_string())
            .args(["-k", key, "-v", "7"])
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{program} (apt-get install libcoap3-bin): {e}"));
        let server = CoapServer {
            child,
            log,
            addr: SocketAddr::from(([127, 0, 0, 1], port + 1)),
        };
        // Handshakes retransmit, but a server that is up first keeps the captures simple.
        let ready = format!("created DTLS endpoint {}", server.addr);
        let give_up = Instant::now() + Duration::from_secs(5);
        while Instant::now() < give_up && !server.log().contains(&ready) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(server.log().contains(&ready), "{program} did not start");
        server
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for CoapServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// Which way a recorded datagram went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    FromClient,
    FromServer,
}

pub type Capture = Arc<Mutex<Vec<(Dir, Vec<u8>)>>>;

/// What the test asks of a running relay.
enum Control {
    /// Talk to the server from a new socket (a new source port) from now on.
    Rebind,
    /// Drop (`true`) or forward again (`false`) every datagram of the client: a network outage.
    Cut(bool),
}

/// A UDP relay on loopback between the client and a server that records every datagram.
pub struct Relay {
    /// Where the client sends: to the client, this is the server's address.
    pub addr: SocketAddr,
    pub capture: Capture,
    front: Arc<UdpSocket>,
    client: Arc<Mutex<Option<SocketAddr>>>,
    control: mpsc::UnboundedSender<Control>,
}

impl Relay {
    /// A relay to `server` that drops the first `drop_from_client` datagrams of the client.
    pub async fn start(server: SocketAddr, drop_from_client: usize) -> Relay {
        let front = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let mut back = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        back.connect(server).await.unwrap();
        let addr = front.local_addr().unwrap();
        let capture: Capture = Arc::default();
        let client: Arc<Mutex<Option<SocketAddr>>> = Arc::default();
        let (control, mut commands) = mpsc::unbounded_channel();
        let (record, seen, front_task) = (capture.clone(), client.clone(), front.clone());
        tokio::spawn(async move {
            let mut dropped = 0;
            let mut cut = false;
            let (mut a, mut b) = (vec![0u8; 65_535], vec![0u8; 65_535]);
            loop {
                tokio::select! {
                    Ok((n, from)) = front_task.recv_from(&mut a) => {
                        *seen.lock().unwrap() = Some(from);
                        record.lock().unwrap().push((Dir::FromClient, a[..n].to_vec()));
                        if cut {
                            continue;
                        }
                        if dropped < drop_from_client {
                            dropped += 1;
                            continue;
                        }
                        let _ = back.send(&a[..n]).await;
                    }
                    Ok(n) = back.recv(&mut b) => {
                        record.lock().unwrap().push((Dir::FromServer, b[..n].to_vec()));
                        let to = *seen.lock().unwrap();
                        if let Some(to) = to {
                            let _ = front_task.send_to(&b[..n], to).await;
                        }
                    }
                    Some(command) = commands.recv() => match command {
                        Control::Rebind => {
                            back = UdpSocket::bind("127.0.0.1:0").await.unwrap();
                            back.connect(server).await.unwrap();
                        }
                        Control::Cut(on) => cut = on,
                    },
                }
            }
        });
        Relay {
            addr,
            capture,
            front,
            client,
            control,
        }
    }

    /// From now on the server sees the client at a new address, as after a NAT rebinding: the
    /// server's DTLS association with the old address is lost to the client.
    pub fn rebind(&self) {
        self.control.send(Control::Rebind).unwrap();
    }

    /// Drops every datagram of the client from now on (`true`), or forwards them again.
    pub fn cut(&self, on: bool) {
        self.control.send(Control::Cut(on)).unwrap();
    }

    /// Sends `datagram` to the client from the relay's address, which the client takes for
    /// the server's.
    pub async fn inject_to_client(&self, datagram: &[u8]) {
        let client = self.client.lock().unwrap().expect("no client seen yet");
        self.front.send_to(datagram, client).await.unwrap();
    }

    /// How many datagrams were recorded so far (to split the capture in phases).
    pub fn mark(&self) -> usize {
        self.capture.lock().unwrap().len()
    }

    /// The recorded datagrams from `from` (a [`mark`](Self::mark)) on.
    pub fn since(&self, from: usize) -> Vec<(Dir, Vec<u8>)> {
        self.capture.lock().unwrap()[from..].to_vec()
    }
}

/// A UDP relay on loopback that behaves like a NAT: each client address (IP and port) gets its
/// own socket towards the server, so the server sees a client that moved to a new local port
/// at a new address too (the plain [`Relay`] forwards every client from one socket). Records
/// every datagram; [`cut`](Self::cut) drops everything both ways (a network outage).
pub struct NatRelay {
    /// Where the client sends: to the client, this is the server's address.
    pub addr: SocketAddr,
    pub capture: Capture,
    cut: Arc<std::sync::atomic::AtomicBool>,
    /// (client address, the address the server sees it at), in the order the clients came.
    mappings: Arc<Mutex<Vec<(SocketAddr, SocketAddr)>>>,
}

impl NatRelay {
    pub async fn start(server: SocketAddr) -> NatRelay {
        let front = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let addr = front.local_addr().unwrap();
        let capture: Capture = Arc::default();
        let cut = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mappings: Arc<Mutex<Vec<(SocketAddr, SocketAddr)>>> = Arc::default();
        let (record, is_cut, table) = (capture.clone(), cut.clone(), mappings.clone());
        tokio::spawn(async move {
            let mut backs: Vec<(SocketAddr, Arc<UdpSocket>)> = Vec::new();
            let mut buf = vec![0u8; 65_535];
            loop {
                let Ok((n, from)) = front.recv_from(&mut buf).await else {
                    continue;
                };
                record
                    .lock()
                    .unwrap()
                    .push((Dir::FromClient, buf[..n].to_vec()));
                if is_cut.load(std::sync::atomic::Ordering::SeqCst) {
                    continue;
                }
                let back = match backs.iter().find(|(client, _)| *client == from) {
                    Some((_, back)) => back.clone(),
                    None => {
                        let back = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
                        back.connect(server).await.unwrap();
                        table
                            .lock()
                            .unwrap()
                            .push((from, back.local_addr().unwrap()));
                        backs.push((from, back.clone()));
                        let (reply, record, is_cut, front) =
                            (back.clone(), record.clone(), is_cut.clone(), front.clone());
                        tokio::spawn(async move {
                            let mut buf = vec![0u8; 65_535];
                            while let Ok(n) = reply.recv(&mut buf).await {
                                record
                                    .lock()
                                    .unwrap()
                                    .push((Dir::FromServer, buf[..n].to_vec()));
                                if !is_cut.load(std::sync::atomic::Ordering::SeqCst) {
                                    let _ = front.send_to(&buf[..n], from).await;
                                }
                            }
                        });
                        back
                    }
                };
                let _ = back.send(&buf[..n]).await;
            }
        });
        NatRelay {
            addr,
            capture,
            cut,
            mappings,
        }
    }

    /// Drops every datagram both ways from now on (`true`), or forwards them again.
    pub fn cut(&self, on: bool) {
        self.cut.store(on, std::sync::atomic::Ordering::SeqCst);
    }

    /// The client addresses seen so far and the address the server sees each at, in order.
    pub fn mappings(&self) -> Vec<(SocketAddr, SocketAddr)> {
        self.mappings.lock().unwrap().clone()
    }

    /// How many datagrams were recorded so far (to split the capture in phases).
    pub fn mark(&self) -> usize {
        self.capture.lock().unwrap().len()
    }

    /// The recorded datagrams from `from` (a [`mark`](Self::mark)) on.
    pub fn since(&self, from: usize) -> Vec<(Dir, Vec<u8>)> {
        self.capture.lock().unwrap()[from..].to_vec()
    }
}

/// The content types of the DTLS records of a datagram; `None` unless the datagram is exactly a
/// sequence of well-formed DTLS 1.2 (or 1.0 ClientHello) record headers and bodies.
pub fn record_types(datagram: &[u8]) -> Option<Vec<u8>> {
    Some(records(datagram)?.into_iter().map(|r| r.0).collect())
}

/// The records of a datagram as (content type, epoch, body); `None` unless well-formed.
pub fn records(datagram: &[u8]) -> Option<Vec<(u8, u16, &[u8])>> {
    let mut out = Vec::new();
    let mut rest = datagram;
    while !rest.is_empty() {
        let header = rest.get(..RECORD_HEADER_LEN)?;
        let version = [header[1], header[2]];
        if version != [0xfe, 0xfd] && version != [0xfe, 0xff] {
            return None;
        }
        let epoch = u16::from_be_bytes([header[3], header[4]]);
        let len = usize::from(u16::from_be_bytes([header[11], header[12]]));
        let body = rest.get(RECORD_HEADER_LEN..RECORD_HEADER_LEN + len)?;
        out.push((header[0], epoch, body));
        rest = &rest[RECORD_HEADER_LEN + len..];
    }
    Some(out)
}

/// The handshake message types sent in the clear (epoch 0) in `dir`, in order: the shape of
/// the handshakes in `datagrams` (each DTLS handshake message starts with its type, RFC 6347
/// §4.2.2; OpenSSL puts one message, or one fragment, per record). The Finished messages are
/// encrypted (epoch 1) and not listed.
pub fn handshake_messages(datagrams: &[(Dir, Vec<u8>)], dir: Dir) -> Vec<u8> {
    datagrams
        .iter()
        .filter(|(d, _)| *d == dir)
        .filter_map(|(_, g)| records(g))
        .flatten()
        .filter(|(kind, epoch, _)| *kind == HANDSHAKE && *epoch == 0)
        .filter_map(|(_, _, body)| body.first().copied())
        .collect()
}

/// The handshake flights in `datagrams`, as the direction of each: a flight is a run of
/// datagrams one way that carry a clear handshake message or a ChangeCipherSpec (RFC 6347
/// §4.2.4). A full handshake with a cookie exchange is six flights (ClientHello,
/// HelloVerifyRequest, ClientHello, ServerHello..ServerHelloDone, ClientKeyExchange +
/// ChangeCipherSpec + Finished, ChangeCipherSpec + Finished); an abbreviated one is five (the
/// server's ServerHello, ChangeCipherSpec and Finished are one flight, the client's last one
/// completes it), one round trip less before the client may send data.
pub fn handshake_flights(datagrams: &[(Dir, Vec<u8>)]) -> Vec<Dir> {
    let mut flights: Vec<Dir> = Vec::new();
    let handshake = datagrams.iter().filter(|(_, g)| {
        records(g).is_some_and(|rs| {
            rs.iter().any(|(kind, epoch, _)| {
                (*kind == HANDSHAKE && *epoch == 0) || *kind == CHANGE_CIPHER_SPEC
            })
        })
    });
    for (dir, _) in handshake {
        if flights.last() != Some(dir) {
            flights.push(*dir);
        }
    }
    flights
}

/// The session IDs offered by the client's ClientHellos in `datagrams` (empty: none offered).
/// DTLS ClientHello body (RFC 6347 §4.2.1): 12-byte handshake header, client_version (2),
/// random (32), session_id length (1) and session_id.
pub fn offered_session_ids(datagrams: &[(Dir, Vec<u8>)]) -> Vec<Vec<u8>> {
    datagrams
        .iter()
        .filter(|(d, _)| *d == Dir::FromClient)
        .filter_map(|(_, g)| records(g))
        .flatten()
        .filter(|(kind, epoch, body)| {
            *kind == HANDSHAKE && *epoch == 0 && body.first() == Some(&CLIENT_HELLO)
        })
        .map(|(_, _, body)| {
            let len = usize::from(body[12 + 2 + 32]);
            body[12 + 2 + 32 + 1..][..len].to_vec()
        })
        .collect()
}

/// Asserts that every datagram the client sent is DTLS records only, and never holds `secret`.
pub fn assert_only_dtls_from_client(capture: &Capture, secret: &[u8]) -> Vec<u8> {
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

pub fn config(key: &[u8]) -> DtlsConfig {
    let security = Security::psk("coaps://127.0.0.1", 1, IDENTITY, key);
    DtlsConfig::new(Credentials::from_security(&security).unwrap())
}

/// The DTLS settings for libcoap's server: any identity, this key.
pub fn libcoap_config(key: &str) -> DtlsConfig {
    let security = Security::psk("coaps://127.0.0.1", 1, IDENTITY, key.as_bytes());
    DtlsConfig::new(Credentials::from_security(&security).unwrap())
}

pub fn any_local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// One `coaps://` server on a [`SecureTransport`], driven directly (no client): what the
/// tests of one session need. `send` waits for the handshake it may start, as a device
/// waits before its first request; the driver itself never waits so.
pub struct OneServer {
    pub transport: SecureTransport,
    pub server: SocketAddr,
}

impl OneServer {
    /// The transport with `server` added (socket bound to `local`), no handshake yet.
    pub fn bind(local: SocketAddr, server: SocketAddr, config: DtlsConfig) -> OneServer {
        let mut transport = SecureTransport::new(any_local());
        transport.add(local, server, config).unwrap();
        OneServer { transport, server }
    }

    /// As [`bind`](Self::bind), then a completed handshake.
    pub async fn connect(local: SocketAddr, server: SocketAddr, config: DtlsConfig) -> OneServer {
        let mut one = OneServer::bind(local, server, config);
        one.transport.connect(server).await.unwrap();
        one
    }

    /// Sends one datagram in the session (counted as calling for an answer unless it is a
    /// non-confirmable CoAP message, an ACK or a RST), and waits for the handshake it needs.
    pub async fn send(&mut self, bytes: &[u8]) -> Result<(), Arc<DtlsError>> {
        self.transport
            .send(self.server, bytes, expects_answer(bytes))
            .map_err(|e| Arc::new(DtlsError::Io(e)))?;
        self.transport.connect(self.server).await
    }

    pub fn status(&self) -> PeerStatus {
        self.transport.status(self.server).unwrap()
    }

    pub fn handshakes(&self) -> u32 {
        self.status().handshakes
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.status().local.unwrap()
    }

    pub fn poll_change(&mut self) -> Option<TransportChange> {
        self.transport.poll_change()
    }

    pub fn close(&mut self) {
        self.transport.close(self.server);
    }

    /// The next plaintext from the server, within `within`.
    pub async fn recv_within(&mut self, within: Duration) -> Vec<u8> {
        let mut buf = vec![0u8; 2048];
        let (n, from) = tokio::time::timeout(within, self.transport.recv_from(&mut buf))
            .await
            .expect("no datagram from the server")
            .unwrap();
        assert_eq!(from, self.server);
        buf.truncate(n);
        buf
    }
}

/// Whether a CoAP message calls for an answer: all but a non-confirmable message, an ACK or a
/// RST (RFC 7252 §3: version 1, type 1 to 3, token length 0 to 8); anything not CoAP does.
pub fn expects_answer(bytes: &[u8]) -> bool {
    let Some(&first) = bytes.first() else {
        return true;
    };
    let (version, kind, token_len) = (first >> 6, (first >> 4) & 0b11, first & 0x0f);
    !(bytes.len() >= 4 && version == 1 && kind != 0 && token_len <= 8)
}

/// The session ID in the ServerHellos of `datagrams` (RFC 5246 §7.4.1.3: after server_version
/// and random, like the ClientHello's).
pub fn server_hello_session_ids(datagrams: &[(Dir, Vec<u8>)]) -> Vec<Vec<u8>> {
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
pub fn assert_full_handshake(phase: &[(Dir, Vec<u8>)]) {
    let client = handshake_messages(phase, Dir::FromClient);
    let server = handshake_messages(phase, Dir::FromServer);
    assert!(client.contains(&CLIENT_KEY_EXCHANGE), "client: {client:?}");
    assert!(server.contains(&SERVER_HELLO_DONE), "server: {server:?}");
}

/// Asserts the shape of an abbreviated handshake in `phase`: the server echoed the non-empty
/// session ID the client offered, and there was no key exchange.
pub fn assert_abbreviated_handshake(phase: &[(Dir, Vec<u8>)]) {
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
pub fn assert_one_round_trip_less(resumed: &[(Dir, Vec<u8>)], full: &[(Dir, Vec<u8>)]) {
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
