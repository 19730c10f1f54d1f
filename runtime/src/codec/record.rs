//! [`Record`], one value at one path, and its borrowing twin [`RecordRef`], which the encoders
//! work on.

use crate::path::Path;
use crate::value::{Value, ValueRef};

/// One value at one absolute path: a single-instance resource (`/o/i/r`) or one instance of a
/// multiple-instance resource (`/o/i/r/ri`), optionally with the time it was taken.
///
/// Several records may share a path when their times differ: a time series (a Send or a
/// notification of values stored while offline). Only SenML and OMA JSON carry times; the other
/// formats refuse a timed record with
/// [`EncodeError::NotRepresentable`](super::EncodeError::NotRepresentable).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Where the value lives.
    pub path: Path,
    /// The value.
    pub value: Value,
    /// When the value was taken, in seconds, as SenML writes time (RFC 8428 §4.5.3): from
    /// 2^28 on, seconds since the Unix epoch; below it, relative to now (negative is in the past).
    /// `None` is "now", which is also what a time of 0 means: the decoders give `None` for it.
    pub time: Option<f64>,
}

impl Record {
    /// A record of `value` at `path`, with no time ("now").
    pub fn new(path: Path, value: impl Into<Value>) -> Record {
        Record {
            path,
            value: value.into(),
            time: None,
        }
    }

    /// The same record taken at `time` (seconds; see [`Record::time`]). A time of 0 is "now".
    #[must_use]
    pub fn at(mut self, time: f64) -> Record {
        self.time = normalize_time(time);
        self
    }
}

/// A decoded SenML/OMA JSON time as a record time: 0 (and -0) mean "now", which is `None`.
pub(crate) fn normalize_time(time: f64) -> Option<f64> {
    (time != 0.0).then_some(time)
}

/// A [`Record`] whose value is lent ([`ValueRef`]): what the encoders work on, and what a
/// borrowing read of the store ([`ObjectStore::read_refs`](crate::ObjectStore::read_refs))
/// gives, its strings and bytes still in the object's fields.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRef<'a> {
    /// Where the value lives.
    pub path: Path,
    /// The value.
    pub value: ValueRef<'a>,
    /// When the value was taken: see [`Record::time`].
    pub time: Option<f64>,
}

impl<'a> RecordRef<'a> {
    /// A record of `value` at `path`, with no time ("now").
    pub fn new(path: Path, value: ValueRef<'a>) -> RecordRef<'a> {
        RecordRef {
            path,
            value,
            time: None,
        }
    }

    /// The record as an owned [`Record`] (text and bytes copied unless already owned).
    pub fn into_owned(self) -> Record {
        Record {
            path: self.path,
            value: self.value.into_owned(),
            time: self.time,
        }
    }
}

impl Record {
    /// The record lent as a [`RecordRef`] (nothing copied).
    pub fn as_ref(&self) -> RecordRef<'_> {
        RecordRef {
            path: self.path,
            value: self.value.as_ref(),
            time: self.time,
        }
    }
}

/// An owned record as a [`RecordRef`] that owns its value (nothing copied).
impl From<Record> for RecordRef<'static> {
    fn from(record: Record) -> RecordRef<'static> {
        RecordRef {
            path: record.path,
            value: record.value.into(),
            time: record.time,
        }
    }
}

/// `records` lent, for the encoders (one allocation, nothing of the values copied).
pub(crate) fn lent(records: &[Record]) -> alloc::vec::Vec<RecordRef<'_>> {
    records.iter().map(Record::as_ref).collect()
}
