//! Registry text to rustdoc: escaped Markdown that `cargo doc` accepts with `-D warnings`.
//!
//! The registry's names and descriptions are plain text (FORMAT.md §7), but rustdoc reads doc
//! comments as Markdown, where that text would trigger `invalid_html_tags` (`<object>`),
//! `broken_intra_doc_links` (`[0..255]`), `bare_urls`, emphasis, headings, and indented or fenced
//! code blocks (`invalid_rust_codeblocks`). The rules, applied by [`lines`]:
//!
//! 1. The literal escapes `\n`, `\r` and `\t` (a backslash and a letter, 265 times in the OpenAIS
//!    objects 3387-3406) become a line break, nothing and a space. CRLF and CR become LF.
//! 2. Each line is trimmed after tabs and Unicode whitespace (NBSP...) become spaces; control
//!    characters and the bidirectional-override characters (which rustc denies in comments) are
//!    dropped. Trimming means no line can start an indented code block.
//! 3. Runs of blank lines become one paragraph break, and blank lines at the start or end go.
//!    A line break inside a paragraph is kept as a paragraph break (the registry uses line breaks
//!    for enumerations such as `0 = Off` / `1 = On`), except that a line which starts with a
//!    lowercase letter after a line which does not end a sentence (`.` `:` `;` `!` `?`) continues
//!    the same paragraph: that is hard-wrapped prose (unless the line before is a list item, which
//!    clippy's `doc_lazy_continuation` would flag).
//! 4. `http://` and `https://` URLs become autolinks `<...>` (trailing `.,;:!?` and unbalanced `)`
//!    stay outside).
//! 5. Everything else is escaped with a backslash so that it renders as written: `\` `` ` `` `*`
//!    `<` `>` `[` `]` `~`, `_` unless it is inside a word (where it cannot start emphasis), `#` at
//!    the start of a line, and a line made only of `-`, `=` and spaces (a setext heading or a rule).
//!    List markers (`- item`, `1. item`) are kept: they render as lists, which is what they mean.
//!
//! [`write_comments`] turns the lines into `/// ...` doc comments, one per line.

/// The Markdown lines for a block of registry text (a description), escaped for rustdoc.
///
/// Empty strings in the result are paragraph breaks; the result never starts or ends with one, and
/// is empty for blank text.
///
/// ```
/// let lines = lwm2m_codegen::doc::lines("See <dir>/<Obj_ID> [x]\\n\\t\\tNext: https://example.com.");
/// assert_eq!(lines, [r"See \<dir\>/\<Obj_ID\> \[x\]", "", "Next: <https://example.com>."]);
/// ```
pub fn lines(text: &str) -> Vec<String> {
    let text = unescape_literals(text);
    let mut out: Vec<String> = Vec::new();
    let mut previous: Option<String> = None;
    let mut blank_pending = false;
    for raw in text.split('\n') {
        let line = clean_line(raw);
        if line.is_empty() {
            blank_pending = previous.is_some();
            continue;
        }
        if let Some(prev) = &previous {
            let continues = !blank_pending
                && !prev.ends_with(['.', ':', ';', '!', '?'])
                && !is_list_item(prev)
                && line.chars().next().is_some_and(char::is_lowercase);
            if !continues {
                out.push(String::new());
            }
        }
        out.push(escape_line(&line));
        previous = Some(line);
        blank_pending = false;
    }
    out
}

/// One line of registry text (a name, units), whitespace collapsed and escaped for rustdoc.
///
/// ```
/// assert_eq!(lwm2m_codegen::doc::inline("Group\u{a0} <Address>"), r"Group \<Address\>");
/// ```
pub fn inline(text: &str) -> String {
    let text = unescape_literals(text);
    let words = text
        .split('\n')
        .map(clean_line)
        .collect::<Vec<_>>()
        .join(" ");
    escape_line(
        &words
            .split(' ')
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// A Markdown code span showing `text` verbatim (whitespace runs collapsed to one space).
///
/// The fence is one backtick longer than the longest backtick run in the text, and padded with
/// spaces when the text starts or ends with a backtick, as CommonMark requires.
///
/// ```
/// assert_eq!(lwm2m_codegen::doc::code_span("0..255"), "`0..255`");
/// assert_eq!(lwm2m_codegen::doc::code_span("a`b"), "``a`b``");
/// ```
pub fn code_span(text: &str) -> String {
    let text = text
        .split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().filter(|&c| !is_forbidden(c)).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ");
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    if text.starts_with('`') || text.ends_with('`') {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

/// Doc comments for Markdown lines, each indented by `indent`: `/// line`, or `///` for an
/// empty line; the same doc text as `#[doc = " line"]` attributes, which prettyplease prints
/// this way. A line that a `///` comment cannot hold (a line break or a carriage return, which
/// [`lines`] never makes) becomes an escaped `#[doc = "..."]` attribute.
pub fn write_comments<S: AsRef<str>>(out: &mut String, indent: &str, lines: &[S]) {
    for line in lines {
        let line = line.as_ref();
        out.push_str(indent);
        if line.is_empty() {
            out.push_str("///\n");
        } else if line.contains(['\n', '\r']) {
            out.push_str("#[doc = ");
            crate::emit::string_literal(out, &format!(" {line}"));
            out.push_str("]\n");
        } else {
            out.push_str("/// ");
            out.push_str(line);
            out.push('\n');
        }
    }
}

/// A line that Markdown reads as a list item (`- x`, `+ x`, `1. x`, `1) x`). A continuation line
/// after it would be "lazy", which clippy's `doc_lazy_continuation` flags, so it is never joined.
fn is_list_item(line: &str) -> bool {
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    let rest = &line[digits..];
    if digits == 0 {
        rest.starts_with("- ") || rest.starts_with("+ ")
    } else {
        rest.starts_with(". ") || rest.starts_with(") ")
    }
}

/// Rule 1: literal `\n`, `\r`, `\t` escapes and CR line ends.
fn unescape_literals(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace("\\r\\n", "\n")
        .replace("\\n", "\n")
        .replace("\\r", "")
        .replace("\\t", " ")
}

/// Characters rustc denies in comments (bidirectional overrides) and control characters.
fn is_forbidden(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}')
}

/// Rule 2: whitespace to spaces, forbidden characters dropped, trimmed.
fn clean_line(line: &str) -> String {
    line.chars()
        .filter(|&c| !is_forbidden(c))
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Rules 4 and 5 for one trimmed line.
fn escape_line(line: &str) -> String {
    if !line.is_empty() && line.chars().all(|c| matches!(c, '-' | '=' | ' ')) {
        return format!("\\{line}");
    }
    let mut out = String::with_capacity(line.len() + 8);
    let mut rest = line;
    let mut at_start = true;
    while !rest.is_empty() {
        let next_url = ["http://", "https://"]
            .iter()
            .filter_map(|scheme| rest.find(scheme))
            .min();
        let (text, url) = match next_url {
            Some(start) => {
                let (text, from_url) = rest.split_at(start);
                let len = url_len(from_url);
                if len > from_url.find("//").map_or(0, |i| i + 2) {
                    (text, Some(&from_url[..len]))
                } else {
                    // A scheme with nothing after it: plain text up to and including the scheme.
                    let end = start + from_url.find("//").map_or(0, |i| i + 2);
                    (&rest[..end], None)
                }
            }
            None => (rest, None),
        };
        escape_text(text, at_start, &mut out);
        rest = &rest[text.len()..];
        if let Some(url) = url {
            out.push('<');
            out.push_str(url);
            out.push('>');
            rest = &rest[url.len()..];
        }
        at_start = false;
    }
    out
}

/// The length of the URL at the start of `text`: up to a character that cannot be in an
/// autolink or plain-text URL, minus trailing punctuation and an unbalanced `)`.
fn url_len(text: &str) -> usize {
    let mut end = text
        .find(|c: char| {
            c.is_whitespace()
                || c.is_control()
                || matches!(
                    c,
                    '<' | '>' | '"' | '`' | '[' | ']' | '{' | '}' | '|' | '\\' | '^'
                )
        })
        .unwrap_or(text.len());
    loop {
        let url = &text[..end];
        let opens = url.matches('(').count();
        let closes = url.matches(')').count();
        match url.chars().last() {
            Some('.' | ',' | ';' | ':' | '!' | '?' | '\'' | '*' | '_') => end -= 1,
            Some(')') if closes > opens => end -= 1,
            _ => return end,
        }
    }
}

/// Rule 5 for a piece of text that is not a URL.
fn escape_text(text: &str, at_start: bool, out: &mut String) {
    let chars = text.chars().collect::<Vec<_>>();
    for (index, &c) in chars.iter().enumerate() {
        let alnum_before = index
            .checked_sub(1)
            .and_then(|i| chars.get(i))
            .is_some_and(|c| c.is_alphanumeric());
        let alnum_after = chars.get(index + 1).is_some_and(|c| c.is_alphanumeric());
        let escape = match c {
            '\\' | '`' | '*' | '<' | '>' | '[' | ']' | '~' => true,
            '_' => !(alnum_before && alnum_after),
            '#' => at_start && index == 0,
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may panic on unexpected results.
mod tests {
    use super::*;

    #[test]
    fn angle_bracket_placeholders_are_escaped() {
        // 3390/3391/3393 and 3454.
        assert_eq!(
            lines("Path <dir>/<Obj_ID> of (<time>,<sensor #1>,…)"),
            [r"Path \<dir\>/\<Obj_ID\> of (\<time\>,\<sensor #1\>,…)"]
        );
    }

    #[test]
    fn square_brackets_are_escaped() {
        assert_eq!(
            lines("[RFC3986] and [0..255] or [Link]"),
            [r"\[RFC3986\] and \[0..255\] or \[Link\]"]
        );
    }

    #[test]
    fn markdown_emphasis_and_backticks_render_as_written() {
        assert_eq!(
            lines("**Note**: set `enabled` to *true* or _x_ in snake_case"),
            [r"\*\*Note\*\*: set \`enabled\` to \*true\* or \_x\_ in snake_case"]
        );
    }

    #[test]
    fn backslashes_are_escaped() {
        // 505.xml mojibake: a literal backslash-zero.
        assert_eq!(lines("â€˜\\0â€™"), [r"â€˜\\0â€™"]);
        assert_eq!(lines("ends with \\"), [r"ends with \\"]);
    }

    #[test]
    fn heading_and_rule_triggers_are_escaped() {
        assert_eq!(lines("# not a heading #"), [r"\# not a heading #"]);
        assert_eq!(
            lines("Title\n-----\nNext"),
            ["Title", "", r"\-----", "", "Next"]
        );
        assert_eq!(lines("==="), [r"\==="]);
        assert_eq!(lines("~~~ fence"), [r"\~\~\~ fence"]);
    }

    #[test]
    fn indented_lines_cannot_make_code_blocks() {
        assert_eq!(
            lines("Values:\n        0: off\n\t\t1: on"),
            ["Values:", "", "0: off", "", "1: on"]
        );
    }

    #[test]
    fn literal_backslash_n_t_escapes_become_line_breaks() {
        // The OpenAIS objects 3387-3406 write `\n\t\t\t` as text.
        assert_eq!(
            lines("0: CONFIGURED_ON\\n\\t\\t\\t1: FULL_ON\\n\\t\\t\\t2: RECALL"),
            ["0: CONFIGURED_ON", "", "1: FULL_ON", "", "2: RECALL"]
        );
    }

    #[test]
    fn urls_become_autolinks() {
        assert_eq!(
            lines("See http://www.openmobilealliance.org/tech/profiles/LWM2M.xsd."),
            ["See <http://www.openmobilealliance.org/tech/profiles/LWM2M.xsd>."]
        );
        assert_eq!(
            lines("(see https://example.com/a_b*c) end"),
            ["(see <https://example.com/a_b*c>) end"]
        );
        assert_eq!(
            lines("https://en.wikipedia.org/wiki/Foo_(bar), ok"),
            ["<https://en.wikipedia.org/wiki/Foo_(bar)>, ok"]
        );
        assert_eq!(
            lines("scheme only: http:// here"),
            ["scheme only: http:// here"]
        );
    }

    #[test]
    fn blank_lines_collapse_and_are_trimmed() {
        assert_eq!(
            lines("\n\n  First.  \n\n\n\nSecond.\n\n"),
            ["First.", "", "Second."]
        );
        assert!(lines("   \n\t ").is_empty());
    }

    #[test]
    fn hard_wrapped_prose_stays_one_paragraph() {
        // 10319: "...switched on or not,\n\t\t\t\tthe setting of which..."
        assert_eq!(
            lines("If it is switched on or not,\n\t\t\t\tthe setting of which is a Boolean."),
            [
                "If it is switched on or not,",
                "the setting of which is a Boolean."
            ]
        );
        // A sentence end starts a new paragraph even before a lowercase word.
        assert_eq!(lines("Done.\nnext"), ["Done.", "", "next"]);
    }

    #[test]
    fn crlf_nbsp_and_forbidden_characters() {
        assert_eq!(lines("a\u{a0}b\r\nC\u{202e}d\u{7}"), ["a b", "", "Cd"]);
    }

    #[test]
    fn entities_inside_cdata_stay_text() {
        // 3416: `&gt;` inside CDATA is the text "&gt;"; it is left for Markdown to render.
        assert_eq!(lines("value &gt; 5"), ["value &gt; 5"]);
        // 10308: decoded `<7 to >12.5`.
        assert_eq!(lines("<7 to >12.5"), [r"\<7 to \>12.5"]);
    }

    #[test]
    fn list_markers_are_kept() {
        assert_eq!(lines("- one\n- two"), ["- one", "", "- two"]);
        // No lazy continuation after a list item.
        assert_eq!(
            lines("- one,\nand two\n1) x\ny"),
            ["- one,", "", "and two", "", "1) x", "", "y"]
        );
    }

    #[test]
    fn inline_collapses_whitespace() {
        assert_eq!(inline("  LWM2M  Server\tURI "), "LWM2M Server URI");
        assert_eq!(inline("rachLatency_delay"), "rachLatency_delay");
        assert_eq!(inline("# [x]"), r"\# \[x\]");
    }

    #[test]
    fn code_spans() {
        assert_eq!(code_span("0..255"), "`0..255`");
        assert_eq!(code_span("a ``b`` c"), "```a ``b`` c```");
        assert_eq!(code_span("`x"), "`` `x ``");
        assert_eq!(code_span("0: ON\n1:  OFF"), "`0: ON 1: OFF`");
    }

    #[test]
    fn comments_have_a_leading_space() {
        let mut out = String::new();
        write_comments(&mut out, "    ", &["a", "", "b\rc"]);
        assert_eq!(out, "    /// a\n    ///\n    #[doc = \" b\\rc\"]\n");
    }
}
