//! The burst of link garbage written to the device on SIGUSR1, to prove it survives.
//!
//! Written after a complete frame (the bridge writes whole frames and bursts, one at a time),
//! so the device's decoder is between frames when it starts. One burst moves the device's
//! counters by exactly [`EXPECTED`]: every piece ends at an `END`, and the next real frame
//! decodes as usual.

use mcu_link::LinkStats;
use mcu_link::frame::KIND_IPV4;
use mcu_link::slip::{END, ESC};

/// Length of the oversized frame's payload: larger than any device buffer (the firmware takes
/// 1280-byte datagrams).
pub const OVERSIZED_LEN: usize = 8 * 1024;

/// How one burst moves the counters of a device between frames whose decoder holds more than
/// the noise and less than [`OVERSIZED_LEN`] bytes.
pub const EXPECTED: LinkStats = LinkStats {
    // The noise, the truncated header and the unknown kind: intact SLIP, bad headers.
    frames: 3,
    bad_escapes: 1,
    oversized: 1,
    malformed_headers: 3,
};

/// The burst: line noise, a bad escape inside a datagram frame, an oversized datagram frame,
/// a datagram frame with a truncated header, a frame of an unknown kind.
pub fn burst() -> Vec<u8> {
    let mut bytes = Vec::with_capacity(OVERSIZED_LEN + 64);
    // Line noise: no leading END, an unknown kind byte; the END closes it as one bad frame.
    bytes.extend_from_slice(&[
        0x55, 0x00, 0xFF, 0x13, 0x37, 0xAA, b'n', b'o', b'i', b's', b'e',
    ]);
    bytes.push(END);
    // A datagram to 127.0.0.1:5683 with ESC 'A' (a bad escape) in its payload.
    bytes.extend_from_slice(&[END, KIND_IPV4, 127, 0, 0, 1, 0x16, 0x33]);
    bytes.extend_from_slice(b"bad");
    bytes.extend_from_slice(&[ESC, b'A']);
    bytes.extend_from_slice(b"escape");
    bytes.push(END);
    // An oversized datagram.
    bytes.extend_from_slice(&[END, KIND_IPV4, 127, 0, 0, 1, 0, 7]);
    bytes.extend(std::iter::repeat_n(0x5A, OVERSIZED_LEN));
    bytes.push(END);
    // A datagram header cut after two address bytes.
    bytes.extend_from_slice(&[END, KIND_IPV4, 127, 0, END]);
    // A kind byte that means nothing.
    bytes.extend_from_slice(&[END, 0x7F, b'?', END]);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcu_link::{Decoder, frame_capacity};

    #[test]
    fn burst_moves_the_counters_as_documented_and_the_link_recovers() {
        let mut decoder = Decoder::<{ frame_capacity(1280) }>::new();
        let mut wire = burst();
        let peer = "127.0.0.1:5683".parse().unwrap();
        mcu_link::write_datagram(peer, b"after", |b| wire.push(b));
        let mut good = Vec::new();
        for byte in wire {
            if let Some(frame) = decoder.push_frame(byte) {
                good.push(format!("{frame:?}"));
            }
        }
        let after = mcu_link::Frame::Datagram {
            peer,
            payload: b"after",
        };
        assert_eq!(good, [format!("{after:?}")]);
        let stats = decoder.stats();
        assert_eq!(
            stats,
            LinkStats {
                frames: EXPECTED.frames + 1,
                ..EXPECTED
            }
        );
        assert!(decoder.is_idle());
    }
}
