//! Registry text to Markdown (CommonMark with GitHub tables) that reads back as the same text.
//!
//! The registry's descriptions are plain text with a little Markdown in them (`**bold**`, code
//! spans) and much that Markdown would swallow or misread: angle-bracket placeholders such as
//! `<dir>/<Obj_ID>` (raw HTML to a Markdown renderer), `|` (a table cell boundary), literal
//! `\n` escapes, `&gt;` that must stay visible. Emphasis and code spans are kept; the rest is
//! escaped. Code spans are kept verbatim, since entities are not decoded inside them.

/// Escapes one paragraph line: the text of a description, outside any table.
///
/// Line-start constructs that would change the block structure (`#` headings, `[x]:` link
/// definitions, `---`/`===` rules and setext underlines) are escaped too; list markers are kept.
pub(super) fn block_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let structural = line.starts_with('#')
        || line.starts_with('[')
        || (!line.is_empty() && line.chars().all(|c| "-=*_+ ".contains(c)));
    if structural {
        out.push('\\');
    }
    escape_into(line, false, &mut out);
    out
}

/// One paragraph of description lines, escaped, with a hard break (`<br>`) between lines, except
/// before a list item, which starts on its own line anyway.
pub(super) fn paragraph(lines: &[String]) -> String {
    let mut out = String::new();
    for (index, line) in lines.iter().enumerate() {
        if index > 0 {
            out.push_str(if is_list_item(line) { "\n" } else { "<br>\n" });
        }
        out.push_str(&block_line(line));
    }
    out
}

/// `- x`, `* x`, `+ x`, `1. x` or `1) x`: a line that starts a list item.
fn is_list_item(line: &str) -> bool {
    let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let rest = &line[digits..];
    if digits == 0 {
        ["- ", "* ", "+ "]
            .iter()
            .any(|marker| rest.starts_with(marker))
    } else {
        digits <= 9 && (rest.starts_with(". ") || rest.starts_with(") "))
    }
}

/// Escapes one line of a table cell: like [`block_line`], and `|` also inside code spans.
pub(super) fn cell_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    escape_into(line, true, &mut out);
    out
}

/// Appends `line` escaped; code spans (matched backtick runs) are copied verbatim.
fn escape_into(line: &str, in_table: bool, out: &mut String) {
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        escape_text(&rest[..start], out);
        let run = backtick_run(&rest[start..]);
        let after = &rest[start + run..];
        match closing_run(after, run) {
            Some(end) => {
                out.push_str(&rest[start..start + run]);
                for c in after[..end].chars() {
                    // GitHub tables split cells on `|` even inside code spans, and unescape `\|` there.
                    if in_table && c == '|' {
                        out.push_str("\\|");
                    } else {
                        out.push(c);
                    }
                }
                out.push_str(&after[end..end + run]);
                rest = &after[end + run..];
            }
            None => {
                // An unmatched run is literal text: escape each backtick.
                for _ in 0..run {
                    out.push_str("\\`");
                }
                rest = after;
            }
        }
    }
    escape_text(rest, out);
}

/// The length in bytes of the run of backticks `text` starts with.
fn backtick_run(text: &str) -> usize {
    text.len() - text.trim_start_matches('`').len()
}

/// The offset in `text` of the first backtick run of exactly `len` backticks.
fn closing_run(text: &str, len: usize) -> Option<usize> {
    let mut offset = 0;
    while let Some(found) = text[offset..].find('`') {
        let start = offset + found;
        let run = backtick_run(&text[start..]);
        if run == len {
            return Some(start);
        }
        offset = start + run;
    }
    None
}

/// Escapes plain text (outside code spans).
fn escape_text(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("\\|"),
            '\\' => out.push_str("\\\\"),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_entities_and_pipes_are_escaped() {
        assert_eq!(
            block_line("<dir>/<Obj_ID> a|b &gt;"),
            "&lt;dir&gt;/&lt;Obj_ID&gt; a\\|b &amp;gt;"
        );
        assert_eq!(block_line(r"x\n\t y"), r"x\\n\\t y");
    }

    #[test]
    fn code_spans_are_verbatim_and_emphasis_is_kept() {
        assert_eq!(
            block_line("**Use** `POST coap://<ip>/1 {0:1}` now"),
            "**Use** `POST coap://<ip>/1 {0:1}` now"
        );
        assert_eq!(cell_line("`a|b` c|d"), "`a\\|b` c\\|d");
    }

    #[test]
    fn unmatched_backticks_are_literal() {
        assert_eq!(block_line("a ` b <c>"), "a \\` b &lt;c&gt;");
        assert_eq!(block_line("``x` <y>"), "\\`\\`x\\` &lt;y&gt;");
        assert_eq!(block_line("``x`` `y"), "``x`` \\`y");
    }

    #[test]
    fn lines_break_with_br_except_before_list_items() {
        let lines = ["Some examples:", "- a <b>", "increases.", "2. two", "end"].map(String::from);
        assert_eq!(
            paragraph(&lines),
            "Some examples:\n- a &lt;b&gt;<br>\nincreases.\n2. two<br>\nend"
        );
        assert!(!is_list_item("-1 degree"));
        assert!(!is_list_item("2024 was"));
    }

    #[test]
    fn block_structure_is_not_changed_by_text() {
        assert_eq!(block_line("# not a heading"), "\\# not a heading");
        assert_eq!(block_line("---"), "\\---");
        assert_eq!(block_line("[1]: http://x"), "\\[1]: http://x");
        assert_eq!(block_line("- a list item"), "- a list item");
        assert_eq!(cell_line("# in a cell"), "# in a cell");
    }
}
