//! What the client adds to the CoAP helpers of [`crate::coap`]: LwM2M paths from a request's
//! Uri-Path, and response-code shorthands. Option values, Location-Path and code numbers are read
//! with [`crate::coap::options`] and [`crate::coap::message`].

use coap_lite::{CoapOption, MessageClass};

use crate::coap::ReadMessage;
use crate::coap::message::code_parts;
use crate::path::Path;

/// The Uri-Path of a request as an LwM2M path; `None` if it is not one (a name, a number
/// above 65535, more than four segments, invalid UTF-8). Empty segments (`/3/0/`) are ignored.
///
/// Read straight from the options, without copying them: every request asks for its path
/// several times.
pub(crate) fn request_path(packet: &impl ReadMessage) -> Option<Path> {
    let mut path = Path::ROOT;
    for segment in packet.option_values(CoapOption::UriPath) {
        if segment.is_empty() {
            continue;
        }
        let id = core::str::from_utf8(segment).ok()?.parse::<u16>().ok()?;
        path = path.child(id)?;
    }
    Some(path)
}

/// Whether a code is a success (class 2).
pub(crate) fn is_success(code: MessageClass) -> bool {
    code_parts(code).0 == 2
}

#[cfg(test)]
mod tests {
    use coap_lite::{Packet, ResponseType};

    use super::*;

    #[test]
    fn request_paths_are_numeric() {
        let mut packet = Packet::new();
        for segment in ["3", "0", "1"] {
            packet.add_option(CoapOption::UriPath, segment.as_bytes().to_vec());
        }
        assert_eq!(request_path(&packet), Some(Path::resource(3, 0, 1)));
        let mut packet = Packet::new();
        packet.add_option(CoapOption::UriPath, b"rd".to_vec());
        assert_eq!(request_path(&packet), None);
        assert_eq!(request_path(&Packet::new()), Some(Path::ROOT));
    }

    fn with_path(segments: &[&[u8]]) -> Packet {
        let mut packet = Packet::new();
        for segment in segments {
            packet.add_option(CoapOption::UriPath, segment.to_vec());
        }
        packet
    }

    #[test]
    fn request_paths_skip_empty_segments_and_refuse_what_is_not_a_path() {
        let trailing = with_path(&[b"", b"3", b"", b"0", b""]);
        assert_eq!(request_path(&trailing), Some(Path::instance(3, 0)));
        let four = with_path(&[b"3", b"0", b"7", b"1"]);
        assert_eq!(request_path(&four), Path::from_ids(&[3, 0, 7, 1]));
        assert_eq!(
            request_path(&with_path(&[b"1", b"2", b"3", b"4", b"5"])),
            None
        );
        assert_eq!(request_path(&with_path(&[b"3", b"65536"])), None);
        assert_eq!(request_path(&with_path(&[b"3", b"-1"])), None);
        assert_eq!(request_path(&with_path(&[b"3", b"\xff"])), None);
    }

    #[test]
    fn success_is_class_two() {
        assert!(is_success(MessageClass::Response(ResponseType::Content)));
        assert!(!is_success(MessageClass::Response(ResponseType::NotFound)));
    }
}
