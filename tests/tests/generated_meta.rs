//! The generated code and the registry it came from agree: every bundled object is generated, and
//! the metadata the derive produced for it (ids, names, operations, types, multiplicity,
//! mandatory flags, units, ranges) is what the XML says.

use lwm2m::Kind;
use lwm2m::meta::{ObjectMeta, Operations as RtOps};
use lwm2m_model::{Operations, Registry, ResourceType};
use lwm2m_tests::objects::OBJECTS;

fn kind_of(kind: Option<ResourceType>) -> Kind {
    match kind {
        None => Kind::None,
        Some(ResourceType::String) => Kind::String,
        Some(ResourceType::Integer) => Kind::Integer,
        Some(ResourceType::UnsignedInteger) => Kind::UnsignedInteger,
        Some(ResourceType::Float) => Kind::Float,
        Some(ResourceType::Boolean) => Kind::Boolean,
        Some(ResourceType::Opaque) => Kind::Opaque,
        Some(ResourceType::Time) => Kind::Time,
        Some(ResourceType::Objlnk) => Kind::ObjLnk,
        Some(ResourceType::Corelnk) => Kind::CoreLnk,
    }
}

fn ops_of(ops: Operations) -> RtOps {
    match ops {
        Operations::None => RtOps::None,
        Operations::Read => RtOps::Read,
        Operations::Write => RtOps::Write,
        Operations::ReadWrite => RtOps::ReadWrite,
        Operations::Execute => RtOps::Execute,
    }
}

fn generated(id: u16) -> &'static ObjectMeta {
    OBJECTS
        .iter()
        .copied()
        .find(|meta| meta.id == id)
        .unwrap_or_else(|| panic!("object {id} was not generated"))
}

#[test]
fn every_bundled_object_is_generated_once() {
    let registry = Registry::bundled();
    assert_eq!(OBJECTS.len(), registry.len());
    let mut ids: Vec<u16> = OBJECTS.iter().map(|meta| meta.id).collect();
    ids.dedup();
    assert_eq!(
        ids.len(),
        OBJECTS.len(),
        "objects are listed once each, in id order"
    );
    assert!(registry.len() >= 325, "the bundle holds the OMA registry");
}

#[test]
fn object_metadata_matches_the_registry() {
    for def in Registry::bundled().objects() {
        let meta = generated(def.id);
        assert_eq!(meta.name, def.name, "object {}", def.id);
        assert_eq!(meta.urn, def.urn, "object {}", def.id);
        assert_eq!(meta.version, def.version.to_string(), "object {}", def.id);
        assert_eq!(
            meta.lwm2m_version,
            def.lwm2m_version.to_string(),
            "object {}",
            def.id
        );
        assert_eq!(meta.multiple, def.multiple, "object {}", def.id);
        assert_eq!(meta.mandatory, def.mandatory, "object {}", def.id);
        assert_eq!(
            meta.resources.len(),
            def.resources.len(),
            "object {}",
            def.id
        );
    }
}

#[test]
fn resource_metadata_matches_the_registry() {
    let mut checked = 0;
    for def in Registry::bundled().objects() {
        let meta = generated(def.id);
        for res in &def.resources {
            let at = format!("/{}/x/{} ({})", def.id, res.id, res.name);
            let got = meta
                .resource(res.id)
                .unwrap_or_else(|| panic!("{at}: missing from the generated metadata"));
            assert_eq!(got.name, res.name, "{at}");
            assert_eq!(got.operations, ops_of(res.operations), "{at}");
            assert_eq!(got.kind, kind_of(res.kind), "{at}");
            assert_eq!(got.multiple, res.multiple, "{at}");
            assert_eq!(got.mandatory, res.mandatory, "{at}");
            assert_eq!(got.units, res.units.as_deref(), "{at}");
            assert_eq!(
                got.range,
                res.range.as_ref().map(|r| r.text.as_str()),
                "{at}"
            );
            checked += 1;
        }
    }
    assert!(checked > 3000, "checked {checked} resources");
}

#[test]
fn resources_are_sorted_by_id_for_lookup() {
    for meta in OBJECTS {
        assert!(
            meta.resources.windows(2).all(|w| w[0].id < w[1].id),
            "object {}",
            meta.id
        );
    }
}

/// With the full registry staged beside the project, all 327 current object files generated
/// and compiled, including the two the bundle leaves out (3443, 10244).
#[cfg(shared_registry)]
#[test]
fn the_whole_staged_registry_generates_and_compiles() {
    use lwm2m_tests::shared_registry_objects::OBJECTS as ALL;
    let files = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/registry"
    ))
    .expect("the staged registry is readable")
    .filter(|entry| {
        entry
            .as_ref()
            .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".xml"))
    })
    .count();
    assert_eq!(ALL.len(), files);
    assert!(ALL.len() >= 327, "{}", ALL.len());
    for id in [3443, 10244] {
        assert!(ALL.iter().any(|meta| meta.id == id), "object {id}");
    }
}
