//! The request loop: keeps W confirmable GETs in flight, matches answers by token, retransmits
//! what is unanswered, and answers the client's own requests (Register, Update) meanwhile.

use std::collections::{HashMap, HashSet};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use crate::child::Peer;
use crate::coap::{self, Accept, CONTENT, Head, Kind, RequestTemplate};
use crate::error::{Error, Result};
use crate::procfs::{self, Proc};
use crate::stats::{Counters, Summary};

/// A request unanswered this long is retransmitted with the same message id.
pub const RETRANSMIT_AFTER: Duration = Duration::from_secs(2);
/// A request still unanswered after this many retransmissions is given up (counted as lost).
pub const MAX_RETRANSMITS: u32 = 4;
/// How often in-flight requests are checked for timeouts and the peer for having exited.
const SCAN_EVERY: Duration = Duration::from_millis(100);
/// Largest datagram the tool reads.
const MAX_DATAGRAM: usize = 2048;

/// What one run does.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Requests kept in flight.
    pub window: usize,
    /// Time served before the measured window (not counted).
    pub warmup: Duration,
    /// Length of the measured window.
    pub duration: Duration,
    /// The Accept option of each GET.
    pub accept: Accept,
    /// The Uri-Path segments of each GET.
    pub path: Vec<String>,
    /// Whether answers must carry the asked Content-Format (false for the echo server, which
    /// answers with a bare ACK).
    pub check_format: bool,
}

/// A request in flight.
#[derive(Debug, Clone, Copy)]
struct InFlight {
    mid: u16,
    first_sent: Instant,
    last_sent: Instant,
    retransmits: u32,
}

/// The state of one run.
struct Loop<'a> {
    socket: &'a UdpSocket,
    peer_addr: SocketAddr,
    config: &'a LoadConfig,
    template: RequestTemplate,
    in_flight: HashMap<u64, InFlight>,
    /// Tokens that were retransmitted and are no longer in flight: a second answer is a duplicate.
    retransmitted: HashSet<u64>,
    next_mid: u16,
    next_token: u64,
    measuring: bool,
    counters: Counters,
}

/// Runs the load against `peer_addr` (whose process is `peer`) and returns the figures of the
/// measured window. Timeouts, mismatches, duplicates and errors count over the whole run, warm-up
/// included; reads and latencies over the measured window only.
pub fn run(
    socket: &UdpSocket,
    peer_addr: SocketAddr,
    peer: &mut Peer,
    config: &LoadConfig,
    label: String,
) -> Result<Summary> {
    socket
        .set_read_timeout(Some(Duration::from_millis(20)))
        .map_err(|e| Error::io("set the socket timeout", e))?;
    let mut state = Loop {
        socket,
        peer_addr,
        config,
        template: RequestTemplate::get(&config.path, config.accept)?,
        in_flight: HashMap::with_capacity(config.window * 2),
        retransmitted: HashSet::new(),
        next_mid: 0xFFF0,
        next_token: 1,
        measuring: false,
        counters: Counters::default(),
    };
    state.counters.latencies_ns.reserve(1 << 20);
    let pid = Proc::Pid(peer.pid());
    let start = Instant::now();
    let window_start = start + config.warmup;
    let window_end = window_start + config.duration;
    let mut next_scan = start + SCAN_EVERY;
    let mut before: Option<(Instant, Duration, Duration)> = None;
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let now = Instant::now();
        if now >= window_end {
            break;
        }
        if before.is_none() && now >= window_start {
            before = Some((
                now,
                procfs::cpu_time(pid)?,
                procfs::cpu_time(Proc::Current)?,
            ));
            state.measuring = true;
        }
        while state.in_flight.len() < config.window {
            state.send_new()?;
        }
        match socket.recv_from(&mut buf) {
            Ok((len, from)) => {
                let datagram = buf.get(..len).unwrap_or_default();
                state.handle(datagram, from)?;
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                        // A reset peer port (ICMP unreachable): the peer-exited check reports it.
                        | std::io::ErrorKind::ConnectionRefused
                ) => {}
            Err(e) => return Err(Error::io("receive", e)),
        }
        if now >= next_scan {
            next_scan = now + SCAN_EVERY;
            if let Some(detail) = peer.exited() {
                return Err(Error::PeerExited(detail));
            }
            state.retransmit_due(now)?;
        }
    }
    let end = Instant::now();
    let peer_cpu_end = procfs::cpu_time(pid)?;
    let self_cpu_end = procfs::cpu_time(Proc::Current)?;
    let memory = procfs::memory(pid).ok();
    let (began, peer_cpu_start, self_cpu_start) =
        before.unwrap_or((end, peer_cpu_end, self_cpu_end));
    Ok(Summary::new(
        label,
        end.saturating_duration_since(began),
        state.counters,
        peer_cpu_end.saturating_sub(peer_cpu_start),
        self_cpu_end.saturating_sub(self_cpu_start),
        memory,
    ))
}

/// Sends one datagram; a full loopback buffer or a momentarily missing peer port is left to the
/// retransmission timer.
fn send(socket: &UdpSocket, peer_addr: SocketAddr, bytes: &[u8]) -> Result<()> {
    match socket.send_to(bytes, peer_addr) {
        Ok(_) => Ok(()),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock
                    | std::io::ErrorKind::ConnectionRefused
                    | std::io::ErrorKind::Interrupted
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(Error::io(format!("send to {peer_addr}"), e)),
    }
}

impl Loop<'_> {
    /// Sends a GET with a fresh message id (skipping ids still in flight) and a fresh token.
    fn send_new(&mut self) -> Result<()> {
        let mut mid = self.next_mid;
        while self.in_flight.values().any(|r| r.mid == mid) {
            mid = mid.wrapping_add(1);
        }
        self.next_mid = mid.wrapping_add(1);
        let token = self.next_token;
        self.next_token = self.next_token.wrapping_add(1);
        let now = Instant::now();
        self.in_flight.insert(
            token,
            InFlight {
                mid,
                first_sent: now,
                last_sent: now,
                retransmits: 0,
            },
        );
        send(self.socket, self.peer_addr, self.template.with(mid, token))
    }

    /// Retransmits requests unanswered for [`RETRANSMIT_AFTER`]; gives up after
    /// [`MAX_RETRANSMITS`].
    fn retransmit_due(&mut self, now: Instant) -> Result<()> {
        let due: Vec<(u64, InFlight)> = self
            .in_flight
            .iter()
            .filter(|(_, r)| now.saturating_duration_since(r.last_sent) >= RETRANSMIT_AFTER)
            .map(|(t, r)| (*t, *r))
            .collect();
        for (token, request) in due {
            self.counters.timeouts += 1;
            self.retransmitted.insert(token);
            if request.retransmits >= MAX_RETRANSMITS {
                self.in_flight.remove(&token);
                self.counters.lost += 1;
                continue;
            }
            if let Some(entry) = self.in_flight.get_mut(&token) {
                entry.retransmits += 1;
                entry.last_sent = now;
            }
            send(
                self.socket,
                self.peer_addr,
                self.template.with(request.mid, token),
            )?;
        }
        Ok(())
    }

    /// Handles one datagram from the socket.
    fn handle(&mut self, datagram: &[u8], from: SocketAddr) -> Result<()> {
        let Some(head) = Head::parse(datagram) else {
            self.counters.errors += 1;
            return Ok(());
        };
        if head.is_request() {
            self.counters.client_requests += 1;
            if let Some((_, answer)) = coap::answer_registration(datagram, self.next_mid) {
                self.next_mid = self.next_mid.wrapping_add(1);
                self.socket
                    .send_to(&answer, from)
                    .map_err(|e| Error::io("answer the client", e))?;
            }
            return Ok(());
        }
        if head.kind == Kind::Rst {
            let reset = self
                .in_flight
                .iter()
                .find(|(_, r)| r.mid == head.mid)
                .map(|(t, _)| *t);
            if let Some(token) = reset {
                self.in_flight.remove(&token);
                self.counters.errors += 1;
            }
            return Ok(());
        }
        if !head.is_response() {
            // An empty ACK: a separate response follows.
            return Ok(());
        }
        if head.kind == Kind::Con {
            send(self.socket, from, &coap::empty_ack(head.mid))?;
        }
        let Some(token) = head.token else {
            self.counters.mismatches += 1;
            return Ok(());
        };
        let request = match self.in_flight.get(&token) {
            Some(r) if head.kind == Kind::Ack && r.mid != head.mid => {
                self.counters.mismatches += 1;
                return Ok(());
            }
            Some(r) => *r,
            None => {
                if self.retransmitted.contains(&token) {
                    self.counters.duplicates += 1;
                } else {
                    self.counters.mismatches += 1;
                }
                return Ok(());
            }
        };
        self.in_flight.remove(&token);
        if self.measuring {
            let latency = request.first_sent.elapsed();
            self.counters
                .latencies_ns
                .push(u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX));
        }
        let format_ok = !self.config.check_format
            || self
                .config
                .accept
                .content_format()
                .is_none_or(|want| coap::content_format(datagram) == Some(want));
        if head.code != CONTENT || !format_ok {
            self.counters.errors += 1;
        }
        Ok(())
    }
}
