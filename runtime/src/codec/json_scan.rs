//! A borrowing scanner for the flat JSON of SenML and OMA JSON payloads: the fast path of their
//! decoders, in front of the tree parser [`json_value`](super::json_value).
//!
//! It reads only a strict subset of JSON, without building a tree or copying strings: strings
//! without escapes or control characters, numbers that `serde_json` would read exactly the same
//! way, `true`, `false`, `null`, and the arrays and objects the caller walks itself. On anything
//! else (an escape, a nested value where the caller expects none, a number it does not handle,
//! bad syntax) it answers `None`, and the caller decodes the payload again with `json_value`,
//! which then either accepts it or gives the error. So the scanner never decides that a payload
//! is invalid, and never accepts one `json_value` (which reads what `serde_json` reads) rejects.

/// A scalar JSON value, borrowed from the payload.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Scalar<'a> {
    /// A string without escapes.
    Str(&'a str),
    /// An integer literal within `i64` or `u64`, as `serde_json` reads it.
    Int(i128),
    /// A number with a fraction or exponent (finite).
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// A JSON number as [`Scanner::number_value`] reads it: 16 bytes, so it comes back in registers
/// (a [`Scalar`], with its `i128`, goes through memory).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    /// An integer within `i64`.
    Int(i64),
    /// An integer above `i64::MAX`, within `u64`.
    UInt(u64),
    /// A number with a fraction or exponent (finite).
    Float(f64),
}

impl Number {
    fn scalar<'a>(self) -> Scalar<'a> {
        match self {
            Number::Int(n) => Scalar::Int(i128::from(n)),
            Number::UInt(n) => Scalar::Int(i128::from(n)),
            Number::Float(x) => Scalar::Float(x),
        }
    }
}

/// A position in a JSON payload.
pub(crate) struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    /// A scanner over `bytes`, `None` when they are not UTF-8 (JSON text is; serde_json says
    /// where it is not).
    pub(crate) fn new(bytes: &'a [u8]) -> Option<Self> {
        let text = core::str::from_utf8(bytes).ok()?;
        Some(Scanner {
            text,
            bytes,
            pos: 0,
        })
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[inline]
    fn skip_ws(&mut self) {
        // Compact JSON has none: one comparison decides (whitespace is at most a space).
        while let Some(&b) = self.bytes.get(self.pos) {
            if b > b' ' || !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                return;
            }
            self.pos += 1;
        }
    }

    /// Skips whitespace, then consumes `byte` if it comes next.
    pub(crate) fn eat(&mut self, byte: u8) -> bool {
        self.skip_ws();
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Skips whitespace and requires `byte`.
    pub(crate) fn expect(&mut self, byte: u8) -> Option<()> {
        self.eat(byte).then_some(())
    }

    /// Whether only whitespace is left.
    pub(crate) fn at_end(&mut self) -> bool {
        self.skip_ws();
        self.pos == self.bytes.len()
    }

    /// Walks the members of an array: `item` is called at each element, after the `[` and the
    /// commas; the closing `]` ends it.
    pub(crate) fn array(&mut self, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.expect(b'[')?;
        if self.eat(b']') {
            return Some(());
        }
        loop {
            item(self)?;
            self.skip_ws();
            match self.peek()? {
                b']' => {
                    self.pos += 1;
                    return Some(());
                }
                b',' => self.pos += 1,
                _ => return None,
            }
        }
    }

    /// Walks the members of an object: `member` is called with each key, positioned at its value.
    pub(crate) fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, &'a str) -> Option<()>,
    ) -> Option<()> {
        self.expect(b'{')?;
        if self.eat(b'}') {
            return Some(());
        }
        loop {
            self.skip_ws();
            let key = self.string()?;
            self.expect(b':')?;
            member(self, key)?;
            self.skip_ws();
            match self.peek()? {
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                b',' => self.pos += 1,
                _ => return None,
            }
        }
    }

    /// A string without escapes or control characters (`None` for anything else).
    #[inline]
    fn string(&mut self) -> Option<&'a str> {
        if self.peek() != Some(b'"') {
            return None;
        }
        let start = self.pos + 1;
        let rest = self.bytes.get(start..)?;
        let len = rest
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        if *rest.get(len)? != b'"' {
            return None;
        }
        self.pos = start + len + 1;
        // The quotes are ASCII, so both ends are character boundaries.
        self.text.get(start..start + len)
    }

    /// The next value when it is a string this scanner reads (`None` for anything else).
    #[inline]
    pub(crate) fn string_value(&mut self) -> Option<&'a str> {
        self.skip_ws();
        self.string()
    }

    /// The next value when it is a number this scanner reads (`None` for anything else).
    #[inline]
    pub(crate) fn number_value(&mut self) -> Option<Number> {
        self.skip_ws();
        match self.peek()? {
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// The next value, when it is a scalar this scanner reads.
    pub(crate) fn scalar(&mut self) -> Option<Scalar<'a>> {
        self.skip_ws();
        match self.peek()? {
            b'"' => self.string().map(Scalar::Str),
            b't' => self.literal(b"true", Scalar::Bool(true)),
            b'f' => self.literal(b"false", Scalar::Bool(false)),
            b'n' => self.literal(b"null", Scalar::Null),
            b'-' | b'0'..=b'9' => self.number().map(Number::scalar),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8], value: Scalar<'a>) -> Option<Scalar<'a>> {
        let end = self.pos + word.len();
        if self.bytes.get(self.pos..end)? != word {
            return None;
        }
        self.pos = end;
        Some(value)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    /// A number in JSON syntax (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`).
    ///
    /// Integers are read as `serde_json` reads them: within `u64` when positive, within `i64`
    /// when negative. `-0` (a float there) and integers beyond those are left to `json_value`.
    /// Other numbers are read with `numfmt::parse_f64`, correctly rounded as `serde_json`'s
    /// `float_roundtrip` reads them; infinities (out of range there) are left to it too.
    #[cfg_attr(feature = "std", inline(always))]
    fn number(&mut self) -> Option<Number> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        // The integer digits, read as a u64 on the way: up to 19 digits cannot overflow it
        // (10^19 - 1 < 2^64); longer ones are read again, checked.
        let int_start = self.pos;
        let mut magnitude = 0u64;
        while let Some(&digit @ b'0'..=b'9') = self.bytes.get(self.pos) {
            magnitude = magnitude
                .wrapping_mul(10)
                .wrapping_add(u64::from(digit - b'0'));
            self.pos += 1;
        }
        let int_len = self.pos - int_start;
        if int_len == 0 || (int_len > 1 && self.bytes.get(int_start) == Some(&b'0')) {
            return None;
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return None;
            }
            integer = false;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return None;
            }
            integer = false;
        }
        if integer {
            let magnitude = if int_len <= 19 {
                magnitude
            } else {
                checked_u64(self.bytes.get(int_start..self.pos)?)?
            };
            return match (negative, magnitude) {
                (false, n) => Some(match i64::try_from(n) {
                    Ok(n) => Number::Int(n),
                    Err(_) => Number::UInt(n),
                }),
                (true, 0) => None,
                // Within i64: -2^63 wraps to itself.
                (true, n) if n <= 1 << 63 => Some(Number::Int((n as i64).wrapping_neg())),
                (true, _) => None,
            };
        }
        let x = crate::numfmt::parse_f64(self.text.get(start..self.pos)?)?;
        x.is_finite().then_some(Number::Float(x))
    }
}

/// ASCII digits as a u64, `None` beyond it (as `str::parse` would say).
fn checked_u64(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |magnitude, &digit| {
        magnitude
            .checked_mul(10)?
            .checked_add(u64::from(digit.wrapping_sub(b'0')))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::prelude::*;

    fn one(text: &str) -> Option<Scalar<'_>> {
        let mut s = Scanner::new(text.as_bytes())?;
        let value = s.scalar()?;
        s.at_end().then_some(value)
    }

    #[test]
    fn scalars_it_reads() {
        assert_eq!(one(" \"a b\" "), Some(Scalar::Str("a b")));
        assert_eq!(one("\"é\""), Some(Scalar::Str("é")));
        assert_eq!(one("0"), Some(Scalar::Int(0)));
        assert_eq!(one("-12"), Some(Scalar::Int(-12)));
        assert_eq!(
            one("18446744073709551615"),
            Some(Scalar::Int(i128::from(u64::MAX)))
        );
        assert_eq!(
            one("-9223372036854775808"),
            Some(Scalar::Int(i128::from(i64::MIN)))
        );
        // 19 digits (read unchecked) and 20 (read checked).
        assert_eq!(
            one("9999999999999999999"),
            Some(Scalar::Int(9_999_999_999_999_999_999))
        );
        assert_eq!(
            one("10000000000000000000"),
            Some(Scalar::Int(10_000_000_000_000_000_000))
        );
        assert_eq!(one("00"), None);
        assert_eq!(one("1.5e2"), Some(Scalar::Float(150.0)));
        assert_eq!(one("-0.25"), Some(Scalar::Float(-0.25)));
        assert_eq!(one("true"), Some(Scalar::Bool(true)));
        assert_eq!(one("null"), Some(Scalar::Null));
    }

    #[test]
    fn leaves_the_rest_to_serde_json() {
        for text in [
            "\"a\\nb\"",
            "\"tab\there\"",
            "-0",
            "18446744073709551616",
            "-9223372036854775809",
            "01",
            "1.",
            ".5",
            "1e",
            "+1",
            "1e999",
            "tru",
            "nul",
            "[1]",
            "{}",
            "\"open",
            "",
        ] {
            assert_eq!(one(text), None, "{text:?}");
        }
        // Bytes that are not UTF-8.
        assert!(Scanner::new(b"\"\xff\"").is_none());
    }

    #[test]
    fn walks_arrays_and_objects() {
        let mut s = Scanner::new(br#" [ {"a" : 1 , "b":"x"}, {} ] "#).unwrap();
        let mut seen = Vec::new();
        s.array(|s| {
            s.object(|s, key| {
                seen.push((key, s.scalar()?));
                Some(())
            })
        })
        .unwrap();
        assert!(s.at_end());
        assert_eq!(seen, [("a", Scalar::Int(1)), ("b", Scalar::Str("x"))]);
        for bad in ["[1,]", "[,1]", "{\"a\" 1}", "{\"a\":1,}", "[1 2]"] {
            let mut s = Scanner::new(bad.as_bytes()).unwrap();
            let walked = if bad.starts_with('[') {
                s.array(|s| s.scalar().map(|_| ()))
            } else {
                s.object(|s, _| s.scalar().map(|_| ()))
            };
            assert_eq!(walked, None, "{bad}");
        }
    }
}
