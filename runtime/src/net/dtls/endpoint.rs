//! [`Endpoint`]: the DTLS client side of one server as a sans-I/O state machine (issue 16
//! item 5). Datagrams from the server and time go in; datagrams to send, the
//! plaintexts received, one deadline and [`EndpointEvent`]s come out. It owns no socket, no
//! task and reads no clock, so that one driver loop can run every server's endpoint, and so
//! that lost flights, resumption, a restarted server or one silent for minutes are tested on a
//! simulated clock.
//!
//! - **The engine behind a trait**: [`DtlsEngine`] makes [`DtlsSession`]s; OpenSSL's
//!   ([`OpenSslEngine`], on the memory pipe and the session-resuming context of this module)
//!   is the one implemented. A second engine (Mbed TLS, with RFC 9146 Connection IDs for
//!   sleeping devices behind NAT) plugs in without touching the endpoint or the client.
//! - **Retransmission on the caller's clock**: the endpoint keeps the last flight it sent and
//!   sends it again at 1, 3, 7, 15... s (RFC 6347 §4.2.4.1: the timer doubles, up to 60 s) until
//!   the server answers or [`EndpointConfig::handshake_timeout`] passes, and never asks the
//!   engine to time anything.
//! - **Re-handshake as an output of the exchange layer's outcomes**: the caller reports each
//!   transmission that calls for an answer ([`Endpoint::send`] with `expects_answer`, which
//!   the client's exchange layer knows) and the endpoint counts them until a datagram comes
//!   back; at [`EndpointConfig::rehandshake_after_unanswered`] the next send starts a new
//!   handshake first (a restarted server drops the records of the old session silently).
//! - **Port moves as an output**: a handshake after a lost session (unanswered sends, or a
//!   handshake that timed out) starts with [`EndpointEvent::MovePort`], before its ClientHello:
//!   the caller sends it from a fresh local port, where the server has no stale association.
//!
//! [`SecureTransport`](super::SecureTransport) runs one endpoint per `coaps://` server in the
//! driver's single loop.

use crate::prelude::*;
use crate::time::Instant;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use openssl::ssl::SslContext;

use super::DtlsError;
use super::resumption::ResumingContext;
use super::screen::screen;
use super::session::{Received, Session};

/// One DTLS client session of an engine, driven without I/O.
pub trait DtlsSession {
    /// Advances the handshake: `Ok(true)` once complete, `Ok(false)` while it waits for the
    /// server.
    fn handshake(&mut self) -> Result<bool, DtlsError>;
    /// Queues a datagram received from the server.
    fn push(&mut self, datagram: Vec<u8>);
    /// The next datagram the engine wrote, to send to the server.
    fn pop_outgoing(&mut self) -> Option<Vec<u8>>;
    /// Decrypts every queued datagram of an established session into `plaintexts`.
    fn read_into(&mut self, plaintexts: &mut Vec<Vec<u8>>) -> Received;
    /// Encrypts one plaintext datagram (one record).
    fn write(&mut self, plaintext: &[u8]) -> Result<(), DtlsError>;
    /// Whether the completed handshake resumed an earlier session.
    fn resumed(&self) -> bool;
    /// Whether any datagram came from the server in this session.
    fn heard_from_peer(&self) -> bool;
    /// The engine's handshake state, for errors.
    fn state(&self) -> &'static str;
    /// A hint on why a handshake did not complete.
    fn stall_hint(&self) -> &'static str;
    /// Queues a close_notify alert (to [`pop_outgoing`](Self::pop_outgoing)).
    fn close(&mut self);
    /// The negotiated cipher suite, for logs.
    fn cipher(&self) -> &'static str;
}

/// A DTLS implementation: makes sessions and keeps the last one for resumption.
pub trait DtlsEngine {
    /// Its sessions.
    type Session: DtlsSession;
    /// A new client session with `peer`, offering the remembered session when `resume` is set
    /// and there is one.
    fn start(&mut self, peer: SocketAddr, resume: bool) -> Result<Self::Session, DtlsError>;
    /// Keeps the established `session` for a later resumption.
    fn remember(&mut self, session: &Self::Session);
    /// Forgets the remembered session: the next handshake is a full one.
    fn forget(&mut self);
    /// Whether a session is remembered (a handshake with `resume` offers it).
    fn has_session(&self) -> bool;
}

/// OpenSSL, on the memory pipe and the resuming context of this module.
#[derive(Debug)]
pub struct OpenSslEngine {
    context: ResumingContext,
    mtu: usize,
}

impl OpenSslEngine {
    /// An engine making sessions on `context` (a DTLS client context), fragmenting handshake
    /// messages to `mtu`.
    pub fn new(context: SslContext, mtu: usize) -> OpenSslEngine {
        OpenSslEngine {
            context: ResumingContext::new(context),
            mtu,
        }
    }
}

impl DtlsEngine for OpenSslEngine {
    type Session = Session;

    fn start(&mut self, peer: SocketAddr, resume: bool) -> Result<Session, DtlsError> {
        if !resume {
            self.context.forget();
        }
        Session::new(self.context.new_ssl()?, peer, self.mtu)
    }

    fn remember(&mut self, session: &Session) {
        self.context.remember(session.ssl());
    }

    fn forget(&mut self) {
        self.context.forget();
    }

    fn has_session(&self) -> bool {
        self.context.has_session()
    }
}

impl DtlsSession for Session {
    fn handshake(&mut self) -> Result<bool, DtlsError> {
        Session::handshake(self)
    }

    fn push(&mut self, datagram: Vec<u8>) {
        Session::push(self, datagram);
    }

    fn pop_outgoing(&mut self) -> Option<Vec<u8>> {
        Session::pop_outgoing(self)
    }

    fn read_into(&mut self, plaintexts: &mut Vec<Vec<u8>>) -> Received {
        Session::read_into(self, plaintexts)
    }

    fn write(&mut self, plaintext: &[u8]) -> Result<(), DtlsError> {
        Session::write(self, plaintext).map_err(|detail| DtlsError::Handshake {
            peer: self.peer(),
            state: self.state(),
            detail,
        })
    }

    fn resumed(&self) -> bool {
        Session::resumed(self)
    }

    fn heard_from_peer(&self) -> bool {
        Session::heard_from_peer(self)
    }

    fn state(&self) -> &'static str {
        Session::state(self)
    }

    fn stall_hint(&self) -> &'static str {
        Session::stall_hint(self)
    }

    fn close(&mut self) {
        Session::close(self);
    }

    fn cipher(&self) -> &'static str {
        Session::cipher(self)
    }
}

/// The settings of an [`Endpoint`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointConfig {
    /// How long a handshake may take, retransmissions included.
    pub handshake_timeout: Duration,
    /// The first retransmission timeout of a flight (RFC 6347: 1 s), doubling up to 60 s.
    pub initial_retransmit: Duration,
    /// After this many transmissions that call for an answer with nothing received, the next
    /// send shakes hands again first (0: never).
    pub rehandshake_after_unanswered: u32,
    /// Whether a new handshake offers the last session for resumption.
    pub resume_sessions: bool,
}

impl Default for EndpointConfig {
    /// 20 s handshakes, 1 s first retransmission, a new handshake after 4 unanswered
    /// transmissions, resumption on: as [`DtlsConfig`](super::DtlsConfig).
    fn default() -> EndpointConfig {
        EndpointConfig {
            handshake_timeout: Duration::from_secs(20),
            initial_retransmit: Duration::from_secs(1),
            rehandshake_after_unanswered: 4,
            resume_sessions: true,
        }
    }
}

/// What happened to an [`Endpoint`].
#[derive(Debug)]
#[non_exhaustive]
pub enum EndpointEvent {
    /// The handshake that starts now should go out from a fresh local port: the session was
    /// lost silently (sends went unanswered) or the last handshake timed out, and the server
    /// may hold a stale association for the old address and ignore a ClientHello from it
    /// (`openssl s_server` and libcoap's OpenSSL servers do). Comes before the ClientHello
    /// in [`Endpoint::poll_transmit`]: the caller moves to a new socket first, or keeps the
    /// old one when its port is pinned.
    MovePort,
    /// A handshake completed.
    Established {
        /// Whether it resumed the previous session (an abbreviated handshake).
        resumed: bool,
        /// How many handshakes completed so far (1 for the first).
        handshakes: u32,
    },
    /// A handshake failed or timed out; the plaintexts waiting for it are dropped, and the
    /// next [`Endpoint::send`] starts a new one.
    HandshakeFailed {
        /// Why.
        error: DtlsError,
        /// Whether the next handshake goes out from a fresh local port (it then starts with
        /// [`EndpointEvent::MovePort`]): the server may hold a stale association for this
        /// address and ignore a ClientHello from it.
        move_port: bool,
    },
    /// The server closed the session or it failed; the next send shakes hands again.
    Closed {
        /// Why, for logs.
        reason: String,
    },
}

/// Where the endpoint is.
enum State<S> {
    /// No session.
    Idle,
    /// A handshake is under way.
    Handshaking {
        session: S,
        /// When it started (its timeout counts from here).
        started: Instant,
        /// The last flight sent, resent as it is when the timer fires.
        flight: Vec<Vec<u8>>,
        /// When the flight goes again.
        retransmit_at: Instant,
        /// The current retransmission timeout.
        interval: Duration,
    },
    /// The session is up.
    Established { session: S },
}

/// The longest retransmission timeout (RFC 6347 §4.2.4.1).
const MAX_RETRANSMIT: Duration = Duration::from_secs(60);

/// The DTLS client side of one server, sans I/O: see the [module documentation](self).
pub struct Endpoint<E: DtlsEngine> {
    engine: E,
    peer: SocketAddr,
    config: EndpointConfig,
    state: State<E::Session>,
    /// Plaintexts waiting for the handshake.
    waiting: VecDeque<Vec<u8>>,
    transmits: VecDeque<Vec<u8>>,
    received: VecDeque<Vec<u8>>,
    events: VecDeque<EndpointEvent>,
    /// Transmissions that call for an answer since a datagram last came from the server.
    unanswered: u32,
    handshakes: u32,
    /// Whether the next handshake should go out from a fresh local port.
    move_port: bool,
}

impl<E: DtlsEngine> core::fmt::Debug for Endpoint<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = match self.state {
            State::Idle => "idle",
            State::Handshaking { .. } => "handshaking",
            State::Established { .. } => "established",
        };
        f.debug_struct("Endpoint")
            .field("peer", &self.peer)
            .field("state", &state)
            .field("unanswered", &self.unanswered)
            .field("handshakes", &self.handshakes)
            .finish_non_exhaustive()
    }
}

impl<E: DtlsEngine> Endpoint<E> {
    /// An endpoint for `peer`; nothing is sent before the first [`Endpoint::send`] (or
    /// [`Endpoint::connect`]).
    pub fn new(engine: E, peer: SocketAddr, config: EndpointConfig) -> Endpoint<E> {
        Endpoint {
            engine,
            peer,
            config,
            state: State::Idle,
            waiting: VecDeque::new(),
            transmits: VecDeque::new(),
            received: VecDeque::new(),
            events: VecDeque::new(),
            unanswered: 0,
            handshakes: 0,
            move_port: false,
        }
    }

    /// The server.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Whether a session is up.
    pub fn is_established(&self) -> bool {
        matches!(self.state, State::Established { .. })
    }

    /// Whether a handshake is under way.
    pub fn is_handshaking(&self) -> bool {
        matches!(self.state, State::Handshaking { .. })
    }

    /// Whether a plaintext received waits for [`Endpoint::poll_plaintext`].
    pub fn has_plaintext(&self) -> bool {
        !self.received.is_empty()
    }

    /// How many handshakes completed so far.
    pub fn handshakes(&self) -> u32 {
        self.handshakes
    }

    /// Ends the session with a close_notify alert (in [`Endpoint::poll_transmit`]); a
    /// handshake under way is dropped, with the plaintexts waiting for it. The next
    /// [`Endpoint::send`] shakes hands again, offering the session for resumption.
    pub fn close(&mut self) {
        match core::mem::replace(&mut self.state, State::Idle) {
            State::Established { mut session } => {
                session.close();
                Self::drain(&mut session, &mut self.transmits);
            }
            State::Handshaking { .. } => self.waiting.clear(),
            State::Idle => {}
        }
    }

    /// Starts a handshake now (dropping any session) unless one is under way.
    pub fn connect(&mut self, now: Instant) {
        if !matches!(self.state, State::Handshaking { .. }) {
            self.start_handshake(now);
        }
    }

    /// Sends one plaintext datagram (one CoAP message): at once in an established session,
    /// after the handshake otherwise (one is started when none is under way). `expects_answer`
    /// says that the server should answer it (a confirmable request or notification, as the
    /// client's exchange layer knows): see the module documentation for what unanswered ones
    /// lead to.
    pub fn send(&mut self, now: Instant, plaintext: &[u8], expects_answer: bool) {
        let limit = self.config.rehandshake_after_unanswered;
        if limit > 0 && self.unanswered >= limit && self.is_established() {
            tracing::info!(peer = %self.peer, unanswered = self.unanswered, "no answer in the DTLS session: shaking hands again");
            // The server may hold the association of this address still (a lost connection)
            // or have restarted: either way a fresh port gets a new association at once.
            self.move_port = true;
            self.start_handshake(now);
        }
        if expects_answer {
            self.unanswered = self.unanswered.saturating_add(1);
        }
        match &mut self.state {
            State::Established { session } => match session.write(plaintext) {
                Ok(()) => Self::drain(session, &mut self.transmits),
                Err(error) => {
                    tracing::warn!(peer = %self.peer, %error, "DTLS write failed");
                    self.closed(format!("write failed: {error}"));
                }
            },
            State::Handshaking { .. } => self.waiting.push_back(plaintext.to_vec()),
            State::Idle => {
                self.waiting.push_back(plaintext.to_vec());
                self.start_handshake(now);
            }
        }
    }

    /// A datagram arrived from the server.
    pub fn handle_datagram(&mut self, now: Instant, datagram: &[u8]) {
        if let Err(why) = screen(datagram) {
            tracing::debug!(len = datagram.len(), why, "datagram dropped before DTLS");
            return;
        }
        match &mut self.state {
            State::Idle => {}
            State::Handshaking { session, .. } => {
                session.push(datagram.to_vec());
                self.advance(now);
            }
            State::Established { session } => {
                session.push(datagram.to_vec());
                let mut plaintexts = Vec::new();
                let outcome = session.read_into(&mut plaintexts);
                // A server flight repeated after our last flight was lost is answered here.
                Self::drain(session, &mut self.transmits);
                if !plaintexts.is_empty() {
                    self.unanswered = 0;
                }
                self.received.extend(plaintexts);
                match outcome {
                    Received::Open => {}
                    Received::Closed => self.closed("the server closed the session".to_owned()),
                    Received::Failed(reason) => {
                        // A session that ended in a fatal error is not resumed (RFC 5246 §7.2).
                        self.engine.forget();
                        self.closed(reason);
                    }
                }
            }
        }
    }

    /// Time passed: a flight is sent again, or the handshake times out.
    pub fn handle_timeout(&mut self, now: Instant) {
        let State::Handshaking {
            session,
            started,
            flight,
            retransmit_at,
            interval,
        } = &mut self.state
        else {
            return;
        };
        if now >= *started + self.config.handshake_timeout {
            let heard = session.heard_from_peer();
            let error = DtlsError::Timeout {
                peer: self.peer,
                after: self.config.handshake_timeout,
                state: session.state(),
                hint: session.stall_hint(),
            };
            // Silence says nothing about the session: it is kept for when the server is
            // back; a server that answered and then stalled may be choking on it.
            if heard {
                self.engine.forget();
            }
            self.fail(error, true);
            return;
        }
        if now >= *retransmit_at {
            self.transmits.extend(flight.iter().cloned());
            *interval = (*interval * 2).min(MAX_RETRANSMIT);
            *retransmit_at = now + *interval;
        }
    }

    /// When [`Endpoint::handle_timeout`] must run next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.state {
            State::Handshaking {
                started,
                retransmit_at,
                ..
            } => Some((*retransmit_at).min(*started + self.config.handshake_timeout)),
            _ => None,
        }
    }

    /// The next datagram to send to the server.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmits.pop_front()
    }

    /// The next plaintext datagram received from the server.
    pub fn poll_plaintext(&mut self) -> Option<Vec<u8>> {
        self.received.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<EndpointEvent> {
        self.events.pop_front()
    }

    fn start_handshake(&mut self, now: Instant) {
        if core::mem::take(&mut self.move_port) {
            self.events.push_back(EndpointEvent::MovePort);
        }
        let session = match self.engine.start(self.peer, self.config.resume_sessions) {
            Ok(session) => session,
            Err(error) => {
                self.fail(error, false);
                return;
            }
        };
        tracing::debug!(
            peer = %self.peer,
            offered = self.config.resume_sessions && self.engine.has_session(),
            "DTLS handshake started"
        );
        self.unanswered = 0;
        self.state = State::Handshaking {
            session,
            started: now,
            flight: Vec::new(),
            retransmit_at: now + self.config.initial_retransmit,
            interval: self.config.initial_retransmit,
        };
        self.advance(now);
    }

    /// Drives the handshake after it started or a datagram came.
    fn advance(&mut self, now: Instant) {
        let State::Handshaking {
            session,
            flight,
            retransmit_at,
            interval,
            ..
        } = &mut self.state
        else {
            return;
        };
        let progress = session.handshake();
        let mut sent = VecDeque::new();
        Self::drain(session, &mut sent);
        if !sent.is_empty() {
            // A new flight: it replaces the last one, and its timer starts over.
            *flight = sent.iter().cloned().collect();
            *interval = self.config.initial_retransmit;
            *retransmit_at = now + *interval;
            self.transmits.extend(sent);
        }
        match progress {
            Ok(false) => {}
            Ok(true) => self.established(),
            Err(error) => {
                // The server answered and the handshake failed: the next attempt is a full
                // one, so that a server choking on the offered session cannot fail them all.
                self.engine.forget();
                self.fail(error, false);
            }
        }
    }

    fn established(&mut self) {
        let State::Handshaking { session, .. } = core::mem::replace(&mut self.state, State::Idle)
        else {
            return;
        };
        let mut session = session;
        self.engine.remember(&session);
        self.handshakes = self.handshakes.saturating_add(1);
        let resumed = session.resumed();
        tracing::debug!(peer = %self.peer, cipher = session.cipher(), resumed, "DTLS handshake complete");
        for plaintext in core::mem::take(&mut self.waiting) {
            if let Err(error) = session.write(&plaintext) {
                tracing::warn!(peer = %self.peer, %error, "DTLS write failed");
            }
        }
        Self::drain(&mut session, &mut self.transmits);
        self.state = State::Established { session };
        self.events.push_back(EndpointEvent::Established {
            resumed,
            handshakes: self.handshakes,
        });
    }

    fn fail(&mut self, error: DtlsError, move_port: bool) {
        tracing::warn!(peer = %self.peer, %error, "DTLS handshake failed");
        self.move_port |= move_port;
        self.state = State::Idle;
        self.waiting.clear();
        self.events
            .push_back(EndpointEvent::HandshakeFailed { error, move_port });
    }

    fn closed(&mut self, reason: String) {
        self.state = State::Idle;
        self.events.push_back(EndpointEvent::Closed { reason });
    }

    fn drain(session: &mut E::Session, into: &mut VecDeque<Vec<u8>>) {
        while let Some(datagram) = session.pop_outgoing() {
            into.push_back(datagram);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
