//! [`BlockingDriver`]: runs a [`Client`] on a std [`UdpSocket`] in blocking mode, without an
//! async runtime, for plain CoAP (`coap://`).

use crate::prelude::*;
use crate::time::Instant;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use crate::client::{Client, Event, ServerEvent, Transmit};
use crate::net::accounts::PlainGuard;
use crate::net::batch::{self, RecvBatch, RecvHeaders};
use crate::net::events;
use crate::net::uri::{lookup_retry_delay, parse_uri};

/// The shortest application tick; a shorter `tick_every` is raised to this.
const MIN_TICK: Duration = Duration::from_millis(1);

/// The shortest read timeout set (a zero timeout means "wait forever" to the system).
const MIN_WAIT: Duration = Duration::from_millis(1);

/// How late past a deadline a wake-up may come because the read timeout was left as it was
/// (the system rounds the timeout to its clock tick, 1-4 ms, anyway).
const SLACK: Duration = Duration::from_millis(1);

/// Runs a [`Client`] on one blocking std [`UdpSocket`] that carries both directions, without
/// an async runtime (plain `coap://` only).
///
/// The tokio [`UdpDriver`](crate::net::UdpDriver) pays, per request served one at a time, an
/// `epoll_wait`, a receive and a send, plus the `epoll_wait`s that report the socket writable
/// again. This driver sleeps in the receive itself (the socket's read timeout, `SO_RCVTIMEO`,
/// set to the next deadline) and sends the answers at once: two system calls per request served
/// one at a time, as a plain UDP echo server makes. While requests queue up, one wake-up takes
/// them all: on Linux and Android the receive is then one `recvmmsg` (`MSG_WAITFORONE`: it
/// sleeps for the first datagram only) and the answers go out in one `sendmmsg` (or UDP GSO),
/// as the tokio driver batches; one request at a time, a plain `recvfrom` is cheaper and is
/// used (see `batch::recv_waiting`).
///
/// ```no_run
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::time::Duration;
/// use lwm2m::client::{Client, Config};
/// use lwm2m::net::{BlockingDriver, resolve_blocking};
/// use lwm2m::ObjectStore;
///
/// # fn demo() -> std::io::Result<()> {
/// let server = resolve_blocking("coap://127.0.0.1:5683")?;
/// let driver = BlockingDriver::bind("0.0.0.0:0".parse().unwrap())?;
/// let client = Client::new(Config::new("my-device", server), ObjectStore::new());
/// // Set by a signal handler (e.g. `signal_hook::flag::register`) or another thread.
/// let stop = Arc::new(AtomicBool::new(false));
/// driver.run(client, Duration::from_secs(1), |_client, _now| {}, || {
///     stop.load(Ordering::Relaxed)
/// })?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct BlockingDriver {
    socket: UdpSocket,
    shutdown_timeout: Duration,
    /// The socket's read timeout as last set (`None`: not set yet).
    armed: Option<Duration>,
    /// Where every wanted client event goes besides the log.
    events: Option<mpsc::Sender<ServerEvent>>,
    /// Which events go to `events`.
    wanted: fn(&Event) -> bool,
    /// The lookup of a server host name the client asked for ([`Event::ResolveServer`]).
    lookup: Option<Lookup>,
    /// Keeps datagrams for `coaps://` servers off the plain socket.
    guard: PlainGuard,
    /// The client's datagrams of one flush (kept between flushes for its allocation).
    outgoing: Vec<Transmit>,
}

/// A host-name lookup running on its own thread, with retries until it succeeds.
#[derive(Debug)]
struct Lookup {
    resolved: mpsc::Receiver<SocketAddr>,
    /// Tells the thread to give up (a newer lookup replaced it, or the driver is gone).
    cancelled: Arc<AtomicBool>,
}

impl Lookup {
    /// Starts looking `uri` up on a new thread.
    fn start(uri: String) -> io::Result<Lookup> {
        let (found, resolved) = mpsc::channel();
        let cancelled = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&cancelled);
        std::thread::Builder::new()
            .name("lwm2m-lookup".into())
            .spawn(move || {
                let mut failures: u32 = 0;
                while !stop.load(Ordering::Relaxed) {
                    match resolve_blocking(&uri) {
                        Ok(address) => {
                            tracing::info!(%uri, %address, "server host resolved");
                            let _ = found.send(address);
                            return;
                        }
                        Err(e) => {
                            failures = failures.saturating_add(1);
                            let retry_in = lookup_retry_delay(failures);
                            tracing::warn!(%uri, error = %e, ?retry_in, failures, "server lookup failed");
                            std::thread::sleep(retry_in);
                        }
                    }
                }
            })?;
        Ok(Lookup {
            resolved,
            cancelled,
        })
    }
}

impl Drop for Lookup {
    fn drop(&mut self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }
}

/// Resolves a `coap://host:port` server URI to a socket address with the system's resolver,
/// blocking the calling thread, preferring IPv4 when the host has both: the blocking
/// counterpart of [`resolve`](crate::net::resolve), with the same errors.
pub fn resolve_blocking(uri: &str) -> io::Result<SocketAddr> {
    let parsed = parse_uri(uri)?;
    let addrs: Vec<SocketAddr> = (parsed.host.as_str(), parsed.port)
        .to_socket_addrs()?
        .collect();
    crate::net::uri::pick_address(uri, &parsed, &addrs)
}

impl BlockingDriver {
    /// How long [`run`](Self::run) waits for the Deregister's answer after the stop, by
    /// default (as the tokio driver's
    /// [`DEFAULT_SHUTDOWN_TIMEOUT`](crate::net::Driver::DEFAULT_SHUTDOWN_TIMEOUT)).
    pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

    /// Binds a blocking socket to `local` (port 0: any free port).
    pub fn bind(local: SocketAddr) -> io::Result<BlockingDriver> {
        BlockingDriver::from_socket(UdpSocket::bind(local)?)
    }

    /// A driver on a socket bound elsewhere (it is put in blocking mode).
    pub fn from_socket(socket: UdpSocket) -> io::Result<BlockingDriver> {
        socket.set_nonblocking(false)?;
        Ok(BlockingDriver {
            socket,
            shutdown_timeout: Self::DEFAULT_SHUTDOWN_TIMEOUT,
            armed: None,
            events: None,
            wanted: |_| true,
            lookup: None,
            guard: PlainGuard::default(),
            outgoing: Vec::new(),
        })
    }

    /// Hands every client event to the application through `events`, besides logging it. A
    /// closed receiver is not an error: the events are then only logged.
    pub fn with_events(mut self, events: mpsc::Sender<ServerEvent>) -> BlockingDriver {
        self.events = Some(events);
        self.wanted = |_| true;
        self
    }

    /// As [`with_events`](Self::with_events), for the events `wanted` accepts only.
    pub fn with_events_where(
        mut self,
        events: mpsc::Sender<ServerEvent>,
        wanted: fn(&Event) -> bool,
    ) -> BlockingDriver {
        self.events = Some(events);
        self.wanted = wanted;
        self
    }

    /// Sets how long [`run`](Self::run) waits, after the stop, for the Deregister to be answered.
    pub fn with_shutdown_timeout(mut self, timeout: Duration) -> BlockingDriver {
        self.shutdown_timeout = timeout;
        self
    }

    /// The socket's local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Starts `client` and drives it on the calling thread until `stop()` returns `true`, then
    /// deregisters and returns the client.
    ///
    /// Each turn sleeps in one receive until a datagram comes or the next deadline (the
    /// earliest of the client's [`poll_timeout`](Client::poll_timeout) and the next
    /// application tick, `tick(&mut client, now)` every `tick_every`) passes. A datagram goes to
    /// [`Client::handle_datagram`] and its answers out at once, one `send_to` each. `stop` is
    /// asked after every wake-up: a datagram, a deadline, or a signal that interrupted the
    /// receive (a receive with a read timeout is never restarted after a signal handler on
    /// Linux, so a handler that sets a flag `stop` reads ends the run within a turn; the tick
    /// bounds the wait in any case).
    ///
    /// The read timeout is a system call of its own, so it is set only when the one in place
    /// would wake the driver more than 1 ms after the deadline, or long before it (less than a
    /// quarter of the time left); it is then set to half the time left (at least 1 ms). While
    /// requests keep coming the timeout changes a few times per deadline, not per request.
    ///
    /// As with the tokio driver: a server URI with a host name written by a Bootstrap-Server
    /// ([`Event::ResolveServer`]) is looked up on a thread of its own (retried after 1 s, 2 s,
    /// 4 s, ... up to a minute) while the loop goes on; datagrams to a `coaps://` account are
    /// dropped and logged, never sent in the clear; on stop, a registered client is told to
    /// [`deregister`](Client::deregister) and driven until [`Event::Deregistered`] or the
    /// shutdown timeout. A failed send is logged and treated as a lost datagram; a receive
    /// error other than an ICMP report of an unreachable peer ends the run with that error.
    pub fn run<F, S>(
        mut self,
        mut client: Client,
        tick_every: Duration,
        mut tick: F,
        mut stop: S,
    ) -> io::Result<Client>
    where
        F: FnMut(&mut Client, Instant),
        S: FnMut() -> bool,
    {
        let mut buf = RecvBatch::for_driver();
        let mut headers = RecvHeaders::new();
        let tick_every = tick_every.max(MIN_TICK);
        if let Ok(local) = self.socket.local_addr() {
            tracing::info!(%local, "client started (blocking driver)");
        }
        let now = Instant::now();
        let mut next_tick = now + tick_every;
        client.start(now);
        self.flush(&mut client)?;
        loop {
            if stop() {
                break;
            }
            let now = Instant::now();
            if now >= next_tick {
                tick(&mut client, now);
                // As tokio's `MissedTickBehavior::Delay`: the next tick a period from now.
                next_tick = now + tick_every;
                self.flush(&mut client)?;
                continue;
            }
            if client.poll_timeout().is_some_and(|at| at <= now) {
                client.handle_timeout(now);
                self.flush(&mut client)?;
                continue;
            }
            if let Some(address) = self.resolved() {
                client.set_server(Instant::now(), address);
                self.flush(&mut client)?;
                continue;
            }
            let deadline = client
                .poll_timeout()
                .map_or(next_tick, |at| at.min(next_tick));
            self.receive(&mut client, (&mut buf, &mut headers), now, deadline)?;
            self.flush(&mut client)?;
        }
        self.deregister(&mut client, (&mut buf, &mut headers))?;
        Ok(client)
    }

    /// Deregisters the client and drives it until deregistered or the shutdown timeout.
    fn deregister(
        &mut self,
        client: &mut Client,
        (buf, headers): (&mut RecvBatch, &mut RecvHeaders),
    ) -> io::Result<()> {
        tracing::info!(
            registered = client.is_registered(),
            "shutting down: deregistering"
        );
        let give_up = Instant::now() + self.shutdown_timeout;
        client.deregister(Instant::now());
        if self.flush(client)? {
            return Ok(());
        }
        loop {
            let now = Instant::now();
            if now >= give_up {
                tracing::warn!(
                    timeout = ?self.shutdown_timeout,
                    "no answer to the deregistration; giving up"
                );
                return Ok(());
            }
            if client.poll_timeout().is_some_and(|at| at <= now) {
                client.handle_timeout(now);
            } else {
                let deadline = client.poll_timeout().map_or(give_up, |at| at.min(give_up));
                self.receive(client, (&mut *buf, &mut *headers), now, deadline)?;
            }
            if self.flush(client)? {
                return Ok(());
            }
        }
    }

    /// The address of a finished host-name lookup, if one is pending and done.
    fn resolved(&mut self) -> Option<SocketAddr> {
        let address = self.lookup.as_ref()?.resolved.try_recv().ok()?;
        self.lookup = None;
        Some(address)
    }

    /// Waits for a datagram until `deadline` at most (the read timeout adjusted if needed) and
    /// gives the client it and every other one already waiting ([`batch::recv_waiting`]). A
    /// timeout or a signal is a normal return; `Err` only for a socket failure that ends the
    /// run.
    fn receive(
        &mut self,
        client: &mut Client,
        (batch, headers): (&mut RecvBatch, &mut RecvHeaders),
        now: Instant,
        deadline: Instant,
    ) -> io::Result<()> {
        self.arm(deadline.saturating_duration_since(now))?;
        batch.clear();
        match batch::recv_waiting(&self.socket, batch, headers) {
            Ok(()) => {
                let now = Instant::now();
                for (datagram, from) in batch.iter() {
                    tracing::trace!(%from, len = datagram.len(), "datagram received");
                    client.handle_datagram(now, from, datagram);
                }
                Ok(())
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                Ok(())
            }
            Err(e) => super::unless_unreachable(Err(e)),
        }
    }

    /// Makes the socket's read timeout wake the driver no later than `left` from now (plus
    /// [`SLACK`]) and not much earlier than a quarter of it, changing it only if the one in
    /// place does not (see [`run`](Self::run)).
    fn arm(&mut self, left: Duration) -> io::Result<()> {
        let fits = self
            .armed
            .is_some_and(|armed| armed <= left + SLACK && armed >= (left / 4).max(MIN_WAIT));
        if !fits {
            let wait = (left / 2).max(MIN_WAIT);
            self.socket.set_read_timeout(Some(wait))?;
            self.armed = Some(wait);
        }
        Ok(())
    }

    /// Sends every pending datagram and logs (and hands over) every pending event; `true` if
    /// one was [`Event::Deregistered`] and no other Deregister is still in flight.
    fn flush(&mut self, client: &mut Client) -> io::Result<bool> {
        let mut outgoing = core::mem::take(&mut self.outgoing);
        while let Some(transmit) = client.poll_transmit() {
            outgoing.push(transmit);
        }
        if !outgoing.is_empty() {
            self.guard.retain(&mut outgoing, client);
            self.send(&outgoing);
            outgoing.clear();
        }
        self.outgoing = outgoing;
        let mut deregistered = false;
        while let Some(ServerEvent { server, event }) = client.poll_server_event() {
            events::report(server, &event, &mut self.events, self.wanted);
            deregistered |= event == Event::Deregistered;
            if event == Event::Bootstrapped {
                self.guard.forget();
            }
            if let Event::ResolveServer { uri } = event {
                // Bootstrapped to a host name: the Register waits for its address.
                self.lookup = Some(Lookup::start(uri)?);
            }
        }
        Ok(deregistered && !client.is_deregistering())
    }
}

impl BlockingDriver {
    /// Sends `transmits` at once, in order, as many per system call as the platform takes
    /// ([`batch::send_waiting`]); a datagram whose send fails is logged and treated as lost
    /// (CoAP retransmits), and the rest still go.
    fn send(&self, transmits: &[Transmit]) {
        let mut rest = transmits;
        while let Some(first) = rest.first() {
            let sent = match batch::send_waiting(&self.socket, rest) {
                Ok(sent) => sent.max(1).min(rest.len()),
                Err(e) => {
                    tracing::warn!(to = %first.to, error = %e, "send failed");
                    1
                }
            };
            for transmit in rest.get(..sent).unwrap_or(rest) {
                tracing::trace!(to = %transmit.to, len = transmit.bytes.len(), "datagram sent");
            }
            rest = rest.get(sent..).unwrap_or_default();
        }
    }
}
