//! What the templates show: object and resource definitions as display strings.
//!
//! Text is prepared for its format here, so templates only place it. For HTML the text stays
//! raw (askama escapes it on output); for Markdown it is escaped by [`super::markdown`] and the
//! Markdown templates do not escape again.

use lwm2m_model::{ObjectDef, Operations, ResourceDef};

use super::markdown;

/// How registry text is prepared for a page format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TextStyle {
    /// Raw text, escaped by the HTML templates; descriptions keep their line breaks.
    Html,
    /// Escaped Markdown; line breaks become `<br>` (except before a list item).
    Markdown,
}

impl TextStyle {
    /// A short text on one line: a name, a table cell.
    fn inline(self, text: &str) -> String {
        let paragraphs = paragraphs(text);
        match self {
            TextStyle::Html => join(&paragraphs, "\n", "\n\n", |line| line.to_owned()),
            TextStyle::Markdown => join(&paragraphs, "<br>", "<br><br>", markdown::cell_line),
        }
    }

    /// A description, shown as a block of paragraphs.
    fn block(self, text: &str) -> String {
        let paragraphs = paragraphs(text);
        match self {
            TextStyle::Html => join(&paragraphs, "\n", "\n\n", |line| line.to_owned()),
            TextStyle::Markdown => paragraphs
                .iter()
                .map(|lines| markdown::paragraph(lines))
                .collect::<Vec<_>>()
                .join("\n\n"),
        }
    }
}

/// The lines of `text`, trimmed, grouped into paragraphs at blank lines.
///
/// Registry descriptions are indented with tabs and spaces from the XML; the indentation means
/// nothing (and would start a code block in Markdown), the line breaks do. The OpenAIS objects
/// (3387-3406) write line breaks as the literal escapes `\n` and `\t`: they are line breaks and
/// spaces here too, as in the generated rustdoc (the `doc` module). Tabs become spaces, other control
/// characters are dropped.
fn paragraphs(text: &str) -> Vec<Vec<String>> {
    let text = text
        .replace("\\r\\n", "\n")
        .replace("\\n", "\n")
        .replace("\\r", "")
        .replace("\\t", " ");
    let mut paragraphs: Vec<Vec<String>> = vec![Vec::new()];
    for line in text.lines() {
        let line: String = line
            .chars()
            .filter(|c| !c.is_control() || *c == '\t')
            .map(|c| if c == '\t' { ' ' } else { c })
            .collect();
        let line = line.trim();
        match paragraphs.last_mut() {
            Some(current) if !line.is_empty() => current.push(line.to_owned()),
            Some(current) if !current.is_empty() => paragraphs.push(Vec::new()),
            _ => {}
        }
    }
    paragraphs.retain(|paragraph| !paragraph.is_empty());
    paragraphs
}

fn join(
    paragraphs: &[Vec<String>],
    line_break: &str,
    paragraph_break: &str,
    line: impl Fn(&str) -> String,
) -> String {
    paragraphs
        .iter()
        .map(|lines| {
            lines
                .iter()
                .map(|text| line(text))
                .collect::<Vec<_>>()
                .join(line_break)
        })
        .collect::<Vec<_>>()
        .join(paragraph_break)
}

fn instances(multiple: bool) -> &'static str {
    if multiple { "Multiple" } else { "Single" }
}

fn presence(mandatory: bool) -> &'static str {
    if mandatory { "Mandatory" } else { "Optional" }
}

/// One row of the index.
#[derive(Debug)]
pub(super) struct IndexEntry {
    pub(super) id: u16,
    pub(super) name: String,
    pub(super) version: String,
    pub(super) lwm2m_version: String,
    pub(super) instances: &'static str,
    pub(super) presence: &'static str,
    pub(super) resources: usize,
    /// The object's page, relative to the index.
    pub(super) file: String,
}

impl IndexEntry {
    pub(super) fn new(object: &ObjectDef, file: &str, style: TextStyle) -> IndexEntry {
        IndexEntry {
            id: object.id,
            name: style.inline(&object.name),
            version: object.version.to_string(),
            lwm2m_version: object.lwm2m_version.to_string(),
            instances: instances(object.multiple),
            presence: presence(object.mandatory),
            resources: object.resources.len(),
            file: file.to_owned(),
        }
    }
}

/// An object page.
#[derive(Debug)]
pub(super) struct ObjectView {
    pub(super) id: u16,
    pub(super) name: String,
    pub(super) version: String,
    pub(super) lwm2m_version: String,
    pub(super) urn: String,
    pub(super) instances: &'static str,
    pub(super) presence: &'static str,
    pub(super) description: String,
    pub(super) description2: Option<String>,
    /// The resources in ascending id order.
    pub(super) resources: Vec<ResourceView>,
}

impl ObjectView {
    pub(super) fn new(object: &ObjectDef, style: TextStyle) -> ObjectView {
        let mut resources: Vec<ResourceView> = object
            .resources
            .iter()
            .map(|resource| ResourceView::new(resource, style))
            .collect();
        resources.sort_by_key(|resource| resource.id);
        ObjectView {
            id: object.id,
            name: style.inline(&object.name),
            version: object.version.to_string(),
            lwm2m_version: object.lwm2m_version.to_string(),
            urn: style.inline(&object.urn),
            instances: instances(object.multiple),
            presence: presence(object.mandatory),
            description: style.block(&object.description),
            description2: object
                .description2
                .as_deref()
                .map(|text| style.block(text))
                .filter(|text| !text.is_empty()),
            resources,
        }
    }
}

/// A resource: one row of an object's table and one description section.
#[derive(Debug)]
pub(super) struct ResourceView {
    pub(super) id: u16,
    pub(super) name: String,
    /// "R", "W", "RW", "E", or "none" (bootstrap-only resources).
    pub(super) operations: &'static str,
    /// The registry type name, or "none" for executables.
    pub(super) kind: &'static str,
    pub(super) instances: &'static str,
    pub(super) presence: &'static str,
    pub(super) units: String,
    pub(super) range: String,
    pub(super) description: String,
}

impl ResourceView {
    fn new(resource: &ResourceDef, style: TextStyle) -> ResourceView {
        ResourceView {
            id: resource.id,
            name: style.inline(&resource.name),
            operations: match resource.operations {
                Operations::None => "none",
                operations => operations.as_str(),
            },
            kind: resource.kind.map_or("none", |kind| kind.as_str()),
            instances: instances(resource.multiple),
            presence: presence(resource.mandatory),
            units: resource
                .units
                .as_deref()
                .map(|units| style.inline(units))
                .unwrap_or_default(),
            range: resource
                .range
                .as_ref()
                .map(|range| style.inline(&range.text))
                .unwrap_or_default(),
            description: style.block(&resource.description),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indentation_is_dropped_and_paragraphs_kept() {
        let text = "\n\t\tFirst line\n\t\tsecond line\n\n\n   Next paragraph  \n";
        assert_eq!(
            TextStyle::Html.block(text),
            "First line\nsecond line\n\nNext paragraph"
        );
        assert_eq!(
            TextStyle::Markdown.block(text),
            "First line<br>\nsecond line\n\nNext paragraph"
        );
        assert_eq!(
            TextStyle::Markdown.inline(text),
            "First line<br>second line<br><br>Next paragraph"
        );
        assert_eq!(TextStyle::Markdown.block("  \n\t"), "");
    }

    #[test]
    fn literal_escapes_are_line_breaks() {
        assert_eq!(
            TextStyle::Html.block("0: OFF\\n\\t\\t1: ON\\r\\n2:\\tDIM \\0"),
            "0: OFF\n1: ON\n2: DIM \\0"
        );
        assert_eq!(TextStyle::Html.inline("a\u{7}b"), "ab");
    }

    #[test]
    fn markdown_text_is_escaped_and_html_text_left_to_the_template() {
        assert_eq!(TextStyle::Markdown.inline("0|1 <x>"), "0\\|1 &lt;x&gt;");
        assert_eq!(TextStyle::Html.inline("0|1 <x>"), "0|1 <x>");
    }
}
