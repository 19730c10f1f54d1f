//! Block-wise transfers of the client (RFC 7959), around [`crate::coap::block`].
//!
//! - **Block2** (large responses): a response whose payload is larger than the block size (see
//!   [`block_size`]) is sent block by block; a request carrying Block2 gets the block it asks for
//!   (at most the client's block size, scaled as [`crate::coap::serve_block2`] does). The body is
//!   **kept** ([`BodyCache`]) for the follow-up requests: a request for block N > 0 is answered
//!   from the body rendered for block 0, so every block comes from the same value even when the
//!   resource changes in between (a re-render could mix two values). A request for block 0, or
//!   for block N when nothing is kept (expired, evicted), renders the body again. Bodies are kept
//!   for `EXCHANGE_LIFETIME`, at most [`MAX_BODIES`], keyed by peer, method, Uri-Path, Accept and
//!   the request payload (a FETCH's path list). The same applies to a notification too large for
//!   one block: it carries block 0 and the server fetches the rest with GETs.
//! - **Block1** (large writes): reassembled by [`crate::coap::Block1Assembler`] (2.31 Continue,
//!   4.08 Request Entity Incomplete, 4.13 Request Entity Too Large with Size1); the complete body
//!   is then handled as one request whose final response echoes the last Block1 option.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use coap_lite::{CoapOption, MessageClass, Packet, RequestType};

use crate::path::Path;

use super::dm::Reply;

/// The most response bodies kept for follow-up Block2 requests.
pub(crate) const MAX_BODIES: usize = 8;

/// A rough bound of the header, token and options of a response: a block must fit the maximum
/// message size with them.
const OVERHEAD: usize = 64;

/// The block size used: the configured size rounded down to a power of two in 16..=1024, and
/// small enough for a block with its header to fit `max_message_size`.
pub(crate) fn block_size(configured: u16, max_message_size: usize) -> usize {
    let limit = usize::from(configured)
        .min(max_message_size.saturating_sub(OVERHEAD))
        .clamp(16, 1024);
    // The largest power of two not above `limit`.
    1 << (usize::BITS - 1 - limit.leading_zeros())
}

/// What identifies the body of a block-wise response for the peer's follow-up requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BodyKey {
    peer: SocketAddr,
    method: u8,
    path: Vec<Vec<u8>>,
    accept: Option<u16>,
    payload: Vec<u8>,
}

impl BodyKey {
    /// The key of `request` from `peer` (its Block2 and Observe options do not matter).
    pub(crate) fn of(peer: SocketAddr, request: &Packet) -> BodyKey {
        BodyKey {
            peer,
            method: u8::from(request.header.code),
            path: request
                .get_option(CoapOption::UriPath)
                .map(|values| values.iter().cloned().collect())
                .unwrap_or_default(),
            accept: crate::coap::options::accept(request).ok().flatten(),
            payload: request.payload.clone(),
        }
    }

    /// The key a follow-up GET of a notification's path would have.
    pub(crate) fn of_notification(peer: SocketAddr, path: &Path, accept: Option<u16>) -> BodyKey {
        BodyKey {
            peer,
            method: u8::from(MessageClass::Request(RequestType::Get)),
            path: path
                .ids()
                .iter()
                .map(|id| id.to_string().into_bytes())
                .collect(),
            accept,
            payload: Vec::new(),
        }
    }
}

/// Response bodies kept for follow-up Block2 requests: see the module documentation.
#[derive(Debug)]
pub(crate) struct BodyCache {
    lifetime: Duration,
    entries: VecDeque<(BodyKey, Reply, Instant)>,
}

impl BodyCache {
    /// A cache keeping bodies for `lifetime`.
    pub(crate) fn new(lifetime: Duration) -> BodyCache {
        BodyCache {
            lifetime,
            entries: VecDeque::new(),
        }
    }

    /// The reply kept for `key`, if it has not expired.
    pub(crate) fn get(&mut self, now: Instant, key: &BodyKey) -> Option<Reply> {
        let lifetime = self.lifetime;
        self.entries
            .retain(|(_, _, at)| now.saturating_duration_since(*at) < lifetime);
        self.entries
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, reply, _)| reply.clone())
    }

    /// Keeps `reply` (without its effects, which were carried out) for `key`.
    pub(crate) fn insert(&mut self, now: Instant, key: BodyKey, reply: &Reply) {
        self.entries.retain(|(k, _, _)| *k != key);
        if self.entries.len() >= MAX_BODIES {
            self.entries.pop_front();
        }
        let mut kept = reply.clone();
        kept.effects.clear();
        self.entries.push_back((key, kept, now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_sizes_are_powers_of_two_that_fit() {
        assert_eq!(block_size(512, 1152), 512);
        assert_eq!(block_size(1024, 1152), 1024);
        assert_eq!(block_size(1000, 1152), 512);
        assert_eq!(block_size(1024, 600), 512);
        assert_eq!(block_size(1, 1152), 16);
        assert_eq!(block_size(4096, 100_000), 1024);
    }
}
