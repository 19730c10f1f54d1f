//! The Bootstrap interface (Core TS §6.1, client side): Bootstrap-Request and its retries, the
//! bootstrap server's Bootstrap-Write and Bootstrap-Delete, Bootstrap-Finish with its
//! consistency check, and the hand-over to the servers the bootstrap wrote.

use crate::prelude::*;
use crate::time::Instant;
use core::net::SocketAddr;
use litemap::LiteMap;

use coap_lite::{RequestType, ResponseType};

use crate::coap::message::RequestBuilder;
use crate::codec::ContentFormat;
use crate::codec::link::{self, Link};
use crate::objects::{Security, Server};
use crate::path::Path;
use crate::store::WriteMode;
use crate::uri::parse_uri;

use super::dm::{self, Effect, Reply};
use super::engine::{Engine, Phase};
use super::exchange::Kind;
use super::session::ServerId;
use super::session::{self, State};
use super::{Event, Failure, RegistrationRequest, access, registration};

impl Engine {
    pub(super) fn send_bootstrap_request(&mut self, now: Instant) {
        let Some(to) = self.bootstrap_address() else {
            return;
        };
        self.phase = Phase::Bootstrapping;
        self.bootstrap_peer = Some(to);
        self.bootstrap_retry_at = None;
        let built = RequestBuilder::new(RequestType::Post, 0, &[])
            .path(["bs"])
            .query("ep", Some(&self.config.endpoint))
            .build_message();
        self.send_built(now, to, built, Kind::BootstrapRequest);
    }

    /// A Bootstrap-Request failed: retry after a back-off.
    pub(super) fn fail_bootstrap(&mut self, now: Instant, reason: Failure) {
        self.bootstrap_failures = self.bootstrap_failures.saturating_add(1);
        self.emit(
            None,
            Event::RegistrationFailed {
                request: RegistrationRequest::BootstrapRequest,
                reason,
            },
        );
        if self.phase == Phase::Bootstrapping {
            self.bootstrap_retry_at =
                Some(now + registration::retry_delay(self.bootstrap_failures));
        }
    }

    /// Whether a request from `from` comes from the bootstrap server of the bootstrap in
    /// progress.
    pub(super) fn is_bootstrap_peer(&self, from: SocketAddr) -> bool {
        Some(from) == self.bootstrap_peer && self.phase == Phase::Bootstrapping
    }

    /// Bootstrap-Delete (Core TS §6.1.7.4): of an instance, an object, or everything but the
    /// Bootstrap-Server account and the Device object.
    pub(super) fn bootstrap_delete(&mut self, path: &Path) -> Reply {
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
            if o == 0 && session::is_bootstrap_account(&mut self.store, i) {
                continue;
            }
            let _ = self.store.delete(o, i);
        }
        Reply::code(ResponseType::Deleted)
    }

    /// Bootstrap-Write of an object, instance or resource: device-side writes (no operation
    /// checks), creating missing instances.
    /// Bootstrap-Discover (Core TS 1.1 §5.2.7.3) of the root or an object: `</>;lwm2m="1.1"`
    /// (root only), then every object with its instances (`</5>` for an object without any),
    /// Security instances with the `ssid` and `uri` of their account, Server instances with
    /// their `ssid`. Deeper paths are 4.00.
    pub(super) fn bootstrap_discover(&mut self, path: &Path) -> Reply {
        let mut links = Vec::new();
        match *path.ids() {
            [] => links.push(Link::to_path(&Path::ROOT).with("lwm2m", self.config.lwm2m_version)),
            [object] if self.store.object_meta(object).is_some() => {}
            [_] => return Reply::code(ResponseType::NotFound),
            _ => return Reply::code(ResponseType::BadRequest),
        }
        let objects: Vec<u16> = self
            .store
            .objects()
            .map(|m| m.id)
            .filter(|id| path.object_id().is_none_or(|o| o == *id))
            .collect();
        for object in objects {
            let instances: Vec<u16> = self.store.instances(object).collect();
            if instances.is_empty() {
                links.push(Link::to_path(&Path::object(object)));
            }
            for instance in instances {
                let mut link = Link::to_path(&Path::instance(object, instance));
                if object == Security::ID {
                    if let Some(security) = self.store.get::<Security>(instance) {
                        if let Some(ssid) = security
                            .short_server_id
                            .filter(|_| !security.bootstrap_server)
                        {
                            link = link.with("ssid", ssid);
                        }
                        link = link.with("uri", security.server_uri.clone());
                    }
                } else if object == Server::ID
                    && let Some(server) = self.store.get::<Server>(instance)
                {
                    link = link.with("ssid", server.short_server_id);
                }
                links.push(link);
            }
        }
        let mut reply = Reply::code(ResponseType::Content);
        reply.format = Some(ContentFormat::LinkFormat.to_u16());
        reply.payload = link::write(&links).into_bytes();
        reply
    }

    /// Bootstrap-Write may write any resource (the Security object's have no operations).
    pub(super) fn bootstrap_write(
        &mut self,
        path: &Path,
        format: Option<u16>,
        payload: &[u8],
    ) -> Reply {
        // The Security, Server and Access Control objects must accept the instances the
        // bootstrap server sends.
        if !self.store.is_creatable(0) {
            self.store
                .creatable(|| (crate::objects::Security::default(), ()));
        }
        if !self.store.is_creatable(1) {
            self.store
                .creatable(|| (crate::objects::Server::default(), ()));
        }
        if path.object_id() == Some(access::OBJECT) && !self.store.is_creatable(access::OBJECT) {
            self.store
                .creatable(|| (crate::objects::AccessControl::default(), ()));
        }
        let format = match format {
            Some(n) => match ContentFormat::from_u16(n) {
                Some(f) => f,
                None => return Reply::code(ResponseType::UnsupportedContentFormat),
            },
            None if path.is_resource() => ContentFormat::Text,
            None => ContentFormat::Tlv,
        };
        let records =
            match crate::codec::decode(format, path, payload, &dm::StoreKinds(&self.store))
                .and_then(|records| crate::codec::single_values(&records).map(|()| records))
            {
                Ok(records) => records,
                Err(e) => return e.into(),
            };
        let mut by_instance: LiteMap<u16, Vec<crate::codec::Record>> = LiteMap::new();
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

    /// Bootstrap-Finish (`POST /bs`, Core TS 1.1 §5.2.6 "Bootstrap and Configuration
    /// Consistency"): an inconsistent configuration is reported with an error code, 4.06 Not
    /// Acceptable (ETS int-9). The configuration is consistent when the store holds at least
    /// one complete server account: a non-bootstrap Security instance with a URI and a Server
    /// instance with the same Short Server ID. Refused, the client stays in the bootstrap (the
    /// Bootstrap-Server may write more and finish again) and registers nowhere.
    pub(super) fn bootstrap_finish(&mut self) -> Reply {
        if session::complete_accounts(&mut self.store) == 0 {
            tracing::warn!(
                "Bootstrap-Finish refused (4.06): no complete server account \
                 (Security and Server instance with the same Short Server ID)"
            );
            let mut reply = Reply::code(ResponseType::NotAcceptable);
            reply.payload = b"no complete server account".to_vec();
            return reply;
        }
        let mut reply = Reply::code(ResponseType::Changed);
        reply.effects.push(Effect::Bootstrap);
        reply
    }

    /// Where to send a Bootstrap-Request: the configured bootstrap server, otherwise the
    /// Bootstrap-Server account of the Security object when its URI is an IP literal.
    pub(super) fn bootstrap_address(&mut self) -> Option<SocketAddr> {
        if let Some(address) = self.config.bootstrap_server {
            return Some(address);
        }
        session::security_accounts(&mut self.store, true)
            .into_iter()
            .find_map(|account| parse_uri(&account.uri).ok()?.socket_addr())
    }

    /// After Bootstrap-Finish: register with every server account written. The first
    /// non-bootstrap Security instance's URI (`/0/x/0`) becomes [`Config::server`](super::Config::server), with the
    /// Lifetime of the Server instance of the same Short Server ID. An IP literal is used at
    /// once; a host name is handed to the driver with [`Event::ResolveServer`] and the Registers
    /// wait for [`Engine::set_server`]. Without such an instance the configured server is used.
    pub(super) fn register_with_bootstrapped_server(&mut self, now: Instant) {
        self.bootstrap_peer = None;
        self.phase = Phase::Serving;
        self.bootstrap_retry_at = None;
        let Some(account) = session::accounts(&mut self.store).into_iter().next() else {
            self.register_all(now);
            return;
        };
        if let Some(lifetime) = account
            .server_instance
            .and_then(|x| session::lifetime_of(&mut self.store, x))
        {
            self.config.lifetime = lifetime;
        }
        match session::account_uri(&account.uri) {
            Ok(parsed) => match parsed.socket_addr() {
                Some(address) => {
                    self.config.server = address;
                    self.register_all(now);
                }
                None => {
                    self.phase = Phase::Resolving;
                    self.emit(
                        account.short_server_id,
                        Event::ResolveServer { uri: account.uri },
                    );
                }
            },
            Err(e) => {
                tracing::warn!(uri = %account.uri, error = %e, "the bootstrapped server URI is unusable");
                self.rebuild_sessions();
                for s in ServerId::all(self.sessions.len()) {
                    if let Some(session) = self.server_mut(s) {
                        session.state = State::registering();
                    }
                    self.fail(now, s, RegistrationRequest::Register, Failure::BadServerUri);
                }
            }
        }
    }
}
