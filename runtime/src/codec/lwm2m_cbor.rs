//! LwM2M CBOR (`application/vnd.oma.lwm2m+cbor`, 11544, LwM2M 1.2): nested CBOR maps keyed by
//! path components, starting at the root.
//!
//! A key is one id (an unsigned integer) or an array of ids (a path fragment, e.g. `[3, 0]`); a
//! value is either a map one level further down or a resource value: integers (Integer, Unsigned
//! Integer, Time), floats (Float), text (String, Corelnk, and Objlnk as `"3:0"`), byte strings
//! (Opaque), booleans. The encoder writes the request path as one fragment key and nests the rest:
//! `{[3, 0]: {0: "Open Mobile Alliance", 7: {0: 3800, 1: 5000}}}`.
//!
//! The decoder accepts both key forms and epoch-time tags (tag 1) on Time values; it rejects
//! indefinite lengths, other tags, `null` values (deletions in Write-Composite are not supported),
//! empty fragments and keys that would make a path longer than four ids.

use minicbor::data::{Tag, Type};

use super::senml::{Raw, ascii, cbor_error, cbor_float, cbor_len, cbor_number, typed};
use super::{DecodeError, EncodeError, KindLookup, Kinds, Record, push_objlnk};
use crate::codec::ContentFormat;
use crate::path::Path;
use crate::value::{CoreLnk, Kind, Time, Value};

const F: ContentFormat = ContentFormat::Lwm2mCbor;

type Enc = minicbor::Encoder<Vec<u8>>;
type EncResult = Result<(), minicbor::encode::Error<core::convert::Infallible>>;

/// Encodes `records` answering a request on `base`.
pub fn encode(base: &Path, records: &[Record]) -> Result<Vec<u8>, EncodeError> {
    let records = super::sorted(base, records)?;
    let mut enc = Enc::new(Vec::with_capacity(records.len() * 16 + 16));
    encode_root(&mut enc, base, &records)
        .map_err(|e| EncodeError::InvalidRecords(format!("CBOR: {e}")))?;
    Ok(enc.into_writer())
}

fn encode_root(enc: &mut Enc, base: &Path, records: &[&Record]) -> EncResult {
    if records.is_empty() {
        enc.map(0)?;
        return Ok(());
    }
    if base.is_root() {
        return encode_level(enc, records, 0);
    }
    enc.map(1)?;
    match base.ids() {
        [id] => {
            enc.u16(*id)?;
        }
        ids => {
            enc.array(ids.len() as u64)?;
            for id in ids {
                enc.u16(*id)?;
            }
        }
    }
    match records {
        [single] if single.path == *base => encode_value(enc, &single.value),
        _ => encode_level(enc, records, base.len()),
    }
}

/// A map of the records (all sharing their first `depth` ids) keyed by their id at `depth`.
fn encode_level(enc: &mut Enc, records: &[&Record], depth: usize) -> EncResult {
    let id_at = |r: &Record| r.path.ids().get(depth).copied();
    let groups = records.chunk_by(|a, b| id_at(a) == id_at(b));
    enc.map(groups.clone().count() as u64)?;
    for group in groups {
        let Some(id) = group.first().and_then(|r| id_at(r)) else {
            continue;
        };
        enc.u16(id)?;
        match group {
            [single] if single.path.len() == depth + 1 => encode_value(enc, &single.value)?,
            _ => encode_level(enc, group, depth + 1)?,
        }
    }
    Ok(())
}

fn encode_value(enc: &mut Enc, value: &Value) -> EncResult {
    match value {
        Value::Integer(n) | Value::Time(Time(n)) => enc.i64(*n)?,
        Value::UnsignedInteger(n) => enc.u64(*n)?,
        Value::Float(x) => cbor_float(enc, *x)?,
        Value::Boolean(b) => enc.bool(*b)?,
        Value::String(s) | Value::CoreLnk(CoreLnk(s)) => enc.str(s)?,
        Value::Opaque(b) => enc.bytes(b)?,
        Value::ObjLnk(l) => {
            let mut text = Vec::with_capacity(11);
            push_objlnk(&mut text, l);
            enc.str(ascii(&text))?
        }
    };
    Ok(())
}

/// Decodes LwM2M CBOR written to (or read from) `base`.
pub fn decode(
    base: &Path,
    bytes: &[u8],
    kinds: &dyn KindLookup,
) -> Result<Vec<Record>, DecodeError> {
    let mut d = minicbor::Decoder::new(bytes);
    // Each value takes at least two bytes (key and value): the capacity is bounded by the input.
    let mut out = Vec::with_capacity((bytes.len() / 4).clamp(1, 64));
    decode_map(&mut d, Path::ROOT, base, &mut Kinds::new(kinds), &mut out)?;
    if d.position() != bytes.len() {
        return Err(DecodeError::malformed(F, "bytes after the top-level map"));
    }
    Ok(out)
}

fn e(err: minicbor::decode::Error) -> DecodeError {
    cbor_error(F, err)
}

/// Decodes one map below `prefix`. Recursion is bounded: every level adds at least one id and
/// paths stop at four.
fn decode_map(
    d: &mut minicbor::Decoder<'_>,
    prefix: Path,
    base: &Path,
    kinds: &mut Kinds<'_>,
    out: &mut Vec<Record>,
) -> Result<(), DecodeError> {
    let entries = cbor_len(F, d.map().map_err(e)?)?;
    for _ in 0..entries {
        let path = decode_key(d, prefix)?;
        match d.datatype().map_err(e)? {
            Type::Map => decode_map(d, path, base, kinds, out)?,
            Type::MapIndef => return Err(DecodeError::malformed(F, "indefinite-length map")),
            _ => {
                if path.len() < 3 {
                    return Err(DecodeError::malformed(
                        F,
                        format!("a value at {path}, above any resource"),
                    ));
                }
                if !base.contains(&path) {
                    return Err(DecodeError::OutsideBase { path, base: *base });
                }
                let kind = kinds.lookup(&path)?;
                let value = decode_value(d, &path, kind)?;
                out.push(Record::new(path, value));
            }
        }
    }
    Ok(())
}

fn decode_key(d: &mut minicbor::Decoder<'_>, prefix: Path) -> Result<Path, DecodeError> {
    let too_long =
        || DecodeError::malformed(F, format!("a key below {prefix} makes a path too long"));
    match d.datatype().map_err(e)? {
        Type::U8 | Type::U16 | Type::U32 | Type::U64 => {
            let id = d.u16().map_err(e)?;
            prefix.child(id).ok_or_else(too_long)
        }
        Type::Array => {
            let len = cbor_len(F, d.array().map_err(e)?)?;
            if len == 0 {
                return Err(DecodeError::malformed(F, "an empty path fragment"));
            }
            let mut path = prefix;
            for _ in 0..len {
                if !matches!(
                    d.datatype().map_err(e)?,
                    Type::U8 | Type::U16 | Type::U32 | Type::U64
                ) {
                    return Err(DecodeError::malformed(F, "a path fragment holds a non-id"));
                }
                path = path.child(d.u16().map_err(e)?).ok_or_else(too_long)?;
            }
            Ok(path)
        }
        other => Err(DecodeError::malformed(
            F,
            format!("a {other} as a path key"),
        )),
    }
}

fn decode_value(
    d: &mut minicbor::Decoder<'_>,
    path: &Path,
    kind: Option<Kind>,
) -> Result<Value, DecodeError> {
    let raw = match d.datatype().map_err(e)? {
        Type::Bool => Raw::Bool(d.bool().map_err(e)?),
        Type::String => {
            let s = d.str().map_err(e)?;
            if kind == Some(Kind::ObjLnk) {
                Raw::ObjLnk(s.into())
            } else {
                Raw::Str(s.into())
            }
        }
        Type::Bytes => Raw::Data(d.bytes().map_err(e)?.into()),
        Type::Tag => {
            let tag = d.tag().map_err(e)?;
            if tag != Tag::new(1) {
                return Err(DecodeError::malformed(
                    F,
                    format!("unexpected CBOR tag {tag}"),
                ));
            }
            match cbor_number(d, F)? {
                Raw::Int(n) if matches!(kind, None | Some(Kind::Time)) => {
                    let t = i64::try_from(n)
                        .map_err(|_| DecodeError::mismatch(*path, Kind::Time, n.to_string()))?;
                    return Ok(Value::Time(Time(t)));
                }
                _ => return Err(DecodeError::malformed(F, "tag 1 on a non-Time value")),
            }
        }
        Type::Null | Type::Undefined => {
            return Err(DecodeError::malformed(F, "null values are not supported"));
        }
        Type::BytesIndef | Type::StringIndef | Type::ArrayIndef | Type::Array => {
            return Err(DecodeError::malformed(F, "unexpected CBOR item as a value"));
        }
        _ => cbor_number(d, F)?,
    };
    typed(path, kind, raw)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::codec::NoKinds;

    #[test]
    fn nested_and_fragment_keys_decode_alike() {
        // {3: {0: {0: "a", 7: {1: 5}}}}
        let nested = [
            0xA1, 0x03, 0xA1, 0x00, 0xA2, 0x00, 0x61, b'a', 0x07, 0xA1, 0x01, 0x05,
        ];
        // {[3, 0]: {0: "a", [7, 1]: 5}}
        let fragment = [
            0xA1, 0x82, 0x03, 0x00, 0xA2, 0x00, 0x61, b'a', 0x82, 0x07, 0x01, 0x05,
        ];
        let a = decode(&Path::ROOT, &nested, &NoKinds).unwrap();
        let b = decode(&Path::ROOT, &fragment, &NoKinds).unwrap();
        assert_eq!(a, b);
        assert_eq!(a[1].path, Path::resource_instance(3, 0, 7, 1));
        assert_eq!(a[1].value, Value::Integer(5));
    }

    #[test]
    fn encoder_uses_a_fragment_for_the_base() {
        let records = [Record::new(
            Path::resource(3, 0, 0),
            Value::String("a".into()),
        )];
        let bytes = encode(&Path::instance(3, 0), &records).unwrap();
        assert_eq!(bytes, [0xA1, 0x82, 0x03, 0x00, 0xA1, 0x00, 0x61, b'a']);
    }
}
