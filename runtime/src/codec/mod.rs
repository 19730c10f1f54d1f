//! LwM2M content formats: encode resource values to the wire and decode them back.
//!
//! The codecs do not know the object model. They work on a neutral list of [`Record`]s: one value
//! at one absolute resource (`/o/i/r`) or resource-instance (`/o/i/r/ri`) path. Formats that do
//! not carry types on the wire (TLV, text, opaque) ask a [`KindLookup`] for the type of each
//! resource; the self-describing formats (SenML, OMA JSON, LwM2M CBOR) use it when it answers and
//! infer the type from the wire otherwise.
//!
//! | format | ids | module |
//! |---|---|---|
//! | text | 0, 1541 | [`text`] |
//! | opaque | 42, 1544 | [`opaque`] |
//! | TLV | 11542, 1542 | [`tlv`] |
//! | SenML JSON | 110 | [`senml`] |
//! | SenML CBOR | 112 | [`senml`] |
//! | LwM2M CBOR | 11544 | [`lwm2m_cbor`] |
//! | OMA JSON | 11543, 1543 | [`oma_json`] |
//! | CoRE link format | 40 | [`link`] (its own API: links, not records) |
//!
//! The helpers on the serving path are `#[inline(always)]` with `std` only
//! (`#[cfg_attr(feature = "std", inline(always))]`): forced inlining is worth its code on a
//! server-class CPU, while a microcontroller build (no `std`, `opt-level = "z"`) is 2.5 KiB
//! smaller when the optimizer chooses.
//!
//! # Errors and CoAP response codes
//!
//! | error | code | when |
//! |---|---|---|
//! | [`DecodeError::Malformed`] | 4.00 | the payload is not valid in its format |
//! | [`DecodeError::TypeMismatch`] | 4.00 | a value does not fit the resource type (a float for an Integer) |
//! | [`DecodeError::Duplicate`] | 4.00 | the same path twice in one payload |
//! | [`DecodeError::OutsideBase`] | 4.00 | a value outside the request path |
//! | [`DecodeError::UnknownResource`] | 4.04 | no type is known for a path and the format needs one |
//! | [`DecodeError::UnsupportedFormat`] | 4.15 | the Content-Format is not one the client decodes |
//! | [`EncodeError::NotRepresentable`] | 4.06 | the Accept format cannot carry the answer (text for an instance) |
//! | [`EncodeError::UnsupportedFormat`] | 4.06 | the Accept format is not one the client encodes |
//! | [`EncodeError::InvalidRecords`] | 5.00 | the caller passed records outside the base path or twice |
//!
//! Every decoder bounds its allocations by the remaining input: no length field read from the
//! payload is trusted before it is checked against the bytes left.

use crate::prelude::*;
use alloc::collections::BTreeMap;
use core::cmp::Ordering;
use core::fmt;

use crate::path::Path;
use crate::value::{Kind, Value};

pub(crate) mod b64;
pub(crate) mod cbor_read;
pub(crate) mod json_scan;
pub(crate) mod json_value;
mod kinds;
pub mod link;
pub mod lwm2m_cbor;
pub mod oma_json;
pub mod opaque;
pub(crate) mod order;
mod record;
pub mod senml;
pub mod text;
pub mod tlv;

pub(crate) use kinds::{Kinds, require};
#[cfg(test)]
use order::sorted;
pub(crate) use order::sorted_as;
use order::{Order, finish};
#[cfg(test)]
use order::{PathKey, heapsort, key_contains, order_key};
pub use record::{Record, RecordRef};
pub(crate) use record::{lent, normalize_time};

/// The resource types a decoder needs: the object store answers it from its metadata.
///
/// `kind` is asked with a resource path (`/o/i/r`), also for resource instances. It answers the
/// type and whether the resource is multiple-instance, or `None` when the resource is unknown.
/// Implemented for closures, for maps keyed by [`Path`], and by [`NoKinds`].
pub trait KindLookup {
    /// The type of the resource at `resource` and whether it has multiple instances.
    fn kind(&self, resource: &Path) -> Option<(Kind, bool)>;
}

impl<F> KindLookup for F
where
    F: Fn(&Path) -> Option<(Kind, bool)>,
{
    fn kind(&self, resource: &Path) -> Option<(Kind, bool)> {
        self(resource)
    }
}

impl KindLookup for BTreeMap<Path, (Kind, bool)> {
    fn kind(&self, resource: &Path) -> Option<(Kind, bool)> {
        self.get(resource).copied()
    }
}

#[cfg(feature = "std")]
impl<S: core::hash::BuildHasher> KindLookup for std::collections::HashMap<Path, (Kind, bool), S> {
    fn kind(&self, resource: &Path) -> Option<(Kind, bool)> {
        self.get(resource).copied()
    }
}

/// A lookup that knows no resource: self-describing formats infer types, the others fail with
/// [`DecodeError::UnknownResource`].
#[derive(Debug, Clone, Copy, Default)]
pub struct NoKinds;

impl KindLookup for NoKinds {
    fn kind(&self, _resource: &Path) -> Option<(Kind, bool)> {
        None
    }
}

/// A CoAP Content-Format of LwM2M, with its registered number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContentFormat {
    /// `text/plain;charset=utf-8` (0).
    Text,
    /// `application/vnd.oma.lwm2m+text` (1541, LwM2M 1.0).
    OmaText,
    /// `application/octet-stream` (42).
    Opaque,
    /// `application/vnd.oma.lwm2m+opaque` (1544, LwM2M 1.0).
    OmaOpaque,
    /// `application/link-format` (40).
    LinkFormat,
    /// `application/vnd.oma.lwm2m+tlv` (11542).
    Tlv,
    /// The LwM2M 1.0 TLV number (1542).
    OmaTlv,
    /// `application/vnd.oma.lwm2m+json` (11543).
    Json,
    /// The LwM2M 1.0 JSON number (1543).
    OmaJson,
    /// `application/senml+json` (110).
    SenmlJson,
    /// `application/senml+cbor` (112).
    SenmlCbor,
    /// `application/vnd.oma.lwm2m+cbor` (11544, LwM2M 1.2).
    Lwm2mCbor,
    /// `application/cbor` (60, LwM2M 1.1): one resource or resource instance value as one CBOR
    /// item.
    Cbor,
}

impl ContentFormat {
    /// Every format, in the order of the table above.
    pub const ALL: [ContentFormat; 13] = [
        ContentFormat::Text,
        ContentFormat::OmaText,
        ContentFormat::Opaque,
        ContentFormat::OmaOpaque,
        ContentFormat::LinkFormat,
        ContentFormat::Tlv,
        ContentFormat::OmaTlv,
        ContentFormat::Json,
        ContentFormat::OmaJson,
        ContentFormat::SenmlJson,
        ContentFormat::SenmlCbor,
        ContentFormat::Lwm2mCbor,
        ContentFormat::Cbor,
    ];

    /// The format with this CoAP Content-Format number, `None` for one LwM2M does not use.
    pub const fn from_u16(id: u16) -> Option<ContentFormat> {
        Some(match id {
            0 => ContentFormat::Text,
            1541 => ContentFormat::OmaText,
            42 => ContentFormat::Opaque,
            1544 => ContentFormat::OmaOpaque,
            40 => ContentFormat::LinkFormat,
            11542 => ContentFormat::Tlv,
            1542 => ContentFormat::OmaTlv,
            11543 => ContentFormat::Json,
            1543 => ContentFormat::OmaJson,
            110 => ContentFormat::SenmlJson,
            112 => ContentFormat::SenmlCbor,
            11544 => ContentFormat::Lwm2mCbor,
            60 => ContentFormat::Cbor,
            _ => return None,
        })
    }

    /// The CoAP Content-Format number.
    pub const fn to_u16(self) -> u16 {
        match self {
            ContentFormat::Text => 0,
            ContentFormat::OmaText => 1541,
            ContentFormat::Opaque => 42,
            ContentFormat::OmaOpaque => 1544,
            ContentFormat::LinkFormat => 40,
            ContentFormat::Tlv => 11542,
            ContentFormat::OmaTlv => 1542,
            ContentFormat::Json => 11543,
            ContentFormat::OmaJson => 1543,
            ContentFormat::SenmlJson => 110,
            ContentFormat::SenmlCbor => 112,
            ContentFormat::Lwm2mCbor => 11544,
            ContentFormat::Cbor => 60,
        }
    }

    /// The media type name.
    pub const fn media_type(self) -> &'static str {
        match self {
            ContentFormat::Text => "text/plain;charset=utf-8",
            ContentFormat::OmaText => "application/vnd.oma.lwm2m+text",
            ContentFormat::Opaque => "application/octet-stream",
            ContentFormat::OmaOpaque => "application/vnd.oma.lwm2m+opaque",
            ContentFormat::LinkFormat => "application/link-format",
            ContentFormat::Tlv | ContentFormat::OmaTlv => "application/vnd.oma.lwm2m+tlv",
            ContentFormat::Json | ContentFormat::OmaJson => "application/vnd.oma.lwm2m+json",
            ContentFormat::SenmlJson => "application/senml+json",
            ContentFormat::SenmlCbor => "application/senml+cbor",
            ContentFormat::Lwm2mCbor => "application/vnd.oma.lwm2m+cbor",
            ContentFormat::Cbor => "application/cbor",
        }
    }
}

impl fmt::Display for ContentFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.media_type(), self.to_u16())
    }
}

/// Why a payload could not be decoded. [`DecodeError::coap_code`] gives the response code.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    /// The payload is not valid in its format (truncated, bad length, bad syntax...): 4.00.
    #[error("malformed {format} payload: {reason}")]
    Malformed {
        /// The format being decoded.
        format: ContentFormat,
        /// What is wrong (a fixed phrase: no message is formatted on the device's error path).
        reason: &'static str,
    },
    /// A value does not fit the resource type, e.g. `1.5` for an Integer resource: 4.00.
    #[error("{path}: expected a {expected} value, found {found}")]
    TypeMismatch {
        /// The resource or resource instance.
        path: Path,
        /// The resource type.
        expected: Kind,
        /// What the payload carried (a fixed phrase, such as `"a text value"`).
        found: &'static str,
    },
    /// The same path appears twice (or a resource both as a whole and by instance): 4.00.
    #[error("{0} appears more than once in the payload")]
    Duplicate(Path),
    /// A value lies outside the path the request addressed: 4.00.
    #[error("{path} is outside the request path {base}")]
    OutsideBase {
        /// The offending path.
        path: Path,
        /// The request path.
        base: Path,
    },
    /// The format needs the resource type, and no type is known for this path: 4.04.
    #[error("no resource is known at {0}")]
    UnknownResource(Path),
    /// The Content-Format is not one the client decodes: 4.15.
    #[error("unsupported content format {0}")]
    UnsupportedFormat(u16),
}

impl DecodeError {
    /// The CoAP response code as (class, detail): `(4, 0)` for 4.00.
    pub const fn coap_code(&self) -> (u8, u8) {
        match self {
            DecodeError::Malformed { .. }
            | DecodeError::TypeMismatch { .. }
            | DecodeError::Duplicate(_)
            | DecodeError::OutsideBase { .. } => (4, 0),
            DecodeError::UnknownResource(_) => (4, 4),
            DecodeError::UnsupportedFormat(_) => (4, 15),
        }
    }

    pub(crate) fn malformed(format: ContentFormat, reason: &'static str) -> DecodeError {
        DecodeError::Malformed { format, reason }
    }

    pub(crate) fn mismatch(path: Path, expected: Kind, found: &'static str) -> DecodeError {
        DecodeError::TypeMismatch {
            path,
            expected,
            found,
        }
    }
}

/// Why records could not be encoded. [`EncodeError::coap_code`] gives the response code.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EncodeError {
    /// The format cannot carry these values (several values as text, a NaN in JSON...): 4.06.
    #[error("{format} cannot represent this: {reason}")]
    NotRepresentable {
        /// The requested format.
        format: ContentFormat,
        /// Why not (a fixed phrase).
        reason: &'static str,
    },
    /// The format is not one the client encodes values in: 4.06.
    #[error("unsupported content format {0} for values")]
    UnsupportedFormat(ContentFormat),
    /// The records are not a valid answer for the base path (a caller bug): 5.00.
    #[error("invalid records: {0}")]
    InvalidRecords(&'static str),
}

impl EncodeError {
    /// The CoAP response code as (class, detail): `(4, 6)` for 4.06.
    pub const fn coap_code(&self) -> (u8, u8) {
        match self {
            EncodeError::NotRepresentable { .. } | EncodeError::UnsupportedFormat(_) => (4, 6),
            EncodeError::InvalidRecords(_) => (5, 0),
        }
    }

    pub(crate) fn not_representable(format: ContentFormat, reason: &'static str) -> Self {
        EncodeError::NotRepresentable { format, reason }
    }
}

/// Whether the client serves `format`: the JSON formats and LwM2M CBOR may be left out by
/// features (`senml-json`, `oma-json`, `lwm2m-cbor`). A constant per build, so the codecs of a
/// format left out are not linked.
// A `match`, not `matches!`: which arms are `true` depends on the features.
#[allow(clippy::match_like_matches_macro)]
pub const fn served(format: ContentFormat) -> bool {
    match format {
        ContentFormat::SenmlJson => cfg!(feature = "senml-json"),
        ContentFormat::Json | ContentFormat::OmaJson => cfg!(feature = "oma-json"),
        // Plain CBOR shares LwM2M CBOR's value coding.
        ContentFormat::Lwm2mCbor | ContentFormat::Cbor => cfg!(feature = "lwm2m-cbor"),
        _ => true,
    }
}

/// Encodes `records`, the answer for a request on `base`, in `format`.
///
/// Records may come in any order; every path must be a resource or resource instance at or below
/// `base`, each at most once. The output lists them in path order. The values are lent to
/// [`encode_refs`], which does the work.
// Not inlined on a microcontroller: its callers (Read-Composite, Send) would each get a copy of
// the lending loop.
#[cfg_attr(not(feature = "std"), inline(never))]
pub fn encode(
    format: ContentFormat,
    base: &Path,
    records: &[Record],
) -> Result<Vec<u8>, EncodeError> {
    encode_refs(format, base, &lent(records))
}

/// [`encode`] of records whose values are lent ([`RecordRef`]): what a borrowing read of the
/// store ([`ObjectStore::read_refs`](crate::ObjectStore::read_refs)) gives, encoded without a copy
/// of its strings. Every encoder works on these (one copy of each in a build).
pub fn encode_refs(
    format: ContentFormat,
    base: &Path,
    records: &[RecordRef<'_>],
) -> Result<Vec<u8>, EncodeError> {
    encode_as(format, base, records, Order::Check)
}

/// [`encode_refs`] of records in path order, each once, under `base`, as the store's lent read
/// ([`ObjectStore::read_refs`](crate::ObjectStore::read_refs)) gives them: not checked again
/// (but in debug builds).
pub(crate) fn encode_in_order(
    format: ContentFormat,
    base: &Path,
    records: &[RecordRef<'_>],
) -> Result<Vec<u8>, EncodeError> {
    encode_as(format, base, records, Order::Trusted)
}

/// [`encode_refs`], the records checked or not (`order`).
fn encode_as(
    format: ContentFormat,
    base: &Path,
    records: &[RecordRef<'_>],
    order: Order,
) -> Result<Vec<u8>, EncodeError> {
    if !served(format) {
        return Err(EncodeError::UnsupportedFormat(format));
    }
    let carries_time = matches!(
        format,
        ContentFormat::SenmlJson
            | ContentFormat::SenmlCbor
            | ContentFormat::Json
            | ContentFormat::OmaJson
    );
    if !carries_time && records.iter().any(|r| r.time.is_some()) {
        return Err(EncodeError::not_representable(
            format,
            "the format carries no timestamps",
        ));
    }
    // Each optional format's arm is guarded by its constant `served`: the check above alone
    // left LLVM (opt-level "z") with a reachable SenML JSON/OMA JSON encoder in the firmware.
    match format {
        ContentFormat::Text | ContentFormat::OmaText => text::encode_refs(format, base, records),
        ContentFormat::Opaque | ContentFormat::OmaOpaque => {
            opaque::encode_refs(format, base, records)
        }
        ContentFormat::Tlv | ContentFormat::OmaTlv => tlv::encode_as(base, records, order),
        ContentFormat::SenmlJson if served(ContentFormat::SenmlJson) => {
            senml::encode_json_as(base, records, order)
        }
        ContentFormat::SenmlCbor => senml::encode_cbor_as(base, records, order),
        ContentFormat::Lwm2mCbor if served(ContentFormat::Lwm2mCbor) => {
            lwm2m_cbor::encode_as(base, records, order)
        }
        ContentFormat::Cbor if served(ContentFormat::Cbor) => {
            lwm2m_cbor::encode_single_refs(base, records)
        }
        ContentFormat::Json | ContentFormat::OmaJson if served(ContentFormat::Json) => {
            oma_json::encode_as(base, records, order)
        }
        _ => Err(EncodeError::UnsupportedFormat(format)),
    }
}

/// Decodes a payload written to (or read from) `base` in `format`.
///
/// The records come back sorted by path. Types come from `kinds` where it knows the resource.
pub fn decode(
    format: ContentFormat,
    base: &Path,
    bytes: &[u8],
    kinds: &dyn KindLookup,
) -> Result<Vec<Record>, DecodeError> {
    if !served(format) {
        return Err(DecodeError::UnsupportedFormat(format.to_u16()));
    }
    // Guarded arms for the optional formats: see `encode`.
    let mut records = match format {
        ContentFormat::Text | ContentFormat::OmaText => text::decode(format, base, bytes, kinds)?,
        ContentFormat::Opaque | ContentFormat::OmaOpaque => {
            opaque::decode(format, base, bytes, kinds)?
        }
        ContentFormat::Tlv | ContentFormat::OmaTlv => tlv::decode(format, base, bytes, kinds)?,
        ContentFormat::SenmlJson if served(ContentFormat::SenmlJson) => {
            senml::decode_json(base, bytes, kinds)?
        }
        ContentFormat::SenmlCbor => senml::decode_cbor(base, bytes, kinds)?,
        ContentFormat::Lwm2mCbor if served(ContentFormat::Lwm2mCbor) => {
            lwm2m_cbor::decode(base, bytes, kinds)?
        }
        ContentFormat::Cbor if served(ContentFormat::Cbor) => {
            lwm2m_cbor::decode_single(base, bytes, kinds)?
        }
        ContentFormat::Json | ContentFormat::OmaJson if served(ContentFormat::Json) => {
            oma_json::decode(format, base, bytes, kinds)?
        }
        _ => return Err(DecodeError::UnsupportedFormat(format.to_u16())),
    };
    finish(base, &mut records)?;
    Ok(records)
}

/// Checks that decoded records hold one value per path, as a Write, Create or Write-Composite
/// must: a time series (one path at several times) is a [`DecodeError::Duplicate`] (4.00).
pub fn single_values(records: &[Record]) -> Result<(), DecodeError> {
    match records.windows(2).find(|pair| pair[0].path == pair[1].path) {
        Some(pair) => Err(DecodeError::Duplicate(pair[1].path)),
        None => Ok(()),
    }
}

/// Decodes with a raw Content-Format number: unknown numbers are a 4.15.
pub fn decode_u16(
    format: u16,
    base: &Path,
    bytes: &[u8],
    kinds: &dyn KindLookup,
) -> Result<Vec<Record>, DecodeError> {
    let format = ContentFormat::from_u16(format).ok_or(DecodeError::UnsupportedFormat(format))?;
    decode(format, base, bytes, kinds)
}

/// Appends the decimal digits of `n`.
pub(crate) fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        if let Some(d) = digits.get_mut(start) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || start == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(start..).unwrap_or(&[]));
}

/// Appends the decimal digits of `n`, with a `-` when negative.
pub(crate) fn push_i64(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    push_u64(out, n.unsigned_abs());
}

/// Appends the ids of `path` from position `from` on, joined by `/` (`7/0` for `/3/0/7/0` from 2),
/// each preceded by a `/` when `leading` is set (`/3/0/7/0`).
pub(crate) fn push_ids(out: &mut Vec<u8>, path: &Path, from: usize, leading: bool) {
    let ids = path.ids().get(from..).unwrap_or(&[]);
    for (i, id) in ids.iter().enumerate() {
        if leading || i > 0 {
            out.push(b'/');
        }
        push_u64(out, u64::from(*id));
    }
}

/// Appends an object link as `object:instance`.
pub(crate) fn push_objlnk(out: &mut Vec<u8>, link: &crate::value::ObjLnk) {
    push_u64(out, u64::from(link.object));
    out.push(b':');
    push_u64(out, u64::from(link.instance));
}

/// A value from a wire integer, for a resource of type `kind`.
#[cfg_attr(feature = "std", inline(always))]
pub(crate) fn value_from_int(path: &Path, kind: Kind, n: i128) -> Result<Value, DecodeError> {
    let out_of_range = || {
        let found = match kind {
            Kind::Integer | Kind::UnsignedInteger | Kind::Time => "an integer out of range",
            _ => "an integer",
        };
        DecodeError::mismatch(*path, kind, found)
    };
    match kind {
        Kind::Integer => i64::try_from(n)
            .map(Value::Integer)
            .map_err(|_| out_of_range()),
        Kind::UnsignedInteger => u64::try_from(n)
            .map(Value::UnsignedInteger)
            .map_err(|_| out_of_range()),
        Kind::Time => i64::try_from(n)
            .map(|t| Value::Time(crate::value::Time(t)))
            .map_err(|_| out_of_range()),
        // An integer literal is a valid float (`"v": 20` for a Float resource).
        Kind::Float => Ok(Value::Float(n as f64)),
        _ => Err(out_of_range()),
    }
}

/// A value from a wire float, for a resource of type `kind`: only Float resources take one.
#[cfg_attr(feature = "std", inline(always))]
pub(crate) fn value_from_float(path: &Path, kind: Kind, x: f64) -> Result<Value, DecodeError> {
    match kind {
        Kind::Float => Ok(Value::Float(x)),
        _ => Err(DecodeError::mismatch(*path, kind, "a float")),
    }
}

/// A number's value when the type is not known: an integer if it is one, else a float.
#[cfg_attr(feature = "std", inline(always))]
pub(crate) fn infer_int(n: i128) -> Value {
    match i64::try_from(n) {
        Ok(i) => Value::Integer(i),
        Err(_) => match u64::try_from(n) {
            Ok(u) => Value::UnsignedInteger(u),
            Err(_) => Value::Float(n as f64),
        },
    }
}

/// The values of records of one instance grouped by resource: what a store write or create
/// takes (resource instances gathered into their multiple resource).
pub(crate) fn resource_values(records: Vec<Record>) -> Vec<(u16, crate::field::ResourceValue)> {
    use crate::field::ResourceValue;
    use litemap::LiteMap;
    let mut by_resource: LiteMap<u16, ResourceValue> = LiteMap::new();
    for record in records {
        let Some(resource) = record.path.resource_id() else {
            continue;
        };
        match record.path.resource_instance_id() {
            None => {
                by_resource.insert(resource, ResourceValue::Single(record.value));
            }
            Some(ri) => {
                let entry = by_resource
                    .entry(resource)
                    .or_insert_with(|| ResourceValue::Multiple(crate::Instances::new()));
                if let ResourceValue::Multiple(map) = entry {
                    map.insert(ri, record.value);
                }
            }
        }
    }
    by_resource.into_iter().collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
