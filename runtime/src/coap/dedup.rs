//! Duplicate detection for incoming messages (RFC 7252 §4.5).

use crate::prelude::*;
use crate::time::Instant;
use alloc::collections::VecDeque;
use core::time::Duration;
use litemap::LiteMap;

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

#[derive(Debug, Clone)]
struct Entry {
    token: Token,
    /// Which record of `order` belongs to this entry (ids are reused, records are not).
    record: u64,
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
#[derive(Debug, Clone)]
pub struct DuplicateCache<P: Ord + Clone> {
    lifetime: Duration,
    capacity: usize,
    entries: LiteMap<(P, u16), Entry>,
    /// Records in arrival order: (record number, arrival time, key). A key seen again with a new
    /// token gets a new record; the old record is then stale and skipped.
    order: VecDeque<(u64, Instant, (P, u16))>,
    next_record: u64,
}

impl<P: Ord + Clone> DuplicateCache<P> {
    /// A cache remembering ids for `lifetime` (`EXCHANGE_LIFETIME`), at most `capacity` of them.
    pub fn new(lifetime: Duration, capacity: usize) -> Self {
        DuplicateCache {
            lifetime,
            capacity: capacity.max(1),
            entries: LiteMap::new(),
            order: VecDeque::new(),
            next_record: 0,
        }
    }

    /// Looks up an incoming message at `now`; a new one is remembered (without a response yet).
    pub fn check(&mut self, now: Instant, peer: &P, message_id: u16, token: &[u8]) -> Seen {
        self.expire(now);
        let key = (peer.clone(), message_id);
        let record = self.next_record;
        let fresh = Entry {
            token: Token::new(token),
            record,
            response: None,
        };
        if let Some(entry) = self.entries.get_mut(&key) {
            if entry.token.as_slice() == token {
                return Seen::Duplicate(entry.response.clone());
            }
            // The id was reused with a new token: a new message takes the id's place.
            *entry = fresh;
        } else {
            while self.entries.len() >= self.capacity {
                let Some((record, _, oldest)) = self.order.pop_front() else {
                    break;
                };
                self.remove_if_current(oldest, record);
            }
            self.entries.insert(key.clone(), fresh);
        }
        self.next_record += 1;
        self.order.push_back((record, now, key));
        // Stale records (ids reused with a new token) are dropped once they outnumber the live
        // ones, so `order` stays within twice the capacity.
        if self.order.len() > 2 * self.capacity {
            let entries = &self.entries;
            self.order
                .retain(|(record, _, key)| entries.get(key).is_some_and(|e| e.record == *record));
        }
        Seen::New
    }

    /// Records the response sent for a message, so a duplicate gets it again.
    pub fn responded(&mut self, peer: &P, message_id: u16, response: Vec<u8>) {
        if let Some(entry) = self.entries.get_mut(&(peer.clone(), message_id)) {
            entry.response = Some(response);
        }
    }

    /// How many message ids are remembered.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no message id is remembered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn expire(&mut self, now: Instant) {
        while let Some((_, seen_at, _)) = self.order.front() {
            if now.saturating_duration_since(*seen_at) < self.lifetime {
                break;
            }
            if let Some((record, _, key)) = self.order.pop_front() {
                self.remove_if_current(key, record);
            }
        }
    }

    /// Removes the entry for `key` if `record` is its current record (not a stale one).
    fn remove_if_current(&mut self, key: (P, u16), record: u64) {
        if self.entries.get(&key).is_some_and(|e| e.record == record) {
            self.entries.remove(&key);
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
        assert!(cache.order.len() <= 8, "{}", cache.order.len());
        assert_eq!(cache.check(now, &1u8, 1, b"keep"), Seen::Duplicate(None));
        assert_eq!(
            cache.check(now, &1u8, 2, &999u32.to_be_bytes()),
            Seen::Duplicate(None)
        );
    }
}
