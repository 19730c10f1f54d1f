//! CoRE link format (RFC 6690, `application/link-format`, 40) for Register, Update, Discover and
//! Bootstrap-Discover: `</1/0>,</3/0>;ver=1.1,</3/0/7>;dim=2;pmin=10`.
//!
//! [`Link`] is a target plus parameters in order (`pmin`, `pmax`, `gt`, `lt`, `st`, `epmin`, `epmax`,
//! `dim`, `ver`, `ssid`, `uri`, `rt`, `ct`...). [`write()`] writes links; [`parse`] reads them, tolerating
//! spaces and line breaks around separators and quoted values that contain `,` or `;`.

use crate::prelude::*;
use core::fmt::{self, Display, Write as _};

use crate::path::Path;

/// One link: `<target>;name=value;flag`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Link {
    /// The URI between `<` and `>`, e.g. `/3/0`.
    pub target: String,
    /// The parameters in order; `None` for a parameter without a value.
    pub params: Vec<(String, Option<String>)>,
}

/// Why a link-format text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("link format, byte {offset}: {reason}")]
pub struct LinkError {
    /// Where the problem is.
    pub offset: usize,
    /// What is wrong.
    pub reason: &'static str,
}

/// Parameters whose values RFC 6690 writes as quoted strings.
const QUOTED: [&str; 7] = ["rt", "if", "anchor", "title", "rel", "lwm2m", "uri"];

impl Link {
    /// A link to `target` without parameters.
    pub fn new(target: impl Into<String>) -> Link {
        Link {
            target: target.into(),
            params: Vec::new(),
        }
    }

    /// A link to an LwM2M path (`</3/0/1>`).
    pub fn to_path(path: &Path) -> Link {
        Link::new(path.to_string())
    }

    /// Adds `name=value`.
    pub fn with(mut self, name: impl Into<String>, value: impl Display) -> Link {
        self.params.push((name.into(), Some(value.to_string())));
        self
    }

    /// Adds a parameter without a value (`;obs`).
    pub fn flag(mut self, name: impl Into<String>) -> Link {
        self.params.push((name.into(), None));
        self
    }

    /// The value of the first parameter `name`: `None` if absent, `Some(None)` for a flag.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_deref())
    }

    /// The target as an LwM2M path, if it is one.
    pub fn path(&self) -> Option<Path> {
        self.target.parse().ok()
    }
}

/// Whether `c` keeps a parameter value from being an RFC 6690 `ptoken`, so that the value is
/// written as a quoted string: a separator, a quote or backslash, whitespace, or any character
/// outside ASCII (a `ptoken` is ASCII only). An ASCII test, not `char::is_whitespace`, whose
/// Unicode table a microcontroller's flash would carry for this one check.
fn needs_quoting(c: char) -> bool {
    !c.is_ascii() || c.is_ascii_whitespace() || matches!(c, ',' | ';' | '"' | '\\' | '<' | '>')
}

impl Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}>", self.target)?;
        for (name, value) in &self.params {
            write!(f, ";{name}")?;
            let Some(value) = value else { continue };
            let needs_quotes = QUOTED.contains(&name.as_str())
                || value.is_empty()
                || value.chars().any(needs_quoting);
            if needs_quotes {
                f.write_str("=\"")?;
                for c in value.chars() {
                    if matches!(c, '"' | '\\') {
                        f.write_char('\\')?;
                    }
                    f.write_char(c)?;
                }
                f.write_char('"')?;
            } else {
                write!(f, "={value}")?;
            }
        }
        Ok(())
    }
}

/// Writes links separated by commas.
pub fn write(links: &[Link]) -> String {
    let mut out = String::new();
    for (i, link) in links.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{link}");
    }
    out
}

/// Reads a link-format document. An empty (or blank) text has no links.
pub fn parse(text: &str) -> Result<Vec<Link>, LinkError> {
    let mut parser = Parser { text, pos: 0 };
    let mut links = Vec::new();
    parser.skip_space();
    if parser.at_end() {
        return Ok(links);
    }
    loop {
        links.push(parser.link()?);
        parser.skip_space();
        if parser.at_end() {
            return Ok(links);
        }
        parser.expect(b',', "expected `,` between links")?;
        parser.skip_space();
    }
}

struct Parser<'t> {
    text: &'t str,
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, reason: &'static str) -> LinkError {
        LinkError {
            offset: self.pos,
            reason,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8, reason: &'static str) -> Result<(), LinkError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(reason))
        }
    }

    /// Text up to (not including) the first byte matching `stop`; all stops are ASCII, so the
    /// slice ends on a character boundary.
    fn until(&mut self, stop: impl Fn(u8) -> bool) -> &str {
        let start = self.pos;
        while self.peek().is_some_and(|b| !stop(b)) {
            self.pos += 1;
        }
        self.text.get(start..self.pos).unwrap_or("")
    }

    fn link(&mut self) -> Result<Link, LinkError> {
        self.expect(b'<', "expected `<` to open a link")?;
        let target = self.until(|b| b == b'>').to_owned();
        self.expect(b'>', "unterminated `<`")?;
        let mut link = Link::new(target);
        loop {
            self.skip_space();
            if self.peek() != Some(b';') {
                return Ok(link);
            }
            self.pos += 1;
            self.skip_space();
            let name = self
                .until(|b| matches!(b, b'=' | b';' | b',') || b.is_ascii_whitespace())
                .to_owned();
            if name.is_empty() {
                return Err(self.err("empty parameter name"));
            }
            self.skip_space();
            let value = if self.peek() == Some(b'=') {
                self.pos += 1;
                self.skip_space();
                Some(self.value()?)
            } else {
                None
            };
            link.params.push((name, value));
        }
    }

    fn value(&mut self) -> Result<String, LinkError> {
        if self.peek() != Some(b'"') {
            let value = self.until(|b| matches!(b, b';' | b',') || b.is_ascii_whitespace());
            return Ok(value.to_owned());
        }
        self.pos += 1;
        let mut out = String::new();
        let rest = self.text.get(self.pos..).unwrap_or("");
        let mut chars = rest.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Ok(out);
                }
                '\\' => match chars.next() {
                    Some((_, escaped)) => out.push(escaped),
                    None => break,
                },
                c => out.push(c),
            }
        }
        self.pos = self.text.len();
        Err(self.err("unterminated quoted value"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn writes_discover_answer() {
        let links = [
            Link::to_path(&Path::instance(3, 0)).with("ver", "1.1"),
            Link::to_path(&Path::resource(3, 0, 1)),
            Link::to_path(&Path::resource(3, 0, 7))
                .with("dim", 2)
                .with("pmin", 10),
            Link::new("/").with("rt", "oma.lwm2m").with("ct", 11543),
        ];
        assert_eq!(
            write(&links),
            r#"</3/0>;ver=1.1,</3/0/1>,</3/0/7>;dim=2;pmin=10,</>;rt="oma.lwm2m";ct=11543"#
        );
    }

    #[test]
    fn parses_tolerantly() {
        let text = " </1/0>, </3/0> ;ver=1.1;obs,\n</x>;title=\"a, b; \\\"c\\\"\";gt=-1.5 ";
        let links = parse(text).unwrap();
        assert_eq!(links.len(), 3);
        assert_eq!(links[0].path(), Some(Path::instance(1, 0)));
        assert_eq!(links[1].param("ver"), Some(Some("1.1")));
        assert_eq!(links[1].param("obs"), Some(None));
        assert_eq!(links[1].param("pmin"), None);
        assert_eq!(links[2].param("title"), Some(Some("a, b; \"c\"")));
        assert_eq!(links[2].param("gt"), Some(Some("-1.5")));
        assert_eq!(parse(&write(&links)).unwrap(), links);
        assert_eq!(parse("  ").unwrap(), []);
    }

    #[test]
    fn quotes_a_value_that_is_not_a_token() {
        let links = [Link::new("/x")
            .with("a", "plain-1.5")
            .with("b", "tab\there")
            .with("c", "caf\u{e9}")
            .with("d", "nbsp\u{a0}")];
        // ASCII whitespace and anything outside ASCII are not `ptoken` characters (RFC 6690).
        assert_eq!(
            write(&links),
            "</x>;a=plain-1.5;b=\"tab\there\";c=\"caf\u{e9}\";d=\"nbsp\u{a0}\""
        );
        assert_eq!(parse(&write(&links)).unwrap(), links);
    }

    #[test]
    fn rejects_broken_text() {
        for bad in [
            "/3/0",
            "</3/0",
            "</3/0>;",
            "</3/0>;a=\"x",
            "</1>,",
            "</1> </2>",
            "</1>;=3",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
