//! The Send operation (LwM2M 1.1, Core TS §6.4.6, Transport TS §6.4): the client pushes values
//! to its server unasked, with a confirmable `POST /dp` carrying SenML CBOR (Content-Format 112,
//! the SenML format every 1.1 client must support for Send and the composite operations); the
//! server answers 2.04 Changed.
//!
//! - The values are read device-side from the store at the moment of the call, like a server's
//!   Read would see them; a path that cannot be read refuses the whole Send (nothing is sent).
//! - Refused when the client is not registered, when it announced LwM2M 1.0 (Send does not exist
//!   there), when the server muted Send (Mute Send `/1/x/23` = true), for the Security and OSCORE
//!   objects, and when the payload exceeds 64 KiB (the bound of block-wise requests). A payload
//!   too large for one message (`Config::max_message_size`) is sent block-wise (Block1, RFC 7959;
//!   see [`blockwise`](super::blockwise)); the outcome is the answer to its last block.
//! - [`Client::send_records`](super::Client::send_records) sends records the device built itself
//!   instead, such as values sampled while it was offline, each with the time it was taken: a
//!   time series of one path is several records with different times (SenML `bt`, see
//!   [`codec::senml`] for how times are written). The same checks apply
//!   (registered, not 1.0, not muted, no Security or OSCORE path, the size), and the records must
//!   be resources or resource instances, at most once per path and time.
//! - The outcome arrives as [`Event::Sent`](super::Event::Sent) or
//!   [`Event::SendFailed`](super::Event::SendFailed).

use crate::codec::{self, ContentFormat, Record};
use crate::path::Path;
use crate::prelude::*;
use crate::store::ObjectStore;

use super::dm;

use crate::time::Instant;

use coap_lite::RequestType;

use crate::coap::message::RequestBuilder;

use super::blockwise::OutgoingError;
use super::engine::Engine;
use super::exchange::Kind;
use super::session::ServerId;
use super::{LwM2mVersion, ResponseCode};

/// Why [`Client::send`](super::Client::send) sent nothing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The client is not registered with its server.
    #[error("not registered: Send needs a registration")]
    NotRegistered,
    /// The client announced LwM2M 1.0, which has no Send operation.
    #[error("Send is not part of LwM2M 1.0")]
    Unsupported,
    /// The server set Mute Send (`/1/x/23`).
    #[error("the server muted Send (/1/x/23 is true)")]
    Muted,
    /// No path (or no record) was given.
    #[error("nothing to send: no path given")]
    Empty,
    /// A path of the Security (0) or OSCORE (21) object: never sent.
    #[error("{path} is not sent: Security and OSCORE values stay on the device")]
    Protected {
        /// The path refused.
        path: Path,
    },
    /// A path could not be read.
    #[error("{path} cannot be read ({code})")]
    Read {
        /// The path.
        path: Path,
        /// The CoAP code a server's Read would have got, such as `4.04`.
        code: ResponseCode,
    },
    /// The values could not be encoded as SenML CBOR.
    #[error("the values cannot be encoded: {0}")]
    Encode(#[source] crate::codec::EncodeError),
    /// The request cannot be encoded as a CoAP message.
    #[error("the request cannot be encoded as a CoAP message")]
    Unencodable,
    /// The request could not be built (its options or payload).
    #[error("the request cannot be built: {0}")]
    Build(#[source] crate::coap::message::BuildError),
    /// The payload cannot be sent: it exceeds the 64 KiB bound of block-wise requests (`max` is
    /// that bound), or the maximum message size leaves no room for a 16-byte block (`max` is the
    /// maximum message size).
    #[error("the Send payload of {size} bytes cannot be sent (limit {max} bytes)")]
    TooLarge {
        /// The payload size.
        size: usize,
        /// The limit exceeded.
        max: usize,
    },
}

/// The Content-Format of a Send: SenML CBOR.
pub(super) const FORMAT: ContentFormat = ContentFormat::SenmlCbor;

/// The URI path of a Send.
pub(super) const URI_PATH: &str = "dp";

/// The SenML CBOR payload of a Send of `paths`, read from `store`.
pub(super) fn payload(store: &mut ObjectStore, paths: &[Path]) -> Result<Vec<u8>, SendError> {
    if paths.is_empty() {
        return Err(SendError::Empty);
    }
    let mut records: Vec<Record> = Vec::new();
    for path in paths {
        if dm::is_protected(path) {
            return Err(SendError::Protected { path: *path });
        }
        match dm::read_records(store, path) {
            Ok(found) => records.extend(found),
            Err(reply) => {
                return Err(SendError::Read {
                    path: *path,
                    code: reply.code.into(),
                });
            }
        }
    }
    records.sort_unstable_by_key(|r| r.path);
    records.dedup_by_key(|r| r.path);
    codec::encode(FORMAT, &Path::ROOT, &records).map_err(SendError::Encode)
}

/// The SenML CBOR payload of a Send of caller-built `records` (see
/// [`Client::send_records`](super::Client::send_records)).
pub(super) fn records_payload(records: &[Record]) -> Result<Vec<u8>, SendError> {
    if records.is_empty() {
        return Err(SendError::Empty);
    }
    if let Some(record) = records.iter().find(|r| dm::is_protected(&r.path)) {
        return Err(SendError::Protected { path: record.path });
    }
    codec::encode(FORMAT, &Path::ROOT, records).map_err(SendError::Encode)
}

/// The distinct paths of `records`, in path order: what [`Event::Sent`](super::Event::Sent)
/// names for a Send of records.
pub(super) fn record_paths(records: &[Record]) -> Vec<Path> {
    let mut paths: Vec<Path> = records.iter().map(|r| r.path).collect();
    paths.sort_unstable();
    paths.dedup();
    paths
}

impl Engine {
    /// Send (`POST /dp`, see the [module documentation](self)): the values at `paths`, read now, to the first registered
    /// server.
    pub(super) fn send(&mut self, now: Instant, paths: &[Path]) -> Result<(), SendError> {
        self.send_with(now, paths.to_vec(), |store| payload(store, paths))
    }

    /// Send (`POST /dp`) of the SenML CBOR `payload` builds, after the checks of every Send;
    /// `paths` names what is sent in the outcome event.
    pub(super) fn send_with(
        &mut self,
        now: Instant,
        paths: Vec<Path>,
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
            .path([URI_PATH])
            .content_format(FORMAT.to_u16())
            .payload(payload)
            .build_message()
            .map_err(SendError::Build)?;
        let body = self.plan(packet).map_err(|e| match e {
            OutgoingError::BodyTooLarge { size, max } => SendError::TooLarge { size, max },
            OutgoingError::NoRoom { max } => SendError::TooLarge { size, max },
            OutgoingError::Encode => SendError::Unencodable,
        })?;
        let server = self.server(s).map_or(self.config.server, |x| x.address);
        let token = self.exchanges.next_token();
        self.send_exchange(now, server, token, Kind::Send { paths }, body);
        Ok(())
    }

    /// Whether the server of session `s` muted Send: Mute Send (`/1/x/23`) of its Server
    /// instance (the first Server instance for a server without one).
    pub(super) fn send_muted(&mut self, s: ServerId) -> bool {
        self.settings(s).mute_send
    }
}
