//! The CoAP message layer's reliability machinery (RFC 7252 §4), sans I/O.
//!
//! Message encoding and decoding is coap-lite's job; what no well-kept crate offers as a sans-I/O
//! building block is the state around it, so it lives here:
//!
//! - [`TransmissionParameters`]: the RFC 7252 §4.8 constants and the times derived from them;
//! - [`Retransmitter`]: confirmable messages waiting for their ACK, retransmitted with exponential
//!   back-off and randomised initial timeouts, given up after `MAX_RETRANSMIT` attempts;
//! - [`DuplicateCache`]: incoming message ids seen within `EXCHANGE_LIFETIME`, with the response
//!   sent for each so that a duplicate gets the same answer and is not processed twice;
//! - [`TokenGenerator`]: unpredictable, never-repeating request tokens.
//!
//! Time is always passed in as [`std::time::Instant`], so every rule is testable with a simulated
//! clock.

mod dedup;
mod params;
mod retransmit;
mod token;

pub use dedup::{DuplicateCache, Seen};
pub use params::TransmissionParameters;
pub use retransmit::{RetransmitEvent, Retransmitter};
pub use token::TokenGenerator;

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

    /// A generator seeded from the process's randomly keyed `RandomState`.
    pub(crate) fn from_entropy() -> Jitter {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(0);
        Jitter::new(hasher.finish())
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
