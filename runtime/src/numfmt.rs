//! Numbers as text without `core`'s float and 128-bit formatting.
//!
//! `core`'s `Display` for `f64` links about 10 KiB of code and tables (Grisu with a Dragon
//! fallback, exact and shortest modes) and `i128`'s another 1.5 KiB: on a microcontroller
//! that is a sixth of the budget, for error messages and Discover attributes. Floats go through
//! zmij (the shortest round-trip digits serde_json writes too: `21.5`, `20`, `1e-7`), and
//! 128-bit integers, which only appear as wire values out of a resource's range, through `i64`
//! when they fit.

use core::fmt;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

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
