//! The CoAP message layer's reliability machinery (RFC 7252 §4), sans I/O.
//!
//! The client reads and writes its messages with [`wire`] (which says why not with coap-lite,
//! whose [`coap_lite::Packet`] stays in the public API); what no well-kept crate offers as a
//! sans-I/O building block is the state around the messages, so it lives here:
//!
//! - [`TransmissionParameters`]: the RFC 7252 §4.8 constants and the times derived from them;
//! - [`Retransmitter`]: confirmable messages waiting for their ACK, retransmitted with exponential
//!   back-off and randomised initial timeouts, given up after `MAX_RETRANSMIT` attempts;
//! - [`DuplicateCache`]: incoming message ids seen within `EXCHANGE_LIFETIME`, with the response
//!   sent for each so that a duplicate gets the same answer and is not processed twice;
//! - [`TokenGenerator`]: unpredictable, never-repeating request tokens.
//!
//! Around the messages (coap-lite's [`coap_lite::Packet`] and the client's own [`wire`] types)
//! it adds:
//!
//! - [`message`]: parsing datagrams with a size limit and a typed error saying whether to RST,
//!   and builders for requests ([`RequestBuilder`]) and responses (piggy-backed, separate, empty
//!   ACK, RST);
//! - [`options`]: tolerant typed views of option values (non-minimal integers, raw content-format
//!   numbers, paths, queries, Location-Path with slashes) and the critical-option check;
//! - [`block`]: RFC 7959 block-wise transfers (Block2 slicing, Block1 reassembly);
//! - [`wire`]: the message type of the serving path, read and written on the wire bytes without
//!   coap-lite's per-option allocations ([`MessageRef`], [`Outgoing`]), and the traits the
//!   option helpers read and write any message through ([`ReadMessage`], [`WriteMessage`]).
//!
//! Time is always passed in as [`Instant`](crate::Instant), so every rule is testable with a simulated
//! clock.

pub mod block;
mod dedup;
pub mod message;
pub mod options;
mod params;
mod retransmit;
mod token;
pub mod wire;

pub use block::{
    Block1Assembler, Block1Config, Block1Outcome, Block2Slice, BlockError, BlockOption, block_of,
    serve_block2,
};
pub use dedup::{DuplicateCache, Seen};
pub use message::{
    BuildError, DEFAULT_MAX_MESSAGE_SIZE, EncodeError, FormatError, ParseError, RequestBuilder,
    empty_ack, encode, parse, piggybacked, reset, response, separate,
};
pub use options::OptionError;
pub use params::TransmissionParameters;
pub use retransmit::{RetransmitEvent, Retransmitter};
pub use token::TokenGenerator;
pub use wire::{MessageRef, Outgoing, ReadMessage, WireError, WriteMessage};

/// A small, fast, seedable pseudo-random generator (xorshift64*), for retransmission jitter and
/// tokens. Not cryptographic: CoAP tokens need to be hard to guess for an off-path attacker, and
/// the seed comes from the operating system's randomly keyed hasher.
#[derive(Debug, Clone)]
pub(crate) struct Jitter(u64);

impl Jitter {
    /// A generator seeded from `seed` (zero is replaced, since xorshift never leaves zero).
    pub(crate) fn new(seed: u64) -> Jitter {
        Jitter(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// A generator seeded from the process's randomly keyed `RandomState` with `std`; without
    /// it, from a fixed seed (devices pass theirs: `client::Config::random_seed`).
    #[cfg(feature = "std")]
    pub(crate) fn from_entropy() -> Jitter {
        use core::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(0);
        Jitter::new(hasher.finish())
    }

    /// Without `std` there is no entropy to read: a fixed seed.
    #[cfg(not(feature = "std"))]
    pub(crate) fn from_entropy() -> Jitter {
        Jitter::new(0)
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A uniformly distributed fraction in `[0, 1)`.
    pub(crate) fn next_fraction(&mut self) -> f64 {
        // 53 random bits: exactly representable in an f64 mantissa.
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}
