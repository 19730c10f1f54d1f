//! Confirmable messages awaiting acknowledgement, retransmitted per RFC 7252 §4.2.

use crate::prelude::*;
use crate::time::Instant;
use core::time::Duration;
use litemap::LiteMap;

use super::{Jitter, TransmissionParameters};

/// What [`Retransmitter::poll`] asks the caller to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetransmitEvent<P> {
    /// Send these bytes to the peer again (the message id is unchanged).
    Resend {
        /// The peer.
        peer: P,
        /// The message id.
        message_id: u16,
        /// The datagram, exactly as first sent.
        bytes: Vec<u8>,
    },
    /// No ACK or RST came after `MAX_RETRANSMIT` retransmissions: the exchange failed.
    GaveUp {
        /// The peer.
        peer: P,
        /// The message id.
        message_id: u16,
    },
}

#[derive(Debug, Clone)]
struct Pending {
    bytes: Vec<u8>,
    retransmissions: u32,
    timeout: Duration,
    deadline: Instant,
}

/// Confirmable messages in flight, keyed by (peer, message id).
///
/// The initial timeout is random in `[ACK_TIMEOUT, ACK_TIMEOUT * ACK_RANDOM_FACTOR]` and doubles
/// after each retransmission; after `MAX_RETRANSMIT` retransmissions the next expiry reports
/// [`RetransmitEvent::GaveUp`].
#[derive(Debug, Clone)]
pub struct Retransmitter<P: Ord + Clone> {
    params: TransmissionParameters,
    jitter: Jitter,
    pending: LiteMap<(P, u16), Pending>,
}

impl<P: Ord + Clone> Retransmitter<P> {
    /// An empty retransmitter whose jitter is seeded from the operating system.
    pub fn new(params: TransmissionParameters) -> Self {
        Retransmitter {
            params,
            jitter: Jitter::from_entropy(),
            pending: LiteMap::new(),
        }
    }

    /// An empty retransmitter with a fixed jitter seed (for reproducible tests and simulations).
    pub fn with_seed(params: TransmissionParameters, seed: u64) -> Self {
        Retransmitter {
            params,
            jitter: Jitter::new(seed),
            pending: LiteMap::new(),
        }
    }

    /// Records a confirmable message just sent at `now`. Returns its first ACK deadline.
    pub fn sent(&mut self, now: Instant, peer: P, message_id: u16, bytes: Vec<u8>) -> Instant {
        let factor =
            1.0 + (self.params.ack_random_factor - 1.0).max(0.0) * self.jitter.next_fraction();
        let timeout = super::params::scale(self.params.ack_timeout, factor);
        let deadline = now + timeout;
        self.pending.insert(
            (peer, message_id),
            Pending {
                bytes,
                retransmissions: 0,
                timeout,
                deadline,
            },
        );
        deadline
    }

    /// An ACK or RST for `message_id` arrived from `peer`: stop retransmitting. Returns whether the
    /// message was pending (an unknown or repeated ACK is ignored).
    pub fn acknowledged(&mut self, peer: &P, message_id: u16) -> bool {
        self.pending.remove(&(peer.clone(), message_id)).is_some()
    }

    /// Whether a confirmable message to `peer` with this id is still in flight.
    pub fn is_pending(&self, peer: &P, message_id: u16) -> bool {
        self.pending.contains_key(&(peer.clone(), message_id))
    }

    /// How many confirmable messages to `peer` are in flight (for `NSTART`).
    pub fn in_flight_to(&self, peer: &P) -> usize {
        self.pending.keys().filter(|(p, _)| p == peer).count()
    }

    /// How many confirmable messages are in flight in all.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether nothing is in flight.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// The earliest deadline, if anything is in flight: when to call [`Retransmitter::poll`] next.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.pending.values().map(|p| p.deadline).min()
    }

    /// Everything due at `now`: retransmissions to send and exchanges given up.
    pub fn poll(&mut self, now: Instant) -> Vec<RetransmitEvent<P>> {
        let mut events = Vec::new();
        let max = self.params.max_retransmit;
        let mut gave_up = Vec::new();
        for ((peer, message_id), pending) in self.pending.iter_mut() {
            if pending.deadline > now {
                continue;
            }
            if pending.retransmissions >= max {
                gave_up.push((peer.clone(), *message_id));
                events.push(RetransmitEvent::GaveUp {
                    peer: peer.clone(),
                    message_id: *message_id,
                });
                continue;
            }
            pending.retransmissions += 1;
            pending.timeout *= 2;
            pending.deadline = now + pending.timeout;
            events.push(RetransmitEvent::Resend {
                peer: peer.clone(),
                message_id: *message_id,
                bytes: pending.bytes.clone(),
            });
        }
        for key in &gave_up {
            self.pending.remove(key);
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> TransmissionParameters {
        TransmissionParameters::default()
    }

    /// Drives one message with no ACK to its end; returns the times of the resends and of giving up.
    fn run_unacknowledged(seed: u64) -> (Vec<Duration>, Duration) {
        let start = Instant::now();
        let mut r = Retransmitter::with_seed(params(), seed);
        r.sent(start, 1u8, 7, vec![1, 2, 3]);
        let mut resends = Vec::new();
        loop {
            let Some(deadline) = r.next_deadline() else {
                panic!("the message vanished without giving up");
            };
            for event in r.poll(deadline) {
                match event {
                    RetransmitEvent::Resend {
                        bytes, message_id, ..
                    } => {
                        assert_eq!((bytes, message_id), (vec![1, 2, 3], 7));
                        resends.push(deadline - start);
                    }
                    RetransmitEvent::GaveUp { message_id, .. } => {
                        assert_eq!(message_id, 7);
                        assert!(r.is_empty());
                        return (resends, deadline - start);
                    }
                }
            }
        }
    }

    #[test]
    fn four_retransmissions_with_doubling_timeouts_then_give_up_within_max_transmit_wait() {
        for seed in 1..50 {
            let (resends, gave_up) = run_unacknowledged(seed);
            assert_eq!(resends.len(), 4, "MAX_RETRANSMIT retransmissions");
            let first = resends[0];
            assert!(
                first >= Duration::from_secs(2) && first <= Duration::from_secs(3),
                "{first:?}"
            );
            // Each wait doubles: the gaps are t, 2t, 4t, 8t.
            let gaps: Vec<Duration> = core::iter::once(first)
                .chain(resends.windows(2).map(|w| w[1] - w[0]))
                .chain(core::iter::once(gave_up - resends[3]))
                .collect();
            for pair in gaps.windows(2) {
                let ratio = pair[1].as_secs_f64() / pair[0].as_secs_f64();
                assert!((ratio - 2.0).abs() < 1e-6, "{gaps:?}");
            }
            assert!(resends[3] <= params().max_transmit_span(), "{resends:?}");
            assert!(gave_up <= params().max_transmit_wait(), "{gave_up:?}");
        }
    }

    #[test]
    fn initial_timeouts_are_randomised() {
        let firsts: alloc::collections::BTreeSet<Duration> =
            (1..20).map(|seed| run_unacknowledged(seed).0[0]).collect();
        assert!(firsts.len() > 10, "{firsts:?}");
    }

    #[test]
    fn an_ack_stops_retransmission_and_only_for_its_peer_and_id() {
        let now = Instant::now();
        let mut r = Retransmitter::with_seed(params(), 3);
        r.sent(now, "a", 1, vec![1]);
        r.sent(now, "b", 1, vec![2]);
        assert!(!r.acknowledged(&"a", 2), "wrong id");
        assert!(r.acknowledged(&"a", 1));
        assert!(!r.acknowledged(&"a", 1), "a second ACK is ignored");
        assert_eq!(r.in_flight_to(&"a"), 0);
        assert_eq!(r.in_flight_to(&"b"), 1);
        let events = r.poll(now + Duration::from_secs(4));
        assert_eq!(
            events,
            vec![RetransmitEvent::Resend {
                peer: "b",
                message_id: 1,
                bytes: vec![2]
            }]
        );
    }

    #[test]
    fn nothing_is_due_before_the_deadline() {
        let now = Instant::now();
        let mut r = Retransmitter::with_seed(params(), 5);
        let deadline = r.sent(now, 0u8, 9, vec![]);
        assert!(r.poll(deadline - Duration::from_millis(1)).is_empty());
        assert_eq!(r.poll(deadline).len(), 1);
    }
}
