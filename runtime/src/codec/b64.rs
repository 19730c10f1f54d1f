//! Base64 (RFC 4648) for the text formats that carry Opaque values: the standard alphabet with
//! padding (text/plain, OMA JSON) and the URL-safe alphabet without padding (SenML JSON `vd`).
//!
//! Decoding is lenient about the alphabet and padding (it accepts both alphabets, with or without
//! `=`), strict about everything else (stray characters, impossible lengths, non-zero trailing bits).
//!
//! Written out here rather than with the `base64` crate: its general-purpose engines cost about
//! 5 KiB of flash (code and a 256-byte table per engine) on a microcontroller, for a few
//! Opaque values a request carries.

use crate::prelude::*;

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn encode(bytes: &[u8], alphabet: &[u8; 64], pad: bool, out: &mut String) {
    out.reserve(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        // A chunk of k bytes gives k + 1 characters.
        for i in 0..=chunk.len() {
            out.push(char::from(alphabet[(n >> (18 - 6 * i) & 63) as usize]));
        }
        if pad {
            for _ in chunk.len()..3 {
                out.push('=');
            }
        }
    }
}

/// Standard alphabet, padded.
pub(crate) fn encode_standard(bytes: &[u8], out: &mut String) {
    encode(bytes, STANDARD, true, out);
}

/// URL-safe alphabet, unpadded (RFC 8428 section 4.3).
pub(crate) fn encode_url(bytes: &[u8], out: &mut String) {
    encode(bytes, URL_SAFE, false, out);
}

/// The 6-bit value of a character of either alphabet, and which alphabet it belongs to only
/// (1: standard, 2: URL-safe, 0: both).
fn sextet(c: u8) -> Option<(u32, u8)> {
    Some(match c {
        b'A'..=b'Z' => (u32::from(c - b'A'), 0),
        b'a'..=b'z' => (u32::from(c - b'a') + 26, 0),
        b'0'..=b'9' => (u32::from(c - b'0') + 52, 0),
        b'+' => (62, 1),
        b'/' => (63, 1),
        b'-' => (62, 2),
        b'_' => (63, 2),
        _ => return None,
    })
}

/// Decodes either alphabet (one per text), padded or not. `None` for anything that is not
/// canonical base64.
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    let data = text.trim_end_matches('=');
    let padding = text.len() - data.len();
    // Padding is optional, but when present it must be complete ("Zg==", not "Zg=").
    if padding > 2 || (padding > 0 && text.len() % 4 != 0) || data.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() / 4 * 3 + 2);
    let mut alphabet = 0;
    for chunk in data.as_bytes().chunks(4) {
        let mut n = 0u32;
        for &c in chunk {
            let (value, which) = sextet(c)?;
            if which != 0 {
                if alphabet != 0 && alphabet != which {
                    return None;
                }
                alphabet = which;
            }
            n = n << 6 | value;
        }
        // k characters carry k - 1 bytes; the bits left over must be zero.
        let bytes = chunk.len() - 1;
        let spare = 6 * chunk.len() - 8 * bytes;
        if n & ((1 << spare) - 1) != 0 {
            return None;
        }
        n >>= spare;
        for i in (0..bytes).rev() {
            out.push((n >> (8 * i)) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn std(bytes: &[u8]) -> String {
        let mut s = String::new();
        encode_standard(bytes, &mut s);
        s
    }

    #[test]
    fn rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(std(plain.as_bytes()), encoded);
            assert_eq!(decode(encoded).unwrap(), plain.as_bytes());
            assert_eq!(
                decode(encoded.trim_end_matches('=')).unwrap(),
                plain.as_bytes()
            );
        }
    }

    #[test]
    fn url_alphabet() {
        let mut s = String::new();
        encode_url(&[0xfb, 0xff], &mut s);
        assert_eq!(s, "-_8");
        assert_eq!(decode("-_8").unwrap(), [0xfb, 0xff]);
        assert_eq!(decode("+/8=").unwrap(), [0xfb, 0xff]);
    }

    proptest::proptest! {
        #[test]
        fn round_trips(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            let standard = std(&bytes);
            proptest::prop_assert_eq!(standard.len() % 4, 0);
            proptest::prop_assert_eq!(decode(&standard), Some(bytes.clone()));
            let mut url = String::new();
            encode_url(&bytes, &mut url);
            proptest::prop_assert!(!url.contains('='));
            proptest::prop_assert_eq!(decode(&url), Some(bytes));
        }
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "Z", "Zg=", "Zh==", "Zm9v!", "Zm 9v", "=", "Zg==Zg==", "Zm9=v", "Zm9vY===", "Zm9v====",
            "+_8=", "Zm9vYh",
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }
}
