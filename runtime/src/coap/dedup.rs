//! Duplicate detection for incoming messages (RFC 7252 §4.5).

use crate::prelude::*;
use crate::time::Instant;
use alloc::collections::VecDeque;
use core::time::Duration;

/// What [`DuplicateCache::check`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// A message not seen before: process it, then [`DuplicateCache::responded`].
    New,
    /// A duplicate of a message already processed: do not process it again. Carries the response
    /// sent for it, to be sent again (`None` if none was recorded, e.g. still being processed or
    /// answered separately).
    Duplicate(Option<Vec<u8>>),
}

/// One message remembered, in arrival order.
#[derive(Debug, Clone)]
struct Slot<P> {
    peer: P,
    token: Token,
    seen_at: Instant,
    response: Option<Vec<u8>>,
}

/// A remembered token: inline up to the 8 bytes of RFC 7252 (no allocation per message),
/// on the heap beyond (only a caller of [`DuplicateCache::check`] can pass a longer one).
#[derive(Debug, Clone)]
enum Token {
    Inline { len: u8, bytes: [u8; 8] },
    Heap(Box<[u8]>),
}

impl Token {
    fn new(token: &[u8]) -> Token {
        let mut bytes = [0u8; 8];
        match (bytes.get_mut(..token.len()), u8::try_from(token.len())) {
            (Some(prefix), Ok(len)) => {
                prefix.copy_from_slice(token);
                Token::Inline { len, bytes }
            }
            _ => Token::Heap(token.into()),
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            Token::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or(&[]),
            Token::Heap(bytes) => bytes,
        }
    }
}

/// Message ids seen per peer within `EXCHANGE_LIFETIME`, with the response sent for each.
///
/// A message counts as a duplicate only if both its message id and its token match the one
/// remembered: at high request rates message ids wrap within `EXCHANGE_LIFETIME`, and a new
/// request that reuses an id with a new token must be processed, never answered with a stale
/// response. The cache holds at most `capacity` entries (the oldest go first), so its memory is
/// bounded whatever the peers send.
///
/// One ring in arrival order: messages expire and are evicted oldest first (a pop, where a
/// sorted map would move or rebalance entries), and the search compares the 16-bit message ids,
/// kept apart in their own ring, sixteen at a time (a loop LLVM turns into a few vector
/// compares: about a hundred instructions for the 256 entries of a Linux device, where a scan of
/// the entries themselves took some fifteen hundred), then the peer of an id that matches. The
/// buffers of the responses of evicted entries are kept for the next responses
/// ([`responded_with`](Self::responded_with)): at the capacity a new response allocates
/// nothing. No tree code in a microcontroller's flash.
#[derive(Debug, Clone)]
pub struct DuplicateCache<P: PartialEq + Clone> {
    lifetime: Duration,
    capacity: usize,
    slots: VecDeque<Slot<P>>,
    /// The message id of each slot, in the same order.
    ids: VecDeque<u16>,
    /// How many entries have each value of the low bits of their message id (empty for a
    /// small cache, which is scanned whole): an id whose count is zero is not in the cache, and
    /// a new message (nearly every one) is known new without a scan.
    counts: Vec<u16>,
    /// Response buffers of evicted slots, for the next responses.
    spare: Vec<Vec<u8>>,
}

/// How many evicted response buffers are kept for reuse: at the capacity each new message
/// evicts one entry and its response reuses that entry's buffer, so one is enough (more would
/// only hold memory on a microcontroller).
const SPARE_BUFFERS: usize = 1;

/// How many message ids one step of [`DuplicateCache::find`] compares.
const ID_CHUNK: usize = 16;

/// Above this capacity the cache counts its ids by their low bits (`counts`).
const COUNTED_ABOVE: usize = 32;

impl<P: PartialEq + Clone> DuplicateCache<P> {
    /// A cache remembering ids for `lifetime` (`EXCHANGE_LIFETIME`), at most `capacity` of them.
    pub fn new(lifetime: Duration, capacity: usize) -> Self {
        let capacity = capacity.max(1);
        // About four counters per entry (a power of two: the low bits of the id), at most 4096.
        let counts = if capacity > COUNTED_ABOVE {
            vec![0; capacity.saturating_mul(4).next_power_of_two().min(4096)]
        } else {
            Vec::new()
        };
        DuplicateCache {
            lifetime,
            capacity,
            slots: VecDeque::new(),
            ids: VecDeque::new(),
            counts,
            spare: Vec::new(),
        }
    }

    /// Looks up an incoming message at `now`; a new one is remembered (without a response yet).
    pub fn check(&mut self, now: Instant, peer: &P, message_id: u16, token: &[u8]) -> Seen {
        self.expire(now);
        if let Some(at) = self.find(peer, message_id) {
            if let Some(slot) = self.slots.get(at)
                && slot.token.as_slice() == token
            {
                return Seen::Duplicate(slot.response.clone());
            }
            // The id was reused with a new token: a new message takes the id's place.
            self.remove(at);
        }
        while self.slots.len() >= self.capacity {
            self.pop_oldest();
        }
        self.slots.push_back(Slot {
            peer: peer.clone(),
            token: Token::new(token),
            seen_at: now,
            response: None,
        });
        self.ids.push_back(message_id);
        if let Some(count) = self.count_of(message_id) {
            *count = count.saturating_add(1);
        }
        Seen::New
    }

    /// Records the response sent for a message, so a duplicate gets it again.
    pub fn responded(&mut self, peer: &P, message_id: u16, response: Vec<u8>) {
        if let Some(slot) = self
            .find(peer, message_id)
            .and_then(|at| self.slots.get_mut(at))
        {
            slot.response = Some(response);
        }
    }

    /// [`responded`](Self::responded) with a copy of `response`, made in the buffer of an
    /// evicted entry when there is one (no allocation once the cache is full).
    pub fn responded_with(&mut self, peer: &P, message_id: u16, response: &[u8]) {
        let Some(at) = self.find(peer, message_id) else {
            return;
        };
        let mut buffer = self.spare.pop().unwrap_or_default();
        buffer.clear();
        buffer.extend_from_slice(response);
        if let Some(slot) = self.slots.get_mut(at)
            && let Some(old) = slot.response.replace(buffer)
        {
            self.keep_spare(old);
        }
    }

    /// How many message ids are remembered.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no message id is remembered.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The counter of the low bits of `message_id`, when the cache counts them.
    fn count_of(&mut self, message_id: u16) -> Option<&mut u16> {
        let mask = self.counts.len().wrapping_sub(1);
        self.counts.get_mut(usize::from(message_id) & mask)
    }

    /// One fewer entry with `message_id`.
    fn uncount(&mut self, message_id: Option<u16>) {
        if let Some(count) = message_id.and_then(|id| self.count_of(id)) {
            *count = count.saturating_sub(1);
        }
    }

    /// The position of the message `message_id` from `peer` (there is at most one: a reused id
    /// replaces its entry). Searched from the newest: the message just checked is found at once
    /// by [`responded_with`](Self::responded_with).
    fn find(&self, peer: &P, message_id: u16) -> Option<usize> {
        let mask = self.counts.len().wrapping_sub(1);
        if self
            .counts
            .get(usize::from(message_id) & mask)
            .is_some_and(|count| *count == 0)
        {
            return None;
        }
        let (front, back) = self.ids.as_slices();
        let matches = |ids: &[u16], offset: usize| {
            let mut end = offset + ids.len();
            for chunk in ids.rchunks(ID_CHUNK) {
                let start = end - chunk.len();
                // Branch-free over the chunk, so that it is compiled to vector compares.
                let any = chunk
                    .iter()
                    .fold(false, |any, id| any | (*id == message_id));
                if any {
                    for (k, id) in chunk.iter().enumerate().rev() {
                        if *id == message_id
                            && self.slots.get(start + k).is_some_and(|s| s.peer == *peer)
                        {
                            return Some(start + k);
                        }
                    }
                }
                end = start;
            }
            None
        };
        matches(back, front.len()).or_else(|| matches(front, 0))
    }

    /// Forgets the entry at `at`.
    fn remove(&mut self, at: usize) {
        let id = self.ids.remove(at);
        self.uncount(id);
        if let Some(slot) = self.slots.remove(at)
            && let Some(response) = slot.response
        {
            self.keep_spare(response);
        }
    }

    /// Forgets the oldest entry.
    fn pop_oldest(&mut self) {
        let id = self.ids.pop_front();
        self.uncount(id);
        if let Some(slot) = self.slots.pop_front()
            && let Some(response) = slot.response
        {
            self.keep_spare(response);
        }
    }

    /// Keeps a response buffer for a later response (a few at most).
    fn keep_spare(&mut self, buffer: Vec<u8>) {
        if self.spare.len() < SPARE_BUFFERS {
            self.spare.push(buffer);
        }
    }

    fn expire(&mut self, now: Instant) {
        while self
            .slots
            .front()
            .is_some_and(|slot| now.saturating_duration_since(slot.seen_at) >= self.lifetime)
        {
            self.pop_oldest();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIFETIME: Duration = Duration::from_secs(247);

    #[test]
    fn a_duplicate_gets_the_recorded_response_and_is_not_new() {
        let now = Instant::now();
        let mut cache = DuplicateCache::new(LIFETIME, 16);
        assert_eq!(cache.check(now, &1u8, 10, b"tk"), Seen::New);
        assert_eq!(cache.check(now, &1u8, 10, b"tk"), Seen::Duplicate(None));
        cache.responded(&1u8, 10, vec![0x60, 0x45]);
        assert_eq!(
            cache.check(now + Duration::from_secs(5), &1u8, 10, b"tk"),
            Seen::Duplicate(Some(vec![0x60, 0x45]))
        );
    }

    #[test]
    fn the_same_id_from_another_peer_or_with_another_token_is_new() {
        let now = Instant::now();
        let mut cache = DuplicateCache::new(LIFETIME, 16);
        assert_eq!(cache.check(now, &1u8, 10, b"a"), Seen::New);
        cache.responded(&1u8, 10, vec![1]);
        assert_eq!(cache.check(now, &2u8, 10, b"a"), Seen::New);
        // Message ids wrapped: a new request reuses id 10 with a new token. It must be processed,
        // not answered from the cache with the old response.
        assert_eq!(cache.check(now, &1u8, 10, b"b"), Seen::New);
        assert_eq!(cache.check(now, &1u8, 10, b"b"), Seen::Duplicate(None));
    }

    #[test]
    fn ids_are_forgotten_after_the_exchange_lifetime() {
        let now = Instant::now();
        let mut cache = DuplicateCache::new(LIFETIME, 16);
        cache.check(now, &1u8, 10, b"");
        assert_eq!(
            cache.check(now + LIFETIME - Duration::from_millis(1), &1u8, 10, b""),
            Seen::Duplicate(None)
        );
        assert_eq!(cache.check(now + LIFETIME, &1u8, 10, b""), Seen::New);
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn tokens_of_any_length_are_compared_whole() {
        let now = Instant::now();
        let mut cache = DuplicateCache::new(LIFETIME, 16);
        let long = b"a token longer than eight bytes";
        assert_eq!(cache.check(now, &1u8, 1, long), Seen::New);
        assert_eq!(cache.check(now, &1u8, 1, long), Seen::Duplicate(None));
        assert_eq!(cache.check(now, &1u8, 1, &long[..8]), Seen::New);
        assert_eq!(cache.check(now, &1u8, 1, &long[..8]), Seen::Duplicate(None));
        assert_eq!(cache.check(now, &1u8, 1, &long[..7]), Seen::New);
        assert_eq!(cache.check(now, &1u8, 1, b""), Seen::New);
        assert_eq!(cache.check(now, &1u8, 1, b""), Seen::Duplicate(None));
    }

    #[test]
    fn memory_is_bounded_by_the_capacity() {
        let now = Instant::now();
        let mut cache = DuplicateCache::new(LIFETIME, 100);
        for id in 0..=u16::MAX {
            cache.check(now, &1u8, id, b"t");
        }
        assert_eq!(cache.len(), 100);
        // The newest ids are the ones kept.
        assert_eq!(
            cache.check(now, &1u8, u16::MAX, b"t"),
            Seen::Duplicate(None)
        );
        assert_eq!(cache.check(now, &1u8, 0, b"t"), Seen::New);
    }

    #[test]
    fn reusing_one_id_with_new_tokens_keeps_memory_bounded_and_entries_intact() {
        let now = Instant::now();
        let mut cache = DuplicateCache::new(LIFETIME, 4);
        cache.check(now, &1u8, 1, b"keep");
        for round in 0u32..1000 {
            assert_eq!(cache.check(now, &1u8, 2, &round.to_be_bytes()), Seen::New);
        }
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.check(now, &1u8, 1, b"keep"), Seen::Duplicate(None));
        assert_eq!(
            cache.check(now, &1u8, 2, &999u32.to_be_bytes()),
            Seen::Duplicate(None)
        );
    }

    #[test]
    fn responses_copied_into_reused_buffers_are_answered_to_duplicates() {
        let now = Instant::now();
        let mut cache = DuplicateCache::new(LIFETIME, 3);
        for id in 0u16..50 {
            assert_eq!(cache.check(now, &1u8, id, b"t"), Seen::New);
            cache.responded_with(&1u8, id, &[id as u8; 3]);
            // A second response replaces the first.
            cache.responded_with(&1u8, id, &[id as u8, 1]);
        }
        assert_eq!(cache.len(), 3);
        for id in 47u16..50 {
            assert_eq!(
                cache.check(now, &1u8, id, b"t"),
                Seen::Duplicate(Some(vec![id as u8, 1]))
            );
        }
        assert_eq!(cache.check(now, &1u8, 46, b"t"), Seen::New);
        // An id never seen records nothing.
        cache.responded_with(&1u8, 999, &[9]);
        assert_eq!(cache.check(now, &1u8, 999, b"t"), Seen::New);
    }

    /// The chunked search finds every entry wherever the ring wraps, and only with its peer.
    #[test]
    fn every_entry_is_found_across_the_ring_and_chunk_boundaries() {
        let now = Instant::now();
        let mut cache = DuplicateCache::new(LIFETIME, 37);
        let mut next = 0u16;
        for round in 0..5 {
            for _ in 0..(23 + round * 7) {
                cache.check(
                    now,
                    &(next % 3),
                    next.wrapping_mul(7919),
                    &next.to_be_bytes(),
                );
                next += 1;
            }
            let oldest = next.saturating_sub(37);
            for n in oldest..next {
                let id = n.wrapping_mul(7919);
                assert_eq!(
                    cache.check(now, &(n % 3), id, &n.to_be_bytes()),
                    Seen::Duplicate(None),
                    "entry {n}"
                );
                assert_eq!(cache.find(&(n % 3 + 3), id), None);
            }
            assert_eq!(cache.len(), 37.min(usize::from(next)));
        }
    }

    /// A cache large enough to count its ids: the counts follow evictions, expiry and reused
    /// ids, so that no entry is ever missed (ids chosen to share their low bits).
    #[test]
    fn a_counted_cache_finds_what_it_holds_and_nothing_else() {
        let now = Instant::now();
        let mut cache = DuplicateCache::new(LIFETIME, 100);
        assert!(!cache.counts.is_empty());
        let buckets = cache.counts.len() as u16;
        let id = |n: u16| n.wrapping_mul(buckets / 4).wrapping_add(n / 7);
        for n in 0u16..1000 {
            assert_eq!(cache.check(now, &1u8, id(n), b"a"), Seen::New, "{n}");
            if n % 5 == 0 {
                // Reused with a new token: replaces its entry.
                assert_eq!(cache.check(now, &1u8, id(n), b"b"), Seen::New);
            }
        }
        for n in 900u16..1000 {
            let token: &[u8] = if n % 5 == 0 { b"b" } else { b"a" };
            assert_eq!(cache.check(now, &1u8, id(n), token), Seen::Duplicate(None));
        }
        assert_eq!(
            cache.counts.iter().map(|c| usize::from(*c)).sum::<usize>(),
            100
        );
        let later = now + LIFETIME;
        assert_eq!(cache.check(later, &1u8, id(950), b"a"), Seen::New);
        assert_eq!(cache.len(), 1);
        assert_eq!(
            cache.counts.iter().map(|c| usize::from(*c)).sum::<usize>(),
            1
        );
    }
}
