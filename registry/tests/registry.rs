//! The registry API: insert/get/objects, loading files and directories, the bundled registry.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests may panic on unexpected results.

mod common;

use std::fs;

use common::{doc, item, simple};
use lwm2m_model::{LoadReport, ObjectDef, Registry, Version, parse_str, xml_files};

fn object(id: u16, version: (u16, u16), name: &str) -> ObjectDef {
    let text = simple()
        .replace(
            "<ObjectID>3303</ObjectID>",
            &format!("<ObjectID>{id}</ObjectID>"),
        )
        .replace("<Name>Test</Name>", &format!("<Name>{name}</Name>"))
        .replace(
            "<ObjectVersion>1.0</ObjectVersion>",
            &format!("<ObjectVersion>{}.{}</ObjectVersion>", version.0, version.1),
        );
    parse_str("mem.xml", &text).object.unwrap()
}

#[test]
fn new_is_empty() {
    let registry = Registry::new();
    assert!(registry.is_empty());
    assert_eq!(registry.len(), 0);
    assert!(registry.get(3).is_none());
}

#[test]
fn insert_keeps_the_higher_version_and_the_newest_on_ties() {
    let mut registry = Registry::new();
    registry.insert(object(3303, (1, 1), "Newer"));
    registry.insert(object(3303, (1, 0), "Older"));
    assert_eq!(registry.get(3303).unwrap().name, "Newer");
    registry.insert(object(3303, (1, 1), "Same version, inserted last"));
    assert_eq!(
        registry.get(3303).unwrap().name,
        "Same version, inserted last"
    );
    registry.insert(object(3303, (2, 0), "Two"));
    assert_eq!(
        registry.get(3303).unwrap().version,
        Version { major: 2, minor: 0 }
    );
    assert_eq!(registry.len(), 1);
}

#[test]
fn objects_ascend_by_id() {
    let mut registry = Registry::new();
    for id in [3303, 0, 10241, 3] {
        registry.insert(object(id, (1, 0), "X"));
    }
    let ids: Vec<u16> = registry.objects().map(|o| o.id).collect();
    assert_eq!(ids, [0, 3, 3303, 10241]);
}

#[test]
fn xml_files_lists_directories_sorted_without_recursing() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["b.xml", "a.xml", "c.txt", "10.xml"] {
        fs::write(dir.path().join(name), "").unwrap();
    }
    fs::create_dir(dir.path().join("sub")).unwrap();
    fs::write(dir.path().join("sub/d.xml"), "").unwrap();
    let single = dir.path().join("c.txt");
    let files = xml_files(&[dir.path().to_path_buf(), single.clone()]).unwrap();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["10.xml", "a.xml", "b.xml", "c.txt"]);
}

#[test]
fn xml_files_rejects_a_missing_path() {
    let error = xml_files(&["/nonexistent/registry"]).unwrap_err();
    assert!(error.is_error());
    assert_eq!((error.line, error.column), (1, 1));
    assert!(error.message.contains("cannot access"), "{error}");
}

#[test]
fn load_paths_adds_good_files_and_reports_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("3303.xml"), simple()).unwrap();
    fs::write(
        dir.path().join("5.xml"),
        doc(&item("5", "Read data", "R", "", ""))
            .replace(">3303<", ">5<")
            .replace("ext:3303", "oma:5"),
    )
    .unwrap();
    fs::write(
        dir.path().join("bad.xml"),
        doc(&item("0", "A", "R", "Int", "")),
    )
    .unwrap();
    let mut registry = Registry::new();
    let report: LoadReport = registry.load_paths(&[dir.path()]);
    assert_eq!(report.files, 3);
    assert_eq!(
        (report.errors(), report.warnings()),
        (1, 1),
        "{:#?}",
        report.diagnostics
    );
    let ids: Vec<u16> = registry.objects().map(|o| o.id).collect();
    assert_eq!(
        ids,
        [5, 3303],
        "a file with an error adds nothing; warnings do not stop a file"
    );
    assert_eq!(
        registry.get(3303).unwrap().source.as_deref(),
        Some(dir.path().join("3303.xml").as_path())
    );
    assert!(report.diagnostics[0].file.ends_with("5.xml"));
}

#[test]
fn load_paths_with_a_missing_path() {
    let mut registry = Registry::new();
    let report = registry.load_paths(&["/nonexistent/x.xml"]);
    assert_eq!((report.files, report.errors()), (0, 1));
    assert!(registry.is_empty());
}

#[test]
fn bundled_temperature() {
    let registry = Registry::bundled();
    let t = registry.get(3303).unwrap();
    assert_eq!(t.name, "Temperature");
    assert_eq!(t.urn, "urn:oma:lwm2m:ext:3303:1.1");
    let sensor = t.resources.iter().find(|r| r.id == 5700).unwrap();
    assert_eq!(sensor.name, "Sensor Value");
    assert!(sensor.mandatory);
    assert_eq!(t.source.as_deref(), Some(std::path::Path::new("3303.xml")));
}

#[test]
fn bundled_registry_quirks_from_the_real_files() {
    use lwm2m_model::{Operations, ResourceType};
    let registry = Registry::bundled();
    let resource = |object: u16, id: u16| {
        registry
            .get(object)
            .unwrap()
            .resources
            .iter()
            .find(|r| r.id == id)
            .unwrap()
            .clone()
    };
    assert_eq!(
        registry.get(10308).unwrap().name,
        "AT&T Connectivity Extension"
    );
    assert_eq!(resource(3459, 4).name, "Group Address");
    assert_eq!(resource(21, 6).name, "OSCORE ID Context");
    assert_eq!(resource(0, 0).name, "LWM2M Server URI");
    assert_eq!(resource(0, 0).operations, Operations::None);
    assert_eq!(resource(10482, 5).operations, Operations::Execute);
    assert_eq!(resource(10482, 5).kind, None);
    assert_eq!(resource(10308, 7).range.unwrap().text, "<7 to >12.5");
    assert!(
        resource(3416, 17)
            .description
            .ends_with("dim level &gt; 0).")
    );
    assert_eq!(registry.get(10254).unwrap().urn, "urn:oma:lwm2m:x:10254");
    assert_eq!(
        resource(3388, 910).kind,
        Some(ResourceType::UnsignedInteger)
    );
    assert_eq!(
        registry
            .get(0)
            .unwrap()
            .resources
            .iter()
            .filter(|r| r.operations == Operations::None)
            .count(),
        31
    );
}

#[test]
fn bundled_is_cached_but_independent() {
    let mut a = Registry::bundled();
    a.insert(object(3303, (9, 0), "Mine"));
    let b = Registry::bundled();
    assert_eq!(b.get(3303).unwrap().name, "Temperature");
}
