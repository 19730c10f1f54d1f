//! A UDP relay on loopback between an LwM2M client and its server, for fault tests.
//!
//! The client is pointed at [`Relay::addr`]; the relay forwards its datagrams to the server from
//! a second socket, and the server's datagrams (responses and its own requests) back to the
//! client's last known address. On the way, per [`Direction`]:
//!
//! - **loss**: each datagram is dropped with probability [`Faults::loss`], drawn from a seeded
//!   xorshift64* generator per direction ([`LossRng`]; [`loss_pattern`] predicts its draws, so a
//!   test can pick a seed whose pattern exercises retransmission);
//! - **duplication**: each datagram sent is sent twice with probability [`Faults::duplicate`];
//! - **reordering**: with [`Faults::reorder`], every other datagram is held and released right
//!   after the next one, or after [`Faults::hold`] if none comes. A duplicated datagram goes out
//!   at once and its second copy is the one held: a stale duplicate that arrives after the next
//!   message (the harshest case for a duplicate cache: an old request repeated after a newer one);
//! - **blackhole**: [`Relay::set_blackhole`] drops everything in both directions (the server is
//!   unreachable);
//! - **scripted drops**: [`Relay::drop_next`] drops the next datagrams matching a predicate (for
//!   example the client's ACK to a given request, to force a server retransmission).
//!
//! Every datagram received is kept in a [`Record`] (arrival time since [`Relay::started`], bytes,
//! parsed CoAP header, Uri-Path, fate) and counted in [`Counters`]. Two threads (one per socket)
//! do the work; dropping the relay stops and joins them.

use std::fmt;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Which way a datagram travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the client to the server.
    ToServer,
    /// From the server to the client.
    ToClient,
}

impl Direction {
    fn index(self) -> usize {
        match self {
            Direction::ToServer => 0,
            Direction::ToClient => 1,
        }
    }
}

/// The faults applied to one direction. [`Default`] is a clean link.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Faults {
    /// The probability that a datagram is lost (0.0..=1.0).
    pub loss: f64,
    /// The probability that a datagram that goes through is sent twice (0.0..=1.0).
    pub duplicate: f64,
    /// Hold every other datagram (its second copy if duplicated) and release it after the next one.
    pub reorder: bool,
    /// The longest a held datagram waits for a next one.
    pub hold: Duration,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            loss: 0.0,
            duplicate: 0.0,
            reorder: false,
            hold: Duration::from_millis(200),
        }
    }
}

impl Faults {
    /// A link that loses each datagram with probability `loss`.
    pub fn lossy(loss: f64) -> Faults {
        Faults {
            loss,
            ..Faults::default()
        }
    }
}

/// What became of a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Sent on at once.
    Forwarded,
    /// Sent on twice.
    Duplicated,
    /// Held, then sent after a later datagram (reordered). With `duplicated`, a first copy went
    /// out at once and the held one is the second.
    Reordered {
        /// Whether it was sent twice.
        duplicated: bool,
    },
    /// Held, then sent when no later datagram came within [`Faults::hold`].
    Delayed {
        /// Whether it was sent twice.
        duplicated: bool,
    },
    /// Held and not yet released (with `duplicated`, a first copy went out at once).
    Held {
        /// Whether a first copy went out at once.
        duplicated: bool,
    },
    /// Dropped by the random loss.
    Lost,
    /// Dropped because the blackhole was on.
    Blackholed,
    /// Dropped by a [`Relay::drop_next`] rule.
    DroppedByRule,
    /// A server datagram that came before any client datagram: nowhere to send it.
    NoClient,
}

impl Fate {
    /// Whether the datagram reached (was sent towards) the other side.
    pub fn delivered(self) -> bool {
        matches!(
            self,
            Fate::Forwarded
                | Fate::Duplicated
                | Fate::Reordered { .. }
                | Fate::Delayed { .. }
                | Fate::Held { duplicated: true }
        )
    }

    /// How many copies were sent on.
    pub fn copies(self) -> usize {
        match self {
            Fate::Duplicated
            | Fate::Reordered { duplicated: true }
            | Fate::Delayed { duplicated: true } => 2,
            Fate::Held { duplicated: true } => 1,
            f if f.delivered() => 1,
            _ => 0,
        }
    }
}

/// The CoAP message type, from the first header byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    /// CON.
    Confirmable,
    /// NON.
    NonConfirmable,
    /// ACK.
    Acknowledgement,
    /// RST.
    Reset,
}

/// The CoAP header of a datagram (`None` in a [`Record`] when shorter than 4 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The message type.
    pub kind: MessageType,
    /// The code as (class, detail): (0, 2) is POST, (2, 4) is 2.04.
    pub code: (u8, u8),
    /// The message id.
    pub message_id: u16,
}

impl Header {
    /// Parses the 4-byte CoAP header.
    pub fn parse(datagram: &[u8]) -> Option<Header> {
        let [first, code, high, low, ..] = *datagram else {
            return None;
        };
        let kind = match (first >> 4) & 0x3 {
            0 => MessageType::Confirmable,
            1 => MessageType::NonConfirmable,
            2 => MessageType::Acknowledgement,
            _ => MessageType::Reset,
        };
        Some(Header {
            kind,
            code: (code >> 5, code & 0x1f),
            message_id: u16::from_be_bytes([high, low]),
        })
    }

    /// Whether the code is a request (class 0, detail not 0).
    pub fn is_request(&self) -> bool {
        self.code.0 == 0 && self.code.1 != 0
    }

    /// The code as text: `POST`, `2.04`, `empty`...
    pub fn code_text(&self) -> String {
        match self.code {
            (0, 0) => "empty".to_owned(),
            (0, 1) => "GET".to_owned(),
            (0, 2) => "POST".to_owned(),
            (0, 3) => "PUT".to_owned(),
            (0, 4) => "DELETE".to_owned(),
            (0, 5) => "FETCH".to_owned(),
            (0, 6) => "PATCH".to_owned(),
            (0, 7) => "iPATCH".to_owned(),
            (class, detail) => format!("{class}.{detail:02}"),
        }
    }
}

/// One datagram the relay received.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// When it arrived, since [`Relay::started`].
    pub at: Duration,
    /// Which way it was going.
    pub direction: Direction,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Its CoAP header, if it has one.
    pub header: Option<Header>,
    /// Its Uri-Path segments (empty for responses or when it does not parse).
    pub path: Vec<String>,
    /// What the relay did with it.
    pub fate: Fate,
}

impl Record {
    /// Whether this is a request with `method` (`"POST"`, `"PUT"`...) whose Uri-Path is `path`
    /// (segments joined with `/`, without a leading slash: `"rd"`, `"3311/0/5850"`).
    pub fn is_request(&self, method: &str, path: &str) -> bool {
        self.header
            .is_some_and(|h| h.is_request() && h.code_text() == method)
            && self.path.join("/") == path
    }

    /// Whether this is a response (or empty message) of `kind` with the code `(class, detail)`
    /// and the message id `message_id`.
    pub fn is_answer(&self, kind: MessageType, code: (u8, u8), message_id: u16) -> bool {
        self.header
            .is_some_and(|h| h.kind == kind && h.code == code && h.message_id == message_id)
    }

    /// The message id, or `None` without a header.
    pub fn message_id(&self) -> Option<u16> {
        self.header.map(|h| h.message_id)
    }
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let arrow = match self.direction {
            Direction::ToServer => "c->s",
            Direction::ToClient => "s->c",
        };
        write!(f, "{:>8.3}s {arrow} ", self.at.as_secs_f64())?;
        match self.header {
            Some(h) => write!(
                f,
                "{:?} {} mid={} /{}",
                h.kind,
                h.code_text(),
                h.message_id,
                self.path.join("/")
            )?,
            None => write!(f, "({} bytes, no header)", self.bytes.len())?,
        }
        write!(f, " [{:?}]", self.fate)
    }
}

/// The counts of one direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Datagrams received.
    pub received: usize,
    /// Datagrams sent on (a duplicated datagram counts twice).
    pub sent: usize,
    /// Dropped by the random loss.
    pub lost: usize,
    /// Dropped by the blackhole.
    pub blackholed: usize,
    /// Dropped by a [`Relay::drop_next`] rule.
    pub dropped_by_rule: usize,
    /// Extra copies sent.
    pub duplicated: usize,
    /// Held datagrams released after a later one.
    pub reordered: usize,
}

/// The relay's seeded generator: xorshift64* (the seed 0 is replaced by a fixed constant).
#[derive(Debug, Clone)]
pub struct LossRng(u64);

impl LossRng {
    /// The generator of `direction` for `seed`: the two directions draw independent sequences.
    pub fn new(seed: u64, direction: Direction) -> LossRng {
        let mixed = match direction {
            Direction::ToServer => seed,
            Direction::ToClient => seed ^ 0xD1B5_4A32_D192_ED03,
        };
        LossRng(if mixed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            mixed
        })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A uniform draw in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Whether the next datagram is lost at loss rate `loss`.
    pub fn lose(&mut self, loss: f64) -> bool {
        self.next_f64() < loss
    }
}

/// The loss decisions the relay will take for the first `n` datagrams of `direction` with
/// `seed` and a loss rate `loss` (`true`: lost), as long as the loss rate of that direction is
/// set before its first datagram and not changed.
pub fn loss_pattern(seed: u64, direction: Direction, loss: f64, n: usize) -> Vec<bool> {
    let mut rng = LossRng::new(seed, direction);
    (0..n).map(|_| rng.lose(loss)).collect()
}

/// A predicate of a scripted drop.
type Rule = Box<dyn Fn(&Record) -> bool + Send>;

struct Held {
    record: usize,
    bytes: Vec<u8>,
    since: Instant,
    duplicated: bool,
}

#[derive(Default)]
struct Lane {
    faults: Faults,
    counters: Counters,
    held: Option<Held>,
    rules: Vec<(Rule, usize)>,
}

struct State {
    lanes: [Lane; 2],
    loss_rng: [LossRng; 2],
    dup_rng: [LossRng; 2],
    blackhole: bool,
    client: Option<SocketAddr>,
    log: Vec<Record>,
}

struct Shared {
    state: Mutex<State>,
    stop: AtomicBool,
    started: Instant,
    server: SocketAddr,
    front: UdpSocket,
    back: UdpSocket,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn send(&self, direction: Direction, to: Option<SocketAddr>, bytes: &[u8]) {
        // A send error (an ICMP report of an earlier datagram) is a lost datagram.
        let _ = match (direction, to) {
            (Direction::ToServer, _) => self.back.send_to(bytes, self.server),
            (Direction::ToClient, Some(client)) => self.front.send_to(bytes, client),
            (Direction::ToClient, None) => Ok(0),
        };
    }

    /// Handles one received datagram.
    fn handle(&self, direction: Direction, bytes: &[u8], from: SocketAddr) {
        let at = self.started.elapsed();
        let mut out: Vec<(Vec<u8>, usize)> = Vec::new();
        let to;
        {
            let mut state = self.lock();
            if direction == Direction::ToServer {
                state.client = Some(from);
            }
            to = state.client;
            let header = Header::parse(bytes);
            let path = if header.is_some_and(|h| h.is_request()) {
                lwm2m::coap::parse(bytes, usize::MAX)
                    .ok()
                    .and_then(|p| lwm2m::coap::options::uri_path(&p).ok())
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            let index = state.log.len();
            let mut record = Record {
                at,
                direction,
                bytes: bytes.to_vec(),
                header,
                path,
                fate: Fate::Forwarded,
            };
            let d = direction.index();
            let faults = state.lanes[d].faults;
            state.lanes[d].counters.received += 1;
            let lost = faults.loss > 0.0 && state.loss_rng[d].lose(faults.loss);
            let ruled = {
                let lane = &mut state.lanes[d];
                let hit = lane.rules.iter().position(|(rule, _)| rule(&record));
                if let Some(i) = hit {
                    if let Some((_, left)) = lane.rules.get_mut(i) {
                        *left = left.saturating_sub(1);
                    }
                    lane.rules.retain(|(_, left)| *left > 0);
                }
                hit.is_some()
            };
            record.fate = if state.blackhole {
                state.lanes[d].counters.blackholed += 1;
                Fate::Blackholed
            } else if direction == Direction::ToClient && to.is_none() {
                Fate::NoClient
            } else if ruled {
                state.lanes[d].counters.dropped_by_rule += 1;
                Fate::DroppedByRule
            } else if lost {
                state.lanes[d].counters.lost += 1;
                Fate::Lost
            } else if faults.reorder && state.lanes[d].held.is_none() {
                let duplicated = self.duplicate(&mut state, d, faults);
                if duplicated {
                    out.push((bytes.to_vec(), 1));
                }
                state.lanes[d].held = Some(Held {
                    record: index,
                    bytes: bytes.to_vec(),
                    since: Instant::now(),
                    duplicated,
                });
                Fate::Held { duplicated }
            } else {
                let duplicated = self.duplicate(&mut state, d, faults);
                out.push((bytes.to_vec(), 1 + usize::from(duplicated)));
                if let Some(held) = state.lanes[d].held.take() {
                    state.lanes[d].counters.reordered += 1;
                    if let Some(r) = state.log.get_mut(held.record) {
                        r.fate = Fate::Reordered {
                            duplicated: held.duplicated,
                        };
                    }
                    out.push((held.bytes, 1));
                }
                if duplicated {
                    Fate::Duplicated
                } else {
                    Fate::Forwarded
                }
            };
            state.lanes[d].counters.sent += out.iter().map(|(_, n)| n).sum::<usize>();
            state.log.push(record);
        }
        for (bytes, copies) in out {
            for _ in 0..copies {
                self.send(direction, to, &bytes);
            }
        }
    }

    fn duplicate(&self, state: &mut State, d: usize, faults: Faults) -> bool {
        let dup = faults.duplicate > 0.0 && state.dup_rng[d].lose(faults.duplicate);
        if dup {
            state.lanes[d].counters.duplicated += 1;
        }
        dup
    }

    /// Releases a datagram held for longer than its lane's hold time.
    fn release_expired(&self, direction: Direction) {
        let d = direction.index();
        let (bytes, to) = {
            let mut state = self.lock();
            let faults = state.lanes[d].faults;
            let expired = state.lanes[d]
                .held
                .as_ref()
                .is_some_and(|h| h.since.elapsed() >= faults.hold);
            if !expired {
                return;
            }
            let Some(held) = state.lanes[d].held.take() else {
                return;
            };
            if let Some(r) = state.log.get_mut(held.record) {
                r.fate = Fate::Delayed {
                    duplicated: held.duplicated,
                };
            }
            state.lanes[d].counters.sent += 1;
            (held.bytes, state.client)
        };
        self.send(direction, to, &bytes);
    }

    fn pump(&self, direction: Direction) {
        let socket = match direction {
            Direction::ToServer => &self.front,
            Direction::ToClient => &self.back,
        };
        let mut buf = vec![0u8; 65536];
        while !self.stop.load(Ordering::Relaxed) {
            // Errors are timeouts, and ICMP reports of datagrams sent to a server that is down.
            if let Ok((len, from)) = socket.recv_from(&mut buf) {
                // Only the server's datagrams come back through the back socket.
                if direction == Direction::ToServer || from == self.server {
                    self.handle(direction, buf.get(..len).unwrap_or_default(), from);
                }
            }
            self.release_expired(direction);
        }
    }
}

/// A UDP relay between a client and `server`, with faults. See the module documentation.
pub struct Relay {
    shared: Arc<Shared>,
    addr: SocketAddr,
    threads: Vec<JoinHandle<()>>,
}

impl fmt::Debug for Relay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Relay")
            .field("addr", &self.addr)
            .field("server", &self.shared.server)
            .finish_non_exhaustive()
    }
}

impl Relay {
    /// How often the relay threads look at held datagrams and the stop flag.
    const POLL: Duration = Duration::from_millis(10);

    /// Starts a clean relay to `server` on a free port of 127.0.0.1, with `seed` for its
    /// generators.
    pub fn start(server: SocketAddr, seed: u64) -> io::Result<Relay> {
        let front = UdpSocket::bind("127.0.0.1:0")?;
        let back = UdpSocket::bind("127.0.0.1:0")?;
        front.set_read_timeout(Some(Self::POLL))?;
        back.set_read_timeout(Some(Self::POLL))?;
        let addr = front.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                lanes: [Lane::default(), Lane::default()],
                loss_rng: [
                    LossRng::new(seed, Direction::ToServer),
                    LossRng::new(seed, Direction::ToClient),
                ],
                dup_rng: [
                    LossRng::new(!seed, Direction::ToServer),
                    LossRng::new(!seed, Direction::ToClient),
                ],
                blackhole: false,
                client: None,
                log: Vec::new(),
            }),
            stop: AtomicBool::new(false),
            started: Instant::now(),
            server,
            front,
            back,
        });
        let threads = [Direction::ToServer, Direction::ToClient]
            .into_iter()
            .map(|direction| {
                let shared = Arc::clone(&shared);
                thread::Builder::new()
                    .name(format!("relay {direction:?}"))
                    .spawn(move || shared.pump(direction))
            })
            .collect::<io::Result<Vec<_>>>()?;
        Ok(Relay {
            shared,
            addr,
            threads,
        })
    }

    /// The address the client sends to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URI a client registers with: `coap://127.0.0.1:PORT` of the relay.
    pub fn uri(&self) -> String {
        format!("coap://{}", self.addr)
    }

    /// The server's address.
    pub fn server(&self) -> SocketAddr {
        self.shared.server
    }

    /// When the relay started: [`Record::at`] counts from here.
    pub fn started(&self) -> Instant {
        self.shared.started
    }

    /// Sets the faults of `direction` from now on.
    pub fn set_faults(&self, direction: Direction, faults: Faults) {
        self.shared.lock().lanes[direction.index()].faults = faults;
    }

    /// Drops every datagram in both directions while `on` (the server is unreachable).
    pub fn set_blackhole(&self, on: bool) {
        self.shared.lock().blackhole = on;
    }

    /// Drops the next `count` datagrams of `direction` for which `matches` holds (before the
    /// random loss is considered; the loss generator still draws for them).
    pub fn drop_next(
        &self,
        direction: Direction,
        count: usize,
        matches: impl Fn(&Record) -> bool + Send + 'static,
    ) {
        if count > 0 {
            self.shared.lock().lanes[direction.index()]
                .rules
                .push((Box::new(matches), count));
        }
    }

    /// The counters of `direction`.
    pub fn counters(&self, direction: Direction) -> Counters {
        self.shared.lock().lanes[direction.index()].counters
    }

    /// Every datagram received so far.
    pub fn log(&self) -> Vec<Record> {
        self.shared.lock().log.clone()
    }

    /// The log as text, one datagram a line, for failure messages.
    pub fn log_text(&self) -> String {
        self.shared
            .lock()
            .log
            .iter()
            .map(Record::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Waits at most `timeout` until `done` holds on the log; returns whether it did.
    pub fn wait_until(&self, timeout: Duration, done: impl Fn(&[Record]) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if done(&self.shared.lock().log) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn echo_server() -> (UdpSocket, SocketAddr) {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let addr = socket.local_addr().unwrap();
        (socket, addr)
    }

    fn client(relay: &Relay) -> UdpSocket {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        socket.connect(relay.addr()).unwrap();
        socket
    }

    fn con_get(mid: u16) -> Vec<u8> {
        // CON GET, no token, mid, Uri-Path "a".
        let [h, l] = mid.to_be_bytes();
        vec![0x40, 0x01, h, l, 0xb1, b'a']
    }

    #[test]
    fn header_and_path_are_parsed() {
        let header = Header::parse(&con_get(0x1234)).unwrap();
        assert_eq!(header.kind, MessageType::Confirmable);
        assert_eq!(header.code_text(), "GET");
        assert_eq!(header.message_id, 0x1234);
        assert!(header.is_request());
        assert_eq!(
            Header::parse(&[0x60, 0x44, 0, 1]).unwrap().code_text(),
            "2.04"
        );
        assert_eq!(Header::parse(&[0x60]), None);
    }

    #[test]
    fn loss_pattern_has_about_the_asked_rate_and_is_seeded() {
        let a = loss_pattern(7, Direction::ToServer, 0.3, 10_000);
        let lost = a.iter().filter(|&&l| l).count();
        assert!((2700..3300).contains(&lost), "{lost}");
        assert_eq!(a, loss_pattern(7, Direction::ToServer, 0.3, 10_000));
        assert_ne!(a, loss_pattern(7, Direction::ToClient, 0.3, 10_000));
        assert_ne!(a, loss_pattern(8, Direction::ToServer, 0.3, 10_000));
    }

    #[test]
    fn forwards_both_ways_and_logs() {
        let (server, server_addr) = echo_server();
        let relay = Relay::start(server_addr, 1).unwrap();
        let c = client(&relay);
        c.send(&con_get(1)).unwrap();
        let mut buf = [0u8; 64];
        let (n, from) = server.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], &con_get(1)[..]);
        server.send_to(&[0x60, 0x45, 0, 1], from).unwrap();
        let n = c.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], &[0x60, 0x45, 0, 1]);
        assert!(relay.wait_until(Duration::from_secs(1), |l| l.len() == 2));
        let log = relay.log();
        assert!(log[0].is_request("GET", "a"), "{}", relay.log_text());
        assert!(log[1].is_answer(MessageType::Acknowledgement, (2, 5), 1));
        assert_eq!(relay.counters(Direction::ToServer).sent, 1);
        assert_eq!(relay.counters(Direction::ToClient).sent, 1);
    }

    #[test]
    fn blackhole_rules_duplicates_and_reordering() {
        let (server, server_addr) = echo_server();
        let relay = Relay::start(server_addr, 1).unwrap();
        let c = client(&relay);
        let mut buf = [0u8; 64];

        relay.set_blackhole(true);
        c.send(&con_get(1)).unwrap();
        server
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        assert!(server.recv_from(&mut buf).is_err(), "blackhole let it pass");
        relay.set_blackhole(false);

        relay.drop_next(Direction::ToServer, 1, |r| r.message_id() == Some(2));
        c.send(&con_get(2)).unwrap();
        assert!(server.recv_from(&mut buf).is_err(), "rule let it pass");
        c.send(&con_get(2)).unwrap();
        assert!(server.recv_from(&mut buf).is_ok(), "rule dropped twice");

        relay.set_faults(
            Direction::ToServer,
            Faults {
                duplicate: 1.0,
                reorder: true,
                ..Faults::default()
            },
        );
        c.send(&con_get(3)).unwrap();
        c.send(&con_get(4)).unwrap();
        let mids: Vec<u8> = (0..4)
            .map(|_| {
                let (n, _) = server.recv_from(&mut buf).unwrap();
                assert_eq!(n, 6);
                buf[3]
            })
            .collect();
        // 3 at once, its copy held until 4 and its copy have gone out.
        assert_eq!(mids, [3, 4, 4, 3], "{}", relay.log_text());
        let counters = relay.counters(Direction::ToServer);
        assert_eq!(counters.blackholed, 1);
        assert_eq!(counters.dropped_by_rule, 1);
        assert_eq!(counters.reordered, 1);
        assert_eq!(counters.duplicated, 2);

        // A lone held copy goes out after the hold time.
        c.send(&con_get(5)).unwrap();
        let sent = Instant::now();
        server.recv_from(&mut buf).unwrap();
        assert_eq!(buf[3], 5);
        assert!(sent.elapsed() < Duration::from_millis(150));
        server.recv_from(&mut buf).unwrap();
        assert_eq!(buf[3], 5);
        assert!(sent.elapsed() >= Duration::from_millis(150));
        let log = relay.log();
        assert_eq!(log.last().unwrap().fate, Fate::Delayed { duplicated: true });
    }
}
