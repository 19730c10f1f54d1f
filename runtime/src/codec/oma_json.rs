//! The OMA LwM2M JSON format of LwM2M 1.0 (`application/vnd.oma.lwm2m+json`, 11543; 1543 in
//! LwM2M 1.0): `{"bn":"/3/0/","e":[{"n":"0","sv":"Open Mobile Alliance"},{"n":"7/0","v":3800}]}`.
//!
//! Entry values: `v` numbers (Integer, Unsigned Integer, Float, Time), `bv` booleans, `sv` strings
//! (String, Corelnk, and Opaque as base64), `ov` object links (`"3:0"`). Names are the base name
//! followed by the entry name. Times (`bt`, `t`) are checked and ignored.

use std::borrow::Cow;

use super::senml::{Raw, json_f64, json_i64, json_str, json_u64, typed};
use super::{ContentFormat, DecodeError, EncodeError, KindLookup, Record, b64, lookup};
use crate::path::Path;
use crate::value::{CoreLnk, Kind, Time, Value};

/// Encodes `records` answering a request on `base`.
pub fn encode(base: &Path, records: &[Record]) -> Result<Vec<u8>, EncodeError> {
    let records = super::sorted(base, records)?;
    let mut out = Vec::with_capacity(records.len() * 32 + 32);
    let single = matches!(records.as_slice(), [r] if r.path == *base);
    out.extend_from_slice(b"{\"bn\":");
    if single || base.is_root() {
        json_str(&mut out, &base.to_string());
    } else {
        json_str(&mut out, &format!("{base}/"));
    }
    out.extend_from_slice(b",\"e\":[");
    let mut name = String::new();
    for (i, record) in records.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'{');
        if !single {
            name.clear();
            for (j, id) in record.path.ids().iter().skip(base.len()).enumerate() {
                if j > 0 {
                    name.push('/');
                }
                name.push_str(&id.to_string());
            }
            out.extend_from_slice(b"\"n\":");
            json_str(&mut out, &name);
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
                json_str(&mut out, &text);
            }
            Value::ObjLnk(l) => {
                out.extend_from_slice(b"\"ov\":");
                json_str(&mut out, &l.to_string());
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
    let mut name = String::new();
    for entry in entries {
        let serde_json::Value::Object(fields) = entry else {
            return Err(bad("an entry is not a JSON object".into()));
        };
        name.clear();
        name.push_str(bn);
        let mut raw = None;
        for (label, value) in fields {
            let wrong = || bad(format!("field {label} has the wrong type"));
            let item = match (label.as_str(), value) {
                ("n", serde_json::Value::String(n)) => {
                    name.push_str(n);
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
        let path: Path = name.parse().map_err(|e| bad(format!("entry name: {e}")))?;
        if path.len() < 3 {
            return Err(bad(format!(
                "{path} is not a resource or resource instance"
            )));
        }
        if !base.contains(&path) {
            return Err(DecodeError::OutsideBase { path, base: *base });
        }
        let raw = raw.ok_or_else(|| bad(format!("{path} has no value")))?;
        let kind = lookup(kinds, &path)?;
        let raw = match (kind, raw) {
            (Some(Kind::Opaque), Raw::Str(s)) => {
                Raw::Data(Cow::Owned(b64::decode(&s).ok_or_else(|| {
                    DecodeError::mismatch(path, Kind::Opaque, "text that is not base64")
                })?))
            }
            (_, raw) => raw,
        };
        out.push(Record {
            path,
            value: typed(&path, kind, raw)?,
        });
    }
    Ok(out)
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
