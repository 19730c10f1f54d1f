//! A borrowing reader of single CBOR items (RFC 8949 §3), for the decoders' hot paths.
//!
//! It reads one data item head at a time and hands out byte and text strings as slices of the
//! payload, so decoding copies nothing until a value is stored. Text strings come as bytes: the
//! caller checks them as UTF-8 ([`utf8`]) where it uses them as text, once (a SenML name is
//! checked as a path, which is ASCII). Every length is checked against the bytes left before it
//! is used; nothing is allocated. Indefinite lengths and the `break`
//! byte come back as [`Item::Indefinite`] for the caller to reject; the reserved additional
//! information values 28 to 30 are an error, as RFC 8949 §3 says.

/// One CBOR data item head, with the content of byte and text strings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Item<'a> {
    /// Major type 0: an unsigned integer.
    Unsigned(u64),
    /// Major type 1: the negative integer `-1 - n`.
    Negative(u64),
    /// Major type 2 with a definite length.
    Bytes(&'a [u8]),
    /// Major type 3 with a definite length, not yet checked as UTF-8 (see [`utf8`]).
    Text(&'a [u8]),
    /// Major type 4 with a definite length: this many items follow.
    Array(u64),
    /// Major type 5 with a definite length: this many key/value pairs follow.
    Map(u64),
    /// Major type 6: a tag; the tagged item follows.
    Tag(u64),
    /// `false` or `true`.
    Bool(bool),
    /// `null`.
    Null,
    /// `undefined`.
    Undefined,
    /// A half, single or double precision float, widened.
    Float(f64),
    /// Another simple value.
    Simple(u8),
    /// An indefinite-length string, array or map of this major type, or `break` (major type 7).
    Indefinite(u8),
}

/// Why an item could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadError {
    /// The payload ends inside the item.
    End,
    /// Additional information 28, 29 or 30, which RFC 8949 reserves.
    Reserved(u8),
    /// A text string that is not UTF-8.
    NotUtf8,
}

impl ReadError {
    /// What is wrong, as a [`DecodeError`](super::DecodeError)'s reason.
    pub(crate) const fn reason(self) -> &'static str {
        match self {
            ReadError::End => "CBOR: the payload ends inside an item",
            ReadError::Reserved(_) => "CBOR: reserved additional information",
            ReadError::NotUtf8 => "CBOR: a text string that is not UTF-8",
        }
    }
}

/// The content of a text string as text: [`ReadError::NotUtf8`] when it is not UTF-8.
#[inline]
pub(crate) fn utf8(text: &[u8]) -> Result<&str, ReadError> {
    core::str::from_utf8(text).map_err(|_| ReadError::NotUtf8)
}

/// A position in a CBOR payload.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    /// How many bytes have been read.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// The major type of the next item, without reading it.
    #[inline]
    pub(crate) fn peek_major(&self) -> Result<u8, ReadError> {
        self.bytes
            .get(self.pos)
            .map(|initial| initial >> 5)
            .ok_or(ReadError::End)
    }

    /// The argument of the next item if it is of major type `major` with its argument in the
    /// initial byte (below 24), which is then read; `None`, reading nothing, otherwise.
    ///
    /// With [`Reader::short_string`], the hot path of a decoder: the answer comes back in a
    /// register, where an [`Item`] goes through memory and its narrow fields, read back wide,
    /// stall the CPU.
    #[cfg_attr(feature = "std", inline(always))]
    pub(crate) fn small(&mut self, major: u8) -> Option<u8> {
        let initial = *self.bytes.get(self.pos)?;
        let info = initial & 0x1f;
        if initial >> 5 != major || info >= 24 {
            return None;
        }
        self.pos += 1;
        Some(info)
    }

    /// The content of the next item if it is a string of major type `major` (2 bytes, 3 text)
    /// with its length in the initial byte, which is then read; `None`, reading nothing,
    /// otherwise (also when the content is cut short: [`Reader::item`] then says so).
    #[cfg_attr(feature = "std", inline(always))]
    pub(crate) fn short_string(&mut self, major: u8) -> Option<&'a [u8]> {
        let initial = *self.bytes.get(self.pos)?;
        let len = usize::from(initial & 0x1f);
        if initial >> 5 != major || len >= 24 {
            return None;
        }
        let start = self.pos + 1;
        let content = self.bytes.get(start..start + len)?;
        self.pos = start + len;
        Some(content)
    }

    /// Reads the next item (for strings, their content too).
    ///
    /// Heads whose argument fits in the initial byte (small integers, short strings, small
    /// arrays and maps: most items of a LwM2M payload) are read here, inline; the others by
    /// [`Reader::long_item`].
    #[inline]
    pub(crate) fn item(&mut self) -> Result<Item<'a>, ReadError> {
        let Some(&initial) = self.bytes.get(self.pos) else {
            return Err(ReadError::End);
        };
        let info = initial & 0x1f;
        if info >= 24 {
            return self.long_item();
        }
        let argument = u64::from(info);
        let item = match initial >> 5 {
            0 => Item::Unsigned(argument),
            1 => Item::Negative(argument),
            major @ (2 | 3) => {
                let start = self.pos + 1;
                let content = self
                    .bytes
                    .get(start..start + usize::from(info))
                    .ok_or(ReadError::End)?;
                self.pos = start + usize::from(info);
                return Ok(if major == 2 {
                    Item::Bytes(content)
                } else {
                    Item::Text(content)
                });
            }
            4 => Item::Array(argument),
            5 => Item::Map(argument),
            6 => Item::Tag(argument),
            _ => match info {
                20 => Item::Bool(false),
                21 => Item::Bool(true),
                22 => Item::Null,
                23 => Item::Undefined,
                _ => Item::Simple(info),
            },
        };
        self.pos += 1;
        Ok(item)
    }

    /// [`Reader::item`] for heads with a following argument, indefinite lengths and reserved
    /// values.
    #[inline(never)]
    fn long_item(&mut self) -> Result<Item<'a>, ReadError> {
        let rest = self.bytes.get(self.pos..).unwrap_or(&[]);
        let (&initial, after) = rest.split_first().ok_or(ReadError::End)?;
        let (major, info) = (initial >> 5, initial & 0x1f);
        // The argument and the length of the head (RFC 8949 §3).
        let (argument, head_len) = match (info, after) {
            (0..=23, _) => (u64::from(info), 1),
            (24, [a, ..]) => (u64::from(*a), 2),
            (25, [a, b, ..]) => (u64::from(u16::from_be_bytes([*a, *b])), 3),
            (26, [a, b, c, d, ..]) => (u64::from(u32::from_be_bytes([*a, *b, *c, *d])), 5),
            (27, [a, b, c, d, e, f, g, h, ..]) => {
                (u64::from_be_bytes([*a, *b, *c, *d, *e, *f, *g, *h]), 9)
            }
            (24..=27, _) => return Err(ReadError::End),
            (28..=30, _) => return Err(ReadError::Reserved(info)),
            _ => {
                self.pos += 1;
                return Ok(Item::Indefinite(major));
            }
        };
        self.pos += head_len;
        Ok(match major {
            0 => Item::Unsigned(argument),
            1 => Item::Negative(argument),
            2 | 3 => {
                let content = usize::try_from(argument)
                    .ok()
                    .and_then(|len| after.get(head_len - 1..)?.get(..len))
                    .ok_or(ReadError::End)?;
                self.pos += content.len();
                if major == 2 {
                    Item::Bytes(content)
                } else {
                    Item::Text(content)
                }
            }
            4 => Item::Array(argument),
            5 => Item::Map(argument),
            6 => Item::Tag(argument),
            // Major type 7: the head's length tells the float widths apart from simple values.
            _ => match (head_len, argument) {
                (1, 20) => Item::Bool(false),
                (1, 21) => Item::Bool(true),
                (1, 22) => Item::Null,
                (1, 23) => Item::Undefined,
                (3, bits) => Item::Float(f16_to_f64(bits as u16)),
                (5, bits) => Item::Float(f64::from(f32::from_bits(bits as u32))),
                (9, bits) => Item::Float(f64::from_bits(bits)),
                (_, value) => Item::Simple(value as u8),
            },
        })
    }
}

/// 2^`exp` for the normal range of f64 (`f64::powi` needs std): the exponent field alone.
fn pow2(exp: i32) -> f64 {
    f64::from_bits(((exp + 1023) as u64) << 52)
}

/// IEEE 754 binary16 to f64.
pub(crate) fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((bits >> 10) & 0x1f);
    let mant = f64::from(bits & 0x3ff);
    sign * match exp {
        0 => mant * pow2(-24),
        31 if mant == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        _ => (1.0 + mant / 1024.0) * pow2(exp - 15),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn one(bytes: &[u8]) -> Result<Item<'_>, ReadError> {
        let mut reader = Reader::new(bytes);
        let item = reader.item();
        if item.is_ok() {
            assert_eq!(reader.position(), bytes.len(), "{bytes:02x?}");
        }
        item
    }

    #[test]
    fn rfc_8949_appendix_a_examples() {
        assert_eq!(one(&[0x00]), Ok(Item::Unsigned(0)));
        assert_eq!(one(&[0x17]), Ok(Item::Unsigned(23)));
        assert_eq!(one(&[0x18, 0x18]), Ok(Item::Unsigned(24)));
        assert_eq!(one(&[0x19, 0x03, 0xe8]), Ok(Item::Unsigned(1000)));
        assert_eq!(
            one(&[0x1a, 0x00, 0x0f, 0x42, 0x40]),
            Ok(Item::Unsigned(1_000_000))
        );
        assert_eq!(
            one(&[0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            Ok(Item::Unsigned(u64::MAX))
        );
        assert_eq!(one(&[0x20]), Ok(Item::Negative(0)));
        assert_eq!(one(&[0x38, 0x63]), Ok(Item::Negative(99)));
        assert_eq!(one(&[0xf9, 0x3c, 0x00]), Ok(Item::Float(1.0)));
        assert_eq!(one(&[0xf9, 0xc4, 0x00]), Ok(Item::Float(-4.0)));
        assert_eq!(
            one(&[0xfa, 0x47, 0xc3, 0x50, 0x00]),
            Ok(Item::Float(100000.0))
        );
        assert_eq!(
            one(&[0xfb, 0x3f, 0xf1, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a]),
            Ok(Item::Float(1.1))
        );
        assert_eq!(one(&[0xf4]), Ok(Item::Bool(false)));
        assert_eq!(one(&[0xf5]), Ok(Item::Bool(true)));
        assert_eq!(one(&[0xf6]), Ok(Item::Null));
        assert_eq!(one(&[0xf7]), Ok(Item::Undefined));
        assert_eq!(one(&[0xf0]), Ok(Item::Simple(16)));
        assert_eq!(one(&[0xf8, 0xff]), Ok(Item::Simple(255)));
        assert_eq!(one(&[0xc1]), Ok(Item::Tag(1)));
        assert_eq!(one(&[0x44, 1, 2, 3, 4]), Ok(Item::Bytes(&[1, 2, 3, 4])));
        assert_eq!(one(&[0x62, 0xc3, 0xbc]), Ok(Item::Text("ü".as_bytes())));
        assert_eq!(one(&[0x83]), Ok(Item::Array(3)));
        assert_eq!(one(&[0xa2]), Ok(Item::Map(2)));
        assert_eq!(one(&[0x5f]), Ok(Item::Indefinite(2)));
        assert_eq!(one(&[0xbf]), Ok(Item::Indefinite(5)));
        assert_eq!(one(&[0xff]), Ok(Item::Indefinite(7)));
    }

    #[test]
    fn half_floats() {
        assert_eq!(f16_to_f64(0x3c00), 1.0);
        assert_eq!(f16_to_f64(0xc000), -2.0);
        assert_eq!(f16_to_f64(0x0001), 2f64.powi(-24));
        assert_eq!(f16_to_f64(0x7c00), f64::INFINITY);
        assert!(f16_to_f64(0x7e00).is_nan());
    }

    #[test]
    fn small_heads_and_short_strings() {
        let mut reader = Reader::new(&[0x17, 0x20, 0x18, 0x18, 0x62, b'a', b'b', 0x61]);
        assert_eq!(reader.small(1), None);
        assert_eq!(reader.small(0), Some(23));
        assert_eq!(reader.short_string(3), None);
        assert_eq!(reader.small(1), Some(0));
        // A one-byte argument is not small: nothing is read.
        assert_eq!(reader.small(0), None);
        assert_eq!(reader.item(), Ok(Item::Unsigned(24)));
        assert_eq!(reader.short_string(2), None);
        assert_eq!(reader.short_string(3), Some(&b"ab"[..]));
        // Cut short: nothing is read, and `item` says why.
        assert_eq!(reader.short_string(3), None);
        assert_eq!(reader.position(), 7);
        assert_eq!(reader.item(), Err(ReadError::End));
        assert_eq!(Reader::new(&[]).small(0), None);
    }

    #[test]
    fn bad_items_are_errors() {
        assert_eq!(one(&[]), Err(ReadError::End));
        assert_eq!(one(&[0x19, 0x03]), Err(ReadError::End));
        assert_eq!(one(&[0x1c]), Err(ReadError::Reserved(28)));
        assert_eq!(one(&[0xfe]), Err(ReadError::Reserved(30)));
        assert_eq!(one(&[0x62, 0xc3]), Err(ReadError::End));
        assert_eq!(one(&[0x61, 0xff]), Ok(Item::Text(&[0xff])));
        assert_eq!(utf8(&[0xff]), Err(ReadError::NotUtf8));
        assert_eq!(utf8("ü".as_bytes()), Ok("ü"));
        // A length of 2^64 - 1 with nothing behind it: an error, not an allocation.
        let huge = [0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(one(&huge), Err(ReadError::End));
        assert_eq!(Reader::new(&[0xa1]).peek_major(), Ok(5));
        assert_eq!(Reader::new(&[]).peek_major(), Err(ReadError::End));
    }
}
