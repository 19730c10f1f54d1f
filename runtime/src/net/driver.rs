//! [`Driver`]: runs a [`Client`] on one datagram [`Transport`]; [`UdpDriver`] on a tokio UDP
//! socket.

use crate::prelude::*;
use crate::time::Instant;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::time::MissedTickBehavior;

use crate::client::{Client, Event, ServerEvent, Transmit};
use crate::net::accounts::PlainGuard;
use crate::net::batch::RecvBatch;
use crate::net::events::{self, log_transport_change};
use crate::net::transport::Transport;
use crate::net::uri::resolve_with_retries;

/// The shortest application tick; a shorter `tick_every` is raised to this.
const MIN_TICK: Duration = Duration::from_millis(1);

/// Runs a [`Client`] on one datagram [`Transport`] that carries both directions: see the
/// [module documentation](crate::net).
#[derive(Debug)]
pub struct Driver<T = UdpSocket> {
    socket: T,
    shutdown_timeout: Duration,
    lookup: PendingLookup,
    /// The client's datagrams of one flush, sent as one batch (kept between flushes for its
    /// allocation).
    outgoing: Vec<Transmit>,
    /// Where every client event goes besides the log ([`Driver::with_events`]).
    events: Option<tokio::sync::mpsc::UnboundedSender<ServerEvent>>,
    /// Which events go to `events` ([`Driver::with_events_where`]).
    wanted: fn(&Event) -> bool,
    /// Keeps datagrams for `coaps://` servers off a transport that does not secure them.
    guard: PlainGuard,
}

/// The lookup of a server host name the client asked for ([`Event::ResolveServer`]), polled by
/// the driver's loop next to the socket so that it never blocks a datagram.
#[derive(Default)]
struct PendingLookup(Option<Pin<Box<dyn Future<Output = SocketAddr> + Send + Sync>>>);

impl PendingLookup {
    /// Starts looking up `uri` (with retries), replacing a lookup still under way.
    fn start(&mut self, uri: String) {
        self.0 = Some(Box::pin(resolve_with_retries(uri)));
    }

    /// The address once the lookup succeeds (then no lookup is pending); never completes while
    /// none is.
    async fn resolved(&mut self) -> SocketAddr {
        let Some(lookup) = self.0.as_mut() else {
            return std::future::pending().await;
        };
        let address = lookup.await;
        self.0 = None;
        address
    }
}

impl fmt::Debug for PendingLookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingLookup")
            .field("pending", &self.0.is_some())
            .finish()
    }
}

/// The driver of plain CoAP over UDP (`coap://`).
pub type UdpDriver = Driver<UdpSocket>;

impl UdpDriver {
    /// Binds the socket to `local` (port 0: any free port).
    pub async fn bind(local: SocketAddr) -> io::Result<UdpDriver> {
        Ok(UdpDriver::from_socket(UdpSocket::bind(local).await?))
    }

    /// A driver on a socket bound elsewhere.
    pub fn from_socket(socket: UdpSocket) -> UdpDriver {
        Driver::new(socket)
    }
}

impl<T: Transport> Driver<T> {
    /// How long [`run`](Self::run) waits for the Deregister's answer after shutdown, by default:
    /// the RFC 7252 `MAX_TRANSMIT_WAIT` (93 s) is far too long for a process being stopped, so
    /// a few seconds (time for the first transmission and one retransmission).
    pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

    /// A driver on any datagram transport, such as a DTLS session (feature `dtls`).
    pub fn new(transport: T) -> Driver<T> {
        Driver {
            socket: transport,
            shutdown_timeout: Self::DEFAULT_SHUTDOWN_TIMEOUT,
            lookup: PendingLookup::default(),
            outgoing: Vec::new(),
            events: None,
            wanted: |_| true,
            guard: PlainGuard::default(),
        }
    }

    /// Hands every client event (registered, updated, deregistered, bootstrap finished, reboot
    /// or factory reset requested, Send answered, server disabled, registration failed, each
    /// request answered...) to the application through `events`, besides logging it. A closed
    /// receiver is not an error: the events are then only logged.
    ///
    /// ```no_run
    /// # async fn demo(driver: lwm2m::net::UdpDriver) {
    /// let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
    /// let driver = driver.with_events(events);
    /// tokio::spawn(async move {
    ///     while let Some(event) = received.recv().await {
    ///         if event.event == lwm2m::client::Event::Rebooting {
    ///             // restart the device
    ///         }
    ///     }
    /// });
    /// # let _ = driver;
    /// # }
    /// ```
    pub fn with_events(
        mut self,
        events: tokio::sync::mpsc::UnboundedSender<ServerEvent>,
    ) -> Driver<T> {
        self.events = Some(events);
        self.wanted = |_| true;
        self
    }

    /// As [`with_events`](Self::with_events), for the events `wanted` accepts only: an
    /// application that waits for a few events (a reboot request, say) does not pay a channel
    /// message and a task wake-up for every request served.
    pub fn with_events_where(
        mut self,
        events: tokio::sync::mpsc::UnboundedSender<ServerEvent>,
        wanted: fn(&Event) -> bool,
    ) -> Driver<T> {
        self.events = Some(events);
        self.wanted = wanted;
        self
    }

    /// The transport, for example to inspect a DTLS session after a run.
    pub fn transport(&self) -> &T {
        &self.socket
    }

    /// Sets how long [`run`](Self::run) waits, after shutdown, for the Deregister to be answered.
    pub fn with_shutdown_timeout(mut self, timeout: Duration) -> Driver<T> {
        self.shutdown_timeout = timeout;
        self
    }

    /// The socket's local address (the client's address as the server sees it, on loopback).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Starts `client` and drives it until `shutdown` completes, then deregisters and returns the
    /// client.
    ///
    /// Each turn waits for the first of: a datagram on any of the transport's sockets, one
    /// deadline (the earliest of the client's [`poll_timeout`](Client::poll_timeout) and the
    /// transport's [`poll_timeout`](Transport::poll_timeout), such as a DTLS handshake's
    /// retransmission: [`Transport::handle_timeout`], then [`Client::handle_timeout`]), the application tick
    /// every `tick_every` (`tick(&mut client, now)`, where the device updates values and calls
    /// [`Client::resource_changed`]) or `shutdown`. A datagram wakes the driver for every
    /// datagram already waiting (up to 32, received together by the transport's
    /// [`try_recv_batch`](Transport::try_recv_batch): one `recvmmsg` on Linux), each given to
    /// [`Client::handle_datagram`]. After each wake-up, every datagram of
    /// [`Client::poll_transmit`] is shown to the transport ([`Transport::prepare`]: a DTLS
    /// transport makes the endpoint of a `coaps://` server it did not know) and sent, together
    /// ([`try_send_batch`](Transport::try_send_batch): one `sendmmsg` or UDP GSO `sendmsg` on
    /// Linux), and every
    /// [`Event`] logged ([`log_event`](events::log_event)). A session the transport re-established
    /// ([`Transport::poll_change`]: a new DTLS handshake, maybe from a new local port) is
    /// passed to [`Client::transport_changed`], and the Registration Update it causes is sent
    /// at once. A transport that does not secure `coaps://` servers
    /// ([`Transport::secures_coaps`], plain UDP) gets no datagram for one: they are dropped
    /// and logged, never sent in the clear.
    ///
    /// A server URI with a host name written by a Bootstrap-Server ([`Event::ResolveServer`])
    /// is looked up on tokio's blocking pool while the loop goes on; the address goes to
    /// [`Client::set_server`], which sends the Register. A failed lookup is logged and tried
    /// again after 1 s, 2 s, 4 s, ... (at most a minute apart) until it succeeds.
    ///
    /// On shutdown, a registered client is told to [`deregister`](Client::deregister) and driven
    /// until [`Event::Deregistered`] or the shutdown timeout
    /// ([`DEFAULT_SHUTDOWN_TIMEOUT`](Self::DEFAULT_SHUTDOWN_TIMEOUT) unless
    /// [`with_shutdown_timeout`](Self::with_shutdown_timeout)), whichever comes first.
    ///
    /// A failed send is logged and treated as a lost datagram (CoAP retransmits); an error
    /// receiving from the socket, other than an ICMP report of an unreachable peer, ends the run
    /// with that error.
    pub async fn run<F, S>(
        mut self,
        mut client: Client,
        tick_every: Duration,
        mut tick: F,
        shutdown: S,
    ) -> io::Result<Client>
    where
        F: FnMut(&mut Client, Instant),
        S: Future<Output = ()>,
    {
        let mut batch = RecvBatch::for_driver();
        let tick_every = tick_every.max(MIN_TICK);
        let mut ticker =
            tokio::time::interval_at(tokio::time::Instant::now() + tick_every, tick_every);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        tokio::pin!(shutdown);

        if let Ok(local) = self.socket.local_addr() {
            tracing::info!(%local, "client started");
        }
        client.start(Instant::now());
        self.flush(&mut client).await;

        // One timer for the client's deadline, moved only when the deadline changes: a new
        // `Sleep` per turn would insert into and remove from tokio's timer wheel per datagram.
        let mut deadline = self.deadline(&client);
        let timer = tokio::time::sleep_until(tokio_instant(deadline));
        tokio::pin!(timer);
        loop {
            let next = self.deadline(&client);
            if next != deadline {
                deadline = next;
                timer.as_mut().reset(tokio_instant(deadline));
            }
            tokio::select! {
                waited = self.socket.wait_datagram(&mut batch) => {
                    self.receive(&mut client, waited, &mut batch)?;
                }
                () = &mut timer, if deadline.is_some() => self.handle_timeout(&mut client),
                address = self.lookup.resolved() => client.set_server(Instant::now(), address),
                _ = ticker.tick() => tick(&mut client, Instant::now()),
                () = &mut shutdown => break,
            }
            self.flush(&mut client).await;
        }

        self.deregister(&mut client, &mut batch).await?;
        Ok(client)
    }

    /// Deregisters the client and drives it until deregistered or the timeout. A client that is
    /// not registered is done at once, unless a Register is in flight: then the client waits
    /// for its answer and deregisters the registration it may have created.
    async fn deregister(&mut self, client: &mut Client, batch: &mut RecvBatch) -> io::Result<()> {
        tracing::info!(
            registered = client.is_registered(),
            "shutting down: deregistering"
        );
        let give_up = tokio::time::Instant::now() + self.shutdown_timeout;
        client.deregister(Instant::now());
        if self.flush(client).await {
            return Ok(());
        }
        loop {
            let deadline = self.deadline(client);
            tokio::select! {
                waited = self.socket.wait_datagram(batch) => self.receive(client, waited, batch)?,
                () = sleep_until(deadline) => self.handle_timeout(client),
                () = tokio::time::sleep_until(give_up) => {
                    tracing::warn!(
                        timeout = ?self.shutdown_timeout,
                        "no answer to the deregistration; giving up"
                    );
                    return Ok(());
                }
            }
            if self.flush(client).await {
                return Ok(());
            }
        }
    }

    /// The one deadline of the loop: the earliest of the client's and the transport's (a
    /// secure transport's handshake timers).
    fn deadline(&self, client: &Client) -> Option<Instant> {
        match (client.poll_timeout(), self.socket.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The deadline came: the transport's timers, then the client's (each does what is due
    /// and nothing else, so one waking the other early is harmless).
    fn handle_timeout(&mut self, client: &mut Client) {
        let now = Instant::now();
        self.socket.handle_timeout(now);
        client.handle_timeout(now);
    }

    /// After the transport's [`wait_datagram`](Transport::wait_datagram) returned `waited`:
    /// takes every other datagram already waiting, up to the batch's 32, in one
    /// [`try_recv_batch`](Transport::try_recv_batch) (under load the socket holds several
    /// whenever the driver looks), and gives each to the client in the order received. Their
    /// responses are sent together by the next [`flush`](Self::flush). `Err` only for a
    /// socket failure that ends the run (after the datagrams received before it).
    fn receive(
        &mut self,
        client: &mut Client,
        waited: io::Result<()>,
        batch: &mut RecvBatch,
    ) -> io::Result<()> {
        let result = waited.and_then(|()| self.socket.try_recv_batch(batch));
        let now = Instant::now();
        for (datagram, from) in batch.iter() {
            tracing::trace!(%from, len = datagram.len(), "datagram received");
            client.handle_datagram(now, from, datagram);
        }
        batch.clear();
        super::unless_unreachable(result)
    }

    /// Sends every pending datagram and logs every pending event; `true` if one was
    /// [`Event::Deregistered`] and no other Deregister is still in flight (several servers).
    ///
    /// A session change the transport reports ([`Transport::poll_change`]), typically made by
    /// one of these sends (a re-handshake), goes to [`Client::transport_changed`] and the
    /// Update it causes is sent in the same flush.
    async fn flush(&mut self, client: &mut Client) -> bool {
        self.send_transmits(client).await;
        let mut changed = false;
        while let Some(change) = self.socket.poll_change() {
            log_transport_change(&change);
            client.transport_changed(Instant::now(), change.server);
            changed = true;
        }
        if changed {
            self.send_transmits(client).await;
        }
        let mut deregistered = false;
        while let Some(ServerEvent { server, event }) = client.poll_server_event() {
            // With several servers, each line names the server (its Short Server ID).
            events::report(server, &event, &mut self.events, self.wanted);
            deregistered |= event == Event::Deregistered;
            if event == Event::Bootstrapped {
                // The Security object changed: look the servers up again.
                self.guard.forget();
                self.socket.security_changed(client);
            }
            if let Event::ResolveServer { uri } = event {
                // Bootstrapped to a host name: the Register waits for its address.
                self.lookup.start(uri);
            }
        }
        deregistered && !client.is_deregistering()
    }
}

impl<T: Transport> Driver<T> {
    /// Sends every datagram the client has for the network, in order: as many at a time as
    /// the transport's [`try_send_batch`](Transport::try_send_batch) takes, otherwise one
    /// with [`send_to`](Transport::send_to) (which waits for room in the socket's buffer).
    async fn send_transmits(&mut self, client: &mut Client) {
        self.outgoing.clear();
        while let Some(transmit) = client.poll_transmit() {
            self.outgoing.push(transmit);
        }
        if !self.outgoing.is_empty() {
            self.socket.prepare(&self.outgoing, client);
            if !self.socket.secures_coaps() {
                self.guard.retain(&mut self.outgoing, client);
            }
        }
        let mut next = 0;
        while let Some(rest) = self.outgoing.get(next..).filter(|rest| !rest.is_empty()) {
            match self.socket.try_send_batch(rest) {
                Ok(0) => {
                    if let Some(transmit) = rest.first() {
                        match self.socket.send_to(&transmit.bytes, transmit.to).await {
                            Ok(()) => trace_sent(transmit),
                            Err(e) => send_failed(transmit, &e),
                        }
                    }
                    next += 1;
                }
                Ok(sent) => {
                    let sent = sent.min(rest.len());
                    rest.iter().take(sent).for_each(trace_sent);
                    next += sent;
                }
                Err(e) => {
                    if let Some(transmit) = rest.first() {
                        send_failed(transmit, &e);
                    }
                    next += 1;
                }
            }
        }
        self.outgoing.clear();
    }
}

/// Traces a datagram sent.
fn trace_sent(transmit: &Transmit) {
    tracing::trace!(to = %transmit.to, len = transmit.bytes.len(), "datagram sent");
}

/// Logs a datagram that could not be sent (CoAP retransmits it, as a lost one).
fn send_failed(transmit: &Transmit, e: &io::Error) {
    tracing::warn!(to = %transmit.to, error = %e, "send failed");
}

/// Sleeps until `deadline`, or forever for `None`.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at.into())).await,
        None => std::future::pending().await,
    }
}

/// The timer's instant for a client deadline; `None` (no deadline: the timer's branch is then
/// disabled) maps to a day ahead.
fn tokio_instant(deadline: Option<Instant>) -> tokio::time::Instant {
    deadline.map_or_else(
        || tokio::time::Instant::now() + Duration::from_secs(86_400),
        |at| tokio::time::Instant::from_std(at.into()),
    )
}

#[cfg(test)]
mod batch_tests {
    use std::collections::HashSet;

    use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};
    use tokio::net::UdpSocket;

    use super::*;
    use crate::client::Config;
    use crate::net::batch::MAX_BATCH;
    use crate::net::transport::poll_once;

    const LIMIT: Duration = Duration::from_secs(10);

    async fn recv(socket: &UdpSocket) -> (Packet, SocketAddr) {
        let mut buf = [0u8; 2048];
        let (len, from) = tokio::time::timeout(LIMIT, socket.recv_from(&mut buf))
            .await
            .expect("the server waited too long")
            .unwrap();
        (Packet::from_bytes(&buf[..len]).unwrap(), from)
    }

    #[test]
    fn poll_once_gives_a_ready_output_and_none_for_a_pending_future() {
        assert_eq!(poll_once(std::future::ready(7)), Some(7));
        assert_eq!(poll_once(std::future::pending::<u8>()), None);
    }

    /// A burst of requests larger than a batch, sent before the driver looks: every one is
    /// answered once, with its own message id and token (the drain neither drops nor repeats).
    #[tokio::test]
    async fn a_burst_of_requests_beyond_one_batch_is_answered_exactly_once_each() {
        const BURST: u16 = 3 * MAX_BATCH as u16 + 5;
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let driver = UdpDriver::bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap()
            .with_shutdown_timeout(Duration::from_millis(50));
        let client = Client::new(
            Config::new("burst", server.local_addr().unwrap()),
            crate::net::tests::store(),
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();

        let script = async {
            let (register, client_addr) = recv(&server).await;
            let mut created = Packet::new();
            created.header.set_type(MessageType::Acknowledgement);
            created.header.message_id = register.header.message_id;
            created.header.code = MessageClass::Response(ResponseType::Created);
            created.set_token(register.get_token().to_vec());
            created.add_option(CoapOption::LocationPath, b"rd".to_vec());
            created.add_option(CoapOption::LocationPath, b"1".to_vec());
            server
                .send_to(&created.to_bytes().unwrap(), client_addr)
                .await
                .unwrap();

            for n in 0..BURST {
                let mut read = Packet::new();
                read.header.set_type(MessageType::Confirmable);
                read.header.message_id = 1000 + n;
                read.header.code = MessageClass::Request(RequestType::Get);
                read.set_token(n.to_be_bytes().to_vec());
                for part in ["3", "0", "0"] {
                    read.add_option(CoapOption::UriPath, part.as_bytes().to_vec());
                }
                server
                    .send_to(&read.to_bytes().unwrap(), client_addr)
                    .await
                    .unwrap();
            }
            let mut answered = HashSet::new();
            while answered.len() < usize::from(BURST) {
                let (response, _) = recv(&server).await;
                if response.header.get_type() != MessageType::Acknowledgement {
                    continue; // an Update, if the lifetime ran out (it does not at 60 s)
                }
                assert_eq!(
                    response.header.code,
                    MessageClass::Response(ResponseType::Content)
                );
                let n = response.header.message_id - 1000;
                assert_eq!(response.get_token(), n.to_be_bytes());
                assert!(answered.insert(n), "request {n} answered twice");
            }
            stop.send(()).unwrap();
        };
        let run = driver.run(client, Duration::from_secs(1), |_, _| {}, async {
            let _ = stopped.await;
        });
        let (client, ()) = tokio::join!(run, script);
        assert!(client.is_ok());
    }
}
