//! Generated code: snapshots of chosen objects, determinism, every bundled object, builder options.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests may panic on unexpected results.

use lwm2m_codegen::{Builder, Error};

/// Formatted, as people read it (the snapshots).
fn generate(ids: &[u16]) -> String {
    Builder::new()
        .objects(ids.iter().copied())
        .format(true)
        .generate()
        .unwrap()
}

#[test]
fn snapshot_device_3() {
    insta::assert_snapshot!("object_3_device", generate(&[3]));
}

#[test]
fn snapshot_temperature_3303() {
    insta::assert_snapshot!("object_3303_temperature", generate(&[3303]));
}

#[test]
fn snapshot_security_0_empty_operations() {
    insta::assert_snapshot!("object_0_security", generate(&[0]));
}

#[test]
fn snapshot_3430_name_collisions() {
    let code = generate(&[3430]);
    assert!(code.contains("pub satellite_identifiers_17:"));
    assert!(code.contains("pub satellite_identifiers_18:"));
    insta::assert_snapshot!("object_3430_collisions", code);
}

#[test]
fn snapshot_10242_leading_digits() {
    let code = generate(&[10242]);
    assert!(code.contains("pub struct N3PhasePowerMeter {"));
    assert!(code.contains("pub n3_phase_active_power:"));
    insta::assert_snapshot!("object_10242_leading_digits", code);
}

#[test]
fn snapshot_10378_keyword() {
    let code = generate(&[10378]);
    assert!(code.contains("pub r#type:"));
    insta::assert_snapshot!("object_10378_keyword", code);
}

#[test]
fn generation_is_deterministic() {
    let first = Builder::new().generate().unwrap();
    let second = Builder::new().generate().unwrap();
    assert_eq!(first, second);
}

#[test]
fn every_bundled_object_generates_valid_rust() {
    let registry = lwm2m_model::Registry::bundled();
    let code = Builder::new().generate().unwrap();
    let file = syn::parse_file(&code).unwrap();
    let structs = file
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) => Some(s),
            _ => None,
        })
        .collect::<Vec<_>>();
    assert_eq!(structs.len(), registry.len());
    let mut names = structs
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), registry.len(), "type names are unique");
    for (item, def) in structs.iter().zip(registry.objects()) {
        assert_eq!(item.fields.len(), def.resources.len(), "{}", def.id);
        let mut fields = item
            .fields
            .iter()
            .map(|f| f.ident.as_ref().unwrap().to_string())
            .collect::<Vec<_>>();
        fields.sort();
        fields.dedup();
        assert_eq!(
            fields.len(),
            def.resources.len(),
            "field names of {} are unique",
            def.id
        );
    }
    // The last item lists every object's metadata.
    let Some(syn::Item::Const(objects)) = file.items.last() else {
        panic!("no OBJECTS constant at the end");
    };
    assert_eq!(objects.ident, "OBJECTS");
}

#[test]
fn unformatted_output_is_the_formatted_code() {
    // The default output (for the compiler) is the formatted one (for people) before
    // prettyplease: formatting it as a whole gives, byte for byte, what the per-object parallel
    // formatting gave (whose snapshots above are those of the earlier generator, which built
    // token streams and formatted the whole file).
    let unformatted = Builder::new().generate().unwrap();
    let formatted = Builder::new().format(true).generate().unwrap();
    assert_ne!(unformatted, formatted);
    let body = unformatted
        .strip_prefix(lwm2m_codegen::emit::HEADER)
        .unwrap();
    let expected = format!(
        "{}\n{}",
        lwm2m_codegen::emit::HEADER,
        lwm2m_codegen::emit::format_source(body).unwrap()
    );
    assert_eq!(formatted, expected);
    // Both parse to the same items (prettyplease adds trailing commas where it breaks a type
    // over lines, so they are compared after formatting).
    let items = |code: &str| syn::parse_file(code).unwrap().items.len();
    assert_eq!(items(&unformatted), items(&formatted));
    // Per object: the struct, its id constants, its `impl Object` (in a `const _` block).
    assert_eq!(
        items(&unformatted),
        3 * lwm2m_model::Registry::bundled().len() + 1
    );
}

#[test]
fn snapshot_temperature_3303_unformatted() {
    let code = Builder::new().objects([3303]).generate().unwrap();
    insta::assert_snapshot!("object_3303_unformatted", code);
}

#[test]
fn each_bundled_object_generates_alone() {
    for def in lwm2m_model::Registry::bundled().objects() {
        let code = generate(&[def.id]);
        syn::parse_file(&code).unwrap_or_else(|e| panic!("{}: {e}", def.id));
    }
}

#[test]
fn objects_are_in_id_order_and_resources_in_file_order() {
    let code = generate(&[3303, 3, 0]);
    let security = code.find("pub struct Lwm2mSecurity {").unwrap();
    let device = code.find("pub struct Device {").unwrap();
    let temperature = code.find("pub struct Temperature {").unwrap();
    assert!(security < device && device < temperature);
    // 3303 lists 5700 before 5601 (the fields), the metadata is sorted by id.
    assert!(
        code.find("pub sensor_value:").unwrap() < code.find("pub min_measured_value:").unwrap()
    );
    assert!(code.find("id: 5601,").unwrap() < code.find("id: 5700,").unwrap());
    assert!(code.trim_end().ends_with(
        "pub const OBJECTS: &[&::lwm2m::meta::ObjectMeta] = &[\n    \
         <Lwm2mSecurity as ::lwm2m::Object>::META,\n    \
         <Device as ::lwm2m::Object>::META,\n    \
         <Temperature as ::lwm2m::Object>::META,\n];"
    ));
}

#[test]
fn type_names_do_not_depend_on_the_selection() {
    assert!(generate(&[3336]).contains("pub struct Location3336 {"));
    assert!(generate(&[6]).contains("pub struct Location {"));
    let both = generate(&[6, 3336]);
    assert!(both.contains("pub struct Location {") && both.contains("pub struct Location3336 {"));
}

#[test]
fn objects_list_can_be_left_out() {
    let code = Builder::new()
        .objects([3303])
        .objects_list(false)
        .generate()
        .unwrap();
    assert!(!code.contains("OBJECTS"));
}

#[test]
fn crate_path_is_used_everywhere() {
    let code = Builder::new()
        .objects([3303])
        .crate_path("crate::rt")
        .generate()
        .unwrap();
    assert!(code.contains("use crate::rt::__private as __lwm2m;"));
    assert!(code.contains("impl crate::rt::Object for Temperature {"));
    let derived = Builder::new()
        .objects([3303])
        .crate_path("crate::rt")
        .derive_object(true)
        .generate()
        .unwrap();
    assert!(derived.contains("crate = \"crate::rt\""));
    assert!(derived.contains("crate::rt::Object)]"));
    assert!(!derived.contains("::lwm2m"));
    assert!(code.contains("crate::rt::Executable"));
    assert!(!code.contains("::lwm2m"));
}

#[test]
fn derives_are_debug_clone_default_plus_the_ones_asked_for() {
    let code = Builder::new().objects([3303]).generate().unwrap();
    assert!(code.contains("#[derive(Debug, Clone, Default)]\n"));
    let code = Builder::new()
        .objects([3303])
        .derives(["PartialEq"])
        .derives(["::serde::Serialize"])
        .generate()
        .unwrap();
    assert!(code.contains("#[derive(Debug, Clone, Default, PartialEq, ::serde::Serialize)]\n"));
    let code = Builder::new()
        .objects([3303])
        .derives(["PartialEq"])
        .derive_object(true)
        .generate()
        .unwrap();
    assert!(code.contains("#[derive(Debug, Clone, Default, PartialEq, ::lwm2m::Object)]\n"));
    let error = Builder::new()
        .objects([3303])
        .derives(["Partial Eq"])
        .generate()
        .unwrap_err();
    assert!(
        matches!(&error, Error::Derive { derive, .. } if derive == "Partial Eq"),
        "{error}"
    );
}

#[test]
fn invalid_crate_path_is_an_error() {
    let error = Builder::new()
        .crate_path("not a path")
        .generate()
        .unwrap_err();
    assert!(matches!(error, Error::CratePath { ref path, .. } if path == "not a path"));
}

#[test]
fn unknown_object_is_an_error() {
    let error = Builder::new()
        .objects([3303, 65000])
        .generate()
        .unwrap_err();
    assert!(matches!(error, Error::UnknownObject(65000)));
}

const USER_OBJECT: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<LWM2M>
  <Object ObjectType="MODefinition">
    <Name>My Thermometer</Name>
    <Description1>A user's own definition of 3303.</Description1>
    <ObjectID>3303</ObjectID>
    <ObjectURN>urn:oma:lwm2m:ext:3303:1.1</ObjectURN>
    <LWM2MVersion>1.0</LWM2MVersion>
    <ObjectVersion>1.1</ObjectVersion>
    <MultipleInstances>Multiple</MultipleInstances>
    <Mandatory>Optional</Mandatory>
    <Resources>
      <Item ID="5700">
        <Name>Sensor Value</Name>
        <Operations>R</Operations>
        <MultipleInstances>Single</MultipleInstances>
        <Mandatory>Mandatory</Mandatory>
        <Type>Float</Type>
        <RangeEnumeration></RangeEnumeration>
        <Units>Cel</Units>
        <Description>Value.</Description>
      </Item>
    </Resources>
    <Description2></Description2>
  </Object>
</LWM2M>
"#;

#[test]
fn user_files_replace_bundled_objects() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("3303.xml"), USER_OBJECT).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a definition").unwrap();
    let code = Builder::new()
        .objects([3303])
        .xml_dir(dir.path())
        .generate()
        .unwrap();
    assert!(code.contains("pub struct MyThermometer {"));
    assert_eq!(
        code.matches("__lwm2m::ResourceMeta { id: ").count(),
        1,
        "its one resource"
    );
}

#[test]
fn without_bundled_only_user_objects_exist() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mine.xml");
    std::fs::write(&file, USER_OBJECT).unwrap();
    let code = Builder::new()
        .bundled(false)
        .xml_file(&file)
        .generate()
        .unwrap();
    assert_eq!(code.matches("pub struct ").count(), 1);
    let error = Builder::new()
        .bundled(false)
        .objects([3])
        .generate()
        .unwrap_err();
    assert!(matches!(error, Error::UnknownObject(3)));
}

#[test]
fn definition_errors_carry_positions() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.xml");
    std::fs::write(&file, USER_OBJECT.replace("</Item>", "</Itme>")).unwrap();
    let error = Builder::new().xml_file(&file).generate().unwrap_err();
    let Error::Definitions(diagnostics) = &error else {
        panic!("expected definition errors, got {error:?}");
    };
    let first = diagnostics.iter().find(|d| d.is_error()).unwrap();
    assert_eq!(first.file, file);
    assert_eq!(first.line, 22);
    assert!(
        error
            .to_string()
            .starts_with("1 error in the object definitions\n")
    );
}

#[test]
fn write_only_touches_the_file_when_content_changes() {
    let dir = tempfile::tempdir().unwrap();
    let builder = Builder::new()
        .objects([3303])
        .out_dir(dir.path().join("out"))
        .file_name("objects.rs");
    let first = builder.write().unwrap();
    assert!(first.written);
    let path = dir.path().join("out/objects.rs");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), first.code);
    assert!(!builder.write().unwrap().written);
    assert!(builder.clone().objects([3]).write().unwrap().written);
}

/// The naming cases of FORMAT.md §8, on the real bundled definitions.
#[test]
fn registry_naming_cases() {
    let cases: &[(u16, &str, &[&str])] = &[
        (1, "Lwm2mServer", &["pub lifetime:"]),
        (27, "N5gnrConnectivity", &["pub n5qi:"]),
        (
            3392,
            "",
            &["pub object_enabled_924:", "pub object_enabled_934:"],
        ),
        (
            3416,
            "",
            &[
                "pub control_gear_thermal_derating_counter_reset_24:",
                "pub control_gear_thermal_derating_counter_reset_27:",
            ],
        ),
        (
            3421,
            "",
            &[
                "pub active_energy_a_a_combined_total_27:",
                "pub active_energy_a_a_combined_total_28:",
            ],
        ),
        (
            3422,
            "",
            &[
                "pub active_energy_combined_total_export_19:",
                "pub active_energy_combined_total_export_20:",
            ],
        ),
        (3459, "", &["pub group_address:"]),
        (
            10329,
            "",
            &[
                "pub group_dancing_program_control_113:",
                "pub group_dancing_program_control_115:",
                "pub intonation_change_132:",
                "pub intonation_change_133:",
            ],
        ),
        (10308, "AttConnectivityExtension", &[]),
        (3333, "Time", &[]),
    ];
    for (id, type_name, fields) in cases {
        let code = generate(&[*id]);
        if !type_name.is_empty() {
            assert!(code.contains(&format!("pub struct {type_name} {{")), "{id}");
        }
        for field in *fields {
            assert!(code.contains(field), "{id}: {field}");
        }
    }
}
