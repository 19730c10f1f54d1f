//! A JSON document as a tree: the slow path of the SenML JSON and OMA JSON decoders, behind the
//! borrowing scanner ([`super::json_scan`]).
//!
//! It reads exactly what `serde_json::from_slice::<serde_json::Value>` reads (RFC 8259; the tests
//! compare the two on random input) into the same shape: objects iterate in key order, and of a
//! key given twice the last value counts; integers within `u64` (or `i64` when negative) stay
//! integers, other numbers are correctly rounded floats, and a number beyond `f64` is an error;
//! strings with a lone UTF-16 surrogate are an error; nesting stops at 127 levels. Written out
//! instead of taking serde_json: its parser and value type were 30 KiB of `demo-client`'s code,
//! and the decoders need nothing of the rest.

use crate::prelude::*;
use alloc::collections::BTreeMap;

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object: its members in key order, each key once (the last value given), as
    /// serde_json's default `Map`.
    Object(BTreeMap<String, Value>),
}

/// A JSON number, as `serde_json::Number` keeps it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    /// A non-negative integer within `u64`.
    PosInt(u64),
    /// A negative integer within `i64`.
    NegInt(i64),
    /// Any other number (finite).
    Float(f64),
}

impl Number {
    /// The number as an `i64`, when it is an integer that fits.
    pub(crate) fn as_i64(&self) -> Option<i64> {
        match *self {
            Number::PosInt(n) => i64::try_from(n).ok(),
            Number::NegInt(n) => Some(n),
            Number::Float(_) => None,
        }
    }

    /// The number as a `u64`, when it is a non-negative integer.
    pub(crate) fn as_u64(&self) -> Option<u64> {
        match *self {
            Number::PosInt(n) => Some(n),
            _ => None,
        }
    }

    /// The number as an `f64` (integers rounded to the nearest).
    pub(crate) fn as_f64(&self) -> Option<f64> {
        Some(match *self {
            Number::PosInt(n) => n as f64,
            Number::NegInt(n) => n as f64,
            Number::Float(x) => x,
        })
    }
}

/// Nesting deeper than this is refused (serde_json's recursion limit).
const MAX_DEPTH: usize = 127;

/// Parses one JSON value, surrounded by whitespace only. `None` when the bytes are not JSON.
pub(crate) fn from_slice(bytes: &[u8]) -> Option<Value> {
    let mut parser = Parser { bytes, pos: 0 };
    let value = parser.value(0)?;
    parser.whitespace();
    (parser.pos == bytes.len()).then_some(value)
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Consumes `literal` if the input continues with it.
    fn literal(&mut self, literal: &[u8]) -> Option<()> {
        let end = self.pos.checked_add(literal.len())?;
        (self.bytes.get(self.pos..end)? == literal).then(|| self.pos = end)
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        self.whitespace();
        Some(match self.peek()? {
            b'n' => self.literal(b"null").map(|()| Value::Null)?,
            b't' => self.literal(b"true").map(|()| Value::Bool(true))?,
            b'f' => self.literal(b"false").map(|()| Value::Bool(false))?,
            b'"' => Value::String(self.string()?),
            b'-' | b'0'..=b'9' => Value::Number(self.number()?),
            b'[' => {
                let depth = depth + 1;
                if depth > MAX_DEPTH {
                    return None;
                }
                self.pos += 1;
                let mut items = Vec::new();
                self.whitespace();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Some(Value::Array(items));
                }
                loop {
                    items.push(self.value(depth)?);
                    self.whitespace();
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b']' => {
                            self.pos += 1;
                            break Value::Array(items);
                        }
                        _ => return None,
                    }
                }
            }
            b'{' => {
                let depth = depth + 1;
                if depth > MAX_DEPTH {
                    return None;
                }
                self.pos += 1;
                let mut members = BTreeMap::new();
                self.whitespace();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Some(Value::Object(members));
                }
                loop {
                    self.whitespace();
                    if self.peek()? != b'"' {
                        return None;
                    }
                    let key = self.string()?;
                    self.whitespace();
                    if self.peek()? != b':' {
                        return None;
                    }
                    self.pos += 1;
                    let value = self.value(depth)?;
                    // The last value of a key counts.
                    members.insert(key, value);
                    self.whitespace();
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b'}' => {
                            self.pos += 1;
                            break Value::Object(members);
                        }
                        _ => return None,
                    }
                }
            }
            _ => return None,
        })
    }

    /// A string, the opening quote next.
    fn string(&mut self) -> Option<String> {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let b = self.peek()?;
            self.pos += 1;
            match b {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let escape = self.peek()?;
                    self.pos += 1;
                    let c = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let unit = self.hex4()?;
                            let code = match unit {
                                0xD800..=0xDBFF => {
                                    // A high surrogate: a low one must follow.
                                    self.literal(b"\\u")?;
                                    let low = self.hex4()?;
                                    if !(0xDC00..=0xDFFF).contains(&low) {
                                        return None;
                                    }
                                    0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                                }
                                0xDC00..=0xDFFF => return None,
                                _ => unit,
                            };
                            char::from_u32(code)?
                        }
                        _ => return None,
                    };
                    let mut buf = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                // Control characters must be escaped.
                0..=0x1f => return None,
                _ => out.push(b),
            }
        }
    }

    /// Four hex digits.
    fn hex4(&mut self) -> Option<u32> {
        let mut unit = 0;
        for _ in 0..4 {
            let digit = char::from(self.peek()?).to_digit(16)?;
            self.pos += 1;
            unit = unit << 4 | digit;
        }
        Some(unit)
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> Option<Number> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        match self.peek()? {
            b'0' => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return None;
                }
            }
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        let int_end = self.pos;
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return None;
            }
            self.digits();
            integer = false;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return None;
            }
            self.digits();
            integer = false;
        }
        let text = core::str::from_utf8(self.bytes.get(start..self.pos)?).ok()?;
        if integer {
            // Within u64 stays an integer; a negative one within i64 too, except -0.
            let digits = self.bytes.get(start + usize::from(negative)..int_end)?;
            let magnitude = digits.iter().try_fold(0u64, |n, &d| {
                n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
            });
            match (negative, magnitude) {
                (false, Some(n)) => return Some(Number::PosInt(n)),
                (true, Some(n)) if n != 0 && n <= 1 << 63 => {
                    return Some(Number::NegInt((n as i64).wrapping_neg()));
                }
                _ => {}
            }
        }
        let x = crate::numfmt::parse_f64(text)?;
        x.is_finite().then_some(Number::Float(x))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// serde_json's reading of `bytes` in this module's shape.
    fn serde(bytes: &[u8]) -> Option<Value> {
        fn convert(v: serde_json::Value) -> Value {
            match v {
                serde_json::Value::Null => Value::Null,
                serde_json::Value::Bool(b) => Value::Bool(b),
                serde_json::Value::Number(n) => Value::Number(if let Some(u) = n.as_u64() {
                    Number::PosInt(u)
                } else if let Some(i) = n.as_i64() {
                    Number::NegInt(i)
                } else {
                    Number::Float(n.as_f64().unwrap())
                }),
                serde_json::Value::String(s) => Value::String(s),
                serde_json::Value::Array(a) => Value::Array(a.into_iter().map(convert).collect()),
                serde_json::Value::Object(o) => {
                    Value::Object(o.into_iter().map(|(k, v)| (k, convert(v))).collect())
                }
            }
        }
        serde_json::from_slice::<serde_json::Value>(bytes)
            .ok()
            .map(convert)
    }

    fn same(text: &[u8]) {
        // Floats compared by bits: -0.0 and 0.0 differ.
        let ours = from_slice(text).map(|v| format!("{v:?}"));
        let theirs = serde(text).map(|v| format!("{v:?}"));
        assert_eq!(ours, theirs, "{:?}", String::from_utf8_lossy(text));
    }

    #[test]
    fn reads_what_serde_json_reads() {
        for text in [
            "null",
            " true ",
            "false",
            "0",
            "-0",
            "-0.0",
            "1",
            "-1",
            "01",
            "1.",
            ".5",
            "1e5",
            "1E+5",
            "1e-5",
            "-",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "1e400",
            "-1e400",
            "1e-400",
            "0e99999999999",
            "123456789012345678901234567890",
            r#""a""#,
            r#""\u00e9\n\t\"\\\/""#,
            r#""\ud83d\ude00""#,
            r#""\ud83d""#,
            r#""\ude00""#,
            r#""\ud83dx""#,
            r#""\u12""#,
            r#""\x""#,
            "\"a\u{1}\"",
            "\"é\"",
            "[]",
            "[1,2,]",
            "[1 2]",
            "{}",
            r#"{"a":1,"a":2}"#,
            r#"{"b":1,"a":[{"c":null}]}"#,
            r#"{"a" 1}"#,
            r#"{1:2}"#,
            r#"{"a":1,}"#,
            "[1] x",
            "",
            " ",
            "nul",
            "truex",
            "[[[[]]]]",
            "\u{feff}1",
        ] {
            same(text.as_bytes());
        }
        same(b"\"\xff\"");
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        same(deep(127).as_bytes());
        same(deep(128).as_bytes());
        same(deep(129).as_bytes());
    }

    proptest! {
        #[test]
        fn strings_are_escaped_as_serde_json_escapes(s in "[\\x00-\\x7f\u{e9}\u{1f600}]{0,16}") {
            let mut ours = Vec::new();
            crate::codec::senml::json_str(&mut ours, &s);
            prop_assert_eq!(ours, serde_json::to_vec(&s).unwrap());
        }

        #[test]
        fn any_text_reads_as_in_serde_json(text in r#"[ \[\]{}:,"\\0-9.eE+\-aftrunlsx\u00e9]{0,24}"#) {
            same(text.as_bytes());
        }

        #[test]
        fn senml_like_text_reads_as_in_serde_json(
            text in r#"\[(\{("(n|v|bn|vs|t)"|x) ?: ?(-?[0-9]{1,22}(\.[0-9]{0,20})?([eE][+-]?[0-9]{1,3})?|"[a-z\\/u0-9]{0,8}"|true|null|\[\]),? ?\},?){0,4}\]?"#
        ) {
            same(text.as_bytes());
        }
    }
}
