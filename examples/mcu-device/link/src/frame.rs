//! The header on each SLIP payload: a kind byte and, for datagrams, the UDP peer.
//!
//! ```text
//! 0x04 | IPv4 address (4) | port (2, big-endian) | payload     datagram
//! 0x06 | IPv6 address (16) | port (2, big-endian) | payload    datagram
//! 0x01                                                        shutdown (host -> device)
//! 0x02 | UTF-8 text                                           log line (device -> host)
//! ```
//!
//! The peer is the destination of a datagram the device writes and the source of one the
//! bridge delivers. IPv6 flow labels and scope ids do not cross the link (they are zero).

use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::slip::{Encoder, encode_parts};

/// Kind byte: the host asks the device to deregister and exit.
pub const KIND_SHUTDOWN: u8 = 0x01;
/// Kind byte: a log line from the device.
pub const KIND_LOG: u8 = 0x02;
/// Kind byte: a UDP datagram to or from an IPv4 peer.
pub const KIND_IPV4: u8 = 0x04;
/// Kind byte: a UDP datagram to or from an IPv6 peer.
pub const KIND_IPV6: u8 = 0x06;

/// The longest header: an IPv6 datagram's (kind, 16 address bytes, 2 port bytes).
pub const MAX_HEADER_LEN: usize = 1 + 16 + 2;

/// One frame of the link, parsed; payloads borrow the decoder's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A UDP datagram: to `peer` from the device, from `peer` to the device.
    Datagram {
        /// The far end: destination (device -> host) or source (host -> device).
        peer: SocketAddr,
        /// The UDP payload (may be empty).
        payload: &'a [u8],
    },
    /// Host -> device: deregister and exit.
    Shutdown,
    /// Device -> host: a text line (UTF-8 by convention; the bridge prints it lossily).
    Log(&'a [u8]),
}

/// Why a frame's header was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderError {
    /// The frame has no kind byte (never produced by [`Decoder`](crate::Decoder), which drops
    /// empty frames).
    Empty,
    /// The kind byte is none of the known kinds.
    UnknownKind(u8),
    /// A datagram frame shorter than its address and port.
    Truncated {
        /// The frame's kind byte.
        kind: u8,
        /// The frame's length in bytes, kind included.
        len: usize,
    },
    /// A shutdown frame with bytes after its kind.
    Trailing {
        /// The frame's kind byte.
        kind: u8,
        /// The frame's length in bytes, kind included.
        len: usize,
    },
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty frame"),
            Self::UnknownKind(kind) => write!(f, "unknown frame kind 0x{kind:02x}"),
            Self::Truncated { kind, len } => {
                write!(f, "frame of kind 0x{kind:02x} truncated to {len} bytes")
            }
            Self::Trailing { kind, len } => {
                write!(f, "frame of kind 0x{kind:02x} has {len} bytes, expected 1")
            }
        }
    }
}

impl core::error::Error for HeaderError {}

impl<'a> Frame<'a> {
    /// Parses a decoded SLIP payload; never panics.
    ///
    /// ```
    /// use mcu_link::Frame;
    ///
    /// let frame = Frame::parse(&[0x04, 127, 0, 0, 1, 0x16, 0x33, b'h', b'i']).unwrap();
    /// assert_eq!(
    ///     frame,
    ///     Frame::Datagram { peer: "127.0.0.1:5683".parse().unwrap(), payload: b"hi" }
    /// );
    /// assert!(Frame::parse(&[0x04, 127, 0]).is_err());
    /// ```
    pub fn parse(bytes: &'a [u8]) -> Result<Self, HeaderError> {
        let (&kind, body) = bytes.split_first().ok_or(HeaderError::Empty)?;
        let truncated = HeaderError::Truncated {
            kind,
            len: bytes.len(),
        };
        match kind {
            KIND_IPV4 => {
                let (address, rest) = body.split_first_chunk::<4>().ok_or(truncated)?;
                let (port, payload) = rest.split_first_chunk::<2>().ok_or(truncated)?;
                let ip = IpAddr::V4(Ipv4Addr::from(*address));
                Ok(Self::Datagram {
                    peer: SocketAddr::new(ip, u16::from_be_bytes(*port)),
                    payload,
                })
            }
            KIND_IPV6 => {
                let (address, rest) = body.split_first_chunk::<16>().ok_or(truncated)?;
                let (port, payload) = rest.split_first_chunk::<2>().ok_or(truncated)?;
                let ip = IpAddr::V6(Ipv6Addr::from(*address));
                Ok(Self::Datagram {
                    peer: SocketAddr::new(ip, u16::from_be_bytes(*port)),
                    payload,
                })
            }
            KIND_SHUTDOWN if body.is_empty() => Ok(Self::Shutdown),
            KIND_SHUTDOWN => Err(HeaderError::Trailing {
                kind,
                len: bytes.len(),
            }),
            KIND_LOG => Ok(Self::Log(body)),
            other => Err(HeaderError::UnknownKind(other)),
        }
    }

    /// Writes the frame, header and payload, SLIP-encoded to `out` (no buffer).
    pub fn write(&self, out: impl FnMut(u8)) {
        match *self {
            Self::Datagram { peer, payload } => write_datagram(peer, payload, out),
            Self::Shutdown => write_shutdown(out),
            Self::Log(text) => write_log(text, out),
        }
    }
}

/// Writes a datagram frame for `peer` carrying `payload`, SLIP-encoded to `out`.
pub fn write_datagram(peer: SocketAddr, payload: &[u8], out: impl FnMut(u8)) {
    let mut header = [0; MAX_HEADER_LEN];
    let len = match peer.ip() {
        IpAddr::V4(ip) => {
            header[0] = KIND_IPV4;
            header[1..5].copy_from_slice(&ip.octets());
            header[5..7].copy_from_slice(&peer.port().to_be_bytes());
            7
        }
        IpAddr::V6(ip) => {
            header[0] = KIND_IPV6;
            header[1..17].copy_from_slice(&ip.octets());
            header[17..19].copy_from_slice(&peer.port().to_be_bytes());
            19
        }
    };
    encode_parts(&[&header[..len], payload], out);
}

/// Writes the shutdown control frame, SLIP-encoded to `out`.
pub fn write_shutdown(out: impl FnMut(u8)) {
    encode_parts(&[&[KIND_SHUTDOWN]], out);
}

/// Writes a log frame carrying `text`, SLIP-encoded to `out`.
pub fn write_log(text: &[u8], out: impl FnMut(u8)) {
    encode_parts(&[&[KIND_LOG], text], out);
}

/// Writes a log frame carrying formatted text, SLIP-encoded to `out`, without formatting it
/// into a buffer first.
///
/// ```
/// let mut wire = Vec::new();
/// mcu_link::write_log_fmt(format_args!("up {}s", 3), |b| wire.push(b));
/// assert_eq!(wire, b"\xC0\x02up 3s\xC0");
/// ```
pub fn write_log_fmt(args: fmt::Arguments<'_>, out: impl FnMut(u8)) {
    let mut encoder = Encoder::start(out);
    encoder.bytes(&[KIND_LOG]);
    // Writing to an `Encoder` never fails; a failing `Display` impl only cuts the line short.
    let _ = fmt::Write::write_fmt(&mut encoder, args);
    encoder.finish();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slip::Decoder;
    use proptest::prelude::*;

    fn wire(frame: Frame<'_>) -> Vec<u8> {
        let mut wire = Vec::new();
        frame.write(|b| wire.push(b));
        wire
    }

    #[test]
    fn ipv4_datagram_exact_bytes() {
        let frame = Frame::Datagram {
            peer: "192.0.2.192:49152".parse().unwrap(),
            payload: &[0xDB, 1],
        };
        assert_eq!(
            wire(frame),
            [
                0xC0, // END
                0x04, // IPv4
                0xDB, 0xDC, 0, 2, 0xDB, 0xDC, // 192.0.2.192, escaped
                0xDB, 0xDC, 0x00, // port 0xC000, escaped
                0xDB, 0xDD, 1,    // payload DB 01, escaped
                0xC0, // END
            ]
        );
        assert_eq!(
            Frame::parse(&[0x04, 192, 0, 2, 0xC0, 0xC0, 0x00, 0xDB, 1]),
            Ok(frame)
        );
    }

    #[test]
    fn ipv6_datagram_exact_bytes() {
        let frame = Frame::Datagram {
            peer: "[2001:db8::1]:5683".parse().unwrap(),
            payload: b"x",
        };
        let mut expected = vec![0xC0, 0x06, 0x20, 0x01, 0x0D, 0xB8];
        expected.extend([0; 11]);
        expected.extend([1, 0x16, 0x33, b'x', 0xC0]);
        assert_eq!(wire(frame), expected);
    }

    #[test]
    fn control_frames_exact_bytes() {
        assert_eq!(wire(Frame::Shutdown), [0xC0, 0x01, 0xC0]);
        assert_eq!(wire(Frame::Log(b"up")), [0xC0, 0x02, b'u', b'p', 0xC0]);
        assert_eq!(Frame::parse(&[0x01]), Ok(Frame::Shutdown));
        assert_eq!(Frame::parse(&[0x02]), Ok(Frame::Log(b"")));
    }

    #[test]
    fn formatted_log_is_escaped() {
        let mut wire = Vec::new();
        // U+06C0 is DB 80 in UTF-8 (0xC0 never occurs in UTF-8, 0xDB does).
        write_log_fmt(format_args!("{}{}", 'a', '\u{6C0}'), |b| wire.push(b));
        assert_eq!(wire, [0xC0, 0x02, b'a', 0xDB, 0xDD, 0x80, 0xC0]);
    }

    #[test]
    fn empty_payload_datagram() {
        assert_eq!(
            Frame::parse(&[0x04, 10, 0, 0, 1, 0, 7]),
            Ok(Frame::Datagram {
                peer: "10.0.0.1:7".parse().unwrap(),
                payload: b""
            })
        );
    }

    #[test]
    fn malformed_headers() {
        assert_eq!(Frame::parse(&[]), Err(HeaderError::Empty));
        assert_eq!(Frame::parse(&[0x00, 1]), Err(HeaderError::UnknownKind(0)));
        assert_eq!(
            Frame::parse(&[0x04, 127, 0, 0, 1, 0x16]),
            Err(HeaderError::Truncated { kind: 4, len: 6 })
        );
        assert_eq!(
            Frame::parse(&[0x04]),
            Err(HeaderError::Truncated { kind: 4, len: 1 })
        );
        assert_eq!(
            Frame::parse(&[0x06; 18]),
            Err(HeaderError::Truncated { kind: 6, len: 18 })
        );
        assert_eq!(
            Frame::parse(&[0x01, 0]),
            Err(HeaderError::Trailing { kind: 1, len: 2 })
        );
        assert_eq!(
            HeaderError::Truncated { kind: 4, len: 6 }.to_string(),
            "frame of kind 0x04 truncated to 6 bytes"
        );
        assert_eq!(
            HeaderError::UnknownKind(0xAB).to_string(),
            "unknown frame kind 0xab"
        );
    }

    #[test]
    fn decoder_counts_malformed_headers_and_goes_on() {
        let mut decoder = Decoder::<64>::new();
        let mut bytes = vec![0xC0, 0x04, 127, 0, 0xC0, 0xC0, 0x09, 0xC0];
        bytes.extend(wire(Frame::Shutdown));
        let mut frames = Vec::new();
        for byte in bytes {
            if let Some(frame) = decoder.push_frame(byte) {
                frames.push(format!("{frame:?}"));
            }
        }
        assert_eq!(frames, ["Shutdown"]);
        let stats = decoder.stats();
        assert_eq!((stats.frames, stats.malformed_headers), (3, 2));
    }

    fn any_peer() -> impl Strategy<Value = SocketAddr> {
        prop_oneof![
            (any::<[u8; 4]>(), any::<u16>())
                .prop_map(|(ip, port)| SocketAddr::new(Ipv4Addr::from(ip).into(), port)),
            (any::<[u8; 16]>(), any::<u16>())
                .prop_map(|(ip, port)| SocketAddr::new(Ipv6Addr::from(ip).into(), port)),
        ]
    }

    proptest! {
        #[test]
        fn datagram_round_trip(peer in any_peer(), payload in prop::collection::vec(any::<u8>(), 0..64)) {
            let mut bytes = Vec::new();
            write_datagram(peer, &payload, |b| bytes.push(b));
            let mut decoder = Decoder::<{ crate::frame_capacity(64) }>::new();
            let mut got = None;
            for byte in bytes {
                if let Some(frame) = decoder.push_frame(byte) {
                    prop_assert!(got.is_none());
                    got = Some(format!("{frame:?}"));
                }
            }
            let expected = Frame::Datagram { peer, payload: &payload };
            prop_assert_eq!(got, Some(format!("{expected:?}")));
        }

        #[test]
        fn log_round_trip(text in ".{0,40}") {
            let mut bytes = Vec::new();
            write_log(text.as_bytes(), |b| bytes.push(b));
            let mut decoder = Decoder::<256>::new();
            let frames: Vec<String> = bytes
                .into_iter()
                .filter_map(|b| decoder.push_frame(b).map(|f| format!("{f:?}")))
                .collect();
            // Even an empty line is a frame: its kind byte.
            prop_assert_eq!(frames, vec![format!("{:?}", Frame::Log(text.as_bytes()))]);
        }

        #[test]
        fn parse_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..40)) {
            if let Ok(frame) = Frame::parse(&bytes) {
                // What parses, written back, is the same bytes.
                let mut wire = Vec::new();
                frame.write(|b| wire.push(b));
                let mut decoder = Decoder::<64>::new();
                let decoded: Vec<Vec<u8>> = wire
                    .into_iter()
                    .filter_map(|b| decoder.push(b).map(<[u8]>::to_vec))
                    .collect();
                prop_assert_eq!(decoded, vec![bytes]);
            }
        }
    }
}
