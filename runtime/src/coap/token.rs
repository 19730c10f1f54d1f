//! Request tokens (RFC 7252 §5.3.1).

use super::Jitter;

/// Generates 8-byte tokens: a counter (so tokens in flight never repeat) mixed with a random
/// per-generator key (so an off-path attacker cannot guess them, RFC 7252 §5.3.1).
#[derive(Debug, Clone)]
pub struct TokenGenerator {
    key: u64,
    counter: u64,
}

impl TokenGenerator {
    /// A generator keyed from the operating system's entropy.
    pub fn new() -> TokenGenerator {
        let mut jitter = Jitter::from_entropy();
        TokenGenerator {
            key: jitter.next_u64(),
            counter: jitter.next_u64(),
        }
    }

    /// A generator with a fixed key (reproducible tests).
    pub fn with_seed(seed: u64) -> TokenGenerator {
        let mut jitter = Jitter::new(seed);
        TokenGenerator {
            key: jitter.next_u64(),
            counter: 0,
        }
    }

    /// The next token. Distinct from the previous 2^64 tokens of this generator.
    pub fn next_token(&mut self) -> [u8; 8] {
        self.counter = self.counter.wrapping_add(1);
        // A bijective mix of the counter (multiply by an odd constant, xor-shift, xor the key):
        // distinct counters give distinct tokens.
        let mut x = self.counter.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        x ^= x >> 31;
        (x ^ self.key).to_be_bytes()
    }
}

impl Default for TokenGenerator {
    fn default() -> Self {
        TokenGenerator::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_do_not_repeat_and_differ_between_generators() {
        let mut a = TokenGenerator::with_seed(1);
        let tokens: std::collections::HashSet<[u8; 8]> =
            (0..100_000).map(|_| a.next_token()).collect();
        assert_eq!(tokens.len(), 100_000);
        let mut b = TokenGenerator::with_seed(2);
        let mut a = TokenGenerator::with_seed(1);
        assert_ne!(a.next_token(), b.next_token());
    }
}
