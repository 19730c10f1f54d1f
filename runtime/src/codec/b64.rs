//! Base64 (RFC 4648) for the text formats that carry Opaque values: the standard alphabet with
//! padding (text/plain, OMA JSON) and the URL-safe alphabet without padding (SenML JSON `vd`).
//!
//! Decoding is lenient about the alphabet and padding (it accepts both alphabets, with or without
//! `=`), strict about everything else (stray characters, impossible lengths, non-zero trailing bits).

use crate::prelude::*;
use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// Decoding engines: padding optional, trailing bits must be zero (the crate's default).
const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Standard alphabet, padded.
pub(crate) fn encode_standard(bytes: &[u8], out: &mut String) {
    base64::engine::general_purpose::STANDARD.encode_string(bytes, out);
}

/// URL-safe alphabet, unpadded (RFC 8428 section 4.3).
pub(crate) fn encode_url(bytes: &[u8], out: &mut String) {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_string(bytes, out);
}

/// Decodes either alphabet, padded or not. `None` for anything that is not canonical base64.
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    // Padding is optional, but when present it must be complete ("Zg==", not "Zg=").
    if text.ends_with('=') && text.len() % 4 != 0 {
        return None;
    }
    STANDARD_LENIENT
        .decode(text)
        .or_else(|_| URL_SAFE_LENIENT.decode(text))
        .ok()
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

    #[test]
    fn rejects_garbage() {
        for bad in [
            "Z", "Zg=", "Zh==", "Zm9v!", "Zm 9v", "=", "Zg==Zg==", "Zm9=v",
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }
}
