//! The client's state machine behind [`Client`](super::Client).
//!
//! Decisions documented here:
//! - Requests are accepted only from the server's address (and the bootstrap server's while
//!   bootstrapping). A confirmable request from any other address is answered 4.01 Unauthorized
//!   (nothing is read or changed); a non-confirmable one is dropped.
//! - Notifications are non-confirmable except every 10th, which is confirmable so that a server
//!   that went away is noticed (RFC 7641 §4.5); an RST to a notification, a GET with Observe=1
//!   or a notification that is given up on cancels the observation.
//! - A Register gets a new token and message id each attempt; retries follow
//!   [`registration::retry_delay`]. A 4.04 (or 4.00) to an Update re-registers at once.
//! - The registration lifetime is `Config::lifetime` at first; when a server writes the Lifetime
//!   of a Server object instance (`/1/x/1`), the new value is sent in the next Update.
//! - Queue mode (`UQ`): the client is awake for `queue_window` after it last sent or received;
//!   asleep, it holds notifications and sends an Update when one is due, then delivers them
//!   once the Update is answered (a 4.04 re-registers instead, and the observations end).
//! - Disable (`/1/x/4`): the Execute is answered 2.04, then Deregister is sent; once it is
//!   answered (or given up) every datagram is ignored until the Disable Timeout (`/1/x/5`,
//!   default 86400 s) has passed, and then the client registers again.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};

use crate::coap::block::{self, Block1Assembler, Block1Config, Block1Outcome, serve_block2};
use crate::coap::message::{self as coap_message, RequestBuilder};
use crate::coap::options;
use crate::coap::{DuplicateCache, RetransmitEvent, Retransmitter, Seen, TokenGenerator};
use crate::codec::ContentFormat;
use crate::field::ResourceValue;
use crate::path::Path;
use crate::store::{ObjectStore, WriteMode};
use crate::uri::parse_uri;
use crate::value::Value;

use super::blockwise::{self, BodyCache, BodyKey};
use super::dm::{self, Context, Effect, Reply};
use super::message;
use super::notify::Observations;
use super::observe::{Defaults, Sample};
use super::send::{self, SendError};
use super::{Binding, Config, Event, Events, LwM2mVersion, Transmit, registration};

/// Where the client is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Not started.
    Idle,
    /// Bootstrap-Request sent or being provisioned.
    Bootstrapping,
    /// Bootstrap finished with a server URI naming a host: waiting for the driver's address.
    Resolving,
    /// Register sent, or waiting to retry.
    Registering,
    /// Registered.
    Registered,
    /// Deregister sent.
    Deregistering,
    /// Disabled by the server (`/1/x/4`): silent until the Disable Timeout ends.
    Disabled,
    /// Done.
    Deregistered,
}

/// What an outgoing confirmable request or notification was.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    BootstrapRequest,
    Register,
    Update {
        links: Option<String>,
        lifetime: u64,
    },
    Deregister,
    Notification,
    /// A Send (`POST /dp`) of these paths.
    Send {
        paths: Vec<String>,
    },
}

#[derive(Debug, Clone)]
struct Exchange {
    kind: Kind,
    message_id: u16,
    peer: SocketAddr,
}

/// The Disable Timeout when the Server instance has none (`/1/x/5`, Core TS Appendix E.2).
const DEFAULT_DISABLE_TIMEOUT: u64 = 86400;

/// How many notification message ids are remembered (to match an RST).
const NOTIFY_MEMORY: usize = 64;

pub(super) struct Engine {
    pub(super) config: Config,
    pub(super) store: ObjectStore,
    pub(super) outbox: VecDeque<Transmit>,
    pub(super) events: Events,
    retransmit: Retransmitter<SocketAddr>,
    dedup: DuplicateCache<SocketAddr>,
    tokens: TokenGenerator,
    message_id: u16,
    state: State,
    /// Outgoing requests awaiting a response, by token.
    exchanges: BTreeMap<Vec<u8>, Exchange>,
    location: Vec<String>,
    update_at: Option<Instant>,
    retry_at: Option<Instant>,
    failures: u32,
    /// An Update was asked for (at this time) and is sent on the next timeout.
    update_wanted: Option<Instant>,
    links_sent: String,
    lifetime_sent: u64,
    observations: Observations,
    /// Recent notification message ids -> observation token.
    notify_ids: VecDeque<(u16, Vec<u8>)>,
    notifications_sent: u32,
    awake_until: Option<Instant>,
    /// The latest time the client was given.
    now: Instant,
    /// The bootstrap server of the bootstrap in progress.
    bootstrap_peer: Option<SocketAddr>,
    /// Queue mode: an Update was sent to wake up; held notifications wait for its answer.
    waking: bool,
    /// Large writes being reassembled (Block1).
    block1: Block1Assembler<SocketAddr>,
    /// Large response bodies kept for follow-up Block2 requests.
    bodies: BodyCache,
    /// Disable (`/1/x/4`): when the client may register again.
    disabled_until: Option<Instant>,
    /// Shutdown came while a Register was in flight: deregister once it is answered.
    deregister_after_register: bool,
}

impl Engine {
    pub(super) fn new(config: Config, store: ObjectStore) -> Engine {
        let params = config.transmission;
        let mut tokens = TokenGenerator::new();
        let seed = tokens.next_token();
        Engine {
            retransmit: Retransmitter::new(params),
            dedup: DuplicateCache::new(params.exchange_lifetime(), 256),
            message_id: u16::from_be_bytes([seed[0], seed[1]]),
            tokens,
            config,
            store,
            outbox: VecDeque::new(),
            events: VecDeque::new(),
            state: State::Idle,
            exchanges: BTreeMap::new(),
            location: Vec::new(),
            update_at: None,
            retry_at: None,
            failures: 0,
            update_wanted: None,
            links_sent: String::new(),
            lifetime_sent: 0,
            observations: Observations::default(),
            notify_ids: VecDeque::new(),
            notifications_sent: 0,
            awake_until: None,
            now: Instant::now(),
            block1: Block1Assembler::new(Block1Config {
                lifetime: params.exchange_lifetime(),
                ..Block1Config::default()
            }),
            bodies: BodyCache::new(params.exchange_lifetime()),
            bootstrap_peer: None,
            waking: false,
            disabled_until: None,
            deregister_after_register: false,
        }
    }

    pub(super) fn is_registered(&self) -> bool {
        self.state == State::Registered
    }

    fn ctx(&self, bootstrap: bool) -> Context {
        Context {
            version: self.config.lwm2m_version,
            bootstrap,
        }
    }

    /// Bootstraps first when a bootstrap server is configured, or when the store has a
    /// Bootstrap-Server account (with an IP-literal URI) but no other server account.
    pub(super) fn start(&mut self, now: Instant) {
        let unprovisioned = self.accounts(false).is_empty();
        if self.config.bootstrap_server.is_some()
            || (unprovisioned && self.bootstrap_address().is_some())
        {
            self.send_bootstrap_request(now);
        } else {
            self.send_register(now);
        }
    }

    // ----- outgoing -------------------------------------------------------------------------

    fn next_message_id(&mut self) -> u16 {
        self.message_id = self.message_id.wrapping_add(1);
        self.message_id
    }

    fn transmit(&mut self, now: Instant, to: SocketAddr, bytes: Vec<u8>) {
        self.awake_until = Some(now + self.config.queue_window);
        self.outbox.push_back(Transmit { to, bytes });
    }

    /// Sends a confirmable request and remembers it for its response.
    fn send_request(&mut self, now: Instant, to: SocketAddr, mut packet: Packet, kind: Kind) {
        let message_id = self.next_message_id();
        packet.header.message_id = message_id;
        let token = self.tokens.next_token().to_vec();
        packet.set_token(token.clone());
        let Ok(bytes) = packet.to_bytes() else {
            self.fail(now, "the request does not fit a CoAP message".to_owned());
            return;
        };
        self.retransmit.sent(now, to, message_id, bytes.clone());
        self.exchanges.insert(
            token,
            Exchange {
                kind,
                message_id,
                peer: to,
            },
        );
        self.transmit(now, to, bytes);
    }

    /// Sends a request built with [`RequestBuilder`], or fails if it could not be built.
    fn send_built(
        &mut self,
        now: Instant,
        to: SocketAddr,
        built: Result<Packet, coap_message::BuildError>,
        kind: Kind,
    ) {
        match built {
            Ok(packet) => self.send_request(now, to, packet, kind),
            Err(e) => self.fail(now, format!("the request cannot be built: {e}")),
        }
    }

    fn send_bootstrap_request(&mut self, now: Instant) {
        let Some(to) = self.bootstrap_address() else {
            return;
        };
        self.state = State::Bootstrapping;
        self.bootstrap_peer = Some(to);
        self.retry_at = None;
        let built = RequestBuilder::new(RequestType::Post, 0, &[])
            .path(["bs"])
            .query("ep", Some(&self.config.endpoint))
            .build();
        self.send_built(now, to, built, Kind::BootstrapRequest);
    }

    fn lifetime(&self) -> u64 {
        registration::lifetime_secs(self.config.lifetime)
    }

    fn send_register(&mut self, now: Instant) {
        self.waking = false;
        self.state = State::Registering;
        self.retry_at = None;
        self.update_at = None;
        self.forget_exchanges(|k| matches!(k, Kind::Register | Kind::Update { .. }));
        let mut builder = RequestBuilder::new(RequestType::Post, 0, &[]).path(["rd"]);
        for query in registration::register_query(&self.config) {
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
        self.links_sent = links;
        self.lifetime_sent = self.lifetime();
        let server = self.config.server;
        self.send_built(now, server, built, Kind::Register);
    }

    fn update_in_flight(&self) -> bool {
        self.exchanges
            .values()
            .any(|e| matches!(e.kind, Kind::Update { .. } | Kind::Register))
    }

    fn send_update(&mut self, now: Instant) {
        self.update_wanted = None;
        self.update_at = None;
        let mut builder = RequestBuilder::new(RequestType::Post, 0, &[]).path(&self.location);
        let lifetime = self.lifetime();
        if lifetime != self.lifetime_sent {
            builder = builder.query("lt", Some(&lifetime.to_string()));
        }
        let links = registration::object_links(&self.store, self.config.lwm2m_version);
        let changed_links = (links != self.links_sent).then_some(links);
        if let Some(links) = &changed_links {
            builder = builder
                .content_format(ContentFormat::LinkFormat.to_u16())
                .payload(links.clone().into_bytes());
        }
        let server = self.config.server;
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

    pub(super) fn deregister(&mut self, now: Instant) {
        self.disabled_until = None;
        // A Register still in flight may already have created a registration on the server:
        // wait for its answer, then deregister it (`registered` and `fail` finish the job).
        if self.state == State::Registering
            && self
                .exchanges
                .values()
                .any(|e| matches!(e.kind, Kind::Register))
        {
            self.deregister_after_register = true;
            self.retry_at = None;
            return;
        }
        self.send_deregister(now);
    }

    /// Sends Deregister if registered (otherwise the client is simply done).
    fn send_deregister(&mut self, now: Instant) {
        self.observations.clear();
        self.forget_exchanges(|k| matches!(k, Kind::Notification));
        if self.state != State::Registered {
            self.state = State::Deregistered;
            self.events.push_back(Event::Deregistered);
            return;
        }
        self.state = State::Deregistering;
        self.update_at = None;
        self.retry_at = None;
        let built = RequestBuilder::new(RequestType::Delete, 0, &[])
            .path(&self.location)
            .build();
        let server = self.config.server;
        self.send_built(now, server, built, Kind::Deregister);
    }

    /// Send (`POST /dp`, see [`send`]): the values at `paths`, read now, to the server.
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
        if self.state != State::Registered {
            return Err(SendError::NotRegistered);
        }
        if self.send_muted() {
            return Err(SendError::Muted);
        }
        let payload = payload(&mut self.store)?;
        let packet = RequestBuilder::new(RequestType::Post, 0, &[])
            .path([send::URI_PATH])
            .content_format(send::FORMAT.to_u16())
            .payload(payload)
            .build()
            .map_err(|e| SendError::Encode(e.to_string()))?;
        // The token is added when it is sent: count the longest one.
        let size = packet
            .to_bytes()
            .map_err(|e| SendError::Encode(e.to_string()))?
            .len()
            + 8;
        let max = self.config.max_message_size;
        if size > max {
            return Err(SendError::TooLarge { size, max });
        }
        let server = self.config.server;
        self.send_request(now, server, packet, Kind::Send { paths });
        Ok(())
    }

    /// Whether the server muted Send: Mute Send (`/1/x/23`) of the (first) Server instance.
    fn send_muted(&mut self) -> bool {
        let Some(instance) = self.store.instances(1).next() else {
            return false;
        };
        matches!(
            self.store.read_internal(1, instance, 23),
            Ok(ResourceValue::Single(Value::Boolean(true)))
        )
    }

    fn forget_exchanges(&mut self, which: impl Fn(&Kind) -> bool) {
        let gone: Vec<Vec<u8>> = self
            .exchanges
            .iter()
            .filter(|(_, e)| which(&e.kind))
            .map(|(t, _)| t.clone())
            .collect();
        for token in gone {
            if let Some(e) = self.exchanges.remove(&token) {
                self.retransmit.acknowledged(&e.peer, e.message_id);
            }
        }
    }

    /// A Register, Update or Bootstrap-Request failed: retry after a back-off.
    fn fail(&mut self, now: Instant, reason: String) {
        self.waking = false;
        self.failures = self.failures.saturating_add(1);
        self.events.push_back(Event::RegistrationFailed { reason });
        if std::mem::take(&mut self.deregister_after_register) {
            // Shutting down: the Register failed, so there is nothing to deregister.
            self.send_deregister(now);
            return;
        }
        if self.state == State::Bootstrapping {
            self.retry_at = Some(now + registration::retry_delay(self.failures));
            return;
        }
        if matches!(
            self.state,
            State::Deregistering | State::Deregistered | State::Disabled
        ) {
            return;
        }
        self.state = State::Registering;
        self.update_at = None;
        self.retry_at = Some(now + registration::retry_delay(self.failures));
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
        if self.state == State::Disabled {
            // Core TS §E.2 (Disable): everything from the server is ignored for the period.
            tracing::debug!(%from, "disabled: ignored a datagram");
            return;
        }
        let known = from == self.config.server || Some(from) == self.bootstrap_peer;
        if known {
            self.awake_until = Some(now + self.config.queue_window);
        }
        match (packet.header.get_type(), packet.header.code) {
            (MessageType::Reset, _) => self.handle_reset(now, from, packet.header.message_id),
            (MessageType::Acknowledgement, MessageClass::Empty) => {
                // A separate response will follow: stop retransmitting, keep the exchange.
                self.retransmit
                    .acknowledged(&from, packet.header.message_id);
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

    fn send_empty(&mut self, now: Instant, to: SocketAddr, kind: MessageType, message_id: u16) {
        let packet = match kind {
            MessageType::Acknowledgement => coap_message::empty_ack(message_id),
            _ => coap_message::reset(message_id),
        };
        if let Ok(bytes) = packet.to_bytes() {
            self.transmit(now, to, bytes);
        }
    }

    fn handle_reset(&mut self, now: Instant, from: SocketAddr, message_id: u16) {
        self.retransmit.acknowledged(&from, message_id);
        if let Some(pos) = self.notify_ids.iter().position(|(id, _)| *id == message_id)
            && let Some((_, token)) = self.notify_ids.remove(pos)
        {
            self.observations.cancel(&token);
        }
        let token = self
            .exchanges
            .iter()
            .find(|(_, e)| e.message_id == message_id && e.peer == from)
            .map(|(t, _)| t.clone());
        if let Some(token) = token
            && let Some(exchange) = self.exchanges.remove(&token)
        {
            match exchange.kind {
                Kind::Notification => {
                    self.observations.cancel(&token);
                }
                Kind::Deregister => self.deregistered(),
                Kind::Send { paths } => self.events.push_back(Event::SendFailed {
                    paths,
                    reason: "the server reset the request".to_owned(),
                }),
                _ => self.fail(now, "the server reset the request".to_owned()),
            }
        }
    }

    fn handle_response(&mut self, now: Instant, from: SocketAddr, packet: &Packet) {
        let kind = packet.header.get_type();
        if kind == MessageType::Acknowledgement {
            self.retransmit
                .acknowledged(&from, packet.header.message_id);
        }
        let token = packet.get_token().to_vec();
        let matching = self.exchanges.get(&token).is_some_and(|e| {
            e.peer == from
                && (kind != MessageType::Acknowledgement
                    || e.message_id == packet.header.message_id)
        });
        if !matching {
            if kind == MessageType::Confirmable {
                self.send_empty(now, from, MessageType::Reset, packet.header.message_id);
            }
            return;
        }
        if kind == MessageType::Confirmable {
            // A separate response: acknowledge it.
            self.send_empty(
                now,
                from,
                MessageType::Acknowledgement,
                packet.header.message_id,
            );
        }
        let Some(exchange) = self.exchanges.remove(&token) else {
            return;
        };
        self.retransmit.acknowledged(&from, exchange.message_id);
        let code = packet.header.code;
        match exchange.kind {
            Kind::Register => self.registered(now, code, packet),
            Kind::Update { links, lifetime } => self.updated(now, code, links, lifetime),
            Kind::Deregister => self.deregistered(),
            Kind::BootstrapRequest => {
                if message::is_success(code) {
                    self.failures = 0;
                    // Wait for the bootstrap server's writes and Bootstrap-Finish; if it never
                    // comes, start over.
                    self.retry_at = Some(now + self.config.transmission.exchange_lifetime());
                } else {
                    self.fail(now, format!("bootstrap request answered {}", code));
                }
            }
            Kind::Notification => {}
            Kind::Send { paths } => {
                self.events.push_back(if message::is_success(code) {
                    Event::Sent { paths }
                } else {
                    Event::SendFailed {
                        paths,
                        reason: format!("send answered {code}"),
                    }
                });
            }
        }
    }

    fn registered(&mut self, now: Instant, code: MessageClass, packet: &Packet) {
        let location = options::location_path(packet).unwrap_or_default();
        if code != MessageClass::Response(ResponseType::Created) || location.is_empty() {
            self.fail(now, format!("register answered {}", code));
            return;
        }
        self.location = location;
        self.state = State::Registered;
        self.failures = 0;
        self.observations.clear();
        self.schedule_update(now);
        self.events.push_back(Event::Registered {
            location: format!("/{}", self.location.join("/")),
        });
        if std::mem::take(&mut self.deregister_after_register) {
            self.send_deregister(now);
        }
    }

    fn schedule_update(&mut self, now: Instant) {
        let lifetime = Duration::from_secs(self.lifetime_sent);
        let margin =
            registration::update_margin(lifetime, self.config.transmission.max_transmit_wait());
        self.update_at = Some(now + lifetime - margin);
    }

    fn updated(&mut self, now: Instant, code: MessageClass, links: Option<String>, lifetime: u64) {
        if self.state != State::Registered {
            return;
        }
        if message::is_success(code) {
            if let Some(links) = links {
                self.links_sent = links;
            }
            self.lifetime_sent = lifetime;
            self.failures = 0;
            self.schedule_update(now);
            self.events.push_back(Event::Updated);
            // Queue mode: the server knows the client is awake; deliver what was held.
            self.waking = false;
            self.send_notifications(now);
        } else if code == MessageClass::Response(ResponseType::NotFound)
            || code == MessageClass::Response(ResponseType::BadRequest)
        {
            // The server forgot the registration: register again at once.
            self.send_register(now);
        } else {
            self.fail(now, format!("update answered {}", code));
        }
    }

    fn deregistered(&mut self) {
        self.state = if self.disabled_until.is_some() {
            State::Disabled
        } else {
            State::Deregistered
        };
        self.location.clear();
        self.update_at = None;
        self.events.push_back(Event::Deregistered);
    }

    fn handle_request(&mut self, now: Instant, from: SocketAddr, request: &Packet) {
        let message_id = request.header.message_id;
        let confirmable = request.header.get_type() == MessageType::Confirmable;
        let from_bootstrap =
            Some(from) == self.bootstrap_peer && self.state == State::Bootstrapping;
        if from != self.config.server && !from_bootstrap {
            tracing::warn!(%from, "refused a request from an address that is not the server");
            if confirmable {
                let response = coap_message::response(
                    request,
                    MessageClass::Response(ResponseType::Unauthorized),
                    0,
                );
                if let Ok(bytes) = response.to_bytes() {
                    self.transmit(now, from, bytes);
                }
            }
            return;
        }
        match self
            .dedup
            .check(now, &from, message_id, request.get_token())
        {
            Seen::Duplicate(Some(bytes)) => {
                self.transmit(now, from, bytes);
                return;
            }
            Seen::Duplicate(None) => return,
            Seen::New => {}
        }
        let path = message::request_path(request);
        let operation = dm::operation(request);
        let next_id = self.next_message_id();
        let (response, effects) = self.answer(now, from, request, from_bootstrap, next_id);
        let code = response.header.code;
        let bytes = match response.to_bytes() {
            Ok(bytes) => bytes,
            Err(_) => coap_message::response(
                request,
                MessageClass::Response(ResponseType::InternalServerError),
                next_id,
            )
            .to_bytes()
            .unwrap_or_default(),
        };
        if confirmable {
            self.dedup.responded(&from, message_id, bytes.clone());
        }
        self.transmit(now, from, bytes);
        self.events.push_back(Event::Request {
            method: operation.to_owned(),
            path: path.map_or_else(
                || {
                    let segments = options::uri_path(request).unwrap_or_default();
                    format!("/{}", segments.join("/"))
                },
                |p| p.to_string(),
            ),
            code: code.to_string(),
        });
        for effect in effects {
            self.apply(now, effect);
        }
        self.send_notifications(now);
    }

    /// The response to a new request (4.02 for an unknown critical option, block-wise transfers
    /// as [`blockwise`] says) and the effects to carry out.
    fn answer(
        &mut self,
        now: Instant,
        from: SocketAddr,
        request: &Packet,
        bootstrap: bool,
        next_id: u16,
    ) -> (Packet, Vec<Effect>) {
        if let Some(bad_option) = coap_message::bad_option_response(request, next_id) {
            return (bad_option, Vec::new());
        }
        let bad_option = |request: &Packet| {
            coap_message::response(
                request,
                MessageClass::Response(ResponseType::BadOption),
                next_id,
            )
        };
        let reassembled;
        let (request, block1) = match self.block1.handle(now, &from, request) {
            Block1Outcome::NotBlockwise => (request, None),
            Block1Outcome::Complete { body, block1 } => {
                let mut whole = request.clone();
                whole.clear_option(CoapOption::Block1);
                whole.payload = body;
                reassembled = whole;
                (&reassembled, Some(block1))
            }
            outcome => {
                // 2.31 Continue, or a refusal (4.08, 4.13, 4.00, 4.02).
                let mut response = coap_message::response(
                    request,
                    MessageClass::Response(ResponseType::Continue),
                    next_id,
                );
                outcome.apply(&mut response);
                return (response, Vec::new());
            }
        };
        let Ok(requested) = block::block2(request) else {
            return (bad_option(request), Vec::new());
        };
        let key = BodyKey::of(from, request);
        let kept = requested
            .filter(|block| block.num() > 0)
            .and_then(|_| self.bodies.get(now, &key));
        let (mut reply, observe) = match kept {
            Some(reply) => (reply, None),
            None => self.dispatch(now, from, request, bootstrap),
        };
        let mut response = coap_message::response(request, reply.code, next_id);
        if let Some(sequence) = observe {
            options::set_observe(&mut response, sequence);
        }
        if let Some(format) = reply.format {
            options::set_content_format(&mut response, format);
        }
        for segment in &reply.location {
            response.add_option(CoapOption::LocationPath, segment.clone().into_bytes());
        }
        let block_size = self.block_size();
        if message::is_success(reply.code)
            && (requested.is_some() || reply.payload.len() > block_size)
        {
            match serve_block2(&reply.payload, requested, block_size) {
                Ok(slice) => {
                    slice.apply(&mut response);
                    if slice.block2.more() || slice.block2.num() > 0 {
                        self.bodies.insert(now, key, &reply);
                    }
                }
                Err(_) => return (bad_option(request), Vec::new()),
            }
        } else {
            response.payload = std::mem::take(&mut reply.payload);
        }
        if let Some(block1) = block1 {
            block::set_block1(&mut response, block1);
        }
        (response, reply.effects)
    }

    /// The block size of block-wise transfers.
    fn block_size(&self) -> usize {
        blockwise::block_size(self.config.block_size, self.config.max_message_size)
    }

    /// The largest datagram accepted: the maximum message size, at least RFC 7252's 1152 bytes
    /// (a 1024-byte block with its header must fit).
    fn receive_limit(&self) -> usize {
        self.config
            .max_message_size
            .max(coap_message::DEFAULT_MAX_MESSAGE_SIZE)
    }

    /// Answers a request; the Observe value to put in the response, if it registers one.
    fn dispatch(
        &mut self,
        now: Instant,
        from: SocketAddr,
        request: &Packet,
        bootstrap: bool,
    ) -> (Reply, Option<u32>) {
        let is_post = request.header.code == MessageClass::Request(RequestType::Post);
        if bootstrap && is_post && options::uri_path(request).is_ok_and(|s| s == ["bs"]) {
            // Bootstrap-Finish.
            let mut reply = Reply::code(ResponseType::Changed);
            reply.effects.push(Effect::Bootstrap);
            return (reply, None);
        }
        let Some(path) = message::request_path(request) else {
            return (Reply::code(ResponseType::NotFound), None);
        };
        if !bootstrap && dm::is_protected(&path) {
            // Security and OSCORE: only for the bootstrap server, whatever the operation.
            return (Reply::code(ResponseType::Unauthorized), None);
        }
        let method = request.header.code;
        let is_get = method == MessageClass::Request(RequestType::Get);
        if is_get && let Ok(Some(observe)) = options::observe(request) {
            return self.observe(now, from, request, path, observe);
        }
        let is_put = method == MessageClass::Request(RequestType::Put);
        if is_put && request.payload.is_empty() {
            let query = options::uri_query(request).unwrap_or_default();
            if !query.is_empty() {
                return (self.write_attributes(now, &path, &query), None);
            }
        }
        if bootstrap {
            return (self.bootstrap_request(request, &path), None);
        }
        if is_get && options::accept(request) == Ok(Some(ContentFormat::LinkFormat.to_u16())) {
            let observations = &self.observations;
            let version = self.config.lwm2m_version;
            let reply = dm::discover(&mut self.store, version, &path, &|p| {
                observations.attributes_of(p)
            });
            return (reply, None);
        }
        let ctx = self.ctx(false);
        (dm::handle(&mut self.store, ctx, request), None)
    }

    fn write_attributes(
        &mut self,
        now: Instant,
        path: &Path,
        query: &[(String, Option<String>)],
    ) -> Reply {
        if path.is_root() {
            return Reply::code(ResponseType::MethodNotAllowed);
        }
        let exists = match *path.ids() {
            [o] => self.store.objects().any(|m| m.id == o),
            [o, i, ..] => self.store.instance(o, i).is_some(),
            _ => false,
        };
        if !exists {
            return Reply::code(ResponseType::NotFound);
        }
        let raw: Vec<String> = query
            .iter()
            .map(|(name, value)| match value {
                Some(value) => format!("{name}={value}"),
                None => name.clone(),
            })
            .collect();
        let defaults = self.defaults();
        match self.observations.write_attributes(
            now,
            path,
            &raw,
            &dm::StoreKinds(&self.store),
            defaults,
        ) {
            Ok(()) => Reply::code(ResponseType::Changed),
            Err(e) => Reply::error(e.coap_code()),
        }
    }

    /// The Server object's Default Minimum and Maximum Periods.
    fn defaults(&mut self) -> Defaults {
        let Some(instance) = self.store.instances(1).next() else {
            return Defaults::default();
        };
        let mut period = |resource| match self.store.read(1, instance, resource) {
            Ok(ResourceValue::Single(Value::Integer(secs))) => u32::try_from(secs).ok(),
            _ => None,
        };
        Defaults {
            pmin: period(2),
            pmax: period(3),
        }
    }

    fn observe(
        &mut self,
        now: Instant,
        from: SocketAddr,
        request: &Packet,
        path: Path,
        observe: u32,
    ) -> (Reply, Option<u32>) {
        let token = request.get_token();
        let accept = options::accept(request).ok().flatten().map(u32::from);
        if path.is_root() || dm::is_protected(&path) {
            return (Reply::code(ResponseType::NotFound), None);
        }
        let reply = dm::read(&mut self.store, &path, accept);
        match observe {
            0 if message::is_success(reply.code) => {
                let defaults = self.defaults();
                let initial = sample(&mut self.store, &path);
                self.observations
                    .register(now, token, from, path, accept, defaults, initial);
                let sequence = self.observations.next_sequence();
                (reply, Some(sequence))
            }
            _ => {
                // Observe=1 (cancel) or any other value: a plain read that ends the observation.
                self.observations.cancel(token);
                (reply, None)
            }
        }
    }

    /// A request of the bootstrap server (Core TS §6.1): Bootstrap-Write creates missing
    /// instances and may write any resource (the Security object's have no operations),
    /// Bootstrap-Delete may cover whole objects or everything but keeps the Bootstrap-Server
    /// account and the Device object; Bootstrap-Read and -Discover are answered as usual.
    fn bootstrap_request(&mut self, request: &Packet, path: &Path) -> Reply {
        let method = request.header.code;
        if method == MessageClass::Request(RequestType::Delete) {
            let targets: Vec<(u16, u16)> = match *path.ids() {
                [] => self
                    .store
                    .objects()
                    .filter(|m| m.id != 3)
                    .flat_map(|m| self.store.instances(m.id).map(move |i| (m.id, i)))
                    .collect(),
                [o] => self.store.instances(o).map(|i| (o, i)).collect(),
                [o, i] => vec![(o, i)],
                _ => return Reply::code(ResponseType::BadRequest),
            };
            for (o, i) in targets {
                if o == 0 && self.is_bootstrap_account(i) {
                    continue;
                }
                let _ = self.store.delete(o, i);
            }
            return Reply::code(ResponseType::Deleted);
        }
        if method == MessageClass::Request(RequestType::Put) && !path.is_root() {
            return self.bootstrap_write(request, path);
        }
        let ctx = self.ctx(true);
        dm::handle(&mut self.store, ctx, request)
    }

    /// Bootstrap-Write of an object, instance or resource: device-side writes (no operation
    /// checks), creating missing instances.
    fn bootstrap_write(&mut self, request: &Packet, path: &Path) -> Reply {
        // The Security and Server objects must accept the instances the bootstrap server sends.
        if !self.store.is_creatable(0) {
            self.store
                .creatable(|| (crate::objects::Security::default(), ()));
        }
        if !self.store.is_creatable(1) {
            self.store
                .creatable(|| (crate::objects::Server::default(), ()));
        }
        let format = match options::content_format(request) {
            Ok(format) => format,
            Err(_) => return Reply::code(ResponseType::UnsupportedContentFormat),
        };
        let format = match format {
            Some(n) => match ContentFormat::from_u16(n) {
                Some(f) => f,
                None => return Reply::code(ResponseType::UnsupportedContentFormat),
            },
            None if path.is_resource() => ContentFormat::Text,
            None => ContentFormat::Tlv,
        };
        let records = match crate::codec::decode(
            format,
            path,
            &request.payload,
            &dm::StoreKinds(&self.store),
        )
        .and_then(|records| crate::codec::single_values(&records).map(|()| records))
        {
            Ok(records) => records,
            Err(e) => return e.into(),
        };
        let mut by_instance: BTreeMap<u16, Vec<crate::codec::Record>> = BTreeMap::new();
        for record in records {
            match (record.path.object_id(), record.path.instance_id()) {
                (Some(o), Some(i)) if Some(o) == path.object_id() => {
                    by_instance.entry(i).or_default().push(record);
                }
                _ => return Reply::code(ResponseType::BadRequest),
            }
        }
        let Some(object) = path.object_id() else {
            return Reply::code(ResponseType::BadRequest);
        };
        for (instance, records) in by_instance {
            let values = dm::changes(records);
            let result = if self.store.instance(object, instance).is_some() {
                self.store
                    .write_internal(object, instance, values, WriteMode::Update)
            } else {
                self.store
                    .create_internal(object, Some(instance), values)
                    .map(|_| ())
            };
            if let Err(e) = result {
                return e.into();
            }
        }
        Reply::code(ResponseType::Changed)
    }

    /// Whether Security instance `instance` is the Bootstrap-Server account (`/0/x/1`).
    fn is_bootstrap_account(&mut self, instance: u16) -> bool {
        matches!(
            self.store.read_internal(0, instance, 1),
            Ok(ResourceValue::Single(Value::Boolean(true)))
        )
    }

    /// The URI (`/0/x/0`) and Short Server ID (`/0/x/10`) of the Security instances that are
    /// (`bootstrap`) or are not the Bootstrap-Server account, by instance id.
    fn accounts(&mut self, bootstrap: bool) -> Vec<(String, Option<i64>)> {
        let instances: Vec<u16> = self.store.instances(0).collect();
        let mut found = Vec::new();
        for i in instances {
            if self.is_bootstrap_account(i) != bootstrap {
                continue;
            }
            let Ok(ResourceValue::Single(Value::String(uri))) = self.store.read_internal(0, i, 0)
            else {
                continue;
            };
            let ssid = match self.store.read_internal(0, i, 10) {
                Ok(ResourceValue::Single(Value::Integer(n))) => Some(n),
                Ok(ResourceValue::Single(Value::UnsignedInteger(n))) => i64::try_from(n).ok(),
                _ => None,
            };
            found.push((uri, ssid));
        }
        found
    }

    /// Where to send a Bootstrap-Request: the configured bootstrap server, otherwise the
    /// Bootstrap-Server account of the Security object when its URI is an IP literal.
    fn bootstrap_address(&mut self) -> Option<SocketAddr> {
        if let Some(address) = self.config.bootstrap_server {
            return Some(address);
        }
        self.accounts(true)
            .into_iter()
            .find_map(|(uri, _)| parse_uri(&uri).ok()?.socket_addr())
    }

    /// After Bootstrap-Finish: register with the server of the first non-bootstrap Security
    /// instance (its URI `/0/x/0`), with the Lifetime of the Server instance of the same Short
    /// Server ID. An IP literal is used at once; a host name is handed to the driver with
    /// [`Event::ResolveServer`] and the Register waits for [`Engine::set_server`]. Without such
    /// an instance the configured server is used.
    fn register_with_bootstrapped_server(&mut self, now: Instant) {
        self.bootstrap_peer = None;
        let Some((uri, ssid)) = self.accounts(false).into_iter().next() else {
            self.send_register(now);
            return;
        };
        if let Some(ssid) = ssid {
            self.lifetime_of_server(ssid);
        }
        match parse_uri(&uri) {
            Ok(parsed) => match parsed.socket_addr() {
                Some(address) => {
                    self.config.server = address;
                    self.send_register(now);
                }
                None => {
                    self.state = State::Resolving;
                    self.events.push_back(Event::ResolveServer { uri });
                }
            },
            Err(e) => {
                self.state = State::Registering;
                self.fail(now, format!("the bootstrapped server URI is unusable: {e}"));
            }
        }
    }

    /// Takes the Lifetime (`/1/x/1`) of the Server instance with Short Server ID `ssid`.
    fn lifetime_of_server(&mut self, ssid: i64) {
        let instances: Vec<u16> = self.store.instances(1).collect();
        for i in instances {
            let matches = matches!(
                self.store.read_internal(1, i, 0),
                Ok(ResourceValue::Single(Value::Integer(n))) if n == ssid
            );
            if matches
                && let Ok(ResourceValue::Single(Value::Integer(secs))) =
                    self.store.read_internal(1, i, 1)
                && let Ok(secs) = u64::try_from(secs)
                && secs > 0
            {
                self.config.lifetime = Duration::from_secs(secs);
            }
        }
    }

    /// The driver resolved the server's host name (after [`Event::ResolveServer`]), or the
    /// application moves the client to another server: registers there if it was waiting.
    pub(super) fn set_server(&mut self, now: Instant, address: SocketAddr) {
        self.now = now;
        self.config.server = address;
        if self.state == State::Resolving {
            self.send_register(now);
        }
    }

    fn apply(&mut self, now: Instant, effect: Effect) {
        match effect {
            Effect::UpdateRegistration => self.want_update(now),
            Effect::Reboot => self.events.push_back(Event::Rebooting),
            Effect::Disable(instance) => self.disable(now, instance),
            Effect::ObjectsChanged => self.want_update(now),
            Effect::Changed(path) => {
                let store = &mut self.store;
                self.observations
                    .changed(now, &path, &mut |p: &Path| sample(store, p));
                if path.object_id() == Some(1) {
                    self.lifetime_from_store(now);
                }
            }
            Effect::Bootstrap if self.state == State::Bootstrapping => {
                self.events.push_back(Event::Bootstrapped);
                self.register_with_bootstrapped_server(now);
            }
            Effect::Bootstrap => {
                if self.bootstrap_address().is_some() {
                    self.observations.clear();
                    self.send_bootstrap_request(now);
                }
            }
        }
    }

    /// Disable (`/1/x/4`, Core TS Appendix E.2): de-register now (the Execute was answered
    /// first), ignore the server for the Disable Timeout `/1/x/5` (86400 s when it has none),
    /// then register again.
    fn disable(&mut self, now: Instant, instance: u16) {
        if self.state != State::Registered {
            return;
        }
        let secs = match self.store.read_internal(1, instance, 5) {
            Ok(ResourceValue::Single(Value::Integer(n))) => u64::try_from(n).ok(),
            Ok(ResourceValue::Single(Value::UnsignedInteger(n))) => Some(n),
            _ => None,
        };
        let timeout = Duration::from_secs(secs.unwrap_or(DEFAULT_DISABLE_TIMEOUT));
        self.disabled_until = Some(now + timeout);
        self.update_wanted = None;
        self.events.push_back(Event::Disabled { timeout });
        self.send_deregister(now);
    }

    fn want_update(&mut self, now: Instant) {
        self.update_wanted.get_or_insert(now);
    }

    /// A server wrote a Server object: take its Lifetime.
    fn lifetime_from_store(&mut self, now: Instant) {
        let instances: Vec<u16> = self.store.instances(1).collect();
        for i in instances {
            if let Ok(ResourceValue::Single(Value::Integer(secs))) = self.store.read(1, i, 1)
                && let Ok(secs) = u64::try_from(secs)
                && secs > 0
                && secs != self.lifetime()
            {
                self.config.lifetime = Duration::from_secs(secs);
                self.want_update(now);
            }
        }
    }

    // ----- time -----------------------------------------------------------------------------

    pub(super) fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        for event in self.retransmit.poll(now) {
            match event {
                RetransmitEvent::Resend { peer, bytes, .. } => self.transmit(now, peer, bytes),
                RetransmitEvent::GaveUp { peer, message_id } => {
                    self.gave_up(now, peer, message_id);
                }
            }
        }
        if self.state == State::Disabled && self.disabled_until.is_some_and(|at| at <= now) {
            self.disabled_until = None;
            self.send_register(now);
        }
        if self.retry_at.is_some_and(|at| at <= now) {
            self.retry_at = None;
            if self.state == State::Bootstrapping {
                self.send_bootstrap_request(now);
            } else if self.state == State::Registering {
                self.send_register(now);
            }
        }
        if self.state == State::Registered && !self.update_in_flight() {
            let links_changed = registration::object_links(&self.store, self.config.lwm2m_version)
                != self.links_sent;
            let wake = self.asleep(now) && self.observations.any_due(now);
            if self.update_wanted.is_some()
                || links_changed
                || self.update_at.is_some_and(|at| at <= now)
                || wake
            {
                self.waking = wake;
                self.send_update(now);
            }
        }
        self.send_notifications(now);
    }

    fn gave_up(&mut self, now: Instant, peer: SocketAddr, message_id: u16) {
        let token = self
            .exchanges
            .iter()
            .find(|(_, e)| e.message_id == message_id && e.peer == peer)
            .map(|(t, _)| t.clone());
        let Some(token) = token else { return };
        let Some(exchange) = self.exchanges.remove(&token) else {
            return;
        };
        match exchange.kind {
            Kind::Notification => {
                // The observer is gone (RFC 7641 §4.5).
                if let Some(pos) = self.notify_ids.iter().position(|(id, _)| *id == message_id)
                    && let Some((_, observation)) = self.notify_ids.remove(pos)
                {
                    self.observations.cancel(&observation);
                }
            }
            Kind::Deregister => self.deregistered(),
            Kind::Send { paths } => self.events.push_back(Event::SendFailed {
                paths,
                reason: "no response from the server".to_owned(),
            }),
            Kind::Register | Kind::Update { .. } | Kind::BootstrapRequest => {
                self.fail(now, "no response from the server".to_owned());
            }
        }
    }

    fn asleep(&self, now: Instant) -> bool {
        self.config.binding == Binding::UQ && self.awake_until.is_none_or(|until| now >= until)
    }

    fn send_notifications(&mut self, now: Instant) {
        if self.state != State::Registered || self.asleep(now) || self.waking {
            return;
        }
        let store = &mut self.store;
        let due = self
            .observations
            .due(now, &mut |path: &Path| sample(store, path));
        for observation in due {
            let reply = dm::read(&mut self.store, &observation.path, observation.accept);
            let sequence = self.observations.next_sequence();
            self.notifications_sent = self.notifications_sent.wrapping_add(1);
            let confirmable = self.notifications_sent % 10 == 0;
            let message_id = self.next_message_id();
            let mut packet =
                coap_message::separate(&observation.token, reply.code, message_id, confirmable);
            if message::is_success(reply.code) {
                options::set_observe(&mut packet, sequence);
            } else {
                // The value can no longer be read: the observation ends with the error.
                self.observations.cancel(&observation.token);
            }
            if let Some(format) = reply.format {
                options::set_content_format(&mut packet, format);
            }
            let block_size = self.block_size();
            if reply.payload.len() > block_size
                && let Ok(slice) = serve_block2(&reply.payload, None, block_size)
            {
                // Block 0; the server GETs the rest, answered from the kept body.
                slice.apply(&mut packet);
                let accept = observation.accept.and_then(|a| u16::try_from(a).ok());
                let key = BodyKey::of_notification(observation.peer, &observation.path, accept);
                self.bodies.insert(now, key, &reply);
            } else {
                packet.payload = reply.payload;
            }
            let Ok(bytes) = packet.to_bytes() else {
                continue;
            };
            if confirmable {
                self.retransmit
                    .sent(now, observation.peer, message_id, bytes.clone());
                self.exchanges.insert(
                    observation.token.clone(),
                    Exchange {
                        kind: Kind::Notification,
                        message_id,
                        peer: observation.peer,
                    },
                );
            }
            self.notify_ids
                .push_back((message_id, observation.token.clone()));
            if self.notify_ids.len() > NOTIFY_MEMORY {
                self.notify_ids.pop_front();
            }
            self.transmit(now, observation.peer, bytes);
            self.events.push_back(Event::Notified {
                path: observation.path.to_string(),
                sequence,
            });
        }
    }

    pub(super) fn resource_changed(&mut self, now: Instant, path: &Path) {
        self.now = now;
        let store = &mut self.store;
        self.observations
            .changed(now, path, &mut |p: &Path| sample(store, p));
        if self.asleep(now) {
            return;
        }
        self.send_notifications(now);
    }

    pub(super) fn next_timeout(&self) -> Option<Instant> {
        let mut next = [self.retransmit.next_deadline(), self.retry_at]
            .into_iter()
            .flatten()
            .min();
        if self.state == State::Disabled {
            next = [next, self.disabled_until].into_iter().flatten().min();
        }
        if self.state == State::Registered {
            let update = self.update_wanted.or(self.update_at);
            let notify = self.observations.next_deadline(self.now);
            next = [next, update, notify].into_iter().flatten().min();
        }
        next
    }
}

/// What the rules know of the value at `path`: a number or boolean of a single resource,
/// otherwise only that it changed.
fn sample(store: &mut ObjectStore, path: &Path) -> Sample {
    match dm::read_records(store, path).as_deref() {
        Ok([record]) if record.path == *path => Sample::of(&record.value),
        _ => Sample::Other,
    }
}
