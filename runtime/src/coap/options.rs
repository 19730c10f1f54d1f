//! Tolerant reading and writing of CoAP option values (RFC 7252 §3.2, §5.4, §5.10).
//!
//! coap-lite stores options as raw bytes and knows only a fixed list of content formats, so the
//! typed views an LwM2M client needs live here, working with raw numbers throughout:
//!
//! - unsigned integers accept every length from 0 to 4 bytes, including non-minimal encodings (a
//!   zero sent as one `0x00` byte, as `lwm2m-node-lib` does for `Accept`) and the empty value
//!   (zero); longer values are an error;
//! - Content-Format and Accept are plain `u16` numbers, so LwM2M's 11542 (TLV), 11543 (JSON),
//!   11544 (LwM2M CBOR) and the pre-registration 1541..1543 of LwM2M 1.0 are all readable;
//! - Uri-Path, Location-Path and Uri-Query are split into owned UTF-8 strings (CoAP carries them
//!   unescaped, so there is no percent-decoding; invalid UTF-8 is an error);
//! - [`unrecognized_critical`] finds the critical option a request must be refused for with
//!   4.02 Bad Option (RFC 7252 §5.4.1).
//!
//! A non-repeatable option sent more than once is read from its first occurrence.

use crate::prelude::*;
use coap_lite::CoapOption;
#[cfg(test)]
use coap_lite::Packet;

use super::wire::{ReadMessage, WriteMessage};

/// Option number of Request-Tag (RFC 9175 §3), which keys concurrent Block1 transfers.
pub const REQUEST_TAG: u16 = 292;

/// The critical options this implementation understands (RFC 7252 §5.4.1), by number: Uri-Host
/// (3) and Uri-Port (7), which CoAP clients add on their own and which name this endpoint anyway,
/// Uri-Path (11), Uri-Query (15), Accept (17), Block2 (23) and Block1 (27).
///
/// Not understood, so refused with 4.02 when critical: If-Match (1), If-None-Match (5), OSCORE
/// (9), Proxy-Uri (35), Proxy-Scheme (39) and every unknown odd number. Elective (even) options
/// such as Observe, Content-Format, Size1/2, Request-Tag, Echo or No-Response are never a reason
/// to refuse.
pub const UNDERSTOOD_CRITICAL: &[u16] = &[3, 7, 11, 15, 17, 23, 27];

/// A malformed option value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OptionError {
    /// An unsigned integer option longer than 4 bytes.
    #[error("option {option}: {len}-byte unsigned integer (at most 4 bytes)")]
    UintTooLong {
        /// The option number.
        option: u16,
        /// The length of the value found.
        len: usize,
    },
    /// An unsigned integer option whose value does not fit its type (a Content-Format above
    /// 65535).
    #[error("option {option}: value {value} out of range")]
    OutOfRange {
        /// The option number.
        option: u16,
        /// The value found.
        value: u32,
    },
    /// A string option that is not UTF-8.
    #[error("option {option}: not valid UTF-8")]
    InvalidUtf8 {
        /// The option number.
        option: u16,
    },
}

impl OptionError {
    /// The option number the error is about.
    pub fn option(&self) -> u16 {
        match self {
            OptionError::UintTooLong { option, .. }
            | OptionError::OutOfRange { option, .. }
            | OptionError::InvalidUtf8 { option } => *option,
        }
    }

    /// Whether the option is critical (odd number): a request with a malformed critical option
    /// is answered 4.02 Bad Option, a malformed elective option is ignored (RFC 7252 §5.4.3).
    pub fn is_critical(&self) -> bool {
        is_critical(self.option())
    }
}

/// Whether an option number is critical (RFC 7252 §5.4.6: odd numbers are critical).
pub fn is_critical(option: u16) -> bool {
    option & 1 == 1
}

/// Decodes an unsigned integer option value of `option`: 0 to 4 bytes, big-endian, leading
/// zero bytes allowed, empty meaning 0.
pub fn decode_uint(option: u16, bytes: &[u8]) -> Result<u32, OptionError> {
    if bytes.len() > 4 {
        return Err(OptionError::UintTooLong {
            option,
            len: bytes.len(),
        });
    }
    Ok(bytes.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)))
}

/// The minimal encoding of an unsigned integer option value (zero is empty).
pub fn encode_uint(value: u32) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    bytes.iter().skip(skip).copied().collect()
}

/// The first value of `option` as an unsigned integer: `Ok(None)` when absent.
pub fn uint(packet: &impl ReadMessage, option: CoapOption) -> Result<Option<u32>, OptionError> {
    packet
        .first_option(option)
        .map(|bytes| decode_uint(u16::from(option), bytes))
        .transpose()
}

/// Replaces every value of `option` with the minimal encoding of `value`.
pub fn set_uint(packet: &mut impl WriteMessage, option: CoapOption, value: u32) {
    set_uint_dyn(packet, option, value);
}

/// [`set_uint`] compiled once for every kind of message (flash on a microcontroller).
fn set_uint_dyn(packet: &mut dyn WriteMessage, option: CoapOption, value: u32) {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    packet.remove_option(option);
    packet.push_option(option, bytes.get(skip..).unwrap_or(&[]));
}

/// The first value of a 16-bit unsigned integer option such as Content-Format or Accept.
fn uint16(packet: &impl ReadMessage, option: CoapOption) -> Result<Option<u16>, OptionError> {
    match uint(packet, option)? {
        None => Ok(None),
        Some(value) => u16::try_from(value)
            .map(Some)
            .map_err(|_| OptionError::OutOfRange {
                option: option.into(),
                value,
            }),
    }
}

/// The Content-Format number (option 12), if present. An empty value is 0 (text/plain), which a
/// GET may carry on block-wise re-fetches; it is accepted like any other.
pub fn content_format(packet: &impl ReadMessage) -> Result<Option<u16>, OptionError> {
    uint16(packet, CoapOption::ContentFormat)
}

/// The Accept number (option 17), if present; `0x00` and empty both mean 0 (text/plain).
pub fn accept(packet: &impl ReadMessage) -> Result<Option<u16>, OptionError> {
    uint16(packet, CoapOption::Accept)
}

/// Sets the Content-Format to a raw number (minimal encoding).
pub fn set_content_format(packet: &mut impl WriteMessage, format: u16) {
    set_uint(packet, CoapOption::ContentFormat, u32::from(format));
}

/// Sets the Accept option to a raw number (minimal encoding).
pub fn set_accept(packet: &mut impl WriteMessage, format: u16) {
    set_uint(packet, CoapOption::Accept, u32::from(format));
}

/// The Observe value (option 6), if present: in a request 0 registers and 1 deregisters, in a
/// notification it is the sequence number (RFC 7641 defines up to 3 bytes; up to 4 are read).
pub fn observe(packet: &impl ReadMessage) -> Result<Option<u32>, OptionError> {
    uint(packet, CoapOption::Observe)
}

/// Sets the Observe value, keeping the 24 bits RFC 7641 §3.4 allows (sequence numbers wrap).
pub fn set_observe(packet: &mut impl WriteMessage, value: u32) {
    set_uint(packet, CoapOption::Observe, value & 0x00FF_FFFF);
}

/// The values of a string option, each as UTF-8.
fn strings(packet: &impl ReadMessage, option: CoapOption) -> Result<Vec<&str>, OptionError> {
    packet
        .option_values(option)
        .map(|bytes| {
            core::str::from_utf8(bytes).map_err(|_| OptionError::InvalidUtf8 {
                option: option.into(),
            })
        })
        .collect()
}

/// The Uri-Path segments (option 11), in order. Empty segments are dropped: LwM2M paths have
/// none, and some clients send one empty Uri-Path for `/`.
pub fn uri_path(packet: &impl ReadMessage) -> Result<Vec<String>, OptionError> {
    Ok(strings(packet, CoapOption::UriPath)?
        .into_iter()
        .filter(|segment| !segment.is_empty())
        .map(str::to_owned)
        .collect())
}

/// The Uri-Query parameters (option 15) as `(key, value)`, split at the first `=`: `ep=dev`
/// gives `("ep", Some("dev"))`, `pmin=` gives `("pmin", Some(""))`, `b` gives `("b", None)`.
/// Empty query options are dropped.
pub fn uri_query(packet: &impl ReadMessage) -> Result<Vec<(String, Option<String>)>, OptionError> {
    Ok(strings(packet, CoapOption::UriQuery)?
        .into_iter()
        .filter(|query| !query.is_empty())
        .map(|query| match query.split_once('=') {
            Some((key, value)) => (key.to_owned(), Some(value.to_owned())),
            None => (query.to_owned(), None),
        })
        .collect())
}

/// The Location-Path segments (option 8) of a response, normalised: the segments of several
/// options (`rd`, `5`) and of one option with slashes inside (`rd/5`, as `lwm2m-node-lib`
/// sends) are the same `["rd", "5"]`. Empty segments (a leading or doubled slash) are dropped.
pub fn location_path(packet: &impl ReadMessage) -> Result<Vec<String>, OptionError> {
    Ok(strings(packet, CoapOption::LocationPath)?
        .into_iter()
        .flat_map(|value| value.split('/'))
        .filter(|segment| !segment.is_empty())
        .map(str::to_owned)
        .collect())
}

/// The Request-Tag values (RFC 9175), if any, concatenated with a length prefix each, as an
/// opaque key distinguishing concurrent block-wise transfers to the same resource.
pub fn request_tag(packet: &impl ReadMessage) -> Option<Vec<u8>> {
    let mut values = packet
        .option_values(CoapOption::Unknown(REQUEST_TAG))
        .peekable();
    values.peek()?;
    let mut key = Vec::new();
    for value in values {
        // Values are at most 8 bytes by RFC 9175; the length prefix keeps the key unambiguous.
        key.push(u8::try_from(value.len()).unwrap_or(u8::MAX));
        key.extend_from_slice(value);
    }
    Some(key)
}

/// The first critical option of `packet` that is not in `understood` (option numbers), if any.
///
/// RFC 7252 §5.4.1: an unrecognised critical option in a confirmable request is answered 4.02
/// Bad Option (with a diagnostic payload at most); in a non-confirmable request it makes the
/// message rejected (ignored, or RST); in a confirmable response the response is rejected with
/// RST; in a non-confirmable response it is ignored.
pub fn unrecognized_critical_in(packet: &impl ReadMessage, understood: &[u16]) -> Option<u16> {
    packet
        .option_numbers()
        .find(|number| is_critical(*number) && !understood.contains(number))
}

/// [`unrecognized_critical_in`] with the [`UNDERSTOOD_CRITICAL`] set.
pub fn unrecognized_critical(packet: &impl ReadMessage) -> Option<u16> {
    unrecognized_critical_in(packet, UNDERSTOOD_CRITICAL)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(option: CoapOption, values: &[&[u8]]) -> Packet {
        let mut packet = Packet::new();
        for value in values {
            packet.add_option(option, value.to_vec());
        }
        packet
    }

    #[test]
    fn coap_uint_lengths() {
        assert_eq!(decode_uint(17, &[]), Ok(0));
        assert_eq!(decode_uint(17, &[0]), Ok(0));
        assert_eq!(decode_uint(17, &[0, 0, 0x2d, 0x16]), Ok(11542));
        assert_eq!(decode_uint(6, &[1, 2, 3, 4]), Ok(0x0102_0304));
        assert_eq!(
            decode_uint(14, &[0, 0, 0, 0, 1]),
            Err(OptionError::UintTooLong { option: 14, len: 5 })
        );
    }

    #[test]
    fn coap_uint_encoding_is_minimal_and_round_trips() {
        assert_eq!(encode_uint(0), Vec::<u8>::new());
        assert_eq!(encode_uint(60), vec![60]);
        assert_eq!(encode_uint(11542), vec![0x2d, 0x16]);
        assert_eq!(encode_uint(u32::MAX), vec![0xff; 4]);
        for value in [0, 1, 255, 256, 65535, 65536, 1 << 24, u32::MAX] {
            assert_eq!(decode_uint(1, &encode_uint(value)), Ok(value));
        }
    }

    #[test]
    fn coap_content_format_raw_numbers() {
        let mut packet = Packet::new();
        set_content_format(&mut packet, 11544);
        assert_eq!(content_format(&packet), Ok(Some(11544)));
        set_content_format(&mut packet, 1541);
        assert_eq!(content_format(&packet), Ok(Some(1541)));
        assert_eq!(accept(&packet), Ok(None));
        let wide = with(CoapOption::Accept, &[&[1, 0, 0]]);
        assert_eq!(
            accept(&wide),
            Err(OptionError::OutOfRange {
                option: 17,
                value: 65536
            })
        );
    }

    #[test]
    fn coap_observe_value() {
        let mut packet = with(CoapOption::Observe, &[&[]]);
        assert_eq!(observe(&packet), Ok(Some(0)));
        set_observe(&mut packet, 0x0100_0005);
        assert_eq!(observe(&packet), Ok(Some(5)));
        assert_eq!(observe(&Packet::new()), Ok(None));
    }

    #[test]
    fn coap_uri_path_and_query() {
        let mut packet = with(CoapOption::UriPath, &[b"3", b"0", b"9"]);
        packet.add_option(CoapOption::UriQuery, b"pmin=10".to_vec());
        packet.add_option(CoapOption::UriQuery, b"b".to_vec());
        packet.add_option(CoapOption::UriQuery, b"gt=".to_vec());
        packet.add_option(CoapOption::UriQuery, b"x=a=b".to_vec());
        assert_eq!(
            uri_path(&packet),
            Ok(vec!["3".into(), "0".into(), "9".into()])
        );
        assert_eq!(
            uri_query(&packet),
            Ok(vec![
                ("pmin".into(), Some("10".into())),
                ("b".into(), None),
                ("gt".into(), Some(String::new())),
                ("x".into(), Some("a=b".into())),
            ])
        );
        let root = with(CoapOption::UriPath, &[b""]);
        assert_eq!(uri_path(&root), Ok(Vec::<String>::new()));
        let bad = with(CoapOption::UriPath, &[b"\xff"]);
        assert_eq!(uri_path(&bad), Err(OptionError::InvalidUtf8 { option: 11 }));
    }

    #[test]
    fn coap_request_tag_key() {
        assert_eq!(request_tag(&Packet::new()), None);
        let tagged = with(CoapOption::Unknown(REQUEST_TAG), &[b"ab"]);
        assert_eq!(request_tag(&tagged), Some(vec![2, b'a', b'b']));
        let empty_tag = with(CoapOption::Unknown(REQUEST_TAG), &[b""]);
        assert_eq!(request_tag(&empty_tag), Some(vec![0]));
    }

    #[test]
    fn coap_critical_options() {
        assert!(is_critical(7) && is_critical(11) && !is_critical(6) && !is_critical(60));
        let mut packet = with(CoapOption::UriPath, &[b"3"]);
        packet.add_option(CoapOption::UriHost, b"localhost".to_vec());
        packet.add_option(CoapOption::UriPort, vec![0x16, 0x33]);
        packet.add_option(CoapOption::Unknown(REQUEST_TAG), vec![1]);
        packet.add_option(CoapOption::Unknown(2052), vec![]);
        assert_eq!(unrecognized_critical(&packet), None);
        packet.add_option(CoapOption::IfMatch, vec![1]);
        assert_eq!(unrecognized_critical(&packet), Some(1));
        assert_eq!(unrecognized_critical_in(&packet, &[1, 3, 7, 11]), None);
        let err = OptionError::UintTooLong { option: 17, len: 5 };
        assert!(err.is_critical());
    }
}
