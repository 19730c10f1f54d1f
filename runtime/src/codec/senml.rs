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
//! decoded again with serde_json, then resolved, which gives the answer or the error. The scanner
//! therefore never decides an error and never accepts what serde_json rejects.

use crate::prelude::*;
use alloc::borrow::Cow;

use super::cbor_read::{Item, ReadError, Reader, utf8};
use super::json_scan::{Number, Scalar, Scanner};
use super::{
    ContentFormat, DecodeError, EncodeError, KindLookup, Kinds, Record, b64, infer_int,
    normalize_time, push_i64, push_objlnk, push_u64, value_from_float, value_from_int,
};
use crate::path::Path;
use crate::value::{CoreLnk, Kind, ObjLnk, Time, Value};

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
// Encoding
// ---------------------------------------------------------------------------------------------

/// Appends the decimal digits of a path id (ids are mostly small: those take a branch).
#[inline(always)]
fn push_id(out: &mut Vec<u8>, id: u16) {
    match id {
        0..=9 => out.push(b'0' + id as u8),
        10..=99 => out.extend_from_slice(&[b'0' + (id / 10) as u8, b'0' + (id % 10) as u8]),
        _ => push_u64(out, u64::from(id)),
    }
}

/// Appends the ids of `path` from position `from` on, joined by `/`, with a leading `/` when
/// `leading` is set (like `push_ids`, faster for the short ids of paths).
#[inline(always)]
fn push_path_ids(out: &mut Vec<u8>, path: &Path, from: usize, leading: bool) {
    let ids = path.ids().get(from..).unwrap_or(&[]);
    for (i, id) in ids.iter().enumerate() {
        if leading || i > 0 {
            out.push(b'/');
        }
        push_id(out, *id);
    }
}

/// The name written for `path`: its ids below `base` (`7/0` for `/3/0/7/0` below `/3/0`), or the
/// whole path when `base` is the root.
fn record_name(base: &Path, path: &Path, out: &mut Vec<u8>) {
    if base.is_root() {
        push_path_ids(out, path, 0, true);
    } else {
        push_path_ids(out, path, base.len(), false);
    }
}

/// The base name written on the first record: the request path with a slash for its children,
/// or none for the root.
fn base_name(base: &Path, first: &Path, out: &mut Vec<u8>) -> bool {
    if base.is_root() {
        return false;
    }
    push_path_ids(out, base, 0, true);
    if first != base {
        out.push(b'/');
    }
    true
}

/// The base time the encoders write on a record: `Some` when the record's time (0 for "now")
/// differs from the current base time `current`, which then becomes it.
fn next_base_time(
    format: ContentFormat,
    record: &Record,
    current: &mut f64,
) -> Result<Option<f64>, EncodeError> {
    let time = record.time.unwrap_or(0.0);
    if !time.is_finite() {
        return Err(EncodeError::not_representable(
            format,
            format!("{}: the time {time} is not a finite number", record.path),
        ));
    }
    if time == *current {
        return Ok(None);
    }
    *current = time;
    Ok(Some(time))
}

/// A time written as an integer: whole and below 2^53 in magnitude, so exact both ways.
pub(crate) fn whole_time(time: f64) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    // `as` truncates toward zero (`f64::fract` needs std): whole when nothing was cut off.
    (time.abs() < EXACT && (time as i64) as f64 == time).then_some(time as i64)
}

/// Encodes as SenML JSON.
pub fn encode_json(base: &Path, records: &[Record]) -> Result<Vec<u8>, EncodeError> {
    const F: ContentFormat = ContentFormat::SenmlJson;
    let records = super::sorted(base, records)?;
    let mut out = Vec::with_capacity(records.len() * 32 + 16);
    let mut name = Vec::new();
    let mut base_time = 0.0;
    out.push(b'[');
    for (i, record) in records.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'{');
        let mut first = true;
        let mut key = |out: &mut Vec<u8>, k: &[u8]| {
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(k);
        };
        name.clear();
        if i == 0 && base_name(base, &record.path, &mut name) {
            key(&mut out, b"\"bn\":");
            json_ascii(&mut out, &name);
            name.clear();
        }
        if let Some(time) = next_base_time(F, record, &mut base_time)? {
            key(&mut out, b"\"bt\":");
            match whole_time(time) {
                Some(whole) => json_i64(&mut out, whole),
                None => json_f64(&mut out, time),
            }
        }
        record_name(base, &record.path, &mut name);
        if !name.is_empty() {
            key(&mut out, b"\"n\":");
            json_ascii(&mut out, &name);
        }
        match &record.value {
            Value::Integer(n) | Value::Time(Time(n)) => {
                key(&mut out, b"\"v\":");
                json_i64(&mut out, *n);
            }
            Value::UnsignedInteger(n) => {
                key(&mut out, b"\"v\":");
                json_u64(&mut out, *n);
            }
            Value::Float(x) if x.is_finite() => {
                key(&mut out, b"\"v\":");
                json_f64(&mut out, *x);
            }
            Value::Float(x) => {
                return Err(EncodeError::not_representable(
                    F,
                    format!("{}: JSON has no number {x}", record.path),
                ));
            }
            Value::String(s) | Value::CoreLnk(CoreLnk(s)) => {
                key(&mut out, b"\"vs\":");
                json_str(&mut out, s);
            }
            Value::Boolean(b) => {
                key(&mut out, b"\"vb\":");
                out.extend_from_slice(if *b { b"true" } else { b"false" });
            }
            Value::Opaque(bytes) => {
                key(&mut out, b"\"vd\":");
                let mut text = String::new();
                b64::encode_url(bytes, &mut text);
                json_ascii(&mut out, text.as_bytes());
            }
            Value::ObjLnk(l) => {
                key(&mut out, b"\"vlo\":");
                out.push(b'"');
                push_objlnk(&mut out, l);
                out.push(b'"');
            }
        }
        out.push(b'}');
    }
    out.push(b']');
    Ok(out)
}

/// Writes text known to need no escapes (digits, slashes, base64) as a JSON string literal.
pub(crate) fn json_ascii(out: &mut Vec<u8>, text: &[u8]) {
    out.push(b'"');
    out.extend_from_slice(text);
    out.push(b'"');
}

/// Writes a JSON string literal: as it is when nothing needs an escape (serde_json escapes only
/// `"`, `\\` and control characters), else escaped by serde_json.
pub(crate) fn json_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        // Serializing a str cannot fail.
        if let Ok(escaped) = serde_json::to_vec(s) {
            out.extend_from_slice(&escaped);
        }
    } else {
        json_ascii(out, s.as_bytes());
    }
}

/// Writes a JSON integer.
pub(crate) fn json_i64(out: &mut Vec<u8>, n: i64) {
    push_i64(out, n);
}

/// Writes a JSON unsigned integer.
pub(crate) fn json_u64(out: &mut Vec<u8>, n: u64) {
    push_u64(out, n);
}

/// Writes a JSON number for a finite float (callers check), exactly as serde_json does.
pub(crate) fn json_f64(out: &mut Vec<u8>, x: f64) {
    out.extend_from_slice(zmij::Buffer::new().format_finite(x).as_bytes());
}

/// CBOR major types.
const CBOR_UNSIGNED: u8 = 0;
const CBOR_NEGATIVE: u8 = 1;
const CBOR_BYTES: u8 = 2;
const CBOR_TEXT: u8 = 3;
const CBOR_ARRAY: u8 = 4;
const CBOR_MAP: u8 = 5;

/// SenML CBOR labels, as the one-byte CBOR integers they are written as.
const LABEL_BN: u8 = 0x21; // -2
const LABEL_BT: u8 = 0x22; // -3
const LABEL_N: u8 = 0x00;
const LABEL_V: u8 = 0x02;
const LABEL_VS: u8 = 0x03;
const LABEL_VB: u8 = 0x04;
const LABEL_VD: u8 = 0x08;
/// `vlo` is a text label: the CBOR text "vlo".
const LABEL_VLO: [u8; 4] = [0x63, b'v', b'l', b'o'];

/// Writes a CBOR head in its shortest form (RFC 8949 §3.1), as minicbor does.
#[inline(always)]
fn cbor_head(out: &mut Vec<u8>, major: u8, arg: u64) {
    let major = major << 5;
    match arg {
        0..=23 => out.push(major | arg as u8),
        24..=0xff => out.extend_from_slice(&[major | 24, arg as u8]),
        0x100..=0xffff => {
            out.push(major | 25);
            out.extend_from_slice(&(arg as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(major | 26);
            out.extend_from_slice(&(arg as u32).to_be_bytes());
        }
        _ => {
            out.push(major | 27);
            out.extend_from_slice(&arg.to_be_bytes());
        }
    }
}

/// Writes a CBOR integer.
fn cbor_i64(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        cbor_head(out, CBOR_UNSIGNED, n as u64);
    } else {
        // -1 - n, which is `!n` in two's complement.
        cbor_head(out, CBOR_NEGATIVE, !n as u64);
    }
}

/// Writes a CBOR text string.
fn cbor_text(out: &mut Vec<u8>, text: &[u8]) {
    cbor_head(out, CBOR_TEXT, text.len() as u64);
    out.extend_from_slice(text);
}

/// Writes a float in 4 bytes when that loses nothing, else in 8 (like [`cbor_float`]).
fn cbor_f64(out: &mut Vec<u8>, x: f64) {
    if f64::from(x as f32) == x || x.is_nan() {
        out.push(0xfa);
        out.extend_from_slice(&(x as f32).to_bits().to_be_bytes());
    } else {
        out.push(0xfb);
        out.extend_from_slice(&x.to_bits().to_be_bytes());
    }
}

/// Encodes as SenML CBOR.
pub fn encode_cbor(base: &Path, records: &[Record]) -> Result<Vec<u8>, EncodeError> {
    const F: ContentFormat = ContentFormat::SenmlCbor;
    let records = super::sorted(base, records)?;
    let mut out = Vec::with_capacity(records.len() * 24 + 16);
    let mut name = Vec::with_capacity(16);
    let mut base_time = 0.0;
    cbor_head(&mut out, CBOR_ARRAY, records.len() as u64);
    for (i, record) in records.iter().enumerate() {
        name.clear();
        let with_bn = i == 0 && base_name(base, &record.path, &mut name);
        let bn_len = name.len();
        record_name(base, &record.path, &mut name);
        let (bn, n) = name.split_at(bn_len);
        let time = next_base_time(F, record, &mut base_time)?;
        let fields = 1 + u64::from(with_bn) + u64::from(time.is_some()) + u64::from(!n.is_empty());
        cbor_head(&mut out, CBOR_MAP, fields);
        if with_bn {
            out.push(LABEL_BN);
            cbor_text(&mut out, bn);
        }
        if let Some(time) = time {
            out.push(LABEL_BT);
            match whole_time(time) {
                Some(whole) => cbor_i64(&mut out, whole),
                None => cbor_f64(&mut out, time),
            }
        }
        if !n.is_empty() {
            out.push(LABEL_N);
            cbor_text(&mut out, n);
        }
        match &record.value {
            Value::Integer(n) | Value::Time(Time(n)) => {
                out.push(LABEL_V);
                cbor_i64(&mut out, *n);
            }
            Value::UnsignedInteger(n) => {
                out.push(LABEL_V);
                cbor_head(&mut out, CBOR_UNSIGNED, *n);
            }
            Value::Float(x) => {
                out.push(LABEL_V);
                cbor_f64(&mut out, *x);
            }
            Value::String(s) | Value::CoreLnk(CoreLnk(s)) => {
                out.push(LABEL_VS);
                cbor_text(&mut out, s.as_bytes());
            }
            Value::Boolean(b) => out.extend_from_slice(&[LABEL_VB, 0xf4 | u8::from(*b)]),
            Value::Opaque(bytes) => {
                out.push(LABEL_VD);
                cbor_head(&mut out, CBOR_BYTES, bytes.len() as u64);
                out.extend_from_slice(bytes);
            }
            Value::ObjLnk(l) => {
                out.extend_from_slice(&LABEL_VLO);
                let mut text = Vec::with_capacity(11);
                push_objlnk(&mut text, l);
                cbor_text(&mut out, &text);
            }
        }
    }
    Ok(out)
}

/// Text the encoders built from digits, `/` and `:` (always ASCII, so never empty by mistake).
pub(crate) fn ascii(bytes: &[u8]) -> &str {
    core::str::from_utf8(bytes).unwrap_or_default()
}

/// Writes a float in 4 bytes when that loses nothing, else in 8 (NaN and infinities included).
pub(crate) fn cbor_float(
    enc: &mut minicbor::Encoder<Vec<u8>>,
    x: f64,
) -> Result<&mut minicbor::Encoder<Vec<u8>>, minicbor::encode::Error<core::convert::Infallible>> {
    if f64::from(x as f32) == x || x.is_nan() {
        enc.f32(x as f32)
    } else {
        enc.f64(x)
    }
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
    #[inline(always)]
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
    #[inline(always)]
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
    #[inline(always)]
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
            None => Err(self.bad_name(format, n)),
        }
    }

    /// Why `bn` followed by `n` is not a path, as the path parser says it.
    #[cold]
    fn bad_name(&self, format: ContentFormat, n: &[u8]) -> DecodeError {
        let mut name = String::from_utf8_lossy(&self.bn).into_owned();
        name.push_str(&String::from_utf8_lossy(n));
        match name.parse::<Path>() {
            Err(e) => DecodeError::malformed(format, format!("record name: {e}")),
            Ok(_) => DecodeError::malformed(format, format!("record name {name:?}")),
        }
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

    /// Resolves one raw record read by serde_json (errors name the offending record).
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
    #[inline(always)]
    fn record(
        &mut self,
        path: Path,
        bt: Option<f64>,
        t: Option<f64>,
        value: Option<Raw<'_>>,
    ) -> Result<(), DecodeError> {
        let time = self.place(path, bt, t, value.is_some())?;
        let Some(raw) = value else {
            return Err(self.timeless_or_empty(path, time));
        };
        let value = typed(&path, self.kinds.lookup(&path)?, raw)?;
        self.push_value(path, value, time);
        Ok(())
    }

    /// The checks of [`Resolver::record`] before the value is typed: the path is a resource
    /// (instance) within the request path, the resolved time (returned) is finite and the record
    /// has a value.
    #[inline(always)]
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
            return Err(self.timeless_or_empty(path, time));
        }
        Ok(time)
    }

    /// Adds the typed value at `path` (placed by [`Resolver::place`]) at time `time`.
    ///
    /// The record is pushed as a constant, then its fields are set in place: a record built on
    /// the stack and then copied into the vector is read back in wide loads right after its
    /// narrow stores, which stalls (store forwarding) on every record.
    #[inline(always)]
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
    #[inline(always)]
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
                format!("{path} is not a resource or resource instance"),
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
    fn timeless_or_empty(&self, path: Path, time: f64) -> DecodeError {
        if time.is_finite() {
            DecodeError::malformed(self.format, format!("{path} has no value"))
        } else {
            DecodeError::malformed(
                self.format,
                format!("{path}: the time bt + t is not a finite number"),
            )
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

/// Resolves the records serde_json read, one by one.
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
#[inline(always)]
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
    let mismatch = |found: &str| DecodeError::mismatch(*path, kind, found);
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
        .ok_or_else(|| DecodeError::mismatch(*path, kind, format!("the object link {text:?}")))
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

fn unsupported_label(format: ContentFormat, label: &str) -> DecodeError {
    DecodeError::malformed(format, format!("unsupported SenML field {label}"))
}

/// A `bt` or `t` read as a number: it must be finite.
fn time_of(format: ContentFormat, label: &str, raw: Raw<'_>) -> Result<f64, DecodeError> {
    let time = match raw {
        Raw::Int(n) => n as f64,
        Raw::Float(x) => x,
        _ => {
            return Err(DecodeError::malformed(
                format,
                format!("{label} is not a number"),
            ));
        }
    };
    if time.is_finite() {
        Ok(time)
    } else {
        Err(DecodeError::malformed(
            format,
            format!("{label} is not a finite number"),
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// SenML JSON
// ---------------------------------------------------------------------------------------------

/// A value as the JSON fast path reads it: borrowed, `Copy` and without an `i128` (so 24
/// bytes, 8-aligned), so that a record is reset and handed on in registers rather than through
/// memory (the base64 of `vd` is decoded when the record is taken).
#[derive(Debug, Clone, Copy)]
enum ScanValue<'a> {
    /// An integer within `i64`.
    Int(i64),
    /// An integer above `i64::MAX`, within `u64`.
    UInt(u64),
    Float(f64),
    Str(&'a str),
    Bool(bool),
    /// The base64url text of `vd`, not yet decoded.
    Data(&'a str),
    ObjLnk(&'a str),
}

impl<'a> ScanValue<'a> {
    /// A number the scanner read.
    #[inline(always)]
    fn number(number: Number) -> Self {
        match number {
            Number::Int(n) => ScanValue::Int(n),
            Number::UInt(n) => ScanValue::UInt(n),
            Number::Float(x) => ScanValue::Float(x),
        }
    }

    /// The wire value; `None` when `vd` is not base64url (the general path says so).
    fn raw(self) -> Option<Raw<'a>> {
        Some(match self {
            ScanValue::Int(n) => Raw::Int(i128::from(n)),
            ScanValue::UInt(n) => Raw::Int(i128::from(n)),
            ScanValue::Float(x) => Raw::Float(x),
            ScanValue::Str(text) => Raw::Str(Cow::Borrowed(text)),
            ScanValue::Bool(b) => Raw::Bool(b),
            ScanValue::Data(text) => Raw::Data(Cow::Owned(b64::decode(text)?)),
            ScanValue::ObjLnk(text) => Raw::ObjLnk(Cow::Borrowed(text)),
        })
    }

    /// Sets `slot` to the value for a resource of type `kind` (when known), exactly as
    /// [`typed`] gives it from [`ScanValue::raw`]; `None` where `typed` fails (the general path
    /// then says why), and `slot` is then left as it was.
    ///
    /// Written out rather than through `typed`, and into its place rather than returned: a
    /// `Result` (with its large error) or a `Value` built on the stack is copied in wide loads
    /// right after its narrow stores, which stalls (store forwarding) on every record.
    #[inline(always)]
    fn write_typed(self, kind: Option<Kind>, slot: &mut Value) -> Option<()> {
        let Some(kind) = kind else {
            match self {
                ScanValue::Int(n) => *slot = Value::Integer(n),
                ScanValue::UInt(n) => *slot = Value::UnsignedInteger(n),
                ScanValue::Float(x) => *slot = Value::Float(x),
                ScanValue::Str(text) => *slot = Value::String(text.to_owned()),
                ScanValue::Bool(b) => *slot = Value::Boolean(b),
                ScanValue::Data(text) => *slot = Value::Opaque(b64::decode(text)?),
                ScanValue::ObjLnk(text) => {
                    *slot = Value::ObjLnk(super::text::parse_objlnk(text)?);
                }
            }
            return Some(());
        };
        match (kind, self) {
            (Kind::Integer, ScanValue::Int(n)) => *slot = Value::Integer(n),
            (Kind::Time, ScanValue::Int(n)) => *slot = Value::Time(Time(n)),
            (Kind::UnsignedInteger, ScanValue::Int(n)) => {
                *slot = Value::UnsignedInteger(u64::try_from(n).ok()?);
            }
            (Kind::UnsignedInteger, ScanValue::UInt(n)) => *slot = Value::UnsignedInteger(n),
            (Kind::Float, ScanValue::Int(n)) => *slot = Value::Float(n as f64),
            (Kind::Float, ScanValue::UInt(n)) => *slot = Value::Float(n as f64),
            (Kind::Float, ScanValue::Float(x)) => *slot = Value::Float(x),
            (Kind::String, ScanValue::Str(text)) => *slot = Value::String(text.to_owned()),
            (Kind::CoreLnk, ScanValue::Str(text)) => {
                *slot = Value::CoreLnk(CoreLnk(text.to_owned()));
            }
            (Kind::Boolean, ScanValue::Bool(b)) => *slot = Value::Boolean(b),
            (Kind::Opaque, ScanValue::Data(text)) => *slot = Value::Opaque(b64::decode(text)?),
            (Kind::ObjLnk, ScanValue::ObjLnk(text)) => {
                *slot = Value::ObjLnk(super::text::parse_objlnk(text)?);
            }
            _ => return None,
        }
        Some(())
    }
}

/// One SenML record as the JSON fast path reads it (the borrowed, `Copy` twin of [`RawRecord`]).
#[derive(Debug, Clone, Copy, Default)]
struct ScanRecord<'a> {
    bn: Option<&'a str>,
    bt: Option<f64>,
    n: Option<&'a str>,
    t: Option<f64>,
    value: Option<ScanValue<'a>>,
}

impl<'a> ScanRecord<'a> {
    /// The record as the general path has it; `None` when `vd` is not base64url.
    fn raw(self) -> Option<RawRecord<'a>> {
        Some(RawRecord {
            bn: self.bn.map(Cow::Borrowed),
            bt: self.bt,
            n: self.n.map(Cow::Borrowed),
            t: self.t,
            value: match self.value {
                Some(value) => Some(value.raw()?),
                None => None,
            },
        })
    }

    /// Sets the value, declining a second one.
    #[inline(always)]
    fn set_value(&mut self, value: ScanValue<'a>) -> Option<()> {
        if self.value.replace(value).is_some() {
            return None;
        }
        Some(())
    }
}

/// The fast path of [`parse_json`]: gives each record to `each` as it is read; `None` when the
/// payload is anything but a plain, valid pack (escapes, nesting, duplicate fields, errors...)
/// or when `each` gives up, and `parse_json` then reads or rejects it.
fn scan_json<'a>(
    bytes: &'a [u8],
    mut each: impl FnMut(&ScanRecord<'a>) -> Option<()>,
) -> Option<()> {
    let mut s = Scanner::new(bytes)?;
    s.array(|s| {
        let mut record = ScanRecord::default();
        s.object(|s, label| scan_field(s, label, &mut record))?;
        each(&record)
    })?;
    s.at_end().then_some(())
}

/// One field of a record on the fast path; `None` wherever `parse_json` might disagree.
///
/// The usual labels read the one value type they take straight away; the others (and a usual
/// label with a value of another type, which then declines) go through [`scan_other_field`].
#[inline(always)]
fn scan_field<'a>(s: &mut Scanner<'a>, label: &str, record: &mut ScanRecord<'a>) -> Option<()> {
    let value = match label.as_bytes() {
        b"n" if record.n.is_none() => {
            record.n = Some(s.string_value()?);
            return Some(());
        }
        b"v" => ScanValue::number(s.number_value()?),
        b"vs" => ScanValue::Str(s.string_value()?),
        _ => return scan_other_field(s, label, record),
    };
    record.set_value(value)
}

/// [`scan_field`] for the labels other than `n`, `v` and `vs`.
fn scan_other_field<'a>(
    s: &mut Scanner<'a>,
    label: &str,
    record: &mut ScanRecord<'a>,
) -> Option<()> {
    let scalar = s.scalar()?;
    let value = match (label.as_bytes(), scalar) {
        (b"bn", Scalar::Str(text)) if record.bn.is_none() => {
            record.bn = Some(text);
            return Some(());
        }
        (b"bt", Scalar::Int(_) | Scalar::Float(_)) if record.bt.is_none() => {
            record.bt = Some(scalar_time(scalar)?);
            return Some(());
        }
        (b"t", Scalar::Int(_) | Scalar::Float(_)) if record.t.is_none() => {
            record.t = Some(scalar_time(scalar)?);
            return Some(());
        }
        (b"ut" | b"bver", Scalar::Int(_) | Scalar::Float(_)) => return Some(()),
        (b"vb", Scalar::Bool(b)) => ScanValue::Bool(b),
        (b"vd", Scalar::Str(text)) => ScanValue::Data(text),
        (b"vlo", Scalar::Str(text)) => ScanValue::ObjLnk(text),
        (
            b"bn" | b"n" | b"bt" | b"t" | b"ut" | b"bver" | b"v" | b"vs" | b"vb" | b"vd" | b"vlo"
            | b"bv" | b"bs" | b"bu" | b"s",
            _,
        ) => return None,
        ([.., b'_'], _) => return None,
        _ => return Some(()),
    };
    record.set_value(value)
}

/// A scanned number as a time (the scanner reads only finite numbers).
fn scalar_time(scalar: Scalar<'_>) -> Option<f64> {
    match scalar {
        Scalar::Int(n) => Some(n as f64),
        Scalar::Float(x) => Some(x),
        _ => None,
    }
}

fn parse_json(bytes: &[u8]) -> Result<Vec<RawRecord<'static>>, DecodeError> {
    const F: ContentFormat = ContentFormat::SenmlJson;
    let json: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| DecodeError::malformed(F, format!("JSON: {e}")))?;
    let serde_json::Value::Array(items) = json else {
        return Err(DecodeError::malformed(F, "a SenML pack is a JSON array"));
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let serde_json::Value::Object(fields) = item else {
            return Err(DecodeError::malformed(F, "a SenML record is a JSON object"));
        };
        let mut record = RawRecord::default();
        for (label, value) in fields {
            let wrong = || DecodeError::malformed(F, format!("field {label} has the wrong type"));
            match (label.as_str(), value) {
                ("bn", serde_json::Value::String(s)) => record.bn = Some(Cow::Owned(s)),
                ("n", serde_json::Value::String(s)) => record.n = Some(Cow::Owned(s)),
                ("bt", serde_json::Value::Number(n)) => {
                    record.bt = Some(time_of(F, "bt", json_number(&n).ok_or_else(wrong)?)?);
                }
                ("t", serde_json::Value::Number(n)) => {
                    record.t = Some(time_of(F, "t", json_number(&n).ok_or_else(wrong)?)?);
                }
                ("ut" | "bver", serde_json::Value::Number(_)) => {}
                ("v", serde_json::Value::Number(n)) => {
                    let raw = json_number(&n).ok_or_else(wrong)?;
                    set_value(F, &mut record, raw)?;
                }
                ("vs", serde_json::Value::String(s)) => {
                    set_value(F, &mut record, Raw::Str(Cow::Owned(s)))?;
                }
                ("vb", serde_json::Value::Bool(b)) => set_value(F, &mut record, Raw::Bool(b))?,
                ("vd", serde_json::Value::String(s)) => {
                    let data = b64::decode(&s)
                        .ok_or_else(|| DecodeError::malformed(F, "vd is not base64url"))?;
                    set_value(F, &mut record, Raw::Data(Cow::Owned(data)))?;
                }
                ("vlo", serde_json::Value::String(s)) => {
                    set_value(F, &mut record, Raw::ObjLnk(Cow::Owned(s)))?;
                }
                ("bn" | "n" | "bt" | "t" | "ut" | "bver" | "v" | "vs" | "vb" | "vd" | "vlo", _) => {
                    return Err(wrong());
                }
                ("bv" | "bs" | "bu" | "s", _) => return Err(unsupported_label(F, &label)),
                (other, _) if other.ends_with('_') => return Err(unsupported_label(F, other)),
                _ => {}
            }
        }
        out.push(record);
    }
    Ok(out)
}

fn json_number(n: &serde_json::Number) -> Option<Raw<'static>> {
    if let Some(i) = n.as_i64() {
        Some(Raw::Int(i128::from(i)))
    } else if let Some(u) = n.as_u64() {
        Some(Raw::Int(i128::from(u)))
    } else {
        n.as_f64().filter(|x| x.is_finite()).map(Raw::Float)
    }
}

// ---------------------------------------------------------------------------------------------
// SenML CBOR
// ---------------------------------------------------------------------------------------------

/// One record of a SenML CBOR pack as read, borrowing from the payload: names as bytes (they
/// must be paths, which are ASCII: [`PathText`] checks them), times checked finite.
#[derive(Debug, Default)]
struct CborRecord<'a> {
    bn: Option<&'a [u8]>,
    n: Option<&'a [u8]>,
    bt: Option<f64>,
    t: Option<f64>,
    value: Option<Raw<'a>>,
}

const CBOR_FORMAT: ContentFormat = ContentFormat::SenmlCbor;

#[cold]
fn cbor_malformed(reason: impl Into<String>) -> DecodeError {
    DecodeError::malformed(CBOR_FORMAT, reason)
}

#[cold]
fn cbor_read_error(err: ReadError) -> DecodeError {
    cbor_malformed(format!("CBOR: {err}"))
}

/// A SenML CBOR pack (RFC 8428 §6): one definite-length array of definite-length maps, read
/// record by record with the crate's one CBOR reader.
struct CborPack<'a> {
    reader: Reader<'a>,
    bytes: &'a [u8],
    left: u64,
}

impl<'a> CborPack<'a> {
    /// Opens the pack: its array head.
    fn open(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(bytes);
        let left = match reader.item().map_err(cbor_read_error)? {
            Item::Array(len) => len,
            Item::Indefinite(_) => {
                return Err(cbor_malformed("indefinite-length CBOR is not accepted"));
            }
            other => {
                return Err(cbor_malformed(format!(
                    "a SenML pack is a CBOR array, not {}",
                    other.describe()
                )));
            }
        };
        Ok(CborPack {
            reader,
            bytes,
            left,
        })
    }

    /// A bound on the number of records, for a capacity: each takes at least one byte.
    fn capacity(&self) -> usize {
        usize::try_from(self.left)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len())
    }

    /// Reads the next record into `record`; `false` after the last (then nothing may follow the
    /// pack).
    #[inline]
    fn next(&mut self, record: &mut CborRecord<'a>) -> Result<bool, DecodeError> {
        if self.left == 0 {
            if self.reader.position() != self.bytes.len() {
                return Err(cbor_malformed("bytes after the SenML pack"));
            }
            return Ok(false);
        }
        self.left -= 1;
        let fields = match self.reader.small(CBOR_MAP) {
            Some(fields) => u64::from(fields),
            None => self.long_map()?,
        };
        *record = CborRecord::default();
        for _ in 0..fields {
            self.field(record)?;
        }
        Ok(true)
    }

    /// The length of a map whose head is longer than one byte.
    #[cold]
    fn long_map(&mut self) -> Result<u64, DecodeError> {
        match self.reader.item().map_err(cbor_read_error)? {
            Item::Map(fields) => Ok(fields),
            Item::Indefinite(_) => Err(cbor_malformed("indefinite-length CBOR is not accepted")),
            other => Err(cbor_malformed(format!(
                "a SenML record is a CBOR map, not {}",
                other.describe()
            ))),
        }
    }

    /// Reads one label and its value into `record`. A repeated name or time replaces the earlier
    /// one; a second value is an error.
    #[inline(always)]
    fn field(&mut self, record: &mut CborRecord<'a>) -> Result<(), DecodeError> {
        let label = if let Some(n) = self.reader.small(CBOR_UNSIGNED) {
            Some(i64::from(n))
        } else if let Some(n) = self.reader.small(CBOR_NEGATIVE) {
            Some(-1 - i64::from(n))
        } else {
            self.long_label(record)?
        };
        self.labelled(label, record)
    }

    /// A label that is not a one-byte integer: `None` when its value has been read (`vlo`, an
    /// unknown text label).
    #[cold]
    fn long_label(&mut self, record: &mut CborRecord<'a>) -> Result<Option<i64>, DecodeError> {
        let label = match self.reader.item().map_err(cbor_read_error)? {
            Item::Unsigned(n) => i64::try_from(n).ok(),
            Item::Negative(n) => i64::try_from(n).ok().map(|n| -1 - n),
            Item::Text(b"vlo") => {
                let text = self.text()?;
                set_cbor_value(record, Raw::ObjLnk(Cow::Borrowed(text)))?;
                return Ok(None);
            }
            Item::Text(label) => {
                let label = utf8(label).map_err(cbor_read_error)?;
                if label.ends_with('_') {
                    return Err(unsupported_label(CBOR_FORMAT, label));
                }
                self.skip_scalar()?;
                return Ok(None);
            }
            other => {
                return Err(cbor_malformed(format!(
                    "{} as a SenML label",
                    other.describe()
                )));
            }
        };
        match label {
            Some(label) => Ok(Some(label)),
            None => Err(cbor_malformed("a SenML label beyond 64 bits")),
        }
    }

    /// Reads the value of integer label `label` (`None`: the value was read already).
    #[inline(always)]
    fn labelled(
        &mut self,
        label: Option<i64>,
        record: &mut CborRecord<'a>,
    ) -> Result<(), DecodeError> {
        let Some(label) = label else {
            return Ok(());
        };
        match label {
            -2 => record.bn = Some(self.name("bn")?),
            0 => record.n = Some(self.name("n")?),
            -3 => record.bt = Some(time_of(CBOR_FORMAT, "bt", self.number()?)?),
            6 => record.t = Some(time_of(CBOR_FORMAT, "t", self.number()?)?),
            7 | -1 => {
                self.number()?;
            }
            2 => {
                let number = self.number()?;
                set_cbor_value(record, number)?;
            }
            3 => {
                let text = self.text()?;
                set_cbor_value(record, Raw::Str(Cow::Borrowed(text)))?;
            }
            4 => match self.reader.item().map_err(cbor_read_error)? {
                Item::Bool(b) => set_cbor_value(record, Raw::Bool(b))?,
                other => return Err(self.wrong("vb", "a boolean", &other)),
            },
            8 => match self.reader.item().map_err(cbor_read_error)? {
                Item::Bytes(data) => set_cbor_value(record, Raw::Data(Cow::Borrowed(data)))?,
                other => return Err(self.wrong("vd", "a byte string", &other)),
            },
            // bu, bv, bs, u, s and the must-understand range (RFC 8428 §12.2).
            -6 | -5 | -4 | 1 | 5 | ..=-16 => {
                return Err(unsupported_label(CBOR_FORMAT, &label.to_string()));
            }
            _ => self.skip_scalar()?,
        }
        Ok(())
    }

    #[cold]
    fn wrong(&self, label: &str, expected: &str, found: &Item<'_>) -> DecodeError {
        cbor_malformed(format!("{label} is {}, not {expected}", found.describe()))
    }

    /// A name's bytes (`bn`, `n`).
    #[inline(always)]
    fn name(&mut self, label: &str) -> Result<&'a [u8], DecodeError> {
        if let Some(text) = self.reader.short_string(CBOR_TEXT) {
            return Ok(text);
        }
        match self.reader.item().map_err(cbor_read_error)? {
            Item::Text(text) => Ok(text),
            other => Err(self.wrong(label, "a text string", &other)),
        }
    }

    /// A text value (`vs`, `vlo`), checked as UTF-8.
    #[inline(always)]
    fn text(&mut self) -> Result<&'a str, DecodeError> {
        if let Some(text) = self.reader.short_string(CBOR_TEXT) {
            return utf8(text).map_err(cbor_read_error);
        }
        match self.reader.item().map_err(cbor_read_error)? {
            Item::Text(text) => utf8(text).map_err(cbor_read_error),
            other => Err(self.wrong("a text value", "a text string", &other)),
        }
    }

    /// A number: any CBOR integer (beyond `i64` too) or float of 2, 4 or 8 bytes.
    #[inline(always)]
    fn number(&mut self) -> Result<Raw<'a>, DecodeError> {
        if let Some(n) = self.reader.small(CBOR_UNSIGNED) {
            return Ok(Raw::Int(i128::from(n)));
        }
        match self.reader.item().map_err(cbor_read_error)? {
            Item::Unsigned(n) => Ok(Raw::Int(i128::from(n))),
            Item::Negative(n) => Ok(Raw::Int(-1 - i128::from(n))),
            Item::Float(x) => Ok(Raw::Float(x)),
            other => Err(cbor_malformed(format!(
                "{} where a number belongs",
                other.describe()
            ))),
        }
    }

    /// Skips the value of an unknown label; only scalars are skipped (no nesting is followed).
    fn skip_scalar(&mut self) -> Result<(), DecodeError> {
        match self.reader.item().map_err(cbor_read_error)? {
            Item::Array(_) | Item::Map(_) | Item::Tag(_) | Item::Indefinite(4..=6) => {
                Err(cbor_malformed("nested data under an unknown SenML label"))
            }
            Item::Indefinite(_) => Err(cbor_malformed("indefinite-length CBOR is not accepted")),
            // Skipped text is still text (RFC 8949 §3.1: major type 3 is UTF-8).
            Item::Text(text) => utf8(text).map(|_| ()).map_err(cbor_read_error),
            _ => Ok(()),
        }
    }
}

/// Sets a record's value, rejecting a second one.
fn set_cbor_value<'a>(record: &mut CborRecord<'a>, value: Raw<'a>) -> Result<(), DecodeError> {
    if record.value.replace(value).is_some() {
        return Err(cbor_malformed("a record with two values"));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::value::{ObjLnk, Time};

    /// The fast path either declines or reads exactly what the serde_json path reads.
    #[test]
    fn scanner_agrees_with_serde_json() {
        let cases: &[&[u8]] = &[
            br#"[{"bn":"/3/0/","n":"0","vs":"a"},{"n":"7/1","v":-5},{"n":"9","v":1.5e3}]"#,
            br#" [ { "n" : "/1/0/1" , "vb" : true , "t" : -1 , "x" : null } ] "#,
            br#"[{"n":"/1/0/1","vd":"AQI"},{"n":"/1/0/2","vlo":"3:0","bt":1.5}]"#,
            br#"[{"n":"/1/0/1","v":18446744073709551615},{"n":"/1/0/2","v":-9223372036854775808}]"#,
            br#"[{"n":"/1/0/1","v":-0}]"#,
            br#"[{"n":"/1/0/1","v":18446744073709551616}]"#,
            br#"[{"n":"/1/0/1","v":1,"v":2}]"#,
            br#"[{"n":"/1/0/1","n":"/1/0/2","v":1}]"#,
            br#"[{"n":"/1/0/1","v":1,"vs":"a"}]"#,
            br#"[{"n":"/1/0/1","vs":"a
b"}]"#,
            br#"[{"n":"/1/0/1","vs":"aA"}]"#,
            br#"[{"n":"/1/0/1","v":1,"other":{"deep":[1]}}]"#,
            br#"[{"n":"/1/0/1","v":1,"x_":1}]"#,
            br#"[{"n":"/1/0/1","v":1,"bv":1}]"#,
            br#"[{"n":"/1/0/1","v":"1"}]"#,
            br#"[{"n":"/1/0/1","vd":"!"}]"#,
            br#"[{"n":"/1/0/1","v":1e999}]"#,
            br#"[{"n":"/1/0/1","v":1},]"#,
            br#"[{"n":"/1/0/1","v":1}] x"#,
            br#"[]"#,
            br#"{}"#,
            b"[{\"n\":\"/1/0/1\",\"vs\":\"\xff\"}]",
        ];
        for (i, case) in cases.iter().enumerate() {
            let slow = parse_json(case);
            let mut fast = Vec::new();
            let scanned = scan_json(case, |record| {
                fast.push(record.raw()?);
                Some(())
            });
            match scanned.map(|()| fast) {
                Some(fast) => {
                    let slow = slow.unwrap();
                    assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{case:?}");
                }
                // The plain packs must take the fast path.
                None => assert!(i >= 4, "declined {}", String::from_utf8_lossy(case)),
            }
        }
    }

    /// Packs to mutate: every value type, times, instances, base names.
    fn sample_records() -> Vec<Record> {
        vec![
            Record::new(Path::resource(3, 0, 0), Value::String("Open Mobile".into())),
            Record::new(Path::resource_instance(3, 0, 7, 1), Value::Integer(-5)).at(1.5e9),
            Record::new(Path::resource_instance(3, 0, 7, 2), Value::Integer(70_000)).at(-30.0),
            Record::new(Path::resource(3, 0, 9), Value::UnsignedInteger(u64::MAX)),
            Record::new(Path::resource(3, 0, 10), Value::Float(1.1)).at(1_700_000_000.25),
            Record::new(Path::resource(3, 0, 11), Value::Boolean(true)),
            Record::new(Path::resource(3, 0, 12), Value::Opaque(vec![0, 1, 2, 255])),
            Record::new(
                Path::resource(3, 0, 13),
                Value::ObjLnk(ObjLnk::new(3, 65535)),
            ),
            Record::new(Path::resource(3, 0, 300), Value::Time(Time(-1))),
        ]
    }

    fn sample_kinds(path: &Path) -> Option<(Kind, bool)> {
        Some(match path.resource_id()? {
            0 => (Kind::String, false),
            7 => (Kind::Integer, true),
            9 => (Kind::UnsignedInteger, false),
            10 => (Kind::Float, false),
            11 => (Kind::Boolean, false),
            12 => (Kind::Opaque, false),
            13 => (Kind::ObjLnk, false),
            300 => (Kind::Time, false),
            _ => return None,
        })
    }

    /// One-byte changes a pack is mutated with: CBOR heads of every major type, JSON syntax.
    const MUTATIONS: [u8; 23] = [
        0x00, 0x01, 0x17, 0x18, 0x20, 0x22, 0x2f, 0x30, 0x39, 0x3a, 0x5c, 0x60, 0x61, 0x7b, 0x7d,
        0x80, 0xa0, 0xc0, 0xf4, 0xf9, 0xfa, 0xfb, 0xff,
    ];

    /// `bytes`, every truncation of it and many one-byte changes.
    fn variants(bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut variants = vec![bytes.to_vec()];
        for cut in 0..bytes.len() {
            variants.push(bytes[..cut].to_vec());
        }
        for at in 0..bytes.len() {
            for new in MUTATIONS {
                let mut changed = bytes.to_vec();
                changed[at] = new;
                variants.push(changed);
            }
        }
        variants
    }

    /// Every truncation and many one-byte changes of valid packs: whenever the JSON fast path
    /// accepts the bytes, the serde_json path accepts them too with the same records.
    #[test]
    fn json_fast_path_agrees_with_the_general_path() {
        let kinds: [&dyn KindLookup; 2] = [&sample_kinds, &super::super::NoKinds];
        let mut accepted = 0usize;
        for base in [Path::ROOT, Path::instance(3, 0)] {
            let json = encode_json(&base, &sample_records()).unwrap();
            for variant in &variants(&json) {
                for kinds in kinds {
                    let fast = scan_json_records(&base, variant, kinds);
                    let slow = parse_json(variant)
                        .and_then(|raw| resolve_all(ContentFormat::SenmlJson, &base, raw, kinds));
                    if let Some(fast) = fast {
                        accepted += 1;
                        let slow = slow.unwrap_or_else(|e| {
                            panic!("fast accepted, general rejected ({e}): {variant:02x?}")
                        });
                        assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{variant:02x?}");
                    }
                }
            }
        }
        // The fast path did take the valid packs and some changed ones.
        assert!(accepted > 4, "{accepted}");
    }

    /// The CBOR decoder reads back every sample record, rejects every truncation (the pack's
    /// array head counts its records) and survives every one-byte change.
    #[test]
    fn cbor_truncations_fail_and_changes_do_not_panic() {
        for base in [Path::ROOT, Path::instance(3, 0)] {
            let records = sample_records();
            let cbor = encode_cbor(&base, &records).unwrap();
            assert_eq!(decode_cbor(&base, &cbor, &sample_kinds).unwrap(), records);
            for cut in 0..cbor.len() {
                let err = decode_cbor(&base, &cbor[..cut], &sample_kinds).unwrap_err();
                assert!(matches!(err, DecodeError::Malformed { .. }), "{cut}: {err}");
            }
            for variant in variants(&cbor) {
                for kinds in [&sample_kinds as &dyn KindLookup, &super::super::NoKinds] {
                    let _ = decode_cbor(&base, &variant, kinds);
                }
                let _ = decode_paths(ContentFormat::SenmlCbor, &variant);
            }
        }
    }

    /// The reason a SenML CBOR pack is malformed (panics unless it is).
    fn cbor_error(bytes: &[u8]) -> String {
        match decode_cbor(&Path::ROOT, bytes, &super::super::NoKinds) {
            Err(DecodeError::Malformed { reason, .. }) => reason,
            other => panic!("{bytes:02x?}: {other:?}"),
        }
    }

    /// RFC 8428 §6: labels -1 bver, -2 bn, -3 bt, -4 bu, -5 bv, -6 bs, 0 n, 1 u, 2 v, 3 vs,
    /// 4 vb, 5 s, 6 t, 7 ut, 8 vd; `vlo` is the text label of LwM2M (Core TS §7.4.5).
    #[test]
    fn cbor_labels_and_values() {
        // [{0: "/1/0/1", 2: 65535 (u16), -1: 10, 7: 1.0 (f16), 99: h'00', "x": "y"}]
        let ok = [
            0x81, 0xa6, 0x00, 0x66, b'/', b'1', b'/', b'0', b'/', b'1', 0x02, 0x19, 0xff, 0xff,
            0x20, 0x0a, 0x07, 0xf9, 0x3c, 0x00, 0x18, 0x63, 0x41, 0x00, 0x61, b'x', 0x61, b'y',
        ];
        let records = decode_cbor(&Path::ROOT, &ok, &super::super::NoKinds).unwrap();
        assert_eq!(
            records,
            [Record::new(Path::resource(1, 0, 1), Value::Integer(65535))]
        );
        // A number beyond i64: -2^64 as an integer, typed as a float when nothing is known.
        let big = [
            0x81, 0xa2, 0x00, 0x66, b'/', b'1', b'/', b'0', b'/', b'1', 0x02, 0x3b, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ];
        let records = decode_cbor(&Path::ROOT, &big, &super::super::NoKinds).unwrap();
        assert_eq!(records[0].value, Value::Float(-18446744073709551616.0));
        // "vlo" and base time plus time.
        let vlo = [
            0x81, 0xa4, 0x00, 0x66, b'/', b'1', b'/', b'0', b'/', b'1', 0x63, b'v', b'l', b'o',
            0x63, b'3', b':', b'0', 0x22, 0x0a, 0x06, 0x01,
        ];
        let records = decode_cbor(&Path::ROOT, &vlo, &super::super::NoKinds).unwrap();
        assert_eq!(records[0].value, Value::ObjLnk(ObjLnk::new(3, 0)));
        assert_eq!(records[0].time, Some(11.0));

        let name = [0x00, 0x66, b'/', b'1', b'/', b'0', b'/', b'1'];
        let pack = |fields: u8, rest: &[u8]| {
            let mut bytes = vec![0x81, 0xa0 | fields];
            bytes.extend_from_slice(&name);
            bytes.extend_from_slice(rest);
            bytes
        };
        for (label, rest) in [
            ("bs", &[0x25, 0x01][..]),
            ("bv", &[0x24, 0x01]),
            ("bu", &[0x23, 0x61, b'V']),
            ("u", &[0x01, 0x61, b'V']),
            ("s", &[0x05, 0x01]),
            ("-17", &[0x30, 0x01]),
            ("x_", &[0x62, b'x', b'_', 0x01]),
        ] {
            let reason = cbor_error(&pack(2, rest));
            assert!(
                reason.contains("unsupported SenML field"),
                "{label}: {reason}"
            );
        }
        for (why, bytes) in [
            ("two values", pack(3, &[0x02, 0x01, 0x04, 0xf5])),
            ("nested", pack(2, &[0x18, 0x63, 0x80])),
            ("tag", pack(2, &[0x02, 0xc1, 0x01])),
            ("vs not text", pack(2, &[0x03, 0x01])),
            ("vb not bool", pack(2, &[0x04, 0x01])),
            ("vd not bytes", pack(2, &[0x08, 0x61, b'a'])),
            (
                "bt infinite",
                pack(3, &[0x22, 0xf9, 0x7c, 0x00, 0x02, 0x01]),
            ),
            ("float label", pack(2, &[0xf9, 0x3c, 0x00, 0x01])),
            ("no value", pack(1, &[])),
            ("trailing", pack(2, &[0x02, 0x01, 0x00])),
            ("indefinite map", vec![0x81, 0xbf, 0xff]),
            ("indefinite array", vec![0x9f, 0xff]),
            ("not an array", vec![0xa0]),
            ("bad name", pack(2, &[0x21, 0x61, b'x', 0x02, 0x01])),
            ("UTF-8 label", pack(3, &[0x61, 0xff, 0x01, 0x02, 0x01])),
            (
                "UTF-8 skipped",
                pack(3, &[0x18, 0x63, 0x61, 0xff, 0x02, 0x01]),
            ),
            ("UTF-8 vs", pack(2, &[0x03, 0x61, 0xff])),
        ] {
            let reason = cbor_error(&bytes);
            if why.starts_with("UTF-8") {
                assert!(reason.contains("UTF-8"), "{why}: {reason}");
            }
        }
    }

    #[test]
    fn cbor_path_lists() {
        // [{-2: "/3/0/", 0: "1"}, {0: "/4"}]
        let bytes = [
            0x82, 0xa2, 0x21, 0x65, b'/', b'3', b'/', b'0', b'/', 0x00, 0x61, b'1', 0xa1, 0x00,
            0x62, b'/', b'4',
        ];
        // The base name stays: "/3/0/" + "/4" is not a path.
        assert!(decode_paths(ContentFormat::SenmlCbor, &bytes).is_err());
        let bytes = [
            0x82, 0xa2, 0x21, 0x65, b'/', b'3', b'/', b'0', b'/', 0x00, 0x61, b'1', 0xa2, 0x21,
            0x60, 0x00, 0x62, b'/', b'4',
        ];
        assert_eq!(
            decode_paths(ContentFormat::SenmlCbor, &bytes).unwrap(),
            [Path::resource(3, 0, 1), Path::object(4)]
        );
        let with_value = [0x81, 0xa2, 0x00, 0x62, b'/', b'4', 0x02, 0x01];
        assert!(decode_paths(ContentFormat::SenmlCbor, &with_value).is_err());
    }

    #[test]
    fn join_path_reads_like_from_str() {
        for (bn, n) in [
            ("/3/0/", "7/1"),
            ("/3/0", "/7"),
            ("/", ""),
            ("", "/3/0/"),
            ("/03/", "0065535"),
            ("/3/0/1/2", ""),
            ("/3/0/1/2/", ""),
            ("//", ""),
            ("/3//", ""),
            ("/3/0/1/2/3", ""),
            ("/65536", ""),
            ("/3/a", ""),
            ("3/0", ""),
            ("", ""),
            ("/3/0/", "+1"),
        ] {
            let expected = format!("{bn}{n}").parse::<Path>().ok();
            assert_eq!(join_path(bn, n), expected, "{bn:?} + {n:?}");
        }
    }

    #[test]
    fn names_carry_the_base_name() {
        let json =
            br#"[{"bn":"/3/0/","n":"0","vs":"a"},{"n":"7/1","v":5},{"bn":"/4/0/","n":"1","v":2}]"#;
        let records = decode_json(&Path::ROOT, json, &super::super::NoKinds).unwrap();
        let paths: Vec<String> = records.iter().map(|r| r.path.to_string()).collect();
        assert_eq!(paths, ["/3/0/0", "/3/0/7/1", "/4/0/1"]);
    }
}
