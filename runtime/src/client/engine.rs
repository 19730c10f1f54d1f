//! The client's state machine behind [`Client`](super::Client).
//!
//! Decisions documented here:
//! - The client registers with every server account of the store ([`session`] says which and
//!   at which address), each with its own registration, lifetime, update timer, observations
//!   and Write-Attributes values. Requests are accepted only from those servers' addresses (and
//!   the bootstrap server's while bootstrapping); the address tells which server (its Short
//!   Server ID) asks. A confirmable request from any other address is answered 4.01
//!   Unauthorized (nothing is read or changed); a non-confirmable one is dropped. The accounts
//!   are read from the store when the client is made, on [`Engine::start`] and after a
//!   bootstrap; accounts added otherwise count from the next of these.
//! - With more than one server account, Access Control (object 2) is enforced as [`access`]
//!   says: a missing right is answered 4.01 and changes nothing; a server that creates an
//!   instance becomes the owner of a new Access Control instance for it, and deleting an
//!   instance deletes its Access Control instances.
//! - Bootstrap-Finish is refused with 4.06 Not Acceptable while the store holds no complete
//!   server account (Core TS 1.1 §5.2.6): the client stays in the bootstrap, registers nowhere,
//!   and starts the bootstrap over if no acceptable Finish comes within EXCHANGE_LIFETIME.
//! - Notifications are non-confirmable except every 10th, which is confirmable so that a server
//!   that went away is noticed (RFC 7641 §4.5); an RST to a notification, a GET with Observe=1
//!   or a notification that is given up on cancels the observation.
//! - A Register gets a new token and message id each attempt; retries follow
//!   [`registration::retry_delay`]. A 4.04 (or 4.00) to an Update re-registers at once.
//! - A confirmable request too large for one message (a Register or Update with many object
//!   links, a big Send) goes block-wise ([`blockwise`](super::blockwise): Block1, one token, a new message id and
//!   the usual retransmissions per block); a block given up fails the whole request as an
//!   unanswered request does, and the answer to the last block is the request's outcome.
//! - The registration lifetime is `Config::lifetime` at first for the first server, the
//!   Lifetime of its Server instance (`/1/x/1`) for the others; when a server writes the
//!   Lifetime of a Server instance, the new value is sent in that server's next Update.
//! - Queue mode (`UQ`): the client is awake for `queue_window` after it last sent or received;
//!   asleep, it holds notifications and sends an Update when one is due, then delivers them
//!   once the Update is answered (a 4.04 re-registers instead, and the observations end).
//! - Disable (`/1/x/4`): the Execute is answered 2.04, then Deregister is sent to the server of
//!   `/1/x`; once it is answered (or given up) every datagram from that server is ignored until
//!   the Disable Timeout (`/1/x/5`, default 86400 s) has passed, and then the client registers
//!   with it again. Registration Update Trigger (`/1/x/8`) updates the registration with the
//!   server of `/1/x`.

use crate::prelude::*;
use crate::time::Instant;
use alloc::collections::VecDeque;
use core::net::SocketAddr;

use coap_lite::{MessageClass, MessageType, Packet};

use crate::coap::block::{Block1Assembler, Block1Config};
use crate::coap::message as coap_message;
use crate::coap::{DuplicateCache, MessageRef, Outgoing, ReadMessage};
use crate::path::Path;
use crate::store::ObjectStore;

use super::access::{self, Policy, Table};
use super::blockwise::{BodyCache, OutgoingBody, OutgoingError};
use super::dm::{self, Effect};
use super::exchange::{Ended, EndedHow, Exchanges, Kind, ResponseMatch};
use super::message;
use super::observe::Sample;
use super::session::{self, ServerId, ServerSettings, Session, State};
use super::{
    Config, Event, Events, Failure, RegistrationRequest, ServerEvent, Transmit, registration,
};
use crate::objects::Server;

/// Where the client as a whole is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Not started, or serving its servers (each [`Session`] has its own state).
    Serving,
    /// Bootstrap-Request sent or being provisioned.
    Bootstrapping,
    /// Bootstrap finished with a server URI naming a host: waiting for the driver's address.
    Resolving,
}

/// Who sent a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Requester {
    /// The bootstrap server, while bootstrapping.
    Bootstrap,
    /// The server of this session.
    Server(ServerId),
}

/// The Disable Timeout when the Server instance has none (`/1/x/5`, Core TS Appendix E.2).
pub(super) const DEFAULT_DISABLE_TIMEOUT: u64 = 86400;

pub(super) struct Engine {
    pub(super) config: Config,
    pub(super) store: ObjectStore,
    pub(super) outbox: VecDeque<Transmit>,
    pub(super) events: Events,
    /// Outgoing requests and confirmable notifications until they end.
    pub(super) exchanges: Exchanges,
    pub(super) dedup: DuplicateCache<SocketAddr>,
    pub(super) phase: Phase,
    /// One registration per server account.
    pub(super) sessions: Vec<Session>,
    /// How many complete server accounts the store held when the sessions were built: Access
    /// Control is enforced above one.
    pub(super) accounts: usize,
    /// Bootstrap-Request retries.
    pub(super) bootstrap_retry_at: Option<Instant>,
    pub(super) bootstrap_failures: u32,
    pub(super) notifications_sent: u32,
    pub(super) awake_until: Option<Instant>,
    /// The latest time the client was given.
    pub(super) now: Instant,
    /// The bootstrap server of the bootstrap in progress.
    pub(super) bootstrap_peer: Option<SocketAddr>,
    /// Large writes being reassembled (Block1).
    pub(super) block1: Block1Assembler<SocketAddr>,
    /// Large response bodies kept for follow-up Block2 requests.
    pub(super) bodies: BodyCache,
    /// Whether new requests are answered 5.03 (`Client::set_overloaded`).
    pub(super) overloaded: bool,
    /// Firmware Update (object 5), when enabled (`Client::enable_firmware_update`).
    pub(super) firmware: Option<super::firmware::Firmware>,
}

impl Engine {
    pub(super) fn new(config: Config, mut store: ObjectStore) -> Engine {
        let params = config.transmission;
        let max_request_body = config.max_request_body;
        let sessions = build_sessions(&config, &mut store);
        let accounts = session::complete_accounts(&mut store);
        Engine {
            exchanges: Exchanges::new(params, config.random_seed),
            dedup: DuplicateCache::new(params.exchange_lifetime(), config.duplicate_cache_size),
            config,
            store,
            outbox: VecDeque::new(),
            events: VecDeque::new(),
            phase: Phase::Serving,
            sessions,
            accounts,
            bootstrap_retry_at: None,
            bootstrap_failures: 0,
            notifications_sent: 0,
            awake_until: None,
            now: Instant::ZERO,
            block1: Block1Assembler::new(Block1Config {
                lifetime: params.exchange_lifetime(),
                max_body: max_request_body,
                ..Block1Config::default()
            }),
            bodies: BodyCache::new(params.exchange_lifetime()),
            bootstrap_peer: None,
            overloaded: false,
            firmware: None,
        }
    }

    /// Whether at least one server accepted the registration and it has not been removed.
    pub(super) fn is_registered(&self) -> bool {
        self.sessions.iter().any(|s| s.state.is_registered())
    }

    /// Whether a Deregister is in flight (or waits for a Register's answer).
    pub(super) fn is_deregistering(&self) -> bool {
        self.sessions.iter().any(|s| {
            matches!(
                s.state,
                State::Deregistering { .. }
                    | State::Registering {
                        deregister_after: true,
                        ..
                    }
            )
        })
    }

    /// The servers: Short Server ID, address, and whether registered.
    pub(super) fn servers(&self) -> Vec<super::ServerStatus> {
        self.sessions
            .iter()
            .map(|s| super::ServerStatus {
                short_server_id: s.short_server_id,
                address: s.address,
                registered: s.state.is_registered(),
            })
            .collect()
    }

    pub(super) fn emit(&mut self, server: Option<u16>, event: Event) {
        self.events.push_back(ServerEvent { server, event });
    }

    /// An event about the server of session `s`.
    pub(super) fn emit_for(&mut self, s: ServerId, event: Event) {
        let server = self.server(s).and_then(|x| x.short_server_id);
        self.emit(server, event);
    }

    /// The session of the server at `peer`.
    pub(super) fn session_at(&self, peer: SocketAddr) -> Option<ServerId> {
        self.find_server(|s| s.address == peer)
    }

    /// Server `s`.
    pub(super) fn server(&self, s: ServerId) -> Option<&Session> {
        self.sessions.get(s.index())
    }

    /// Server `s`, mutable.
    pub(super) fn server_mut(&mut self, s: ServerId) -> Option<&mut Session> {
        self.sessions.get_mut(s.index())
    }

    /// The settings of the Server instance of server `s` (of the first Server instance for a
    /// server without one).
    pub(super) fn settings(&mut self, s: ServerId) -> ServerSettings {
        let instance = self.server(s).and_then(|x| x.server_instance);
        instance
            .or_else(|| self.store.instances(Server::ID).next())
            .and_then(|i| ServerSettings::of(&mut self.store, i))
            .unwrap_or_default()
    }

    /// The first server `which` accepts.
    pub(super) fn find_server(&self, which: impl Fn(&Session) -> bool) -> Option<ServerId> {
        let at = self.sessions.iter().position(which)?;
        u16::try_from(at).ok().map(ServerId)
    }

    /// The session whose Server instance is `/1/instance`.
    pub(super) fn session_of_instance(&self, instance: u16) -> Option<ServerId> {
        self.find_server(|s| s.server_instance == Some(instance))
    }

    /// What the requester may do: everything for the bootstrap server or with one server
    /// account, otherwise what Access Control gives its Short Server ID.
    pub(super) fn policy(&mut self, requester: Requester) -> Policy {
        let Requester::Server(s) = requester else {
            return Policy::Full;
        };
        self.policy_of(s)
    }

    pub(super) fn policy_of(&mut self, s: ServerId) -> Policy {
        if self.accounts <= 1 {
            return Policy::Full;
        }
        Policy::Acl {
            server: self.server(s).and_then(|x| x.short_server_id),
            table: Table::of_store(&mut self.store),
        }
    }

    /// Bootstraps first when a bootstrap server is configured, or when the store has a
    /// Bootstrap-Server account (with an IP-literal URI) but no other server account.
    pub(super) fn start(&mut self, now: Instant) {
        // A configured bootstrap server is its address (`bootstrap_address`; none without the
        // `bootstrap` feature).
        let unprovisioned = session::accounts(&mut self.store).is_empty();
        if (self.config.bootstrap_server.is_some() || unprovisioned)
            && self.bootstrap_address().is_some()
        {
            self.send_bootstrap_request(now);
        } else {
            self.register_all(now);
        }
    }

    /// Registers with every server account of the store (the sessions are rebuilt).
    pub(super) fn register_all(&mut self, now: Instant) {
        self.rebuild_sessions();
        for s in ServerId::all(self.sessions.len()) {
            self.send_register(now, s);
        }
    }

    /// The sessions of the store's server accounts, as they are now.
    pub(super) fn rebuild_sessions(&mut self) {
        self.sessions = build_sessions(&self.config, &mut self.store);
        self.accounts = session::complete_accounts(&mut self.store);
    }

    // ----- outgoing -------------------------------------------------------------------------

    pub(super) fn next_message_id(&mut self) -> u16 {
        self.exchanges.next_message_id()
    }

    pub(super) fn transmit(&mut self, now: Instant, to: SocketAddr, bytes: Vec<u8>) {
        self.queue_transmit(now, to, bytes, false);
    }

    /// Queues a confirmable message (a request, a retransmission, a confirmable
    /// notification): the server is expected to answer it.
    pub(super) fn transmit_expecting_answer(
        &mut self,
        now: Instant,
        to: SocketAddr,
        bytes: Vec<u8>,
    ) {
        self.queue_transmit(now, to, bytes, true);
    }

    fn queue_transmit(
        &mut self,
        now: Instant,
        to: SocketAddr,
        bytes: Vec<u8>,
        expects_answer: bool,
    ) {
        self.awake_until = Some(now + self.config.queue_window);
        self.outbox.push_back(Transmit {
            to,
            bytes,
            expects_answer,
        });
    }

    /// Sends a confirmable request (block-wise when it does not fit one message, see
    /// [`blockwise`](super::blockwise)) and remembers it for its response.
    pub(super) fn send_request(
        &mut self,
        now: Instant,
        to: SocketAddr,
        packet: Outgoing,
        kind: Kind,
    ) {
        match self.plan(packet) {
            Ok(body) => {
                let token = self.exchanges.next_token();
                self.send_exchange(now, to, token, kind, body);
            }
            Err(_) => self.fail_exchange(now, to, &kind, Failure::Unencodable),
        }
    }

    /// How `request` goes out: whole, or block-wise.
    pub(super) fn plan(&self, request: Outgoing) -> Result<OutgoingBody, OutgoingError> {
        OutgoingBody::plan(
            request,
            self.config.block_size,
            self.config.max_message_size,
        )
    }

    /// Sends the message `body` has in flight (the whole request or its current block) with
    /// `token` and a new message id, and remembers the exchange for its response.
    pub(super) fn send_exchange(
        &mut self,
        now: Instant,
        to: SocketAddr,
        token: Vec<u8>,
        kind: Kind,
        body: OutgoingBody,
    ) {
        let limit = self.send_limit();
        match self.exchanges.start(now, to, token, kind, body, limit) {
            Ok(bytes) => self.transmit_expecting_answer(now, to, bytes),
            Err(kind) => self.fail_exchange(now, to, &kind, Failure::Unencodable),
        }
    }

    /// Sends a request built with [`RequestBuilder`](crate::coap::message::RequestBuilder), or fails if it could not be built.
    pub(super) fn send_built(
        &mut self,
        now: Instant,
        to: SocketAddr,
        built: Result<Outgoing, coap_message::BuildError>,
        kind: Kind,
    ) {
        match built {
            Ok(packet) => self.send_request(now, to, packet, kind),
            Err(_) => self.fail_exchange(now, to, &kind, Failure::Unencodable),
        }
    }

    /// A request of `kind` to `to` could not be sent.
    pub(super) fn fail_exchange(
        &mut self,
        now: Instant,
        to: SocketAddr,
        kind: &Kind,
        reason: Failure,
    ) {
        match kind {
            Kind::BootstrapRequest => self.fail_bootstrap(now, reason),
            // A Deregister given up on (or refused with a reset) ends the registration all
            // the same: the client is leaving.
            Kind::Deregister => {
                if let Some(s) = self.session_at(to) {
                    self.deregistered(s);
                }
            }
            Kind::Send { paths } => {
                let server = self
                    .session_at(to)
                    .and_then(|s| self.server(s)?.short_server_id);
                self.emit(
                    server,
                    Event::SendFailed {
                        paths: paths.clone(),
                        reason,
                    },
                );
            }
            Kind::Register | Kind::Update { .. } => {
                let request = match kind {
                    Kind::Register => RegistrationRequest::Register,
                    _ => RegistrationRequest::Update,
                };
                if let Some(s) = self.session_at(to) {
                    self.fail(now, s, request, reason);
                }
            }
            Kind::Download => self.download_failed(now, reason),
            // A notification that ends cancels its observation instead (`exchange_ended`).
            Kind::Notification => {}
        }
    }

    // ----- incoming -------------------------------------------------------------------------

    pub(super) fn handle_datagram(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        self.now = now;
        let packet = match coap_message::parse_ref(datagram, self.receive_limit()) {
            Ok(packet) => packet,
            Err(e) => {
                tracing::debug!(%from, error = %e, "refused a datagram");
                if let Some(message_id) = e.reset_id() {
                    self.send_empty(now, from, MessageType::Reset, message_id);
                }
                return;
            }
        };
        let session = self.session_at(from);
        if session.is_some_and(|s| {
            self.server(s)
                .is_some_and(|x| matches!(x.state, State::Disabled { .. }))
        }) {
            // Core TS §E.2 (Disable): everything from the server is ignored for the period.
            tracing::debug!(%from, "disabled: ignored a datagram");
            return;
        }
        let known = session.is_some() || Some(from) == self.bootstrap_peer;
        if known {
            self.awake_until = Some(now + self.config.queue_window);
        }
        match (packet.message_type(), packet.code()) {
            (MessageType::Reset, _) => self.handle_reset(now, from, packet.message_id()),
            (MessageType::Acknowledgement, MessageClass::Empty) => {
                // A separate response will follow: stop retransmitting, keep the exchange.
                self.exchanges.acknowledged(from, packet.message_id());
            }
            // Both read on the borrowed message, never copied into a coap-lite packet.
            (_, MessageClass::Response(_)) => self.handle_response(now, from, &packet),
            (_, MessageClass::Request(_)) => self.handle_request(now, from, &packet),
            (MessageType::Confirmable, MessageClass::Empty) => {
                // CoAP ping: answer with RST (RFC 7252 §4.3).
                self.send_empty(now, from, MessageType::Reset, packet.message_id());
            }
            _ => {}
        }
    }

    pub(super) fn send_empty(
        &mut self,
        now: Instant,
        to: SocketAddr,
        kind: MessageType,
        message_id: u16,
    ) {
        let kind = match kind {
            MessageType::Acknowledgement => MessageType::Acknowledgement,
            _ => MessageType::Reset,
        };
        let empty = Outgoing::new(kind, MessageClass::Empty, message_id, &[]);
        if let Ok(bytes) = empty.into_bytes(Packet::MAX_SIZE) {
            self.transmit(now, to, bytes);
        }
    }

    /// Ends the observation `token` of the server at `peer`.
    pub(super) fn cancel_observation(&mut self, peer: SocketAddr, token: &[u8]) {
        if let Some(s) = self.session_at(peer)
            && let Some(session) = self.server_mut(s)
        {
            session.observations.cancel(token);
        }
    }

    pub(super) fn handle_reset(&mut self, now: Instant, from: SocketAddr, message_id: u16) {
        if let Some(ended) = self.exchanges.reset(from, message_id) {
            self.exchange_ended(now, ended);
        }
    }

    /// An exchange ended without a final response: a notification's observation ends (RFC 7641
    /// §3.6 and §4.5), a request fails.
    pub(super) fn exchange_ended(&mut self, now: Instant, ended: Ended) {
        let reason = match ended.how {
            EndedHow::Reset => Failure::Reset,
            EndedHow::GaveUp => Failure::NoResponse,
        };
        match ended.kind {
            Kind::Notification => self.cancel_observation(ended.peer, &ended.token),
            kind => self.fail_exchange(now, ended.peer, &kind, reason),
        }
    }

    pub(super) fn handle_response(
        &mut self,
        now: Instant,
        from: SocketAddr,
        packet: &MessageRef<'_>,
    ) {
        let confirmable = packet.message_type() == MessageType::Confirmable;
        let matched = self.exchanges.response(from, packet);
        if confirmable {
            // A separate response is acknowledged, one nobody waits for is reset.
            let answer = match matched {
                ResponseMatch::Unmatched => MessageType::Reset,
                _ => MessageType::Acknowledgement,
            };
            self.send_empty(now, from, answer, packet.message_id());
        }
        let kind = match matched {
            ResponseMatch::Unmatched | ResponseMatch::Stale => return,
            ResponseMatch::NextBlock { token, kind, body } => {
                // The next block (or block 0 again): same token, new message id.
                self.send_exchange(now, from, token, kind, *body);
                return;
            }
            ResponseMatch::Final(kind) => kind,
        };
        let code = packet.code();
        let session = self.session_at(from);
        match (kind, session) {
            (Kind::Download, _) => self.download_response(now, packet),
            (Kind::Register, Some(s)) => self.registered(now, s, code, packet),
            (Kind::Update { links, lifetime }, Some(s)) => {
                self.updated(now, s, code, links, lifetime);
            }
            (Kind::Deregister, Some(s)) => self.deregistered(s),
            (Kind::BootstrapRequest, _) => {
                if message::is_success(code) {
                    self.bootstrap_failures = 0;
                    // Wait for the bootstrap server's writes and Bootstrap-Finish; if it never
                    // comes, start over.
                    if self.phase == Phase::Bootstrapping {
                        self.bootstrap_retry_at =
                            Some(now + self.config.transmission.exchange_lifetime());
                    }
                } else {
                    self.fail_bootstrap(now, Failure::Answered(code.into()));
                }
            }
            (Kind::Send { paths }, s) => {
                let server = s.and_then(|s| self.server(s)?.short_server_id);
                self.emit(
                    server,
                    if message::is_success(code) {
                        Event::Sent { paths }
                    } else {
                        Event::SendFailed {
                            paths,
                            reason: Failure::Answered(code.into()),
                        }
                    },
                );
            }
            _ => {}
        }
    }

    /// The driver resolved the server's host name (after [`Event::ResolveServer`]), or the
    /// application moves the client to another server: registers there if it was waiting.
    pub(super) fn set_server(&mut self, now: Instant, address: SocketAddr) {
        self.now = now;
        self.config.server = address;
        if self.phase == Phase::Resolving {
            self.phase = Phase::Serving;
            self.register_all(now);
        } else if let Some(first) = self.sessions.first_mut()
            && first.state == State::Idle
        {
            first.address = address;
        }
    }

    pub(super) fn apply(&mut self, now: Instant, requester: Requester, effect: Effect) {
        let own = match requester {
            Requester::Server(s) => s,
            Requester::Bootstrap => ServerId(0),
        };
        match effect {
            Effect::UpdateRegistration(instance) => {
                let s = self.session_of_instance(instance).unwrap_or(own);
                self.want_update(now, s);
            }
            Effect::Reboot => self.emit(None, Event::Rebooting),
            Effect::FactoryReset => self.emit(None, Event::FactoryReset),
            Effect::Disable(instance) => {
                let s = self.session_of_instance(instance).unwrap_or(own);
                self.disable(now, s, instance);
            }
            Effect::ObjectsChanged => {
                for s in ServerId::all(self.sessions.len()) {
                    self.want_update(now, s);
                }
            }
            Effect::Created(object, instance) => {
                // The creating server owns the new instance (only when rights are checked).
                if requester != Requester::Bootstrap
                    && let Some(server) = self.policy(requester).server()
                    && let Err(e) = access::grant_creator(&mut self.store, server, object, instance)
                {
                    tracing::warn!(object, instance, error = %e, "no Access Control instance");
                }
            }
            Effect::Deleted(object, instance) => access::forget(&mut self.store, object, instance),
            Effect::Changed(path) => {
                let store = &mut self.store;
                for session in &mut self.sessions {
                    session
                        .observations
                        .changed(now, &path, &mut |p: &Path| sample(store, p));
                }
                if path.object_id() == Some(1) {
                    self.lifetime_from_store(now);
                }
            }
            Effect::Bootstrap if self.phase == Phase::Bootstrapping => {
                self.emit(None, Event::Bootstrapped);
                self.register_with_bootstrapped_server(now);
            }
            Effect::Bootstrap => {
                if self.bootstrap_address().is_some() {
                    // The registrations are over until the bootstrap finishes and rebuilds them.
                    for session in &mut self.sessions {
                        session.observations.clear();
                        session.state = State::Idle;
                    }
                    self.send_bootstrap_request(now);
                }
            }
        }
    }

    // ----- time -----------------------------------------------------------------------------

    pub(super) fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        let (resend, gave_up) = self.exchanges.poll(now);
        for (peer, bytes) in resend {
            self.transmit_expecting_answer(now, peer, bytes);
        }
        for ended in gave_up {
            self.exchange_ended(now, ended);
        }
        if self.bootstrap_retry_at.is_some_and(|at| at <= now) {
            self.bootstrap_retry_at = None;
            if self.phase == Phase::Bootstrapping {
                self.send_bootstrap_request(now);
            }
        }
        if self.firmware_deadline().is_some_and(|at| at <= now) {
            self.firmware_timeout(now);
        }
        let links = registration::object_links(&self.store, self.config.lwm2m_version);
        for s in ServerId::all(self.sessions.len()) {
            self.session_timeout(now, s, &links);
        }
        self.send_notifications(now);
    }

    /// The earliest deadline of the exchanges, the bootstrap and every server; allocates
    /// nothing.
    pub(super) fn next_timeout(&self) -> Option<Instant> {
        let earliest = |a: Option<Instant>, b: Option<Instant>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let mut next = earliest(self.exchanges.next_deadline(), self.bootstrap_retry_at);
        next = earliest(next, self.firmware_deadline());
        for session in &self.sessions {
            next = earliest(next, session.state.deadline());
            if session.state.is_registered() {
                next = earliest(next, session.observations.next_deadline(self.now));
            }
        }
        next
    }
}

/// The sessions of the server accounts of `store` (see [`session`]): the first at
/// `config.server`, the others at their configured or URI address.
fn build_sessions(config: &Config, store: &mut ObjectStore) -> Vec<Session> {
    let mut sessions: Vec<Session> = Vec::new();
    for (k, account) in session::accounts(store).into_iter().enumerate() {
        let address = if k == 0 {
            Some(config.server)
        } else if account.server_instance.is_none() {
            tracing::warn!(uri = %account.uri, "a server account without a Server instance: skipped");
            continue;
        } else {
            session::address_of(&account, &config.server_addresses)
        };
        let Some(address) = address else {
            tracing::warn!(uri = %account.uri, "no address for this server account: skipped");
            continue;
        };
        if sessions.iter().any(|s| s.address == address) {
            tracing::warn!(%address, "two server accounts at one address: the second is skipped");
            continue;
        }
        let lifetime = if k == 0 {
            config.lifetime
        } else {
            account
                .server_instance
                .and_then(|x| session::lifetime_of(store, x))
                .unwrap_or(config.lifetime)
        };
        sessions.push(Session::new(
            account.short_server_id,
            account.server_instance,
            address,
            lifetime,
        ));
    }
    if sessions.is_empty() {
        sessions.push(Session::new(None, None, config.server, config.lifetime));
    }
    sessions
}

/// What the rules know of the value at `path`: a number or boolean of a single resource,
/// otherwise only that it changed.
pub(super) fn sample(store: &mut ObjectStore, path: &Path) -> Sample {
    match dm::read_records(store, path).as_deref() {
        Ok([record]) if record.path == *path => Sample::of(&record.value),
        _ => Sample::Other,
    }
}
