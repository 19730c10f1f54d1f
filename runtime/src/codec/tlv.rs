//! OMA TLV (`application/vnd.oma.lwm2m+tlv`, 11542; 1542 in LwM2M 1.0).
//!
//! Each entry is a type byte, an identifier and a length, then the value:
//!
//! - type bits 7-6: `00` object instance, `01` resource instance, `10` multiple resource,
//!   `11` resource with a value;
//! - bit 5: the identifier is 8 bits (`0`) or 16 bits (`1`);
//! - bits 4-3: the length is in bits 2-0 (`00`), or in the following 8, 16 or 24 bits;
//! - values: String/Corelnk UTF-8, Opaque raw, Integer/Time two's complement in 1, 2, 4 or 8
//!   bytes, Unsigned Integer in 1, 2, 4 or 8 bytes, Float IEEE 754 in 4 or 8 bytes, Boolean one
//!   byte 0/1, Objlnk two 16-bit ids. All big-endian; the encoder picks the shortest form.
//!
//! The payload shape follows the request path: object instances for `/o`, resources for `/o/i`,
//! one resource (or one multiple resource) for `/o/i/r`, one resource instance for `/o/i/r/ri`.
//! The decoder also accepts an object-instance wrapper around the resources of `/o/i` and bare
//! resource instances for `/o/i/r`, as some servers send them.

use super::order::Order;
use super::{ContentFormat, DecodeError, EncodeError, KindLookup, Kinds, Record, RecordRef, lent};
use crate::path::Path;
use crate::prelude::*;
use crate::value::{CoreLnk, Kind, ObjLnk, Time, Value, ValueRef};

const OBJECT_INSTANCE: u8 = 0b00;
const RESOURCE_INSTANCE: u8 = 0b01;
const MULTIPLE_RESOURCE: u8 = 0b10;
const RESOURCE: u8 = 0b11;

/// The largest value length the 24-bit length field holds.
const MAX_LEN: usize = (1 << 24) - 1;

const FORMAT: ContentFormat = ContentFormat::Tlv;

/// Encodes `records` answering a request on `base` (an object, instance, resource or resource
/// instance: TLV cannot carry several objects).
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
    let mut out = Vec::with_capacity(records.len() * 8 + 16);
    match base.len() {
        0 if !records.is_empty() => {
            return Err(EncodeError::not_representable(
                FORMAT,
                "TLV cannot carry values of several objects",
            ));
        }
        0 => {}
        1 => {
            for instance in records.chunk_by(|a, b| a.path.instance_id() == b.path.instance_id()) {
                let id = instance
                    .first()
                    .and_then(|r| r.path.instance_id())
                    .unwrap_or(0);
                header(&mut out, OBJECT_INSTANCE, id, resources_len(instance)?)?;
                write_resources(&mut out, instance)?;
            }
        }
        2 | 3 => write_resources(&mut out, &records)?,
        _ => {
            for record in records.iter() {
                leaf(&mut out, RESOURCE_INSTANCE, &record.path, &record.value)?;
            }
        }
    }
    Ok(out)
}

/// The last path component, the TLV identifier.
fn last_id(path: &Path) -> u16 {
    path.ids().last().copied().unwrap_or(0)
}

/// Resources of one instance: single ones as resource TLVs, instances grouped in a multiple
/// resource TLV.
fn write_resources(out: &mut Vec<u8>, records: &[RecordRef<'_>]) -> Result<(), EncodeError> {
    for resource in records.chunk_by(|a, b| a.path.resource_path() == b.path.resource_path()) {
        match resource {
            [single] if single.path.is_resource() => {
                leaf(out, RESOURCE, &single.path, &single.value)?;
            }
            instances => {
                let id = instances
                    .first()
                    .and_then(|r| r.path.resource_id())
                    .unwrap_or(0);
                header(out, MULTIPLE_RESOURCE, id, instances_len(instances)?)?;
                for record in instances {
                    leaf(out, RESOURCE_INSTANCE, &record.path, &record.value)?;
                }
            }
        }
    }
    Ok(())
}

fn resources_len(records: &[RecordRef<'_>]) -> Result<usize, EncodeError> {
    let mut total = 0;
    for resource in records.chunk_by(|a, b| a.path.resource_path() == b.path.resource_path()) {
        total += match resource {
            [single] if single.path.is_resource() => {
                entry_len(last_id(&single.path), value_len(&single.value))
            }
            instances => {
                let id = instances
                    .first()
                    .and_then(|r| r.path.resource_id())
                    .unwrap_or(0);
                entry_len(id, instances_len(instances)?)
            }
        };
    }
    checked(total)
}

fn instances_len(records: &[RecordRef<'_>]) -> Result<usize, EncodeError> {
    let total = records
        .iter()
        .map(|r| entry_len(last_id(&r.path), value_len(&r.value)))
        .sum();
    checked(total)
}

fn checked(len: usize) -> Result<usize, EncodeError> {
    if len > MAX_LEN {
        return Err(EncodeError::not_representable(
            FORMAT,
            "a value beyond the 24-bit TLV length",
        ));
    }
    Ok(len)
}

fn entry_len(id: u16, len: usize) -> usize {
    let id_len = if id > 255 { 2 } else { 1 };
    let len_len = match len {
        0..8 => 0,
        8..256 => 1,
        256..65536 => 2,
        _ => 3,
    };
    1 + id_len + len_len + len
}

fn header(out: &mut Vec<u8>, kind: u8, id: u16, len: usize) -> Result<(), EncodeError> {
    let len = checked(len)?;
    let mut ty = kind << 6;
    if id > 255 {
        ty |= 0x20;
    }
    let len_bytes = match len {
        0..8 => {
            ty |= len as u8;
            0
        }
        8..256 => {
            ty |= 0x08;
            1
        }
        256..65536 => {
            ty |= 0x10;
            2
        }
        _ => {
            ty |= 0x18;
            3
        }
    };
    out.push(ty);
    if id > 255 {
        out.extend_from_slice(&id.to_be_bytes());
    } else {
        out.push(id as u8);
    }
    let len_be = (len as u32).to_be_bytes();
    out.extend_from_slice(len_be.get(4 - len_bytes..).unwrap_or(&[]));
    Ok(())
}

fn leaf(out: &mut Vec<u8>, kind: u8, path: &Path, value: &ValueRef<'_>) -> Result<(), EncodeError> {
    header(out, kind, last_id(path), value_len(value))?;
    write_value(out, value);
    Ok(())
}

/// The two's complement bytes of `n`, shortest of 1, 2, 4 and 8.
fn int_bytes(n: i64) -> ([u8; 8], usize) {
    let len = if i8::try_from(n).is_ok() {
        1
    } else if i16::try_from(n).is_ok() {
        2
    } else if i32::try_from(n).is_ok() {
        4
    } else {
        8
    };
    (n.to_be_bytes(), len)
}

fn uint_bytes(n: u64) -> ([u8; 8], usize) {
    let len = match n {
        0..=0xFF => 1,
        0x100..=0xFFFF => 2,
        0x1_0000..=0xFFFF_FFFF => 4,
        _ => 8,
    };
    (n.to_be_bytes(), len)
}

/// Whether `x` survives a trip through `f32` (then 4 bytes are enough).
fn fits_f32(x: f64) -> bool {
    f64::from(x as f32) == x
}

fn value_len(value: &ValueRef<'_>) -> usize {
    match value {
        ValueRef::String(s) | ValueRef::CoreLnk(s) => s.len(),
        ValueRef::Opaque(b) => b.len(),
        ValueRef::Integer(n) | ValueRef::Time(Time(n)) => int_bytes(*n).1,
        ValueRef::UnsignedInteger(n) => uint_bytes(*n).1,
        ValueRef::Float(x) => {
            if fits_f32(*x) {
                4
            } else {
                8
            }
        }
        ValueRef::Boolean(_) => 1,
        ValueRef::ObjLnk(_) => 4,
    }
}

fn write_value(out: &mut Vec<u8>, value: &ValueRef<'_>) {
    match value {
        ValueRef::String(s) | ValueRef::CoreLnk(s) => out.extend_from_slice(s.as_bytes()),
        ValueRef::Opaque(b) => out.extend_from_slice(b),
        ValueRef::Integer(n) | ValueRef::Time(Time(n)) => {
            let (bytes, len) = int_bytes(*n);
            out.extend_from_slice(bytes.get(8 - len..).unwrap_or(&[]));
        }
        ValueRef::UnsignedInteger(n) => {
            let (bytes, len) = uint_bytes(*n);
            out.extend_from_slice(bytes.get(8 - len..).unwrap_or(&[]));
        }
        ValueRef::Float(x) => {
            if fits_f32(*x) {
                out.extend_from_slice(&(*x as f32).to_be_bytes());
            } else {
                out.extend_from_slice(&x.to_be_bytes());
            }
        }
        ValueRef::Boolean(b) => out.push(u8::from(*b)),
        ValueRef::ObjLnk(l) => {
            out.extend_from_slice(&l.object.to_be_bytes());
            out.extend_from_slice(&l.instance.to_be_bytes());
        }
    }
}

/// One TLV entry borrowed from the payload.
#[derive(Debug, Clone, Copy)]
struct Entry<'a> {
    kind: u8,
    id: u16,
    value: &'a [u8],
}

/// A field of an entry that runs past the end of its level (which one, as the error's reason).
/// Small and `Copy`, so the hot path moves no error around; it becomes a [`DecodeError`] only
/// when a payload is rejected.
#[derive(Debug, Clone, Copy)]
struct Truncated {
    what: &'static str,
}

impl Truncated {
    #[cold]
    fn into_error(self, format: ContentFormat) -> DecodeError {
        DecodeError::malformed(format, self.what)
    }
}

/// Iterates over the entries of one TLV level; lengths are checked against the bytes left.
struct Entries<'a> {
    rest: &'a [u8],
}

impl<'a> Entries<'a> {
    #[inline]
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], Truncated> {
        match self.rest.split_at_checked(n) {
            Some((head, tail)) => {
                self.rest = tail;
                Ok(head)
            }
            None => Err(Truncated { what }),
        }
    }

    fn next_entry(&mut self) -> Result<Entry<'a>, Truncated> {
        let ty = *self
            .take(1, "a TLV type byte past the end")?
            .first()
            .unwrap_or(&0);
        let id = match self.take(
            if ty & 0x20 != 0 { 2 } else { 1 },
            "a TLV identifier past the end",
        )? {
            [a, b] => u16::from_be_bytes([*a, *b]),
            [a] => u16::from(*a),
            _ => 0,
        };
        let len = match (ty >> 3) & 0b11 {
            0 => usize::from(ty & 0b111),
            n => self
                .take(usize::from(n), "a TLV length past the end")?
                .iter()
                .fold(0usize, |acc, b| acc << 8 | usize::from(*b)),
        };
        let value = self.take(len, "a TLV value past the end")?;
        Ok(Entry {
            kind: ty >> 6,
            id,
            value,
        })
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<Entry<'a>, Truncated>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let entry = self.next_entry();
        if entry.is_err() {
            self.rest = &[];
        }
        Some(entry)
    }
}

fn entries(bytes: &[u8]) -> Entries<'_> {
    Entries { rest: bytes }
}

/// Decodes a TLV payload written to (or read from) `base`.
pub fn decode(
    format: ContentFormat,
    base: &Path,
    bytes: &[u8],
    kinds: &dyn KindLookup,
) -> Result<Vec<Record>, DecodeError> {
    // Each value takes at least two bytes: the capacity is bounded by the input.
    let mut out = Vec::with_capacity((bytes.len() / 4).clamp(1, 64));
    let mut kinds = Kinds::new(kinds);
    for entry in entries(bytes) {
        let entry = entry.map_err(|t| t.into_error(format))?;
        // The level the entry sits below: resources and resource instances named by the request
        // path carry their own id, so they hang below the request's parent.
        let parent = match (base.len(), entry.kind) {
            (2, OBJECT_INSTANCE) | (4, _) => base.parent(),
            (3, kind) if kind != RESOURCE_INSTANCE => base.parent(),
            _ => Some(*base),
        }
        .unwrap_or(Path::ROOT);
        decode_entry(format, parent, entry, &mut kinds, &mut out)?;
    }
    Ok(out)
}

fn decode_entry(
    format: ContentFormat,
    parent: Path,
    entry: Entry<'_>,
    kinds: &mut Kinds<'_>,
    out: &mut Vec<Record>,
) -> Result<(), DecodeError> {
    let misplaced = || {
        let name = match entry.kind {
            OBJECT_INSTANCE => "an object instance TLV out of place",
            RESOURCE_INSTANCE => "a resource instance TLV out of place",
            MULTIPLE_RESOURCE => "a multiple resource TLV out of place",
            _ => "a resource TLV out of place",
        };
        DecodeError::malformed(format, name)
    };
    let path = parent.child(entry.id).ok_or_else(misplaced)?;
    match (parent.len(), entry.kind) {
        (1, OBJECT_INSTANCE) | (2, MULTIPLE_RESOURCE) => {
            // Bounded recursion: each level adds a path component, and paths stop at 4.
            for child in entries(entry.value) {
                let child = child.map_err(|t| t.into_error(format))?;
                decode_entry(format, path, child, kinds, out)?;
            }
            Ok(())
        }
        (2, RESOURCE) | (3, RESOURCE_INSTANCE) => {
            let kind = kinds.require(&path)?;
            let value = decode_value(&path, kind, entry.value)?;
            out.push(Record::new(path, value));
            Ok(())
        }
        _ => Err(misplaced()),
    }
}

/// Decodes the bytes of one value of type `kind`.
pub fn decode_value(path: &Path, kind: Kind, bytes: &[u8]) -> Result<Value, DecodeError> {
    let mismatch = || DecodeError::mismatch(*path, kind, "value bytes of another length");
    let signed = || -> Result<i64, DecodeError> {
        Ok(match *bytes {
            [a] => i64::from(a as i8),
            [a, b] => i64::from(i16::from_be_bytes([a, b])),
            [a, b, c, d] => i64::from(i32::from_be_bytes([a, b, c, d])),
            [a, b, c, d, e, f, g, h] => i64::from_be_bytes([a, b, c, d, e, f, g, h]),
            _ => return Err(mismatch()),
        })
    };
    Ok(match kind {
        Kind::String => Value::String(utf8(path, kind, bytes)?),
        Kind::CoreLnk => Value::CoreLnk(CoreLnk(utf8(path, kind, bytes)?)),
        Kind::Opaque => Value::Opaque(bytes.to_vec()),
        Kind::Integer => Value::Integer(signed()?),
        Kind::Time => Value::Time(Time(signed()?)),
        Kind::UnsignedInteger => Value::UnsignedInteger(match *bytes {
            [a] => u64::from(a),
            [a, b] => u64::from(u16::from_be_bytes([a, b])),
            [a, b, c, d] => u64::from(u32::from_be_bytes([a, b, c, d])),
            [a, b, c, d, e, f, g, h] => u64::from_be_bytes([a, b, c, d, e, f, g, h]),
            _ => return Err(mismatch()),
        }),
        Kind::Float => Value::Float(match *bytes {
            [a, b, c, d] => f64::from(f32::from_be_bytes([a, b, c, d])),
            [a, b, c, d, e, f, g, h] => f64::from_be_bytes([a, b, c, d, e, f, g, h]),
            _ => return Err(mismatch()),
        }),
        Kind::Boolean => match *bytes {
            [0] => Value::Boolean(false),
            [1] => Value::Boolean(true),
            _ => return Err(mismatch()),
        },
        Kind::ObjLnk => match *bytes {
            [a, b, c, d] => Value::ObjLnk(ObjLnk::new(
                u16::from_be_bytes([a, b]),
                u16::from_be_bytes([c, d]),
            )),
            _ => return Err(mismatch()),
        },
        Kind::None => return Err(mismatch()),
    })
}

fn utf8(path: &Path, kind: Kind, bytes: &[u8]) -> Result<String, DecodeError> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| DecodeError::mismatch(*path, kind, "bytes that are not UTF-8"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn header_forms() {
        let mut out = Vec::new();
        header(&mut out, RESOURCE, 1, 7).unwrap();
        assert_eq!(out, [0xC7, 0x01]);
        out.clear();
        header(&mut out, RESOURCE, 300, 300).unwrap();
        assert_eq!(out, [0xF0, 0x01, 0x2C, 0x01, 0x2C]);
        out.clear();
        header(&mut out, OBJECT_INSTANCE, 0, 70_000).unwrap();
        assert_eq!(out, [0x18, 0x00, 0x01, 0x11, 0x70]);
        assert!(header(&mut out, RESOURCE, 0, 1 << 24).is_err());
        assert_eq!(entry_len(300, 300), 5 + 300);
    }

    #[test]
    fn shortest_integers() {
        assert_eq!(int_bytes(-128).1, 1);
        assert_eq!(int_bytes(128).1, 2);
        assert_eq!(int_bytes(i64::from(i32::MIN)).1, 4);
        assert_eq!(int_bytes(i64::MAX).1, 8);
        assert_eq!(uint_bytes(255).1, 1);
        assert_eq!(uint_bytes(u64::MAX).1, 8);
    }
}
