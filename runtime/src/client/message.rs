//! What the client adds to the CoAP helpers of [`crate::coap`]: LwM2M paths from a request's
//! Uri-Path, and response-code shorthands. Option values, Location-Path and code numbers are read
//! with [`crate::coap::options`] and [`crate::coap::message`].

use coap_lite::{MessageClass, Packet};

use crate::coap::message::code_parts;
use crate::coap::options;
use crate::path::Path;

/// The Uri-Path of a request as an LwM2M path; `None` if it is not one (a name, a number
/// above 65535, more than four segments, invalid UTF-8). Empty segments (`/3/0/`) are ignored.
pub(crate) fn request_path(packet: &Packet) -> Option<Path> {
    let segments = options::uri_path(packet).ok()?;
    let mut ids = Vec::with_capacity(segments.len());
    for segment in &segments {
        ids.push(segment.parse::<u16>().ok()?);
    }
    Path::from_ids(&ids)
}

/// Whether a code is a success (class 2).
pub(crate) fn is_success(code: MessageClass) -> bool {
    code_parts(code).0 == 2
}

#[cfg(test)]
mod tests {
    use coap_lite::{CoapOption, ResponseType};

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

    #[test]
    fn success_is_class_two() {
        assert!(is_success(MessageClass::Response(ResponseType::Content)));
        assert!(!is_success(MessageClass::Response(ResponseType::NotFound)));
    }
}
