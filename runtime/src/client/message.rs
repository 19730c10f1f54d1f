//! Tolerant reading and convenient building of coap-lite packets for the client.
//!
//! Option values are read leniently (PEERS.md): an unsigned integer option may be non-minimal
//! (`0` sent as one `0x00` byte) or empty (zero), and a Location-Path may be one option with a
//! slash inside instead of one option per segment.

use coap_lite::{CoapOption, MessageClass, MessageType, Packet};

use crate::path::Path;

/// A CoAP code as (class, detail).
pub(crate) type Code = (u8, u8);

/// 2.01 Created.
pub(crate) const CREATED: Code = (2, 1);
/// 2.02 Deleted.
pub(crate) const DELETED: Code = (2, 2);
/// 2.04 Changed.
pub(crate) const CHANGED: Code = (2, 4);
/// 2.05 Content.
pub(crate) const CONTENT: Code = (2, 5);
/// 4.00 Bad Request.
pub(crate) const BAD_REQUEST: Code = (4, 0);
/// 4.04 Not Found.
pub(crate) const NOT_FOUND: Code = (4, 4);
/// 4.05 Method Not Allowed.
pub(crate) const METHOD_NOT_ALLOWED: Code = (4, 5);
/// 4.06 Not Acceptable.
pub(crate) const NOT_ACCEPTABLE: Code = (4, 6);
/// 4.15 Unsupported Content-Format.
pub(crate) const UNSUPPORTED_FORMAT: Code = (4, 15);
/// 5.00 Internal Server Error.
pub(crate) const INTERNAL: Code = (5, 0);

/// The coap-lite class of a code.
pub(crate) fn class(code: Code) -> MessageClass {
    MessageClass::from((code.0 << 5) | (code.1 & 0x1f))
}

/// A code as (class, detail) from coap-lite's class.
pub(crate) fn code_of(class: MessageClass) -> Code {
    let raw = u8::from(class);
    (raw >> 5, raw & 0x1f)
}

/// `2.05` style text of a code.
pub(crate) fn code_text(code: Code) -> String {
    format!("{}.{:02}", code.0, code.1)
}

/// An unsigned integer option value of any length (RFC 7252 §3.2), tolerating leading zero
/// bytes; `None` if it does not fit a `u32`.
pub(crate) fn uint(bytes: &[u8]) -> Option<u32> {
    let significant = bytes
        .iter()
        .position(|b| *b != 0)
        .map_or(&[][..], |start| bytes.get(start..).unwrap_or(&[]));
    if significant.len() > 4 {
        return None;
    }
    Some(
        significant
            .iter()
            .fold(0u32, |acc, b| (acc << 8) | u32::from(*b)),
    )
}

/// The minimal encoding of an unsigned integer option value.
pub(crate) fn uint_bytes(value: u32) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    bytes.get(skip..).unwrap_or(&[]).to_vec()
}

/// The first value of an unsigned integer option: `Ok(None)` if absent, `Err` if too long.
pub(crate) fn uint_option(packet: &Packet, option: CoapOption) -> Result<Option<u32>, ()> {
    match packet.get_option(option).and_then(|values| values.front()) {
        None => Ok(None),
        Some(bytes) => uint(bytes).map(Some).ok_or(()),
    }
}

/// Every value of a string option, each split at `/` (for Location-Path given with slashes).
pub(crate) fn segments(packet: &Packet, option: CoapOption) -> Vec<String> {
    packet
        .get_option(option)
        .into_iter()
        .flatten()
        .flat_map(|value| {
            String::from_utf8_lossy(value)
                .split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The Uri-Path of a request as an LwM2M path; `None` if it is not one (a name, a number
/// above 65535, more than four segments).
pub(crate) fn request_path(packet: &Packet) -> Option<Path> {
    let mut ids = Vec::new();
    for value in packet.get_option(CoapOption::UriPath).into_iter().flatten() {
        if value.is_empty() {
            // A trailing empty segment (`/3/0/`) is harmless.
            continue;
        }
        let text = std::str::from_utf8(value).ok()?;
        ids.push(text.parse::<u16>().ok()?);
    }
    Path::from_ids(&ids)
}

/// The Uri-Query options as `name` / optional `value` pairs.
pub(crate) fn queries(packet: &Packet) -> Vec<(String, Option<String>)> {
    packet
        .get_option(CoapOption::UriQuery)
        .into_iter()
        .flatten()
        .map(|value| {
            let text = String::from_utf8_lossy(value);
            match text.split_once('=') {
                Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
                None => (text.into_owned(), None),
            }
        })
        .collect()
}

/// A new request packet.
pub(crate) fn request(
    kind: MessageType,
    method: MessageClass,
    message_id: u16,
    token: &[u8],
) -> Packet {
    let mut packet = Packet::new();
    packet.header.set_type(kind);
    packet.header.code = method;
    packet.header.message_id = message_id;
    packet.set_token(token.to_vec());
    packet
}

/// Adds `path` (such as `rd/5` or `/rd/5`) as Uri-Path options, one per segment.
pub(crate) fn add_uri_path(packet: &mut Packet, path: &str) {
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        packet.add_option(CoapOption::UriPath, segment.as_bytes().to_vec());
    }
}

/// Adds a Content-Format option.
pub(crate) fn set_format(packet: &mut Packet, format: u16) {
    packet.set_option(
        CoapOption::ContentFormat,
        std::iter::once(uint_bytes(u32::from(format))).collect(),
    );
}

/// The response to `request`: piggy-backed ACK for a CON, NON for a NON.
pub(crate) fn response_to(request: &Packet, code: Code, next_message_id: u16) -> Packet {
    let mut packet = Packet::new();
    if request.header.get_type() == MessageType::Confirmable {
        packet.header.set_type(MessageType::Acknowledgement);
        packet.header.message_id = request.header.message_id;
    } else {
        packet.header.set_type(MessageType::NonConfirmable);
        packet.header.message_id = next_message_id;
    }
    packet.header.code = class(code);
    packet.set_token(request.get_token().to_vec());
    packet
}

/// An empty message (ACK or RST) for `message_id`.
pub(crate) fn empty(kind: MessageType, message_id: u16) -> Packet {
    let mut packet = Packet::new();
    packet.header.set_type(kind);
    packet.header.code = MessageClass::Empty;
    packet.header.message_id = message_id;
    packet
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_tolerate_non_minimal_and_empty_encodings() {
        assert_eq!(uint(&[]), Some(0));
        assert_eq!(uint(&[0]), Some(0));
        assert_eq!(uint(&[0, 0, 0x2d, 0x16]), Some(11542));
        assert_eq!(uint(&[1, 0, 0, 0, 0]), None);
        assert_eq!(uint_bytes(0), Vec::<u8>::new());
        assert_eq!(uint_bytes(11542), vec![0x2d, 0x16]);
    }

    #[test]
    fn codes_round_trip_through_coap_lite() {
        for code in [
            CONTENT,
            CHANGED,
            NOT_ACCEPTABLE,
            UNSUPPORTED_FORMAT,
            INTERNAL,
        ] {
            assert_eq!(code_of(class(code)), code);
        }
        assert_eq!(code_text(CONTENT), "2.05");
    }

    #[test]
    fn location_path_with_a_slash_inside_is_split() {
        let mut packet = Packet::new();
        packet.add_option(CoapOption::LocationPath, b"rd/1".to_vec());
        assert_eq!(segments(&packet, CoapOption::LocationPath), ["rd", "1"]);
        let mut packet = Packet::new();
        packet.add_option(CoapOption::LocationPath, b"rd".to_vec());
        packet.add_option(CoapOption::LocationPath, b"5".to_vec());
        assert_eq!(segments(&packet, CoapOption::LocationPath), ["rd", "5"]);
    }

    #[test]
    fn request_paths_are_numeric() {
        let mut packet = Packet::new();
        add_uri_path(&mut packet, "/3/0/1");
        assert_eq!(request_path(&packet), Some(Path::resource(3, 0, 1)));
        let mut packet = Packet::new();
        add_uri_path(&mut packet, "rd");
        assert_eq!(request_path(&packet), None);
        assert_eq!(request_path(&Packet::new()), Some(Path::ROOT));
    }
}
