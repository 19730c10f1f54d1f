//! Parsing one registry XML file into an [`ObjectDef`] plus diagnostics.
//!
//! Three steps: the event pre-pass (`crate::tree`) checks well-formedness and records where each
//! element starts; the serde layer (`crate::raw`) reads the content; `crate::validate` checks it
//! and builds the model, reporting every problem at the element it concerns.

use std::path::{Path, PathBuf};

use serde_path_to_error::Segment;

use crate::diagnostic::{Diagnostic, Severity, Sink};
use crate::model::ObjectDef;
use crate::raw::{ITEM_FIELDS, OBJECT_FIELDS, RawDocument};
use crate::text::LineIndex;
use crate::tree::{self, Element, Tree};
use crate::validate;

/// The result of parsing one definition file: the object (when the file has no error) and every
/// problem found.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The object, `None` when any diagnostic is an error.
    pub object: Option<ObjectDef>,
    /// Every error and warning of the file, in the order they were found.
    pub diagnostics: Vec<Diagnostic>,
}

impl Parsed {
    /// The number of error diagnostics.
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }
}

/// Parses the bytes of a definition file: UTF-8 with an optional BOM, LF or CRLF line ends.
/// Invalid UTF-8 is an error diagnostic at the first bad byte.
pub fn parse_bytes(source: impl Into<PathBuf>, bytes: &[u8]) -> Parsed {
    let source = source.into();
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_str(source, text),
        Err(e) => {
            let valid = bytes.get(..e.valid_up_to()).unwrap_or_default();
            // The prefix is valid UTF-8 by construction.
            let prefix = String::from_utf8_lossy(valid);
            let prefix = prefix.strip_prefix('\u{feff}').unwrap_or(&prefix);
            let (line, column) = LineIndex::new(prefix).position(prefix.len());
            Parsed {
                object: None,
                diagnostics: vec![Diagnostic {
                    file: source,
                    line,
                    column,
                    severity: Severity::Error,
                    message: format!(
                        "invalid UTF-8 at byte {} (the registry files are UTF-8)",
                        e.valid_up_to()
                    ),
                }],
            }
        }
    }
}

/// Parses the text of a definition file (an optional leading BOM is skipped).
pub fn parse_str(source: impl Into<PathBuf>, text: &str) -> Parsed {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines = LineIndex::new(text);
    let mut sink = Sink::new(source.into(), &lines);
    let object = parse_document(text, &mut sink);
    let object = if sink.has_errors() { None } else { object };
    let (file, diagnostics) = sink.into_parts();
    Parsed {
        object: object.map(|mut o| {
            o.source = Some(file);
            o
        }),
        diagnostics,
    }
}

/// Reads and parses a definition file; an I/O error becomes an error [`Diagnostic`] at 1:1.
pub fn parse_file(path: &Path) -> Parsed {
    match std::fs::read(path) {
        Ok(bytes) => parse_bytes(path, &bytes),
        Err(e) => Parsed {
            object: None,
            diagnostics: vec![Diagnostic {
                file: path.to_path_buf(),
                line: 1,
                column: 1,
                severity: Severity::Error,
                message: format!("cannot read the file: {e}"),
            }],
        },
    }
}

fn parse_document(text: &str, sink: &mut Sink<'_>) -> Option<ObjectDef> {
    let tree = match tree::scan(text) {
        Ok(tree) => tree,
        Err(e) => {
            sink.error(e.offset, e.message);
            return None;
        }
    };
    let root = tree.root()?;
    if root.name != "LWM2M" {
        sink.error(
            root.offset,
            format!("the root element is <{}>, expected <LWM2M>", root.name),
        );
        return None;
    }
    let mut objects = tree.children(root, "Object");
    let Some(object) = objects.next() else {
        sink.error(root.offset, "<LWM2M> has no <Object> element");
        return None;
    };
    for extra in objects {
        sink.error(
            extra.offset,
            format!(
                "a second <Object>: a definition file holds one object (the first is at line {})",
                sink.line(object.offset)
            ),
        );
    }
    check_duplicates(&tree, object, &OBJECT_FIELDS, sink);
    for resources in tree.children(object, "Resources").take(1) {
        for item in tree.children(resources, "Item") {
            check_duplicates(&tree, item, &ITEM_FIELDS, sink);
        }
    }
    if sink.has_errors() {
        // The serde layer would only repeat these errors without a position.
        return None;
    }

    let mut deserializer = quick_xml::de::Deserializer::from_str(text);
    let document: RawDocument = match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(document) => document,
        Err(e) => {
            let offset = locate(&tree, e.path());
            sink.error(offset, format!("cannot read <{}>: {}", e.path(), e.inner()));
            return None;
        }
    };
    let raw = document.objects.into_iter().next()?;
    validate::object(raw, &tree, object, sink)
}

/// Reports known fields that occur twice under `parent`.
fn check_duplicates(tree: &Tree, parent: &Element, fields: &[&str], sink: &mut Sink<'_>) {
    for field in fields {
        let mut same = tree.children(parent, field);
        let Some(first) = same.next() else { continue };
        for second in same {
            sink.error(
                second.offset,
                format!(
                    "<{}> has a second <{field}> (the first is at line {})",
                    parent.name,
                    sink.line(first.offset)
                ),
            );
        }
    }
}

/// The offset of the element a serde error path names (as deep as the tree resolves it).
fn locate(tree: &Tree, path: &serde_path_to_error::Path) -> usize {
    let Some(mut current) = tree.root() else {
        return 0;
    };
    let segments: Vec<&Segment> = path.iter().collect();
    let mut i = 0;
    while let Some(segment) = segments.get(i) {
        if let Segment::Map { key } = segment {
            if key.starts_with('@') {
                break;
            }
            let index = match segments.get(i + 1) {
                Some(Segment::Seq { index }) => {
                    i += 1;
                    *index
                }
                _ => 0,
            };
            match tree.child(current, key, index) {
                Some(child) => current = child,
                None => break,
            }
        }
        i += 1;
    }
    current.offset
}
