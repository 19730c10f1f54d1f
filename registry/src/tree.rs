//! The pre-pass: one walk over the XML events that checks well-formedness and records where every
//! element starts, so diagnostics can point at the offending element.

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};

/// One element: its name, the byte offset of its `<`, and its child elements in document order.
#[derive(Debug)]
pub(crate) struct Element {
    /// The qualified name, as written.
    pub(crate) name: String,
    /// Byte offset of the `<` of the start tag.
    pub(crate) offset: usize,
    /// Indices into [`Tree::elements`].
    pub(crate) children: Vec<usize>,
}

/// The element structure of a well-formed document.
#[derive(Debug)]
pub(crate) struct Tree {
    /// Every element, in document order; the root is index 0.
    pub(crate) elements: Vec<Element>,
    /// The root's `xsi:noNamespaceSchemaLocation` attribute.
    pub(crate) schema_location: Option<String>,
}

/// A well-formedness error at a byte offset.
#[derive(Debug)]
pub(crate) struct XmlError {
    /// Byte offset of the error.
    pub(crate) offset: usize,
    /// What is wrong.
    pub(crate) message: String,
}

impl Tree {
    /// The root element.
    pub(crate) fn root(&self) -> Option<&Element> {
        self.elements.first()
    }

    /// The `index`-th child named `name` of `parent`.
    pub(crate) fn child<'t>(
        &'t self,
        parent: &'t Element,
        name: &'t str,
        index: usize,
    ) -> Option<&'t Element> {
        self.children(parent, name).nth(index)
    }

    /// The children named `name` of `parent`.
    pub(crate) fn children<'t>(
        &'t self,
        parent: &'t Element,
        name: &'t str,
    ) -> impl Iterator<Item = &'t Element> + 't {
        parent
            .children
            .iter()
            .filter_map(|&i| self.elements.get(i))
            .filter(move |e| e.name == name)
    }
}

/// Walks the document and builds its [`Tree`], or reports the first well-formedness error.
pub(crate) fn scan(text: &str) -> Result<Tree, XmlError> {
    let mut reader = Reader::from_str(text);
    let mut elements: Vec<Element> = Vec::new();
    let mut schema_location = None;
    let mut stack: Vec<usize> = Vec::new();
    let to_offset = |p: u64| usize::try_from(p).unwrap_or(usize::MAX);
    loop {
        let start = to_offset(reader.buffer_position());
        let event = reader.read_event().map_err(|e| XmlError {
            offset: to_offset(reader.error_position()),
            message: format!("not well-formed XML: {}", describe(&e)),
        })?;
        let fail = |message: String| XmlError {
            offset: start,
            message,
        };
        match event {
            Event::Start(ref tag) | Event::Empty(ref tag) => {
                if stack.is_empty() && !elements.is_empty() {
                    return Err(fail("not well-formed XML: a second root element".into()));
                }
                let name = tag.name().as_ref().to_owned();
                let location = check_attributes(tag).map_err(fail)?;
                if elements.is_empty() {
                    schema_location = location;
                }
                let index = elements.len();
                if let Some(parent) = stack.last().and_then(|&p| elements.get_mut(p)) {
                    parent.children.push(index);
                }
                elements.push(Element {
                    name,
                    offset: start,
                    children: Vec::new(),
                });
                if matches!(event, Event::Start(_)) {
                    stack.push(index);
                }
            }
            Event::End(_) => {
                stack.pop();
            }
            Event::Text(ref t) if stack.is_empty() && !t.trim().is_empty() => {
                return Err(fail(if elements.is_empty() {
                    "not an XML document: text before the root element".into()
                } else {
                    "not well-formed XML: text after the root element".into()
                }));
            }
            Event::CData(_) | Event::GeneralRef(_) if stack.is_empty() => {
                return Err(fail(
                    "not well-formed XML: content outside the root element".into(),
                ));
            }
            Event::GeneralRef(ref r) => {
                let known = match r.resolve_char_ref() {
                    Ok(Some(_)) => true,
                    Ok(None) => resolve_predefined_entity(r).is_some(),
                    Err(_) => false,
                };
                if !known {
                    return Err(fail(format!(
                        "not well-formed XML: unknown entity or bad character reference `&{};`",
                        &**r
                    )));
                }
            }
            Event::Eof => {
                if let Some(open) = stack.last().and_then(|&i| elements.get(i)) {
                    return Err(XmlError {
                        offset: text.len(),
                        message: format!("not well-formed XML: <{}> is never closed", open.name),
                    });
                }
                if elements.is_empty() {
                    return Err(fail("not an XML document: no root element".into()));
                }
                return Ok(Tree {
                    elements,
                    schema_location,
                });
            }
            _ => {}
        }
    }
}

/// The message of a reader error without quick-xml's category prefix.
fn describe(error: &quick_xml::Error) -> String {
    match error {
        quick_xml::Error::Syntax(e) => e.to_string(),
        quick_xml::Error::IllFormed(e) => e.to_string(),
        other => other.to_string(),
    }
}

/// Checks the attribute syntax of a tag; returns its `xsi:noNamespaceSchemaLocation`, if any.
fn check_attributes(tag: &BytesStart<'_>) -> Result<Option<String>, String> {
    let mut location = None;
    for attribute in tag.attributes() {
        let attribute =
            attribute.map_err(|e| format!("not well-formed XML: bad attribute: {e}"))?;
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| format!("not well-formed XML: bad attribute value: {e}"))?;
        if attribute.key.as_ref() == "xsi:noNamespaceSchemaLocation" {
            location = Some(value.into_owned());
        }
    }
    Ok(location)
}
