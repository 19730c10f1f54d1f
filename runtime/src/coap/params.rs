//! RFC 7252 §4.8 transmission parameters and the times derived from them (§4.8.2).

use core::time::Duration;

/// CoAP transmission parameters. [`Default`] gives the RFC 7252 values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransmissionParameters {
    /// `ACK_TIMEOUT`: the initial wait for an ACK (2 s).
    pub ack_timeout: Duration,
    /// `ACK_RANDOM_FACTOR`: the initial timeout is drawn from
    /// `[ACK_TIMEOUT, ACK_TIMEOUT * ACK_RANDOM_FACTOR]` (1.5).
    pub ack_random_factor: f64,
    /// `MAX_RETRANSMIT`: retransmissions after the first transmission (4).
    pub max_retransmit: u32,
    /// `NSTART`: outstanding confirmable requests per peer (1).
    pub nstart: u32,
    /// `MAX_LATENCY`: the longest a datagram is expected to travel (100 s).
    pub max_latency: Duration,
    /// `PROCESSING_DELAY`: the time a node takes to answer a CON (defaults to `ACK_TIMEOUT`).
    pub processing_delay: Duration,
}

impl Default for TransmissionParameters {
    fn default() -> Self {
        TransmissionParameters {
            ack_timeout: Duration::from_secs(2),
            ack_random_factor: 1.5,
            max_retransmit: 4,
            nstart: 1,
            max_latency: Duration::from_secs(100),
            processing_delay: Duration::from_secs(2),
        }
    }
}

/// `duration * factor`, to the nanosecond, saturating (a negative or NaN factor gives zero).
///
/// `Duration::mul_f64` does the same with a panic for a negative or overflowing product: its
/// checks and messages cost about 0.7 KiB of a microcontroller's flash, and a transmission
/// parameter set wrong must not panic the client.
pub(crate) fn scale(duration: Duration, factor: f64) -> Duration {
    // `as` from f64 to u64 saturates, and maps NaN to 0. Exact below 2^53 ns (104 days).
    Duration::from_nanos((duration.as_nanos() as f64 * factor) as u64)
}

impl TransmissionParameters {
    /// `MAX_TRANSMIT_SPAN` = ACK_TIMEOUT * (2^MAX_RETRANSMIT - 1) * ACK_RANDOM_FACTOR (45 s):
    /// the longest time from the first transmission of a CON to its last retransmission.
    pub fn max_transmit_span(&self) -> Duration {
        scale(
            self.ack_timeout,
            ((1u64 << self.max_retransmit.min(32)) - 1) as f64 * self.ack_random_factor,
        )
    }

    /// `MAX_TRANSMIT_WAIT` = ACK_TIMEOUT * (2^(MAX_RETRANSMIT + 1) - 1) * ACK_RANDOM_FACTOR (93 s):
    /// the longest time from the first transmission of a CON until the sender gives up.
    pub fn max_transmit_wait(&self) -> Duration {
        scale(
            self.ack_timeout,
            ((1u64 << (self.max_retransmit.min(31) + 1)) - 1) as f64 * self.ack_random_factor,
        )
    }

    /// `EXCHANGE_LIFETIME` = MAX_TRANSMIT_SPAN + 2 * MAX_LATENCY + PROCESSING_DELAY (247 s): how
    /// long a message id must be remembered for duplicate detection.
    pub fn exchange_lifetime(&self) -> Duration {
        self.max_transmit_span() + 2 * self.max_latency + self.processing_delay
    }

    /// `NON_LIFETIME` = MAX_TRANSMIT_SPAN + MAX_LATENCY (145 s).
    pub fn non_lifetime(&self) -> Duration {
        self.max_transmit_span() + self.max_latency
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_times_match_rfc_7252_section_4_8_2() {
        let p = TransmissionParameters::default();
        assert_eq!(p.max_transmit_span(), Duration::from_secs(45));
        assert_eq!(p.max_transmit_wait(), Duration::from_secs(93));
        assert_eq!(p.exchange_lifetime(), Duration::from_secs(247));
        assert_eq!(p.non_lifetime(), Duration::from_secs(145));
    }

    #[test]
    fn scale_saturates_instead_of_panicking() {
        assert_eq!(
            scale(Duration::from_secs(2), 1.25),
            Duration::from_millis(2500)
        );
        assert_eq!(scale(Duration::from_secs(2), -1.0), Duration::ZERO);
        assert_eq!(scale(Duration::from_secs(2), f64::NAN), Duration::ZERO);
        assert_eq!(
            scale(Duration::from_secs(2), 1e300),
            Duration::from_nanos(u64::MAX)
        );
    }
}
