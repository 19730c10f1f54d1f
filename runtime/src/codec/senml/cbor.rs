//! SenML CBOR decoding, borrowing from the payload.

use super::*;

/// One record of a SenML CBOR pack as read, borrowing from the payload: names as bytes (they
/// must be paths, which are ASCII: [`PathText`] checks them), times checked finite.
#[derive(Debug, Default)]
pub(super) struct CborRecord<'a> {
    pub(super) bn: Option<&'a [u8]>,
    pub(super) n: Option<&'a [u8]>,
    pub(super) bt: Option<f64>,
    pub(super) t: Option<f64>,
    pub(super) value: Option<Raw<'a>>,
}

pub(super) const CBOR_FORMAT: ContentFormat = ContentFormat::SenmlCbor;

#[cold]
pub(super) fn cbor_malformed(reason: &'static str) -> DecodeError {
    DecodeError::malformed(CBOR_FORMAT, reason)
}

/// A SenML field whose CBOR item has the wrong type for it (`vb` not a boolean...).
#[cold]
fn wrong_type() -> DecodeError {
    cbor_malformed("a SenML field of the wrong CBOR type")
}

#[cold]
pub(super) fn cbor_read_error(err: ReadError) -> DecodeError {
    cbor_malformed(err.reason())
}

/// A SenML CBOR pack (RFC 8428 §6): one definite-length array of definite-length maps, read
/// record by record with the crate's one CBOR reader.
pub(super) struct CborPack<'a> {
    reader: Reader<'a>,
    bytes: &'a [u8],
    left: u64,
}

impl<'a> CborPack<'a> {
    /// Opens the pack: its array head.
    pub(super) fn open(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(bytes);
        let left = match reader.item().map_err(cbor_read_error)? {
            Item::Array(len) => len,
            Item::Indefinite(_) => {
                return Err(cbor_malformed("indefinite-length CBOR is not accepted"));
            }
            _ => {
                return Err(cbor_malformed("a SenML pack is a CBOR array"));
            }
        };
        Ok(CborPack {
            reader,
            bytes,
            left,
        })
    }

    /// A bound on the number of records, for a capacity: each takes at least one byte.
    pub(super) fn capacity(&self) -> usize {
        usize::try_from(self.left)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len())
    }

    /// Reads the next record into `record`; `false` after the last (then nothing may follow the
    /// pack).
    #[inline]
    pub(super) fn next(&mut self, record: &mut CborRecord<'a>) -> Result<bool, DecodeError> {
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
            _ => Err(cbor_malformed("a SenML record is a CBOR map")),
        }
    }

    /// Reads one label and its value into `record`. A repeated name or time replaces the earlier
    /// one; a second value is an error.
    #[cfg_attr(feature = "std", inline(always))]
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
                    return Err(unsupported_label(CBOR_FORMAT));
                }
                self.skip_scalar()?;
                return Ok(None);
            }
            _ => {
                return Err(cbor_malformed(
                    "a SenML label that is not an integer or text",
                ));
            }
        };
        match label {
            Some(label) => Ok(Some(label)),
            None => Err(cbor_malformed("a SenML label beyond 64 bits")),
        }
    }

    /// Reads the value of integer label `label` (`None`: the value was read already).
    #[cfg_attr(feature = "std", inline(always))]
    fn labelled(
        &mut self,
        label: Option<i64>,
        record: &mut CborRecord<'a>,
    ) -> Result<(), DecodeError> {
        let Some(label) = label else {
            return Ok(());
        };
        match label {
            -2 => record.bn = Some(self.name()?),
            0 => record.n = Some(self.name()?),
            -3 => record.bt = Some(time_of(CBOR_FORMAT, self.number()?)?),
            6 => record.t = Some(time_of(CBOR_FORMAT, self.number()?)?),
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
                _ => return Err(wrong_type()),
            },
            8 => match self.reader.item().map_err(cbor_read_error)? {
                Item::Bytes(data) => set_cbor_value(record, Raw::Data(Cow::Borrowed(data)))?,
                _ => return Err(wrong_type()),
            },
            // bu, bv, bs, u, s and the must-understand range (RFC 8428 §12.2).
            -6 | -5 | -4 | 1 | 5 | ..=-16 => {
                return Err(unsupported_label(CBOR_FORMAT));
            }
            _ => self.skip_scalar()?,
        }
        Ok(())
    }

    /// A name's bytes (`bn`, `n`).
    #[cfg_attr(feature = "std", inline(always))]
    fn name(&mut self) -> Result<&'a [u8], DecodeError> {
        if let Some(text) = self.reader.short_string(CBOR_TEXT) {
            return Ok(text);
        }
        match self.reader.item().map_err(cbor_read_error)? {
            Item::Text(text) => Ok(text),
            _ => Err(wrong_type()),
        }
    }

    /// A text value (`vs`, `vlo`), checked as UTF-8.
    #[cfg_attr(feature = "std", inline(always))]
    fn text(&mut self) -> Result<&'a str, DecodeError> {
        if let Some(text) = self.reader.short_string(CBOR_TEXT) {
            return utf8(text).map_err(cbor_read_error);
        }
        match self.reader.item().map_err(cbor_read_error)? {
            Item::Text(text) => utf8(text).map_err(cbor_read_error),
            _ => Err(wrong_type()),
        }
    }

    /// A number: any CBOR integer (beyond `i64` too) or float of 2, 4 or 8 bytes.
    #[cfg_attr(feature = "std", inline(always))]
    fn number(&mut self) -> Result<Raw<'a>, DecodeError> {
        if let Some(n) = self.reader.small(CBOR_UNSIGNED) {
            return Ok(Raw::Int(i128::from(n)));
        }
        match self.reader.item().map_err(cbor_read_error)? {
            Item::Unsigned(n) => Ok(Raw::Int(i128::from(n))),
            Item::Negative(n) => Ok(Raw::Int(-1 - i128::from(n))),
            Item::Float(x) => Ok(Raw::Float(x)),
            _ => Err(cbor_malformed("a SenML value that is not a number")),
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
pub(super) fn set_cbor_value<'a>(
    record: &mut CborRecord<'a>,
    value: Raw<'a>,
) -> Result<(), DecodeError> {
    if record.value.replace(value).is_some() {
        return Err(cbor_malformed("a record with two values"));
    }
    Ok(())
}
