//! SenML JSON and CBOR encoding.

use super::*;
use crate::codec::order::Order;

/// Appends the decimal digits of a path id (ids are mostly small: those take a branch).
#[cfg_attr(feature = "std", inline(always))]
pub(super) fn push_id(out: &mut Vec<u8>, id: u16) {
    match id {
        0..=9 => out.push(b'0' + id as u8),
        10..=99 => out.extend_from_slice(&[b'0' + (id / 10) as u8, b'0' + (id % 10) as u8]),
        _ => push_u64(out, u64::from(id)),
    }
}

/// Appends the ids of `path` from position `from` on, joined by `/`, with a leading `/` when
/// `leading` is set (like `push_ids`, faster for the short ids of paths).
#[cfg_attr(feature = "std", inline(always))]
pub(super) fn push_path_ids(out: &mut Vec<u8>, path: &Path, from: usize, leading: bool) {
    let ids = path.ids().get(from..).unwrap_or(&[]);
    for (i, id) in ids.iter().enumerate() {
        if leading || i > 0 {
            out.push(b'/');
        }
        push_id(out, *id);
    }
}

/// The name written for `path`: its ids below `base` (`7/0` for `/3/0/7/0` below `/3/0`), or the
/// whole path when `base` is the root.
pub(super) fn record_name(base: &Path, path: &Path, out: &mut Vec<u8>) {
    if base.is_root() {
        push_path_ids(out, path, 0, true);
    } else {
        push_path_ids(out, path, base.len(), false);
    }
}

/// The base name written on the first record: the request path with a slash for its children,
/// or none for the root.
pub(super) fn base_name(base: &Path, first: &Path, out: &mut Vec<u8>) -> bool {
    if base.is_root() {
        return false;
    }
    push_path_ids(out, base, 0, true);
    if first != base {
        out.push(b'/');
    }
    true
}

/// The base time the encoders write on a record: `Some` when the record's time (0 for "now")
/// differs from the current base time `current`, which then becomes it.
pub(super) fn next_base_time(
    format: ContentFormat,
    record: &RecordRef<'_>,
    current: &mut f64,
) -> Result<Option<f64>, EncodeError> {
    let time = record.time.unwrap_or(0.0);
    if !time.is_finite() {
        return Err(EncodeError::not_representable(
            format,
            "a time that is not a finite number",
        ));
    }
    if time == *current {
        return Ok(None);
    }
    *current = time;
    Ok(Some(time))
}

/// A time written as an integer: whole and below 2^53 in magnitude, so exact both ways.
pub(crate) fn whole_time(time: f64) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    // `as` truncates toward zero (`f64::fract` needs std): whole when nothing was cut off.
    (time.abs() < EXACT && (time as i64) as f64 == time).then_some(time as i64)
}

/// Encodes as SenML JSON.
pub fn encode_json(base: &Path, records: &[Record]) -> Result<Vec<u8>, EncodeError> {
    encode_json_refs(base, &lent(records))
}

/// [`encode_json`] of lent records.
pub fn encode_json_refs(base: &Path, records: &[RecordRef<'_>]) -> Result<Vec<u8>, EncodeError> {
    encode_json_as(base, records, Order::Check)
}

/// [`encode_json_refs`] of records whose order the caller vouches for (`order`).
pub(crate) fn encode_json_as(
    base: &Path,
    records: &[RecordRef<'_>],
    order: Order,
) -> Result<Vec<u8>, EncodeError> {
    const F: ContentFormat = ContentFormat::SenmlJson;
    let records = super::super::sorted_as(base, records, order)?;
    let mut out = Vec::with_capacity(records.len() * 32 + 16);
    let mut name = Vec::new();
    let mut base_time = 0.0;
    out.push(b'[');
    for (i, record) in records.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'{');
        let mut first = true;
        let mut key = |out: &mut Vec<u8>, k: &[u8]| {
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(k);
        };
        name.clear();
        if i == 0 && base_name(base, &record.path, &mut name) {
            key(&mut out, b"\"bn\":");
            json_ascii(&mut out, &name);
            name.clear();
        }
        if let Some(time) = next_base_time(F, record, &mut base_time)? {
            key(&mut out, b"\"bt\":");
            match whole_time(time) {
                Some(whole) => json_i64(&mut out, whole),
                None => json_f64(&mut out, time),
            }
        }
        record_name(base, &record.path, &mut name);
        if !name.is_empty() {
            key(&mut out, b"\"n\":");
            json_ascii(&mut out, &name);
        }
        match &record.value {
            ValueRef::Integer(n) | ValueRef::Time(Time(n)) => {
                key(&mut out, b"\"v\":");
                json_i64(&mut out, *n);
            }
            ValueRef::UnsignedInteger(n) => {
                key(&mut out, b"\"v\":");
                json_u64(&mut out, *n);
            }
            ValueRef::Float(x) if x.is_finite() => {
                key(&mut out, b"\"v\":");
                json_f64(&mut out, *x);
            }
            ValueRef::Float(_) => {
                return Err(EncodeError::not_representable(
                    F,
                    "NaN and infinite floats have no JSON number",
                ));
            }
            ValueRef::String(s) | ValueRef::CoreLnk(s) => {
                key(&mut out, b"\"vs\":");
                json_str(&mut out, s);
            }
            ValueRef::Boolean(b) => {
                key(&mut out, b"\"vb\":");
                out.extend_from_slice(if *b { b"true" } else { b"false" });
            }
            ValueRef::Opaque(bytes) => {
                key(&mut out, b"\"vd\":");
                let mut text = String::new();
                b64::encode_url(bytes, &mut text);
                json_ascii(&mut out, text.as_bytes());
            }
            ValueRef::ObjLnk(l) => {
                key(&mut out, b"\"vlo\":");
                out.push(b'"');
                push_objlnk(&mut out, l);
                out.push(b'"');
            }
        }
        out.push(b'}');
    }
    out.push(b']');
    Ok(out)
}

/// Writes text known to need no escapes (digits, slashes, base64) as a JSON string literal.
pub(crate) fn json_ascii(out: &mut Vec<u8>, text: &[u8]) {
    out.push(b'"');
    out.extend_from_slice(text);
    out.push(b'"');
}

/// Writes a JSON string literal, escaped as serde_json escapes: `"` and `\\` with a backslash,
/// the control characters as `\b`, `\t`, `\n`, `\f`, `\r` or `\u00xx`, nothing else.
pub(crate) fn json_str(out: &mut Vec<u8>, s: &str) {
    if !s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        json_ascii(out, s.as_bytes());
        return;
    }
    out.push(b'"');
    for b in s.bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x09 => out.extend_from_slice(b"\\t"),
            0x0a => out.extend_from_slice(b"\\n"),
            0x0c => out.extend_from_slice(b"\\f"),
            0x0d => out.extend_from_slice(b"\\r"),
            0..0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// Writes a JSON integer.
pub(crate) fn json_i64(out: &mut Vec<u8>, n: i64) {
    push_i64(out, n);
}

/// Writes a JSON unsigned integer.
pub(crate) fn json_u64(out: &mut Vec<u8>, n: u64) {
    push_u64(out, n);
}

/// Writes a JSON number for a finite float (callers check), exactly as serde_json does.
pub(crate) fn json_f64(out: &mut Vec<u8>, x: f64) {
    out.extend_from_slice(zmij::Buffer::new().format_finite(x).as_bytes());
}

/// CBOR major types.
pub(super) const CBOR_UNSIGNED: u8 = 0;
pub(super) const CBOR_NEGATIVE: u8 = 1;
pub(super) const CBOR_BYTES: u8 = 2;
pub(super) const CBOR_TEXT: u8 = 3;
pub(super) const CBOR_ARRAY: u8 = 4;
pub(super) const CBOR_MAP: u8 = 5;

/// SenML CBOR labels, as the one-byte CBOR integers they are written as.
pub(super) const LABEL_BN: u8 = 0x21; // -2
pub(super) const LABEL_BT: u8 = 0x22; // -3
pub(super) const LABEL_N: u8 = 0x00;
pub(super) const LABEL_V: u8 = 0x02;
pub(super) const LABEL_VS: u8 = 0x03;
pub(super) const LABEL_VB: u8 = 0x04;
pub(super) const LABEL_VD: u8 = 0x08;
/// `vlo` is a text label: the CBOR text "vlo".
pub(super) const LABEL_VLO: [u8; 4] = [0x63, b'v', b'l', b'o'];

/// Writes a CBOR head in its shortest form (RFC 8949 §3.1), as minicbor does.
#[cfg_attr(feature = "std", inline(always))]
pub(super) fn cbor_head(out: &mut Vec<u8>, major: u8, arg: u64) {
    let major = major << 5;
    match arg {
        0..=23 => out.push(major | arg as u8),
        24..=0xff => out.extend_from_slice(&[major | 24, arg as u8]),
        0x100..=0xffff => {
            out.push(major | 25);
            out.extend_from_slice(&(arg as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(major | 26);
            out.extend_from_slice(&(arg as u32).to_be_bytes());
        }
        _ => {
            out.push(major | 27);
            out.extend_from_slice(&arg.to_be_bytes());
        }
    }
}

/// Writes a CBOR integer.
pub(super) fn cbor_i64(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        cbor_head(out, CBOR_UNSIGNED, n as u64);
    } else {
        // -1 - n, which is `!n` in two's complement.
        cbor_head(out, CBOR_NEGATIVE, !n as u64);
    }
}

/// Writes a CBOR text string.
pub(super) fn cbor_text(out: &mut Vec<u8>, text: &[u8]) {
    cbor_head(out, CBOR_TEXT, text.len() as u64);
    out.extend_from_slice(text);
}

/// Writes a CBOR text string that `write` appends (straight into `out`: no buffer of its
/// own): the head is written for a short text and widened afterwards if the text is longer.
pub(super) fn cbor_text_with(out: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>)) {
    let head = out.len();
    out.push(CBOR_TEXT << 5);
    write(out);
    let len = out.len() - head - 1;
    if len < 24 {
        if let Some(byte) = out.get_mut(head) {
            *byte = (CBOR_TEXT << 5) | len as u8;
        }
    } else {
        // Rare (a name of more than 23 characters): the text moves to make room for the head.
        let text = out.split_off(head + 1);
        out.truncate(head);
        cbor_text(out, &text);
    }
}

/// Writes a float in 4 bytes when that loses nothing, else in 8 (like [`cbor_float`]).
pub(super) fn cbor_f64(out: &mut Vec<u8>, x: f64) {
    if f64::from(x as f32) == x || x.is_nan() {
        out.push(0xfa);
        out.extend_from_slice(&(x as f32).to_bits().to_be_bytes());
    } else {
        out.push(0xfb);
        out.extend_from_slice(&x.to_bits().to_be_bytes());
    }
}

/// Encodes as SenML CBOR.
pub fn encode_cbor(base: &Path, records: &[Record]) -> Result<Vec<u8>, EncodeError> {
    encode_cbor_refs(base, &lent(records))
}

/// [`encode_cbor`] of lent records.
pub fn encode_cbor_refs(base: &Path, records: &[RecordRef<'_>]) -> Result<Vec<u8>, EncodeError> {
    encode_cbor_as(base, records, Order::Check)
}

/// [`encode_cbor_refs`] of records whose order the caller vouches for (`order`).
pub(crate) fn encode_cbor_as(
    base: &Path,
    records: &[RecordRef<'_>],
    order: Order,
) -> Result<Vec<u8>, EncodeError> {
    const F: ContentFormat = ContentFormat::SenmlCbor;
    let records = super::super::sorted_as(base, records, order)?;
    let mut out = Vec::with_capacity(records.len() * 24 + 16);
    let mut base_time = 0.0;
    cbor_head(&mut out, CBOR_ARRAY, records.len() as u64);
    for (i, record) in records.iter().enumerate() {
        let with_bn = i == 0 && !base.is_root();
        // The name is the path below the base: none for the base itself.
        let with_n = base.is_root() || record.path.len() > base.len();
        let time = next_base_time(F, record, &mut base_time)?;
        let fields = 1 + u64::from(with_bn) + u64::from(time.is_some()) + u64::from(with_n);
        cbor_head(&mut out, CBOR_MAP, fields);
        if with_bn {
            out.push(LABEL_BN);
            cbor_text_with(&mut out, |out| {
                base_name(base, &record.path, out);
            });
        }
        if let Some(time) = time {
            out.push(LABEL_BT);
            match whole_time(time) {
                Some(whole) => cbor_i64(&mut out, whole),
                None => cbor_f64(&mut out, time),
            }
        }
        if with_n {
            out.push(LABEL_N);
            cbor_text_with(&mut out, |out| record_name(base, &record.path, out));
        }
        match &record.value {
            ValueRef::Integer(n) | ValueRef::Time(Time(n)) => {
                out.push(LABEL_V);
                cbor_i64(&mut out, *n);
            }
            ValueRef::UnsignedInteger(n) => {
                out.push(LABEL_V);
                cbor_head(&mut out, CBOR_UNSIGNED, *n);
            }
            ValueRef::Float(x) => {
                out.push(LABEL_V);
                cbor_f64(&mut out, *x);
            }
            ValueRef::String(s) | ValueRef::CoreLnk(s) => {
                out.push(LABEL_VS);
                cbor_text(&mut out, s.as_bytes());
            }
            ValueRef::Boolean(b) => out.extend_from_slice(&[LABEL_VB, 0xf4 | u8::from(*b)]),
            ValueRef::Opaque(bytes) => {
                out.push(LABEL_VD);
                cbor_head(&mut out, CBOR_BYTES, bytes.len() as u64);
                out.extend_from_slice(bytes);
            }
            ValueRef::ObjLnk(l) => {
                out.extend_from_slice(&LABEL_VLO);
                let mut text = Vec::with_capacity(11);
                push_objlnk(&mut text, l);
                cbor_text(&mut out, &text);
            }
        }
    }
    Ok(out)
}

/// Text the encoders built from digits, `/` and `:` (always ASCII, so never empty by mistake).
pub(crate) fn ascii(bytes: &[u8]) -> &str {
    core::str::from_utf8(bytes).unwrap_or_default()
}

/// Writes a float in 4 bytes when that loses nothing, else in 8 (NaN and infinities included).
pub(crate) fn cbor_float(
    enc: &mut minicbor::Encoder<Vec<u8>>,
    x: f64,
) -> Result<&mut minicbor::Encoder<Vec<u8>>, minicbor::encode::Error<core::convert::Infallible>> {
    if f64::from(x as f32) == x || x.is_nan() {
        enc.f32(x as f32)
    } else {
        enc.f64(x)
    }
}
