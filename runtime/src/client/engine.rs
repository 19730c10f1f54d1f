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
//!   links, a big Send) goes block-wise ([`blockwise`]: Block1, one token, a new message id and
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
use core::time::Duration;

use coap_lite::{MessageClass, MessageType, Packet, RequestType, ResponseType};

use crate::coap::DuplicateCache;
use crate::coap::block::{Block1Assembler, Block1Config};
use crate::coap::message::{self as coap_message, RequestBuilder};
use crate::coap::options;
use crate::codec::ContentFormat;
use crate::field::ResourceValue;
use crate::path::Path;
use crate::store::ObjectStore;
use crate::value::Value;

use super::access::{self, Policy, Table};
use super::blockwise::{BodyCache, OutgoingBody, OutgoingError};
use super::dm::{self, Effect};
use super::exchange::{Ended, EndedHow, Exchanges, Kind, ResponseMatch};
use super::message;
use super::observe::Sample;
use super::send::{self, SendError};
use super::session::{self, ServerId, Session, State};
use super::{Config, Event, Events, LwM2mVersion, ServerEvent, Transmit, registration};

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
const DEFAULT_DISABLE_TIMEOUT: u64 = 86400;

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
        let unprovisioned = session::accounts(&mut self.store).is_empty();
        if self.config.bootstrap_server.is_some()
            || (unprovisioned && self.bootstrap_address().is_some())
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
        self.awake_until = Some(now + self.config.queue_window);
        self.outbox.push_back(Transmit { to, bytes });
    }

    /// Sends a confirmable request (block-wise when it does not fit one message, see
    /// [`blockwise`]) and remembers it for its response.
    pub(super) fn send_request(
        &mut self,
        now: Instant,
        to: SocketAddr,
        packet: Packet,
        kind: Kind,
    ) {
        match self.plan(packet) {
            Ok(body) => {
                let token = self.exchanges.next_token();
                self.send_exchange(now, to, token, kind, body);
            }
            Err(e) => self.fail_exchange(now, to, &kind, &e.to_string()),
        }
    }

    /// How `request` goes out: whole, or block-wise.
    pub(super) fn plan(&self, request: Packet) -> Result<OutgoingBody, OutgoingError> {
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
            Ok(bytes) => self.transmit(now, to, bytes),
            Err(kind) => {
                self.fail_exchange(now, to, &kind, "the request does not fit a CoAP message");
            }
        }
    }

    /// Sends a request built with [`RequestBuilder`], or fails if it could not be built.
    pub(super) fn send_built(
        &mut self,
        now: Instant,
        to: SocketAddr,
        built: Result<Packet, coap_message::BuildError>,
        kind: Kind,
    ) {
        match built {
            Ok(packet) => self.send_request(now, to, packet, kind),
            Err(e) => {
                let reason = format!("the request cannot be built: {e}");
                self.fail_exchange(now, to, &kind, &reason);
            }
        }
    }

    /// A request of `kind` to `to` could not be sent.
    pub(super) fn fail_exchange(
        &mut self,
        now: Instant,
        to: SocketAddr,
        kind: &Kind,
        reason: &str,
    ) {
        match kind {
            Kind::BootstrapRequest => self.fail_bootstrap(now, reason.to_owned()),
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
                        reason: reason.to_owned(),
                    },
                );
            }
            _ => {
                if let Some(s) = self.session_at(to) {
                    self.fail(now, s, reason.to_owned());
                }
            }
        }
    }

    pub(super) fn send_register(&mut self, now: Instant, s: ServerId) {
        let Some(session) = self.server_mut(s) else {
            return;
        };
        let (update_wanted, deregister_after) = match &session.state {
            State::Registering {
                update_wanted,
                deregister_after,
                ..
            } => (*update_wanted, *deregister_after),
            State::Registered { update_wanted, .. } => (*update_wanted, false),
            _ => (None, false),
        };
        session.state = State::Registering {
            retry_at: None,
            update_wanted,
            deregister_after,
        };
        let server = session.address;
        let lifetime = session.lifetime;
        self.exchanges.forget(server, |k| {
            matches!(k, Kind::Register | Kind::Update { .. })
        });
        let mut builder = RequestBuilder::new(RequestType::Post, 0, &[]).path(["rd"]);
        let mut config = self.config.clone();
        config.lifetime = lifetime;
        for query in registration::register_query(&config) {
            builder = match query.split_once('=') {
                Some((key, value)) => builder.query(key, Some(value)),
                None => builder.query(&query, None),
            };
        }
        let links = registration::object_links(&self.store, self.config.lwm2m_version);
        let built = builder
            .content_format(ContentFormat::LinkFormat.to_u16())
            .payload(links.clone().into_bytes())
            .build();
        if let Some(session) = self.server_mut(s) {
            session.links_sent = links;
            session.lifetime_sent = registration::lifetime_secs(lifetime);
        }
        self.send_built(now, server, built, Kind::Register);
    }

    pub(super) fn update_in_flight(&self, s: ServerId) -> bool {
        let Some(server) = self.server(s).map(|x| x.address) else {
            return false;
        };
        self.exchanges.any(server, |k| {
            matches!(k, Kind::Update { .. } | Kind::Register)
        })
    }

    pub(super) fn send_update(&mut self, now: Instant, s: ServerId) {
        let Some(session) = self.sessions.get_mut(s.index()) else {
            return;
        };
        let State::Registered {
            location,
            update_at,
            update_wanted,
            ..
        } = &mut session.state
        else {
            return;
        };
        *update_wanted = None;
        *update_at = None;
        let mut builder = RequestBuilder::new(RequestType::Post, 0, &[]).path(location.iter());
        let lifetime = registration::lifetime_secs(session.lifetime);
        if lifetime != session.lifetime_sent {
            builder = builder.query("lt", Some(&lifetime.to_string()));
        }
        let links = registration::object_links(&self.store, self.config.lwm2m_version);
        let changed_links = (links != session.links_sent).then_some(links);
        if let Some(links) = &changed_links {
            builder = builder
                .content_format(ContentFormat::LinkFormat.to_u16())
                .payload(links.clone().into_bytes());
        }
        let server = session.address;
        self.send_built(
            now,
            server,
            builder.build(),
            Kind::Update {
                links: changed_links,
                lifetime,
            },
        );
    }

    /// The transport re-established its session with `server` (a new handshake, maybe from a
    /// new local port): a registered client sends that server an Update at once, so that it
    /// learns the new address and session. Nothing when a Register or Update to it is already
    /// in flight (its next retransmission goes through the new session and tells the same),
    /// or when `server` is not a registered server.
    pub(super) fn transport_changed(&mut self, now: Instant, server: SocketAddr) {
        self.now = now;
        let Some(s) = self.session_at(server) else {
            return;
        };
        if self.server(s).is_some_and(|x| x.state.is_registered()) && !self.update_in_flight(s) {
            self.send_update(now, s);
        }
    }

    /// Graceful shutdown: Deregister with every server.
    pub(super) fn deregister(&mut self, now: Instant) {
        if self.phase == Phase::Bootstrapping {
            self.phase = Phase::Serving;
            self.bootstrap_retry_at = None;
        }
        for s in ServerId::all(self.sessions.len()) {
            self.deregister_session(now, s);
        }
    }

    pub(super) fn deregister_session(&mut self, now: Instant, s: ServerId) {
        let register_in_flight = self.server(s).is_some_and(|x| {
            matches!(x.state, State::Registering { .. })
                && self
                    .exchanges
                    .any(x.address, |k| matches!(k, Kind::Register))
        });
        let Some(session) = self.server_mut(s) else {
            return;
        };
        // A Register still in flight may already have created a registration on the server:
        // wait for its answer, then deregister it (`registered` and `fail` finish the job).
        if register_in_flight {
            if let State::Registering {
                retry_at,
                deregister_after,
                ..
            } = &mut session.state
            {
                *deregister_after = true;
                *retry_at = None;
            }
            return;
        }
        self.send_deregister(now, s, None);
    }

    /// Sends Deregister if registered (otherwise that registration is simply done); with
    /// `disable_until` (Disable, `/1/x/4`) the server is then ignored until that time.
    pub(super) fn send_deregister(
        &mut self,
        now: Instant,
        s: ServerId,
        disable_until: Option<Instant>,
    ) {
        let Some(session) = self.server_mut(s) else {
            return;
        };
        session.observations.clear();
        let server = session.address;
        self.exchanges
            .forget(server, |k| matches!(k, Kind::Notification));
        let Some(session) = self.server_mut(s) else {
            return;
        };
        let State::Registered { location, .. } = &mut session.state else {
            session.state = State::Deregistered;
            self.emit_for(s, Event::Deregistered);
            return;
        };
        let location = core::mem::take(location);
        session.state = State::Deregistering { disable_until };
        let built = RequestBuilder::new(RequestType::Delete, 0, &[])
            .path(location.iter())
            .build();
        self.send_built(now, server, built, Kind::Deregister);
    }

    /// Send (`POST /dp`, see [`send`]): the values at `paths`, read now, to the first registered
    /// server.
    pub(super) fn send(&mut self, now: Instant, paths: &[Path]) -> Result<(), SendError> {
        let names = paths.iter().map(ToString::to_string).collect();
        self.send_with(now, names, |store| send::payload(store, paths))
    }

    /// Send (`POST /dp`) of the SenML CBOR `payload` builds, after the checks of every Send;
    /// `paths` names what is sent in the outcome event.
    pub(super) fn send_with(
        &mut self,
        now: Instant,
        paths: Vec<String>,
        payload: impl FnOnce(&mut ObjectStore) -> Result<Vec<u8>, SendError>,
    ) -> Result<(), SendError> {
        self.now = now;
        if self.config.lwm2m_version == LwM2mVersion::V1_0 {
            return Err(SendError::Unsupported);
        }
        let Some(s) = self.find_server(|x| x.state.is_registered()) else {
            return Err(SendError::NotRegistered);
        };
        if self.send_muted(s) {
            return Err(SendError::Muted);
        }
        let payload = payload(&mut self.store)?;
        let size = payload.len();
        let packet = RequestBuilder::new(RequestType::Post, 0, &[])
            .path([send::URI_PATH])
            .content_format(send::FORMAT.to_u16())
            .payload(payload)
            .build()
            .map_err(|e| SendError::Encode(e.to_string()))?;
        let body = self.plan(packet).map_err(|e| match e {
            OutgoingError::BodyTooLarge { size, max } => SendError::TooLarge { size, max },
            OutgoingError::NoRoom { max } => SendError::TooLarge { size, max },
            OutgoingError::Encode => SendError::Encode(e.to_string()),
        })?;
        let server = self.server(s).map_or(self.config.server, |x| x.address);
        let token = self.exchanges.next_token();
        self.send_exchange(now, server, token, Kind::Send { paths }, body);
        Ok(())
    }

    /// Whether the server of session `s` muted Send: Mute Send (`/1/x/23`) of its Server
    /// instance (the first Server instance for a server without one).
    pub(super) fn send_muted(&mut self, s: ServerId) -> bool {
        let instance = self.server(s).and_then(|x| x.server_instance);
        let Some(instance) = instance.or_else(|| self.store.instances(1).next()) else {
            return false;
        };
        matches!(
            self.store.read_internal(1, instance, 23),
            Ok(ResourceValue::Single(Value::Boolean(true)))
        )
    }

    /// A Register or Update with the server of session `s` failed: retry after a back-off.
    pub(super) fn fail(&mut self, now: Instant, s: ServerId, reason: String) {
        let Some(session) = self.server_mut(s) else {
            return;
        };
        session.failures = session.failures.saturating_add(1);
        let retry_at = now + registration::retry_delay(session.failures);
        let update_wanted = match &session.state {
            State::Registering {
                deregister_after: true,
                ..
            } => {
                // Shutting down: the Register failed, so there is nothing to deregister.
                self.emit_for(s, Event::RegistrationFailed { reason });
                self.send_deregister(now, s, None);
                return;
            }
            State::Registering { update_wanted, .. } | State::Registered { update_wanted, .. } => {
                *update_wanted
            }
            State::Idle => None,
            State::Deregistering { .. } | State::Deregistered | State::Disabled { .. } => {
                self.emit_for(s, Event::RegistrationFailed { reason });
                return;
            }
        };
        session.state = State::Registering {
            retry_at: Some(retry_at),
            update_wanted,
            deregister_after: false,
        };
        self.emit_for(s, Event::RegistrationFailed { reason });
    }

    // ----- incoming -------------------------------------------------------------------------

    pub(super) fn handle_datagram(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        self.now = now;
        let packet = match coap_message::parse(datagram, self.receive_limit()) {
            Ok(packet) => packet,
            Err(e) => {
                tracing::debug!(%from, error = %e, "refused a datagram");
                if let Some(rst) = e.reset()
                    && let Ok(bytes) = rst.to_bytes()
                {
                    self.transmit(now, from, bytes);
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
        match (packet.header.get_type(), packet.header.code) {
            (MessageType::Reset, _) => self.handle_reset(now, from, packet.header.message_id),
            (MessageType::Acknowledgement, MessageClass::Empty) => {
                // A separate response will follow: stop retransmitting, keep the exchange.
                self.exchanges.acknowledged(from, packet.header.message_id);
            }
            (_, MessageClass::Response(_)) => self.handle_response(now, from, &packet),
            (_, MessageClass::Request(_)) => self.handle_request(now, from, &packet),
            (MessageType::Confirmable, MessageClass::Empty) => {
                // CoAP ping: answer with RST (RFC 7252 §4.3).
                self.send_empty(now, from, MessageType::Reset, packet.header.message_id);
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
        let packet = match kind {
            MessageType::Acknowledgement => coap_message::empty_ack(message_id),
            _ => coap_message::reset(message_id),
        };
        if let Ok(bytes) = packet.to_bytes() {
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
            EndedHow::Reset => "the server reset the request",
            EndedHow::GaveUp => "no response from the server",
        };
        match ended.kind {
            Kind::Notification => self.cancel_observation(ended.peer, &ended.token),
            kind => self.fail_exchange(now, ended.peer, &kind, reason),
        }
    }

    pub(super) fn handle_response(&mut self, now: Instant, from: SocketAddr, packet: &Packet) {
        let confirmable = packet.header.get_type() == MessageType::Confirmable;
        let matched = self.exchanges.response(from, packet);
        if confirmable {
            // A separate response is acknowledged, one nobody waits for is reset.
            let answer = match matched {
                ResponseMatch::Unmatched => MessageType::Reset,
                _ => MessageType::Acknowledgement,
            };
            self.send_empty(now, from, answer, packet.header.message_id);
        }
        let kind = match matched {
            ResponseMatch::Unmatched | ResponseMatch::Stale => return,
            ResponseMatch::NextBlock { token, kind, body } => {
                // The next block (or block 0 again): same token, new message id.
                self.send_exchange(now, from, token, kind, body);
                return;
            }
            ResponseMatch::Final(kind) => kind,
        };
        let code = packet.header.code;
        let session = self.session_at(from);
        match (kind, session) {
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
                    self.fail_bootstrap(now, format!("bootstrap request answered {}", code));
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
                            reason: format!("send answered {code}"),
                        }
                    },
                );
            }
            _ => {}
        }
    }

    pub(super) fn registered(
        &mut self,
        now: Instant,
        s: ServerId,
        code: MessageClass,
        packet: &Packet,
    ) {
        let location = options::location_path(packet).unwrap_or_default();
        if code != MessageClass::Response(ResponseType::Created) || location.is_empty() {
            self.fail(now, s, format!("register answered {}", code));
            return;
        }
        let Some(session) = self.server_mut(s) else {
            return;
        };
        let (update_wanted, deregister) = match session.state {
            State::Registering {
                update_wanted,
                deregister_after,
                ..
            } => (update_wanted, deregister_after),
            _ => (None, false),
        };
        let path = format!("/{}", location.join("/"));
        session.state = State::Registered {
            location,
            update_at: None,
            update_wanted,
            waking: false,
        };
        session.failures = 0;
        session.observations.clear();
        self.schedule_update(now, s);
        self.emit_for(s, Event::Registered { location: path });
        if deregister {
            self.send_deregister(now, s, None);
        }
    }

    pub(super) fn schedule_update(&mut self, now: Instant, s: ServerId) {
        let wait = self.config.transmission.max_transmit_wait();
        if let Some(session) = self.server_mut(s)
            && let State::Registered { update_at, .. } = &mut session.state
        {
            let lifetime = Duration::from_secs(session.lifetime_sent);
            let margin = registration::update_margin(lifetime, wait);
            *update_at = Some(now + lifetime - margin);
        }
    }

    pub(super) fn updated(
        &mut self,
        now: Instant,
        s: ServerId,
        code: MessageClass,
        links: Option<String>,
        lifetime: u64,
    ) {
        let Some(session) = self.server_mut(s) else {
            return;
        };
        let State::Registered { waking, .. } = &mut session.state else {
            return;
        };
        if message::is_success(code) {
            // Queue mode: the server knows the client is awake; deliver what was held.
            *waking = false;
            if let Some(links) = links {
                session.links_sent = links;
            }
            session.lifetime_sent = lifetime;
            session.failures = 0;
            self.schedule_update(now, s);
            self.emit_for(s, Event::Updated);
            self.send_notifications(now);
        } else if code == MessageClass::Response(ResponseType::NotFound)
            || code == MessageClass::Response(ResponseType::BadRequest)
        {
            // The server forgot the registration: register again at once.
            self.send_register(now, s);
        } else {
            self.fail(now, s, format!("update answered {}", code));
        }
    }

    pub(super) fn deregistered(&mut self, s: ServerId) {
        let Some(session) = self.server_mut(s) else {
            return;
        };
        session.state = match session.state {
            State::Deregistering {
                disable_until: Some(until),
            } => State::Disabled { until },
            _ => State::Deregistered,
        };
        self.emit_for(s, Event::Deregistered);
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

    /// Disable (`/1/x/4`, Core TS Appendix E.2) of the server of session `s`: de-register now
    /// (the Execute was answered first), ignore the server for the Disable Timeout `/1/x/5`
    /// (86400 s when it has none), then register again.
    pub(super) fn disable(&mut self, now: Instant, s: ServerId, instance: u16) {
        if self.server(s).is_none_or(|x| !x.state.is_registered()) {
            return;
        }
        let secs = match self.store.read_internal(1, instance, 5) {
            Ok(ResourceValue::Single(Value::Integer(n))) => u64::try_from(n).ok(),
            Ok(ResourceValue::Single(Value::UnsignedInteger(n))) => Some(n),
            _ => None,
        };
        let timeout = Duration::from_secs(secs.unwrap_or(DEFAULT_DISABLE_TIMEOUT));
        self.emit_for(s, Event::Disabled { timeout });
        self.send_deregister(now, s, Some(now + timeout));
    }

    pub(super) fn want_update(&mut self, now: Instant, s: ServerId) {
        if let Some(session) = self.server_mut(s) {
            session.state.want_update(now);
        }
    }

    /// A server wrote a Server object: each server takes the Lifetime of its Server instance
    /// (a server without one: of any Server instance).
    pub(super) fn lifetime_from_store(&mut self, now: Instant) {
        let all: Vec<u16> = self.store.instances(1).collect();
        for s in ServerId::all(self.sessions.len()) {
            let instances = match self.server(s).and_then(|x| x.server_instance) {
                Some(x) => vec![x],
                None => all.clone(),
            };
            for i in instances {
                if let Ok(ResourceValue::Single(Value::Integer(secs))) = self.store.read(1, i, 1)
                    && let Ok(secs) = u64::try_from(secs)
                    && secs > 0
                    && let Some(session) = self.server_mut(s)
                    && secs != registration::lifetime_secs(session.lifetime)
                {
                    session.lifetime = Duration::from_secs(secs);
                    self.want_update(now, s);
                }
            }
        }
    }

    // ----- time -----------------------------------------------------------------------------

    pub(super) fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        let (resend, gave_up) = self.exchanges.poll(now);
        for (peer, bytes) in resend {
            self.transmit(now, peer, bytes);
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
        let links = registration::object_links(&self.store, self.config.lwm2m_version);
        for s in ServerId::all(self.sessions.len()) {
            self.session_timeout(now, s, &links);
        }
        self.send_notifications(now);
    }

    /// The timers of session `s`; `links` are the current object links.
    pub(super) fn session_timeout(&mut self, now: Instant, s: ServerId, links: &str) {
        let Some(session) = self.server_mut(s) else {
            return;
        };
        match &mut session.state {
            State::Disabled { until } if *until <= now => {
                self.send_register(now, s);
                return;
            }
            State::Registering {
                retry_at: Some(at), ..
            } if *at <= now => {
                self.send_register(now, s);
                return;
            }
            State::Registered { .. } => {}
            _ => return,
        }
        if self.update_in_flight(s) {
            return;
        }
        let asleep = self.asleep(now);
        let Some(session) = self.server_mut(s) else {
            return;
        };
        let links_changed = links != session.links_sent;
        let wake = asleep && session.observations.any_due(now);
        let State::Registered {
            update_at,
            update_wanted,
            waking,
            ..
        } = &mut session.state
        else {
            return;
        };
        if update_wanted.is_some() || links_changed || update_at.is_some_and(|at| at <= now) || wake
        {
            *waking = wake;
            self.send_update(now, s);
        }
    }

    /// The earliest deadline of the exchanges, the bootstrap and every server; allocates
    /// nothing.
    pub(super) fn next_timeout(&self) -> Option<Instant> {
        let earliest = |a: Option<Instant>, b: Option<Instant>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let mut next = earliest(self.exchanges.next_deadline(), self.bootstrap_retry_at);
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
