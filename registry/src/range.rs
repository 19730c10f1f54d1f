//! Best-effort parsing of `RangeEnumeration` text into a [`Constraint`].
//!
//! The registry writes ranges in many ways (see the registry's FORMAT.md §5 and §10). Recognized:
//!
//! | text | constraint |
//! | --- | --- |
//! | `0..255`, `1...15`, `0-50` (hyphen range; `-1..1` keeps its sign) | [`Constraint::Range`] |
//! | `5, 10, 15, 20`, `255`, `0..247, 255`, `0; 3.8..20.5` | [`Constraint::Enumeration`] |
//! | `0..255 bytes`, `0-255 bytes`, and `a..b` on a String/Opaque | [`Constraint::Length`] |
//! | `32 bytes`, `8-Bits` (= 1 octet), `16,32,48` on an Opaque, `0 or 26 Bytes` | [`Constraint::Lengths`] |
//! | `0: ON` lines, `"foo","bar"` | [`Constraint::Labels`] |
//! | anything else (`2 Instances`, `<7 to >12.5`) | [`Constraint::Unparsed`], with a warning |
//!
//! Integers stay exact up to `u64::MAX`. A reversed range such as `-30..-120` is kept as written,
//! with a warning. Parsing never fails.

use std::cmp::Ordering;

use crate::model::{Constraint, Number, Range, RangeItem, ResourceType};

/// The result of [`parse`]: the range and, when the text is odd, a warning saying what was
/// assumed.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeParse {
    /// The text (trimmed) and its meaning.
    pub range: Range,
    /// Set when the text could not be understood or is suspicious (for example reversed).
    pub warning: Option<String>,
}

/// Parses a `RangeEnumeration` for a resource of type `kind` (`None`: executable).
///
/// For String and Opaque resources the numbers are lengths in octets.
pub fn parse(text: &str, kind: Option<ResourceType>) -> RangeParse {
    let text = text.trim();
    let (constraint, warning) = match understand(text, kind) {
        Some(constraint) => {
            let warning = reversed(&constraint).then(|| {
                format!(
                    "RangeEnumeration \"{text}\" is reversed (its minimum is above its maximum): \
                     kept as written"
                )
            });
            (constraint, warning)
        }
        None => (
            Constraint::Unparsed,
            Some(format!(
                "RangeEnumeration \"{text}\" is neither a range nor an enumeration: kept as free \
                 text (documentation only, not enforced)"
            )),
        ),
    };
    RangeParse {
        range: Range {
            text: text.to_owned(),
            constraint,
        },
        warning,
    }
}

/// What a unit word after the numbers says they count.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Unit {
    None,
    Bytes,
    Bits,
}

fn understand(text: &str, kind: Option<ResourceType>) -> Option<Constraint> {
    if text.is_empty() {
        return None;
    }
    if let Some(labels) = labelled(text).or_else(|| quoted(text)) {
        return Some(Constraint::Labels(labels));
    }
    let (numbers, unit) = strip_unit(text);
    let items = enumeration(numbers)?;
    let lengths =
        unit != Unit::None || matches!(kind, Some(ResourceType::String | ResourceType::Opaque));
    if !lengths {
        return Some(match items.as_slice() {
            [RangeItem::Range(min, max)] => Constraint::Range {
                min: *min,
                max: *max,
            },
            _ => Constraint::Enumeration(items),
        });
    }
    let octets = |n: &Number| -> Option<u64> {
        let n = match *n {
            Number::Int(v) => u64::try_from(v).ok()?,
            Number::UInt(v) => v,
            Number::Float(_) => return None,
        };
        match unit {
            Unit::Bits => (n % 8 == 0).then_some(n / 8),
            _ => Some(n),
        }
    };
    match items.as_slice() {
        [RangeItem::Range(min, max)] => Some(Constraint::Length {
            min: octets(min)?,
            max: octets(max)?,
        }),
        _ => items
            .iter()
            .map(|item| match item {
                RangeItem::Value(v) => octets(v),
                RangeItem::Range(..) => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(Constraint::Lengths),
    }
}

/// Whether a range (or length range) has its minimum above its maximum.
fn reversed(constraint: &Constraint) -> bool {
    match constraint {
        Constraint::Range { min, max } => compare(min, max) == Some(Ordering::Greater),
        Constraint::Length { min, max } => min > max,
        Constraint::Enumeration(items) => items.iter().any(|item| {
            matches!(item, RangeItem::Range(min, max) if compare(min, max) == Some(Ordering::Greater))
        }),
        _ => false,
    }
}

/// Compares two numbers; integers exactly.
fn compare(a: &Number, b: &Number) -> Option<Ordering> {
    let int = |n: &Number| match *n {
        Number::Int(v) => Some(i128::from(v)),
        Number::UInt(v) => Some(i128::from(v)),
        Number::Float(_) => None,
    };
    let float = |n: &Number| match *n {
        Number::Int(v) => v as f64,
        Number::UInt(v) => v as f64,
        Number::Float(v) => v,
    };
    match (int(a), int(b)) {
        (Some(a), Some(b)) => Some(a.cmp(&b)),
        _ => float(a).partial_cmp(&float(b)),
    }
}

/// `0: ON` / `1 = OFF` entries, one per line (or separated by `,`/`;` on a single line).
fn labelled(text: &str) -> Option<Vec<(Option<Number>, String)>> {
    let entries: Vec<&str> = if text.contains('\n') {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    } else {
        text.split([',', ';']).map(str::trim).collect()
    };
    entries
        .iter()
        .map(|entry| {
            let (value, label) = entry.split_once([':', '='])?;
            let label = label.trim();
            if label.is_empty() {
                return None;
            }
            Some((Some(number(value.trim())?), label.to_owned()))
        })
        .collect()
}

/// `"foo", "bar"`: quoted strings separated by `,` or `;`.
fn quoted(text: &str) -> Option<Vec<(Option<Number>, String)>> {
    let mut labels = Vec::new();
    let mut rest = text;
    loop {
        let inner = rest.strip_prefix('"')?;
        let end = inner.find('"')?;
        labels.push((None, inner.get(..end)?.to_owned()));
        rest = inner.get(end + 1..)?.trim_start();
        if rest.is_empty() {
            return Some(labels);
        }
        rest = rest.strip_prefix([',', ';'])?.trim_start();
    }
}

/// Removes a trailing unit word: `bytes`/`byte` or `bits`/`bit`, with an optional `-` before it.
fn strip_unit(text: &str) -> (&str, Unit) {
    let lower = text.to_ascii_lowercase();
    for (suffix, unit) in [
        ("bytes", Unit::Bytes),
        ("byte", Unit::Bytes),
        ("bits", Unit::Bits),
        ("bit", Unit::Bits),
    ] {
        if lower.ends_with(suffix) {
            if let Some(head) = text.get(..text.len() - suffix.len()) {
                let head = head.trim_end().trim_end_matches('-').trim_end();
                // A unit word needs a number before it ("8-Bits", "0..255 bytes").
                if head.ends_with(|c: char| c.is_ascii_digit()) {
                    return (head, unit);
                }
            }
        }
    }
    (text, Unit::None)
}

/// Items separated by `,`, `;` or ` or `.
fn enumeration(text: &str) -> Option<Vec<RangeItem>> {
    let mut items = Vec::new();
    for part in text.split([',', ';']).flat_map(|p| p.split(" or ")) {
        items.extend(item(part.trim())?);
    }
    (!items.is_empty()).then_some(items)
}

/// One item: a number, a range `a..b` / `a...b` / `a-b`, or a hyphen chain `16-32-48` (values).
fn item(text: &str) -> Option<Vec<RangeItem>> {
    let (first, mut rest) = leading_number(text)?;
    if rest.is_empty() {
        return Some(vec![RangeItem::Value(first)]);
    }
    for separator in ["...", ".."] {
        if let Some(tail) = rest.trim_start().strip_prefix(separator) {
            let max = number(tail.trim())?;
            return Some(vec![RangeItem::Range(first, max)]);
        }
    }
    let mut values = vec![first];
    while !rest.is_empty() {
        let tail = rest.trim_start().strip_prefix('-')?;
        let (next, tail) = leading_number(tail.trim_start())?;
        values.push(next);
        rest = tail;
    }
    match values.as_slice() {
        [min, max] => Some(vec![RangeItem::Range(*min, *max)]),
        _ => Some(values.into_iter().map(RangeItem::Value).collect()),
    }
}

/// Splits a number off the start of `text`; returns it and the rest (not trimmed).
fn leading_number(text: &str) -> Option<(Number, &str)> {
    let bytes = text.as_bytes();
    let mut end = usize::from(matches!(bytes.first(), Some(b'-' | b'+')));
    let digits = |from: usize| {
        bytes
            .get(from..)
            .map_or(0, |b| b.iter().take_while(|c| c.is_ascii_digit()).count())
    };
    let integer = digits(end);
    if integer == 0 {
        return None;
    }
    end += integer;
    // A fraction, but not the start of a `..` range.
    if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
        end += 1 + digits(end + 1);
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(bytes.get(end + 1), Some(b'-' | b'+')));
        let exponent = digits(end + 1 + sign);
        if exponent > 0 {
            end += 1 + sign + exponent;
        }
    }
    Some((number(text.get(..end)?)?, text.get(end..)?))
}

/// Parses a whole number: an integer exactly (`i64`, else `u64`), else a float.
fn number(text: &str) -> Option<Number> {
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    let is_integer = {
        let digits = unsigned.strip_prefix('-').unwrap_or(unsigned);
        !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit())
    };
    if is_integer {
        return match unsigned.parse::<i64>() {
            Ok(v) => Some(Number::Int(v)),
            Err(_) => unsigned.parse::<u64>().ok().map(Number::UInt),
        };
    }
    let valid = unsigned
        .bytes()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == b'-')
        && unsigned
            .bytes()
            .all(|c| c.is_ascii_digit() || b"-+.eE".contains(&c));
    if !valid {
        return None;
    }
    unsigned
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(Number::Float)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use Number::{Float, Int, UInt};
    use ResourceType as T;

    fn constraint(text: &str, kind: Option<ResourceType>) -> Constraint {
        let parsed = parse(text, kind);
        assert_eq!(parsed.warning, None, "unexpected warning for {text:?}");
        parsed.range.constraint
    }

    fn range(min: Number, max: Number) -> Constraint {
        Constraint::Range { min, max }
    }

    #[test]
    fn two_dot_range() {
        assert_eq!(
            constraint("0..255", Some(T::Integer)),
            range(Int(0), Int(255))
        );
        assert_eq!(
            constraint("-1..1", Some(T::Integer)),
            range(Int(-1), Int(1))
        );
        assert_eq!(
            constraint("0 .. 10", Some(T::Integer)),
            range(Int(0), Int(10))
        );
    }

    #[test]
    fn float_range() {
        assert_eq!(
            constraint("0.000001..1.0", Some(T::Float)),
            range(Float(0.000001), Float(1.0))
        );
        assert_eq!(
            constraint("0.0..100.0", Some(T::Float)),
            range(Float(0.0), Float(100.0))
        );
    }

    #[test]
    fn three_dot_range() {
        assert_eq!(
            constraint("1...15", Some(T::Integer)),
            range(Int(1), Int(15))
        );
    }

    #[test]
    fn hyphen_range_is_not_a_negative_number() {
        assert_eq!(constraint("0-50", Some(T::Integer)), range(Int(0), Int(50)));
        assert_eq!(
            constraint("1-65535", Some(T::Integer)),
            range(Int(1), Int(65535))
        );
        assert_eq!(constraint("-5-5", Some(T::Integer)), range(Int(-5), Int(5)));
        assert_eq!(
            constraint("-5", Some(T::Integer)),
            Constraint::Enumeration(vec![RangeItem::Value(Int(-5))])
        );
    }

    #[test]
    fn sixty_four_bit_extremes_are_exact() {
        assert_eq!(
            constraint("0..18446744073709551615", Some(T::UnsignedInteger)),
            range(Int(0), UInt(u64::MAX))
        );
        assert_eq!(
            constraint(
                "-9223372036854775808..9223372036854775807",
                Some(T::Integer)
            ),
            range(Int(i64::MIN), Int(i64::MAX))
        );
        assert_eq!(
            constraint("0..4294967295", Some(T::Integer)),
            range(Int(0), Int(4294967295))
        );
    }

    #[test]
    fn beyond_u64_is_free_text() {
        let parsed = parse("0..18446744073709551616", Some(T::UnsignedInteger));
        assert_eq!(parsed.range.constraint, Constraint::Unparsed);
        assert!(parsed.warning.is_some());
    }

    #[test]
    fn ranges_on_strings_and_opaque_are_lengths() {
        assert_eq!(
            constraint("0..255", Some(T::String)),
            Constraint::Length { min: 0, max: 255 }
        );
        assert_eq!(
            constraint("16,32,48", Some(T::Opaque)),
            Constraint::Lengths(vec![16, 32, 48])
        );
        assert_eq!(
            constraint("6", Some(T::Opaque)),
            Constraint::Lengths(vec![6])
        );
        assert_eq!(
            constraint("10,26", Some(T::String)),
            Constraint::Lengths(vec![10, 26])
        );
    }

    #[test]
    fn byte_lengths() {
        assert_eq!(
            constraint("0..255 bytes", Some(T::String)),
            Constraint::Length { min: 0, max: 255 }
        );
        assert_eq!(
            constraint("1..64 Bytes", Some(T::String)),
            Constraint::Length { min: 1, max: 64 }
        );
        assert_eq!(
            constraint("0-255 bytes", Some(T::String)),
            Constraint::Length { min: 0, max: 255 }
        );
        assert_eq!(
            constraint("32 bytes", Some(T::String)),
            Constraint::Lengths(vec![32])
        );
        assert_eq!(
            constraint("1 bytes", Some(T::Integer)),
            Constraint::Lengths(vec![1])
        );
        assert_eq!(
            constraint("16-32-48 bytes", Some(T::Opaque)),
            Constraint::Lengths(vec![16, 32, 48])
        );
        assert_eq!(
            constraint("0 or 26 Bytes", Some(T::String)),
            Constraint::Lengths(vec![0, 26])
        );
    }

    #[test]
    fn bit_lengths_become_octets() {
        assert_eq!(
            constraint("8-Bits", Some(T::Integer)),
            Constraint::Lengths(vec![1])
        );
        assert_eq!(
            constraint("16-bit", Some(T::Integer)),
            Constraint::Lengths(vec![2])
        );
        assert_eq!(
            constraint("8 bit", Some(T::Opaque)),
            Constraint::Lengths(vec![1])
        );
        assert_eq!(
            parse("12 bits", Some(T::Integer)).range.constraint,
            Constraint::Unparsed
        );
    }

    #[test]
    fn single_number() {
        assert_eq!(
            constraint("255", Some(T::Integer)),
            Constraint::Enumeration(vec![RangeItem::Value(Int(255))])
        );
        assert_eq!(
            constraint("64", Some(T::String)),
            Constraint::Lengths(vec![64])
        );
    }

    #[test]
    fn enumeration_with_spaces() {
        assert_eq!(
            constraint("5, 10, 15, 20", Some(T::Integer)),
            Constraint::Enumeration([5, 10, 15, 20].map(|v| RangeItem::Value(Int(v))).to_vec())
        );
        assert_eq!(
            constraint("0,1,2", Some(T::Integer)),
            Constraint::Enumeration([0, 1, 2].map(|v| RangeItem::Value(Int(v))).to_vec())
        );
    }

    #[test]
    fn range_plus_enumeration() {
        assert_eq!(
            constraint("0..247, 255", Some(T::Integer)),
            Constraint::Enumeration(vec![
                RangeItem::Range(Int(0), Int(247)),
                RangeItem::Value(Int(255))
            ])
        );
        assert_eq!(
            constraint("0; 3.8..20.5", Some(T::Float)),
            Constraint::Enumeration(vec![
                RangeItem::Value(Int(0)),
                RangeItem::Range(Float(3.8), Float(20.5))
            ])
        );
    }

    #[test]
    fn labelled_multi_line() {
        assert_eq!(
            constraint(
                "0: CONFIGURED_ON\n\t\t\t\t1: FULL_ON\r\n2: RECALL",
                Some(T::UnsignedInteger)
            ),
            Constraint::Labels(vec![
                (Some(Int(0)), "CONFIGURED_ON".into()),
                (Some(Int(1)), "FULL_ON".into()),
                (Some(Int(2)), "RECALL".into()),
            ])
        );
        assert_eq!(
            constraint("0: ON", Some(T::Integer)),
            Constraint::Labels(vec![(Some(Int(0)), "ON".into())])
        );
    }

    #[test]
    fn quoted_strings() {
        assert_eq!(
            constraint("\"foo\", \"b,ar\"", Some(T::String)),
            Constraint::Labels(vec![(None, "foo".into()), (None, "b,ar".into())])
        );
    }

    #[test]
    fn free_text_is_unparsed_with_a_warning() {
        for text in [
            "2 Instances",
            "The possible values are those listed in the LwM2M Core Specification",
            "<7 to >12.5",
            "ON;OFF",
            "[1:4]",
            "bytes",
            "1..",
            "..5",
        ] {
            let parsed = parse(text, Some(T::Integer));
            assert_eq!(parsed.range.constraint, Constraint::Unparsed, "{text}");
            assert_eq!(parsed.range.text, text);
            let warning = parsed.warning.unwrap_or_default();
            assert!(warning.contains("free text"), "{text}: {warning}");
        }
    }

    #[test]
    fn reversed_range_is_kept_with_a_warning() {
        let parsed = parse("-30..-120", Some(T::Integer));
        assert_eq!(parsed.range.constraint, range(Int(-30), Int(-120)));
        assert!(parsed.warning.unwrap_or_default().contains("reversed"));
    }

    #[test]
    fn text_is_trimmed() {
        let parsed = parse("  0..1 \n", Some(T::Integer));
        assert_eq!(parsed.range.text, "0..1");
    }
}
