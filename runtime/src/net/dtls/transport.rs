//! [`DtlsTransport`]: DTLS 1.2 client sessions with one server, on a connected tokio UDP socket.

use crate::prelude::*;
use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::UdpSocket;

use super::config::context;
use super::resumption::ResumingContext;
use super::screen::screen;
use super::session::{Received, Session};
use super::{DtlsConfig, DtlsError};
use crate::net::{Transport, TransportChange};

/// How often a pending handshake is re-driven: OpenSSL retransmits a flight when its DTLS timer
/// (1 s, doubling up to 60 s) has expired at that moment, so this is the timer's resolution.
const HANDSHAKE_POLL: Duration = Duration::from_millis(50);

/// The largest UDP datagram read from the socket.
const MAX_DATAGRAM: usize = 65_507;

/// DTLS 1.2 client sessions with one server over one connected UDP socket: a
/// [`Transport`] whose datagrams are the plaintext CoAP messages.
///
/// OpenSSL's DTLS engine runs sans-I/O over a datagram pipe in this task: no
/// thread, and [`recv_from`](Transport::recv_from) stays cancel-safe (it awaits only the
/// socket, then decrypts synchronously). The session starts with [`connect`](Self::connect) or
/// lazily on the first send. Nothing but DTLS records ever goes on the socket: plaintext is
/// only written through the established session; and only the session delivers what `recv`
/// returns: the socket is connected to the server (the kernel drops other senders), and
/// datagrams that cannot be genuine DTLS are dropped before OpenSSL sees them (see
/// `screen.rs`: some would otherwise end the session).
///
/// A new handshake starts on the next send after the server closed the session (close_notify),
/// after a fatal error, or after [`DtlsConfig::rehandshake_after_unanswered`] sends without
/// an answer (a lost connection or a restarted server). Every new handshake offers the last
/// session for resumption ([`DtlsConfig::resume_sessions`]): a server that still holds it
/// resumes it in one round trip; one that restarted answers with a full handshake.
/// [`session_reused`](Self::session_reused) and
/// [`resumed_handshakes`](Self::resumed_handshakes) tell which happened.
///
/// # A new local port after a lost session
///
/// When the session was lost silently (sends went unanswered) or a handshake attempt timed
/// out, the next handshake goes out from a **new socket on a fresh ephemeral port**, connected
/// to the same server. A server that still holds the association of the old address may
/// ignore a new ClientHello from it (`openssl s_server` and libcoap's OpenSSL servers do, until
/// the association expires, although RFC 6347 §4.2.8 asks servers to accept it); from a new
/// address the server starts a new association at once, and resumes the session offered.
/// A server that ended the session itself (close_notify, a fatal alert) has no association
/// left: the new handshake keeps the port. A transport bound to a fixed port (a `local` with a
/// port other than 0) keeps that port always: its re-handshakes wait for the server to expire
/// the old association.
///
/// Every handshake after the first that completes is reported once by
/// [`poll_change`](Transport::poll_change) (with whether the local address moved and whether
/// the session was resumed), for the [driver](crate::net::Driver) to have the client send the
/// server a Registration Update from its new address.
pub struct DtlsTransport {
    socket: UdpSocket,
    /// The address the socket was asked to bind (port 0: any; otherwise pinned).
    bind_addr: SocketAddr,
    peer: SocketAddr,
    context: ResumingContext,
    config: DtlsConfig,
    session: Option<Session>,
    plaintexts: VecDeque<Vec<u8>>,
    unanswered: u32,
    handshakes: u32,
    resumed_handshakes: u32,
    session_reused: bool,
    /// Whether the next handshake should go out from a fresh local port (see the type docs).
    move_port: bool,
    /// How many times the socket was replaced by one on a fresh port.
    port_changes: u32,
    /// The local address of the last established session.
    established_local: Option<SocketAddr>,
    /// Session changes not yet taken by [`Transport::poll_change`].
    changes: VecDeque<TransportChange>,
    buf: Vec<u8>,
}

impl DtlsTransport {
    /// Binds a socket to `local`, connects it to `server` and completes a handshake.
    pub async fn connect(
        local: SocketAddr,
        server: SocketAddr,
        config: DtlsConfig,
    ) -> Result<DtlsTransport, DtlsError> {
        let mut transport = DtlsTransport::bind(local, server, config).await?;
        transport.handshake().await?;
        Ok(transport)
    }

    /// Binds a socket to `local` and connects it to `server`; the handshake happens on the
    /// first send (or [`handshake`](Self::handshake)).
    pub async fn bind(
        local: SocketAddr,
        server: SocketAddr,
        config: DtlsConfig,
    ) -> Result<DtlsTransport, DtlsError> {
        let context = ResumingContext::new(context(&config)?);
        let socket = connected_socket(local, server).await?;
        Ok(DtlsTransport {
            socket,
            bind_addr: local,
            peer: server,
            context,
            config,
            session: None,
            plaintexts: VecDeque::new(),
            unanswered: 0,
            handshakes: 0,
            resumed_handshakes: 0,
            session_reused: false,
            move_port: false,
            port_changes: 0,
            established_local: None,
            changes: VecDeque::new(),
            buf: vec![0; MAX_DATAGRAM],
        })
    }

    /// The server.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// Whether a session is established.
    pub fn is_established(&self) -> bool {
        self.session.is_some()
    }

    /// How many handshakes completed (a new one after each server restart or close), resumed
    /// ones included.
    pub fn handshakes(&self) -> u32 {
        self.handshakes
    }

    /// How many of the completed handshakes resumed an earlier session (abbreviated handshakes).
    pub fn resumed_handshakes(&self) -> u32 {
        self.resumed_handshakes
    }

    /// Whether the last completed handshake resumed an earlier session.
    pub fn session_reused(&self) -> bool {
        self.session_reused
    }

    /// How many times the transport moved to a fresh local port to shake hands again after
    /// a lost session (see the [type docs](Self)).
    pub fn port_changes(&self) -> u32 {
        self.port_changes
    }

    /// Whether the local port is pinned (bound to a port other than 0): re-handshakes never
    /// move to another port.
    pub fn port_pinned(&self) -> bool {
        self.bind_addr.port() != 0
    }

    /// Replaces the socket with one on a fresh ephemeral port of the same local IP, connected
    /// to the server, when a lost session asks for it and the port is not pinned.
    async fn move_port_if_needed(&mut self) -> Result<(), DtlsError> {
        if !std::mem::take(&mut self.move_port) || self.port_pinned() {
            return Ok(());
        }
        let old = self.socket.local_addr().ok();
        let fresh = SocketAddr::new(self.bind_addr.ip(), 0);
        let socket = match connected_socket(fresh, self.peer).await {
            Ok(socket) => socket,
            Err(e) => {
                // Tried again before the next handshake.
                self.move_port = true;
                return Err(e.into());
            }
        };
        self.socket = socket;
        self.port_changes = self.port_changes.saturating_add(1);
        tracing::info!(
            peer = %self.peer,
            old = ?old,
            new = ?self.socket.local_addr().ok(),
            "no answer from the old local port: shaking hands again from a fresh one"
        );
        Ok(())
    }

    /// Runs a new handshake (dropping any current session), retransmitting lost flights, until
    /// it completes, fails or [`DtlsConfig::handshake_timeout`] passes.
    pub async fn handshake(&mut self) -> Result<(), DtlsError> {
        self.session = None;
        self.move_port_if_needed().await?;
        if !self.config.resume_sessions {
            self.context.forget();
        }
        let offered = self.context.has_session();
        let mut session = Session::new(self.context.new_ssl()?, self.peer, self.config.mtu)?;
        let deadline = tokio::time::Instant::now() + self.config.handshake_timeout;
        loop {
            let progress = session.handshake();
            // Also sends the alert OpenSSL queued when the handshake failed.
            send_all(&self.socket, drain(&mut session)).await;
            match progress {
                Ok(true) => break,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, offered, "DTLS handshake failed");
                    // The server answered and the handshake failed: the next attempt is a
                    // full one, so a server that chokes on the offered session cannot fail
                    // every attempt.
                    self.context.forget();
                    return Err(e);
                }
            }
            tokio::select! {
                received = self.socket.recv(&mut self.buf) => match received {
                    Ok(len) => {
                        let datagram = self.buf.get(..len).unwrap_or_default();
                        match screen(datagram) {
                            Ok(()) => session.push(datagram.to_vec()),
                            Err(why) => tracing::debug!(len, why, "datagram dropped in the DTLS handshake"),
                        }
                    }
                    // ICMP port unreachable: the server is not up (yet); retransmissions go on.
                    Err(e) if is_transient(&e) => tracing::debug!(error = %e, "DTLS server unreachable"),
                    Err(e) => return Err(e.into()),
                },
                () = tokio::time::sleep(HANDSHAKE_POLL) => {}
                () = tokio::time::sleep_until(deadline) => {
                    // Silence says nothing about the session (the network or the server is
                    // down): it is kept for when the server is back. A server that answered
                    // and then stalled may be choking on it: the next attempt is a full one.
                    if session.heard_from_peer() {
                        self.context.forget();
                    }
                    // The server may hold a half-made (or the old) association for this
                    // address and ignore a new ClientHello from it: the next attempt moves.
                    self.move_port = true;
                    let e = DtlsError::Timeout {
                        peer: self.peer,
                        after: self.config.handshake_timeout,
                        state: session.state(),
                        hint: session.stall_hint(),
                    };
                    tracing::warn!(error = %e, "DTLS handshake failed");
                    return Err(e);
                }
            }
        }
        self.handshakes = self.handshakes.saturating_add(1);
        self.session_reused = session.resumed();
        if self.session_reused {
            self.resumed_handshakes = self.resumed_handshakes.saturating_add(1);
        }
        self.unanswered = 0;
        self.context.remember(session.ssl());
        let local = self.socket.local_addr().ok();
        if self.handshakes > 1 {
            let moved = local != self.established_local;
            self.changes.push_back(TransportChange::new(
                self.peer,
                local,
                moved,
                self.session_reused,
            ));
        }
        self.established_local = local;
        tracing::info!(
            peer = %self.peer,
            cipher = session.cipher(),
            handshakes = self.handshakes,
            offered,
            resumed = self.session_reused,
            "DTLS session established"
        );
        self.session = Some(session);
        Ok(())
    }

    /// Sends one datagram (one CoAP message) in the session, shaking hands first if needed.
    pub async fn send(&mut self, plaintext: &[u8]) -> Result<(), DtlsError> {
        let limit = self.config.rehandshake_after_unanswered;
        if self.session.is_some() && limit > 0 && self.unanswered >= limit {
            tracing::info!(
                peer = %self.peer,
                unanswered = self.unanswered,
                "no answer in the DTLS session: the server may have restarted or the network \
                 dropped the association; new handshake"
            );
            self.session = None;
            self.move_port = true;
        }
        if self.session.is_none() {
            self.handshake().await?;
        }
        let Some(session) = self.session.as_mut() else {
            return Err(DtlsError::Io(io::Error::from(io::ErrorKind::NotConnected)));
        };
        if let Err(detail) = session.write(plaintext) {
            self.session = None;
            return Err(DtlsError::Io(io::Error::other(format!(
                "DTLS write failed: {detail}"
            ))));
        }
        let out = drain(session);
        if !answer_not_expected(plaintext) {
            self.unanswered = self.unanswered.saturating_add(1);
        }
        send_all(&self.socket, out).await;
        Ok(())
    }

    /// Receives the next datagram (one CoAP message) of the session into `buf` (truncated to
    /// its length); cancel-safe. Datagrams arriving without a session are dropped.
    pub async fn recv(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(plaintext) = self.plaintexts.pop_front() {
                let mut len = 0;
                for (dst, src) in buf.iter_mut().zip(&plaintext) {
                    *dst = *src;
                    len += 1;
                }
                return Ok(len);
            }
            let len = self.socket.recv(&mut self.buf).await?;
            let datagram = self.buf.get(..len).unwrap_or_default();
            let Some(session) = self.session.as_mut() else {
                tracing::debug!(len, "datagram without a DTLS session: dropped");
                continue;
            };
            if let Err(why) = screen(datagram) {
                tracing::debug!(len, why, "datagram dropped");
                continue;
            }
            session.push(datagram.to_vec());
            let mut plaintexts = Vec::new();
            let outcome = session.read_into(&mut plaintexts);
            let out = drain(session);
            if !plaintexts.is_empty() {
                self.unanswered = 0;
            }
            self.plaintexts.extend(plaintexts);
            match outcome {
                Received::Open => {}
                Received::Closed => {
                    tracing::info!(peer = %self.peer, "the server closed the DTLS session; a new handshake on the next send");
                    self.session = None;
                }
                Received::Failed(why) => {
                    tracing::warn!(peer = %self.peer, error = %why, "DTLS session failed; a new handshake on the next send");
                    // A session that ended in a fatal error is not resumed (RFC 5246 §7.2).
                    self.context.forget();
                    self.session = None;
                }
            }
            // Whatever OpenSSL answered (a retransmitted Finished, an alert); state is
            // updated first so that cancelling here loses no plaintext.
            send_all(&self.socket, out).await;
        }
    }

    /// Closes the session with a close_notify alert.
    pub async fn close(&mut self) {
        if let Some(mut session) = self.session.take() {
            session.close();
            send_all(&self.socket, drain(&mut session)).await;
        }
    }
}

impl Transport for DtlsTransport {
    async fn send_to(&mut self, bytes: &[u8], to: SocketAddr) -> io::Result<()> {
        if to != self.peer {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("the DTLS session is with {}, not {to}", self.peer),
            ));
        }
        self.send(bytes).await.map_err(io::Error::from)
    }

    async fn recv_from(&mut self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let len = self.recv(buf).await?;
        Ok((len, self.peer))
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    fn poll_change(&mut self) -> Option<TransportChange> {
        self.changes.pop_front()
    }
}

impl fmt::Debug for DtlsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DtlsTransport")
            .field("local", &self.socket.local_addr().ok())
            .field("peer", &self.peer)
            .field("established", &self.session.is_some())
            .field("handshakes", &self.handshakes)
            .field("resumed_handshakes", &self.resumed_handshakes)
            .field("port_changes", &self.port_changes)
            .field("credentials", &self.config.credentials)
            .finish()
    }
}

/// Whether `plaintext` is a CoAP message that gets no answer by design: a non-confirmable
/// message, an ACK or a RST (RFC 7252 §3: version 1, type 1, 2 or 3, token length 0 to 8).
/// Anything else (a confirmable message, or not CoAP) calls for an answer.
fn answer_not_expected(plaintext: &[u8]) -> bool {
    let Some(&first) = plaintext.first() else {
        return false;
    };
    let (version, kind, token_len) = (first >> 6, (first >> 4) & 0b11, first & 0x0f);
    plaintext.len() >= 4 && version == 1 && kind != 0 && token_len <= 8
}

/// A UDP socket bound to `local` and connected to `server`.
async fn connected_socket(local: SocketAddr, server: SocketAddr) -> io::Result<UdpSocket> {
    let socket = UdpSocket::bind(local).await?;
    socket.connect(server).await?;
    Ok(socket)
}

/// The datagrams a session wants sent.
fn drain(session: &mut Session) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| session.pop_outgoing()).collect()
}

/// Sends datagrams on the connected socket; a failure is a lost datagram (DTLS and CoAP
/// retransmit).
async fn send_all(socket: &UdpSocket, datagrams: Vec<Vec<u8>>) {
    for datagram in datagrams {
        match socket.send(&datagram).await {
            Ok(_) => tracing::trace!(len = datagram.len(), "DTLS record sent"),
            Err(e) => tracing::debug!(error = %e, "DTLS send failed"),
        }
    }
}

/// Whether a socket error is an ICMP report about the peer rather than a broken socket.
pub(super) fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
    )
}

#[cfg(test)]
mod tests {
    use super::answer_not_expected;

    #[test]
    fn only_confirmable_or_unknown_messages_call_for_an_answer() {
        // CON GET, token 1 byte: answered by the server.
        assert!(!answer_not_expected(&[0x41, 0x01, 0x12, 0x34, 0x5a]));
        // NON 2.05 notification, ACK 2.05, RST (empty): no answer by design.
        assert!(answer_not_expected(&[0x51, 0x45, 0x12, 0x34, 0x5a]));
        assert!(answer_not_expected(&[0x61, 0x45, 0x12, 0x34, 0x5a]));
        assert!(answer_not_expected(&[0x70, 0x00, 0x12, 0x34]));
        // Not CoAP (version 0, a token length of 12, too short): counted.
        assert!(!answer_not_expected(b"\x10\x45\x12\x34"));
        assert!(!answer_not_expected(b"lost one"));
        assert!(!answer_not_expected(&[0x51, 0x45]));
        assert!(!answer_not_expected(&[]));
    }
}
