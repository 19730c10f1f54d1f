//! SenML JSON decoding: a borrowing fast path (the JSON scanner) with the tree parser
//! (`json_value`) behind it.

use super::*;
use crate::codec::json_value;

/// A value as the JSON fast path reads it: borrowed, `Copy` and without an `i128` (so 24
/// bytes, 8-aligned), so that a record is reset and handed on in registers rather than through
/// memory (the base64 of `vd` is decoded when the record is taken).
#[derive(Debug, Clone, Copy)]
pub(super) enum ScanValue<'a> {
    /// An integer within `i64`.
    Int(i64),
    /// An integer above `i64::MAX`, within `u64`.
    UInt(u64),
    Float(f64),
    Str(&'a str),
    Bool(bool),
    /// The base64url text of `vd`, not yet decoded.
    Data(&'a str),
    ObjLnk(&'a str),
}

impl<'a> ScanValue<'a> {
    /// A number the scanner read.
    #[cfg_attr(feature = "std", inline(always))]
    fn number(number: Number) -> Self {
        match number {
            Number::Int(n) => ScanValue::Int(n),
            Number::UInt(n) => ScanValue::UInt(n),
            Number::Float(x) => ScanValue::Float(x),
        }
    }

    /// The wire value; `None` when `vd` is not base64url (the general path says so).
    pub(super) fn raw(self) -> Option<Raw<'a>> {
        Some(match self {
            ScanValue::Int(n) => Raw::Int(i128::from(n)),
            ScanValue::UInt(n) => Raw::Int(i128::from(n)),
            ScanValue::Float(x) => Raw::Float(x),
            ScanValue::Str(text) => Raw::Str(Cow::Borrowed(text)),
            ScanValue::Bool(b) => Raw::Bool(b),
            ScanValue::Data(text) => Raw::Data(Cow::Owned(b64::decode(text)?)),
            ScanValue::ObjLnk(text) => Raw::ObjLnk(Cow::Borrowed(text)),
        })
    }

    /// Sets `slot` to the value for a resource of type `kind` (when known), exactly as
    /// [`typed`] gives it from [`ScanValue::raw`]; `None` where `typed` fails (the general path
    /// then says why), and `slot` is then left as it was.
    ///
    /// Written out rather than through `typed`, and into its place rather than returned: a
    /// `Result` (with its large error) or a `Value` built on the stack is copied in wide loads
    /// right after its narrow stores, which stalls (store forwarding) on every record.
    #[cfg_attr(feature = "std", inline(always))]
    pub(super) fn write_typed(self, kind: Option<Kind>, slot: &mut Value) -> Option<()> {
        let Some(kind) = kind else {
            match self {
                ScanValue::Int(n) => *slot = Value::Integer(n),
                ScanValue::UInt(n) => *slot = Value::UnsignedInteger(n),
                ScanValue::Float(x) => *slot = Value::Float(x),
                ScanValue::Str(text) => *slot = Value::String(text.to_owned()),
                ScanValue::Bool(b) => *slot = Value::Boolean(b),
                ScanValue::Data(text) => *slot = Value::Opaque(b64::decode(text)?),
                ScanValue::ObjLnk(text) => {
                    *slot = Value::ObjLnk(super::super::text::parse_objlnk(text)?);
                }
            }
            return Some(());
        };
        match (kind, self) {
            (Kind::Integer, ScanValue::Int(n)) => *slot = Value::Integer(n),
            (Kind::Time, ScanValue::Int(n)) => *slot = Value::Time(Time(n)),
            (Kind::UnsignedInteger, ScanValue::Int(n)) => {
                *slot = Value::UnsignedInteger(u64::try_from(n).ok()?);
            }
            (Kind::UnsignedInteger, ScanValue::UInt(n)) => *slot = Value::UnsignedInteger(n),
            (Kind::Float, ScanValue::Int(n)) => *slot = Value::Float(n as f64),
            (Kind::Float, ScanValue::UInt(n)) => *slot = Value::Float(n as f64),
            (Kind::Float, ScanValue::Float(x)) => *slot = Value::Float(x),
            (Kind::String, ScanValue::Str(text)) => *slot = Value::String(text.to_owned()),
            (Kind::CoreLnk, ScanValue::Str(text)) => {
                *slot = Value::CoreLnk(CoreLnk(text.to_owned()));
            }
            (Kind::Boolean, ScanValue::Bool(b)) => *slot = Value::Boolean(b),
            (Kind::Opaque, ScanValue::Data(text)) => *slot = Value::Opaque(b64::decode(text)?),
            (Kind::ObjLnk, ScanValue::ObjLnk(text)) => {
                *slot = Value::ObjLnk(super::super::text::parse_objlnk(text)?);
            }
            _ => return None,
        }
        Some(())
    }
}

/// One SenML record as the JSON fast path reads it (the borrowed, `Copy` twin of [`RawRecord`]).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct ScanRecord<'a> {
    pub(super) bn: Option<&'a str>,
    pub(super) bt: Option<f64>,
    pub(super) n: Option<&'a str>,
    pub(super) t: Option<f64>,
    pub(super) value: Option<ScanValue<'a>>,
}

impl<'a> ScanRecord<'a> {
    /// The record as the general path has it; `None` when `vd` is not base64url.
    pub(super) fn raw(self) -> Option<RawRecord<'a>> {
        Some(RawRecord {
            bn: self.bn.map(Cow::Borrowed),
            bt: self.bt,
            n: self.n.map(Cow::Borrowed),
            t: self.t,
            value: match self.value {
                Some(value) => Some(value.raw()?),
                None => None,
            },
        })
    }

    /// Sets the value, declining a second one.
    #[cfg_attr(feature = "std", inline(always))]
    fn set_value(&mut self, value: ScanValue<'a>) -> Option<()> {
        if self.value.replace(value).is_some() {
            return None;
        }
        Some(())
    }
}

/// The fast path of [`parse_json`]: gives each record to `each` as it is read; `None` when the
/// payload is anything but a plain, valid pack (escapes, nesting, duplicate fields, errors...)
/// or when `each` gives up, and `parse_json` then reads or rejects it.
pub(super) fn scan_json<'a>(
    bytes: &'a [u8],
    mut each: impl FnMut(&ScanRecord<'a>) -> Option<()>,
) -> Option<()> {
    let mut s = Scanner::new(bytes)?;
    s.array(|s| {
        let mut record = ScanRecord::default();
        s.object(|s, label| scan_field(s, label, &mut record))?;
        each(&record)
    })?;
    s.at_end().then_some(())
}

/// One field of a record on the fast path; `None` wherever `parse_json` might disagree.
///
/// The usual labels read the one value type they take straight away; the others (and a usual
/// label with a value of another type, which then declines) go through [`scan_other_field`].
#[cfg_attr(feature = "std", inline(always))]
pub(super) fn scan_field<'a>(
    s: &mut Scanner<'a>,
    label: &str,
    record: &mut ScanRecord<'a>,
) -> Option<()> {
    let value = match label.as_bytes() {
        b"n" if record.n.is_none() => {
            record.n = Some(s.string_value()?);
            return Some(());
        }
        b"v" => ScanValue::number(s.number_value()?),
        b"vs" => ScanValue::Str(s.string_value()?),
        _ => return scan_other_field(s, label, record),
    };
    record.set_value(value)
}

/// [`scan_field`] for the labels other than `n`, `v` and `vs`.
pub(super) fn scan_other_field<'a>(
    s: &mut Scanner<'a>,
    label: &str,
    record: &mut ScanRecord<'a>,
) -> Option<()> {
    let scalar = s.scalar()?;
    let value = match (label.as_bytes(), scalar) {
        (b"bn", Scalar::Str(text)) if record.bn.is_none() => {
            record.bn = Some(text);
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
        (b"vb", Scalar::Bool(b)) => ScanValue::Bool(b),
        (b"vd", Scalar::Str(text)) => ScanValue::Data(text),
        (b"vlo", Scalar::Str(text)) => ScanValue::ObjLnk(text),
        (
            b"bn" | b"n" | b"bt" | b"t" | b"ut" | b"bver" | b"v" | b"vs" | b"vb" | b"vd" | b"vlo"
            | b"bv" | b"bs" | b"bu" | b"s",
            _,
        ) => return None,
        ([.., b'_'], _) => return None,
        _ => return Some(()),
    };
    record.set_value(value)
}

/// A scanned number as a time (the scanner reads only finite numbers).
pub(super) fn scalar_time(scalar: Scalar<'_>) -> Option<f64> {
    match scalar {
        Scalar::Int(n) => Some(n as f64),
        Scalar::Float(x) => Some(x),
        _ => None,
    }
}

pub(super) fn parse_json(bytes: &[u8]) -> Result<Vec<RawRecord<'static>>, DecodeError> {
    const F: ContentFormat = ContentFormat::SenmlJson;
    let json = json_value::from_slice(bytes).ok_or(DecodeError::malformed(F, "not JSON"))?;
    let json_value::Value::Array(items) = json else {
        return Err(DecodeError::malformed(F, "a SenML pack is a JSON array"));
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let json_value::Value::Object(fields) = item else {
            return Err(DecodeError::malformed(F, "a SenML record is a JSON object"));
        };
        let mut record = RawRecord::default();
        for (label, value) in fields {
            let wrong = || DecodeError::malformed(F, "a SenML field of the wrong JSON type");
            match (label.as_str(), value) {
                ("bn", json_value::Value::String(s)) => record.bn = Some(Cow::Owned(s)),
                ("n", json_value::Value::String(s)) => record.n = Some(Cow::Owned(s)),
                ("bt", json_value::Value::Number(n)) => {
                    record.bt = Some(time_of(F, json_number(&n).ok_or_else(wrong)?)?);
                }
                ("t", json_value::Value::Number(n)) => {
                    record.t = Some(time_of(F, json_number(&n).ok_or_else(wrong)?)?);
                }
                ("ut" | "bver", json_value::Value::Number(_)) => {}
                ("v", json_value::Value::Number(n)) => {
                    let raw = json_number(&n).ok_or_else(wrong)?;
                    set_value(F, &mut record, raw)?;
                }
                ("vs", json_value::Value::String(s)) => {
                    set_value(F, &mut record, Raw::Str(Cow::Owned(s)))?;
                }
                ("vb", json_value::Value::Bool(b)) => set_value(F, &mut record, Raw::Bool(b))?,
                ("vd", json_value::Value::String(s)) => {
                    let data = b64::decode(&s)
                        .ok_or_else(|| DecodeError::malformed(F, "vd is not base64url"))?;
                    set_value(F, &mut record, Raw::Data(Cow::Owned(data)))?;
                }
                ("vlo", json_value::Value::String(s)) => {
                    set_value(F, &mut record, Raw::ObjLnk(Cow::Owned(s)))?;
                }
                ("bn" | "n" | "bt" | "t" | "ut" | "bver" | "v" | "vs" | "vb" | "vd" | "vlo", _) => {
                    return Err(wrong());
                }
                ("bv" | "bs" | "bu" | "s", _) => return Err(unsupported_label(F)),
                (other, _) if other.ends_with('_') => return Err(unsupported_label(F)),
                _ => {}
            }
        }
        out.push(record);
    }
    Ok(out)
}

pub(super) fn json_number(n: &json_value::Number) -> Option<Raw<'static>> {
    if let Some(i) = n.as_i64() {
        Some(Raw::Int(i128::from(i)))
    } else if let Some(u) = n.as_u64() {
        Some(Raw::Int(i128::from(u)))
    } else {
        n.as_f64().filter(|x| x.is_finite()).map(Raw::Float)
    }
}
