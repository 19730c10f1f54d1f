//! One test per quirk of the registry format (FORMAT.md §3, §4, §7, §9, §10): each is accepted
//! without any diagnostic and gives the expected model.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests may panic on unexpected results.

mod common;

use common::{doc, item, parse_clean, simple};
use lwm2m_model::{Constraint, Number, Operations, ResourceType, Version};

// §3: element order and missing elements.

#[test]
fn items_in_another_element_order_without_range_enumeration() {
    let items = "      <Item ID=\"1\"><Name>Level</Name><Type>Float</Type><Operations>R</Operations>\
                 <Mandatory>Mandatory</Mandatory><MultipleInstances>Multiple</MultipleInstances>\
                 <Description>d</Description><Units>%</Units></Item>\n";
    let object = parse_clean(&doc(items));
    let r = &object.resources[0];
    assert_eq!(r.kind, Some(ResourceType::Float));
    assert_eq!(r.operations, Operations::Read);
    assert!(r.mandatory && r.multiple);
    assert_eq!(r.range, None);
    assert_eq!(r.units.as_deref(), Some("%"));
}

#[test]
fn description2_right_after_description1() {
    let text = simple().replace(
        "<Description1>A test object.</Description1>",
        "<Description1>A test object.</Description1><Description2>Notes: two.</Description2>",
    );
    let text = text.replace("    <Description2></Description2>\n", "");
    assert_eq!(
        parse_clean(&text).description2.as_deref(),
        Some("Notes: two.")
    );
}

#[test]
fn resources_keep_file_order() {
    let items = item("5700", "A", "R", "Float", "") + &item("5601", "B", "R", "Float", "");
    let ids: Vec<u16> = parse_clean(&doc(&items))
        .resources
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, [5700, 5601]);
}

// §4: values of each element.

#[test]
fn executable_with_empty_type() {
    let object = parse_clean(&doc(&item("4", "Reboot", "E", "", "")));
    assert_eq!(object.resources[0].operations, Operations::Execute);
    assert_eq!(object.resources[0].kind, None);
}

#[test]
fn empty_operations_for_bootstrap_resources() {
    let object = parse_clean(&doc(&item("0", "LWM2M Server URI", "", "String", "0..255")));
    assert_eq!(object.resources[0].operations, Operations::None);
    assert_eq!(object.resources[0].kind, Some(ResourceType::String));
}

#[test]
fn four_spellings_of_empty() {
    for empty in [
        "<Type/>",
        "<Type></Type>",
        "<Type>\n        </Type>",
        "<Type><![CDATA[]]></Type>",
    ] {
        for units in [
            "<Units/>",
            "<Units></Units>",
            "<Units>\n   </Units>",
            "<Units><![CDATA[]]></Units>",
        ] {
            let text = doc(&item("4", "Reboot", "E", "", ""))
                .replace("<Type></Type>", empty)
                .replace("<Units></Units>", units)
                .replace(
                    "<RangeEnumeration></RangeEnumeration>",
                    "<RangeEnumeration> </RangeEnumeration>",
                )
                .replace(
                    "<Description2></Description2>",
                    "<Description2><![CDATA[]]></Description2>",
                );
            let object = parse_clean(&text);
            let r = &object.resources[0];
            assert_eq!(
                (r.kind, &r.units, &r.range),
                (None, &None, &None),
                "{empty} {units}"
            );
            assert_eq!(object.description2, None);
        }
    }
}

#[test]
fn unsigned_integer_and_corelnk_types() {
    let items = item("0", "U", "R", "Unsigned Integer", "") + &item("1", "C", "R", "Corelnk", "");
    let object = parse_clean(&doc(&items));
    assert_eq!(
        object.resources[0].kind,
        Some(ResourceType::UnsignedInteger)
    );
    assert_eq!(object.resources[1].kind, Some(ResourceType::Corelnk));
}

#[test]
fn sixty_four_bit_ranges() {
    let items = item("0", "U", "R", "Unsigned Integer", "0..18446744073709551615")
        + &item("1", "I", "R", "Integer", "0..4294967295");
    let object = parse_clean(&doc(&items));
    let constraint = |i: usize| {
        object.resources[i]
            .range
            .as_ref()
            .map(|r| r.constraint.clone())
    };
    assert_eq!(
        constraint(0),
        Some(Constraint::Range {
            min: Number::Int(0),
            max: Number::UInt(u64::MAX)
        })
    );
    assert_eq!(
        constraint(1),
        Some(Constraint::Range {
            min: Number::Int(0),
            max: Number::Int(4_294_967_295)
        })
    );
}

#[test]
fn urn_with_version_suffix_when_version_is_not_1_0() {
    let text = simple()
        .replace(
            "<ObjectVersion>1.0</ObjectVersion>",
            "<ObjectVersion>1.1</ObjectVersion>",
        )
        .replace("urn:oma:lwm2m:ext:3303<", "urn:oma:lwm2m:ext:3303:1.1<");
    let object = parse_clean(&text);
    assert_eq!(object.version, Version { major: 1, minor: 1 });
    assert_eq!(object.urn, "urn:oma:lwm2m:ext:3303:1.1");
}

#[test]
fn object_level_flags_and_description2_text() {
    let text = simple()
        .replace(
            "<Mandatory>Optional</Mandatory>\n    <Resources>",
            "<Mandatory>Mandatory</Mandatory>\n    <Resources>",
        )
        .replace(
            "<MultipleInstances>Multiple</MultipleInstances>\n    <Mandatory>",
            "<MultipleInstances>Single</MultipleInstances>\n    <Mandatory>",
        )
        .replace(
            "<Description2></Description2>",
            "<Description2>Notes: see the TS.</Description2>",
        );
    let object = parse_clean(&text);
    assert!(object.mandatory && !object.multiple);
    assert_eq!(object.description2.as_deref(), Some("Notes: see the TS."));
}

#[test]
fn range_on_boolean_is_accepted() {
    let object = parse_clean(&doc(&item("802", "Flag", "RW", "Boolean", "0..65535")));
    assert!(object.resources[0].range.is_some());
}

// §7: text content.

#[test]
fn cdata_wrapped_in_whitespace_is_trimmed() {
    let text = simple().replace(
        "<Description>Resource 0.</Description>",
        "<Description>\n\t\t\t<![CDATA[  Line one.\n\tLine two.  ]]>\n\t\t\t</Description>",
    );
    assert_eq!(
        parse_clean(&text).resources[0].description,
        "Line one.\n\tLine two."
    );
}

#[test]
fn entities_are_decoded() {
    let text = doc(&item("7", "SINR", "R", "Integer", "&#60;7 to &#62;12.5")).replace(
        "<Name>Test</Name>",
        "<Name>AT&amp;T Connectivity Extension</Name>",
    );
    let parsed = common::parse(&text);
    assert!(parsed.diagnostics.iter().all(|d| !d.is_error()));
    let object = parsed.object.unwrap();
    assert_eq!(object.name, "AT&T Connectivity Extension");
    assert_eq!(
        object.resources[0].range.as_ref().unwrap().text,
        "<7 to >12.5"
    );
}

#[test]
fn escaped_entity_inside_cdata_stays_literal() {
    let text = simple().replace(
        "<Description>Resource 0.</Description>",
        "<Description><![CDATA[dim level &gt; 0]]></Description>",
    );
    assert_eq!(
        parse_clean(&text).resources[0].description,
        "dim level &gt; 0"
    );
}

#[test]
fn literal_backslash_escapes_are_kept() {
    let text = simple().replace("Resource 0.", r"First.\n\t\t\tSecond.");
    assert_eq!(
        parse_clean(&text).resources[0].description,
        r"First.\n\t\t\tSecond."
    );
}

#[test]
fn names_are_trimmed_and_whitespace_collapsed_including_nbsp() {
    let items = item("0", "LWM2M  Server URI", "R", "String", "")
        + &item("3", " OSCORE ID Context", "R", "String", "")
        + &item("4", "Group\u{a0} Address", "R", "String", "")
        + &item("5", "rsrp-Result ", "R", "String", "");
    let names: Vec<String> = parse_clean(&doc(&items))
        .resources
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(
        names,
        [
            "LWM2M Server URI",
            "OSCORE ID Context",
            "Group Address",
            "rsrp-Result"
        ]
    );
}

#[test]
fn descriptions_keep_inner_text() {
    let text = simple().replace(
        "<Description1>A test object.</Description1>",
        "<Description1>  Multi\n\t\tline   text with   spaces.\n  </Description1>",
    );
    assert_eq!(
        parse_clean(&text).description,
        "Multi\n\t\tline   text with   spaces."
    );
}

#[test]
fn non_ascii_text_is_kept() {
    let text = simple().replace("Resource 0.", "It’s ‘quoted’… â€˜\\0â€™");
    assert_eq!(
        parse_clean(&text).resources[0].description,
        "It’s ‘quoted’… â€˜\\0â€™"
    );
}

// §9: XML-level quirks.

#[test]
fn utf8_byte_order_mark() {
    let bytes = [b"\xEF\xBB\xBF".as_slice(), simple().as_bytes()].concat();
    let parsed = lwm2m_model::parse_bytes("bom.xml", &bytes);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    assert_eq!(parsed.object.unwrap().id, 3303);
}

#[test]
fn bom_then_no_declaration() {
    let text = format!(
        "\u{feff}<!-- License -->\n{}",
        simple().split_once('\n').unwrap().1
    );
    assert_eq!(parse_clean(&text).id, 3303);
}

#[test]
fn no_xml_declaration_license_comment_first() {
    let body = simple().split_once('\n').unwrap().1.to_owned();
    let text = format!("<!--\nBSD-3 Clause License\n-->\n{body}");
    assert_eq!(parse_clean(&text).resources.len(), 1);
}

#[test]
fn encoding_case_and_space_before_question_mark() {
    for declaration in [
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        r#"<?xml version="1.0" encoding="utf-8" ?>"#,
    ] {
        let text = simple().replace(r#"<?xml version="1.0" encoding="utf-8"?>"#, declaration);
        assert_eq!(parse_clean(&text).id, 3303);
    }
}

#[test]
fn declaration_comment_and_root_on_one_line() {
    let text = simple().replacen("?>\n<LWM2M", "?><!-- c --><LWM2M", 1);
    assert_eq!(parse_clean(&text).id, 3303);
}

#[test]
fn spaces_around_attribute_equals() {
    let text = simple().replace("xmlns:xsi=\"", "xmlns:xsi = \"");
    assert_eq!(parse_clean(&text).id, 3303);
}

#[test]
fn both_schema_hosts_and_versions() {
    for location in [
        "http://openmobilealliance.org/tech/profiles/LWM2M.xsd",
        "http://www.openmobilealliance.org/tech/profiles/LWM2M.xsd",
        "http://www.openmobilealliance.org/tech/profiles/LWM2M-v1_1.xsd",
    ] {
        let text = simple().replace(
            "http://openmobilealliance.org/tech/profiles/LWM2M-v1_1.xsd",
            location,
        );
        assert_eq!(parse_clean(&text).id, 3303, "{location}");
    }
}

#[test]
fn commented_out_items_inside_resources() {
    let items = item("0", "A", "R", "Integer", "")
        + "      <!--\n"
        + &item("1", "Gone", "R", "Integer", "")
        + "      -->\n"
        + &item("2", "B", "R", "Integer", "");
    let ids: Vec<u16> = parse_clean(&doc(&items))
        .resources
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, [0, 2]);
}

#[test]
fn crlf_line_ends() {
    let text = doc(&item("0", "A", "R", "Integer", "0: ON\n1: OFF")).replace('\n', "\r\n");
    let object = parse_clean(&text);
    assert_eq!(object.resources[0].name, "A");
    assert_eq!(
        object.resources[0].range.as_ref().unwrap().constraint,
        Constraint::Labels(vec![
            (Some(Number::Int(0)), "ON".into()),
            (Some(Number::Int(1)), "OFF".into())
        ])
    );
}

#[test]
fn crlf_positions_are_still_right() {
    let text = doc(&(item("0", "A", "R", "Integer", "") + &item("0", "B", "R", "Integer", "")))
        .replace('\n', "\r\n");
    let parsed = common::parse(&text);
    common::expect(
        &parsed.diagnostics[0],
        lwm2m_model::Severity::Error,
        common::item_line(1),
        7,
        "duplicate resource ID 0",
    );
}

// §10: version history.

#[test]
fn missing_versions_default_to_1_0() {
    let text = simple()
        .replace("    <LWM2MVersion>1.0</LWM2MVersion>\n", "")
        .replace("    <ObjectVersion>1.0</ObjectVersion>\n", "");
    let object = parse_clean(&text);
    assert_eq!(
        (object.version, object.lwm2m_version),
        (Version::V1_0, Version::V1_0)
    );
}

#[test]
fn missing_lwm2m_version_only() {
    let text = simple()
        .replace("    <LWM2MVersion>1.0</LWM2MVersion>\n", "")
        .replace(
            "<ObjectVersion>1.0</ObjectVersion>",
            "<ObjectVersion>1.1</ObjectVersion>",
        )
        .replace("ext:3303<", "ext:3303:1.1<");
    let object = parse_clean(&text);
    assert_eq!(object.lwm2m_version, Version::V1_0);
    assert_eq!(object.version, Version { major: 1, minor: 1 });
}

#[test]
fn empty_versions_default_to_1_0() {
    let text = simple()
        .replace(
            "<LWM2MVersion>1.0</LWM2MVersion>",
            "<LWM2MVersion></LWM2MVersion>",
        )
        .replace("<ObjectVersion>1.0</ObjectVersion>", "<ObjectVersion/>");
    let object = parse_clean(&text);
    assert_eq!(
        (object.version, object.lwm2m_version),
        (Version::V1_0, Version::V1_0)
    );
}

#[test]
fn hyphen_ranges_and_unit_words() {
    let items = item("0", "Short Server ID", "R", "Integer", "1-65535")
        + &item("1", "Key", "R", "Opaque", "16-32-48 bytes")
        + &item("2", "Bits", "RW", "Integer", "16-bit")
        + &item("3", "WEP", "W", "String", "0 or 26 Bytes");
    let object = parse_clean(&doc(&items));
    let constraints: Vec<Constraint> = object
        .resources
        .iter()
        .map(|r| r.range.clone().unwrap().constraint)
        .collect();
    assert_eq!(
        constraints,
        [
            Constraint::Range {
                min: Number::Int(1),
                max: Number::Int(65535)
            },
            Constraint::Lengths(vec![16, 32, 48]),
            Constraint::Lengths(vec![2]),
            Constraint::Lengths(vec![0, 26]),
        ]
    );
}

#[test]
fn identical_resource_names_are_allowed() {
    let items = item("0", "Multicast Packets  Received", "R", "Integer", "")
        + &item("1", "Multicast Packets Received", "R", "Integer", "");
    let object = parse_clean(&doc(&items));
    assert_eq!(object.resources[0].name, object.resources[1].name);
}

#[test]
fn source_is_recorded() {
    let object = parse_clean(&simple());
    assert_eq!(
        object.source.as_deref(),
        Some(std::path::Path::new("test.xml"))
    );
}
