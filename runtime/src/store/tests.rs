//! Tests of the store: lookups, and an own `Instance` answering as the store's.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::objects::{AccessControl, Device, DeviceHandler, Security, Server};
use crate::value::Value;

fn store() -> ObjectStore {
    let mut store = ObjectStore::new();
    store
        .insert(0, Device::demo(), DeviceHandler::default())
        .unwrap();
    store.insert(0, Server::default(), ()).unwrap();
    store.creatable(|| (Security::default(), ()));
    store
}

/// An `Instance` held by the device's own code is a `ManagedInstance` through the same
/// shared code as the store's boxed instances: the same values read, the same server-side
/// checks on a write (Short Server ID is read-only for a server, writable internally).
#[test]
fn an_instance_of_its_own_answers_as_the_store_does() {
    let mut store = store();
    let mut own = Instance {
        value: Server::default(),
        handler: (),
    };
    let held = store.instance_mut(1, 0).unwrap();
    assert_eq!(own.read_all().unwrap(), held.read_all().unwrap());
    let change = || vec![(0, ResourceValue::Single(Value::Integer(7)))];
    assert_eq!(
        format!("{:?}", own.write(change(), WriteMode::Update)),
        format!("{:?}", held.write(change(), WriteMode::Update))
    );
    assert!(own.write(change(), WriteMode::Update).is_err());
    own.write_internal(change(), WriteMode::Update).unwrap();
    assert_eq!(
        own.read(0).unwrap(),
        ResourceValue::Single(Value::Integer(7))
    );
    assert_eq!(own.value.short_server_id, 7);
}

/// The direct lookup answers as the binary search of the metadata does, for objects whose
/// resource ids have gaps and for those without.
#[test]
fn resource_lookup_agrees_with_the_metadata() {
    let store = store();
    for meta in [Device::META, Server::META, Security::META] {
        for id in 0..=300 {
            assert_eq!(
                store.resource_meta(meta.id, id),
                meta.resource(id),
                "/{}/*/{id}",
                meta.id
            );
        }
    }
    // An object the store does not hold is unknown, even though the crate defines it.
    assert_eq!(store.object_meta(AccessControl::META.id), None);
    assert_eq!(store.resource_meta(AccessControl::META.id, 0), None);
}

#[test]
fn store_answers_the_decoders() {
    let store = store();
    // Device: Manufacturer is a single String, Available Power Sources a multiple Integer.
    assert_eq!(
        store.kind(&Path::resource(3, 0, 0)),
        Some((Kind::String, false))
    );
    assert_eq!(
        store.kind(&Path::resource(3, 0, 6)),
        Some((Kind::Integer, true))
    );
    // Any instance: the type is the object's.
    assert_eq!(
        store.kind(&Path::resource(3, 7, 13)),
        Some((Kind::Time, false))
    );
    assert_eq!(store.kind(&Path::resource(3, 0, 999)), None);
    assert_eq!(store.kind(&Path::resource(2, 0, 0)), None);
    assert_eq!(store.kind(&Path::instance(3, 0)), None);
}
