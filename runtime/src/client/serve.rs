//! Serving a server's requests: duplicate detection, load shedding, block-wise transfers
//! (Block1 reassembly, Block2 slices of a kept body), then the classified [`Operation`]
//! dispatched with one `match` (see [`super::operation`] for the classification).

use crate::prelude::*;
use crate::time::Instant;
use core::net::SocketAddr;

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, ResponseType};

use crate::coap::block::{self, Block1Outcome, serve_block2};
use crate::coap::message as coap_message;
use crate::coap::options;
use crate::coap::{MessageRef, Outgoing, ReadMessage, Seen, WriteMessage};
use crate::path::Path;

use super::Event;
use super::access::Policy;
use super::blockwise::{self, BodyKey};
use super::dm::{self, Context, Effect, Reply};
use super::engine::{Engine, Requester, sample};
use super::message;
use super::observe::Defaults;
use super::operation::{Operation, Request};
use super::session::ServerId;

/// The Max-Age of a 5.03 Service Unavailable sent while overloaded: when to try again, seconds.
const OVERLOAD_RETRY_S: u8 = 2;

impl Engine {
    /// Serves a request, read from its datagram without a copy; the response is written
    /// straight into the datagram sent (see [`crate::coap::wire`] for why not coap-lite here).
    pub(super) fn handle_request(
        &mut self,
        now: Instant,
        from: SocketAddr,
        request: &MessageRef<'_>,
    ) {
        let message_id = request.message_id();
        let confirmable = request.message_type() == MessageType::Confirmable;
        let Some(requester) = self.requester(from) else {
            tracing::warn!(%from, "refused a request from an address that is not a server");
            if confirmable {
                let response = Outgoing::response(
                    request,
                    MessageClass::Response(ResponseType::Unauthorized),
                    0,
                );
                if let Ok(bytes) = response.into_bytes(Packet::MAX_SIZE) {
                    self.transmit(now, from, bytes);
                }
            }
            return;
        };
        match self.dedup.check(now, &from, message_id, request.token()) {
            Seen::Duplicate(Some(bytes)) => {
                self.transmit(now, from, bytes);
                return;
            }
            Seen::Duplicate(None) => return,
            Seen::New => {}
        }
        let classified = Request::classify(request, requester == Requester::Bootstrap, &self.store);
        let (operation, path) = (classified.operation, classified.path);
        let next_id = self.next_message_id();
        // A Delete is served even when overloaded: it is what gives the memory back.
        let shed = self.overloaded && !matches!(operation, Operation::Delete);
        let (response, effects) = if shed {
            // Shed load before touching the store (Client::set_overloaded).
            let mut refused = Outgoing::response(
                request,
                MessageClass::Response(ResponseType::ServiceUnavailable),
                next_id,
            );
            refused.push_option(CoapOption::MaxAge, &[OVERLOAD_RETRY_S]);
            (refused, Vec::new())
        } else {
            self.answer(now, from, request, &classified, requester, next_id)
        };
        let code = response.code();
        // coap-lite's limit for what it encodes, kept for the responses it used to encode.
        let bytes = match response.into_bytes(Packet::MAX_SIZE) {
            Ok(bytes) => bytes,
            Err(_) => Outgoing::response(
                request,
                MessageClass::Response(ResponseType::InternalServerError),
                next_id,
            )
            .into_bytes(Packet::MAX_SIZE)
            .unwrap_or_default(),
        };
        if confirmable {
            self.dedup.responded_with(&from, message_id, &bytes);
        }
        self.transmit(now, from, bytes);
        let server = match requester {
            Requester::Server(s) => self.server(s).and_then(|x| x.short_server_id),
            Requester::Bootstrap => None,
        };
        self.emit(
            server,
            Event::Request {
                operation,
                path,
                code: code.into(),
            },
        );
        for effect in effects {
            self.apply(now, requester, effect);
        }
        self.send_notifications(now);
    }

    /// The response to a new request (4.02 for an unknown critical option, block-wise transfers
    /// as [`blockwise`] says) and the effects to carry out.
    fn answer(
        &mut self,
        now: Instant,
        from: SocketAddr,
        request: &MessageRef<'_>,
        classified: &Request,
        requester: Requester,
        next_id: u16,
    ) -> (Outgoing, Vec<Effect>) {
        let bad_option = |request: &MessageRef<'_>| {
            Outgoing::response(
                request,
                MessageClass::Response(ResponseType::BadOption),
                next_id,
            )
        };
        // RFC 7252 §5.4.1: an unrecognised critical option is answered 4.02.
        if options::unrecognized_critical(request).is_some() {
            return (bad_option(request), Vec::new());
        }
        // A pushed firmware package streams to its sink block by block, never reassembled.
        if let Some(answer) =
            self.firmware_push_block(now, from, request, classified, requester, next_id)
        {
            return answer;
        }
        let reassembled;
        let (request, block1) = match self.block1.handle(now, &from, request) {
            Block1Outcome::NotBlockwise => (*request, None),
            Block1Outcome::Complete { body, block1 } => {
                // The whole body in place of the last block's payload (nothing downstream
                // reads the Block1 option again: the response echoes `block1`).
                reassembled = body;
                (request.with_payload(&reassembled), Some(block1))
            }
            outcome => {
                // 2.31 Continue, or a refusal (4.08, 4.13, 4.00, 4.02).
                let mut response = Outgoing::response(
                    request,
                    MessageClass::Response(ResponseType::Continue),
                    next_id,
                );
                outcome.apply(&mut response);
                return (response, Vec::new());
            }
        };
        let Ok(requested) = block::block2(&request) else {
            return (bad_option(&request), Vec::new());
        };
        // The key of a kept body: made only for a follow-up block or a body to keep.
        let kept = match requested {
            Some(block) if block.num() > 0 => self.bodies.get(now, &BodyKey::of(from, &request)),
            _ => None,
        };
        let (mut reply, observe) = match kept {
            Some(reply) => (reply, None),
            None => self.dispatch(now, from, &request, classified, requester),
        };
        let mut response = Outgoing::response(&request, reply.code, next_id);
        if let Some(sequence) = observe {
            options::set_observe(&mut response, sequence);
        }
        if let Some(format) = reply.format {
            options::set_content_format(&mut response, format);
        }
        for segment in &reply.location {
            response.push_option(CoapOption::LocationPath, segment.as_bytes());
        }
        let block_size = self.block_size();
        if message::is_success(reply.code)
            && (requested.is_some() || reply.payload.len() > block_size)
        {
            match serve_block2(&reply.payload, requested, block_size) {
                Ok(slice) => {
                    slice.apply(&mut response);
                    if slice.block2.more() || slice.block2.num() > 0 {
                        self.bodies.insert(now, BodyKey::of(from, &request), &reply);
                    }
                }
                Err(_) => return (bad_option(&request), Vec::new()),
            }
        } else {
            response.set_payload_vec(core::mem::take(&mut reply.payload));
        }
        if let Some(block1) = block1 {
            block::set_block1(&mut response, block1);
        }
        (response, reply.effects)
    }

    /// The block size of block-wise transfers.
    pub(super) fn block_size(&self) -> usize {
        blockwise::block_size(self.config.block_size, self.config.max_message_size)
    }

    /// The largest datagram the client sends: the maximum message size (a block-wise request's
    /// blocks are sized to fit it), and never less than a request sent whole was allowed
    /// before block-wise requests (coap-lite's 1280 bytes, for requests without a payload to
    /// split).
    pub(super) fn send_limit(&self) -> usize {
        self.config.max_message_size.max(Packet::MAX_SIZE)
    }

    /// The largest datagram accepted: the maximum message size, at least RFC 7252's 1152 bytes
    /// (a 1024-byte block with its header must fit).
    pub(super) fn receive_limit(&self) -> usize {
        self.config
            .max_message_size
            .max(coap_message::DEFAULT_MAX_MESSAGE_SIZE)
    }

    /// Answers a classified request (`packet` holds its payload, reassembled when it came
    /// block-wise): the protected objects and the access right are checked here, once, then
    /// one `match` runs the operation. Also returns the Observe value to put in the response,
    /// if it registers an observation.
    fn dispatch(
        &mut self,
        now: Instant,
        from: SocketAddr,
        packet: &MessageRef<'_>,
        request: &Request,
        requester: Requester,
    ) -> (Reply, Option<u32>) {
        let operation = request.operation;
        let bootstrap = requester == Requester::Bootstrap;
        let path = match request.path {
            Some(path) => path,
            None if operation == Operation::BootstrapFinish => Path::ROOT,
            None => return (Reply::code(ResponseType::NotFound), None),
        };
        if !bootstrap && dm::is_protected(&path) {
            // Security and OSCORE: only for the bootstrap server, whatever the operation.
            return (Reply::code(ResponseType::Unauthorized), None);
        }
        // Observations and attributes of the bootstrap server are kept with the first server.
        let s = match requester {
            Requester::Server(s) => s,
            Requester::Bootstrap => ServerId(0),
        };
        let policy = self.policy(requester);
        if let Err(refused) = dm::check_access(&self.store, &policy, request) {
            return (refused, None);
        }
        // The operations of the Device Management interface refuse malformed Accept and
        // Content-Format options whatever they read.
        let options = match (request.accept, request.format) {
            (Err(()), _) => Err(Reply::code(ResponseType::NotAcceptable)),
            (_, Err(())) => Err(Reply::code(ResponseType::UnsupportedContentFormat)),
            (Ok(accept), Ok(format)) => Ok((accept.map(u32::from), format.map(u32::from))),
        };
        let payload = packet.payload();
        let ctx = Context {
            version: self.config.lwm2m_version,
            bootstrap,
            policy: &policy,
        };
        // Firmware Update's Package, Package URI, Update and Cancel go to its state machine.
        if self.firmware_handles(&path)
            && let Ok((_, format)) = options
        {
            match operation {
                Operation::Write { .. } => {
                    return (self.firmware_write(now, &path, format, payload), None);
                }
                Operation::Execute => return (self.firmware_execute(now, &path), None),
                _ => {}
            }
        }
        let store = &mut self.store;
        let reply = match operation {
            Operation::Observe | Operation::CancelObservation => {
                return self.observe(now, s, from, packet, path, operation, &policy);
            }
            Operation::WriteAttributes => self.write_attributes(now, s, &path, &request.query),
            Operation::Discover => {
                let Some(session) = self.sessions.get(s.index()) else {
                    return (Reply::code(ResponseType::InternalServerError), None);
                };
                let observations = &session.observations;
                dm::discover(store, ctx.version, &path, &policy, &|p| {
                    observations.attributes_of(p)
                })
            }
            Operation::BootstrapFinish => self.bootstrap_finish(),
            Operation::BootstrapWrite => match request.format {
                Ok(format) => self.bootstrap_write(&path, format, payload),
                Err(()) => Reply::code(ResponseType::UnsupportedContentFormat),
            },
            Operation::BootstrapDelete => self.bootstrap_delete(&path),
            _ => match options {
                Err(refused) => refused,
                Ok((accept, format)) => match operation {
                    Operation::BootstrapDiscover => self.bootstrap_discover(&path),
                    Operation::Read | Operation::BootstrapRead => {
                        dm::read_as(store, &path, accept, &policy, ctx.version)
                    }
                    Operation::Write { partial: false } => {
                        dm::write_replace(store, &path, format, payload)
                    }
                    Operation::Write { partial: true } => {
                        dm::write_update(store, &path, format, payload)
                    }
                    Operation::Execute => match *path.ids() {
                        [o, i, r] => dm::execute(store, o, i, r, payload),
                        _ => Reply::code(ResponseType::MethodNotAllowed),
                    },
                    Operation::Create => match path.object_id() {
                        Some(object) if path.is_object() => {
                            dm::create(store, object, format, payload)
                        }
                        _ => Reply::code(ResponseType::MethodNotAllowed),
                    },
                    Operation::Delete => dm::delete(store, &path),
                    Operation::ReadComposite => {
                        dm::read_composite(store, ctx, format, accept, payload)
                    }
                    Operation::WriteComposite => dm::write_composite(store, ctx, format, payload),
                    Operation::ObserveComposite | Operation::CancelObserveComposite => {
                        return self.observe_composite(
                            now, s, from, packet, operation, format, accept, bootstrap, &policy,
                        );
                    }
                    // Answered above.
                    Operation::Observe
                    | Operation::CancelObservation
                    | Operation::WriteAttributes
                    | Operation::Discover
                    | Operation::BootstrapFinish
                    | Operation::BootstrapWrite
                    | Operation::BootstrapDelete
                    | Operation::Unknown => Reply::code(ResponseType::MethodNotAllowed),
                },
            },
        };
        (reply, None)
    }

    fn write_attributes(
        &mut self,
        now: Instant,
        s: ServerId,
        path: &Path,
        query: &[&str],
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
        let defaults = self.defaults(s);
        let Some(session) = self.sessions.get_mut(s.index()) else {
            return Reply::code(ResponseType::InternalServerError);
        };
        match session.observations.write_attributes(
            now,
            path,
            query,
            &dm::StoreKinds(&self.store),
            defaults,
        ) {
            Ok(()) => Reply::code(ResponseType::Changed),
            Err(e) => Reply::error(e.coap_code()),
        }
    }

    /// The Default Minimum and Maximum Periods of the Server instance of session `s` (the
    /// first Server instance for a server without one).
    fn defaults(&mut self, s: ServerId) -> Defaults {
        let settings = self.settings(s);
        Defaults {
            pmin: settings.default_min_period,
            pmax: settings.default_max_period,
        }
    }

    /// Observe (or Cancel Observation, answered as a Read that ends the observation).
    #[allow(clippy::too_many_arguments)]
    fn observe(
        &mut self,
        now: Instant,
        s: ServerId,
        from: SocketAddr,
        request: &MessageRef<'_>,
        path: Path,
        operation: Operation,
        policy: &Policy,
    ) -> (Reply, Option<u32>) {
        let token = request.token();
        let accept = options::accept(request).ok().flatten().map(u32::from);
        if path.is_root() || dm::is_protected(&path) {
            return (Reply::code(ResponseType::NotFound), None);
        }
        let version = self.config.lwm2m_version;
        let reply = dm::read_as(&mut self.store, &path, accept, policy, version);
        let defaults = self.defaults(s);
        let initial = sample(&mut self.store, &path);
        let Some(session) = self.server_mut(s) else {
            return (Reply::code(ResponseType::InternalServerError), None);
        };
        match operation {
            Operation::Observe if message::is_success(reply.code) => {
                session
                    .observations
                    .register(now, token, from, path, accept, defaults, initial);
                let sequence = session.observations.next_sequence();
                (reply, Some(sequence))
            }
            _ => {
                // Observe=1 (cancel), any other value or a failed read: a plain read that ends
                // the observation.
                session.observations.cancel(token);
                (reply, None)
            }
        }
    }

    /// Observe-Composite (or its cancellation, answered as a Read-Composite that ends the
    /// observation): the values of the request's paths, and one observation of all of them
    /// whose notifications carry every path again.
    #[allow(clippy::too_many_arguments)]
    fn observe_composite(
        &mut self,
        now: Instant,
        s: ServerId,
        from: SocketAddr,
        request: &MessageRef<'_>,
        operation: Operation,
        format: Option<u32>,
        accept: Option<u32>,
        bootstrap: bool,
        policy: &Policy,
    ) -> (Reply, Option<u32>) {
        let (paths, out) = match dm::composite_paths(format, accept, request.payload()) {
            Ok(found) => found,
            Err(reply) => return (reply, None),
        };
        let ctx = Context {
            version: self.config.lwm2m_version,
            bootstrap,
            policy,
        };
        let reply = dm::read_paths(&mut self.store, ctx, &paths, out);
        let defaults = self.defaults(s);
        let token = request.token();
        let store = &mut self.store;
        let Some(session) = self.sessions.get_mut(s.index()) else {
            return (Reply::code(ResponseType::InternalServerError), None);
        };
        match operation {
            Operation::ObserveComposite if message::is_success(reply.code) => {
                session.observations.register_composite(
                    now,
                    token,
                    from,
                    &paths,
                    u32::from(out.to_u16()),
                    defaults,
                    &mut |p: &Path| sample(store, p),
                );
                let sequence = session.observations.next_sequence();
                (reply, Some(sequence))
            }
            _ => {
                session.observations.cancel(token);
                (reply, None)
            }
        }
    }

    /// Who sent a request from `from`: the bootstrap server while bootstrapping, or a server.
    pub(super) fn requester(&self, from: SocketAddr) -> Option<Requester> {
        if self.is_bootstrap_peer(from) {
            return Some(Requester::Bootstrap);
        }
        self.session_at(from).map(Requester::Server)
    }
}
