//! Plain text (`text/plain` 0, LwM2M 1.0 `application/vnd.oma.lwm2m+text` 1541): one value of one
//! resource or resource instance.
//!
//! Per type (LwM2M Core TS, data types appendix): String and Corelnk as UTF-8 text; Integer,
//! Unsigned Integer and Time as decimal integers; Float as a decimal number (`1.5`, `-3`, `1e-7`
//! are read; NaN and infinities cannot be written); Boolean as `0` or `1`; Objlnk as
//! `object:instance`; Opaque as base64 (LwM2M 1.1; the opaque format 42 is the better choice).

use super::{
    ContentFormat, DecodeError, EncodeError, KindLookup, Record, RecordRef, b64, lent, require,
};
use crate::path::Path;
use crate::prelude::*;
use crate::value::{CoreLnk, Kind, ObjLnk, Time, Value, ValueRef};

/// Encodes the single record at `base` as text; anything else is not representable (4.06).
pub fn encode(
    format: ContentFormat,
    base: &Path,
    records: &[Record],
) -> Result<Vec<u8>, EncodeError> {
    encode_refs(format, base, &lent(records))
}

/// [`encode`] of lent records.
pub fn encode_refs(
    format: ContentFormat,
    base: &Path,
    records: &[RecordRef<'_>],
) -> Result<Vec<u8>, EncodeError> {
    let record = single(format, base, records)?;
    text_of(format, &record.value).map(String::into_bytes)
}

/// The one record a single-value format can carry, or a 4.06.
pub(crate) fn single<'r, 'a>(
    format: ContentFormat,
    base: &Path,
    records: &'r [RecordRef<'a>],
) -> Result<&'r RecordRef<'a>, EncodeError> {
    match records {
        [record] if record.path == *base && record.path.len() >= 3 => Ok(record),
        [record] if record.path != *base => Err(EncodeError::InvalidRecords(
            "a record that does not match the request path",
        )),
        _ => Err(EncodeError::not_representable(
            format,
            "several values or none: only one resource value fits",
        )),
    }
}

/// The text form of one value.
pub fn to_text(format: ContentFormat, value: &Value) -> Result<String, EncodeError> {
    text_of(format, &value.as_ref())
}

/// The text form of one lent value: [`to_text`].
pub fn text_of(format: ContentFormat, value: &ValueRef<'_>) -> Result<String, EncodeError> {
    Ok(match value {
        ValueRef::String(s) | ValueRef::CoreLnk(s) => String::from(&**s),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::UnsignedInteger(u) => u.to_string(),
        ValueRef::Time(Time(t)) => t.to_string(),
        // The shortest digits that read back as the same float, integral values without `.0`
        // (`21.5`, `20`, `1e-7`; see `numfmt`): `core`'s `Display` would spell 1e-300 with 300
        // zeros, and links 10 KiB of formatting code and tables into a microcontroller image.
        ValueRef::Float(x) if x.is_finite() => crate::numfmt::Float(*x).to_string(),
        ValueRef::Float(_) => {
            return Err(EncodeError::not_representable(
                format,
                "NaN and infinite floats have no text form",
            ));
        }
        ValueRef::Boolean(b) => if *b { "1" } else { "0" }.to_owned(),
        ValueRef::ObjLnk(l) => l.to_string(),
        ValueRef::Opaque(bytes) => {
            let mut s = String::new();
            b64::encode_standard(bytes, &mut s);
            s
        }
    })
}

/// Decodes a text payload written to `base` (a resource or resource instance).
pub fn decode(
    format: ContentFormat,
    base: &Path,
    bytes: &[u8],
    kinds: &dyn KindLookup,
) -> Result<Vec<Record>, DecodeError> {
    if base.len() < 3 {
        return Err(DecodeError::malformed(
            format,
            "a text value needs a resource path",
        ));
    }
    let kind = require(kinds, base)?;
    let text =
        core::str::from_utf8(bytes).map_err(|_| DecodeError::malformed(format, "not UTF-8"))?;
    let value = from_text(base, kind, text)?;
    Ok(vec![Record::new(*base, value)])
}

/// Parses the text form of a value of type `kind` (at `path`, for error messages).
pub fn from_text(path: &Path, kind: Kind, text: &str) -> Result<Value, DecodeError> {
    let mismatch = || DecodeError::mismatch(*path, kind, "a text that does not parse as this type");
    Ok(match kind {
        Kind::String => Value::String(text.to_owned()),
        Kind::CoreLnk => Value::CoreLnk(CoreLnk(text.to_owned())),
        Kind::Integer => Value::Integer(parse_int(text).ok_or_else(mismatch)?),
        Kind::Time => Value::Time(Time(parse_int(text).ok_or_else(mismatch)?)),
        Kind::UnsignedInteger => {
            let digits = text.strip_prefix('+').unwrap_or(text);
            if !is_digits(digits) {
                return Err(mismatch());
            }
            Value::UnsignedInteger(digits.parse().map_err(|_| mismatch())?)
        }
        Kind::Float => Value::Float(parse_float(text).ok_or_else(mismatch)?),
        Kind::Boolean => match text {
            "0" => Value::Boolean(false),
            "1" => Value::Boolean(true),
            _ => return Err(mismatch()),
        },
        Kind::ObjLnk => Value::ObjLnk(parse_objlnk(text).ok_or_else(mismatch)?),
        Kind::Opaque => Value::Opaque(b64::decode(text).ok_or_else(mismatch)?),
        Kind::None => return Err(mismatch()),
    })
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// A decimal `i64` with an optional sign; no spaces, no fraction.
fn parse_int(text: &str) -> Option<i64> {
    let digits = text
        .strip_prefix('-')
        .or_else(|| text.strip_prefix('+'))
        .unwrap_or(text);
    if !is_digits(digits) {
        return None;
    }
    text.parse().ok()
}

/// A finite decimal number: digits, one optional sign, point and exponent; no `inf`/`NaN`.
fn parse_float(text: &str) -> Option<f64> {
    let ok = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
        && text.bytes().any(|b| b.is_ascii_digit());
    let x = if ok {
        crate::numfmt::parse_f64(text)?
    } else {
        return None;
    };
    x.is_finite().then_some(x)
}

/// `object:instance`, each a decimal u16.
pub(crate) fn parse_objlnk(text: &str) -> Option<ObjLnk> {
    let (object, instance) = text.split_once(':')?;
    if !is_digits(object) || !is_digits(instance) {
        return None;
    }
    Some(ObjLnk::new(object.parse().ok()?, instance.parse().ok()?))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn kinds(kind: Kind) -> impl Fn(&Path) -> Option<(Kind, bool)> {
        move |_| Some((kind, false))
    }

    fn dec(kind: Kind, text: &str) -> Result<Value, DecodeError> {
        let base = Path::resource(3, 0, 1);
        decode(ContentFormat::Text, &base, text.as_bytes(), &kinds(kind))
            .map(|mut r| r.remove(0).value)
    }

    fn enc(value: Value) -> Result<String, EncodeError> {
        let base = Path::resource(3, 0, 1);
        let bytes = encode(ContentFormat::Text, &base, &[Record::new(base, value)])?;
        Ok(String::from_utf8(bytes).unwrap())
    }

    #[test]
    fn per_type_text() {
        assert_eq!(enc(Value::Boolean(true)).unwrap(), "1");
        assert_eq!(
            enc(Value::ObjLnk(ObjLnk::new(3, 65535))).unwrap(),
            "3:65535"
        );
        assert_eq!(
            enc(Value::Integer(i64::MIN)).unwrap(),
            "-9223372036854775808"
        );
        assert_eq!(enc(Value::Float(1.5)).unwrap(), "1.5");
        assert_eq!(enc(Value::Opaque(b"foo".to_vec())).unwrap(), "Zm9v");
        assert_eq!(dec(Kind::Boolean, "0").unwrap(), Value::Boolean(false));
        assert_eq!(dec(Kind::Float, "1e3").unwrap(), Value::Float(1000.0));
        assert_eq!(dec(Kind::Float, "-2").unwrap(), Value::Float(-2.0));
        assert_eq!(
            dec(Kind::Time, "1367491215").unwrap(),
            Value::Time(Time(1367491215))
        );
        assert_eq!(
            dec(Kind::UnsignedInteger, "18446744073709551615").unwrap(),
            Value::UnsignedInteger(u64::MAX)
        );
        assert_eq!(dec(Kind::String, "").unwrap(), Value::String(String::new()));
    }

    #[test]
    fn float_for_integer_is_a_type_mismatch() {
        let err = dec(Kind::Integer, "1.5").unwrap_err();
        assert!(matches!(err, DecodeError::TypeMismatch { .. }));
        assert_eq!(err.coap_code(), (4, 0));
    }

    #[test]
    fn rejects_bad_values() {
        for (kind, text) in [
            (Kind::Integer, ""),
            (Kind::Integer, " 1"),
            (Kind::Integer, "9223372036854775808"),
            (Kind::UnsignedInteger, "-1"),
            (Kind::Float, "inf"),
            (Kind::Float, "NaN"),
            (Kind::Float, "1e999"),
            (Kind::Float, "."),
            (Kind::Boolean, "true"),
            (Kind::ObjLnk, "3"),
            (Kind::ObjLnk, "3:-1"),
            (Kind::ObjLnk, "65536:0"),
            (Kind::Opaque, "Zg="),
        ] {
            assert!(dec(kind, text).is_err(), "{kind} {text:?}");
        }
    }

    #[test]
    fn non_finite_floats_and_several_values_are_406() {
        assert_eq!(enc(Value::Float(f64::NAN)).unwrap_err().coap_code(), (4, 6));
        let base = Path::instance(3, 0);
        let records = [
            Record::new(Path::resource(3, 0, 0), Value::Integer(1)),
            Record::new(Path::resource(3, 0, 1), Value::Integer(2)),
        ];
        let err = encode(ContentFormat::Text, &base, &records).unwrap_err();
        assert_eq!(err.coap_code(), (4, 6));
    }

    #[test]
    fn invalid_utf8_and_unknown_resource() {
        let base = Path::resource(3, 0, 1);
        let err = decode(ContentFormat::Text, &base, &[0xff], &kinds(Kind::String)).unwrap_err();
        assert!(matches!(err, DecodeError::Malformed { .. }));
        let err = decode(ContentFormat::Text, &base, b"1", &super::super::NoKinds).unwrap_err();
        assert_eq!(err, DecodeError::UnknownResource(base));
    }
}
