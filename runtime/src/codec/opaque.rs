//! Opaque (`application/octet-stream` 42, LwM2M 1.0 `application/vnd.oma.lwm2m+opaque` 1544): the
//! raw bytes of one Opaque resource or resource instance.

use super::{
    ContentFormat, DecodeError, EncodeError, KindLookup, Record, RecordRef, lent, require,
};
use crate::path::Path;
use crate::prelude::*;
use crate::value::{Kind, Value, ValueRef};

/// Encodes the single Opaque record at `base`; any other value or count is a 4.06.
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
    let record = super::text::single(format, base, records)?;
    match &record.value {
        ValueRef::Opaque(bytes) => Ok(bytes.to_vec()),
        _ => Err(EncodeError::not_representable(
            format,
            "a value that is not opaque",
        )),
    }
}

/// Decodes the bytes written to the Opaque resource `base`.
pub fn decode(
    format: ContentFormat,
    base: &Path,
    bytes: &[u8],
    kinds: &dyn KindLookup,
) -> Result<Vec<Record>, DecodeError> {
    if base.len() < 3 {
        return Err(DecodeError::malformed(
            format,
            "an opaque value needs a resource path",
        ));
    }
    match require(kinds, base)? {
        Kind::Opaque => Ok(vec![Record::new(*base, Value::Opaque(bytes.to_vec()))]),
        kind => Err(DecodeError::mismatch(*base, kind, "opaque bytes")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn bytes_pass_through() {
        let base = Path::resource_instance(5, 0, 0, 2);
        let kinds = |_: &Path| Some((Kind::Opaque, true));
        let records = decode(ContentFormat::Opaque, &base, &[0, 255, 7], &kinds).unwrap();
        assert_eq!(records, [Record::new(base, Value::Opaque(vec![0, 255, 7]))]);
        assert_eq!(
            encode(ContentFormat::Opaque, &base, &records).unwrap(),
            [0, 255, 7]
        );
    }

    #[test]
    fn only_opaque_resources() {
        let base = Path::resource(3, 0, 0);
        let kinds = |_: &Path| Some((Kind::String, false));
        let err = decode(ContentFormat::Opaque, &base, b"x", &kinds).unwrap_err();
        assert_eq!(err.coap_code(), (4, 0));
        let err = encode(
            ContentFormat::Opaque,
            &base,
            &[Record::new(base, Value::String("x".into()))],
        )
        .unwrap_err();
        assert_eq!(err.coap_code(), (4, 6));
    }
}
