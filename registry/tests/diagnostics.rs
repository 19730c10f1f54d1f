//! One test per diagnostic: exact line, column and message, and a file reporting all its errors.
//! The layout of `common::doc` is documented in `common/mod.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests may panic on unexpected results.

mod common;

use common::{doc, expect, item, item_line, parse, simple, single};
use lwm2m_model::{Operations, Severity::Error, Severity::Warning, parse_bytes, parse_file};

// Errors.

#[test]
fn not_xml() {
    single("hello, world", Error, 1, 1, "not an XML document");
    single("", Error, 1, 1, "no root element");
}

#[test]
fn not_well_formed_points_at_the_xml_error() {
    let text = simple().replace("<Name>Value</Name>", "<Name>Value</Nam>");
    single(&text, Error, item_line(0) + 1, 20, "not well-formed XML");
}

#[test]
fn unclosed_root() {
    let text = "<LWM2M>\n  <Object>\n";
    single(text, Error, 3, 1, "not well-formed XML");
}

#[test]
fn unknown_entity() {
    let text = simple().replace("Resource 0.", "a &nbsp; b");
    single(&text, Error, item_line(0) + 8, 24, "`&nbsp;`");
}

#[test]
fn bad_attribute_syntax() {
    let text = simple().replace("<Item ID=\"0\">", "<Item ID=0>");
    single(&text, Error, item_line(0), 7, "bad attribute");
}

#[test]
fn root_is_not_lwm2m() {
    let text = "<?xml version=\"1.0\"?>\n<DDFList>\n  <Item/>\n</DDFList>\n";
    single(
        text,
        Error,
        2,
        1,
        "the root element is <DDFList>, expected <LWM2M>",
    );
}

#[test]
fn object_missing() {
    single(
        "<LWM2M>\n  <Foo/>\n</LWM2M>",
        Error,
        1,
        1,
        "<LWM2M> has no <Object>",
    );
}

#[test]
fn second_object() {
    let text = simple().replace("</Object>\n", "</Object>\n  <Object/>\n");
    single(&text, Error, item_line(1) + 3, 3, "a second <Object>");
}

#[test]
fn object_id_missing() {
    let text = simple().replace("    <ObjectID>3303</ObjectID>\n", "");
    single(&text, Error, 3, 3, "has no <ObjectID>");
    let text = simple().replace("<ObjectID>3303</ObjectID>", "<ObjectID> </ObjectID>");
    single(&text, Error, 6, 5, "has no <ObjectID>");
}

#[test]
fn object_id_not_u16() {
    for bad in ["70000", "-1", "abc", "3.5"] {
        let text = simple().replace(
            "<ObjectID>3303</ObjectID>",
            &format!("<ObjectID>{bad}</ObjectID>"),
        );
        single(
            &text,
            Error,
            6,
            5,
            &format!("ObjectID \"{bad}\" is not a number in 0..=65535"),
        );
    }
}

#[test]
fn object_name_missing() {
    let text = simple().replace("<Name>Test</Name>", "<Name/>");
    single(&text, Error, 4, 5, "<Object> has no <Name>");
}

#[test]
fn object_version_invalid() {
    let text = simple().replace(
        "<ObjectVersion>1.0</ObjectVersion>",
        "<ObjectVersion>one</ObjectVersion>",
    );
    single(&text, Error, 9, 5, "ObjectVersion \"one\" is not a version");
}

#[test]
fn object_multiple_instances_and_mandatory_invalid() {
    let text = simple()
        .replace(
            "<MultipleInstances>Multiple</MultipleInstances>\n    <Mandatory>",
            "<MultipleInstances>Many</MultipleInstances>\n    <Mandatory>",
        )
        .replace(
            "<Mandatory>Optional</Mandatory>\n    <Resources>",
            "<Mandatory>Yes</Mandatory>\n    <Resources>",
        );
    let parsed = parse(&text);
    assert_eq!(parsed.diagnostics.len(), 2, "{:#?}", parsed.diagnostics);
    expect(
        &parsed.diagnostics[0],
        Error,
        10,
        5,
        "MultipleInstances \"Many\" is not Single or Multiple",
    );
    expect(
        &parsed.diagnostics[1],
        Error,
        11,
        5,
        "Mandatory \"Yes\" is not Optional or Mandatory",
    );
    assert!(parsed.object.is_none());
}

#[test]
fn item_without_id() {
    let text = simple().replace("<Item ID=\"0\">", "<Item>");
    single(&text, Error, item_line(0), 7, "<Item> has no ID attribute");
}

#[test]
fn item_id_not_u16() {
    let text = doc(&item("65536", "Value", "R", "Integer", ""));
    single(
        &text,
        Error,
        item_line(0),
        7,
        "<Item> ID \"65536\" is not a number in 0..=65535",
    );
}

#[test]
fn duplicate_resource_id_points_at_the_second_and_names_the_first() {
    let items = item("5", "A", "R", "Integer", "")
        + &item("6", "B", "R", "Integer", "")
        + &item("5", "C", "R", "Integer", "");
    let parsed = single(
        &doc(&items),
        Error,
        item_line(2),
        7,
        "duplicate resource ID 5",
    );
    assert!(
        parsed.diagnostics[0]
            .message
            .contains(&format!("first defined at line {}", item_line(0))),
        "{}",
        parsed.diagnostics[0]
    );
}

#[test]
fn unknown_type_lists_the_expected_values() {
    let text = doc(&item("0", "Value", "R", "Int", ""));
    let parsed = single(&text, Error, item_line(0) + 5, 9, "unknown Type \"Int\"");
    let message = &parsed.diagnostics[0].message;
    for expected in [
        "String",
        "Integer",
        "Unsigned Integer",
        "Float",
        "Boolean",
        "Opaque",
        "Time",
        "Objlnk",
        "Corelnk",
    ] {
        assert!(message.contains(expected), "{message}");
    }
}

#[test]
fn unknown_operations() {
    let text = doc(&item("0", "Value", "RX", "Integer", ""));
    single(
        &text,
        Error,
        item_line(0) + 2,
        9,
        "unknown Operations \"RX\" (expected R, W, RW, E or empty)",
    );
}

#[test]
fn missing_operations() {
    let text = simple().replace("        <Operations>R</Operations>\n", "");
    single(&text, Error, item_line(0), 7, "has no <Operations>");
}

#[test]
fn resource_multiple_instances_and_mandatory_invalid() {
    let text = simple()
        .replace(
            "<MultipleInstances>Single</MultipleInstances>",
            "<MultipleInstances>single</MultipleInstances>",
        )
        .replace(
            "        <Mandatory>Optional</Mandatory>\n",
            "        <Mandatory></Mandatory>\n",
        );
    let parsed = parse(&text);
    assert_eq!(parsed.diagnostics.len(), 2, "{:#?}", parsed.diagnostics);
    expect(
        &parsed.diagnostics[0],
        Error,
        item_line(0) + 3,
        9,
        "resource 0 \"Value\": MultipleInstances \"single\" is not Single or Multiple",
    );
    expect(
        &parsed.diagnostics[1],
        Error,
        item_line(0) + 4,
        9,
        "resource 0 \"Value\" has no <Mandatory> (expected Optional or Mandatory)",
    );
}

#[test]
fn missing_resource_name() {
    let text = doc(&item("3", " ", "R", "Integer", ""));
    single(
        &text,
        Error,
        item_line(0) + 1,
        9,
        "resource 3 has no <Name>",
    );
    let text = simple().replace("        <Name>Value</Name>\n", "");
    single(&text, Error, item_line(0), 7, "resource 0 has no <Name>");
}

#[test]
fn repeated_element() {
    let text = simple().replace(
        "<Type>Integer</Type>",
        "<Type>Integer</Type><Type>Float</Type>",
    );
    single(
        &text,
        Error,
        item_line(0) + 5,
        29,
        "<Item> has a second <Type> (the first is at line 18)",
    );
}

#[test]
fn element_where_text_is_expected() {
    let text = simple().replace("<Units></Units>", "<Units><b>x</b><i/></Units>");
    let parsed = parse(&text);
    assert!(parsed.object.is_none());
    assert_eq!(parsed.diagnostics.len(), 1, "{:#?}", parsed.diagnostics);
    let d = &parsed.diagnostics[0];
    assert_eq!(d.severity, Error);
    assert!(d.message.contains("Units"), "{d}");
    assert_eq!((d.line, d.column), (item_line(0) + 7, 9), "{d}");
}

#[test]
fn invalid_utf8_points_at_the_bad_byte() {
    let mut bytes = simple().into_bytes();
    let at = bytes.windows(5).position(|w| w == b"Value").unwrap();
    bytes[at + 2] = 0xFF;
    let parsed = parse_bytes("bad.xml", &bytes);
    assert!(parsed.object.is_none());
    assert_eq!(parsed.diagnostics.len(), 1);
    expect(
        &parsed.diagnostics[0],
        Error,
        item_line(0) + 1,
        17,
        "invalid UTF-8",
    );
}

#[test]
fn io_error_is_a_diagnostic_at_1_1() {
    let parsed = parse_file(std::path::Path::new("/nonexistent/dir/1.xml"));
    assert!(parsed.object.is_none());
    expect(&parsed.diagnostics[0], Error, 1, 1, "cannot read the file");
}

// Warnings.

#[test]
fn readable_resource_without_type_is_assumed_executable() {
    let parsed = single(
        &doc(&item("5", "Read data", "R", "", "")),
        Warning,
        item_line(0) + 5,
        9,
        "resource 5 \"Read data\" has Operations \"R\" but no Type: assumed an executable resource",
    );
    assert_eq!(
        parsed.object.unwrap().resources[0].operations,
        Operations::Execute
    );
}

#[test]
fn executable_with_a_type_ignores_the_type() {
    let parsed = single(
        &doc(&item("3", "Unset", "E", "String", "")),
        Warning,
        item_line(0) + 5,
        9,
        "executable (Operations E) but has Type String: the Type is ignored",
    );
    assert_eq!(parsed.object.unwrap().resources[0].kind, None);
}

#[test]
fn schema_mismatch_with_v1_1_type() {
    let text = doc(&item("0", "Value", "R", "Unsigned Integer", ""))
        .replace("LWM2M-v1_1.xsd", "LWM2M.xsd");
    single(
        &text,
        Warning,
        2,
        1,
        "uses the Type \"Unsigned Integer\": assumed the 1.1 schema",
    );
    let text = doc(&item("0", "Link", "R", "Corelnk", "")).replace("LWM2M-v1_1.xsd", "LWM2M.xsd");
    single(&text, Warning, 2, 1, "uses the Type \"Corelnk\"");
}

#[test]
fn schema_mismatch_with_lwm2m_version() {
    let text = simple().replace("LWM2M-v1_1.xsd", "LWM2M.xsd").replace(
        "<LWM2MVersion>1.0</LWM2MVersion>",
        "<LWM2MVersion>1.1</LWM2MVersion>",
    );
    single(
        &text,
        Warning,
        2,
        1,
        "declares LWM2MVersion 1.1: assumed the 1.1 schema",
    );
}

#[test]
fn urn_with_a_needless_version_suffix() {
    let text = simple().replace("urn:oma:lwm2m:ext:3303<", "urn:oma:lwm2m:ext:3303:1.0<");
    let parsed = single(
        &text,
        Warning,
        7,
        5,
        "assumed the ObjectID and ObjectVersion elements are right",
    );
    assert_eq!(parsed.object.unwrap().urn, "urn:oma:lwm2m:ext:3303");
}

#[test]
fn urn_disagreeing_with_id_band_or_version() {
    for urn in [
        "urn:oma:lwm2m:ext:3304",
        "urn:oma:lwm2m:x:3303",
        "urn:oma:lwm2m:ext:3303:1.1",
        "foo",
    ] {
        let text = simple().replace("urn:oma:lwm2m:ext:3303<", &format!("{urn}<"));
        single(
            &text,
            Warning,
            7,
            5,
            &format!("ObjectURN \"{urn}\" disagrees with ObjectID 3303"),
        );
    }
    let text = simple().replace(
        "<ObjectVersion>1.0</ObjectVersion>",
        "<ObjectVersion>2.0</ObjectVersion>",
    );
    let parsed = single(
        &text,
        Warning,
        7,
        5,
        "expected \"urn:oma:lwm2m:ext:3303:2.0\"",
    );
    assert_eq!(parsed.object.unwrap().urn, "urn:oma:lwm2m:ext:3303:2.0");
}

#[test]
fn urn_missing() {
    let text = simple().replace("    <ObjectURN>urn:oma:lwm2m:ext:3303</ObjectURN>\n", "");
    let parsed = single(
        &text,
        Warning,
        3,
        3,
        "no <ObjectURN>: assumed \"urn:oma:lwm2m:ext:3303\"",
    );
    assert_eq!(parsed.object.unwrap().urn, "urn:oma:lwm2m:ext:3303");
}

#[test]
fn free_text_range() {
    let text = doc(&item("6", "Limit", "RW", "Integer", "2 Instances"));
    let parsed = single(
        &text,
        Warning,
        item_line(0) + 6,
        9,
        "RangeEnumeration \"2 Instances\" is neither a range nor an enumeration: kept as free text",
    );
    let range = parsed.object.unwrap().resources[0].range.clone().unwrap();
    assert_eq!(range.text, "2 Instances");
    assert_eq!(range.constraint, lwm2m_model::Constraint::Unparsed);
}

#[test]
fn reversed_range() {
    let text = doc(&item("4", "RSSI", "R", "Integer", "-30..-120"));
    single(
        &text,
        Warning,
        item_line(0) + 6,
        9,
        "RangeEnumeration \"-30..-120\" is reversed",
    );
}

// All errors of a file.

#[test]
fn a_file_with_many_errors_reports_them_all() {
    let items = item("0", "A", "R", "Int", "")
        + &item("x", "B", "R", "Integer", "")
        + &item("0", "C", "Read", "Integer", "")
        + &item("3", "", "R", "Integer", "")
        + &item("4", "Reset", "R", "", "");
    let text = doc(&items).replace("<ObjectID>3303</ObjectID>", "<ObjectID>99999</ObjectID>");
    let parsed = parse(&text);
    assert!(parsed.object.is_none());
    let d = &parsed.diagnostics;
    assert_eq!(d.len(), 7, "{d:#?}");
    expect(&d[0], Error, 6, 5, "ObjectID \"99999\"");
    expect(&d[1], Error, item_line(0) + 5, 9, "unknown Type \"Int\"");
    expect(&d[2], Error, item_line(1), 7, "ID \"x\"");
    expect(&d[3], Error, item_line(2), 7, "duplicate resource ID 0");
    expect(
        &d[4],
        Error,
        item_line(2) + 2,
        9,
        "unknown Operations \"Read\"",
    );
    expect(
        &d[5],
        Error,
        item_line(3) + 1,
        9,
        "resource 3 has no <Name>",
    );
    expect(
        &d[6],
        Warning,
        item_line(4) + 5,
        9,
        "assumed an executable resource",
    );
}

#[test]
fn display_format() {
    let text = doc(&item("0", "Value", "R", "Int", ""));
    let parsed = parse(&text);
    assert_eq!(
        parsed.diagnostics[0].to_string(),
        format!(
            "test.xml:{}:9: error: resource 0 \"Value\": unknown Type \"Int\" (expected String, Integer, Unsigned Integer, Float, Boolean, Opaque, Time, Objlnk, Corelnk, or empty for an executable)",
            item_line(0) + 5
        )
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    let text = simple().replace("<Type>Integer</Type>", "<!--€€--><Type>Int</Type>");
    single(&text, Error, item_line(0) + 5, 18, "unknown Type");
}
