//! The Client Registration interface (Core TS §6.2), one state machine per server: Register,
//! its retries, Update (due, wanted, or to wake up in queue mode), Deregister, Disable and the
//! lifetime a server writes. [`registration`] builds the messages and the timing; this module
//! moves each server's [`State`] from one variant to the next.

use crate::prelude::*;
use crate::time::Instant;
use core::net::SocketAddr;
use core::time::Duration;

use coap_lite::{MessageClass, RequestType, ResponseType};

use crate::coap::message::RequestBuilder;
use crate::coap::{MessageRef, options};
use crate::codec::ContentFormat;

use super::engine::{DEFAULT_DISABLE_TIMEOUT, Engine, Phase};
use super::exchange::Kind;
use super::message;
use super::session::{ServerId, ServerSettings, State};
use super::{Event, Failure, RegistrationRequest, registration};

impl Engine {
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
        for query in registration::register_query_with(&self.config, lifetime) {
            builder = builder.query_text(&query);
        }
        let links = registration::object_links(&self.store, self.config.lwm2m_version);
        let built = builder
            .content_format(ContentFormat::LinkFormat.to_u16())
            .payload(links.clone().into_bytes())
            .build_message();
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
            builder.build_message(),
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
            .build_message();
        self.send_built(now, server, built, Kind::Deregister);
    }

    /// A Register or Update with the server of session `s` failed: retry after a back-off.
    pub(super) fn fail(
        &mut self,
        now: Instant,
        s: ServerId,
        request: RegistrationRequest,
        reason: Failure,
    ) {
        let failed = Event::RegistrationFailed { request, reason };
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
                self.emit_for(s, failed);
                self.send_deregister(now, s, None);
                return;
            }
            State::Registering { update_wanted, .. } | State::Registered { update_wanted, .. } => {
                *update_wanted
            }
            State::Idle => None,
            State::Deregistering { .. } | State::Deregistered | State::Disabled { .. } => {
                self.emit_for(s, failed);
                return;
            }
        };
        session.state = State::Registering {
            retry_at: Some(retry_at),
            update_wanted,
            deregister_after: false,
        };
        self.emit_for(s, failed);
    }

    pub(super) fn registered(
        &mut self,
        now: Instant,
        s: ServerId,
        code: MessageClass,
        packet: &MessageRef<'_>,
    ) {
        let location = options::location_path(packet).unwrap_or_default();
        if code != MessageClass::Response(ResponseType::Created) || location.is_empty() {
            self.fail(
                now,
                s,
                RegistrationRequest::Register,
                Failure::Answered(code.into()),
            );
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
            self.fail(
                now,
                s,
                RegistrationRequest::Update,
                Failure::Answered(code.into()),
            );
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

    /// Disable (`/1/x/4`, Core TS Appendix E.2) of the server of session `s`: de-register now
    /// (the Execute was answered first), ignore the server for the Disable Timeout `/1/x/5`
    /// (86400 s when it has none), then register again.
    pub(super) fn disable(&mut self, now: Instant, s: ServerId, instance: u16) {
        if self.server(s).is_none_or(|x| !x.state.is_registered()) {
            return;
        }
        let secs = ServerSettings::of(&mut self.store, instance).and_then(|x| x.disable_timeout);
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
                if let Some(secs) = ServerSettings::of(&mut self.store, i).and_then(|x| x.lifetime)
                    && let Some(session) = self.server_mut(s)
                    && secs != registration::lifetime_secs(session.lifetime)
                {
                    session.lifetime = Duration::from_secs(secs);
                    self.want_update(now, s);
                }
            }
        }
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
}
