//! The order of records: sorting them by path (then time), and the one-pass checks of decoded
//! records ([`finish`]) and of records to encode ([`sorted`]): inside the request path, no path
//! twice (except a time series), resources or resource instances only.

use super::*;
use alloc::borrow::Cow;

/// The order of records at one path: untimed ("now") first, then by time.
pub(super) fn time_key(time: Option<f64>) -> (bool, TotalF64) {
    (time.is_some(), TotalF64(time.unwrap_or(0.0)))
}

/// An `f64` ordered by [`f64::total_cmp`], for sort keys.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct TotalF64(f64);

impl Eq for TotalF64 {}

impl PartialOrd for TotalF64 {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TotalF64 {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// A record's place in the canonical order: by path, then (a time series) by time.
#[inline]
pub(super) fn record_key(record: &Record) -> (u128, (bool, TotalF64)) {
    (order_key(&record.path), time_key(record.time))
}

/// A path's tree order as one integer: its ids packed outermost first, then its length.
///
/// Ids past the length are zero, so comparing keys is comparing paths (a parent before its
/// children, siblings by id) without walking slices.
#[inline]
pub(crate) fn order_key(path: &Path) -> u128 {
    (u128::from(path.packed_ids()) << 8) | path.len() as u128
}

/// Whether the path with key `outer` contains the one with key `inner` (see [`Path::contains`]);
/// the checks use [`PathKey::contains`], this one is kept for the tests that compare them.
#[cfg(test)]
pub(super) fn key_contains(outer: u128, inner: u128) -> bool {
    let outer_len = outer & 0xff;
    if inner & 0xff < outer_len {
        return false;
    }
    // The top `16 * len` bits of the packed ids (bits 8..72 of the key) must agree; lengths are
    // at most 4, so the shift stays within 8..=72.
    (outer ^ inner) >> (72 - 16 * (outer_len as u32).min(4)) == 0
}

/// Sorts decoded records (by path, then by time) and rejects duplicates and values outside
/// `base`. One path may come several times only with different times (a time series).
///
/// Decoders usually produce records in order already: then one pass checks everything.
pub(super) fn finish(base: &Path, records: &mut [Record]) -> Result<(), DecodeError> {
    if let Some(verdict) = check_sorted(base, records) {
        return verdict;
    }
    sort_records(records, record_key);
    check_sorted(base, records).unwrap_or(Ok(()))
}

/// Sorts by [`record_key`]. With `std`, `sort_by_cached_key` (pattern-defeating quicksort);
/// without it, a heapsort of a dozen lines: the standard sort's code (1.9 KiB per element
/// type) is a lot of a microcontroller's flash for records that are nearly always in order
/// already. Equal keys are duplicates, which both callers then reject, so stability does not
/// matter.
pub(super) fn sort_records<T>(items: &mut [T], key: impl Fn(&T) -> (u128, (bool, TotalF64))) {
    #[cfg(feature = "std")]
    items.sort_by_cached_key(key);
    #[cfg(not(feature = "std"))]
    heapsort(items, |a, b| key(a) < key(b));
}

/// In-place heapsort by `less` (O(n log n), no allocation).
#[cfg(any(not(feature = "std"), test))]
pub(crate) fn heapsort<T>(items: &mut [T], less: impl Fn(&T, &T) -> bool) {
    // Moves `node` down the max-heap `heap` until both children are smaller.
    let sift_down = |heap: &mut [T], mut node: usize| {
        loop {
            let mut child = 2 * node + 1;
            if child >= heap.len() {
                break;
            }
            if child + 1 < heap.len() && less(&heap[child], &heap[child + 1]) {
                child += 1;
            }
            if !less(&heap[node], &heap[child]) {
                break;
            }
            heap.swap(node, child);
            node = child;
        }
    };
    for node in (0..items.len() / 2).rev() {
        sift_down(items, node);
    }
    for end in (1..items.len()).rev() {
        items.swap(0, end);
        sift_down(&mut items[..end], 0);
    }
}

/// One pass over decoded records: `None` when they are not in canonical order; else the first
/// duplicate, or else the first record outside `base`, as an error.
fn check_sorted(base: &Path, records: &[Record]) -> Option<Result<(), DecodeError>> {
    let base_key = PathKey::of(base);
    let mut duplicate = None;
    let mut outside = None;
    let mut previous: Option<(PathKey, Option<f64>)> = None;
    for record in records {
        let key = PathKey::of(&record.path);
        if let Some((previous_key, previous_time)) = previous {
            let repeated = match previous_key.cmp(&key) {
                Ordering::Less => previous_key.contains(key),
                Ordering::Equal => {
                    if time_key(previous_time) > time_key(record.time) {
                        return None;
                    }
                    // The same path again: only a time series may repeat it.
                    record.time.is_none() || previous_time == record.time
                }
                Ordering::Greater => return None,
            };
            if repeated && duplicate.is_none() {
                duplicate = Some(record.path);
            }
        }
        if outside.is_none() && !base_key.contains(key) {
            outside = Some(record.path);
        }
        previous = Some((key, record.time));
    }
    Some(match (duplicate, outside) {
        (Some(path), _) => Err(DecodeError::Duplicate(path)),
        (None, Some(path)) => Err(DecodeError::OutsideBase { path, base: *base }),
        (None, None) => Ok(()),
    })
}

/// A path as its packed ids and its length, computed once for the checks of [`check_sorted`]:
/// ordered as the tuple, which is tree order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct PathKey {
    ids: u64,
    len: u32,
}

impl PathKey {
    #[inline]
    pub(super) fn of(path: &Path) -> PathKey {
        PathKey {
            ids: path.packed_ids(),
            len: path.len() as u32,
        }
    }

    /// As [`Path::contains`]: the top `16 * len` bits of the ids agree (none for the root).
    #[inline]
    pub(super) fn contains(self, inner: PathKey) -> bool {
        /// The bits of the ids of a path of each length.
        const PREFIX: [u64; 5] = [
            0,
            0xffff << 48,
            0xffff_ffff << 32,
            0xffff_ffff_ffff << 16,
            u64::MAX,
        ];
        let prefix = PREFIX.get(self.len as usize).copied().unwrap_or(u64::MAX);
        inner.len >= self.len && (self.ids ^ inner.ids) & prefix == 0
    }
}

/// Whether an encoder checks the order and the paths of its records ([`sorted`]), or takes them
/// as they come: the store's lent read gives them in path order, each once, under the request
/// path (checked in debug builds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    /// Any records: checked, sorted when they are not in order.
    Check,
    /// Records the caller vouches for.
    Trusted,
}

/// [`sorted`], or the records as they are when the caller vouches for them.
pub(crate) fn sorted_as<'r, 'a>(
    base: &Path,
    records: &'r [RecordRef<'a>],
    order: Order,
) -> Result<Cow<'r, [RecordRef<'a>]>, EncodeError> {
    if order == Order::Trusted {
        debug_assert_eq!(check_encoded(base, records), Some(Ok(())), "{base}");
        return Ok(Cow::Borrowed(records));
    }
    sorted(base, records)
}

/// Checks records for an encoder and returns them in path order.
///
/// Records usually come in order already (the store reads them so): then one pass both
/// confirms the order and checks them, each path's key computed once, and they are used as
/// they are (no allocation); otherwise a sorted copy is checked.
pub(crate) fn sorted<'r, 'a>(
    base: &Path,
    records: &'r [RecordRef<'a>],
) -> Result<Cow<'r, [RecordRef<'a>]>, EncodeError> {
    if let Some(verdict) = check_encoded(base, records) {
        return verdict.map(|()| Cow::Borrowed(records));
    }
    let mut out = records.to_vec();
    sort_records(&mut out, |r| (order_key(&r.path), time_key(r.time)));
    check_encoded(base, &out)
        .unwrap_or(Ok(()))
        .map(|()| Cow::Owned(out))
}

/// The checks of [`sorted`] on records in order: `None` when they are not in order (nothing
/// is then said about them), else the first problem met, in order. Paths are compared as their
/// [`PathKey`] (two machine words, where the `u128` of [`order_key`] takes more).
fn check_encoded(base: &Path, records: &[RecordRef<'_>]) -> Option<Result<(), EncodeError>> {
    let base_key = PathKey::of(base);
    let mut first_error = None;
    let mut previous: Option<(PathKey, Option<f64>)> = None;
    for record in records {
        let key = PathKey::of(&record.path);
        if let Some((p, time)) = previous {
            // The time is compared only for a repeated path (a time series).
            let in_order = match p.cmp(&key) {
                Ordering::Less => true,
                Ordering::Equal => time_key(time) <= time_key(record.time),
                Ordering::Greater => false,
            };
            if !in_order {
                return None;
            }
        }
        if first_error.is_none() {
            first_error = encoded_record_error(base_key, key, record, previous);
        }
        previous = Some((key, record.time));
    }
    Some(first_error.map_or(Ok(()), Err))
}

/// What is wrong with `record` (key `key`) after the record `previous` under the base
/// `base_key`, if anything.
fn encoded_record_error(
    base_key: PathKey,
    key: PathKey,
    record: &RecordRef<'_>,
    previous: Option<(PathKey, Option<f64>)>,
) -> Option<EncodeError> {
    if !base_key.contains(key) {
        return Some(EncodeError::InvalidRecords(
            "a record outside the request path",
        ));
    }
    if record.path.len() < 3 {
        return Some(EncodeError::InvalidRecords(
            "a record that is not a resource or resource instance",
        ));
    }
    if let Some((p, time)) = previous {
        let same_path_other_time = p == key && record.time.is_some() && time != record.time;
        if p.contains(key) && !same_path_other_time {
            return Some(EncodeError::InvalidRecords("a path that appears twice"));
        }
    }
    None
}
