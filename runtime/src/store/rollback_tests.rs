//! Tests of the write rollback (needs the derive, an optional dependency: feature `derive`).

#![allow(clippy::unwrap_used)]

use super::*;
use crate::field::Executable;
use crate::field::Instances;
use crate::value::Value;

/// `level` has no declared range: 300 passes the checks and fails only when the `u8` field
/// takes it, after the write has changed other resources.
#[derive(Debug, Default, Clone, PartialEq, lwm2m_derive::Object)]
#[lwm2m(crate = "crate", id = 40010, multiple)]
struct Probe {
    #[lwm2m(id = 0, op = "RW", mandatory)]
    name: String,
    #[lwm2m(id = 1, op = "RW")]
    note: Option<String>,
    #[lwm2m(id = 2, op = "RW", multiple)]
    codes: Option<Instances<u8>>,
    #[lwm2m(id = 3, op = "RW")]
    level: Option<u8>,
    #[lwm2m(id = 4, op = "E")]
    run: Executable,
}

fn probe() -> Probe {
    Probe {
        name: "a".into(),
        note: Some("kept".into()),
        codes: Some(Instances::from_iter([(0, 1), (1, 2)])),
        level: Some(7),
        run: Executable,
    }
}

fn string(s: &str) -> ResourceValue {
    ResourceValue::Single(Value::String(s.into()))
}

/// Each mode, and a device-side write: a failure after other changes puts every resource
/// back, including those a Replace had removed and the instances an Update had merged.
#[test]
fn a_failed_write_changes_nothing() {
    for (mode, server) in [
        (WriteMode::Replace, true),
        (WriteMode::Update, true),
        (WriteMode::ReplaceResources, true),
        (WriteMode::Replace, false),
    ] {
        let mut store = ObjectStore::new();
        store.insert(0, probe(), ()).unwrap();
        let changes = vec![
            (0, string("b")),
            (
                2,
                ResourceValue::Multiple(Instances::from_iter([(5, Value::UnsignedInteger(9))])),
            ),
            (1, string("new")),
            (3, ResourceValue::Single(Value::UnsignedInteger(300))),
        ];
        let result = if server {
            store.write(40010, 0, changes, mode)
        } else {
            store.write_internal(40010, 0, changes, mode)
        };
        assert_eq!(result, Err(Error::OutOfRange { target: "u8" }), "{mode:?}");
        assert_eq!(store.get::<Probe>(0), Some(&probe()), "{mode:?} {server}");
    }
}

/// A Replace that omits optional resources removes them, and the ids written reach the
/// handler.
#[test]
fn replace_removes_what_it_omits() {
    let mut store = ObjectStore::new();
    store.insert(0, probe(), ()).unwrap();
    store
        .write(40010, 0, vec![(0, string("b"))], WriteMode::Replace)
        .unwrap();
    let expected = Probe {
        name: "b".into(),
        ..Probe::default()
    };
    assert_eq!(store.get::<Probe>(0), Some(&expected));
}
