//! The `impl Object` that lwm2m-codegen writes for a generated struct is the one
//! `#[derive(Object)]` writes from the attributes it used to emit: the same metadata, and the same
//! answers to every operation on every resource.
//!
//! `build.rs` generates a selection of bundled objects that together hold every shape of
//! resource twice: in `lwm2m_tests::objects` (the generator's impl) and in
//! `lwm2m_tests::derived_objects` (`Builder::derive_object`: the derive's impl).

use lwm2m::{CoreLnk, Instances, ObjLnk, Object, ResourceValue, Time, Value};

/// A value of every data type, including ones out of range for some field types.
fn samples() -> Vec<Value> {
    vec![
        Value::String("x".to_owned()),
        Value::String(String::new()),
        Value::String("y".repeat(300)),
        Value::Integer(5),
        Value::Integer(-1),
        Value::Integer(i64::MAX),
        Value::UnsignedInteger(7),
        Value::UnsignedInteger(u64::MAX),
        Value::Float(0.5),
        Value::Float(-1e9),
        Value::Boolean(true),
        Value::Opaque(vec![1, 2, 3]),
        Value::Time(Time(1_700_000_000)),
        Value::ObjLnk(ObjLnk {
            object: 3,
            instance: 0,
        }),
        Value::CoreLnk(CoreLnk("</3/0>".to_owned())),
    ]
}

/// `A` (generated impl) and `B` (derived impl) agree on the metadata and on every operation.
fn check<A: Object + Default, B: Object + Default>(name: &str) {
    assert_eq!(A::META, B::META, "{name}: metadata");
    let mut ids: Vec<u16> = A::META.resources.iter().map(|r| r.id).collect();
    // Ids that are not resources of the object.
    ids.extend([u16::MAX, 65000]);
    for id in ids {
        let (mut a, mut b) = (A::default(), B::default());
        assert_eq!(a.read(id), b.read(id), "{name} {id}: read");
        assert_eq!(
            a.read_unchecked(id),
            b.read_unchecked(id),
            "{name} {id}: read_unchecked"
        );
        for value in samples() {
            let values = [
                ResourceValue::Single(value.clone()),
                ResourceValue::Multiple(Instances::from_iter([(0, value.clone()), (3, value)])),
            ];
            for value in values {
                let context = format!("{name} {id}: {value:?}");
                assert_eq!(
                    a.write(id, value.clone()),
                    b.write(id, value.clone()),
                    "{context}: write"
                );
                assert_eq!(
                    a.write_unchecked(id, value.clone()),
                    b.write_unchecked(id, value),
                    "{context}: write_unchecked"
                );
                assert_eq!(
                    a.read_unchecked(id),
                    b.read_unchecked(id),
                    "{context}: read back"
                );
                assert_eq!(a.read(id), b.read(id), "{context}: read");
            }
        }
        assert_eq!(a.reset(id), b.reset(id), "{name} {id}: reset");
        assert_eq!(
            a.read_unchecked(id),
            b.read_unchecked(id),
            "{name} {id}: after reset"
        );
    }
}

// `fn all_pairs() -> usize`: one `check` per object of derived_objects.rs, written by build.rs;
// returns how many.
include!(concat!(env!("OUT_DIR"), "/derived_pairs.rs"));

#[test]
fn the_generated_impl_is_the_derives() {
    let objects = all_pairs();
    // Every shape of resource in the bundled registry needs a few dozen objects.
    assert!(objects >= 20, "only {objects} objects compared");
}
