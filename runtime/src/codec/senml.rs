//! SenML (RFC 8428) in JSON (`application/senml+json`, 110) and CBOR (`application/senml+cbor`,
//! 112), as LwM2M 1.1 uses it for reads, writes, composite operations and notifications.
//!
//! Names are paths: a record's name is its base name (`bn`, carried over to the following
//! records until the next one) followed by its name (`n`), and must form a resource or resource
//! instance path (`/3/0/7/1`). Values: `v` numbers (Integer, Unsigned Integer, Float, Time), `vs`
//! strings (String, Corelnk), `vb` booleans, `vd` data (Opaque: base64url without padding in
//! JSON, a byte string in CBOR), `vlo` object links (`"3:0"`). Times (`bt`, `t`) are checked and
//! ignored: the records model has no timestamps, so one name twice (a time series) is rejected as
//! a duplicate. Base value/sum/unit (`bv`, `bs`, `bu`) and names ending in `_` (RFC 8428
//! must-understand) are rejected; other unknown labels are skipped.
//!
//! CBOR labels: `bn` -2, `bt` -3, `n` 0, `v` 2, `vs` 3, `vb` 4, `t` 6, `vd` 8, `vlo` the text
//! "vlo". Indefinite lengths and tags are rejected, and nesting is never followed: a SenML pack is
//! one array of flat maps.
//!
//! Encoding writes the request path as the base name of the first record (`"bn":"/3/0/"`) and the
//! rest of each path as its name (`"n":"7/0"`); a request on the root (composite) writes full names.

use std::borrow::Cow;

use minicbor::data::Type;

use super::json_scan::{Scalar, Scanner};
use super::{
    ContentFormat, DecodeError, EncodeError, KindLookup, Kinds, Record, b64, infer_int, push_i64,
    push_ids, push_objlnk, push_u64, value_from_float, value_from_int,
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

/// One SenML record as read: base name (if this record sets one), name, value.
#[derive(Debug, Default)]
struct RawRecord<'a> {
    bn: Option<Cow<'a, str>>,
    n: Option<Cow<'a, str>>,
    value: Option<Raw<'a>>,
}

/// The name written for `path`: its ids below `base` (`7/0` for `/3/0/7/0` below `/3/0`), or the
/// whole path when `base` is the root.
fn record_name(base: &Path, path: &Path, out: &mut Vec<u8>) {
    if base.is_root() {
        push_ids(out, path, 0, true);
    } else {
        push_ids(out, path, base.len(), false);
    }
}

/// The base name written on the first record: the request path with a slash for its children,
/// or none for the root.
fn base_name(base: &Path, first: &Path, out: &mut Vec<u8>) -> bool {
    if base.is_root() {
        return false;
    }
    push_ids(out, base, 0, true);
    if first != base {
        out.push(b'/');
    }
    true
}

/// Encodes as SenML JSON.
pub fn encode_json(base: &Path, records: &[Record]) -> Result<Vec<u8>, EncodeError> {
    let records = super::sorted(base, records)?;
    let mut out = Vec::with_capacity(records.len() * 32 + 16);
    let mut name = Vec::new();
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
                    ContentFormat::SenmlJson,
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

/// Encodes as SenML CBOR.
pub fn encode_cbor(base: &Path, records: &[Record]) -> Result<Vec<u8>, EncodeError> {
    let records = super::sorted(base, records)?;
    let mut enc = minicbor::Encoder::new(Vec::with_capacity(records.len() * 24 + 16));
    let mut name = Vec::new();
    encode_cbor_records(&mut enc, base, &records, &mut name)
        .map_err(|e| EncodeError::InvalidRecords(format!("CBOR: {e}")))?;
    Ok(enc.into_writer())
}

type CborResult = Result<(), minicbor::encode::Error<core::convert::Infallible>>;

fn encode_cbor_records(
    enc: &mut minicbor::Encoder<Vec<u8>>,
    base: &Path,
    records: &[&Record],
    name: &mut Vec<u8>,
) -> CborResult {
    enc.array(records.len() as u64)?;
    let mut bn = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let with_bn = i == 0 && base_name(base, &record.path, &mut bn);
        name.clear();
        record_name(base, &record.path, name);
        let fields = 1 + u64::from(with_bn) + u64::from(!name.is_empty());
        enc.map(fields)?;
        if with_bn {
            enc.i8(-2)?.str(ascii(&bn))?;
        }
        if !name.is_empty() {
            enc.u8(0)?.str(ascii(name))?;
        }
        match &record.value {
            Value::Integer(n) | Value::Time(Time(n)) => enc.u8(2)?.i64(*n)?,
            Value::UnsignedInteger(n) => enc.u8(2)?.u64(*n)?,
            Value::Float(x) => cbor_float(enc.u8(2)?, *x)?,
            Value::String(s) | Value::CoreLnk(CoreLnk(s)) => enc.u8(3)?.str(s)?,
            Value::Boolean(b) => enc.u8(4)?.bool(*b)?,
            Value::Opaque(bytes) => enc.u8(8)?.bytes(bytes)?,
            Value::ObjLnk(l) => {
                let mut text = Vec::with_capacity(11);
                push_objlnk(&mut text, l);
                enc.str("vlo")?.str(ascii(&text))?
            }
        };
    }
    Ok(())
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

/// Decodes SenML JSON written to (or read from) `base`.
pub fn decode_json(
    base: &Path,
    bytes: &[u8],
    kinds: &dyn KindLookup,
) -> Result<Vec<Record>, DecodeError> {
    let raw = match scan_json(bytes) {
        Some(raw) => raw,
        None => parse_json(bytes)?,
    };
    resolve(ContentFormat::SenmlJson, base, raw, kinds)
}

/// Decodes SenML CBOR written to (or read from) `base`.
pub fn decode_cbor(
    base: &Path,
    bytes: &[u8],
    kinds: &dyn KindLookup,
) -> Result<Vec<Record>, DecodeError> {
    let raw = parse_cbor(bytes)?;
    resolve(ContentFormat::SenmlCbor, base, raw, kinds)
}

/// The paths named by a SenML pack without values (a Read-Composite or Observe-Composite
/// request body): any level from `/` to a resource instance.
pub fn decode_paths(format: ContentFormat, bytes: &[u8]) -> Result<Vec<Path>, DecodeError> {
    let raw = match format {
        ContentFormat::SenmlJson => match scan_json(bytes) {
            Some(raw) => raw,
            None => parse_json(bytes)?,
        },
        ContentFormat::SenmlCbor => parse_cbor(bytes)?,
        other => return Err(DecodeError::UnsupportedFormat(other.to_u16())),
    };
    let mut names = Names::default();
    let mut out = Vec::with_capacity(raw.len());
    for record in &raw {
        if record.value.is_some() {
            return Err(DecodeError::malformed(
                format,
                "a path list carries a value",
            ));
        }
        out.push(names.next(format, record)?);
    }
    Ok(out)
}

/// Base-name state while walking a pack.
#[derive(Default)]
struct Names<'a> {
    bn: Cow<'a, str>,
}

impl<'a> Names<'a> {
    fn next(&mut self, format: ContentFormat, record: &RawRecord<'a>) -> Result<Path, DecodeError> {
        if let Some(bn) = &record.bn {
            self.bn = bn.clone();
        }
        let n = record.n.as_deref().unwrap_or("");
        if let Some(path) = join_path(&self.bn, n) {
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

/// The path named by `bn` followed by `n`, exactly as `Path::from_str` reads their
/// concatenation (one trailing slash allowed, leading zeros accepted), without building it;
/// `None` when it is not a valid path.
pub(crate) fn join_path(bn: &str, n: &str) -> Option<Path> {
    let mut bytes = bn.bytes().chain(n.bytes());
    if bytes.next()? != b'/' {
        return None;
    }
    let mut path = Path::ROOT;
    let mut id: Option<u32> = None;
    for b in bytes {
        match b {
            b'0'..=b'9' => {
                let value = id.unwrap_or(0) * 10 + u32::from(b - b'0');
                if value > u32::from(u16::MAX) {
                    return None;
                }
                id = Some(value);
            }
            // An empty component, unless it is the single trailing slash after one.
            b'/' => path = path.child(u16::try_from(id.take()?).ok()?)?,
            _ => return None,
        }
    }
    match id {
        Some(last) => path.child(u16::try_from(last).ok()?),
        // Only "/" or a trailing slash after a component (the loop rejects "//").
        None => Some(path),
    }
}

fn resolve<'a>(
    format: ContentFormat,
    base: &Path,
    raw: Vec<RawRecord<'a>>,
    kinds: &dyn KindLookup,
) -> Result<Vec<Record>, DecodeError> {
    let mut names = Names::default();
    let mut kinds = Kinds::new(kinds);
    let mut out = Vec::with_capacity(raw.len());
    for record in raw {
        let path = names.next(format, &record)?;
        if path.len() < 3 {
            return Err(DecodeError::malformed(
                format,
                format!("{path} is not a resource or resource instance"),
            ));
        }
        if !base.contains(&path) {
            return Err(DecodeError::OutsideBase { path, base: *base });
        }
        let raw = record
            .value
            .ok_or_else(|| DecodeError::malformed(format, format!("{path} has no value")))?;
        let value = typed(&path, kinds.lookup(&path)?, raw)?;
        out.push(Record::new(path, value));
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

/// The fast path of [`parse_json`]: `None` when the payload is anything but a plain, valid pack
/// (escapes, nesting, duplicate fields, errors...), which `parse_json` then reads or rejects.
fn scan_json(bytes: &[u8]) -> Option<Vec<RawRecord<'_>>> {
    let mut s = Scanner::new(bytes)?;
    // Each record takes at least two bytes (`{}`): the capacity is bounded by the input.
    let mut out = Vec::with_capacity((bytes.len() / 24).clamp(1, 64));
    s.array(|s| {
        let mut record = RawRecord::default();
        s.object(|s, label| scan_field(s, label, &mut record))?;
        out.push(record);
        Some(())
    })?;
    s.at_end().then_some(out)
}

/// One field of a record on the fast path; `None` wherever `parse_json` might disagree.
fn scan_field<'a>(s: &mut Scanner<'a>, label: &str, record: &mut RawRecord<'a>) -> Option<()> {
    let (scalar, value) = (s.scalar(), &mut record.value);
    let raw = match (label, scalar?) {
        ("bn", Scalar::Str(text)) if record.bn.is_none() => {
            record.bn = Some(Cow::Borrowed(text));
            return Some(());
        }
        ("n", Scalar::Str(text)) if record.n.is_none() => {
            record.n = Some(Cow::Borrowed(text));
            return Some(());
        }
        ("bt" | "t" | "ut" | "bver", Scalar::Int(_) | Scalar::Float(_)) => return Some(()),
        ("v", Scalar::Int(n)) => Raw::Int(n),
        ("v", Scalar::Float(x)) => Raw::Float(x),
        ("vs", Scalar::Str(text)) => Raw::Str(Cow::Borrowed(text)),
        ("vb", Scalar::Bool(b)) => Raw::Bool(b),
        ("vd", Scalar::Str(text)) => Raw::Data(Cow::Owned(b64::decode(text)?)),
        ("vlo", Scalar::Str(text)) => Raw::ObjLnk(Cow::Borrowed(text)),
        (
            "bn" | "n" | "bt" | "t" | "ut" | "bver" | "v" | "vs" | "vb" | "vd" | "vlo" | "bv"
            | "bs" | "bu" | "s",
            _,
        ) => return None,
        (other, _) if other.ends_with('_') => return None,
        _ => return Some(()),
    };
    if value.replace(raw).is_some() {
        return None;
    }
    Some(())
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
                ("bt" | "t" | "ut" | "bver", serde_json::Value::Number(_)) => {}
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
        Label::Int(-3 | 6 | 7 | -1) => {
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
            match scan_json(case) {
                Some(fast) => {
                    let slow = slow.unwrap();
                    assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{case:?}");
                }
                // The plain packs must take the fast path.
                None => assert!(i >= 4, "declined {}", String::from_utf8_lossy(case)),
            }
        }
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
