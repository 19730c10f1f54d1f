//! [`Peer`]: one `coaps://` server of a [`SecureTransport`](super::SecureTransport): its
//! sans-I/O [`Endpoint`], the UDP socket connected to it, and what happened to the session.
//!
//! Everything here is synchronous: the endpoint is fed and drained, and its datagrams go out
//! with a non-blocking send (a datagram the socket has no room for is lost, as on the network;
//! DTLS and CoAP retransmit). The transport's one loop waits for every peer's socket at once.

use crate::prelude::*;
use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::net::UdpSocket;
use tokio::sync::mpsc::UnboundedSender;

use super::config::context;
use super::endpoint::{Endpoint, EndpointEvent, OpenSslEngine};
use super::{Credentials, DtlsConfig, DtlsError};
use crate::net::TransportChange;
use crate::time::Instant;

/// How one server's DTLS session is doing: [`SecureTransport::status`](super::SecureTransport::status).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct PeerStatus {
    /// The local address of the socket towards this server (it moves to a fresh port when a
    /// lost session is shaken up again: see [`EndpointEvent::MovePort`]).
    pub local: Option<SocketAddr>,
    /// Whether a session is established now.
    pub established: bool,
    /// How many handshakes completed, resumed ones included.
    pub handshakes: u32,
    /// How many of them resumed an earlier session.
    pub resumed_handshakes: u32,
    /// Whether the last handshake completed resumed an earlier session.
    pub resumed: bool,
    /// How many times the session moved to a fresh local port after it was lost.
    pub port_changes: u32,
    /// Why the last handshake failed; `None` once one completed after it.
    pub last_error: Option<Arc<DtlsError>>,
}

/// What happened to the DTLS session with a server, for an application or a test that
/// watches the sessions while the driver runs
/// ([`SecureTransport::with_reports`](super::SecureTransport::with_reports)).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SessionReport {
    /// A handshake completed.
    Established {
        /// The server.
        server: SocketAddr,
        /// The local address of the session.
        local: Option<SocketAddr>,
        /// Whether it resumed the previous session.
        resumed: bool,
        /// How many handshakes completed with this server so far.
        handshakes: u32,
    },
    /// A handshake failed or timed out.
    HandshakeFailed {
        /// The server.
        server: SocketAddr,
        /// Why.
        error: Arc<DtlsError>,
    },
    /// The session ended (closed by the server, or failed).
    Closed {
        /// The server.
        server: SocketAddr,
        /// Why.
        reason: String,
    },
    /// The next handshake goes out from a new local port.
    PortMoved {
        /// The server.
        server: SocketAddr,
        /// The new local address.
        local: Option<SocketAddr>,
    },
}

/// One `coaps://` server: see the [module documentation](self).
pub(super) struct Peer {
    endpoint: Endpoint<OpenSslEngine>,
    /// The socket, for readiness and receiving.
    socket: UdpSocket,
    /// The same socket, for sending without waiting: tokio's `try_send` refuses to send
    /// until its reactor has seen the socket writable, so a fresh socket would lose its first
    /// datagram (a ClientHello, resent only a second later).
    sender: std::net::UdpSocket,
    /// The local address asked for (port 0: any, and the port may move; otherwise pinned).
    bind: SocketAddr,
    status: PeerStatus,
    /// The local address of the last established session.
    established_local: Option<SocketAddr>,
    /// The credentials its sessions use.
    credentials: Credentials,
}

impl core::fmt::Debug for Peer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Peer")
            .field("endpoint", &self.endpoint)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// Where a peer's outputs go besides its own status.
pub(super) struct Outputs<'a> {
    /// Session changes for the driver ([`Transport::poll_change`](crate::net::Transport::poll_change)).
    pub changes: &'a mut VecDeque<TransportChange>,
    /// The application's reports, if it asked for them.
    pub reports: &'a mut Option<UnboundedSender<SessionReport>>,
}

impl Outputs<'_> {
    fn report(&mut self, report: SessionReport) {
        if let Some(reports) = self.reports.as_ref()
            && reports.send(report).is_err()
        {
            *self.reports = None;
        }
    }
}

impl Peer {
    /// A peer for `server`, its socket bound to `local` and connected to it; nothing is sent
    /// yet. Must run inside a tokio runtime.
    pub fn new(
        local: SocketAddr,
        server: SocketAddr,
        config: &DtlsConfig,
    ) -> Result<Peer, DtlsError> {
        let engine = OpenSslEngine::new(context(config)?, config.mtu);
        let (socket, sender) = connected_socket(local, server)?;
        let status = PeerStatus {
            local: socket.local_addr().ok(),
            ..PeerStatus::default()
        };
        Ok(Peer {
            endpoint: Endpoint::new(engine, server, config.endpoint()),
            socket,
            sender,
            bind: local,
            status,
            established_local: None,
            credentials: config.credentials.clone(),
        })
    }

    /// The server.
    pub fn server(&self) -> SocketAddr {
        self.endpoint.peer()
    }

    /// The credentials its sessions use.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// How the session is doing.
    pub fn status(&self) -> &PeerStatus {
        &self.status
    }

    /// The endpoint, to feed or ask.
    pub fn endpoint(&mut self) -> &mut Endpoint<OpenSslEngine> {
        &mut self.endpoint
    }

    /// Whether the endpoint is established, or is done (failed) with the handshake it was
    /// doing: what [`SecureTransport::connect`](super::SecureTransport::connect) waits for.
    pub fn is_handshaking(&self) -> bool {
        self.endpoint.is_handshaking()
    }

    /// Whether a plaintext received waits in the endpoint.
    pub fn has_plaintext(&self) -> bool {
        self.endpoint.has_plaintext()
    }

    /// When the endpoint's timer fires next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.endpoint.poll_timeout()
    }

    /// Polls the socket for a datagram to read.
    pub fn poll_recv_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.socket.poll_recv_ready(cx)
    }

    /// Reads one datagram from the socket without waiting, and gives it to the endpoint.
    /// `Ok(false)`: the socket has none.
    pub fn try_receive(
        &mut self,
        now: Instant,
        buf: &mut [u8],
        out: &mut Outputs<'_>,
    ) -> io::Result<bool> {
        match self.socket.try_recv(buf) {
            Ok(len) => {
                let datagram = buf.get(..len).unwrap_or_default();
                self.endpoint.handle_datagram(now, datagram);
                self.flush(out);
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Sends one plaintext datagram in the session (after the handshake if there is none).
    pub fn send(
        &mut self,
        now: Instant,
        plaintext: &[u8],
        expects_answer: bool,
        out: &mut Outputs<'_>,
    ) {
        self.endpoint.send(now, plaintext, expects_answer);
        self.flush(out);
    }

    /// Time passed: a flight again, or a handshake given up.
    pub fn handle_timeout(&mut self, now: Instant, out: &mut Outputs<'_>) {
        self.endpoint.handle_timeout(now);
        self.flush(out);
    }

    /// Starts a handshake now unless a session is up or a handshake is under way.
    pub fn connect(&mut self, now: Instant, out: &mut Outputs<'_>) {
        if !self.endpoint.is_established() {
            self.endpoint.connect(now);
            self.flush(out);
        }
    }

    /// Ends the session with a close_notify.
    pub fn close(&mut self, out: &mut Outputs<'_>) {
        self.endpoint.close();
        self.status.established = false;
        self.flush(out);
    }

    /// Takes the endpoint's events (moving to a fresh port first when it asks), then sends
    /// what it has for the server.
    pub fn flush(&mut self, out: &mut Outputs<'_>) {
        let server = self.server();
        while let Some(event) = self.endpoint.poll_event() {
            match event {
                EndpointEvent::MovePort => self.move_port(out),
                EndpointEvent::Established {
                    resumed,
                    handshakes,
                } => self.established(resumed, handshakes, out),
                EndpointEvent::HandshakeFailed { error, .. } => {
                    let error = Arc::new(error);
                    self.status.established = false;
                    self.status.last_error = Some(error.clone());
                    out.report(SessionReport::HandshakeFailed { server, error });
                }
                EndpointEvent::Closed { reason } => {
                    tracing::info!(%server, %reason, "DTLS session ended; a new handshake on the next send");
                    self.status.established = false;
                    out.report(SessionReport::Closed { server, reason });
                }
                #[allow(unreachable_patterns)]
                other => tracing::debug!(%server, event = ?other, "DTLS endpoint event"),
            }
        }
        while let Some(datagram) = self.endpoint.poll_transmit() {
            match self.sender.send(&datagram) {
                Ok(_) => tracing::trace!(%server, len = datagram.len(), "DTLS record sent"),
                // Lost, as on the network: DTLS and CoAP retransmit.
                Err(e) => tracing::debug!(%server, error = %e, "DTLS send failed"),
            }
        }
    }

    fn established(&mut self, resumed: bool, handshakes: u32, out: &mut Outputs<'_>) {
        let server = self.server();
        let local = self.socket.local_addr().ok();
        self.status.established = true;
        self.status.handshakes = handshakes;
        self.status.resumed = resumed;
        if resumed {
            self.status.resumed_handshakes = self.status.resumed_handshakes.saturating_add(1);
        }
        self.status.last_error = None;
        self.status.local = local;
        if handshakes > 1 {
            let moved = local != self.established_local;
            out.changes
                .push_back(TransportChange::new(server, local, moved, resumed));
        }
        self.established_local = local;
        tracing::info!(%server, ?local, handshakes, resumed, "DTLS session established");
        out.report(SessionReport::Established {
            server,
            local,
            resumed,
            handshakes,
        });
    }

    /// The socket failed (not an ICMP report): a socket on a fresh port replaces it, pinned
    /// or not, so that the loop does not wake for it again and again. The session goes on
    /// from there if the server accepts the new address; otherwise unanswered sends lead to a
    /// new handshake.
    pub fn socket_failed(&mut self, error: &io::Error, out: &mut Outputs<'_>) {
        tracing::warn!(server = %self.server(), %error, "DTLS socket failed: replaced by one on a fresh port");
        self.replace_socket(out);
    }

    /// Replaces the socket with one on a fresh ephemeral port of the same local IP, unless the
    /// port is pinned; a failure keeps the old socket (the handshake goes from there).
    fn move_port(&mut self, out: &mut Outputs<'_>) {
        if self.bind.port() == 0 {
            self.replace_socket(out);
        }
    }

    /// Replaces the socket with one on a fresh ephemeral port of the same local IP; a failure
    /// keeps the old one.
    fn replace_socket(&mut self, out: &mut Outputs<'_>) {
        let server = self.server();
        let old = self.socket.local_addr().ok();
        match connected_socket(SocketAddr::new(self.bind.ip(), 0), server) {
            Ok((socket, sender)) => {
                self.socket = socket;
                self.sender = sender;
                let local = self.socket.local_addr().ok();
                self.status.port_changes = self.status.port_changes.saturating_add(1);
                self.status.local = local;
                tracing::info!(%server, ?old, new = ?local, "DTLS socket moved to a fresh local port");
                out.report(SessionReport::PortMoved { server, local });
            }
            Err(e) => {
                tracing::warn!(%server, error = %e, "no fresh local port; the old socket stays")
            }
        }
    }
}

/// A non-blocking UDP socket bound to `local` and connected to `server`, as [`tokio_socket`]
/// gives it (made synchronously, so that a server found while the driver sends gets its
/// socket at once).
fn connected_socket(
    local: SocketAddr,
    server: SocketAddr,
) -> Result<(UdpSocket, std::net::UdpSocket), DtlsError> {
    let socket = std::net::UdpSocket::bind(local)?;
    socket.connect(server)?;
    Ok(tokio_socket(socket)?)
}

/// A std UDP socket made non-blocking: a tokio socket to wait and receive on, and a handle on
/// the same socket to send without waiting. An error outside a tokio runtime (where
/// `from_std` would panic).
pub(super) fn tokio_socket(
    socket: std::net::UdpSocket,
) -> io::Result<(UdpSocket, std::net::UdpSocket)> {
    tokio::runtime::Handle::try_current().map_err(io::Error::other)?;
    socket.set_nonblocking(true)?;
    let sender = socket.try_clone()?;
    Ok((UdpSocket::from_std(socket)?, sender))
}
