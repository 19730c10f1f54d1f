//! SenML (RFC 8428) in JSON (`application/senml+json`, 110) and CBOR (`application/senml+cbor`,
//! 112), as LwM2M 1.1 uses it for reads, writes, composite operations, notifications and Send.
//!
//! Names are paths: a record's name is its base name (`bn`, carried over to the following
//! records until the next one) followed by its name (`n`), and must form a resource or resource
//! instance path (`/3/0/7/1`). Values: `v` numbers (Integer, Unsigned Integer, Float, Time), `vs`
//! strings (String, Corelnk), `vb` booleans, `vd` data (Opaque: base64url without padding in
//! JSON, a byte string in CBOR), `vlo` object links (`"3:0"`). Base value/sum/unit (`bv`, `bs`,
//! `bu`) and names ending in `_` (RFC 8428 must-understand) are rejected; `bver` and `ut` must be
//! numbers and are otherwise ignored; other unknown labels are skipped.
//!
//! # Times
//!
//! Decoding resolves times as RFC 8428 §4.5.3 and §4.6 say: a record's time is the current base
//! time (`bt`, carried over to the following records until a record sets another) plus its own
//! `t` (0 when absent), kept in [`Record::time`] (a resolved time of 0 is "now": `None`). `bt` and
//! `t` must be finite numbers (a string, a boolean, NaN or an infinity is malformed, 4.00). One
//! name may come several times with different resolved times (a time series); twice at the same
//! time it is a [`DecodeError::Duplicate`].
//!
//! Encoding writes each record's time exactly, without arithmetic on floats: a record whose time
//! differs from the current base time carries its time as a new `bt` (a record without time after
//! a timed one carries `"bt":0`, "now"); a record at the current base time carries no time field;
//! `t` is never written. Whole times below 2^53 are written as integers, other times as the
//! shortest float that reads back the same (4 bytes in CBOR when that loses nothing). A time
//! series of one path thus reads `[{"bn":"/3303/0/5700","bt":1700000000,"v":21.5},
//! {"bt":1700000060,"v":22}]`. A NaN or infinite time cannot be encoded (4.06).
//!
//! CBOR labels: `bver` -1, `bn` -2, `bt` -3, `n` 0, `v` 2, `vs` 3, `vb` 4, `t` 6, `ut` 7, `vd` 8,
//! `vlo` the text "vlo". Indefinite lengths and tags are rejected, and nesting is never followed:
//! a SenML pack is one array of flat maps.
//!
//! Encoding writes the request path as the base name of the first record (`"bn":"/3/0/"`) and the
//! rest of each path as its name (`"n":"7/0"`); a request on the root (composite) writes full names.
//!
//! # Decoding in one pass
//!
//! CBOR is read in one pass with the crate's one CBOR reader (`cbor_read`, which LwM2M CBOR uses
//! too): each record is read, resolved, typed and checked as it comes, and every error is decided
//! there (one-byte heads and short strings, most of a pack, take the reader's register-only
//! paths).
//!
//! JSON first tries the borrowing scanner of `json_scan`, which resolves records as it reads
//! them; on anything unusual (escapes, nesting...) and on any error it gives up and the payload is
//! decoded again with the tree parser (`json_value`), then resolved, which gives the answer or
//! the error. The scanner therefore never decides an error and never accepts what that parser
//! rejects.

use crate::prelude::*;
use alloc::borrow::Cow;

use super::cbor_read::{Item, ReadError, Reader, utf8};
use super::json_scan::{Number, Scalar, Scanner};
use super::{
    ContentFormat, DecodeError, EncodeError, KindLookup, Kinds, Record, RecordRef, b64, infer_int,
    lent, normalize_time, push_i64, push_objlnk, push_u64, value_from_float, value_from_int,
};
use crate::path::Path;
use crate::value::{CoreLnk, Kind, ObjLnk, Time, Value, ValueRef};

/// A SenML value as the wire has it, before the resource type is applied.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Raw<'a> {
    Int(i128),
    Float(f64),
    Str(Cow<'a, str>),
    Bool(bool),
    Data(Cow<'a, [u8]>),
    ObjLnk(Cow<'a, str>),
}

/// One SenML record as read: base name and base time (if this record sets them), name, time,
/// value.
#[derive(Debug, Default)]
struct RawRecord<'a> {
    bn: Option<Cow<'a, str>>,
    bt: Option<f64>,
    n: Option<Cow<'a, str>>,
    t: Option<f64>,
    value: Option<Raw<'a>>,
}

// ---------------------------------------------------------------------------------------------
// Decoding: names, times, resolution
// ---------------------------------------------------------------------------------------------

/// A path being read from text, one byte at a time, so that a base name is read once and each
/// name continues from it (names concatenate as text: `bn` "/3/0/1" and `n` "2" is `/3/0/12`).
#[derive(Debug, Clone, Copy)]
struct PathText {
    path: Path,
    id: Option<u32>,
    started: bool,
}

impl PathText {
    /// Nothing read yet.
    const START: PathText = PathText {
        path: Path::ROOT,
        id: None,
        started: false,
    };

    /// Reads on through `text`; `None` once it cannot be a path any more.
    #[cfg_attr(feature = "std", inline(always))]
    fn feed(mut self, text: &[u8]) -> Option<PathText> {
        for &b in text {
            if !self.started {
                if b != b'/' {
                    return None;
                }
                self.started = true;
                continue;
            }
            match b {
                b'0'..=b'9' => {
                    let value = self.id.unwrap_or(0) * 10 + u32::from(b - b'0');
                    if value > u32::from(u16::MAX) {
                        return None;
                    }
                    self.id = Some(value);
                }
                // An empty component, unless it is the single trailing slash after one.
                b'/' => self.path = self.path.child(u16::try_from(self.id.take()?).ok()?)?,
                _ => return None,
            }
        }
        Some(self)
    }

    /// The path read, if the text read is one.
    #[cfg_attr(feature = "std", inline(always))]
    fn finish(self) -> Option<Path> {
        if !self.started {
            return None;
        }
        match self.id {
            Some(last) => self.path.child(u16::try_from(last).ok()?),
            // Only "/" or a trailing slash after a component (`feed` rejects "//").
            None => Some(self.path),
        }
    }
}

/// The path named by `bn` followed by `n`, exactly as `Path::from_str` reads their
/// concatenation (one trailing slash allowed, leading zeros accepted), without building it;
/// `None` when it is not a valid path.
pub(crate) fn join_path(bn: &str, n: &str) -> Option<Path> {
    PathText::START
        .feed(bn.as_bytes())?
        .feed(n.as_bytes())?
        .finish()
}

/// Base-name state while walking a pack.
struct Names<'a> {
    bn: Cow<'a, [u8]>,
    /// `bn` read as the start of a path (`None` when it cannot start one).
    prefix: Option<PathText>,
}

impl<'a> Names<'a> {
    fn new() -> Self {
        Names {
            bn: Cow::Borrowed(b""),
            prefix: Some(PathText::START),
        }
    }

    /// The path of the next record, which sets base name `bn` (if any) and has name `n`.
    #[cfg_attr(feature = "std", inline(always))]
    fn next(
        &mut self,
        format: ContentFormat,
        bn: Option<Cow<'a, [u8]>>,
        n: Option<&[u8]>,
    ) -> Result<Path, DecodeError> {
        if let Some(bn) = bn {
            self.prefix = PathText::START.feed(&bn);
            self.bn = bn;
        }
        let n = n.unwrap_or_default();
        match self
            .prefix
            .and_then(|p| p.feed(n))
            .and_then(PathText::finish)
        {
            Some(path) => Ok(path),
            None => Err(Self::bad_name(format)),
        }
    }

    /// `bn` followed by `n` is not a path.
    #[cold]
    fn bad_name(format: ContentFormat) -> DecodeError {
        DecodeError::malformed(format, "a record name (bn + n) that is not an LwM2M path")
    }
}

/// A name read as text, as bytes.
fn name_bytes(name: Cow<'_, str>) -> Cow<'_, [u8]> {
    match name {
        Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
        Cow::Owned(text) => Cow::Owned(text.into_bytes()),
    }
}

/// Turns raw records into [`Record`]s one by one: names, times, types, and the checks.
struct Resolver<'a, 'k> {
    format: ContentFormat,
    base: Path,
    names: Names<'a>,
    base_time: f64,
    kinds: Kinds<'k>,
    out: Vec<Record>,
}

impl<'a, 'k> Resolver<'a, 'k> {
    fn new(format: ContentFormat, base: &Path, kinds: &'k dyn KindLookup, capacity: usize) -> Self {
        Resolver {
            format,
            base: *base,
            names: Names::new(),
            base_time: 0.0,
            kinds: Kinds::new(kinds),
            out: Vec::with_capacity(capacity),
        }
    }

    /// Resolves one raw record read by the tree parser (errors name the offending record).
    fn push(&mut self, record: RawRecord<'a>) -> Result<(), DecodeError> {
        let path = self.names.next(
            self.format,
            record.bn.map(name_bytes),
            record.n.as_deref().map(str::as_bytes),
        )?;
        self.record(path, record.bt, record.t, record.value)
    }

    /// Adds the record at `path` (already resolved from the names): checks the path, resolves
    /// the time, types the value. Inlined into each decoder's loop, like [`typed`] and
    /// [`Names::next`]: values and paths then stay in registers instead of going through memory
    /// between calls (which costs store-forwarding stalls more than it saves instructions).
    #[cfg_attr(feature = "std", inline(always))]
    fn record(
        &mut self,
        path: Path,
        bt: Option<f64>,
        t: Option<f64>,
        value: Option<Raw<'_>>,
    ) -> Result<(), DecodeError> {
        let time = self.place(path, bt, t, value.is_some())?;
        let Some(raw) = value else {
            return Err(self.timeless_or_empty(time));
        };
        let value = typed(&path, self.kinds.lookup(&path)?, raw)?;
        self.push_value(path, value, time);
        Ok(())
    }

    /// The checks of [`Resolver::record`] before the value is typed: the path is a resource
    /// (instance) within the request path, the resolved time (returned) is finite and the record
    /// has a value.
    #[cfg_attr(feature = "std", inline(always))]
    fn place(
        &mut self,
        path: Path,
        bt: Option<f64>,
        t: Option<f64>,
        has_value: bool,
    ) -> Result<f64, DecodeError> {
        if path.len() < 3 || !self.base.contains(&path) {
            return Err(self.misplaced(path));
        }
        if let Some(bt) = bt {
            self.base_time = bt;
        }
        let time = match t {
            Some(t) => self.base_time + t,
            None => self.base_time,
        };
        if !(time.is_finite() && has_value) {
            return Err(self.timeless_or_empty(time));
        }
        Ok(time)
    }

    /// Adds the typed value at `path` (placed by [`Resolver::place`]) at time `time`.
    ///
    /// The record is pushed as a constant, then its fields are set in place: a record built on
    /// the stack and then copied into the vector is read back in wide loads right after its
    /// narrow stores, which stalls (store forwarding) on every record.
    #[cfg_attr(feature = "std", inline(always))]
    fn push_value(&mut self, path: Path, value: Value, time: f64) {
        if let Some(slot) = self.push_placed(path, time) {
            *slot = value;
        }
    }

    /// Adds a record at `path` (placed by [`Resolver::place`]) at time `time`, and gives its
    /// value to set (a placeholder until then; `None` never happens: the record was just
    /// pushed).
    ///
    /// The record is pushed as a constant, then its fields are set in place: a record built on
    /// the stack and then copied into the vector is read back in wide loads right after its
    /// narrow stores, which stalls (store forwarding) on every record.
    #[cfg_attr(feature = "std", inline(always))]
    fn push_placed(&mut self, path: Path, time: f64) -> Option<&mut Value> {
        const EMPTY: Record = Record {
            path: Path::ROOT,
            value: Value::Boolean(false),
            time: None,
        };
        self.out.push(EMPTY);
        let slot = self.out.last_mut()?;
        slot.path = path;
        slot.time = normalize_time(time);
        Some(&mut slot.value)
    }

    /// Why `path` takes no value here: above a resource, or outside the request path.
    #[cold]
    fn misplaced(&self, path: Path) -> DecodeError {
        if path.len() < 3 {
            DecodeError::malformed(
                self.format,
                "a record that is not a resource or resource instance",
            )
        } else {
            DecodeError::OutsideBase {
                path,
                base: self.base,
            }
        }
    }

    /// Why the record at `path` is refused: its time is not finite, or it has no value.
    #[cold]
    fn timeless_or_empty(&self, time: f64) -> DecodeError {
        if time.is_finite() {
            DecodeError::malformed(self.format, "a record without a value")
        } else {
            DecodeError::malformed(self.format, "a time bt + t that is not a finite number")
        }
    }
}

/// A capacity for the records of a JSON pack of `len` bytes: one per 16 bytes (a record takes
/// at least 7, `{"v":1}`), at most 256, so it is bounded by the input.
fn json_capacity(len: usize) -> usize {
    (len / 16).clamp(1, 256)
}

/// Decodes SenML JSON written to (or read from) `base`.
pub fn decode_json(
    base: &Path,
    bytes: &[u8],
    kinds: &dyn KindLookup,
) -> Result<Vec<Record>, DecodeError> {
    if let Some(records) = scan_json_records(base, bytes, kinds) {
        return Ok(records);
    }
    resolve_all(ContentFormat::SenmlJson, base, parse_json(bytes)?, kinds)
}

/// The fast path of [`decode_json`]: scans and resolves in one pass; `None` when the scanner
/// declines the payload or any record fails.
fn scan_json_records(base: &Path, bytes: &[u8], kinds: &dyn KindLookup) -> Option<Vec<Record>> {
    let mut fast = Resolver::new(
        ContentFormat::SenmlJson,
        base,
        kinds,
        json_capacity(bytes.len()),
    );
    let mut prefix = PathText::START;
    scan_json(bytes, |record| {
        if let Some(bn) = record.bn {
            prefix = PathText::START.feed(bn.as_bytes())?;
        }
        let n = record.n.unwrap_or_default();
        let path = prefix.feed(n.as_bytes())?.finish()?;
        let time = fast
            .place(path, record.bt, record.t, record.value.is_some())
            .ok()?;
        let kind = fast.kinds.lookup(&path).ok()?;
        let value = record.value?;
        value.write_typed(kind, fast.push_placed(path, time)?)
    })?;
    Some(fast.out)
}

/// Decodes SenML CBOR written to (or read from) `base`: one pass that reads, resolves and
/// checks each record as it comes.
pub fn decode_cbor(
    base: &Path,
    bytes: &[u8],
    kinds: &dyn KindLookup,
) -> Result<Vec<Record>, DecodeError> {
    let mut pack = CborPack::open(bytes)?;
    let mut resolver = Resolver::new(CBOR_FORMAT, base, kinds, pack.capacity());
    let mut record = CborRecord::default();
    while pack.next(&mut record)? {
        let path = resolver
            .names
            .next(CBOR_FORMAT, record.bn.map(Cow::Borrowed), record.n)?;
        resolver.record(path, record.bt, record.t, record.value.take())?;
    }
    Ok(resolver.out)
}

/// Resolves the records the tree parser read, one by one.
fn resolve_all<'a>(
    format: ContentFormat,
    base: &Path,
    raw: Vec<RawRecord<'a>>,
    kinds: &dyn KindLookup,
) -> Result<Vec<Record>, DecodeError> {
    let mut resolver = Resolver::new(format, base, kinds, raw.len());
    for record in raw {
        resolver.push(record)?;
    }
    Ok(resolver.out)
}

/// The paths named by a SenML pack without values (a Read-Composite or Observe-Composite
/// request body): any level from `/` to a resource instance.
pub fn decode_paths(format: ContentFormat, bytes: &[u8]) -> Result<Vec<Path>, DecodeError> {
    let carries_value = || DecodeError::malformed(format, "a path list carries a value");
    let mut names = Names::new();
    if !super::served(format) {
        return Err(DecodeError::UnsupportedFormat(format.to_u16()));
    }
    match format {
        ContentFormat::SenmlJson => {
            let mut fast = Vec::new();
            let raw = match scan_json(bytes, |record| {
                fast.push(record.raw()?);
                Some(())
            }) {
                Some(()) => fast,
                None => parse_json(bytes)?,
            };
            let mut out = Vec::with_capacity(raw.len());
            for record in raw {
                if record.value.is_some() {
                    return Err(carries_value());
                }
                let n = record.n.as_deref().map(str::as_bytes);
                out.push(names.next(format, record.bn.map(name_bytes), n)?);
            }
            Ok(out)
        }
        ContentFormat::SenmlCbor => {
            let mut pack = CborPack::open(bytes)?;
            let mut out = Vec::with_capacity(pack.capacity());
            let mut record = CborRecord::default();
            while pack.next(&mut record)? {
                if record.value.is_some() {
                    return Err(carries_value());
                }
                out.push(names.next(format, record.bn.map(Cow::Borrowed), record.n)?);
            }
            Ok(out)
        }
        other => Err(DecodeError::UnsupportedFormat(other.to_u16())),
    }
}

/// Applies the resource type (when known) to a wire value.
#[cfg_attr(feature = "std", inline(always))]
pub(crate) fn typed(path: &Path, kind: Option<Kind>, raw: Raw<'_>) -> Result<Value, DecodeError> {
    let Some(kind) = kind else {
        return Ok(match raw {
            Raw::Int(n) => infer_int(n),
            Raw::Float(x) => Value::Float(x),
            Raw::Str(s) => Value::String(s.into_owned()),
            Raw::Bool(b) => Value::Boolean(b),
            Raw::Data(d) => Value::Opaque(d.into_owned()),
            Raw::ObjLnk(s) => Value::ObjLnk(objlnk(path, Kind::ObjLnk, &s)?),
        });
    };
    let mismatch = |found: &'static str| DecodeError::mismatch(*path, kind, found);
    match (kind, raw) {
        (_, Raw::Int(n)) => value_from_int(path, kind, n),
        (_, Raw::Float(x)) => value_from_float(path, kind, x),
        (Kind::String, Raw::Str(s)) => Ok(Value::String(s.into_owned())),
        (Kind::CoreLnk, Raw::Str(s)) => Ok(Value::CoreLnk(CoreLnk(s.into_owned()))),
        (Kind::Boolean, Raw::Bool(b)) => Ok(Value::Boolean(b)),
        (Kind::Opaque, Raw::Data(d)) => Ok(Value::Opaque(d.into_owned())),
        (Kind::ObjLnk, Raw::ObjLnk(s)) => Ok(Value::ObjLnk(objlnk(path, kind, &s)?)),
        (_, Raw::Str(_)) => Err(mismatch("a string (vs)")),
        (_, Raw::Bool(_)) => Err(mismatch("a boolean (vb)")),
        (_, Raw::Data(_)) => Err(mismatch("data (vd)")),
        (_, Raw::ObjLnk(_)) => Err(mismatch("an object link (vlo)")),
    }
}

fn objlnk(path: &Path, kind: Kind, text: &str) -> Result<ObjLnk, DecodeError> {
    super::text::parse_objlnk(text)
        .ok_or_else(|| DecodeError::mismatch(*path, kind, "a text that is not an object link"))
}

/// Sets a record's value, rejecting a second one.
fn set_value<'a>(
    format: ContentFormat,
    record: &mut RawRecord<'a>,
    value: Raw<'a>,
) -> Result<(), DecodeError> {
    if record.value.replace(value).is_some() {
        return Err(DecodeError::malformed(format, "a record with two values"));
    }
    Ok(())
}

fn unsupported_label(format: ContentFormat) -> DecodeError {
    DecodeError::malformed(
        format,
        "an unsupported SenML field (bu, bv, bs, u, s, or one ending in _)",
    )
}

/// A `bt` or `t` read as a number: it must be finite.
fn time_of(format: ContentFormat, raw: Raw<'_>) -> Result<f64, DecodeError> {
    let time = match raw {
        Raw::Int(n) => n as f64,
        Raw::Float(x) => x,
        _ => {
            return Err(DecodeError::malformed(
                format,
                "a time (bt, t) that is not a number",
            ));
        }
    };
    if time.is_finite() {
        Ok(time)
    } else {
        Err(DecodeError::malformed(
            format,
            "a time (bt, t) that is not a finite number",
        ))
    }
}

mod cbor;
mod encode;
mod json;

use cbor::*;
pub(crate) use encode::*;
pub use encode::{encode_cbor, encode_cbor_refs, encode_json, encode_json_refs};
use json::*;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
