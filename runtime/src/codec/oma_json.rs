//! The OMA LwM2M JSON format of LwM2M 1.0 (`application/vnd.oma.lwm2m+json`, 11543; 1543 in
//! LwM2M 1.0): `{"bn":"/3/0/","e":[{"n":"0","sv":"Open Mobile Alliance"},{"n":"7/0","v":3800}]}`.
//!
//! Entry values: `v` numbers (Integer, Unsigned Integer, Float, Time), `bv` booleans, `sv` strings
//! (String, Corelnk, and Opaque as base64), `ov` object links (`"3:0"`). Names are the base name
//! followed by the entry name. Times (`bt`, `t`) are checked and ignored.

use std::borrow::Cow;

use super::json_scan::{Scalar, Scanner};
use super::senml::{Raw, join_path, json_ascii, json_f64, json_i64, json_str, json_u64, typed};
use super::{
    ContentFormat, DecodeError, EncodeError, KindLookup, Kinds, Record, b64, push_ids, push_objlnk,
};
use crate::path::Path;
use crate::value::{CoreLnk, Kind, Time, Value};

/// Encodes `records` answering a request on `base`.
pub fn encode(base: &Path, records: &[Record]) -> Result<Vec<u8>, EncodeError> {
    let records = super::sorted(base, records)?;
    let mut out = Vec::with_capacity(records.len() * 32 + 32);
    let single = matches!(records.as_slice(), [r] if r.path == *base);
    out.extend_from_slice(b"{\"bn\":\"");
    if base.is_root() {
        out.push(b'/');
    } else {
        push_ids(&mut out, base, 0, true);
        if !single {
            out.push(b'/');
        }
    }
    out.extend_from_slice(b"\",\"e\":[");
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
            Value::Integer(n) | Value::Time(Time(n)) => {
                out.extend_from_slice(b"\"v\":");
                json_i64(&mut out, *n);
            }
            Value::UnsignedInteger(n) => {
                out.extend_from_slice(b"\"v\":");
                json_u64(&mut out, *n);
            }
            Value::Float(x) if x.is_finite() => {
                out.extend_from_slice(b"\"v\":");
                json_f64(&mut out, *x);
            }
            Value::Float(x) => {
                return Err(EncodeError::not_representable(
                    ContentFormat::Json,
                    format!("{}: JSON has no number {x}", record.path),
                ));
            }
            Value::Boolean(b) => {
                out.extend_from_slice(if *b { b"\"bv\":true" } else { b"\"bv\":false" });
            }
            Value::String(s) | Value::CoreLnk(CoreLnk(s)) => {
                out.extend_from_slice(b"\"sv\":");
                json_str(&mut out, s);
            }
            Value::Opaque(bytes) => {
                let mut text = String::new();
                b64::encode_standard(bytes, &mut text);
                out.extend_from_slice(b"\"sv\":");
                json_ascii(&mut out, text.as_bytes());
            }
            Value::ObjLnk(l) => {
                out.extend_from_slice(b"\"ov\":\"");
                push_objlnk(&mut out, l);
                out.push(b'"');
            }
        }
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
    Ok(out)
}

/// Decodes OMA JSON written to (or read from) `base`.
pub fn decode(
    format: ContentFormat,
    base: &Path,
    bytes: &[u8],
    kinds: &dyn KindLookup,
) -> Result<Vec<Record>, DecodeError> {
    if let Some((bn, entries)) = scan(bytes) {
        let mut kinds = Kinds::new(kinds);
        let mut out = Vec::with_capacity(entries.len());
        for (n, raw) in entries {
            out.push(resolve_entry(format, base, &mut kinds, bn, n, raw)?);
        }
        return Ok(out);
    }
    let bad = |reason: String| DecodeError::malformed(format, reason);
    let json: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| bad(format!("JSON: {e}")))?;
    let serde_json::Value::Object(top) = json else {
        return Err(bad("the payload is not a JSON object".into()));
    };
    let mut bn = "";
    let mut entries = None;
    for (label, value) in &top {
        match (label.as_str(), value) {
            ("bn", serde_json::Value::String(s)) => bn = s,
            ("bt", serde_json::Value::Number(_)) => {}
            ("e", serde_json::Value::Array(e)) => entries = Some(e),
            ("bn" | "bt" | "e", _) => return Err(bad(format!("field {label} has the wrong type"))),
            _ => {}
        }
    }
    let entries = entries.ok_or_else(|| bad("no \"e\" array".into()))?;
    let mut out = Vec::with_capacity(entries.len());
    let mut kinds = Kinds::new(kinds);
    for entry in entries {
        let serde_json::Value::Object(fields) = entry else {
            return Err(bad("an entry is not a JSON object".into()));
        };
        let mut n = "";
        let mut raw = None;
        for (label, value) in fields {
            let wrong = || bad(format!("field {label} has the wrong type"));
            let item = match (label.as_str(), value) {
                ("n", serde_json::Value::String(name)) => {
                    n = name;
                    continue;
                }
                ("t", serde_json::Value::Number(_)) => continue,
                ("v", serde_json::Value::Number(n)) => {
                    if let Some(i) = n.as_i64() {
                        Raw::Int(i128::from(i))
                    } else if let Some(u) = n.as_u64() {
                        Raw::Int(i128::from(u))
                    } else {
                        Raw::Float(n.as_f64().filter(|x| x.is_finite()).ok_or_else(wrong)?)
                    }
                }
                ("bv", serde_json::Value::Bool(b)) => Raw::Bool(*b),
                ("sv", serde_json::Value::String(s)) => Raw::Str(Cow::Borrowed(s.as_str())),
                ("ov", serde_json::Value::String(s)) => Raw::ObjLnk(Cow::Borrowed(s.as_str())),
                ("n" | "t" | "v" | "bv" | "sv" | "ov", _) => return Err(wrong()),
                _ => continue,
            };
            if raw.replace(item).is_some() {
                return Err(bad("an entry with two values".into()));
            }
        }
        out.push(resolve_entry(format, base, &mut kinds, bn, n, raw)?);
    }
    Ok(out)
}

/// One entry: its path from the base name `bn` and its name `n`, its value typed.
fn resolve_entry(
    format: ContentFormat,
    base: &Path,
    kinds: &mut Kinds<'_>,
    bn: &str,
    n: &str,
    raw: Option<Raw<'_>>,
) -> Result<Record, DecodeError> {
    let bad = |reason: String| DecodeError::malformed(format, reason);
    let path = match join_path(bn, n) {
        Some(path) => path,
        // Not a valid path: let the path parser say why.
        None => format!("{bn}{n}")
            .parse::<Path>()
            .map_err(|e| bad(format!("entry name: {e}")))?,
    };
    if path.len() < 3 {
        return Err(bad(format!(
            "{path} is not a resource or resource instance"
        )));
    }
    if !base.contains(&path) {
        return Err(DecodeError::OutsideBase { path, base: *base });
    }
    let raw = raw.ok_or_else(|| bad(format!("{path} has no value")))?;
    let kind = kinds.lookup(&path)?;
    let raw = match (kind, raw) {
        (Some(Kind::Opaque), Raw::Str(s)) => {
            Raw::Data(Cow::Owned(b64::decode(&s).ok_or_else(|| {
                DecodeError::mismatch(path, Kind::Opaque, "text that is not base64")
            })?))
        }
        (_, raw) => raw,
    };
    Ok(Record::new(path, typed(&path, kind, raw)?))
}

/// A scanned entry: its name and value.
type ScannedEntry<'a> = (&'a str, Option<Raw<'a>>);

/// The fast path of [`decode`]: the base name and the entries, or `None` when the payload is
/// anything but plain, valid OMA JSON (escapes, nesting, duplicate fields, errors...), which the
/// `serde_json` path then reads or rejects.
fn scan(bytes: &[u8]) -> Option<(&str, Vec<ScannedEntry<'_>>)> {
    let mut s = Scanner::new(bytes)?;
    let (mut bn, mut bt, mut entries) = (None, false, None);
    s.object(|s, label| match label {
        "bn" if bn.is_none() => match s.scalar()? {
            Scalar::Str(text) => {
                bn = Some(text);
                Some(())
            }
            _ => None,
        },
        "bt" if !bt => match s.scalar()? {
            Scalar::Int(_) | Scalar::Float(_) => {
                bt = true;
                Some(())
            }
            _ => None,
        },
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
        // Unknown fields: scalars are skipped, anything else is left to serde_json.
        _ => s.scalar().map(|_| ()),
    })?;
    if !s.at_end() {
        return None;
    }
    Some((bn.unwrap_or(""), entries?))
}

fn scan_entry<'a>(s: &mut Scanner<'a>) -> Option<ScannedEntry<'a>> {
    let (mut n, mut t, mut raw) = (None, false, None);
    s.object(|s, label| {
        let item = match (label, s.scalar()?) {
            ("n", Scalar::Str(text)) if n.is_none() => {
                n = Some(text);
                return Some(());
            }
            ("t", Scalar::Int(_) | Scalar::Float(_)) if !t => {
                t = true;
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
        // Two values in one entry: left to the serde_json path, which rejects it.
        if raw.replace(item).is_some() {
            return None;
        }
        Some(())
    })?;
    Some((n.unwrap_or(""), raw))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::codec::NoKinds;

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
