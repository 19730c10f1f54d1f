//! [`ExecuteArgs`]: the arguments of an LwM2M Execute, parsed per the grammar of the Core TS
//! (1.1 §5.4.5 "Execute", unchanged in 1.2):
//!
//! ```text
//! arglist = arg *( "," arg )
//! arg     = DIGIT / DIGIT "=" "'" *CHAR "'"
//! DIGIT   = %x30-39                                  ; "0".."9"
//! CHAR    = %x21 / %x23-26 / %x28-5B / %x5D-7E       ; printable ASCII except space, '"', "'", "\"
//! ```
//!
//! An empty payload means no arguments. No spaces are allowed anywhere, each argument number is
//! one digit, and a value is quoted with single quotes. Anything else is an
//! [`ExecuteArgsError`], which becomes [`Error::BadRequest`] (4.00 Bad Request). The same argument
//! number may appear more than once; the list keeps the payload order.
//!
//! ```
//! use lwm2m::ExecuteArgs;
//!
//! let args = ExecuteArgs::parse("0='abc',1")?;
//! assert_eq!(args.len(), 2);
//! assert_eq!(args.get(0), Some(Some("abc")));
//! assert_eq!(args.get(1), Some(None));
//! assert_eq!(args.get(2), None);
//! assert!(ExecuteArgs::parse("0 = 'abc'").is_err());
//! # Ok::<(), lwm2m::execute::ExecuteArgsError>(())
//! ```

use crate::error::Error;
use crate::prelude::*;

/// Why an Execute payload does not follow the argument grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecuteArgsError {
    /// A byte where an argument number (`0`..`9`) was expected.
    #[error("execute arguments: expected a digit at byte {at}")]
    ExpectedDigit {
        /// The byte offset in the payload.
        at: usize,
    },
    /// A byte after an argument number or value other than `,` or `=`.
    #[error("execute arguments: expected ',' or '=' at byte {at}")]
    ExpectedSeparator {
        /// The byte offset in the payload.
        at: usize,
    },
    /// A value that does not start with `'`.
    #[error("execute arguments: expected a quote at byte {at}")]
    ExpectedQuote {
        /// The byte offset in the payload.
        at: usize,
    },
    /// A character the grammar does not allow inside a value (space, `"`, `\`, non-ASCII, a
    /// control character).
    #[error("execute arguments: invalid character in a value at byte {at}")]
    InvalidChar {
        /// The byte offset in the payload.
        at: usize,
    },
    /// A value whose closing `'` is missing.
    #[error("execute arguments: unterminated value starting at byte {at}")]
    Unterminated {
        /// The byte offset of the opening quote.
        at: usize,
    },
    /// The payload is not UTF-8 (see [`ExecuteArgs::parse_bytes`]).
    #[error("execute arguments: payload is not valid text")]
    NotText,
}

impl From<ExecuteArgsError> for Error {
    fn from(e: ExecuteArgsError) -> Self {
        Error::BadRequest {
            reason: e.to_string(),
        }
    }
}

/// The parsed arguments of an Execute: `(argument number, optional value)` in payload order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecuteArgs {
    args: Vec<(u8, Option<String>)>,
}

impl ExecuteArgs {
    /// No arguments (an empty payload).
    pub fn new() -> ExecuteArgs {
        ExecuteArgs::default()
    }

    /// Parses an Execute payload as text: see the [module documentation](self) for the grammar.
    pub fn parse(text: &str) -> Result<ExecuteArgs, ExecuteArgsError> {
        let bytes = text.as_bytes();
        let mut args = Vec::new();
        let mut at = 0;
        if bytes.is_empty() {
            return Ok(ExecuteArgs { args });
        }
        loop {
            let digit = match bytes.get(at) {
                Some(b @ b'0'..=b'9') => b - b'0',
                _ => return Err(ExecuteArgsError::ExpectedDigit { at }),
            };
            at += 1;
            let mut value = None;
            if bytes.get(at) == Some(&b'=') {
                at += 1;
                if bytes.get(at) != Some(&b'\'') {
                    return Err(ExecuteArgsError::ExpectedQuote { at });
                }
                let open = at;
                at += 1;
                let start = at;
                loop {
                    match bytes.get(at) {
                        None => return Err(ExecuteArgsError::Unterminated { at: open }),
                        Some(b'\'') => break,
                        Some(&b) if is_char(b) => at += 1,
                        Some(_) => return Err(ExecuteArgsError::InvalidChar { at }),
                    }
                }
                // Every byte in start..at is ASCII, so this slice is on char boundaries.
                value = Some(text.get(start..at).unwrap_or_default().to_owned());
                at += 1;
            }
            args.push((digit, value));
            match bytes.get(at) {
                None => return Ok(ExecuteArgs { args }),
                Some(b',') => at += 1,
                Some(_) => return Err(ExecuteArgsError::ExpectedSeparator { at }),
            }
        }
    }

    /// Parses an Execute payload as bytes: [`ExecuteArgsError::NotText`] if it is not UTF-8.
    pub fn parse_bytes(payload: &[u8]) -> Result<ExecuteArgs, ExecuteArgsError> {
        core::str::from_utf8(payload)
            .map_err(|_| ExecuteArgsError::NotText)
            .and_then(ExecuteArgs::parse)
    }

    /// The number of arguments.
    pub fn len(&self) -> usize {
        self.args.len()
    }

    /// Whether there are no arguments.
    pub fn is_empty(&self) -> bool {
        self.args.is_empty()
    }

    /// The first argument with this number: `Some(None)` when it has no value, `None` when it is
    /// absent.
    pub fn get(&self, number: u8) -> Option<Option<&str>> {
        self.args
            .iter()
            .find(|(n, _)| *n == number)
            .map(|(_, v)| v.as_deref())
    }

    /// The arguments in payload order.
    pub fn iter(&self) -> impl Iterator<Item = (u8, Option<&str>)> {
        self.args.iter().map(|(n, v)| (*n, v.as_deref()))
    }
}

impl core::str::FromStr for ExecuteArgs {
    type Err = ExecuteArgsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ExecuteArgs::parse(s)
    }
}

/// Whether `b` is a `CHAR` of the grammar.
fn is_char(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x26 | 0x28..=0x5B | 0x5D..=0x7E)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Vec<(u8, Option<String>)> {
        match ExecuteArgs::parse(text) {
            Ok(a) => a.args,
            Err(e) => panic!("{text:?}: {e}"),
        }
    }

    #[test]
    fn valid_payloads() {
        assert_eq!(parsed(""), vec![]);
        assert_eq!(parsed("5"), vec![(5, None)]);
        assert_eq!(
            parsed("0='abc',1"),
            vec![(0, Some("abc".into())), (1, None)]
        );
        assert_eq!(parsed("2=''"), vec![(2, Some(String::new()))]);
        assert_eq!(
            parsed("9='http://x.y/a?b=c,d',3,3='!#&[]~'"),
            vec![
                (9, Some("http://x.y/a?b=c,d".into())),
                (3, None),
                (3, Some("!#&[]~".into()))
            ]
        );
    }

    #[test]
    fn malformed_payloads() {
        use ExecuteArgsError::*;
        let table = [
            (",", ExpectedDigit { at: 0 }),
            ("0,", ExpectedDigit { at: 2 }),
            ("10", ExpectedSeparator { at: 1 }),
            ("a", ExpectedDigit { at: 0 }),
            (" 0", ExpectedDigit { at: 0 }),
            ("0 ", ExpectedSeparator { at: 1 }),
            ("0=abc", ExpectedQuote { at: 2 }),
            ("0=\"abc\"", ExpectedQuote { at: 2 }),
            ("0='abc", Unterminated { at: 2 }),
            ("0='a b'", InvalidChar { at: 4 }),
            ("0='a\\'", InvalidChar { at: 4 }),
            ("0='a\"'", InvalidChar { at: 4 }),
            ("0='é'", InvalidChar { at: 3 }),
            ("0='a'b", ExpectedSeparator { at: 5 }),
            ("0,,1", ExpectedDigit { at: 2 }),
            ("0=", ExpectedQuote { at: 2 }),
        ];
        for (text, err) in table {
            assert_eq!(ExecuteArgs::parse(text), Err(err), "{text:?}");
        }
    }

    #[test]
    fn bytes_and_errors_map_to_bad_request() {
        assert_eq!(
            ExecuteArgs::parse_bytes(&[0xff]),
            Err(ExecuteArgsError::NotText)
        );
        let e: Error = ExecuteArgsError::NotText.into();
        assert_eq!(e.coap_code(), (4, 0));
    }

    #[test]
    fn accessors() -> Result<(), ExecuteArgsError> {
        let args: ExecuteArgs = "1='x',1='y',4".parse()?;
        assert_eq!(args.get(1), Some(Some("x")));
        assert_eq!(args.get(4), Some(None));
        assert_eq!(args.get(0), None);
        let all: Vec<_> = args.iter().collect();
        assert_eq!(all, vec![(1, Some("x")), (1, Some("y")), (4, None)]);
        assert!(ExecuteArgs::new().is_empty());
        Ok(())
    }
}
