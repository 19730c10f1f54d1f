//! Numbers as text without `core`'s float and 128-bit formatting and float parsing.
//!
//! `core`'s `Display` for `f64` links about 10 KiB of code and tables (Grisu with a Dragon
//! fallback, exact and shortest modes) and `i128`'s another 1.5 KiB: on a microcontroller
//! that is a sixth of the budget, for error messages and Discover attributes. Floats go through
//! zmij (the shortest round-trip digits serde_json writes too: `21.5`, `20`, `1e-7`), and
//! 128-bit integers, which only appear as wire values out of a resource's range, through `i64`
//! when they fit.
//!
//! `str::parse::<f64>` (Eisel-Lemire) links the 10 KiB `POWER_OF_FIVE_128` table besides its
//! code: [`parse_f64`] reads decimals with Clinger's exact fast path, and any other input with
//! a small big-integer check of the neighbouring halfway points, correctly rounded too (slower
//! for 17-digit values, which are rare in LwM2M payloads and attributes).

use core::cmp::Ordering;
use core::fmt;

use crate::prelude::*;

/// Displays a float with zmij: shortest round-trip digits, an integral value without `.0`
/// (`20`, as `core` writes it and as servers write attributes); `NaN`, `inf`, `-inf`
/// otherwise.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Float(pub f64);

impl fmt::Display for Float {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.0;
        if x.is_finite() {
            let mut buffer = zmij::Buffer::new();
            let text = buffer.format_finite(x);
            f.write_str(text.strip_suffix(".0").unwrap_or(text))
        } else if x.is_nan() {
            f.write_str("NaN")
        } else if x > 0.0 {
            f.write_str("inf")
        } else {
            f.write_str("-inf")
        }
    }
}

/// Displays a 128-bit integer as an `i64` or `u64` when it fits (always, for LwM2M values),
/// otherwise as "a 128-bit integer".
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wide(pub i128);

impl fmt::Display for Wide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Ok(n) = i64::try_from(self.0) {
            fmt::Display::fmt(&n, f)
        } else if let Ok(n) = u64::try_from(self.0) {
            fmt::Display::fmt(&n, f)
        } else {
            f.write_str("a 128-bit integer")
        }
    }
}

/// A decimal number as `str::parse::<f64>` reads it, correctly rounded (round half to even):
/// `[+-] digits [. digits] [(e|E) [+-] digits]`, with at least one digit before or after the
/// point. `inf` and `NaN` are not accepted; a value beyond `f64::MAX` gives an infinity, as in
/// `core`.
pub(crate) fn parse_f64(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let (negative, mut i) = match bytes.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    // The significant digits (leading zeros skipped, at most MAX_DIGITS of them kept, then a
    // sticky 1 for any non-zero digit dropped) and the power of ten that scales them.
    let mut digits: Vec<u8> = Vec::new();
    let mut sticky = false;
    let mut scale: i64 = 0;
    let mut seen_digit = false;
    let mut seen_point = false;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'0'..=b'9' => {
                seen_digit = true;
                if seen_point {
                    scale -= 1;
                }
                if digits.len() < MAX_DIGITS {
                    // Leading zeros are not significant (after the point they count in `scale`).
                    if b != b'0' || !digits.is_empty() {
                        digits.push(b - b'0');
                    }
                } else {
                    sticky |= b != b'0';
                    scale += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => break,
        }
        i += 1;
    }
    if !seen_digit {
        return None;
    }
    if let Some(b'e' | b'E') = bytes.get(i) {
        i += 1;
        let exp_negative = match bytes.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        let mut exp: i64 = 0;
        while let Some(&b @ b'0'..=b'9') = bytes.get(i) {
            exp = (exp * 10 + i64::from(b - b'0')).min(1 << 40);
            i += 1;
        }
        if i == start {
            return None;
        }
        scale += if exp_negative { -exp } else { exp };
    }
    if i != bytes.len() {
        return None;
    }
    if sticky {
        digits.push(1);
        scale -= 1;
    }
    // Trailing zeros only make the numbers bigger.
    while digits.last() == Some(&0) {
        digits.pop();
        scale += 1;
    }
    let magnitude = magnitude(&digits, scale);
    Some(if negative { -magnitude } else { magnitude })
}

/// More significant digits than any halfway point between two doubles has (767): the digits
/// beyond only matter as "some non-zero digit follows" (the sticky 1).
const MAX_DIGITS: usize = 800;

/// `digits * 10^scale` as the nearest `f64`; `digits` has no leading or trailing zeros.
fn magnitude(digits: &[u8], scale: i64) -> f64 {
    let count = digits.len() as i64;
    if count == 0 {
        return 0.0;
    }
    // Beyond f64's range either way: 10^309 > MAX, 10^-325 < half the smallest subnormal.
    if scale + count > 310 {
        return f64::INFINITY;
    }
    if scale + count < -325 {
        return 0.0;
    }
    // The first 19 digits fit a u64.
    let head = digits
        .iter()
        .take(19)
        .fold(0u64, |n, &d| n * 10 + u64::from(d));
    let head_scale = scale + (count - count.min(19));
    // Clinger's fast path: an exact integer of at most 53 bits times or over an exact power of
    // ten (10^22 is the last one a double holds), one correctly rounded operation.
    if count <= 19 && head < 1 << 53 && (-22..=22).contains(&head_scale) {
        let power = POWERS[head_scale.unsigned_abs() as usize];
        return if head_scale < 0 {
            head as f64 / power
        } else {
            head as f64 * power
        };
    }
    // An estimate within a few units in the last place (each step below is one rounding, the
    // subnormal range aside), then corrected by exact comparisons with the halfway points.
    let mut x = estimate(head, head_scale);
    let exact = Big::from_digits(digits);
    loop {
        let (m, k) = decompose(x);
        // The halfway point above x, (2m + 1) * 2^(k - 1); for f64::MAX, the rounding boundary
        // to infinity.
        let above = compare(&exact, scale, 2 * m + 1, k - 1);
        if above == Ordering::Greater || (above == Ordering::Equal && m & 1 == 1) {
            x = f64::from_bits(x.to_bits() + 1);
            if x.is_infinite() {
                return x;
            }
            continue;
        }
        if x == 0.0 {
            return x;
        }
        let below_x = f64::from_bits(x.to_bits() - 1);
        let (pm, pk) = decompose(below_x);
        // The halfway point below x: (pm * 2^pk + m * 2^k) / 2, with pk = k or k - 1.
        let (mid, mid_k) = if pk == k {
            (pm + m, k - 1)
        } else {
            (pm + 2 * m, pk - 1)
        };
        let below = compare(&exact, scale, mid, mid_k);
        if below == Ordering::Less || (below == Ordering::Equal && m & 1 == 1) {
            x = below_x;
            continue;
        }
        return x;
    }
}

/// `head * 10^scale` in floating point, a few units in the last place off at most (normal
/// range), finite and not negative.
fn estimate(head: u64, scale: i64) -> f64 {
    // `scale` lies within -345..=310 here (see `magnitude`); powi's steps each round once.
    let head = head as f64;
    let x = if scale < -290 {
        head * powi10(scale + 290) * 1e-290
    } else if scale > 290 {
        head * powi10(scale - 290) * 1e290
    } else {
        head * powi10(scale)
    };
    if x.is_finite() { x } else { f64::MAX }
}

/// 10^n by squaring (|n| < 330).
fn powi10(n: i64) -> f64 {
    let mut result = 1.0;
    let mut base = 10.0f64;
    let mut e = n.unsigned_abs();
    while e > 0 {
        if e & 1 == 1 {
            result *= base;
        }
        base *= base;
        e >>= 1;
    }
    if n < 0 { 1.0 / result } else { result }
}

/// The exact powers of ten a double holds.
const POWERS: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// A finite, non-negative `x` as `m * 2^k` (m < 2^53).
fn decompose(x: f64) -> (u64, i64) {
    let bits = x.to_bits();
    let mantissa = bits & ((1 << 52) - 1);
    let exponent = ((bits >> 52) & 0x7ff) as i64;
    if exponent == 0 {
        (mantissa, -1074)
    } else {
        (mantissa | 1 << 52, exponent - 1075)
    }
}

/// `digits * 10^scale` against `m * 2^k`, exactly.
fn compare(digits: &Big, scale: i64, m: u64, k: i64) -> Ordering {
    // digits * 2^scale * 5^scale vs m * 2^k: the power of five goes to the side where it is
    // positive, then the power of two.
    let mut left = digits.clone();
    let mut right = Big::from_u64(m);
    if scale >= 0 {
        left.mul_pow5(scale as u64);
    } else {
        right.mul_pow5(scale.unsigned_abs());
    }
    let twos = scale - k;
    if twos >= 0 {
        left.shl(twos as u64);
    } else {
        right.shl(twos.unsigned_abs());
    }
    left.cmp(&right)
}

/// A natural number as little-endian 32-bit limbs, without leading zero limbs.
#[derive(Clone)]
struct Big(Vec<u32>);

impl Big {
    fn from_u64(n: u64) -> Big {
        let mut big = Big(vec![n as u32, (n >> 32) as u32]);
        big.trim();
        big
    }

    fn from_digits(digits: &[u8]) -> Big {
        let mut big = Big(Vec::new());
        for chunk in digits.chunks(9) {
            let value = chunk.iter().fold(0u32, |n, &d| n * 10 + u32::from(d));
            big.mul_add(POWERS_U32[chunk.len()], value);
        }
        big
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    /// self = self * factor + add.
    fn mul_add(&mut self, factor: u32, add: u32) {
        let mut carry = u64::from(add);
        for limb in &mut self.0 {
            let product = u64::from(*limb) * u64::from(factor) + carry;
            *limb = product as u32;
            carry = product >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
    }

    fn mul_pow5(&mut self, mut n: u64) {
        // 5^13 is the largest power of five below 2^32.
        while n > 0 {
            let step = n.min(13);
            self.mul_add(5u32.pow(step as u32), 0);
            n -= step;
        }
    }

    fn shl(&mut self, bits: u64) {
        if self.0.is_empty() {
            return;
        }
        let limbs = (bits / 32) as usize;
        let bits = (bits % 32) as u32;
        if bits > 0 {
            let mut carry = 0;
            for limb in &mut self.0 {
                let wide = (u64::from(*limb) << bits) | carry;
                *limb = wide as u32;
                carry = wide >> 32;
            }
            if carry > 0 {
                self.0.push(carry as u32);
            }
        }
        self.0.splice(0..0, core::iter::repeat_n(0, limbs));
    }

    fn cmp(&self, other: &Big) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }
}

/// 10^n for n in 0..=9.
const POWERS_U32: [u32; 10] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_and_wide_integers_print_as_expected() {
        assert_eq!(Float(21.5).to_string(), "21.5");
        assert_eq!(Float(-0.25).to_string(), "-0.25");
        assert_eq!(Float(1e-7).to_string(), "1e-7");
        assert_eq!(Float(20.0).to_string(), "20");
        assert_eq!(Float(-3.0).to_string(), "-3");
        assert_eq!(Float(f64::NAN).to_string(), "NaN");
        assert_eq!(Float(f64::NEG_INFINITY).to_string(), "-inf");
        assert_eq!("21.5".parse::<f64>().ok(), Some(21.5));
        assert_eq!(Wide(-5).to_string(), "-5");
        assert_eq!(
            Wide(i128::from(u64::MAX)).to_string(),
            "18446744073709551615"
        );
        assert_eq!(Wide(i128::MAX).to_string(), "a 128-bit integer");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod parse_tests {
    use super::*;
    use proptest::prelude::*;

    /// `core`'s reading of `text`, the reference.
    fn core(text: &str) -> Option<f64> {
        text.parse::<f64>().ok()
    }

    fn same(text: &str) {
        let ours = parse_f64(text).map(f64::to_bits);
        assert_eq!(ours, core(text).map(f64::to_bits), "{text}");
    }

    #[test]
    fn reads_what_core_reads() {
        for text in [
            "0",
            "-0",
            "+0",
            "21.5",
            "-3.25",
            "1e10",
            "1E+5",
            "1e-7",
            ".5",
            "5.",
            "+.5",
            "-5.e2",
            "0.1",
            "0.30000000000000004",
            "123456789012345678901234567890",
            "1e22",
            "1e23",
            "9007199254740993",
            "9007199254740993.000000000000000000001",
            "9007199254740995",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "1e309",
            "1e400",
            "2.2250738585072014e-308",
            "2.2250738585072011e-308",
            "4.9406564584124654e-324",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "1e-324",
            "3e-324",
            "1e-400",
            "0.000000000000000000000000000000001",
            "2.225073858507201136057409796709131975934819546351645648023426109724822222021076945516529523908135087914149158913039621106870086438694594645527657207407820621743379988141063267329253552286881372149012981122451451889849057222307285255133155755015914397476397983411801999323962548289017107081850690630666655994938275772572015763062690663332647565300009245888316433037779791869612049497390377829704905051080609940730262937128958950003583799967207254304360284078895771796150945516748243471030702609144621572289880258182545180325707018860872113128079512233426288368622321503775666622503982534335974568884423900265498198385487948292206894721689831099698365846814022854243330660339850886445804001034933970427567186443383770486037861622771738545623065874679014086723327636718749999999999999999999999999999999999999e-308",
            "0.0000000000000000000000000000000000000000000000000000000000001e300",
        ] {
            same(text);
        }
    }

    #[test]
    fn rejects_what_is_not_a_decimal() {
        for text in [
            "", "-", ".", "e5", "1e", "1e+", "1.2.3", "--1", "1 ", " 1", "inf", "NaN", "0x10",
            "1_0",
        ] {
            assert_eq!(parse_f64(text), None, "{text}");
        }
    }

    /// `(2m + 1) * 2^(k - 1)`, exactly halfway between two doubles, in decimal.
    fn halfway(m: u64, k: i32) -> String {
        let odd = u128::from(2 * m + 1);
        if k >= 1 {
            (odd << (k - 1)).to_string()
        } else {
            // (2m + 1) / 2^j = (2m + 1) * 5^j / 10^j.
            let j = (1 - k) as u32;
            let digits = (odd * 5u128.pow(j)).to_string();
            let split = digits.len() - j as usize;
            format!("{}.{}", &digits[..split], &digits[split..])
        }
    }

    proptest! {
        #[test]
        fn shortest_digits_read_back(bits in any::<u64>()) {
            let x = f64::from_bits(bits);
            prop_assume!(x.is_finite());
            let shortest = zmij::Buffer::new().format_finite(x).to_owned();
            prop_assert_eq!(parse_f64(&shortest).map(f64::to_bits), Some(bits));
            let long = format!("{x:.25e}");
            prop_assert_eq!(parse_f64(&long).map(f64::to_bits), core(&long).map(f64::to_bits));
        }

        #[test]
        fn halfway_points_round_to_even(m in (1u64 << 52)..(1u64 << 53), k in -20i32..12, tail in 0u8..3) {
            let mut text = halfway(m, k);
            match tail {
                // Just above or just below the halfway point.
                1 => text.push_str(if text.contains('.') { "0000000000000000000001" } else { ".0000000000000000000001" }),
                2 => {
                    let last = text.pop().unwrap();
                    text.push(char::from(last as u8 - 1));
                    text.push_str("9999999999999999999999");
                }
                _ => {}
            }
            same(&text);
        }

        #[test]
        fn any_decimal_reads_as_in_core(
            negative in any::<bool>(),
            int in "[0-9]{0,30}",
            frac in proptest::option::of("[0-9]{0,30}"),
            exp in proptest::option::of(-400i32..400),
        ) {
            let mut text = String::from(if negative { "-" } else { "" });
            text.push_str(&int);
            if let Some(frac) = &frac {
                text.push('.');
                text.push_str(frac);
            }
            if let Some(exp) = exp {
                text.push_str(&format!("e{exp}"));
            }
            same(&text);
        }
    }
}
