//! The OMA LwM2M JSON format of LwM2M 1.0 (`application/vnd.oma.lwm2m+json`, 11543; 1543 in
//! LwM2M 1.0): `{"bn":"/3/0/","e":[{"n":"0","sv":"Open Mobile Alliance"},{"n":"7/0","v":3800}]}`.
//!
//! Entry values: `v` numbers (Integer, Unsigned Integer, Float, Time), `bv` booleans, `sv` strings
//! (String, Corelnk, and Opaque as base64), `ov` object links (`"3:0"`). Names are the base name
//! followed by the entry name; without a base name, entry names are relative to the request path
//! (LwM2M 1.0 TS §6.4.4: "the path of the Resource relative to the request URI").
//!
//! # Times
//!
//! The top-level `bt` (Base Time) is the time the entry times `t` are relative to, in seconds:
//! an entry's time is `bt + t` (either absent counts as 0), kept in [`Record::time`] like a SenML
//! time (a time of 0 is "now": `None`). The TS example of a notification with stored values:
//! `{"e":[{"n":"1/2","v":22.4,"t":-5},...],"bt":25462634}`.
//!
//! The encoder writes no time field when no record has a time. When every record has one, it
//! writes the latest as `bt` and each entry's offset from it as a negative `t` (none for the
//! latest), as the TS describes, provided `bt + t` gives back every time exactly; otherwise (and
//! when some records are "now") there is no `bt` and each timed entry carries its whole time as
//! `t`. Whole times below 2^53 are written as integers, others as the shortest exact decimal. A
//! NaN or infinite time cannot be encoded (4.06).

use crate::prelude::*;
use alloc::borrow::Cow;

use super::json_scan::{Scalar, Scanner};
use super::json_value;
use super::order::Order;
use super::senml::{Raw, join_path, json_ascii, json_f64, json_i64, json_str, json_u64, typed};
use super::{
    ContentFormat, DecodeError, EncodeError, KindLookup, Kinds, Record, RecordRef, b64, lent,
    normalize_time, push_ids, push_objlnk,
};
use crate::path::Path;
use crate::value::{Kind, Time, ValueRef};

/// Encodes `records` answering a request on `base`.
pub fn encode(base: &Path, records: &[Record]) -> Result<Vec<u8>, EncodeError> {
    encode_refs(base, &lent(records))
}

/// [`encode`] of lent records.
pub fn encode_refs(base: &Path, records: &[RecordRef<'_>]) -> Result<Vec<u8>, EncodeError> {
    encode_as(base, records, Order::Check)
}

/// [`encode_refs`] of records whose order the caller vouches for (`order`).
pub(crate) fn encode_as(
    base: &Path,
    records: &[RecordRef<'_>],
    order: Order,
) -> Result<Vec<u8>, EncodeError> {
    let records = super::sorted_as(base, records, order)?;
    let times = TimeScheme::for_records(&records)?;
    let mut out = Vec::with_capacity(records.len() * 32 + 32);
    let single = matches!(&records[..], [r] if r.path == *base);
    out.extend_from_slice(b"{\"bn\":\"");
    if base.is_root() {
        out.push(b'/');
    } else {
        push_ids(&mut out, base, 0, true);
        if !single {
            out.push(b'/');
        }
    }
    out.push(b'"');
    if let TimeScheme::Base(bt) = times {
        out.extend_from_slice(b",\"bt\":");
        push_time(&mut out, bt);
    }
    out.extend_from_slice(b",\"e\":[");
    let mut name = Vec::new();
    for (i, record) in records.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'{');
        if !single {
            name.clear();
            push_ids(&mut name, &record.path, base.len(), false);
            out.extend_from_slice(b"\"n\":");
            json_ascii(&mut out, &name);
            out.push(b',');
        }
        match &record.value {
            ValueRef::Integer(n) | ValueRef::Time(Time(n)) => {
                out.extend_from_slice(b"\"v\":");
                json_i64(&mut out, *n);
            }
            ValueRef::UnsignedInteger(n) => {
                out.extend_from_slice(b"\"v\":");
                json_u64(&mut out, *n);
            }
            ValueRef::Float(x) if x.is_finite() => {
                out.extend_from_slice(b"\"v\":");
                json_f64(&mut out, *x);
            }
            ValueRef::Float(_) => {
                return Err(EncodeError::not_representable(
                    ContentFormat::Json,
                    "NaN and infinite floats have no JSON number",
                ));
            }
            ValueRef::Boolean(b) => {
                out.extend_from_slice(if *b { b"\"bv\":true" } else { b"\"bv\":false" });
            }
            ValueRef::String(s) | ValueRef::CoreLnk(s) => {
                out.extend_from_slice(b"\"sv\":");
                json_str(&mut out, s);
            }
            ValueRef::Opaque(bytes) => {
                let mut text = String::new();
                b64::encode_standard(bytes, &mut text);
                out.extend_from_slice(b"\"sv\":");
                json_ascii(&mut out, text.as_bytes());
            }
            ValueRef::ObjLnk(l) => {
                out.extend_from_slice(b"\"ov\":\"");
                push_objlnk(&mut out, l);
                out.push(b'"');
            }
        }
        if let Some(t) = times.entry_time(record) {
            out.extend_from_slice(b",\"t\":");
            push_time(&mut out, t);
        }
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
    Ok(out)
}

/// How the encoder writes the records' times (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq)]
enum TimeScheme {
    /// No record has a time: no time fields.
    Untimed,
    /// Every record has a time: this `bt`, and `t` relative to it.
    Base(f64),
    /// No `bt`; each timed entry carries its time as `t`.
    Whole,
}

impl TimeScheme {
    fn for_records(records: &[RecordRef<'_>]) -> Result<TimeScheme, EncodeError> {
        let mut latest: Option<f64> = None;
        let mut all_timed = true;
        for record in records {
            match record.time {
                Some(time) if !time.is_finite() => {
                    return Err(EncodeError::not_representable(
                        ContentFormat::Json,
                        "a time that is not a finite number",
                    ));
                }
                Some(time) => latest = Some(latest.map_or(time, |l| l.max(time))),
                None => all_timed = false,
            }
        }
        let Some(bt) = latest else {
            return Ok(TimeScheme::Untimed);
        };
        let exact = |r: &RecordRef<'_>| r.time.is_some_and(|time| bt + (time - bt) == time);
        Ok(if all_timed && records.iter().all(exact) {
            TimeScheme::Base(bt)
        } else {
            TimeScheme::Whole
        })
    }

    /// The `t` written on the entry of `record`, if any.
    fn entry_time(self, record: &RecordRef<'_>) -> Option<f64> {
        let time = record.time?;
        match self {
            TimeScheme::Untimed => None,
            TimeScheme::Base(bt) => Some(time - bt).filter(|t| *t != 0.0),
            TimeScheme::Whole => Some(time),
        }
    }
}

/// Writes a time: an integer when it is whole and below 2^53 in magnitude (so exact both ways),
/// else the shortest decimal that reads back as the same `f64`.
fn push_time(out: &mut Vec<u8>, time: f64) {
    if let Some(whole) = super::senml::whole_time(time) {
        json_i64(out, whole);
    } else {
        json_f64(out, time);
    }
}

/// Decodes OMA JSON written to (or read from) `base`.
pub fn decode(
    format: ContentFormat,
    base: &Path,
    bytes: &[u8],
    kinds: &dyn KindLookup,
) -> Result<Vec<Record>, DecodeError> {
    if let Some((head, entries)) = scan(bytes) {
        let head = head.with_prefix();
        let mut kinds = Kinds::new(kinds);
        let mut out = Vec::with_capacity(entries.len());
        for entry in entries {
            out.push(resolve_entry(format, base, &mut kinds, head, entry)?);
        }
        return Ok(out);
    }
    let bad = |reason: &'static str| DecodeError::malformed(format, reason);
    let json = json_value::from_slice(bytes).ok_or(bad("not JSON"))?;
    let json_value::Value::Object(top) = json else {
        return Err(bad("the payload is not a JSON object"));
    };
    let mut head = Head::default();
    let mut entries = None;
    for (label, value) in &top {
        let wrong = || bad("a field of the wrong JSON type");
        match (label.as_str(), value) {
            ("bn", json_value::Value::String(s)) => head.bn = Some(s),
            ("bt", json_value::Value::Number(n)) => head.bt = Some(finite(n).ok_or_else(wrong)?),
            ("e", json_value::Value::Array(e)) => entries = Some(e),
            ("bn" | "bt" | "e", _) => return Err(wrong()),
            _ => {}
        }
    }
    let entries = entries.ok_or_else(|| bad("no \"e\" array"))?;
    let head = head.with_prefix();
    let mut out = Vec::with_capacity(entries.len());
    let mut kinds = Kinds::new(kinds);
    for entry in entries {
        let json_value::Value::Object(fields) = entry else {
            return Err(bad("an entry is not a JSON object"));
        };
        let mut scanned = ScannedEntry::default();
        for (label, value) in fields {
            let wrong = || bad("a field of the wrong JSON type");
            let item = match (label.as_str(), value) {
                ("n", json_value::Value::String(name)) => {
                    scanned.n = name;
                    continue;
                }
                ("t", json_value::Value::Number(n)) => {
                    scanned.t = Some(finite(n).ok_or_else(wrong)?);
                    continue;
                }
                ("v", json_value::Value::Number(n)) => {
                    if let Some(i) = n.as_i64() {
                        Raw::Int(i128::from(i))
                    } else if let Some(u) = n.as_u64() {
                        Raw::Int(i128::from(u))
                    } else {
                        Raw::Float(finite(n).ok_or_else(wrong)?)
                    }
                }
                ("bv", json_value::Value::Bool(b)) => Raw::Bool(*b),
                ("sv", json_value::Value::String(s)) => Raw::Str(Cow::Borrowed(s.as_str())),
                ("ov", json_value::Value::String(s)) => Raw::ObjLnk(Cow::Borrowed(s.as_str())),
                ("n" | "t" | "v" | "bv" | "sv" | "ov", _) => return Err(wrong()),
                _ => continue,
            };
            if scanned.raw.replace(item).is_some() {
                return Err(bad("an entry with two values"));
            }
        }
        out.push(resolve_entry(format, base, &mut kinds, head, scanned)?);
    }
    Ok(out)
}

/// A JSON number as a finite `f64` (times and float values).
fn finite(n: &json_value::Number) -> Option<f64> {
    n.as_f64().filter(|x| x.is_finite())
}

/// The top-level fields every entry depends on: the base name and the base time.
#[derive(Debug, Clone, Copy, Default)]
struct Head<'a> {
    bn: Option<&'a str>,
    bt: Option<f64>,
    /// The path of a base name ending in `/` (`/3/0/`), read once for all entries.
    prefix: Option<Path>,
}

impl Head<'_> {
    fn with_prefix(mut self) -> Self {
        self.prefix = self
            .bn
            .filter(|bn| bn.ends_with('/'))
            .and_then(|bn| join_path(bn, ""));
        self
    }
}

/// The path of a base name ending in `/` whose path is `prefix`, followed by the name `n`: as
/// [`join_path`] reads their concatenation (ids of digits up to 65535, leading zeros accepted,
/// one trailing slash), without reading the base name again.
fn below(prefix: Path, n: &str) -> Option<Path> {
    let mut path = prefix;
    let mut id: Option<u32> = None;
    for b in n.bytes() {
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
        // Nothing more, or a trailing slash after a component (a slash without one is refused).
        None => Some(path),
    }
}

/// One entry as read: its name, value and time.
#[derive(Debug, Default)]
struct ScannedEntry<'a> {
    n: &'a str,
    raw: Option<Raw<'a>>,
    t: Option<f64>,
}

/// One entry: its path from the base name (or the request path) and its name, its value typed,
/// its time `bt + t`.
fn resolve_entry(
    format: ContentFormat,
    base: &Path,
    kinds: &mut Kinds<'_>,
    head: Head<'_>,
    entry: ScannedEntry<'_>,
) -> Result<Record, DecodeError> {
    let bad = |reason: &'static str| DecodeError::malformed(format, reason);
    let n = entry.n;
    let path = match (head.prefix, head.bn) {
        (Some(prefix), _) => below(prefix, n),
        (None, Some(bn)) => join_path(bn, n),
        (None, None) if n.starts_with('/') => join_path("", n),
        (None, None) => relative_to(base, n),
    };
    let path = match path {
        Some(path) => path,
        // Not a valid path: let the path parser say why.
        None => format!("{}{n}", head.bn.unwrap_or_default())
            .parse::<Path>()
            .map_err(|_| bad("an entry name that is not an LwM2M path"))?,
    };
    if path.len() < 3 {
        return Err(bad("an entry that is not a resource or resource instance"));
    }
    if !base.contains(&path) {
        return Err(DecodeError::OutsideBase { path, base: *base });
    }
    let time = head.bt.unwrap_or(0.0) + entry.t.unwrap_or(0.0);
    if !time.is_finite() {
        return Err(bad("a time bt + t that is not a finite number"));
    }
    let raw = entry.raw.ok_or_else(|| bad("an entry without a value"))?;
    let kind = kinds.lookup(&path)?;
    let raw = match (kind, raw) {
        (Some(Kind::Opaque), Raw::Str(s)) => {
            Raw::Data(Cow::Owned(b64::decode(&s).ok_or_else(|| {
                DecodeError::mismatch(path, Kind::Opaque, "text that is not base64")
            })?))
        }
        (_, raw) => raw,
    };
    Ok(Record {
        path,
        value: typed(&path, kind, raw)?,
        time: normalize_time(time),
    })
}

/// The path named by `n` relative to the request path `base` (`1/2` below `/3303`), `None` when
/// it is not a valid path.
fn relative_to(base: &Path, n: &str) -> Option<Path> {
    let mut prefix = Vec::with_capacity(24);
    push_ids(&mut prefix, base, 0, true);
    prefix.push(b'/');
    join_path(core::str::from_utf8(&prefix).ok()?, n)
}

/// The fast path of [`decode`]: the top-level fields and the entries, or `None` when the payload
/// is anything but plain, valid OMA JSON (escapes, nesting, duplicate fields, errors...), which
/// the `json_value` path then reads or rejects.
fn scan(bytes: &[u8]) -> Option<(Head<'_>, Vec<ScannedEntry<'_>>)> {
    let mut s = Scanner::new(bytes)?;
    let (mut head, mut entries) = (Head::default(), None);
    s.object(|s, label| match label {
        "bn" if head.bn.is_none() => match s.scalar()? {
            Scalar::Str(text) => {
                head.bn = Some(text);
                Some(())
            }
            _ => None,
        },
        "bt" if head.bt.is_none() => {
            head.bt = Some(scalar_time(s.scalar()?)?);
            Some(())
        }
        "e" if entries.is_none() => {
            // Each entry takes at least two bytes (`{}`): the capacity is bounded by the input.
            let mut list = Vec::with_capacity((bytes.len() / 24).clamp(1, 64));
            s.array(|s| {
                list.push(scan_entry(s)?);
                Some(())
            })?;
            entries = Some(list);
            Some(())
        }
        "bn" | "bt" | "e" => None,
        // Unknown fields: scalars are skipped, anything else is left to `json_value`.
        _ => s.scalar().map(|_| ()),
    })?;
    if !s.at_end() {
        return None;
    }
    Some((head, entries?))
}

/// A number as a time, `None` for anything else.
fn scalar_time(scalar: Scalar<'_>) -> Option<f64> {
    match scalar {
        Scalar::Int(i) => Some(i as f64),
        Scalar::Float(x) => Some(x),
        _ => None,
    }
}

fn scan_entry<'a>(s: &mut Scanner<'a>) -> Option<ScannedEntry<'a>> {
    let mut entry = ScannedEntry::default();
    let mut named = false;
    s.object(|s, label| {
        let item = match (label, s.scalar()?) {
            ("n", Scalar::Str(text)) if !named => {
                entry.n = text;
                named = true;
                return Some(());
            }
            ("t", scalar) if entry.t.is_none() => {
                entry.t = Some(scalar_time(scalar)?);
                return Some(());
            }
            ("v", Scalar::Int(i)) => Raw::Int(i),
            ("v", Scalar::Float(x)) => Raw::Float(x),
            ("bv", Scalar::Bool(b)) => Raw::Bool(b),
            ("sv", Scalar::Str(text)) => Raw::Str(Cow::Borrowed(text)),
            ("ov", Scalar::Str(text)) => Raw::ObjLnk(Cow::Borrowed(text)),
            ("n" | "t" | "v" | "bv" | "sv" | "ov", _) => return None,
            _ => return Some(()),
        };
        // Two values in one entry: left to the `json_value` path, which rejects it.
        if entry.raw.replace(item).is_some() {
            return None;
        }
        Some(())
    })?;
    Some(entry)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::codec::NoKinds;
    use crate::value::Value;

    #[test]
    fn names_below_a_base_name_read_as_joined_text() {
        let names = [
            "",
            "0",
            "7/0",
            "7/0/",
            "007",
            "65535",
            "65536",
            "1/2/3",
            "/",
            "7//",
            "//",
            "a",
            "7/a",
            "-1",
            "1/",
            "0000000000000000000012",
        ];
        for bn in ["/", "/3/", "/3/0/", "/3/0/7/", "/3/0/7/1/"] {
            let prefix = join_path(bn, "").unwrap();
            for n in names {
                assert_eq!(below(prefix, n), join_path(bn, n), "{bn:?} + {n:?}");
            }
        }
    }

    #[test]
    fn names_join_the_base_name() {
        let json =
            br#"{"bn":"/3/0/","e":[{"n":"0","sv":"a"},{"n":"7/1","v":5},{"n":"13","v":1.5}]}"#;
        let records = decode(ContentFormat::Json, &Path::ROOT, json, &NoKinds).unwrap();
        assert_eq!(records[0].path, Path::resource(3, 0, 0));
        assert_eq!(records[1].path, Path::resource_instance(3, 0, 7, 1));
        assert_eq!(records[2].value, Value::Float(1.5));
    }
}
