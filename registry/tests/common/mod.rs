//! Helpers shared by the integration tests: a small valid definition file with a known layout.
//!
//! Layout (1-based lines): the `<Object>` starts on line 3, its children on lines 4-11 at column 5
//! (Name 4, Description1 5, ObjectID 6, ObjectURN 7, LWM2MVersion 8, ObjectVersion 9,
//! MultipleInstances 10, Mandatory 11), `<Resources>` on line 12. Item `k` (0-based) starts on line
//! `13 + 10k` at column 7, and its children follow one per line at column 9: Name, Operations,
//! MultipleInstances, Mandatory, Type, RangeEnumeration, Units, Description.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use lwm2m_model::{Diagnostic, Parsed, Severity};

/// The file's first line of item `k`.
pub fn item_line(k: u32) -> u32 {
    13 + 10 * k
}

/// One resource, ten lines.
pub fn item(id: &str, name: &str, operations: &str, kind: &str, range: &str) -> String {
    format!(
        "      <Item ID=\"{id}\">\n        <Name>{name}</Name>\n        <Operations>{operations}</Operations>\n        <MultipleInstances>Single</MultipleInstances>\n        <Mandatory>Optional</Mandatory>\n        <Type>{kind}</Type>\n        <RangeEnumeration>{range}</RangeEnumeration>\n        <Units></Units>\n        <Description>Resource {id}.</Description>\n      </Item>\n"
    )
}

/// A complete file holding `items` in object 3303, LwM2M 1.0 schema 1.1.
pub fn doc(items: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<LWM2M xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="http://openmobilealliance.org/tech/profiles/LWM2M-v1_1.xsd">
  <Object ObjectType="MODefinition">
    <Name>Test</Name>
    <Description1>A test object.</Description1>
    <ObjectID>3303</ObjectID>
    <ObjectURN>urn:oma:lwm2m:ext:3303</ObjectURN>
    <LWM2MVersion>1.0</LWM2MVersion>
    <ObjectVersion>1.0</ObjectVersion>
    <MultipleInstances>Multiple</MultipleInstances>
    <Mandatory>Optional</Mandatory>
    <Resources>
{items}    </Resources>
    <Description2></Description2>
  </Object>
</LWM2M>
"#
    )
}

/// A file with one plain readable Integer resource 0.
pub fn simple() -> String {
    doc(&item("0", "Value", "R", "Integer", ""))
}

/// Parses `text` as `test.xml`.
pub fn parse(text: &str) -> Parsed {
    lwm2m_model::parse_str("test.xml", text)
}

/// Parses and asserts there is no diagnostic at all.
pub fn parse_clean(text: &str) -> lwm2m_model::ObjectDef {
    let parsed = parse(text);
    assert!(
        parsed.diagnostics.is_empty(),
        "unexpected diagnostics: {:#?}",
        parsed.diagnostics
    );
    parsed.object.expect("no object")
}

/// Parses and returns the only diagnostic, asserting its severity, position and message part.
pub fn single(text: &str, severity: Severity, line: u32, column: u32, part: &str) -> Parsed {
    let parsed = parse(text);
    assert_eq!(parsed.diagnostics.len(), 1, "{:#?}", parsed.diagnostics);
    expect(&parsed.diagnostics[0], severity, line, column, part);
    assert_eq!(parsed.object.is_some(), severity == Severity::Warning);
    parsed
}

/// Asserts one diagnostic's severity, position and message part.
pub fn expect(d: &Diagnostic, severity: Severity, line: u32, column: u32, part: &str) {
    assert_eq!(
        (d.severity, d.line, d.column),
        (severity, line, column),
        "{d}"
    );
    assert!(d.message.contains(part), "{d} does not contain {part:?}");
}
