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

use crate::prelude::*;
use alloc::borrow::Cow;

use super::cbor_read::{Item, ReadError, Reader, utf8};
use super::order::Order;
use super::senml::{Raw, ascii, cbor_float, typed};
use super::{DecodeError, EncodeError, KindLookup, Kinds, Record, RecordRef, lent, push_objlnk};
use crate::codec::ContentFormat;
use crate::path::Path;
use crate::value::{Kind, Time, Value, ValueRef};

const F: ContentFormat = ContentFormat::Lwm2mCbor;

type Enc = minicbor::Encoder<Vec<u8>>;
type EncResult = Result<(), minicbor::encode::Error<core::convert::Infallible>>;

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
    let mut enc = Enc::new(Vec::with_capacity(records.len() * 16 + 16));
    encode_root(&mut enc, base, &records)
        .map_err(|_| EncodeError::InvalidRecords("CBOR encoding failed"))?;
    Ok(enc.into_writer())
}

fn encode_root(enc: &mut Enc, base: &Path, records: &[RecordRef<'_>]) -> EncResult {
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
fn encode_level(enc: &mut Enc, records: &[RecordRef<'_>], depth: usize) -> EncResult {
    let id_at = |r: &RecordRef<'_>| r.path.ids().get(depth).copied();
    let groups = records.chunk_by(|a, b| id_at(a) == id_at(b));
    enc.map(groups.clone().count() as u64)?;
    for group in groups {
        let Some(id) = group.first().and_then(&id_at) else {
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

fn encode_value(enc: &mut Enc, value: &ValueRef<'_>) -> EncResult {
    match value {
        ValueRef::Integer(n) | ValueRef::Time(Time(n)) => enc.i64(*n)?,
        ValueRef::UnsignedInteger(n) => enc.u64(*n)?,
        ValueRef::Float(x) => cbor_float(enc, *x)?,
        ValueRef::Boolean(b) => enc.bool(*b)?,
        ValueRef::String(s) | ValueRef::CoreLnk(s) => enc.str(s)?,
        ValueRef::Opaque(b) => enc.bytes(b)?,
        ValueRef::ObjLnk(l) => {
            let mut text = Vec::with_capacity(11);
            push_objlnk(&mut text, l);
            enc.str(ascii(&text))?
        }
    };
    Ok(())
}

/// Plain CBOR (`application/cbor`, 60, Core TS 1.1 §7.4.6): the single record at the
/// resource or resource instance `base` as one CBOR item, coded as LwM2M CBOR codes values.
pub fn encode_single(base: &Path, records: &[Record]) -> Result<Vec<u8>, EncodeError> {
    encode_single_refs(base, &lent(records))
}

/// [`encode_single`] of lent records.
pub fn encode_single_refs(base: &Path, records: &[RecordRef<'_>]) -> Result<Vec<u8>, EncodeError> {
    let record = super::text::single(ContentFormat::Cbor, base, records)?;
    let mut enc = Enc::new(Vec::new());
    encode_value(&mut enc, &record.value)
        .map_err(|_| EncodeError::not_representable(ContentFormat::Cbor, "CBOR encoding failed"))?;
    Ok(enc.into_writer())
}

/// Decodes plain CBOR written to the resource or resource instance `base`: exactly one item
/// of the resource's type.
pub fn decode_single(
    base: &Path,
    bytes: &[u8],
    kinds: &dyn KindLookup,
) -> Result<Vec<Record>, DecodeError> {
    const C: ContentFormat = ContentFormat::Cbor;
    if base.len() < 3 {
        return Err(DecodeError::malformed(
            C,
            "a CBOR value needs a resource or resource instance path",
        ));
    }
    let kind = super::require(kinds, base)?;
    let mut reader = Reader::new(bytes);
    let value = decode_value(&mut reader, base, Some(kind)).map_err(|e| match e {
        DecodeError::Malformed { reason, .. } => DecodeError::Malformed { format: C, reason },
        other => other,
    })?;
    if reader.position() != bytes.len() {
        return Err(DecodeError::malformed(C, "bytes after the CBOR value"));
    }
    Ok(vec![Record::new(*base, value)])
}

/// Decodes LwM2M CBOR written to (or read from) `base`.
pub fn decode(
    base: &Path,
    bytes: &[u8],
    kinds: &dyn KindLookup,
) -> Result<Vec<Record>, DecodeError> {
    let mut reader = Reader::new(bytes);
    // Each value takes at least two bytes (key and value): the capacity is bounded by the input.
    let mut out = Vec::with_capacity((bytes.len() / 4).clamp(1, 64));
    let entries = match reader.item().map_err(e)? {
        Item::Map(entries) => entries,
        Item::Indefinite(_) => return Err(DecodeError::malformed(F, "indefinite-length map")),
        _ => return Err(DecodeError::malformed(F, "a top level that is not a map")),
    };
    decode_map(
        &mut reader,
        entries,
        Path::ROOT,
        base,
        &mut Kinds::new(kinds),
        &mut out,
    )?;
    if reader.position() != bytes.len() {
        return Err(DecodeError::malformed(F, "bytes after the top-level map"));
    }
    Ok(out)
}

#[cold]
fn e(err: ReadError) -> DecodeError {
    DecodeError::malformed(F, err.reason())
}

/// CBOR major type 5, a map.
const MAP: u8 = 5;

/// Decodes the `entries` pairs of one map below `prefix`. Recursion is bounded: every level adds
/// at least one id and paths stop at four.
fn decode_map(
    reader: &mut Reader<'_>,
    entries: u64,
    prefix: Path,
    base: &Path,
    kinds: &mut Kinds<'_>,
    out: &mut Vec<Record>,
) -> Result<(), DecodeError> {
    for _ in 0..entries {
        let path = decode_key(reader, prefix)?;
        if reader.peek_major().map_err(e)? == MAP {
            match reader.item().map_err(e)? {
                Item::Map(inner) => decode_map(reader, inner, path, base, kinds, out)?,
                _ => return Err(DecodeError::malformed(F, "indefinite-length map")),
            }
            continue;
        }
        if path.len() < 3 {
            return Err(DecodeError::malformed(F, "a value above any resource"));
        }
        if !base.contains(&path) {
            return Err(DecodeError::OutsideBase { path, base: *base });
        }
        let kind = kinds.lookup(&path)?;
        let value = decode_value(reader, &path, kind)?;
        out.push(Record::new(path, value));
    }
    Ok(())
}

/// A path id: an unsigned integer up to 65535.
fn id(item: Item<'_>) -> Result<u16, DecodeError> {
    match item {
        Item::Unsigned(n) => {
            u16::try_from(n).map_err(|_| DecodeError::malformed(F, "an id above 65535"))
        }
        _ => Err(DecodeError::malformed(F, "a path fragment holds a non-id")),
    }
}

fn decode_key(reader: &mut Reader<'_>, prefix: Path) -> Result<Path, DecodeError> {
    let too_long = || DecodeError::malformed(F, "a key that makes a path too long");
    match reader.item().map_err(e)? {
        key @ Item::Unsigned(_) => prefix.child(id(key)?).ok_or_else(too_long),
        Item::Array(0) => Err(DecodeError::malformed(F, "an empty path fragment")),
        Item::Array(len) => {
            let mut path = prefix;
            for _ in 0..len {
                path = path
                    .child(id(reader.item().map_err(e)?)?)
                    .ok_or_else(too_long)?;
            }
            Ok(path)
        }
        Item::Indefinite(_) => Err(DecodeError::malformed(
            F,
            "indefinite-length CBOR is not accepted",
        )),
        _ => Err(DecodeError::malformed(
            F,
            "a path key that is not an id or array",
        )),
    }
}

fn decode_value(
    reader: &mut Reader<'_>,
    path: &Path,
    kind: Option<Kind>,
) -> Result<Value, DecodeError> {
    let item = reader.item().map_err(e)?;
    // The common cases, straight to the value; everything else goes through `typed`.
    match (kind, item) {
        (Some(Kind::String), Item::Text(s)) => {
            return Ok(Value::String(utf8(s).map_err(e)?.to_owned()));
        }
        (Some(Kind::Integer), Item::Unsigned(n)) => {
            if let Ok(n) = i64::try_from(n) {
                return Ok(Value::Integer(n));
            }
        }
        (Some(Kind::Boolean), Item::Bool(b)) => return Ok(Value::Boolean(b)),
        _ => {}
    }
    let raw = match item {
        Item::Bool(b) => Raw::Bool(b),
        Item::Text(s) if kind == Some(Kind::ObjLnk) => {
            Raw::ObjLnk(Cow::Borrowed(utf8(s).map_err(e)?))
        }
        Item::Text(s) => Raw::Str(Cow::Borrowed(utf8(s).map_err(e)?)),
        Item::Bytes(b) => Raw::Data(Cow::Borrowed(b)),
        Item::Unsigned(n) => Raw::Int(i128::from(n)),
        Item::Negative(n) => Raw::Int(-1 - i128::from(n)),
        Item::Float(x) => Raw::Float(x),
        Item::Tag(1) => {
            let n = match reader.item().map_err(e)? {
                Item::Unsigned(n) => i128::from(n),
                Item::Negative(n) => -1 - i128::from(n),
                _ => return Err(DecodeError::malformed(F, "tag 1 on a non-Time value")),
            };
            if !matches!(kind, None | Some(Kind::Time)) {
                return Err(DecodeError::malformed(F, "tag 1 on a non-Time value"));
            }
            let t = i64::try_from(n)
                .map_err(|_| DecodeError::mismatch(*path, Kind::Time, "a time out of range"))?;
            return Ok(Value::Time(Time(t)));
        }
        Item::Tag(_) => return Err(DecodeError::malformed(F, "an unexpected CBOR tag")),
        Item::Null | Item::Undefined => {
            return Err(DecodeError::malformed(F, "null values are not supported"));
        }
        _ => {
            return Err(DecodeError::malformed(
                F,
                "an unexpected CBOR item as a value",
            ));
        }
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

    /// Plain CBOR (60): one item per value, the same bytes as LwM2M CBOR's values, and back;
    /// anything but one item of the resource's type is refused.
    #[test]
    fn plain_cbor_is_one_item_of_the_resource_type() {
        let kinds = |p: &Path| match p.resource_id() {
            Some(1) => Some((Kind::Integer, false)),
            Some(6) => Some((Kind::Boolean, false)),
            Some(7) => Some((Kind::String, false)),
            Some(13) => Some((Kind::Time, false)),
            _ => None,
        };
        let at = |r| Path::resource(1, 0, r);
        for (r, value, bytes) in [
            (1, Value::Integer(300), vec![0x19, 0x01, 0x2C]),
            (6, Value::Boolean(true), vec![0xF5]),
            (7, Value::String("U".to_owned()), vec![0x61, b'U']),
            (13, Value::Time(Time(1)), vec![0x01]),
        ] {
            let record = Record::new(at(r), value.clone());
            assert_eq!(encode_single(&at(r), &[record]).unwrap(), bytes, "/1/0/{r}");
            let decoded = decode_single(&at(r), &bytes, &kinds).unwrap();
            assert_eq!(decoded, [Record::new(at(r), value)]);
        }
        // A tagged time (tag 1) is a Time too.
        let tagged = decode_single(&at(13), &[0xC1, 0x1A, 0x65, 0x53, 0xF1, 0x00], &kinds).unwrap();
        assert_eq!(tagged[0].value, Value::Time(Time(1_700_000_000)));
        // Two items, a wrong type, nothing at all, an instance path: 4.00 (or 4.04).
        assert!(decode_single(&at(1), &[0x01, 0x02], &kinds).is_err());
        assert!(decode_single(&at(1), &[0x61, b'x'], &kinds).is_err());
        assert!(decode_single(&at(1), &[], &kinds).is_err());
        assert!(decode_single(&Path::instance(1, 0), &[0x01], &kinds).is_err());
        // Several records do not fit one item: 4.06.
        let two = [
            Record::new(at(1), Value::Integer(1)),
            Record::new(at(6), Value::Boolean(true)),
        ];
        assert_eq!(
            encode_single(&Path::instance(1, 0), &two)
                .unwrap_err()
                .coap_code(),
            (4, 6)
        );
    }
}
