//! [`SecureTransport`]: every server of a client on one [`Transport`], a DTLS [`Endpoint`]
//! (sans I/O) per `coaps://` server and one plain socket for `coap://` ones, all run by the
//! driver's one loop; the design is on the type.
//!
//! [`Endpoint`]: super::Endpoint

use crate::prelude::*;
use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::task::Poll;

use tokio::net::UdpSocket;
use tokio::sync::mpsc::UnboundedSender;

use super::lookup::{self, Route};
use super::peer::{Outputs, Peer, PeerStatus, SessionReport, tokio_socket};
use super::{Credentials, DtlsConfig, DtlsError, resolve_coaps};
use crate::client::{Client, Transmit};
use crate::net::batch::{MAX_DATAGRAM, RecvBatch};
use crate::net::{Transport, TransportChange};
use crate::objects::Security;
use crate::time::Instant;

/// The servers of one client over UDP, `coaps://` ones through DTLS 1.2 (PSK): a [`Transport`]
/// that sends each datagram in the session of its destination and gives what any session
/// receives with that session's server as the source, so one
/// [`Client`] registers with several servers through one [`Driver`](crate::net::Driver).
///
/// # Design
///
/// - **Sans I/O per server, one loop for all.** Each `coaps://` server has an
///   [`Endpoint`](super::Endpoint): datagrams in, plaintexts out, its own handshake timers on
///   the caller's clock. The driver waits for every socket at once and for one deadline, the
///   earliest of the client's and every endpoint's ([`Transport::poll_timeout`]): no task,
///   queue or lock per server, so a server that is down, refuses the key or black-holes its
///   handshake holds nothing but its own session; the others are read and answered as before.
/// - **One connected UDP socket per secure server.** The kernel drops datagrams from anyone
///   else, so no datagram reaches another server's session. A lost session shakes hands again
///   from a fresh local port when the endpoint asks ([`EndpointEvent::MovePort`](super::EndpointEvent::MovePort)), unless
///   the server's local address was pinned (a port other than 0).
/// - **Plain servers share one socket**, bound at the transport's local address when the
///   client first sends to one. What it receives from the address of a secure server is
///   dropped: only a session delivers that server's messages.
/// - **Servers found on demand.** The driver shows the transport each batch of datagrams
///   with the client ([`Transport::prepare`]): a destination not seen before is looked up in
///   the client's Security object, and one with a PSK account gets its endpoint then (a
///   server a Bootstrap-Server wrote, for instance). Servers can also be
///   [added](Self::add) beforehand, each with its own settings.
/// - **Session changes for the client.** A session re-established (maybe from a new port) is
///   reported by [`poll_change`](Transport::poll_change) for the client to update its
///   registration; [`with_reports`](Self::with_reports) hands the sessions' events to the
///   application as well.
///
/// ```no_run
/// use std::time::Duration;
/// use lwm2m::client::{Client, Config};
/// use lwm2m::net::Driver;
/// use lwm2m::net::dtls::{Credentials, DtlsConfig, SecureTransport};
/// use lwm2m::ObjectStore;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let (first, second) = ("192.0.2.1:5684".parse()?, "192.0.2.2:5684".parse()?);
/// let mut transport = SecureTransport::new("0.0.0.0:0".parse()?);
/// transport.add("0.0.0.0:0".parse()?, first, DtlsConfig::new(Credentials::psk(*b"dev", [1; 16])?))?;
/// // The second server's key comes from its Security instance when the client first sends to it.
/// // The store holds a Security and a Server instance per server (Short Server IDs 1 and 2).
/// let config = Config::new("dev", first).with_server(2, second);
/// let client = Client::new(config, ObjectStore::new());
/// Driver::new(transport)
///     .run(client, Duration::from_secs(1), |_client, _now| {}, std::future::pending())
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct SecureTransport {
    /// The address of the plain socket, and the IP of the sockets of servers found on demand.
    local: SocketAddr,
    /// The plain socket, and a handle on it to send without waiting (see `peer.rs`).
    plain: Option<(UdpSocket, std::net::UdpSocket)>,
    peers: Vec<Peer>,
    /// The servers whose peers were made on demand (looked up again when the Security object
    /// changes).
    found: Vec<SocketAddr>,
    /// Destinations looked up and found not secure (or refused).
    routes: BTreeMap<SocketAddr, Route>,
    /// The settings of servers found on demand (their credentials replaced).
    template: Option<DtlsConfig>,
    /// Plain datagrams received by [`recv_from`](Transport::recv_from) but not yet returned.
    inbox: VecDeque<(SocketAddr, Vec<u8>)>,
    changes: VecDeque<TransportChange>,
    reports: Option<UnboundedSender<SessionReport>>,
    /// Which peer is read first on the next wake-up (turns, so that a busy one cannot starve
    /// the others).
    turn: usize,
    buf: Vec<u8>,
}

impl SecureTransport {
    /// A transport with no server yet: its plain socket binds `local` when first needed, and
    /// a server found on demand gets a socket on a free port of `local`'s IP.
    pub fn new(local: SocketAddr) -> SecureTransport {
        SecureTransport {
            local,
            plain: None,
            peers: Vec::new(),
            found: Vec::new(),
            routes: BTreeMap::new(),
            template: None,
            inbox: VecDeque::new(),
            changes: VecDeque::new(),
            reports: None,
            turn: 0,
            buf: vec![0; MAX_DATAGRAM],
        }
    }

    /// The settings of servers found on demand (handshake timeout, MTU, re-handshake rule,
    /// ciphers, resumption), each with its own credentials; [`DtlsConfig::new`]'s defaults
    /// otherwise.
    pub fn with_defaults(mut self, template: DtlsConfig) -> SecureTransport {
        self.template = Some(template);
        self
    }

    /// Hands every session event (established, failed, closed, port moved) to `reports`
    /// besides logging it; a closed receiver is not an error.
    pub fn with_reports(mut self, reports: UnboundedSender<SessionReport>) -> SecureTransport {
        self.reports = Some(reports);
        self
    }

    /// Adds a `coaps://` server: a socket bound to `local` (port 0: any free port, and a
    /// fresh one after a lost session; another port is kept always) and connected to
    /// `server`; the handshake happens when the client first sends to it (or
    /// [`connect`](Self::connect)). Must run inside a tokio runtime.
    pub fn add(
        &mut self,
        local: SocketAddr,
        server: SocketAddr,
        config: DtlsConfig,
    ) -> Result<(), DtlsError> {
        if self.peer(server).is_some() {
            return Err(DtlsError::DuplicateServer(server));
        }
        self.peers.push(Peer::new(local, server, &config)?);
        self.routes.remove(&server);
        Ok(())
    }

    /// Adds the server of a Security instance (`/0/x`): its `coaps://` URI (`/0/x/0`) is
    /// resolved and its credentials ([`Credentials::from_security`]) go into the settings of
    /// [`with_defaults`](Self::with_defaults). Returns the server's address, for the client's
    /// [`Config`](crate::client::Config).
    pub async fn add_security(
        &mut self,
        local: SocketAddr,
        security: &Security,
    ) -> Result<SocketAddr, DtlsError> {
        let credentials = Credentials::from_security(security)?;
        let server = resolve_coaps(&security.server_uri).await?;
        let config = self.config_for(credentials);
        self.add(local, server, config)?;
        Ok(server)
    }

    /// The `coaps://` servers, in the order they were added or found.
    pub fn servers(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.peers.iter().map(Peer::server)
    }

    /// How the session with `server` is doing (`None`: not a `coaps://` server of this
    /// transport).
    pub fn status(&self, server: SocketAddr) -> Option<PeerStatus> {
        self.peers
            .iter()
            .find(|peer| peer.server() == server)
            .map(|peer| peer.status().clone())
    }

    /// Shakes hands with `server` now unless a session is up or a handshake is under way,
    /// and waits until the session is up or the handshake failed (its error), serving the
    /// other servers' sockets and timers meanwhile (their plaintexts wait for
    /// [`recv_from`](Transport::recv_from) or the driver). For a device that wants a wrong key
    /// to stop it before it runs, or a test; the driver never waits like this.
    pub async fn connect(&mut self, server: SocketAddr) -> Result<(), Arc<DtlsError>> {
        let now = Instant::now();
        let index = self.index_of(server).ok_or_else(|| {
            Arc::new(DtlsError::Io(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{server} is not a coaps:// server of this transport"),
            )))
        })?;
        let mut out = Outputs {
            changes: &mut self.changes,
            reports: &mut self.reports,
        };
        if let Some(peer) = self.peers.get_mut(index) {
            peer.connect(now, &mut out);
        }
        self.until_settled(index).await
    }

    /// Sends `plaintext` (one CoAP message) to `to`: in its DTLS session (after the handshake
    /// if there is none, queued in its endpoint meanwhile), or on the plain socket for a
    /// server that is not secure. `expects_answer`: the server should answer it (see
    /// [`Transmit::expects_answer`]). Never waits: a datagram the socket has no room for is
    /// lost, as on the network.
    pub fn send(
        &mut self,
        to: SocketAddr,
        plaintext: &[u8],
        expects_answer: bool,
    ) -> io::Result<()> {
        let now = Instant::now();
        let mut out = Outputs {
            changes: &mut self.changes,
            reports: &mut self.reports,
        };
        if let Some(peer) = self.peers.iter_mut().find(|peer| peer.server() == to) {
            peer.send(now, plaintext, expects_answer, &mut out);
            return Ok(());
        }
        if let Some(Route::Refused(error)) = self.routes.get(&to) {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("nothing goes to {to} in the clear: {error}"),
            ));
        }
        self.plain_socket()?.1.send_to(plaintext, to).map(|_| ())
    }

    /// Ends the session with `server` with a close_notify; the next send shakes hands again.
    pub fn close(&mut self, server: SocketAddr) {
        let mut out = Outputs {
            changes: &mut self.changes,
            reports: &mut self.reports,
        };
        if let Some(peer) = self.peers.iter_mut().find(|peer| peer.server() == server) {
            peer.close(&mut out);
        }
    }

    /// The local address of the socket towards `server` (the plain one for a server that is
    /// not secure, once bound).
    pub fn local_addr_for(&self, server: SocketAddr) -> Option<SocketAddr> {
        match self.peer(server) {
            Some(peer) => peer.status().local,
            None => self.plain.as_ref()?.0.local_addr().ok(),
        }
    }

    fn peer(&self, server: SocketAddr) -> Option<&Peer> {
        self.peers.iter().find(|peer| peer.server() == server)
    }

    fn index_of(&self, server: SocketAddr) -> Option<usize> {
        self.peers.iter().position(|peer| peer.server() == server)
    }

    fn config_for(&self, credentials: Credentials) -> DtlsConfig {
        match &self.template {
            Some(template) => template.with_credentials(credentials),
            None => DtlsConfig::new(credentials),
        }
    }

    /// The plain socket, bound now if it is not yet.
    fn plain_socket(&mut self) -> io::Result<&(UdpSocket, std::net::UdpSocket)> {
        if self.plain.is_none() {
            let socket = tokio_socket(std::net::UdpSocket::bind(self.local)?)?;
            if let Ok(local) = socket.0.local_addr() {
                tracing::debug!(%local, "plain UDP socket bound");
            }
            self.plain = Some(socket);
        }
        self.plain
            .as_ref()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))
    }

    /// The local address for the socket of a server found on demand: the transport's IP if
    /// it is of the server's family, any address of that family otherwise; any port.
    fn local_for(&self, server: SocketAddr) -> SocketAddr {
        let ip = match (self.local.ip(), server.ip()) {
            (IpAddr::V4(ip), IpAddr::V4(_)) => IpAddr::V4(ip),
            (IpAddr::V6(ip), IpAddr::V6(_)) => IpAddr::V6(ip),
            (_, IpAddr::V4(_)) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            (_, IpAddr::V6(_)) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        };
        SocketAddr::new(ip, 0)
    }

    /// Looks `to` up in the client's Security object, once: a PSK account gets its endpoint.
    fn learn(&mut self, to: SocketAddr, client: &Client) {
        if self.peer(to).is_some() || self.routes.contains_key(&to) {
            return;
        }
        match lookup::route(client, to) {
            Route::Secure(credentials) => {
                let config = self.config_for(credentials);
                match Peer::new(self.local_for(to), to, &config) {
                    Ok(peer) => {
                        tracing::info!(server = %to, "a coaps:// server of the Security object: DTLS endpoint made");
                        self.peers.push(peer);
                        self.found.push(to);
                    }
                    Err(error) => {
                        tracing::warn!(server = %to, %error, "no DTLS endpoint for the server");
                        self.routes.insert(to, Route::Refused(error));
                    }
                }
            }
            Route::Refused(error) => {
                tracing::warn!(server = %to, %error, "the server's Security instance cannot be honoured: nothing is sent to it");
                self.routes.insert(to, Route::Refused(error));
            }
            Route::Plain => {
                self.routes.insert(to, Route::Plain);
            }
        }
    }

    /// Waits until a socket has a datagram or a received plaintext waits; cancel-safe.
    fn readable(&self) -> impl Future<Output = io::Result<()>> + '_ {
        std::future::poll_fn(move |cx| {
            if !self.inbox.is_empty() || self.peers.iter().any(|p| p.has_plaintext()) {
                return Poll::Ready(Ok(()));
            }
            self.poll_sockets(cx)
        })
    }

    /// Polls every socket for a datagram to read.
    fn poll_sockets(&self, cx: &mut std::task::Context<'_>) -> Poll<io::Result<()>> {
        if let Some((plain, _)) = &self.plain
            && let Poll::Ready(ready) = plain.poll_recv_ready(cx)
        {
            return Poll::Ready(ready);
        }
        for peer in &self.peers {
            if let Poll::Ready(ready) = peer.poll_recv_ready(cx) {
                return Poll::Ready(ready);
            }
        }
        Poll::Pending
    }

    /// Waits until `peers[index]` is established or its handshake failed.
    async fn until_settled(&mut self, index: usize) -> Result<(), Arc<DtlsError>> {
        let io = |e: io::Error| Arc::new(DtlsError::Io(e));
        loop {
            let Some(peer) = self.peers.get(index) else {
                return Err(io(io::ErrorKind::NotFound.into()));
            };
            if !peer.is_handshaking() {
                return match (peer.status().established, &peer.status().last_error) {
                    (true, _) => Ok(()),
                    (false, Some(error)) => Err(error.clone()),
                    (false, None) => Err(io(io::ErrorKind::NotConnected.into())),
                };
            }
            self.wait_and_read().await.map_err(io)?;
        }
    }

    /// One turn of a loop outside the driver: waits for a datagram on a socket or a deadline, then
    /// reads every socket (plaintexts wait in the endpoints and the inbox) or handles the
    /// timers.
    async fn wait_and_read(&mut self) -> io::Result<()> {
        let deadline = self.poll_timeout();
        let sleep = async {
            match deadline {
                Some(at) => {
                    tokio::time::sleep_until(tokio::time::Instant::from_std(at.into())).await
                }
                None => std::future::pending().await,
            }
        };
        // The sockets only: plaintexts already received wait where they are (waiting for
        // them here would spin).
        let sockets = std::future::poll_fn(|cx| self.poll_sockets(cx));
        let ready = tokio::select! {
            ready = sockets => Some(ready),
            () = sleep => None,
        };
        match ready {
            Some(ready) => {
                ready?;
                self.read_sockets(usize::MAX)
            }
            None => {
                self.handle_timeout(Instant::now());
                Ok(())
            }
        }
    }

    /// Reads every socket without waiting: plain datagrams into the inbox (at most `limit`),
    /// secure ones into their endpoints.
    fn read_sockets(&mut self, limit: usize) -> io::Result<()> {
        let now = Instant::now();
        if let Some((plain, _)) = &self.plain {
            while self.inbox.len() < limit {
                match plain.try_recv_from(&mut self.buf) {
                    Ok((len, from)) => {
                        if self.peers.iter().any(|p| p.server() == from) {
                            tracing::debug!(%from, len, "plain datagram from a coaps:// server: dropped");
                            continue;
                        }
                        self.inbox
                            .push_back((from, self.buf.get(..len).unwrap_or_default().to_vec()));
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if crate::net::is_unreachable(&e) => {
                        tracing::debug!(error = %e, "peer unreachable")
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        let mut out = Outputs {
            changes: &mut self.changes,
            reports: &mut self.reports,
        };
        for peer in &mut self.peers {
            read_peer(peer, now, &mut self.buf, &mut out, usize::MAX);
        }
        Ok(())
    }

    /// The next plaintext waiting (plain ones first), with its server.
    fn pop_received(&mut self) -> Option<(SocketAddr, Vec<u8>)> {
        if let Some(received) = self.inbox.pop_front() {
            return Some(received);
        }
        self.peers.iter_mut().find_map(|peer| {
            let server = peer.server();
            peer.endpoint().poll_plaintext().map(|p| (server, p))
        })
    }
}

/// Reads the datagrams waiting on `peer`'s socket into its endpoint, at most `limit`.
fn read_peer(peer: &mut Peer, now: Instant, buf: &mut [u8], out: &mut Outputs<'_>, limit: usize) {
    for _ in 0..limit {
        match peer.try_receive(now, buf, out) {
            Ok(true) => {}
            Ok(false) => break,
            // An ICMP report (the server is not up): handshake and CoAP retransmissions go on.
            Err(e) if crate::net::is_unreachable(&e) => {
                tracing::debug!(server = %peer.server(), error = %e, "DTLS server unreachable");
            }
            Err(e) => {
                peer.socket_failed(&e, out);
                break;
            }
        }
    }
}

impl Transport for SecureTransport {
    /// Sends `bytes` to `to` as [`send`](SecureTransport::send) does, counting it as a message
    /// that calls for an answer (the driver uses [`try_send_batch`](Transport::try_send_batch),
    /// which knows), and waiting for room in the plain socket's buffer.
    async fn send_to(&mut self, bytes: &[u8], to: SocketAddr) -> io::Result<()> {
        if self.peer(to).is_some() || matches!(self.routes.get(&to), Some(Route::Refused(_))) {
            return self.send(to, bytes, true);
        }
        // Plain: wait for room in the socket's buffer, as the plain UDP transport does.
        let (plain, _) = self.plain_socket()?;
        plain.send_to(bytes, to).await.map(|_| ())
    }

    /// The next plaintext of any server, with that server; drives the handshakes' timers
    /// meanwhile. Cancel-safe.
    async fn recv_from(&mut self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        loop {
            if let Some((from, plaintext)) = self.pop_received() {
                let mut len = 0;
                for (dst, src) in buf.iter_mut().zip(&plaintext) {
                    *dst = *src;
                    len += 1;
                }
                return Ok((len, from));
            }
            self.wait_and_read().await?;
        }
    }

    /// The plain socket's address once bound, else the first secure server's socket's.
    fn local_addr(&self) -> io::Result<SocketAddr> {
        if let Some((plain, _)) = &self.plain {
            return plain.local_addr();
        }
        self.peers
            .first()
            .and_then(|peer| peer.status().local)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "no socket yet"))
    }

    /// Waits until any socket has a datagram (or a plaintext waits), as one future.
    fn wait_datagram(
        &mut self,
        _batch: &mut RecvBatch,
    ) -> impl Future<Output = io::Result<()>> + Send {
        self.readable()
    }

    /// Plaintexts waiting first, then the plain socket, then every secure server's socket
    /// (starting with a different one each time), until the batch is full.
    fn try_recv_batch(&mut self, batch: &mut RecvBatch) -> io::Result<()> {
        let now = Instant::now();
        fill(batch, &mut self.inbox, &mut self.peers);
        if let Some((plain, _)) = &self.plain {
            while let Some((slot, mut filled)) = batch.next_slot() {
                match plain.try_recv_from(slot) {
                    Ok((len, from)) => {
                        if self.peers.iter().any(|p| p.server() == from) {
                            tracing::debug!(%from, len, "plain datagram from a coaps:// server: dropped");
                        } else {
                            filled.push(len, from);
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if crate::net::is_unreachable(&e) => {
                        tracing::debug!(error = %e, "peer unreachable")
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        let count = self.peers.len();
        self.turn = self.turn.wrapping_add(1);
        let mut out = Outputs {
            changes: &mut self.changes,
            reports: &mut self.reports,
        };
        for k in 0..count {
            if batch.is_full() {
                break;
            }
            let free = batch.capacity().saturating_sub(batch.len());
            if let Some(peer) = self.peers.get_mut((self.turn + k) % count) {
                read_peer(peer, now, &mut self.buf, &mut out, free);
                let server = peer.server();
                while !batch.is_full()
                    && let Some(plaintext) = peer.endpoint().poll_plaintext()
                {
                    push(batch, server, &plaintext);
                }
            }
        }
        Ok(())
    }

    /// Every transmit in order: into its server's session, or on the plain socket; stops at a
    /// plain one the socket has no room for (the driver then waits to send it).
    fn try_send_batch(&mut self, transmits: &[Transmit]) -> io::Result<usize> {
        let mut sent = 0;
        for transmit in transmits {
            match self.send(transmit.to, &transmit.bytes, transmit.expects_answer) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if sent == 0 => return Err(e),
                Err(e) => {
                    tracing::warn!(to = %transmit.to, error = %e, "send failed");
                }
            }
            sent += 1;
        }
        Ok(sent)
    }

    fn poll_change(&mut self) -> Option<TransportChange> {
        self.changes.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.peers
            .iter()
            .filter_map(|peer| peer.poll_timeout())
            .min()
    }

    fn handle_timeout(&mut self, now: Instant) {
        let mut out = Outputs {
            changes: &mut self.changes,
            reports: &mut self.reports,
        };
        for peer in &mut self.peers {
            if peer.poll_timeout().is_some_and(|at| at <= now) {
                peer.handle_timeout(now, &mut out);
            }
        }
    }

    fn secures_coaps(&self) -> bool {
        true
    }

    fn prepare(&mut self, transmits: &[Transmit], client: &Client) {
        for transmit in transmits {
            self.learn(transmit.to, client);
        }
    }

    /// Every destination is looked up again; a server found on demand whose Security instance
    /// now gives other credentials (or none) loses its endpoint, and gets a new one with the
    /// new credentials when the client next sends to it.
    fn security_changed(&mut self, client: &Client) {
        self.routes.clear();
        let stale: Vec<SocketAddr> = self
            .peers
            .iter()
            .filter(|peer| self.found.contains(&peer.server()))
            .filter(|peer| match lookup::route(client, peer.server()) {
                Route::Secure(credentials) => credentials != *peer.credentials(),
                Route::Plain | Route::Refused(_) => true,
            })
            .map(Peer::server)
            .collect();
        for server in stale {
            tracing::info!(%server, "the server's Security instance changed: its DTLS endpoint is dropped");
            self.peers.retain(|peer| peer.server() != server);
            self.found.retain(|found| *found != server);
        }
    }
}

/// Moves the plaintexts already received into `batch`, until it is full.
fn fill(batch: &mut RecvBatch, inbox: &mut VecDeque<(SocketAddr, Vec<u8>)>, peers: &mut [Peer]) {
    while !batch.is_full()
        && let Some((from, datagram)) = inbox.pop_front()
    {
        push(batch, from, &datagram);
    }
    for peer in peers {
        let server = peer.server();
        while !batch.is_full()
            && let Some(plaintext) = peer.endpoint().poll_plaintext()
        {
            push(batch, server, &plaintext);
        }
    }
}

/// Copies one datagram into the batch's next slot (truncated to the slot, as a socket would).
fn push(batch: &mut RecvBatch, from: SocketAddr, datagram: &[u8]) {
    if let Some((slot, mut filled)) = batch.next_slot() {
        let mut len = 0;
        for (dst, src) in slot.iter_mut().zip(datagram) {
            *dst = *src;
            len += 1;
        }
        filled.push(len, from);
    }
}
