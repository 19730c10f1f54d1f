//! Push: a server writes the package to Package (`/5/0/0`), whole or block-wise (Block1, RFC
//! 7959 §2.5). Each block goes to the sink as it arrives, answered 2.31 Continue; the last one is
//! answered 2.04 once the sink checked the package. Unlike other writes (reassembled by
//! `coap::Block1Assembler`, bounded by `Config::max_request_body`), nothing is kept: a package
//! may be far larger than the device's RAM.
//!
//! - Block 0 starts a package (its Size1 tells the sink the size to expect), or starts the one
//!   arriving from the same server over; a Package of one NUL byte or none resets the update.
//! - Block N must continue where the package stands: a repeat of the block just taken is
//!   answered again without writing it twice; anything else is 4.08 Request Entity Incomplete.
//! - The payload is the package itself (Content-Format 42 or none) or one TLV resource (11542,
//!   whose header comes whole in block 0 and is skipped); other formats get 4.15.
//! - No block for `EXCHANGE_LIFETIME`: the package is dropped, Update Result 4.

use crate::prelude::*;
use crate::time::Instant;
use core::net::SocketAddr;

use coap_lite::{CoapOption, MessageClass, ResponseType};

use crate::coap::block::{self, BlockOption};
use crate::coap::options;
use crate::coap::{MessageRef, Outgoing, ReadMessage};
use crate::firmware::{UpdateResult, UpdateState};
use crate::objects::FirmwareUpdate;

use super::super::dm::{self, Effect, Reply};
use super::super::engine::{Engine, Requester};
use super::super::operation::{Operation, Request};
use super::{INSTANCE, Transfer, refusal};

/// A package being pushed block by block.
#[derive(Debug)]
pub(in crate::client) struct Push {
    /// The server pushing it.
    peer: SocketAddr,
    /// The bytes of the request body taken so far (a TLV header included).
    received: usize,
    /// When the package is given up if no block comes.
    pub(super) deadline: Instant,
}

/// Whether a Package value resets the update: none, or one NUL byte (Object 5's "NULL").
fn is_reset(package: &[u8]) -> bool {
    matches!(package, [] | [0])
}

/// The length of the header of the TLV resource `/x/x/0` at the start of `block`, if it is one.
fn tlv_header_len(block: &[u8]) -> Option<usize> {
    let (&first, rest) = block.split_first()?;
    // Bits 7-6: 11 = a resource with its value; bit 5: a 16-bit identifier; bits 4-3: how many
    // bytes of length follow (0: the length is in bits 2-0).
    if first >> 6 != 0b11 {
        return None;
    }
    let id_len = if first & 0x20 != 0 { 2 } else { 1 };
    let length_len = usize::from((first >> 3) & 0b11);
    let id = rest.get(..id_len)?;
    if id.iter().any(|b| *b != 0) {
        return None;
    }
    let header = 1 + id_len + length_len;
    (block.len() >= header).then_some(header)
}

/// How a pushed payload is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    /// The package's bytes (Content-Format 42, or none).
    Raw,
    /// One TLV resource.
    Tlv,
}

impl Engine {
    /// A Write of Package sent whole: the package in one chunk.
    pub(in crate::client) fn push_whole(&mut self, package: &[u8]) -> Reply {
        if self.firmware.is_some() && is_reset(package) {
            self.forget_download();
        }
        let Some(firmware) = self.firmware.as_mut() else {
            return Reply::code(ResponseType::NotFound);
        };
        if is_reset(package) {
            firmware.reset(UpdateResult::Initial);
            return Reply::code(ResponseType::Changed);
        }
        if !firmware.pushes() || firmware.state != UpdateState::Idle {
            return Reply::code(ResponseType::MethodNotAllowed);
        }
        firmware.start(Transfer::None);
        let size = u32::try_from(package.len()).ok();
        if let Err(e) = firmware
            .sink
            .begin(size)
            .and_then(|()| firmware.sink.write(package))
        {
            firmware.fail(e);
            return refusal(e);
        }
        firmware.finish();
        Reply::code(ResponseType::Changed)
    }

    /// A block of a Package write (a request on `/5/0/0` carrying Block1): the response, or
    /// `None` when the request is not one (it is served as usual).
    pub(in crate::client) fn firmware_push_block(
        &mut self,
        now: Instant,
        from: SocketAddr,
        request: &MessageRef<'_>,
        classified: &Request,
        requester: Requester,
        next_id: u16,
    ) -> Option<(Outgoing, Vec<Effect>)> {
        let path = classified.path?;
        if !self.firmware_handles(&path)
            || *path.ids() != [FirmwareUpdate::ID, INSTANCE, FirmwareUpdate::PACKAGE]
            || !matches!(classified.operation, Operation::Write { .. })
        {
            return None;
        }
        let Ok(Some(block)) = block::block1(request) else {
            return None;
        };
        let policy = self.policy(requester);
        let reply = match dm::check_access(&self.store, &policy, classified) {
            Err(refused) => refused,
            Ok(()) => match options::content_format(request) {
                Ok(None | Some(42)) => self.push_block(now, from, request, block, Encoding::Raw),
                Ok(Some(11542 | 1542)) => self.push_block(now, from, request, block, Encoding::Tlv),
                _ => Reply::code(ResponseType::UnsupportedContentFormat),
            },
        };
        self.publish_firmware(now);
        let mut response = Outgoing::response(request, reply.code, next_id);
        let more = match reply.code {
            MessageClass::Response(ResponseType::Continue) => Some(true),
            MessageClass::Response(ResponseType::Changed) => Some(false),
            _ => None,
        };
        if let Some(more) = more
            && let Ok(echo) = BlockOption::with_szx(block.num(), more, block.szx())
        {
            block::set_block1(&mut response, echo);
        }
        Some((response, Vec::new()))
    }

    /// Takes one block: see the [module documentation](self).
    fn push_block(
        &mut self,
        now: Instant,
        from: SocketAddr,
        request: &MessageRef<'_>,
        block: BlockOption,
        encoding: Encoding,
    ) -> Reply {
        let payload = request.payload();
        let lifetime = self.config.transmission.exchange_lifetime();
        if block.num() == 0 {
            let restart = matches!(
                self.firmware.as_ref().map(|f| &f.transfer),
                Some(Transfer::Push(push)) if push.peer == from
            );
            if !restart && !block.more() && is_reset(payload) {
                return self.push_whole(payload);
            }
            let Some(firmware) = self.firmware.as_mut() else {
                return Reply::code(ResponseType::NotFound);
            };
            if restart {
                firmware.sink.abort();
            } else if !firmware.pushes() || firmware.state != UpdateState::Idle {
                return Reply::code(ResponseType::MethodNotAllowed);
            }
            let skip = match encoding {
                Encoding::Raw => 0,
                Encoding::Tlv => match tlv_header_len(payload) {
                    Some(header) => header,
                    None => return Reply::code(ResponseType::BadRequest),
                },
            };
            firmware.start(Transfer::Push(Push {
                peer: from,
                received: payload.len(),
                deadline: now + lifetime,
            }));
            let size = options::uint(request, CoapOption::Size1).ok().flatten();
            if let Err(e) = firmware
                .sink
                .begin(size)
                .and_then(|()| firmware.sink.write(&payload[skip..]))
            {
                firmware.fail(e);
                return refusal(e);
            }
        } else {
            let Some(firmware) = self.firmware.as_mut() else {
                return Reply::code(ResponseType::NotFound);
            };
            let Transfer::Push(push) = &mut firmware.transfer else {
                return Reply::code(ResponseType::RequestEntityIncomplete);
            };
            if push.peer != from {
                return Reply::code(ResponseType::RequestEntityIncomplete);
            }
            let offset = block.offset();
            if offset == push.received {
                push.received += payload.len();
                push.deadline = now + lifetime;
                if let Err(e) = firmware.sink.write(payload) {
                    firmware.fail(e);
                    return refusal(e);
                }
            } else if offset + payload.len() != push.received {
                // Not the next block, nor a repeat of the last one.
                return Reply::code(ResponseType::RequestEntityIncomplete);
            }
        }
        if block.more() {
            return Reply::code(ResponseType::Continue);
        }
        if let Some(firmware) = self.firmware.as_mut()
            && matches!(firmware.transfer, Transfer::Push(_))
        {
            firmware.finish();
        }
        Reply::code(ResponseType::Changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tlv_header_of_resource_0_is_found_and_others_are_refused() {
        // 11 0 11 000: resource, 8-bit id, 24-bit length.
        assert_eq!(
            tlv_header_len(&[0xd8, 0x00, 0x01, 0x00, 0x00, 0xaa]),
            Some(5)
        );
        assert_eq!(tlv_header_len(&[0xc3, 0x00, 1, 2, 3]), Some(2));
        // A resource instance (01), or id 1, or a cut header.
        assert_eq!(tlv_header_len(&[0x43, 0x00, 1, 2, 3]), None);
        assert_eq!(tlv_header_len(&[0xc3, 0x01, 1, 2, 3]), None);
        assert_eq!(tlv_header_len(&[0xd8, 0x00, 0x01]), None);
        assert_eq!(tlv_header_len(&[]), None);
    }

    #[test]
    fn a_nul_byte_or_nothing_resets() {
        assert!(is_reset(&[]));
        assert!(is_reset(&[0]));
        assert!(!is_reset(&[0, 0]));
        assert!(!is_reset(b"x"));
    }
}
