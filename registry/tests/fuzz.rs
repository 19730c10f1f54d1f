//! Property tests: no input makes the parser panic.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests may panic on unexpected results.

mod common;

use lwm2m_model::{parse_bytes, parse_str};
use proptest::prelude::*;

/// A real registry file (3303, Temperature), as bundled.
fn real_file() -> &'static str {
    lwm2m_model::Registry::bundled_files()
        .iter()
        .find(|(name, _)| *name == "3303.xml")
        .map(|(_, text)| *text)
        .unwrap()
}

/// Applies edits `(offset, operation, value)`: overwrite, remove or insert a byte, or insert a
/// piece of markup.
fn mutate(text: &str, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    for &(at, op, value) in edits {
        if bytes.is_empty() {
            break;
        }
        let at = at % bytes.len();
        match op % 4 {
            0 => bytes[at] = value,
            1 => {
                bytes.remove(at);
            }
            2 => bytes.insert(at, value),
            _ => {
                // Insert a piece of markup.
                let pieces: [&[u8]; 8] = [
                    b"<",
                    b">",
                    b"</Item>",
                    b"<Item ID=\"1\">",
                    b"<![CDATA[",
                    b"&",
                    b"-->",
                    b"\xC3",
                ];
                let piece = pieces[usize::from(value) % pieces.len()];
                bytes.splice(at..at, piece.iter().copied());
            }
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_do_not_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let parsed = parse_bytes("fuzz.xml", &bytes);
        prop_assert!(parsed.object.is_some() || !parsed.diagnostics.is_empty());
    }

    #[test]
    fn arbitrary_text_does_not_panic(text in "(<|>|/|[A-Za-z]|&|;|#|\\.|[0-9]| |\n|\"|=|!|-|\\[|\\]|€)*") {
        let parsed = parse_str("fuzz.xml", &text);
        prop_assert!(parsed.object.is_some() || !parsed.diagnostics.is_empty());
    }

    #[test]
    fn mutated_real_file_does_not_panic(edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..8)) {
        let bytes = mutate(real_file(), &edits);
        let parsed = parse_bytes("3303.xml", &bytes);
        for d in &parsed.diagnostics {
            prop_assert!(d.line >= 1 && d.column >= 1);
        }
        if parsed.diagnostics.iter().any(|d| d.is_error()) {
            prop_assert!(parsed.object.is_none());
        }
    }

    #[test]
    fn mutated_items_do_not_panic(id in any::<i64>(), kind in ".{0,12}", ops in ".{0,3}", range in ".{0,20}") {
        let text = common::doc(&common::item(&id.to_string(), "N", &ops, &kind, &range));
        let _ = parse_str("item.xml", &text);
    }
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    let depth = 100_000;
    let nested = format!("{}{}", "<x>".repeat(depth), "</x>".repeat(depth));
    for place in ["<Units></Units>", "<Resources>"] {
        let replacement = if place == "<Resources>" {
            format!("<Resources>{nested}")
        } else {
            format!("<Units>{nested}</Units>")
        };
        let text = common::simple().replace(place, &replacement);
        let _ = parse_str("deep.xml", &text);
    }
}

#[test]
fn real_file_is_clean() {
    let parsed = parse_str("3303.xml", real_file());
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
}
