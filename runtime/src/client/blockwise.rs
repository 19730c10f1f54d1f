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
//! - **Outgoing Block1** (the client's own large requests: Register, an Update carrying links,
//!   Send; RFC 7959 §2.3, §2.5): [`OutgoingBody`]. A confirmable request whose message (counted
//!   with an 8-byte token) exceeds `Config::max_message_size` goes in blocks of
//!   `Config::block_size`, reduced to the largest power of two (16..=1024) that fits the message
//!   size with the request's options, the Block1 option and Size1. Every block is a confirmable
//!   request with the same options and token, a new message id, `Block1 NUM/M/SZX`, and block 0
//!   carries `Size1` = the whole body's size. 2.31 Continue (or another success code, from a
//!   server acting on each block) moves to the next block; a smaller SZX in the server's Block1
//!   answer is used from the next block on (the next NUM is the next offset at that size). 4.13
//!   Request Entity Too Large with a Block1 option of a smaller SZX starts over from block 0 at
//!   that size (a request sent whole goes block-wise), unless its Size1 is below the body's size;
//!   4.08 Request Entity Incomplete starts over from block 0; at most [`MAX_RESTARTS`] starts
//!   over, after which the answer is final. Any other answer is the operation's result. Bodies
//!   larger than [`MAX_REQUEST_BODY`] are refused before anything is sent.

use crate::prelude::*;
use crate::time::Instant;
use core::net::SocketAddr;
use core::time::Duration;

use coap_lite::{CoapOption, MessageClass, RequestType, ResponseType};

use crate::coap::block::{self, BlockError, BlockOption, szx_for_size};
use crate::coap::{Outgoing, ReadMessage, WriteMessage, options};
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
    pub(crate) fn of(peer: SocketAddr, request: &impl ReadMessage) -> BodyKey {
        BodyKey {
            peer,
            method: u8::from(request.code()),
            path: request
                .option_values(CoapOption::UriPath)
                .map(<[u8]>::to_vec)
                .collect(),
            accept: crate::coap::options::accept(request).ok().flatten(),
            payload: request.payload().to_vec(),
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
    entries: Vec<(BodyKey, Reply, Instant)>,
}

impl BodyCache {
    /// A cache keeping bodies for `lifetime`.
    pub(crate) fn new(lifetime: Duration) -> BodyCache {
        BodyCache {
            lifetime,
            entries: Vec::new(),
        }
    }

    /// The reply kept for `key`, if it has not expired.
    pub(crate) fn get(&mut self, now: Instant, key: &BodyKey) -> Option<Reply> {
        let lifetime = self.lifetime;
        self.entries
            .retain(|(_, _, at)| now.saturating_duration_since(*at) < lifetime);
        let exact = self.entries.iter().rev().find(|(k, _, _)| k == key);
        // A follow-up without the request's payload (aiocoap sends the later blocks of a FETCH
        // with an empty one) continues the newest body of the same request otherwise.
        let same_request = || {
            self.entries.iter().rev().find(|(k, _, _)| {
                key.payload.is_empty()
                    && k.peer == key.peer
                    && k.method == key.method
                    && k.path == key.path
                    && k.accept == key.accept
            })
        };
        exact
            .or_else(same_request)
            .map(|(_, reply, _)| reply.clone())
    }

    /// Keeps `reply` (without its effects, which were carried out) for `key`.
    pub(crate) fn insert(&mut self, now: Instant, key: BodyKey, reply: &Reply) {
        self.entries.retain(|(k, _, _)| *k != key);
        if self.entries.len() >= MAX_BODIES {
            self.entries.remove(0);
        }
        let mut kept = reply.clone();
        kept.effects.clear();
        self.entries.push((key, kept, now));
    }
}

/// The largest request body the client sends block-wise (Register and Update links, Send
/// payloads): 64 KiB, at most 4096 blocks of 16 bytes. A bigger body is refused before anything
/// is sent (a Send with [`SendError::TooLarge`](super::SendError::TooLarge), a Register with
/// [`Event::RegistrationFailed`](super::Event::RegistrationFailed)).
pub(crate) const MAX_REQUEST_BODY: usize = 64 * 1024;

/// How many times a block-wise request starts over from block 0 (after 4.08, or 4.13 with a
/// smaller block size) before the server's answer is taken as final.
pub(crate) const MAX_RESTARTS: u8 = 3;

/// The longest token the client uses, counted in the size of every request.
const TOKEN_LEN: usize = 8;

/// Why a request cannot be sent, whole or block-wise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum OutgoingError {
    /// The body exceeds [`MAX_REQUEST_BODY`].
    #[error("a request body of {size} bytes exceeds the {max}-byte limit of block-wise requests")]
    BodyTooLarge {
        /// The body's size.
        size: usize,
        /// [`MAX_REQUEST_BODY`].
        max: usize,
    },
    /// The request's options leave no room for a 16-byte block.
    #[error("the request's options leave no room for a block in {max}-byte messages")]
    NoRoom {
        /// The maximum message size.
        max: usize,
    },
    /// The request cannot be encoded as a CoAP message.
    #[error("the request cannot be encoded as a CoAP message")]
    Encode,
}

/// What to do after a response to a request sent by [`OutgoingBody`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Send [`OutgoingBody::packet`]: the next block, or block 0 again.
    Send,
    /// The response is the request's final one.
    Final,
}

/// A confirmable request of the client and how its body goes out: whole, or in Block1 blocks
/// (see the module documentation).
#[derive(Debug, Clone)]
pub(crate) struct OutgoingBody {
    /// The request without payload (token and message id are set per message).
    template: Outgoing,
    body: Vec<u8>,
    /// When sent block-wise: the size exponent and the number of the block in flight.
    block: Option<(u8, u32)>,
    /// How many times the transfer started over.
    restarts: u8,
}

impl OutgoingBody {
    /// How `request` is sent with blocks of at most `configured` bytes in messages of at most
    /// `max_message_size` bytes.
    pub(crate) fn plan(
        request: Outgoing,
        configured: u16,
        max_message_size: usize,
    ) -> Result<OutgoingBody, OutgoingError> {
        let mut template = request;
        let body = template.take_payload();
        let mut outgoing = OutgoingBody {
            template,
            body,
            block: None,
            restarts: 0,
        };
        let whole = outgoing.whole_len()?;
        if whole <= max_message_size || outgoing.body.is_empty() {
            return Ok(outgoing);
        }
        if outgoing.body.len() > MAX_REQUEST_BODY {
            return Err(OutgoingError::BodyTooLarge {
                size: outgoing.body.len(),
                max: MAX_REQUEST_BODY,
            });
        }
        let overhead = outgoing.block_overhead()?;
        let limit = usize::from(configured)
            .min(1024)
            .min(max_message_size.saturating_sub(overhead));
        if limit < 16 {
            return Err(OutgoingError::NoRoom {
                max: max_message_size,
            });
        }
        // The largest power of two not above `limit`.
        let size = 1 << (usize::BITS - 1 - limit.leading_zeros());
        let szx = szx_for_size(size).map_err(|_| OutgoingError::NoRoom {
            max: max_message_size,
        })?;
        outgoing.block = Some((szx, 0));
        Ok(outgoing)
    }

    /// The size of the whole request in one message, with the longest token.
    fn whole_len(&self) -> Result<usize, OutgoingError> {
        let mut packet = self.template.clone();
        packet.set_token(&[0; TOKEN_LEN]);
        packet.set_payload_vec(self.body.clone());
        packet
            .into_bytes(usize::MAX)
            .map(|bytes| bytes.len())
            .map_err(|_| OutgoingError::Encode)
    }

    /// The size of a block's message without the block's bytes: header, longest token, options
    /// with the longest Block1 and Size1 values, payload marker.
    fn block_overhead(&self) -> Result<usize, OutgoingError> {
        let mut packet = self.template.clone();
        packet.set_token(&[0; TOKEN_LEN]);
        packet.push_option(CoapOption::Block1, &[0xff; 3]);
        options::set_uint(&mut packet, CoapOption::Size1, u32::MAX);
        packet
            .into_bytes(usize::MAX)
            .map(|bytes| bytes.len() + 1)
            .map_err(|_| OutgoingError::Encode)
    }

    /// The request message to send now (without token and message id): the whole request, or
    /// the block in flight with its Block1 option (and Size1 in block 0).
    pub(crate) fn packet(&self) -> Result<Outgoing, BlockError> {
        let mut packet = self.template.clone();
        let Some((szx, num)) = self.block else {
            packet.set_payload_vec(self.body.clone());
            return Ok(packet);
        };
        let (slice, option) = block::block_of(&self.body, num, szx)?;
        packet.set_payload(slice);
        block::set_block1(&mut packet, option);
        if num == 0 {
            let size = u32::try_from(self.body.len()).unwrap_or(u32::MAX);
            options::set_uint(&mut packet, CoapOption::Size1, size);
        }
        Ok(packet)
    }

    /// Whether `response` can answer the block in flight: a success (2.31 Continue included)
    /// whose Block1 option names another block acknowledges an earlier one, repeated (RFC 7959
    /// §2.3: NUM is the block acknowledged, the SZX may be smaller). A request sent whole and an
    /// error take any answer.
    pub(crate) fn answers(&self, response: &impl ReadMessage) -> bool {
        let Some((_, num)) = self.block else {
            return true;
        };
        if !super::message::is_success(response.code()) {
            return true;
        }
        match block::block1(response) {
            Ok(Some(block1)) => block1.num() == num,
            _ => true,
        }
    }

    /// Takes the server's `response` to the message last sent: what comes next.
    pub(crate) fn advance(&mut self, response: &impl ReadMessage) -> Step {
        let MessageClass::Response(code) = response.code() else {
            return Step::Final;
        };
        let hint = block::block1(response).ok().flatten();
        match code {
            ResponseType::RequestEntityTooLarge => {
                let size1 = options::uint(response, CoapOption::Size1).ok().flatten();
                self.shrink(hint, size1)
            }
            ResponseType::RequestEntityIncomplete => match self.block {
                Some((szx, _)) => self.restart(szx),
                None => Step::Final,
            },
            ResponseType::Continue => self.next(hint),
            _ if super::message::is_success(response.code()) => self.next(hint),
            _ => Step::Final,
        }
    }

    /// The block in flight was taken: the next one, at the server's block size if smaller.
    fn next(&mut self, hint: Option<BlockOption>) -> Step {
        let Some((szx, num)) = self.block else {
            return Step::Final;
        };
        let Ok(sent) = BlockOption::with_szx(num, false, szx) else {
            return Step::Final;
        };
        let end = sent.offset().saturating_add(sent.size());
        if end >= self.body.len() {
            return Step::Final;
        }
        let next_szx = hint.map_or(szx, |h| h.szx().min(szx));
        let Ok(next_num) = u32::try_from(end >> (usize::from(next_szx) + 4)) else {
            return Step::Final;
        };
        self.block = Some((next_szx, next_num));
        Step::Send
    }

    /// 4.13: start over with the smaller block size the server asks for, if any and if the
    /// whole body is not above the size it accepts.
    fn shrink(&mut self, hint: Option<BlockOption>, size1: Option<u32>) -> Step {
        let too_large =
            size1.is_some_and(|max| usize::try_from(max).is_ok_and(|max| max < self.body.len()));
        let Some(hint) = hint else {
            return Step::Final;
        };
        let smaller = self.block.is_none_or(|(szx, _)| hint.szx() < szx);
        if too_large || !smaller || self.body.is_empty() {
            return Step::Final;
        }
        self.restart(hint.szx())
    }

    /// Starts over from block 0 at size exponent `szx`, unless it did too often.
    fn restart(&mut self, szx: u8) -> Step {
        if self.restarts >= MAX_RESTARTS {
            return Step::Final;
        }
        self.restarts += 1;
        self.block = Some((szx, 0));
        Step::Send
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_follow_up_without_the_fetch_payload_continues_the_same_request() {
        let peer = SocketAddr::from(([127, 0, 0, 1], 5683));
        let fetch = |payload: &[u8]| {
            crate::coap::message::RequestBuilder::new(RequestType::Fetch, 0, &[])
                .payload(payload.to_vec())
                .build()
                .unwrap()
        };
        let mut cache = BodyCache::new(Duration::from_secs(60));
        let now = Instant::ZERO;
        let mut reply = Reply::code(coap_lite::ResponseType::Content);
        reply.payload = vec![1; 100];
        cache.insert(now, BodyKey::of(peer, &fetch(b"[\"/3\"]")), &reply);
        assert_eq!(
            cache.get(now, &BodyKey::of(peer, &fetch(b"[\"/3\"]"))),
            Some(reply.clone())
        );
        assert_eq!(cache.get(now, &BodyKey::of(peer, &fetch(b""))), Some(reply));
        // Another payload is another request.
        assert_eq!(
            cache.get(now, &BodyKey::of(peer, &fetch(b"[\"/1\"]"))),
            None
        );
        let other = SocketAddr::from(([127, 0, 0, 1], 5783));
        assert_eq!(cache.get(now, &BodyKey::of(other, &fetch(b""))), None);
    }

    #[test]
    fn block_sizes_are_powers_of_two_that_fit() {
        assert_eq!(block_size(512, 1152), 512);
        assert_eq!(block_size(1024, 1152), 1024);
        assert_eq!(block_size(1000, 1152), 512);
        assert_eq!(block_size(1024, 600), 512);
        assert_eq!(block_size(1, 1152), 16);
        assert_eq!(block_size(4096, 100_000), 1024);
    }

    fn post(payload_len: usize) -> Outgoing {
        crate::coap::message::RequestBuilder::new(RequestType::Post, 0, &[])
            .path(["dp"])
            .payload(vec![7; payload_len])
            .build_message()
            .unwrap()
    }

    #[test]
    fn a_request_that_fits_goes_whole_and_a_larger_one_in_fitting_blocks() {
        let whole = OutgoingBody::plan(post(1000), 512, 1152).unwrap();
        let packet = whole.packet().unwrap();
        assert_eq!(packet.payload().len(), 1000);
        assert!(block::block1(&packet).unwrap().is_none());

        let blocks = OutgoingBody::plan(post(1200), 512, 1152).unwrap();
        let packet = blocks.packet().unwrap();
        let block1 = block::block1(&packet).unwrap().unwrap();
        assert_eq!((block1.num(), block1.more(), block1.size()), (0, true, 512));
        assert_eq!(options::uint(&packet, CoapOption::Size1), Ok(Some(1200)));
        // 100-byte messages leave room for 64-byte blocks only.
        let small = OutgoingBody::plan(post(200), 1024, 100).unwrap();
        let packet = small.packet().unwrap();
        assert_eq!(packet.payload().len(), 64);
        assert!(packet.into_bytes(usize::MAX).unwrap().len() <= 100);
    }

    #[test]
    fn a_body_above_the_bound_or_without_room_for_a_block_is_refused() {
        assert_eq!(
            OutgoingBody::plan(post(MAX_REQUEST_BODY + 1), 512, 1152).unwrap_err(),
            OutgoingError::BodyTooLarge {
                size: MAX_REQUEST_BODY + 1,
                max: MAX_REQUEST_BODY
            }
        );
        assert!(OutgoingBody::plan(post(MAX_REQUEST_BODY), 512, 1152).is_ok());
        assert_eq!(
            OutgoingBody::plan(post(100), 512, 40).unwrap_err(),
            OutgoingError::NoRoom { max: 40 }
        );
    }
}
