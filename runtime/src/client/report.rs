//! The Information Reporting interface (Core TS §6.4), sending side: notifications due to each
//! server's observations, held while a queue-mode client sleeps.

use crate::time::Instant;
use coap_lite::{MessageType, Packet};

use crate::coap::Outgoing;
use crate::coap::block::serve_block2;
use crate::coap::options;
use crate::codec::ContentFormat;
use crate::path::Path;

use super::blockwise::BodyKey;
use super::dm;
use super::engine::{Engine, sample};
use super::message;
use super::session::ServerId;
use super::session::State;
use super::{Binding, Event};

impl Engine {
    pub(super) fn send_notifications(&mut self, now: Instant) {
        if self.asleep(now) {
            return;
        }
        for s in ServerId::all(self.sessions.len()) {
            self.send_session_notifications(now, s);
        }
    }

    /// The notifications due to the server of session `s`.
    fn send_session_notifications(&mut self, now: Instant, s: ServerId) {
        let Some(session) = self.sessions.get_mut(s.index()) else {
            return;
        };
        if !matches!(session.state, State::Registered { waking: false, .. }) {
            return;
        }
        let store = &mut self.store;
        let due = session
            .observations
            .due(now, &mut |path: &Path| sample(store, path));
        if due.is_empty() {
            return;
        }
        let policy = self.policy_of(s);
        for observation in due {
            let reply = match &observation.composite {
                Some((paths, format)) => {
                    let format = u16::try_from(*format)
                        .ok()
                        .and_then(ContentFormat::from_u16)
                        .unwrap_or(ContentFormat::SenmlCbor);
                    let ctx = dm::Context {
                        version: self.config.lwm2m_version,
                        bootstrap: false,
                        policy: &policy,
                    };
                    dm::read_paths(&mut self.store, ctx, paths, format)
                }
                None => dm::read_as(
                    &mut self.store,
                    &observation.path,
                    observation.accept,
                    &policy,
                    self.config.lwm2m_version,
                ),
            };
            let Some(session) = self.server_mut(s) else {
                return;
            };
            let sequence = session.observations.next_sequence();
            self.notifications_sent = self.notifications_sent.wrapping_add(1);
            let confirmable = self.notifications_sent % 10 == 0;
            let message_id = self.next_message_id();
            let kind = if confirmable {
                MessageType::Confirmable
            } else {
                MessageType::NonConfirmable
            };
            let mut packet = Outgoing::new(kind, reply.code, message_id, &observation.token);
            if message::is_success(reply.code) {
                options::set_observe(&mut packet, sequence);
            } else {
                // The value can no longer be read: the observation ends with the error.
                self.cancel_observation(observation.peer, &observation.token);
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
                packet.set_payload_vec(reply.payload);
            }
            let Ok(bytes) = packet.into_bytes(Packet::MAX_SIZE) else {
                continue;
            };
            self.exchanges.notification(
                now,
                observation.peer,
                &observation.token,
                message_id,
                confirmable.then(|| bytes.clone()),
            );
            if confirmable {
                self.transmit_expecting_answer(now, observation.peer, bytes);
            } else {
                self.transmit(now, observation.peer, bytes);
            }
            self.emit_for(
                s,
                Event::Notified {
                    path: observation.path,
                    sequence,
                },
            );
        }
    }

    pub(super) fn resource_changed(&mut self, now: Instant, path: &Path) {
        self.now = now;
        let store = &mut self.store;
        for session in &mut self.sessions {
            session
                .observations
                .changed(now, path, &mut |p: &Path| sample(store, p));
        }
        if self.asleep(now) {
            return;
        }
        self.send_notifications(now);
    }

    /// Queue mode: the time until which the radio may sleep, when it may now (see
    /// `Client::sleep_until`).
    pub(super) fn sleep_until(&self, now: Instant) -> Option<Instant> {
        let quiet = self.asleep(now) && self.exchanges.is_idle() && self.outbox.is_empty();
        quiet.then(|| self.next_timeout().unwrap_or(Instant::MAX))
    }

    pub(super) fn asleep(&self, now: Instant) -> bool {
        self.config.binding == Binding::UQ && self.awake_until.is_none_or(|until| now >= until)
    }
}
