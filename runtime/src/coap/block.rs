//! Block-wise transfers (RFC 7959), sans I/O.
//!
//! - [`BlockOption`]: the Block1/Block2 option value (NUM, M, SZX), strictly decoded;
//! - [`block_of`] and [`serve_block2`]: slicing a full body into the block a peer asked for
//!   (server-side Block2 for large reads, and the blocks of a large request sent with Block1);
//! - [`Block1Assembler`]: reassembly of a large incoming request body (Block1), keyed by peer,
//!   Uri-Path and Request-Tag, in order, with bounded memory and expiry.
//!
//! coap-lite's `block_handler` is not used: its `BlockValue` holds NUM in a `u16` and reads at most
//! 2 bytes (RFC 7959 allows 3, NUM up to 2^20 - 1) and accepts the reserved SZX 7; its
//! `BlockHandler` is bound to `CoapRequest`, keeps its cache on the wall clock (`lru_time_cache`)
//! instead of a time passed in, writes blocks at any offset instead of answering 4.08 to a gap,
//! and has no total size limit answered with 4.13 + Size1.

use crate::prelude::*;
use crate::time::Instant;
use core::time::Duration;
use litemap::LiteMap;

#[cfg(test)]
use coap_lite::Packet;
use coap_lite::{CoapOption, MessageClass, ResponseType};

use super::options::{self, decode_uint, encode_uint};
use super::wire::{ReadMessage, WriteMessage};

/// The largest block number (20 bits, RFC 7959 §2.2).
pub const MAX_NUM: u32 = (1 << 20) - 1;

/// A Block1/Block2 value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BlockError {
    /// The option value is longer than 3 bytes.
    #[error("block option of {len} bytes (at most 3)")]
    TooLong {
        /// The length found.
        len: usize,
    },
    /// SZX 7 is reserved (it means BERT, which only exists over reliable transports).
    #[error("block size exponent 7 is reserved")]
    ReservedSzx,
    /// A block size that is not a power of two from 16 to 1024.
    #[error("block size {size} is not a power of two from 16 to 1024")]
    InvalidSize {
        /// The size given.
        size: usize,
    },
    /// A block number above 2^20 - 1.
    #[error("block number {num} does not fit 20 bits")]
    NumTooLarge {
        /// The number given.
        num: u32,
    },
    /// The block starts at or beyond the end of the body (answer 4.02 Bad Option).
    #[error("block at offset {offset} is beyond the end of a {len}-byte body")]
    OutOfRange {
        /// The offset of the block asked for.
        offset: usize,
        /// The length of the body.
        len: usize,
    },
}

/// A Block1 or Block2 option value (RFC 7959 §2.2): block number, more flag and size exponent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlockOption {
    num: u32,
    more: bool,
    szx: u8,
}

/// The SZX of a block size: `size` must be a power of two from 16 to 1024.
pub fn szx_for_size(size: usize) -> Result<u8, BlockError> {
    match size {
        16 => Ok(0),
        32 => Ok(1),
        64 => Ok(2),
        128 => Ok(3),
        256 => Ok(4),
        512 => Ok(5),
        1024 => Ok(6),
        _ => Err(BlockError::InvalidSize { size }),
    }
}

impl BlockOption {
    /// A block value from its number, more flag and size in bytes (16, 32, ..., 1024).
    pub fn new(num: u32, more: bool, size: usize) -> Result<BlockOption, BlockError> {
        BlockOption::with_szx(num, more, szx_for_size(size)?)
    }

    /// A block value from its number, more flag and size exponent (0..=6).
    pub fn with_szx(num: u32, more: bool, szx: u8) -> Result<BlockOption, BlockError> {
        if num > MAX_NUM {
            return Err(BlockError::NumTooLarge { num });
        }
        if szx >= 7 {
            return Err(BlockError::ReservedSzx);
        }
        Ok(BlockOption { num, more, szx })
    }

    /// Decodes an option value: 0 to 3 bytes, NUM in the high 20 bits, M in bit 3, SZX in bits 0..=2.
    /// Non-minimal encodings are accepted.
    pub fn decode(bytes: &[u8]) -> Result<BlockOption, BlockError> {
        if bytes.len() > 3 {
            return Err(BlockError::TooLong { len: bytes.len() });
        }
        let value = decode_uint(0, bytes).map_err(|_| BlockError::TooLong { len: bytes.len() })?;
        // The mask makes the conversion infallible; szx 7 is refused by with_szx.
        let szx = u8::try_from(value & 0x7).unwrap_or(7);
        BlockOption::with_szx(value >> 4, value & 0x8 != 0, szx)
    }

    /// The minimal encoding of the value.
    pub fn encode(&self) -> Vec<u8> {
        encode_uint(self.value())
    }

    /// The option value as a number.
    fn value(&self) -> u32 {
        (self.num << 4) | (u32::from(self.more) << 3) | u32::from(self.szx)
    }

    /// The block number.
    pub fn num(&self) -> u32 {
        self.num
    }

    /// Whether more blocks follow.
    pub fn more(&self) -> bool {
        self.more
    }

    /// The size exponent: the block size is `2^(szx + 4)`.
    pub fn szx(&self) -> u8 {
        self.szx
    }

    /// The block size in bytes (16..=1024).
    pub fn size(&self) -> usize {
        1 << (self.szx + 4)
    }

    /// The byte offset of the block in the body (`num * size`; at most 2^30).
    pub fn offset(&self) -> usize {
        (self.num as usize) << (self.szx + 4)
    }
}

/// The Block1 option of a packet, if present.
pub fn block1(packet: &impl ReadMessage) -> Result<Option<BlockOption>, BlockError> {
    block_option(packet, CoapOption::Block1)
}

/// The Block2 option of a packet, if present.
pub fn block2(packet: &impl ReadMessage) -> Result<Option<BlockOption>, BlockError> {
    block_option(packet, CoapOption::Block2)
}

fn block_option(
    packet: &impl ReadMessage,
    option: CoapOption,
) -> Result<Option<BlockOption>, BlockError> {
    packet
        .first_option(option)
        .map(BlockOption::decode)
        .transpose()
}

/// Sets (replaces) the Block1 option.
pub fn set_block1(packet: &mut impl WriteMessage, block: BlockOption) {
    options::set_uint(packet, CoapOption::Block1, block.value());
}

/// Sets (replaces) the Block2 option.
pub fn set_block2(packet: &mut impl WriteMessage, block: BlockOption) {
    options::set_uint(packet, CoapOption::Block2, block.value());
}

/// Block `num` of size `2^(szx + 4)` of `body`, with its option value (M set when bytes follow).
///
/// Block 0 of an empty body is empty; any other block starting at or past the end is
/// [`BlockError::OutOfRange`]. Used for Block2 responses and for the blocks of a large request
/// sent with Block1.
pub fn block_of(body: &[u8], num: u32, szx: u8) -> Result<(&[u8], BlockOption), BlockError> {
    let probe = BlockOption::with_szx(num, false, szx)?;
    let offset = probe.offset();
    if offset > body.len() || (offset == body.len() && offset != 0) {
        return Err(BlockError::OutOfRange {
            offset,
            len: body.len(),
        });
    }
    let end = offset.saturating_add(probe.size()).min(body.len());
    let slice = body.get(offset..end).unwrap_or(&[]);
    Ok((
        slice,
        BlockOption {
            more: end < body.len(),
            ..probe
        },
    ))
}

/// One block of a Block2 response, ready to be put in the response packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block2Slice<'a> {
    /// The bytes of this block.
    pub payload: &'a [u8],
    /// The Block2 option of the response.
    pub block2: BlockOption,
    /// The size of the whole body (Size2 option, RFC 7959 §4).
    pub size2: u32,
}

impl Block2Slice<'_> {
    /// Puts the payload, the Block2 option and the Size2 option in `response`.
    pub fn apply(&self, response: &mut impl WriteMessage) {
        response.set_payload(self.payload);
        set_block2(response, self.block2);
        options::set_uint(response, CoapOption::Size2, self.size2);
    }
}

/// Server-side Block2 (RFC 7959 §2.4): the block of `body` to answer a request with.
///
/// `requested` is the request's Block2 option (None on a first request); `max_size` is the
/// largest block this side sends (16..=1024). When the peer asks for a bigger block than
/// `max_size`, the block is served at `max_size` and the number scaled so that the offset is the
/// one asked for. A block starting beyond the body is [`BlockError::OutOfRange`]: answer 4.02 Bad
/// Option.
pub fn serve_block2(
    body: &[u8],
    requested: Option<BlockOption>,
    max_size: usize,
) -> Result<Block2Slice<'_>, BlockError> {
    let max_szx = szx_for_size(max_size)?;
    let (num, szx) = match requested {
        None => (0, max_szx),
        Some(block) if block.szx <= max_szx => (block.num, block.szx),
        Some(block) => {
            let scaled = u64::from(block.num) << (block.szx - max_szx);
            let num = u32::try_from(scaled).unwrap_or(u32::MAX);
            (num, max_szx)
        }
    };
    let (payload, block2) = block_of(body, num, szx)?;
    Ok(Block2Slice {
        payload,
        block2,
        size2: u32::try_from(body.len()).unwrap_or(u32::MAX),
    })
}

/// Limits of a [`Block1Assembler`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block1Config {
    /// Largest body accepted; bigger ones are refused with 4.13 and Size1 = this.
    pub max_body: usize,
    /// Most transfers in progress at once; the least recently active is dropped for a new one.
    pub max_transfers: usize,
    /// A transfer with no block for this long is dropped (default `EXCHANGE_LIFETIME`, 247 s).
    pub lifetime: Duration,
}

impl Default for Block1Config {
    /// 1 MiB bodies, 4 transfers, 247 s: at most 4 MiB held.
    fn default() -> Self {
        Block1Config {
            max_body: 1 << 20,
            max_transfers: 4,
            lifetime: Duration::from_secs(247),
        }
    }
}

/// What to do with a request after [`Block1Assembler::handle`].
#[derive(Debug, Clone, PartialEq)]
pub enum Block1Outcome {
    /// No Block1 option: process the request as it is.
    NotBlockwise,
    /// A non-final block was stored: answer 2.31 Continue carrying this Block1 option
    /// ([`Block1Outcome::apply`] does it).
    Continue {
        /// The Block1 option of the 2.31 response (the request's, echoed).
        block1: BlockOption,
    },
    /// The final block arrived: process the request with `body` in place of its payload, and put
    /// `block1` in the final response ([`Block1Outcome::apply`]).
    Complete {
        /// The whole reassembled body.
        body: Vec<u8>,
        /// The Block1 option of the final response (the request's, echoed, M = 0).
        block1: BlockOption,
    },
    /// Refuse the request with `code`: 4.08 Request Entity Incomplete (a block out of order or
    /// without its predecessors), 4.13 Request Entity Too Large (with `size1`, the largest body
    /// accepted), 4.00 Bad Request (a non-final block of the wrong size), 4.02 Bad Option (an
    /// unusable Block1 value).
    Reject {
        /// The response code.
        code: ResponseType,
        /// The Size1 option to add (with 4.13).
        size1: Option<u32>,
    },
}

impl Block1Outcome {
    /// Sets the response code and options this outcome calls for on `response`: code 2.31 and
    /// Block1 for `Continue`, Block1 for `Complete` (the code is the operation's), the code and
    /// Size1 for `Reject`, nothing for `NotBlockwise`.
    pub fn apply(&self, response: &mut impl WriteMessage) {
        match self {
            Block1Outcome::NotBlockwise => {}
            Block1Outcome::Continue { block1 } => {
                response.set_code(MessageClass::Response(ResponseType::Continue));
                set_block1(response, *block1);
            }
            Block1Outcome::Complete { block1, .. } => set_block1(response, *block1),
            Block1Outcome::Reject { code, size1 } => {
                response.set_code(MessageClass::Response(*code));
                if let Some(size1) = size1 {
                    options::set_uint(response, CoapOption::Size1, *size1);
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct TransferKey<P> {
    peer: P,
    path: Vec<Vec<u8>>,
    request_tag: Option<Vec<u8>>,
}

#[derive(Debug, Clone)]
struct Transfer {
    body: Vec<u8>,
    /// Offset of the last block appended (a retransmission of it is answered again).
    last_offset: usize,
    updated: Instant,
}

/// Reassembles request bodies sent with Block1 (RFC 7959 §2.5), in order.
///
/// A transfer is keyed by peer, Uri-Path and Request-Tag (RFC 9175), starts with block 0 (which
/// restarts any transfer under the same key) and continues with the block at the offset where the
/// body ends; block sizes may change between blocks since only offsets are compared. A repeated
/// last block is answered again without being appended. Memory is bounded by
/// `max_transfers * max_body`, and idle transfers expire after `lifetime`.
#[derive(Debug, Clone)]
pub struct Block1Assembler<P: Ord + Clone> {
    config: Block1Config,
    transfers: LiteMap<TransferKey<P>, Transfer>,
}

impl<P: Ord + Clone> Block1Assembler<P> {
    /// An assembler with these limits.
    pub fn new(config: Block1Config) -> Self {
        Block1Assembler {
            config,
            transfers: LiteMap::new(),
        }
    }

    /// The number of transfers in progress.
    pub fn len(&self) -> usize {
        self.transfers.len()
    }

    /// Whether no transfer is in progress.
    pub fn is_empty(&self) -> bool {
        self.transfers.is_empty()
    }

    /// Drops the transfers idle for `lifetime` or longer at `now`.
    pub fn expire(&mut self, now: Instant) {
        let lifetime = self.config.lifetime;
        self.transfers
            .retain(|_, transfer| now.saturating_duration_since(transfer.updated) < lifetime);
    }

    /// Handles a request from `peer` at `now`: see [`Block1Outcome`] for what to answer.
    pub fn handle(&mut self, now: Instant, peer: &P, request: &impl ReadMessage) -> Block1Outcome {
        let block = match block1(request) {
            Ok(None) => return Block1Outcome::NotBlockwise,
            Ok(Some(block)) => block,
            Err(_) => return reject(ResponseType::BadOption, None),
        };
        self.expire(now);
        let max_size1 = u32::try_from(self.config.max_body).unwrap_or(u32::MAX);
        let key = TransferKey {
            peer: peer.clone(),
            path: request
                .option_values(CoapOption::UriPath)
                .map(<[u8]>::to_vec)
                .collect(),
            request_tag: options::request_tag(request),
        };
        let announced = options::uint(request, CoapOption::Size1).ok().flatten();
        if announced.is_some_and(|size| size as usize > self.config.max_body) {
            self.transfers.remove(&key);
            return reject(ResponseType::RequestEntityTooLarge, Some(max_size1));
        }
        let payload = request.payload();
        let size_ok = if block.more() {
            payload.len() == block.size()
        } else {
            payload.len() <= block.size()
        };
        if !size_ok {
            return reject(ResponseType::BadRequest, None);
        }
        let offset = block.offset();
        if offset == 0 {
            self.transfers.remove(&key);
            self.make_room();
        } else {
            match self.transfers.get(&key) {
                None => return reject(ResponseType::RequestEntityIncomplete, None),
                Some(transfer) if offset == transfer.body.len() => {}
                Some(transfer)
                    if block.more()
                        && offset == transfer.last_offset
                        && transfer.body.get(offset..) == Some(payload) =>
                {
                    // The same block again (its 2.31 was lost): answer it again.
                    return Block1Outcome::Continue { block1: block };
                }
                Some(_) => return reject(ResponseType::RequestEntityIncomplete, None),
            }
        }
        if offset.saturating_add(payload.len()) > self.config.max_body {
            self.transfers.remove(&key);
            return reject(ResponseType::RequestEntityTooLarge, Some(max_size1));
        }
        let transfer = self.transfers.entry(key.clone()).or_insert(Transfer {
            body: Vec::new(),
            last_offset: 0,
            updated: now,
        });
        transfer.body.extend_from_slice(payload);
        transfer.last_offset = offset;
        transfer.updated = now;
        if block.more() {
            Block1Outcome::Continue { block1: block }
        } else {
            let body = self
                .transfers
                .remove(&key)
                .map(|transfer| transfer.body)
                .unwrap_or_default();
            Block1Outcome::Complete {
                body,
                block1: block,
            }
        }
    }

    /// Drops the least recently active transfers until a new one fits `max_transfers`.
    fn make_room(&mut self) {
        while self.transfers.len() >= self.config.max_transfers.max(1) {
            let oldest = self
                .transfers
                .iter()
                .min_by_key(|(_, transfer)| transfer.updated)
                .map(|(key, _)| key.clone());
            match oldest {
                Some(key) => {
                    self.transfers.remove(&key);
                }
                None => break,
            }
        }
    }
}

fn reject(code: ResponseType, size1: Option<u32>) -> Block1Outcome {
    Block1Outcome::Reject { code, size1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coap_block_value_bits() {
        let block = BlockOption::new(5, true, 512).unwrap();
        assert_eq!(block.encode(), vec![0x5d]);
        assert_eq!(BlockOption::decode(&[0x5d]), Ok(block));
        assert_eq!(block.offset(), 2560);
        let big = BlockOption::with_szx(MAX_NUM, false, 6).unwrap();
        assert_eq!(big.encode().len(), 3);
        assert_eq!(BlockOption::decode(&big.encode()), Ok(big));
        assert_eq!(BlockOption::decode(&[]), BlockOption::new(0, false, 16));
        assert_eq!(
            BlockOption::decode(&[0, 0, 0x0e]),
            BlockOption::new(0, true, 1024)
        );
    }

    #[test]
    fn coap_block_of_edges() {
        let body = [7u8; 40];
        let (slice, block) = block_of(&body, 2, 0).unwrap();
        assert_eq!((slice.len(), block.more()), (8, false));
        let (slice, block) = block_of(&body, 1, 0).unwrap();
        assert_eq!((slice.len(), block.more()), (16, true));
        assert_eq!(
            block_of(&body, 3, 0),
            Err(BlockError::OutOfRange {
                offset: 48,
                len: 40
            })
        );
        let (slice, block) = block_of(&[], 0, 2).unwrap();
        assert!(slice.is_empty() && !block.more());
        let exact = [1u8; 32];
        assert_eq!(
            block_of(&exact, 2, 0),
            Err(BlockError::OutOfRange {
                offset: 32,
                len: 32
            })
        );
    }

    #[test]
    fn coap_serve_block2_scales_big_requests_down() {
        let body: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
        let asked = BlockOption::new(1, false, 1024).unwrap();
        let slice = serve_block2(&body, Some(asked), 512).unwrap();
        assert_eq!(slice.block2.num(), 2);
        assert_eq!(slice.block2.size(), 512);
        assert_eq!(slice.payload, &body[1024..1536]);
        assert_eq!(slice.size2, 3000);
        assert_eq!(
            serve_block2(&body, None, 500),
            Err(BlockError::InvalidSize { size: 500 })
        );
    }

    #[test]
    fn coap_block1_limits_and_expiry() {
        let config = Block1Config {
            max_body: 40,
            max_transfers: 1,
            lifetime: Duration::from_secs(10),
        };
        let mut assembler = Block1Assembler::new(config);
        let now = Instant::now();
        let mut first = Packet::new();
        first.add_option(CoapOption::UriPath, b"5".to_vec());
        set_block1(&mut first, BlockOption::new(0, true, 32).unwrap());
        first.payload = vec![1; 32];
        assert!(matches!(
            assembler.handle(now, &1u8, &first),
            Block1Outcome::Continue { .. }
        ));
        // The same block again is answered again.
        assert!(matches!(
            assembler.handle(now, &1u8, &first),
            Block1Outcome::Continue { .. }
        ));
        let mut second = first.clone();
        set_block1(&mut second, BlockOption::new(1, true, 32).unwrap());
        assert_eq!(
            assembler.handle(now, &1u8, &second),
            reject(ResponseType::RequestEntityTooLarge, Some(40))
        );
        assert!(assembler.is_empty());
        // Expiry: the continuation comes too late.
        assert!(matches!(
            assembler.handle(now, &1u8, &first),
            Block1Outcome::Continue { .. }
        ));
        let mut last = first.clone();
        set_block1(&mut last, BlockOption::new(1, false, 32).unwrap());
        last.payload = vec![2; 4];
        assert_eq!(
            assembler.handle(now + Duration::from_secs(11), &1u8, &last),
            reject(ResponseType::RequestEntityIncomplete, None)
        );
        // A second peer evicts the first (max_transfers 1).
        assert!(matches!(
            assembler.handle(now, &1u8, &first),
            Block1Outcome::Continue { .. }
        ));
        assert!(matches!(
            assembler.handle(now, &2u8, &first),
            Block1Outcome::Continue { .. }
        ));
        assert_eq!(assembler.len(), 1);
        assert_eq!(
            assembler.handle(now, &1u8, &last),
            reject(ResponseType::RequestEntityIncomplete, None)
        );
        assert!(matches!(
            assembler.handle(now, &2u8, &last),
            Block1Outcome::Complete { ref body, .. } if body.len() == 36
        ));
    }
}
