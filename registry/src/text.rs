//! Text helpers: whitespace normalization and byte offset to line/column conversion.

/// Trims `text` and collapses every inner whitespace run (including NBSP U+00A0) to one space.
pub(crate) fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Trims `text`; `None` when the result is empty.
pub(crate) fn non_blank(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

/// Maps byte offsets of one text to 1-based lines and columns (columns counted in characters).
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset of the start of every line.
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes the line starts of `text`.
    pub(crate) fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { text, starts }
    }

    /// The 1-based line and column of a byte offset (clamped to the text).
    pub(crate) fn position(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |prefix| prefix.chars().count());
        (to_u32(line), to_u32(column + 1))
    }

    /// The 1-based line of a byte offset.
    pub(crate) fn line(&self, offset: usize) -> u32 {
        self.position(offset).0
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn collapses_spaces_tabs_newlines_and_nbsp() {
        assert_eq!(
            collapse_whitespace("  LWM2M  Server\tURI \n"),
            "LWM2M Server URI"
        );
        assert_eq!(collapse_whitespace("Group\u{a0} Address"), "Group Address");
    }

    #[test]
    fn positions_count_characters_and_lines() {
        let text = "ab\r\n€x<y\nz";
        let index = LineIndex::new(text);
        assert_eq!(index.position(0), (1, 1));
        assert_eq!(index.position(4), (2, 1));
        // '€' is 3 bytes but one column.
        assert_eq!(index.position(text.find('<').unwrap_or(0)), (2, 3));
        assert_eq!(index.position(text.len()), (3, 2));
    }
}
