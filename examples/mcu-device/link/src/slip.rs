//! SLIP framing (RFC 1055): an encoder that writes through a callback and a bounded decoder
//! that drops, counts and resynchronises.

use core::fmt;

use crate::frame::Frame;

/// Ends a frame (and, as this link sends it, also starts one).
pub const END: u8 = 0xC0;
/// Starts a two-byte escape.
pub const ESC: u8 = 0xDB;
/// After [`ESC`]: a data byte equal to [`END`].
pub const ESC_END: u8 = 0xDC;
/// After [`ESC`]: a data byte equal to [`ESC`].
pub const ESC_ESC: u8 = 0xDD;

/// Writes `frame` SLIP-encoded to `out`: [`END`], each byte with `END` and `ESC` escaped,
/// [`END`].
///
/// The leading `END` (RFC 1055's suggestion) ends whatever line noise came before, so the
/// receiver drops the noise as one bad frame instead of prefixing it to this one.
///
/// ```
/// use mcu_link::slip::{END, ESC, ESC_END, ESC_ESC, encode};
///
/// let mut wire = Vec::new();
/// encode(&[1, END, ESC], |b| wire.push(b));
/// assert_eq!(wire, [END, 1, ESC, ESC_END, ESC, ESC_ESC, END]);
/// ```
pub fn encode(frame: &[u8], out: impl FnMut(u8)) {
    encode_parts(&[frame], out);
}

/// Writes the concatenation of `parts` as one SLIP frame, as [`encode`] does, without copying
/// the parts together first (a header and a payload, say).
pub fn encode_parts(parts: &[&[u8]], out: impl FnMut(u8)) {
    let mut encoder = Encoder::start(out);
    for part in parts {
        encoder.bytes(part);
    }
    encoder.finish();
}

/// A SLIP frame being written piece by piece: [`start`](Self::start) writes the opening
/// [`END`], [`bytes`](Self::bytes) (or [`core::fmt::Write`]) the escaped data,
/// [`finish`](Self::finish) the closing `END`.
///
/// Formatted text goes straight to the line, with no buffer:
///
/// ```
/// use core::fmt::Write;
/// use mcu_link::slip::{Encoder, END};
///
/// let mut wire = Vec::new();
/// let mut encoder = Encoder::start(|b| wire.push(b));
/// write!(encoder, "{}+{}", 1, 2).unwrap();
/// encoder.finish();
/// assert_eq!(wire, [END, b'1', b'+', b'2', END]);
/// ```
#[derive(Debug)]
pub struct Encoder<F: FnMut(u8)> {
    out: F,
}

impl<F: FnMut(u8)> Encoder<F> {
    /// Writes the opening [`END`].
    pub fn start(mut out: F) -> Self {
        out(END);
        Self { out }
    }

    /// Writes `data`, escaped.
    pub fn bytes(&mut self, data: &[u8]) {
        for &byte in data {
            match byte {
                END => {
                    (self.out)(ESC);
                    (self.out)(ESC_END);
                }
                ESC => {
                    (self.out)(ESC);
                    (self.out)(ESC_ESC);
                }
                other => (self.out)(other),
            }
        }
    }

    /// Writes the closing [`END`].
    pub fn finish(mut self) {
        (self.out)(END);
    }
}

impl<F: FnMut(u8)> fmt::Write for Encoder<F> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.bytes(s.as_bytes());
        Ok(())
    }
}

/// What a receiver has seen on the link, garbage included.
///
/// Counters saturate at `u32::MAX` instead of wrapping.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Complete, correctly escaped, non-empty frames (including those whose header then turned
    /// out malformed).
    pub frames: u32,
    /// Frames dropped for a bad escape: [`ESC`] followed by anything but [`ESC_END`] or
    /// [`ESC_ESC`] (an [`END`] included).
    pub bad_escapes: u32,
    /// Frames dropped for being longer than the decoder's buffer.
    pub oversized: u32,
    /// Frames whose header [`Frame::parse`] refused (counted by [`Decoder::push_frame`] only).
    pub malformed_headers: u32,
}

impl LinkStats {
    /// Frames dropped for any reason.
    pub fn dropped(&self) -> u32 {
        self.bad_escapes
            .saturating_add(self.oversized)
            .saturating_add(self.malformed_headers)
    }
}

impl fmt::Display for LinkStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "frames={} bad_escapes={} oversized={} malformed_headers={}",
            self.frames, self.bad_escapes, self.oversized, self.malformed_headers
        )
    }
}

/// Where the decoder is within a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Taking data bytes.
    Data,
    /// The last byte was [`ESC`].
    Escaped,
    /// The frame is being dropped; everything up to the next [`END`] is ignored.
    Discarding,
}

/// A SLIP decoder with a fixed buffer of `N` bytes: push one byte at a time, get each complete
/// frame back.
///
/// - A frame is handed out when its closing [`END`] arrives; it borrows the decoder's buffer
///   until the next push.
/// - Empty frames (`END END`, or the leading `END` of each encoded frame) are ignored silently.
/// - A bad escape drops the frame being received ([`LinkStats::bad_escapes`]), and so does a
///   frame longer than `N` bytes ([`LinkStats::oversized`]); the decoder ignores bytes until the
///   next `END` and starts afresh after it.
///
/// No allocation, no panic, whatever the input.
#[derive(Debug, Clone)]
pub struct Decoder<const N: usize> {
    buf: [u8; N],
    len: usize,
    state: State,
    stats: LinkStats,
}

impl<const N: usize> Default for Decoder<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Decoder<N> {
    /// An empty decoder, waiting for data (bytes before the first [`END`] form a frame like any
    /// other; the header check drops them when they are line noise).
    pub const fn new() -> Self {
        Self {
            buf: [0; N],
            len: 0,
            state: State::Data,
            stats: LinkStats {
                frames: 0,
                bad_escapes: 0,
                oversized: 0,
                malformed_headers: 0,
            },
        }
    }

    /// The largest frame this decoder accepts, in bytes (after unescaping).
    pub const fn capacity(&self) -> usize {
        N
    }

    /// What the decoder has seen so far.
    pub fn stats(&self) -> LinkStats {
        self.stats
    }

    /// Whether the decoder is between frames: nothing of a frame received, nothing being
    /// dropped.
    pub fn is_idle(&self) -> bool {
        self.len == 0 && self.state == State::Data
    }

    /// Takes one byte from the line; returns the frame it completes, if any.
    pub fn push(&mut self, byte: u8) -> Option<&[u8]> {
        let len = self.advance(byte)?;
        Some(&self.buf[..len])
    }

    /// As [`push`](Self::push), then parses the frame's header; a malformed header drops the
    /// frame and counts it ([`LinkStats::malformed_headers`]).
    pub fn push_frame(&mut self, byte: u8) -> Option<Frame<'_>> {
        let len = self.advance(byte)?;
        match Frame::parse(&self.buf[..len]) {
            Ok(frame) => Some(frame),
            Err(_) => {
                self.stats.malformed_headers = self.stats.malformed_headers.saturating_add(1);
                None
            }
        }
    }

    /// The state machine; returns the length of the frame `byte` completes.
    fn advance(&mut self, byte: u8) -> Option<usize> {
        match (self.state, byte) {
            (state, END) => {
                let len = core::mem::take(&mut self.len);
                self.state = State::Data;
                match state {
                    State::Discarding => None,
                    State::Escaped => {
                        self.stats.bad_escapes = self.stats.bad_escapes.saturating_add(1);
                        None
                    }
                    State::Data if len == 0 => None,
                    State::Data => {
                        self.stats.frames = self.stats.frames.saturating_add(1);
                        Some(len)
                    }
                }
            }
            (State::Discarding, _) => None,
            (State::Data, ESC) => {
                self.state = State::Escaped;
                None
            }
            (State::Escaped, ESC_END) => self.store(END),
            (State::Escaped, ESC_ESC) => self.store(ESC),
            (State::Escaped, _) => {
                self.stats.bad_escapes = self.stats.bad_escapes.saturating_add(1);
                self.discard();
                None
            }
            (State::Data, data) => self.store(data),
        }
    }

    /// Appends a data byte, or drops the frame when the buffer is full.
    fn store(&mut self, byte: u8) -> Option<usize> {
        match self.buf.get_mut(self.len) {
            Some(slot) => {
                *slot = byte;
                self.len += 1;
                self.state = State::Data;
            }
            None => {
                self.stats.oversized = self.stats.oversized.saturating_add(1);
                self.discard();
            }
        }
        None
    }

    fn discard(&mut self) {
        self.len = 0;
        self.state = State::Discarding;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn encoded(frame: &[u8]) -> Vec<u8> {
        let mut wire = Vec::new();
        encode(frame, |b| wire.push(b));
        wire
    }

    fn decode_all<const N: usize>(decoder: &mut Decoder<N>, wire: &[u8]) -> Vec<Vec<u8>> {
        let mut frames = Vec::new();
        for &byte in wire {
            if let Some(frame) = decoder.push(byte) {
                frames.push(frame.to_vec());
            }
        }
        frames
    }

    fn stats(frames: u32, bad_escapes: u32, oversized: u32) -> LinkStats {
        LinkStats {
            frames,
            bad_escapes,
            oversized,
            malformed_headers: 0,
        }
    }

    #[test]
    fn rfc1055_escapes_exact_bytes() {
        assert_eq!(
            encoded(&[0x01, 0xC0, 0x02, 0xDB, 0x03]),
            [0xC0, 0x01, 0xDB, 0xDC, 0x02, 0xDB, 0xDD, 0x03, 0xC0]
        );
        // ESC_END and ESC_ESC alone are ordinary data bytes.
        assert_eq!(encoded(&[0xDC, 0xDD]), [0xC0, 0xDC, 0xDD, 0xC0]);
        assert_eq!(encoded(&[]), [0xC0, 0xC0]);
        assert_eq!(encoded(&[0xC0, 0xC0]), [0xC0, 0xDB, 0xDC, 0xDB, 0xDC, 0xC0]);
    }

    #[test]
    fn encode_parts_is_encode_of_the_concatenation() {
        let mut wire = Vec::new();
        encode_parts(&[&[1, 0xC0], &[], &[0xDB, 2]], |b| wire.push(b));
        assert_eq!(wire, encoded(&[1, 0xC0, 0xDB, 2]));
    }

    #[test]
    fn decodes_escapes() {
        let mut decoder = Decoder::<16>::new();
        let wire = [0xC0, 0x01, 0xDB, 0xDC, 0x02, 0xDB, 0xDD, 0x03, 0xC0];
        assert_eq!(decode_all(&mut decoder, &wire), [vec![1, 0xC0, 2, 0xDB, 3]]);
        assert_eq!(decoder.stats(), stats(1, 0, 0));
        assert!(decoder.is_idle());
    }

    #[test]
    fn frame_without_leading_end_and_split_across_pushes() {
        let mut decoder = Decoder::<16>::new();
        // Bytes arrive a few at a time; nothing comes out before the closing END.
        for &byte in &[b'a', b'b', 0xDB] {
            assert_eq!(decoder.push(byte), None);
            assert!(!decoder.is_idle());
        }
        for &byte in &[0xDC, b'c'] {
            assert_eq!(decoder.push(byte), None);
        }
        assert_eq!(decoder.push(0xC0), Some(&b"ab\xC0c"[..]));
        assert_eq!(decoder.stats(), stats(1, 0, 0));
    }

    #[test]
    fn empty_frames_are_ignored_silently() {
        let mut decoder = Decoder::<16>::new();
        assert!(decode_all(&mut decoder, &[0xC0, 0xC0, 0xC0]).is_empty());
        assert_eq!(decoder.stats(), LinkStats::default());
    }

    #[test]
    fn bad_escape_drops_the_frame_and_resyncs() {
        let mut decoder = Decoder::<16>::new();
        let mut wire = vec![0xC0, b'x', 0xDB, 0x41, b'y', 0xDB, 0xDB, 0xC0];
        wire.extend(encoded(b"ok"));
        assert_eq!(decode_all(&mut decoder, &wire), [b"ok".to_vec()]);
        assert_eq!(decoder.stats(), stats(1, 1, 0));
    }

    #[test]
    fn esc_esc_is_a_bad_escape() {
        let mut decoder = Decoder::<16>::new();
        let mut wire = vec![0xC0, 0xDB, 0xDB, 0xDD, 0xC0];
        wire.extend(encoded(b"ok"));
        assert_eq!(decode_all(&mut decoder, &wire), [b"ok".to_vec()]);
        assert_eq!(decoder.stats(), stats(1, 1, 0));
    }

    #[test]
    fn esc_then_end_is_a_bad_escape_and_the_end_still_ends_it() {
        let mut decoder = Decoder::<16>::new();
        // No extra END after the bad one: the next frame starts right away.
        let wire = [0xC0, b'x', 0xDB, 0xC0, b'o', b'k', 0xC0];
        assert_eq!(decode_all(&mut decoder, &wire), [b"ok".to_vec()]);
        assert_eq!(decoder.stats(), stats(1, 1, 0));
    }

    #[test]
    fn oversized_frame_is_dropped_once_and_resyncs() {
        let mut decoder = Decoder::<4>::new();
        let mut wire = encoded(&[7; 100]);
        wire.extend(encoded(&[1, 2, 3, 4])); // exactly N fits
        wire.extend(encoded(&[9; 5]));
        wire.extend(encoded(b"ok"));
        assert_eq!(
            decode_all(&mut decoder, &wire),
            [vec![1, 2, 3, 4], b"ok".to_vec()]
        );
        assert_eq!(decoder.stats(), stats(2, 0, 2));
    }

    #[test]
    fn oversized_by_an_escaped_byte() {
        let mut decoder = Decoder::<2>::new();
        let mut wire = encoded(&[1, 2, 0xC0]);
        wire.extend(encoded(&[1, 0xC0]));
        assert_eq!(decode_all(&mut decoder, &wire), [vec![1, 0xC0]]);
        assert_eq!(decoder.stats(), stats(1, 0, 1));
    }

    #[test]
    fn escapes_inside_a_dropped_frame_are_ignored() {
        let mut decoder = Decoder::<2>::new();
        // Oversized first, then a bad escape inside the part being discarded: one drop.
        let mut wire = vec![0xC0, 1, 2, 3, 0xDB, 0x41, 0xDB, 0xC0];
        wire.extend(encoded(b"ok"));
        assert_eq!(decode_all(&mut decoder, &wire), [b"ok".to_vec()]);
        assert_eq!(decoder.stats(), stats(1, 0, 1));
    }

    #[test]
    fn leading_noise_becomes_one_frame_the_header_check_drops() {
        let mut decoder = Decoder::<64>::new();
        let mut wire = vec![0x55, 0x00, 0xFF, 0x13];
        let peer = "10.0.0.1:9".parse().unwrap();
        crate::write_datagram(peer, b"hi", |b| wire.push(b));
        let mut frames = Vec::new();
        for &byte in &wire {
            if let Some(frame) = decoder.push_frame(byte) {
                frames.push(format!("{frame:?}"));
            }
        }
        assert_eq!(
            frames,
            [format!(
                "{:?}",
                Frame::Datagram {
                    peer,
                    payload: b"hi"
                }
            )]
        );
        assert_eq!(
            decoder.stats(),
            LinkStats {
                frames: 2,
                bad_escapes: 0,
                oversized: 0,
                malformed_headers: 1
            }
        );
        assert_eq!(decoder.stats().dropped(), 1);
    }

    #[test]
    fn zero_capacity_drops_every_non_empty_frame() {
        let mut decoder = Decoder::<0>::new();
        assert!(decode_all(&mut decoder, &encoded(b"a")).is_empty());
        assert_eq!(decoder.stats(), stats(0, 0, 1));
        assert_eq!(decoder.capacity(), 0);
    }

    #[test]
    fn counters_saturate() {
        let mut decoder = Decoder::<4>::new();
        decoder.stats.frames = u32::MAX;
        decode_all(&mut decoder, &encoded(b"a"));
        assert_eq!(decoder.stats().frames, u32::MAX);
    }

    #[test]
    fn stats_display() {
        let s = LinkStats {
            frames: 1,
            bad_escapes: 2,
            oversized: 3,
            malformed_headers: 4,
        };
        assert_eq!(
            s.to_string(),
            "frames=1 bad_escapes=2 oversized=3 malformed_headers=4"
        );
        assert_eq!(s.dropped(), 9);
    }

    proptest! {
        #[test]
        fn round_trip(frames in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..8)) {
            let mut wire = Vec::new();
            for frame in &frames {
                encode(frame, |b| wire.push(b));
            }
            let mut decoder = Decoder::<40>::new();
            let decoded = decode_all(&mut decoder, &wire);
            let expected: Vec<Vec<u8>> = frames.into_iter().filter(|f| !f.is_empty()).collect();
            prop_assert_eq!(decoder.stats(), stats(expected.len() as u32, 0, 0));
            prop_assert_eq!(decoded, expected);
            prop_assert!(decoder.is_idle());
        }

        #[test]
        fn encoded_frames_hold_no_end_inside(frame in prop::collection::vec(any::<u8>(), 0..64)) {
            let wire = encoded(&frame);
            prop_assert_eq!(wire[0], END);
            prop_assert_eq!(wire[wire.len() - 1], END);
            prop_assert!(!wire[1..wire.len() - 1].contains(&END));
        }

        #[test]
        fn frames_longer_than_capacity_are_counted(frame in prop::collection::vec(any::<u8>(), 1..24)) {
            let mut decoder = Decoder::<12>::new();
            let decoded = decode_all(&mut decoder, &encoded(&frame));
            if frame.len() <= 12 {
                prop_assert_eq!(decoded, vec![frame]);
                prop_assert_eq!(decoder.stats(), stats(1, 0, 0));
            } else {
                prop_assert!(decoded.is_empty());
                prop_assert_eq!(decoder.stats(), stats(0, 0, 1));
            }
        }

        #[test]
        fn resyncs_after_any_garbage(
            garbage in prop::collection::vec(any::<u8>(), 0..200),
            frames in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..16), 1..4),
        ) {
            let mut decoder = Decoder::<16>::new();
            decode_all(&mut decoder, &garbage);
            let before = decoder.stats();
            let mut wire = Vec::new();
            for frame in &frames {
                encode(frame, |b| wire.push(b));
            }
            // The leading END of the first frame ends whatever the garbage left open.
            let decoded = decode_all(&mut decoder, &wire);
            let after = decoder.stats();
            prop_assert_eq!(after.frames - before.frames, decoded.len() as u32);
            // The first frame's leading END closes whatever the garbage left open (handed out
            // as one more frame if it was intact), then every frame comes through.
            prop_assert!(decoded.len() == frames.len() || decoded.len() == frames.len() + 1);
            prop_assert_eq!(&decoded[decoded.len() - frames.len()..], &frames[..]);
        }

        #[test]
        fn never_panics_and_frames_fit(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let mut decoder = Decoder::<8>::new();
            for byte in bytes {
                if let Some(frame) = decoder.push(byte) {
                    prop_assert!(!frame.is_empty() && frame.len() <= 8);
                }
            }
        }
    }
}
