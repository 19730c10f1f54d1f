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
//!   asleep, it holds notifications and sends an Update when one is due, then delivers them.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType};

use crate::coap::{DuplicateCache, RetransmitEvent, Retransmitter, Seen, TokenGenerator};
use crate::field::ResourceValue;
use crate::path::Path;
use crate::store::ObjectStore;
use crate::value::Value;

use super::dm::{self, Context, Effect, Reply};
use super::message::{self, Code};
use super::notify::Observations;
use super::observe::{Defaults, Sample};
use super::{Binding, Config, Event, Events, Transmit, registration};

/// Where the client is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Not started.
    Idle,
    /// Bootstrap-Request sent or being provisioned.
    Bootstrapping,
    /// Register sent, or waiting to retry.
    Registering,
    /// Registered.
    Registered,
    /// Deregister sent.
    Deregistering,
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
}

#[derive(Debug, Clone)]
struct Exchange {
    kind: Kind,
    message_id: u16,
    peer: SocketAddr,
}

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

    pub(super) fn start(&mut self, now: Instant) {
        match self.config.bootstrap_server {
            Some(_) => self.send_bootstrap_request(now),
            None => self.send_register(now),
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

    fn send_bootstrap_request(&mut self, now: Instant) {
        let Some(to) = self.config.bootstrap_server else {
            return;
        };
        self.state = State::Bootstrapping;
        self.retry_at = None;
        let mut packet = message::request(
            MessageType::Confirmable,
            MessageClass::Request(RequestType::Post),
            0,
            &[],
        );
        message::add_uri_path(&mut packet, "bs");
        packet.add_option(
            CoapOption::UriQuery,
            format!("ep={}", self.config.endpoint).into_bytes(),
        );
        self.send_request(now, to, packet, Kind::BootstrapRequest);
    }

    fn lifetime(&self) -> u64 {
        registration::lifetime_secs(self.config.lifetime)
    }

    fn send_register(&mut self, now: Instant) {
        self.state = State::Registering;
        self.retry_at = None;
        self.update_at = None;
        self.forget_exchanges(|k| matches!(k, Kind::Register | Kind::Update { .. }));
        let mut packet = message::request(
            MessageType::Confirmable,
            MessageClass::Request(RequestType::Post),
            0,
            &[],
        );
        message::add_uri_path(&mut packet, "rd");
        for query in registration::register_query(&self.config) {
            packet.add_option(CoapOption::UriQuery, query.into_bytes());
        }
        message::set_format(&mut packet, 40);
        let links = registration::object_links(&self.store);
        packet.payload = links.clone().into_bytes();
        self.links_sent = links;
        self.lifetime_sent = self.lifetime();
        let server = self.config.server;
        self.send_request(now, server, packet, Kind::Register);
    }

    fn update_in_flight(&self) -> bool {
        self.exchanges
            .values()
            .any(|e| matches!(e.kind, Kind::Update { .. } | Kind::Register))
    }

    fn send_update(&mut self, now: Instant) {
        self.update_wanted = None;
        self.update_at = None;
        let mut packet = message::request(
            MessageType::Confirmable,
            MessageClass::Request(RequestType::Post),
            0,
            &[],
        );
        for segment in &self.location {
            packet.add_option(CoapOption::UriPath, segment.clone().into_bytes());
        }
        let lifetime = self.lifetime();
        if lifetime != self.lifetime_sent {
            packet.add_option(CoapOption::UriQuery, format!("lt={lifetime}").into_bytes());
        }
        let links = registration::object_links(&self.store);
        let changed_links = (links != self.links_sent).then_some(links);
        if let Some(links) = &changed_links {
            message::set_format(&mut packet, 40);
            packet.payload = links.clone().into_bytes();
        }
        let server = self.config.server;
        self.send_request(
            now,
            server,
            packet,
            Kind::Update {
                links: changed_links,
                lifetime,
            },
        );
    }

    pub(super) fn deregister(&mut self, now: Instant) {
        self.observations.clear();
        if self.state != State::Registered {
            self.state = State::Deregistered;
            self.events.push_back(Event::Deregistered);
            return;
        }
        self.state = State::Deregistering;
        self.update_at = None;
        self.retry_at = None;
        let mut packet = message::request(
            MessageType::Confirmable,
            MessageClass::Request(RequestType::Delete),
            0,
            &[],
        );
        for segment in &self.location {
            packet.add_option(CoapOption::UriPath, segment.clone().into_bytes());
        }
        let server = self.config.server;
        self.send_request(now, server, packet, Kind::Deregister);
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
        self.failures = self.failures.saturating_add(1);
        self.events.push_back(Event::RegistrationFailed { reason });
        if self.state == State::Bootstrapping {
            self.retry_at = Some(now + registration::retry_delay(self.failures));
            return;
        }
        if matches!(self.state, State::Deregistering | State::Deregistered) {
            return;
        }
        self.state = State::Registering;
        self.update_at = None;
        self.retry_at = Some(now + registration::retry_delay(self.failures));
    }

    // ----- incoming -------------------------------------------------------------------------

    pub(super) fn handle_datagram(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        self.now = now;
        let Ok(packet) = Packet::from_bytes(datagram) else {
            tracing::debug!(%from, "dropped a datagram that is not a CoAP message");
            return;
        };
        let known = from == self.config.server || Some(from) == self.config.bootstrap_server;
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
        if let Ok(bytes) = message::empty(kind, message_id).to_bytes() {
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
        let code = message::code_of(packet.header.code);
        match exchange.kind {
            Kind::Register => self.registered(now, code, packet),
            Kind::Update { links, lifetime } => self.updated(now, code, links, lifetime),
            Kind::Deregister => self.deregistered(),
            Kind::BootstrapRequest => {
                if code.0 == 2 {
                    self.failures = 0;
                    // Wait for the bootstrap server's writes and Bootstrap-Finish; if it never
                    // comes, start over.
                    self.retry_at = Some(now + self.config.transmission.exchange_lifetime());
                } else {
                    self.fail(
                        now,
                        format!("bootstrap request answered {}", message::code_text(code)),
                    );
                }
            }
            Kind::Notification => {}
        }
    }

    fn registered(&mut self, now: Instant, code: Code, packet: &Packet) {
        let location = message::segments(packet, CoapOption::LocationPath);
        if code != message::CREATED || location.is_empty() {
            self.fail(
                now,
                format!("register answered {}", message::code_text(code)),
            );
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
    }

    fn schedule_update(&mut self, now: Instant) {
        let lifetime = Duration::from_secs(self.lifetime_sent);
        let margin =
            registration::update_margin(lifetime, self.config.transmission.max_transmit_wait());
        self.update_at = Some(now + lifetime - margin);
    }

    fn updated(&mut self, now: Instant, code: Code, links: Option<String>, lifetime: u64) {
        if self.state != State::Registered {
            return;
        }
        if code.0 == 2 {
            if let Some(links) = links {
                self.links_sent = links;
            }
            self.lifetime_sent = lifetime;
            self.failures = 0;
            self.schedule_update(now);
            self.events.push_back(Event::Updated);
        } else if code == message::NOT_FOUND || code == message::BAD_REQUEST {
            // The server forgot the registration: register again at once.
            self.send_register(now);
        } else {
            self.fail(now, format!("update answered {}", message::code_text(code)));
        }
    }

    fn deregistered(&mut self) {
        self.state = State::Deregistered;
        self.location.clear();
        self.update_at = None;
        self.events.push_back(Event::Deregistered);
    }

    fn handle_request(&mut self, now: Instant, from: SocketAddr, request: &Packet) {
        let message_id = request.header.message_id;
        let confirmable = request.header.get_type() == MessageType::Confirmable;
        let from_bootstrap =
            Some(from) == self.config.bootstrap_server && self.state == State::Bootstrapping;
        if from != self.config.server && !from_bootstrap {
            tracing::warn!(%from, "refused a request from an address that is not the server");
            if confirmable {
                let response = message::response_to(request, (4, 1), 0);
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
        let (reply, observe) = self.dispatch(now, from, request, from_bootstrap);
        let next_id = self.next_message_id();
        let mut response = message::response_to(request, reply.code, next_id);
        if let Some(sequence) = observe {
            response.set_observe_value(sequence);
        }
        if let Some(format) = reply.format {
            message::set_format(&mut response, format);
        }
        for segment in &reply.location {
            response.add_option(CoapOption::LocationPath, segment.clone().into_bytes());
        }
        response.payload = reply.payload;
        let bytes = match response.to_bytes() {
            Ok(bytes) => bytes,
            Err(_) => {
                let mut too_large = message::response_to(request, message::INTERNAL, next_id);
                too_large.payload.clear();
                too_large.to_bytes().unwrap_or_default()
            }
        };
        if confirmable {
            self.dedup.responded(&from, message_id, bytes.clone());
        }
        self.transmit(now, from, bytes);
        self.events.push_back(Event::Request {
            method: operation.to_owned(),
            path: path.map_or_else(
                || {
                    format!(
                        "/{}",
                        message::segments(request, CoapOption::UriPath).join("/")
                    )
                },
                |p| p.to_string(),
            ),
            code: message::code_text(reply.code),
        });
        for effect in reply.effects {
            self.apply(now, effect);
        }
        self.send_notifications(now);
    }

    /// Answers a request; the Observe value to put in the response, if it registers one.
    fn dispatch(
        &mut self,
        now: Instant,
        from: SocketAddr,
        request: &Packet,
        bootstrap: bool,
    ) -> (Reply, Option<u32>) {
        let segments = message::segments(request, CoapOption::UriPath);
        let is_post = request.header.code == MessageClass::Request(RequestType::Post);
        if bootstrap && is_post && segments == ["bs"] {
            // Bootstrap-Finish.
            let mut reply = Reply::code(message::CHANGED);
            reply.effects.push(Effect::Bootstrap);
            return (reply, None);
        }
        let Some(path) = message::request_path(request) else {
            return (Reply::code(message::NOT_FOUND), None);
        };
        let method = request.header.code;
        let is_get = method == MessageClass::Request(RequestType::Get);
        if is_get && let Ok(Some(observe)) = message::uint_option(request, CoapOption::Observe) {
            return self.observe(now, from, request, path, observe);
        }
        let is_put = method == MessageClass::Request(RequestType::Put);
        if is_put && request.payload.is_empty() {
            let query = message::queries(request);
            if !query.is_empty() {
                return (self.write_attributes(now, &path, &query), None);
            }
        }
        if bootstrap {
            return (self.bootstrap_request(request, &path), None);
        }
        if is_get && message::uint_option(request, CoapOption::Accept) == Ok(Some(40)) {
            if path.object_id().is_some_and(|o| o == 0 || o == 21) {
                return (Reply::code(message::NOT_FOUND), None);
            }
            let observations = &self.observations;
            let reply = dm::discover(&mut self.store, &path, &|p| observations.attributes_of(p));
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
            return Reply::code(message::METHOD_NOT_ALLOWED);
        }
        let exists = match *path.ids() {
            [o] => self.store.objects().any(|m| m.id == o),
            [o, i, ..] => self.store.instance(o, i).is_some(),
            _ => false,
        };
        if !exists {
            return Reply::code(message::NOT_FOUND);
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
            Ok(()) => Reply::code(message::CHANGED),
            Err(e) => Reply::code(e.coap_code()),
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
        let accept = message::uint_option(request, CoapOption::Accept).unwrap_or(None);
        if path.is_root() || path.object_id().is_some_and(|o| o == 0 || o == 21) {
            return (Reply::code(message::NOT_FOUND), None);
        }
        let ctx = self.ctx(false);
        let reply = dm::read(&mut self.store, ctx, &path, accept);
        match observe {
            0 if reply.code.0 == 2 => {
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

    /// A request of the bootstrap server: writes create missing instances, deletes may cover
    /// whole objects.
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
                _ => return Reply::code(message::BAD_REQUEST),
            };
            for (o, i) in targets {
                if o == 0 && self.is_bootstrap_account(i) {
                    continue;
                }
                let _ = self.store.delete(o, i);
            }
            return Reply::code(message::DELETED);
        }
        if method == MessageClass::Request(RequestType::Put)
            && let [o, i] = *path.ids()
            && self.store.instance(o, i).is_none()
        {
            let format = message::uint_option(request, CoapOption::ContentFormat).unwrap_or(None);
            let format = format
                .and_then(|f| u16::try_from(f).ok())
                .and_then(crate::codec::ContentFormat::from_u16)
                .unwrap_or(crate::codec::ContentFormat::Tlv);
            let records = match crate::codec::decode(
                format,
                path,
                &request.payload,
                &dm::StoreKinds(&self.store),
            ) {
                Ok(records) => records,
                Err(e) => return e.into(),
            };
            let values = dm::changes(records);
            return match self.store.create(o, Some(i), values) {
                Ok(_) => Reply::code(message::CHANGED),
                Err(e) => e.into(),
            };
        }
        let ctx = self.ctx(true);
        dm::handle(&mut self.store, ctx, request)
    }

    fn is_bootstrap_account(&mut self, instance: u16) -> bool {
        matches!(
            self.store.read(0, instance, 1),
            Ok(ResourceValue::Single(Value::Boolean(true)))
        )
    }

    fn apply(&mut self, now: Instant, effect: Effect) {
        match effect {
            Effect::UpdateRegistration => self.want_update(now),
            Effect::Reboot => self.events.push_back(Event::Rebooting),
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
                self.send_register(now);
            }
            Effect::Bootstrap => {
                if self.config.bootstrap_server.is_some() {
                    self.observations.clear();
                    self.send_bootstrap_request(now);
                }
            }
        }
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
        if self.retry_at.is_some_and(|at| at <= now) {
            self.retry_at = None;
            if self.state == State::Bootstrapping {
                self.send_bootstrap_request(now);
            } else if self.state == State::Registering {
                self.send_register(now);
            }
        }
        if self.state == State::Registered && !self.update_in_flight() {
            let links_changed = registration::object_links(&self.store) != self.links_sent;
            if self.update_wanted.is_some()
                || links_changed
                || self.update_at.is_some_and(|at| at <= now)
                || (self.asleep(now) && self.observations.any_due(now))
            {
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
            Kind::Register | Kind::Update { .. } | Kind::BootstrapRequest => {
                self.fail(now, "no response from the server".to_owned());
            }
        }
    }

    fn asleep(&self, now: Instant) -> bool {
        self.config.binding == Binding::UQ && self.awake_until.is_none_or(|until| now >= until)
    }

    fn send_notifications(&mut self, now: Instant) {
        if self.state != State::Registered || self.asleep(now) {
            return;
        }
        let store = &mut self.store;
        let due = self
            .observations
            .due(now, &mut |path: &Path| sample(store, path));
        for observation in due {
            let ctx = self.ctx(false);
            let reply = dm::read(&mut self.store, ctx, &observation.path, observation.accept);
            let sequence = self.observations.next_sequence();
            self.notifications_sent = self.notifications_sent.wrapping_add(1);
            let confirmable = self.notifications_sent % 10 == 0;
            let kind = if confirmable {
                MessageType::Confirmable
            } else {
                MessageType::NonConfirmable
            };
            let message_id = self.next_message_id();
            let mut packet = Packet::new();
            packet.header.set_type(kind);
            packet.header.code = message::class(reply.code);
            packet.header.message_id = message_id;
            packet.set_token(observation.token.clone());
            if reply.code.0 == 2 {
                packet.set_observe_value(sequence);
            } else {
                // The value can no longer be read: the observation ends with the error.
                self.observations.cancel(&observation.token);
            }
            if let Some(format) = reply.format {
                message::set_format(&mut packet, format);
            }
            packet.payload = reply.payload;
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
