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
//! # Fast paths
//!
//! Both decoders first try a borrowing reader that resolves records as it reads them (JSON: the
//! scanner of `json_scan`; CBOR: a minimal reader of the few CBOR items SenML uses). On anything
//! unusual, and on any error, they give up and decode again with the general path (serde_json or
//! minicbor, then resolution), which gives the answer or the error. The fast readers therefore
//! never decide an error and never accept what the general path rejects.

use std::borrow::Cow;

use minicbor::data::Type;

use super::json_scan::{Scalar, Scanner};
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
fn whole_time(time: f64) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    (time.fract() == 0.0 && time.abs() < EXACT).then_some(time as i64)
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
        // Writing a str into a Vec cannot fail.
        let _ = serde_json::to_writer(out, s);
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

/// Writes a JSON number for a finite float (callers check; serde_json writes `null` otherwise).
pub(crate) fn json_f64(out: &mut Vec<u8>, x: f64) {
    let _ = serde_json::to_writer(out, &x);
}

/// CBOR major types.
const CBOR_UNSIGNED: u8 = 0;
const CBOR_NEGATIVE: u8 = 1;
const CBOR_BYTES: u8 = 2;
const CBOR_TEXT: u8 = 3;
const CBOR_ARRAY: u8 = 4;
const CBOR_MAP: u8 = 5;
const CBOR_SIMPLE: u8 = 7;

/// SenML CBOR labels, as the one-byte CBOR integers they are written as.
const LABEL_BN: u8 = 0x21; // -2
const LABEL_BT: u8 = 0x22; // -3
const LABEL_N: u8 = 0x00;
const LABEL_V: u8 = 0x02;
const LABEL_VS: u8 = 0x03;
const LABEL_VB: u8 = 0x04;
const LABEL_VD: u8 = 0x08;
const LABEL_T: u8 = 0x06;
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
    std::str::from_utf8(bytes).unwrap_or_default()
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
    #[inline]
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
    bn: Cow<'a, str>,
    /// `bn` read as the start of a path (`None` when it cannot start one).
    prefix: Option<PathText>,
}

impl<'a> Names<'a> {
    fn new() -> Self {
        Names {
            bn: Cow::Borrowed(""),
            prefix: Some(PathText::START),
        }
    }

    fn next(
        &mut self,
        format: ContentFormat,
        bn: Option<Cow<'a, str>>,
        n: Option<&str>,
    ) -> Result<Path, DecodeError> {
        if let Some(bn) = bn {
            self.prefix = PathText::START.feed(bn.as_bytes());
            self.bn = bn;
        }
        let n = n.unwrap_or("");
        if let Some(path) = self
            .prefix
            .and_then(|p| p.feed(n.as_bytes()))
            .and_then(PathText::finish)
        {
            return Ok(path);
        }
        // Not a valid path: let the path parser say why.
        let mut name = String::with_capacity(self.bn.len() + n.len());
        name.push_str(&self.bn);
        name.push_str(n);
        name.parse::<Path>()
            .map_err(|e| DecodeError::malformed(format, format!("record name: {e}")))
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

    /// Resolves one raw record (the general path: errors name the offending record).
    fn push(&mut self, record: RawRecord<'a>) -> Result<(), DecodeError> {
        let path = self
            .names
            .next(self.format, record.bn, record.n.as_deref())?;
        self.record(path, record.bt, record.t, record.value)
    }

    /// Adds the record at `path` (already resolved from the names): checks the path, resolves
    /// the time, types the value.
    #[inline]
    fn record(
        &mut self,
        path: Path,
        bt: Option<f64>,
        t: Option<f64>,
        value: Option<Raw<'_>>,
    ) -> Result<(), DecodeError> {
        let format = self.format;
        if path.len() < 3 {
            return Err(DecodeError::malformed(
                format,
                format!("{path} is not a resource or resource instance"),
            ));
        }
        if !self.base.contains(&path) {
            return Err(DecodeError::OutsideBase {
                path,
                base: self.base,
            });
        }
        if let Some(bt) = bt {
            self.base_time = bt;
        }
        let time = match t {
            Some(t) => self.base_time + t,
            None => self.base_time,
        };
        if !time.is_finite() {
            return Err(DecodeError::malformed(
                format,
                format!("{path}: the time bt + t is not a finite number"),
            ));
        }
        let raw =
            value.ok_or_else(|| DecodeError::malformed(format, format!("{path} has no value")))?;
        let value = typed(&path, self.kinds.lookup(&path)?, raw)?;
        self.out.push(Record {
            path,
            value,
            time: normalize_time(time),
        });
        Ok(())
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
        if let Some(bn) = &record.bn {
            prefix = PathText::START.feed(bn.as_bytes())?;
        }
        let n = record.n.as_deref().unwrap_or_default();
        let path = prefix.feed(n.as_bytes())?.finish()?;
        fast.record(path, record.bt, record.t, record.value).ok()
    })?;
    Some(fast.out)
}

/// Decodes SenML CBOR written to (or read from) `base`.
pub fn decode_cbor(
    base: &Path,
    bytes: &[u8],
    kinds: &dyn KindLookup,
) -> Result<Vec<Record>, DecodeError> {
    if let Some(records) = read_cbor_fast(base, bytes, kinds) {
        return Ok(records);
    }
    resolve_all(ContentFormat::SenmlCbor, base, parse_cbor(bytes)?, kinds)
}

/// Resolves the records the general path read, one by one.
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
    let raw = match format {
        ContentFormat::SenmlJson => {
            let mut fast = Vec::new();
            match scan_json(bytes, |record| {
                fast.push(record);
                Some(())
            }) {
                Some(()) => fast,
                None => parse_json(bytes)?,
            }
        }
        ContentFormat::SenmlCbor => parse_cbor(bytes)?,
        other => return Err(DecodeError::UnsupportedFormat(other.to_u16())),
    };
    let mut names = Names::new();
    let mut out = Vec::with_capacity(raw.len());
    for record in raw {
        if record.value.is_some() {
            return Err(DecodeError::malformed(
                format,
                "a path list carries a value",
            ));
        }
        out.push(names.next(format, record.bn, record.n.as_deref())?);
    }
    Ok(out)
}

/// Applies the resource type (when known) to a wire value.
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

/// The fast path of [`parse_json`]: gives each record to `each` as it is read; `None` when the
/// payload is anything but a plain, valid pack (escapes, nesting, duplicate fields, errors...)
/// or when `each` gives up, and `parse_json` then reads or rejects it.
fn scan_json<'a>(bytes: &'a [u8], mut each: impl FnMut(RawRecord<'a>) -> Option<()>) -> Option<()> {
    let mut s = Scanner::new(bytes)?;
    s.array(|s| {
        let mut record = RawRecord::default();
        s.object(|s, label| scan_field(s, label, &mut record))?;
        each(record)
    })?;
    s.at_end().then_some(())
}

/// One field of a record on the fast path; `None` wherever `parse_json` might disagree.
fn scan_field<'a>(s: &mut Scanner<'a>, label: &str, record: &mut RawRecord<'a>) -> Option<()> {
    let scalar = s.scalar()?;
    // Labels are matched as bytes, by length first (cheaper than comparing strings one by one).
    let raw = match (label.as_bytes(), scalar) {
        (b"n", Scalar::Str(text)) if record.n.is_none() => {
            record.n = Some(Cow::Borrowed(text));
            return Some(());
        }
        (b"v", Scalar::Int(n)) => Raw::Int(n),
        (b"v", Scalar::Float(x)) => Raw::Float(x),
        (b"vs", Scalar::Str(text)) => Raw::Str(Cow::Borrowed(text)),
        (b"bn", Scalar::Str(text)) if record.bn.is_none() => {
            record.bn = Some(Cow::Borrowed(text));
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
        (b"vb", Scalar::Bool(b)) => Raw::Bool(b),
        (b"vd", Scalar::Str(text)) => Raw::Data(Cow::Owned(b64::decode(text)?)),
        (b"vlo", Scalar::Str(text)) => Raw::ObjLnk(Cow::Borrowed(text)),
        (
            b"bn" | b"n" | b"bt" | b"t" | b"ut" | b"bver" | b"v" | b"vs" | b"vb" | b"vd" | b"vlo"
            | b"bv" | b"bs" | b"bu" | b"s",
            _,
        ) => return None,
        ([.., b'_'], _) => return None,
        _ => return Some(()),
    };
    if record.value.replace(raw).is_some() {
        return None;
    }
    Some(())
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

/// A minimal CBOR reader for the fast path: definite heads, text, bytes, integers, floats and
/// booleans; `None` on anything else (the general path then decides).
struct CborReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> CborReader<'a> {
    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(len)?;
        let taken = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(taken)
    }

    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    /// A head: major type, additional information, argument. Indefinite lengths and reserved
    /// values are `None`.
    fn head(&mut self) -> Option<(u8, u8, u64)> {
        let initial = self.byte()?;
        let info = initial & 0x1f;
        let arg = match info {
            0..=23 => u64::from(info),
            24 => u64::from(self.byte()?),
            25 => u64::from(u16::from_be_bytes(self.take(2)?.try_into().ok()?)),
            26 => u64::from(u32::from_be_bytes(self.take(4)?.try_into().ok()?)),
            27 => u64::from_be_bytes(self.take(8)?.try_into().ok()?),
            _ => return None,
        };
        Some((initial >> 5, info, arg))
    }

    /// The argument of a head of major type `major`.
    fn expect(&mut self, major: u8) -> Option<u64> {
        match self.head()? {
            (m, _, arg) if m == major => Some(arg),
            _ => None,
        }
    }

    fn text(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.name()?).ok()
    }

    /// A text string's bytes, not checked as UTF-8 (for names, which must be ASCII anyway).
    fn name(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.expect(CBOR_TEXT)?).ok()?;
        self.take(len)
    }

    fn data(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.expect(CBOR_BYTES)?).ok()?;
        self.take(len)
    }

    fn number(&mut self) -> Option<Raw<'a>> {
        Some(match self.head()? {
            (CBOR_UNSIGNED, _, n) => Raw::Int(i128::from(n)),
            (CBOR_NEGATIVE, _, n) => Raw::Int(-1 - i128::from(n)),
            (CBOR_SIMPLE, 25, bits) => Raw::Float(f16_to_f64(u16::try_from(bits).ok()?)),
            (CBOR_SIMPLE, 26, bits) => {
                Raw::Float(f64::from(f32::from_bits(u32::try_from(bits).ok()?)))
            }
            (CBOR_SIMPLE, 27, bits) => Raw::Float(f64::from_bits(bits)),
            _ => return None,
        })
    }

    fn time(&mut self) -> Option<f64> {
        let time = match self.number()? {
            Raw::Int(n) => n as f64,
            Raw::Float(x) => x,
            _ => return None,
        };
        time.is_finite().then_some(time)
    }

    fn bool(&mut self) -> Option<bool> {
        match self.byte()? {
            0xf4 => Some(false),
            0xf5 => Some(true),
            _ => None,
        }
    }
}

/// The fast path of [`decode_cbor`]: reads and resolves in one pass; `None` on any label it does
/// not handle, any duplicate field and any error.
fn read_cbor_fast(base: &Path, bytes: &[u8], kinds: &dyn KindLookup) -> Option<Vec<Record>> {
    let mut r = CborReader { bytes, pos: 0 };
    let len = usize::try_from(r.expect(CBOR_ARRAY)?).ok()?;
    // Each record takes at least one byte: the capacity is bounded by the input.
    let mut resolver = Resolver::new(ContentFormat::SenmlCbor, base, kinds, len.min(bytes.len()));
    let mut prefix = PathText::START;
    for _ in 0..len {
        let fields = r.expect(CBOR_MAP)?;
        let (mut bn, mut n, mut bt, mut t, mut value) = (None, None, None, None, None);
        for _ in 0..fields {
            let raw = match r.byte()? {
                // Names are read as bytes: only ASCII digits and slashes make a path.
                LABEL_BN if bn.is_none() => {
                    bn = Some(r.name()?);
                    continue;
                }
                LABEL_N if n.is_none() => {
                    n = Some(r.name()?);
                    continue;
                }
                LABEL_BT if bt.is_none() => {
                    bt = Some(r.time()?);
                    continue;
                }
                LABEL_T if t.is_none() => {
                    t = Some(r.time()?);
                    continue;
                }
                LABEL_V => r.number()?,
                LABEL_VS => Raw::Str(Cow::Borrowed(r.text()?)),
                LABEL_VB => Raw::Bool(r.bool()?),
                LABEL_VD => Raw::Data(Cow::Borrowed(r.data()?)),
                0x63 if r.take(3)? == b"vlo" => Raw::ObjLnk(Cow::Borrowed(r.text()?)),
                _ => return None,
            };
            if value.replace(raw).is_some() {
                return None;
            }
        }
        if let Some(bn) = bn {
            prefix = PathText::START.feed(bn)?;
        }
        let path = prefix.feed(n.unwrap_or_default())?.finish()?;
        resolver.record(path, bt, t, value).ok()?;
    }
    (r.pos == bytes.len()).then_some(resolver.out)
}

fn parse_cbor(bytes: &[u8]) -> Result<Vec<RawRecord<'_>>, DecodeError> {
    const F: ContentFormat = ContentFormat::SenmlCbor;
    let mut d = minicbor::Decoder::new(bytes);
    let len = cbor_len(F, d.array().map_err(|e| cbor_error(F, e))?)?;
    // Each record takes at least one byte: the capacity is bounded by the input.
    let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(usize::MAX).min(bytes.len()));
    for _ in 0..len {
        let fields = cbor_len(F, d.map().map_err(|e| cbor_error(F, e))?)?;
        let mut record = RawRecord::default();
        for _ in 0..fields {
            let label = cbor_label(&mut d)?;
            read_cbor_field(&mut d, label, &mut record)?;
        }
        out.push(record);
    }
    if d.position() != bytes.len() {
        return Err(DecodeError::malformed(F, "bytes after the SenML pack"));
    }
    Ok(out)
}

/// A CBOR map key: an integer label or a text label.
enum Label<'a> {
    Int(i64),
    Text(&'a str),
}

fn cbor_label<'b>(d: &mut minicbor::Decoder<'b>) -> Result<Label<'b>, DecodeError> {
    const F: ContentFormat = ContentFormat::SenmlCbor;
    match d.datatype().map_err(|e| cbor_error(F, e))? {
        Type::String => Ok(Label::Text(d.str().map_err(|e| cbor_error(F, e))?)),
        Type::U8
        | Type::U16
        | Type::U32
        | Type::U64
        | Type::I8
        | Type::I16
        | Type::I32
        | Type::I64
        | Type::Int => Ok(Label::Int(d.i64().map_err(|e| cbor_error(F, e))?)),
        other => Err(DecodeError::malformed(
            F,
            format!("a {other} as a SenML label"),
        )),
    }
}

fn read_cbor_field<'b>(
    d: &mut minicbor::Decoder<'b>,
    label: Label<'b>,
    record: &mut RawRecord<'b>,
) -> Result<(), DecodeError> {
    const F: ContentFormat = ContentFormat::SenmlCbor;
    let e = |err| cbor_error(F, err);
    match label {
        Label::Int(-2) => record.bn = Some(Cow::Borrowed(d.str().map_err(e)?)),
        Label::Int(0) => record.n = Some(Cow::Borrowed(d.str().map_err(e)?)),
        Label::Int(-3) => record.bt = Some(time_of(F, "bt", cbor_number(d, F)?)?),
        Label::Int(6) => record.t = Some(time_of(F, "t", cbor_number(d, F)?)?),
        Label::Int(7 | -1) => {
            cbor_number(d, F)?;
        }
        Label::Int(2) => {
            let raw = cbor_number(d, F)?;
            set_value(F, record, raw)?;
        }
        Label::Int(3) => set_value(F, record, Raw::Str(Cow::Borrowed(d.str().map_err(e)?)))?,
        Label::Int(4) => set_value(F, record, Raw::Bool(d.bool().map_err(e)?))?,
        Label::Int(8) => set_value(F, record, Raw::Data(Cow::Borrowed(d.bytes().map_err(e)?)))?,
        Label::Text("vlo") => {
            set_value(F, record, Raw::ObjLnk(Cow::Borrowed(d.str().map_err(e)?)))?;
        }
        Label::Int(n @ (-5 | -4 | -16 | 1 | 5)) => {
            return Err(unsupported_label(F, &n.to_string()));
        }
        Label::Int(n) if n < -16 => return Err(unsupported_label(F, &n.to_string())),
        Label::Text(t) if t.ends_with('_') => return Err(unsupported_label(F, t)),
        _ => skip_scalar(d)?,
    }
    Ok(())
}

/// Skips the value of an unknown label; only scalars are skipped (no nesting is followed).
fn skip_scalar(d: &mut minicbor::Decoder<'_>) -> Result<(), DecodeError> {
    const F: ContentFormat = ContentFormat::SenmlCbor;
    match d.datatype().map_err(|e| cbor_error(F, e))? {
        Type::Array | Type::ArrayIndef | Type::Map | Type::MapIndef | Type::Tag => Err(
            DecodeError::malformed(F, "nested data under an unknown SenML label"),
        ),
        Type::BytesIndef | Type::StringIndef => Err(DecodeError::malformed(
            F,
            "indefinite-length string in SenML CBOR",
        )),
        _ => d.skip().map_err(|e| cbor_error(F, e)),
    }
}

/// A CBOR number: any integer (including beyond i64) or float of 2, 4 or 8 bytes.
pub(crate) fn cbor_number<'a>(
    d: &mut minicbor::Decoder<'_>,
    format: ContentFormat,
) -> Result<Raw<'a>, DecodeError> {
    let e = |err| cbor_error(format, err);
    Ok(match d.datatype().map_err(e)? {
        Type::U8
        | Type::U16
        | Type::U32
        | Type::U64
        | Type::I8
        | Type::I16
        | Type::I32
        | Type::I64
        | Type::Int => Raw::Int(i128::from(d.int().map_err(e)?)),
        Type::F16 => Raw::Float(cbor_f16(d, format)?),
        Type::F32 => Raw::Float(f64::from(d.f32().map_err(e)?)),
        Type::F64 => Raw::Float(d.f64().map_err(e)?),
        other => {
            return Err(DecodeError::malformed(
                format,
                format!("a {other} where a number belongs"),
            ));
        }
    })
}

/// Reads a half-precision float (minicbor needs its `half` feature for that).
fn cbor_f16(d: &mut minicbor::Decoder<'_>, format: ContentFormat) -> Result<f64, DecodeError> {
    let pos = d.position();
    let bits = match d.input().get(pos..pos + 3) {
        Some([0xf9, a, b]) => u16::from_be_bytes([*a, *b]),
        _ => return Err(DecodeError::malformed(format, "truncated f16")),
    };
    d.set_position(pos + 3);
    Ok(f16_to_f64(bits))
}

/// IEEE 754 binary16 to f64.
pub(crate) fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((bits >> 10) & 0x1f);
    let mant = f64::from(bits & 0x3ff);
    sign * match exp {
        0 => mant * 2f64.powi(-24),
        31 if mant == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        _ => (1.0 + mant / 1024.0) * 2f64.powi(exp - 15),
    }
}

/// A definite length; indefinite lengths are not accepted.
pub(crate) fn cbor_len(format: ContentFormat, len: Option<u64>) -> Result<u64, DecodeError> {
    len.ok_or_else(|| DecodeError::malformed(format, "indefinite-length CBOR is not accepted"))
}

pub(crate) fn cbor_error(format: ContentFormat, err: minicbor::decode::Error) -> DecodeError {
    DecodeError::malformed(format, format!("CBOR: {err}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::value::{ObjLnk, Time};

    #[test]
    fn half_floats() {
        assert_eq!(f16_to_f64(0x3c00), 1.0);
        assert_eq!(f16_to_f64(0xc000), -2.0);
        assert_eq!(f16_to_f64(0x0001), 2f64.powi(-24));
        assert_eq!(f16_to_f64(0x7c00), f64::INFINITY);
        assert!(f16_to_f64(0x7e00).is_nan());
    }

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
                fast.push(record);
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

    /// Every truncation and many one-byte changes of valid packs: whenever a fast path accepts
    /// the bytes, the general path accepts them too with the same records.
    #[test]
    fn fast_paths_agree_with_the_general_paths() {
        let kinds: [&dyn KindLookup; 2] = [&sample_kinds, &super::super::NoKinds];
        let mut accepted = [0usize; 2];
        for base in [Path::ROOT, Path::instance(3, 0)] {
            let records = sample_records();
            let json = encode_json(&base, &records).unwrap();
            let cbor = encode_cbor(&base, &records).unwrap();
            for (which, bytes) in [json, cbor].into_iter().enumerate() {
                let mut variants = vec![bytes.clone()];
                for cut in 0..bytes.len() {
                    variants.push(bytes[..cut].to_vec());
                }
                for at in 0..bytes.len() {
                    for new in [
                        0x00, 0x01, 0x17, 0x18, 0x20, 0x22, 0x2f, 0x30, 0x39, 0x3a, 0x5c, 0x60,
                        0x61, 0x7b, 0x7d, 0x80, 0xa0, 0xc0, 0xf4, 0xf9, 0xfa, 0xfb, 0xff,
                    ] {
                        let mut changed = bytes.clone();
                        changed[at] = new;
                        variants.push(changed);
                    }
                }
                for variant in &variants {
                    for kinds in kinds {
                        let (fast, slow) = if which == 0 {
                            (
                                scan_json_records(&base, variant, kinds),
                                parse_json(variant).and_then(|raw| {
                                    resolve_all(ContentFormat::SenmlJson, &base, raw, kinds)
                                }),
                            )
                        } else {
                            (
                                read_cbor_fast(&base, variant, kinds),
                                parse_cbor(variant).and_then(|raw| {
                                    resolve_all(ContentFormat::SenmlCbor, &base, raw, kinds)
                                }),
                            )
                        };
                        if let Some(fast) = fast {
                            accepted[which] += 1;
                            let slow = slow.unwrap_or_else(|e| {
                                panic!("fast accepted, general rejected ({e}): {variant:02x?}")
                            });
                            assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{variant:02x?}");
                        }
                    }
                }
            }
        }
        // The fast paths did take the valid packs and some changed ones.
        assert!(accepted[0] > 4 && accepted[1] > 4, "{accepted:?}");
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
