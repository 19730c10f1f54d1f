//! The lent read of the store (`ObjectStore::read_refs`, encoded by `codec::encode_refs`) against
//! the owned one (`ManagedInstance::read_all`, `ObjectStore::read`, encoded by `codec::encode`):
//! the same bytes, or the same error, for every format and path; and the handlers' read hooks
//! run as before, their errors ending the read.

// A failed unwrap is a failed test here.
#![allow(clippy::unwrap_used)]

use std::cell::Cell;
use std::rc::Rc;

use lwm2m::codec::{self, ContentFormat, EncodeError, Record, RecordRef};
use lwm2m::value::ValueRef;
use lwm2m::{
    CoreLnk, Error, Handler, Instances, ObjLnk, Object, ObjectStore, Path, ResourceType,
    ResourceValue, Time, Value,
};
use proptest::prelude::*;

/// A type of the device's own, an Integer on the wire, that does not lend itself (the provided
/// `to_value_ref`, which owns what `to_value` makes).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Level(u8);

impl ResourceType for Level {
    const KIND: lwm2m::Kind = lwm2m::Kind::Integer;

    fn to_value(&self) -> Value {
        Value::Integer(i64::from(self.0))
    }

    fn from_value(value: Value) -> Result<Self, Error> {
        u8::from_value(value).map(Level)
    }
}

/// Text of the device's own: a String on the wire, owned by its `to_value` (the owned fallback
/// of a lent read carries a string).
#[derive(Debug, Clone, PartialEq, Default)]
struct Label(String);

impl ResourceType for Label {
    const KIND: lwm2m::Kind = lwm2m::Kind::String;

    fn to_value(&self) -> Value {
        Value::String(format!("<{}>", self.0))
    }

    fn from_value(value: Value) -> Result<Self, Error> {
        String::from_value(value).map(Label)
    }
}

/// Every field shape and value type, and resources that are not readable.
#[derive(Debug, Default, Clone, PartialEq, Object)]
#[lwm2m(id = 40100, name = "Everything", multiple)]
struct Everything {
    #[lwm2m(id = 0, op = "R", mandatory)]
    name: String,
    #[lwm2m(id = 1, op = "RW")]
    note: Option<String>,
    #[lwm2m(id = 2, op = "R")]
    count: i64,
    #[lwm2m(id = 3, op = "R", kind = "Integer")]
    small: u32,
    #[lwm2m(id = 4, op = "R")]
    big: Option<u64>,
    #[lwm2m(id = 5, op = "R")]
    ratio: f64,
    #[lwm2m(id = 6, op = "R")]
    half: Option<f32>,
    #[lwm2m(id = 7, op = "R")]
    on: bool,
    #[lwm2m(id = 8, op = "R")]
    blob: Option<Vec<u8>>,
    #[lwm2m(id = 9, op = "R")]
    at: Option<Time>,
    #[lwm2m(id = 10, op = "R")]
    link: Option<ObjLnk>,
    #[lwm2m(id = 11, op = "R")]
    links: Option<CoreLnk>,
    #[lwm2m(id = 12, op = "R", multiple)]
    names: Instances<String>,
    #[lwm2m(id = 13, op = "R", multiple)]
    codes: Option<Instances<i64>>,
    #[lwm2m(id = 14, op = "R", multiple)]
    bytes: Option<Instances<Vec<u8>>>,
    #[lwm2m(id = 15, op = "R")]
    level: Level,
    #[lwm2m(id = 16, op = "R")]
    label: Option<Label>,
    #[lwm2m(id = 17, op = "W")]
    secret: Option<String>,
    #[lwm2m(id = 18, op = "E")]
    run: lwm2m::Executable,
}

fn text() -> impl Strategy<Value = String> {
    // Quotes, backslashes and control characters: the JSON escapes.
    "[a-z\"\\\\\u{1}\n é]{0,12}"
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(0.5),
        Just(-3.0),
        Just(f64::NAN),
        Just(f64::INFINITY)
    ]
}

prop_compose! {
    fn everything()(
        name in text(),
        note in proptest::option::of(text()),
        count in any::<i64>(),
        small in any::<u32>(),
        big in proptest::option::of(any::<u64>()),
        ratio in float(),
        half in proptest::option::of(any::<f32>()),
        on in any::<bool>(),
        blob in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..20)),
        at in proptest::option::of(any::<i64>()),
        link in proptest::option::of((any::<u16>(), any::<u16>())),
        links in proptest::option::of(text()),
        names in proptest::collection::btree_map(any::<u16>(), text(), 0..4),
        codes in proptest::option::of(proptest::collection::btree_map(0u16..10, any::<i64>(), 0..4)),
        bytes in proptest::option::of(proptest::collection::btree_map(0u16..300, proptest::collection::vec(any::<u8>(), 0..5), 0..3)),
        level in any::<u8>(),
        label in proptest::option::of(text()),
    ) -> Everything {
        Everything {
            name,
            note,
            count,
            small,
            big,
            ratio,
            half,
            on,
            blob,
            at: at.map(Time),
            link: link.map(|(o, i)| ObjLnk::new(o, i)),
            links: links.map(CoreLnk),
            names: names.into_iter().collect(),
            codes: codes.map(|c| c.into_iter().collect()),
            bytes: bytes.map(|b| b.into_iter().collect()),
            level: Level(level),
            label: label.map(Label),
            secret: Some("hidden".into()),
            run: lwm2m::Executable,
        }
    }
}

/// The owned records of a read of `path`, as the client built them before the lent read.
fn owned_records(store: &mut ObjectStore, path: &Path) -> Result<Vec<Record>, Error> {
    let push = |records: &mut Vec<Record>, o, i, values: Vec<(u16, ResourceValue)>| {
        for (r, value) in values {
            match value {
                ResourceValue::Single(v) => records.push(Record::new(Path::resource(o, i, r), v)),
                ResourceValue::Multiple(map) => records.extend(
                    map.into_iter()
                        .map(|(ri, v)| Record::new(Path::resource_instance(o, i, r, ri), v)),
                ),
            }
        }
    };
    let mut records = Vec::new();
    match *path.ids() {
        [o] => {
            if store.object_meta(o).is_none() {
                return Err(Error::ObjectNotFound { object: o });
            }
            let instances: Vec<u16> = store.instances(o).collect();
            for i in instances {
                let values = store.instance_mut(o, i)?.read_all()?;
                push(&mut records, o, i, values);
            }
        }
        [o, i] => {
            let values = store.instance_mut(o, i)?.read_all()?;
            push(&mut records, o, i, values);
        }
        [o, i, r] => {
            let value = store.read(o, i, r)?;
            push(&mut records, o, i, vec![(r, value)]);
        }
        [o, i, r, ri] => {
            let value = store.instance_mut(o, i)?.read_resource_instance(r, ri)?;
            records.push(Record::new(*path, value));
        }
        _ => unreachable!("a test path"),
    }
    Ok(records)
}

/// What a read of `path` encodes to in `format`, owned and lent.
type Encoded = Result<Result<Vec<u8>, EncodeError>, Error>;

fn both(store: &mut ObjectStore, path: &Path, format: ContentFormat) -> (Encoded, Encoded) {
    let owned = owned_records(store, path).map(|records| codec::encode(format, path, &records));
    let mut lent = Vec::new();
    let lent = store
        .read_refs(path, &mut lent)
        .map(|()| codec::encode_refs(format, path, &lent));
    (owned, lent)
}

/// Every path of a store of two instances: the object, each instance, each resource (also the
/// absent and unreadable ones), a few resource instances.
fn paths() -> Vec<Path> {
    let mut paths = vec![Path::object(40100)];
    for i in [0, 7] {
        paths.push(Path::instance(40100, i));
        for r in 0..=19 {
            paths.push(Path::resource(40100, i, r));
        }
        for ri in [0, 1, 299] {
            for r in [2, 12, 13, 14] {
                paths.push(Path::resource_instance(40100, i, r, ri));
            }
        }
    }
    paths.push(Path::instance(40100, 3));
    paths.push(Path::object(40101));
    paths
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The lent read encodes to the same bytes as the owned one, or fails the same way, in
    /// every format, for every path.
    #[test]
    fn lent_read_encodes_as_the_owned_read(first in everything(), second in everything()) {
        let mut store = ObjectStore::new();
        store.insert(0, first, ()).unwrap();
        store.insert(7, second, ()).unwrap();
        for path in paths() {
            for format in ContentFormat::ALL {
                let (owned, lent) = both(&mut store, &path, format);
                prop_assert_eq!(owned, lent, "{} in {:?}", path, format);
            }
        }
    }
}

/// The built-in objects, read lent and owned: the same bytes (the Device object is the
/// demo-client's hot path).
#[test]
fn builtin_objects_read_lent_as_owned() {
    use lwm2m::objects::{Device, DeviceHandler, Server};
    let mut store = ObjectStore::new();
    store
        .insert(0, Device::demo(), DeviceHandler::default())
        .unwrap();
    store.insert(0, Server::new(1, 300, "U"), ()).unwrap();
    for path in [
        Path::object(3),
        Path::instance(3, 0),
        Path::resource(3, 0, 0),
        Path::resource(3, 0, 6),
        Path::resource(3, 0, 13),
        Path::resource_instance(3, 0, 6, 1),
        Path::instance(1, 0),
    ] {
        for format in ContentFormat::ALL {
            let (owned, lent) = both(&mut store, &path, format);
            assert_eq!(owned, lent, "{path} in {format:?}");
        }
    }
}

/// A read lends the fields' text: the records borrow from the object (no copy of the string).
#[test]
fn a_lent_read_borrows_the_fields() {
    let mut store = ObjectStore::new();
    let value = Everything {
        name: "lent".into(),
        label: Some(Label("own".into())),
        ..Everything::default()
    };
    store.insert(0, value, ()).unwrap();
    let address = store.get::<Everything>(0).unwrap().name.as_ptr();
    let mut records = Vec::new();
    store
        .read_refs(&Path::instance(40100, 0), &mut records)
        .unwrap();
    let name = records
        .iter()
        .find(|r| r.path == Path::resource(40100, 0, 0));
    match name.map(|r| &r.value) {
        Some(ValueRef::String(std::borrow::Cow::Borrowed(s))) => {
            assert_eq!(*s, "lent");
            assert_eq!(s.as_ptr(), address);
        }
        other => panic!("not lent: {other:?}"),
    }
    // The device's own type reads through its `to_value`, owned.
    let label = records
        .iter()
        .find(|r| r.path == Path::resource(40100, 0, 16));
    assert!(matches!(
        label.map(|r| &r.value),
        Some(ValueRef::String(std::borrow::Cow::Owned(s))) if s == "<own>"
    ));
    // Neither the write-only nor the executable resource is read.
    assert!(records.iter().all(|r| r.path.resource_id() < Some(17)));
}

/// A handler whose read hook refreshes one resource, hides another (`NotFound`), and fails on
/// a third; every call counted.
struct Hooks {
    calls: Rc<Cell<u32>>,
}

impl Handler<Everything> for Hooks {
    fn read(&mut self, value: &mut Everything, resource: u16) -> Result<(), Error> {
        self.calls.set(self.calls.get() + 1);
        match resource {
            2 => {
                value.count += 1;
                Ok(())
            }
            1 => Err(Error::NotFound { resource }),
            5 if value.name == "failing" => Err(Error::Internal {
                reason: "sensor offline".into(),
            }),
            _ => Ok(()),
        }
    }
}

fn hooked(name: &str) -> (ObjectStore, Rc<Cell<u32>>) {
    let calls = Rc::new(Cell::new(0));
    let mut store = ObjectStore::new();
    let value = Everything {
        name: name.into(),
        note: Some("hidden by the hook".into()),
        ..Everything::default()
    };
    let hooks = Hooks {
        calls: calls.clone(),
    };
    store.insert(0, value, hooks).unwrap();
    (store, calls)
}

fn lent_values(store: &mut ObjectStore, path: &Path) -> Result<Vec<Record>, Error> {
    let mut records = Vec::new();
    store.read_refs(path, &mut records)?;
    Ok(records.into_iter().map(RecordRef::into_owned).collect())
}

/// The hooks run before the values are taken (the refreshed count is read), once per readable
/// resource; a hook's `NotFound` leaves its resource out of an instance's read and fails a read
/// of that resource, as the owned read does.
#[test]
fn read_hooks_run_and_hide_as_before() {
    let (mut store, calls) = hooked("ok");
    let records = lent_values(&mut store, &Path::instance(40100, 0)).unwrap();
    let count = records
        .iter()
        .find(|r| r.path == Path::resource(40100, 0, 2));
    assert_eq!(count.map(|r| &r.value), Some(&Value::Integer(1)));
    assert!(
        records
            .iter()
            .all(|r| r.path != Path::resource(40100, 0, 1))
    );
    // Resources 0 to 16 are readable: one hook call each.
    assert_eq!(calls.get(), 17);
    let owned = owned_records(&mut store, &Path::instance(40100, 0)).unwrap();
    assert_eq!(calls.get(), 34);
    // The owned read ran the count's hook once more.
    let mut expected = records.clone();
    for record in &mut expected {
        if record.path == Path::resource(40100, 0, 2) {
            record.value = Value::Integer(2);
        }
    }
    assert_eq!(owned, expected);
    assert_eq!(
        lent_values(&mut store, &Path::resource(40100, 0, 2)).unwrap(),
        [Record::new(Path::resource(40100, 0, 2), Value::Integer(3))]
    );
    assert_eq!(
        lent_values(&mut store, &Path::resource(40100, 0, 1)),
        Err(Error::NotFound { resource: 1 })
    );
    // A resource that is not readable: refused before its hook.
    let before = calls.get();
    assert_eq!(
        lent_values(&mut store, &Path::resource(40100, 0, 17)),
        Err(Error::MethodNotAllowed { resource: 17 })
    );
    assert_eq!(calls.get(), before);
}

/// A hook's error ends the read with that error (its CoAP code: 5.00 here), for the instance,
/// the object and the resource.
#[test]
fn a_failing_read_hook_fails_the_read() {
    let (mut store, _) = hooked("failing");
    for path in [
        Path::object(40100),
        Path::instance(40100, 0),
        Path::resource(40100, 0, 5),
    ] {
        let lent = lent_values(&mut store, &path);
        assert_eq!(
            lent,
            Err(Error::Internal {
                reason: "sensor offline".into()
            }),
            "{path}"
        );
        assert_eq!(lent.map_err(|e| e.coap_code()), Err((5, 0)));
        assert_eq!(
            owned_records(&mut store, &path).map_err(|e| e.coap_code()),
            Err((5, 0))
        );
    }
    // The other resources still read.
    assert_eq!(
        lent_values(&mut store, &Path::resource(40100, 0, 0)).unwrap(),
        [Record::new(
            Path::resource(40100, 0, 0),
            Value::String("failing".into())
        )]
    );
}

/// The errors of paths the store does not have, as the owned read answers them.
#[test]
fn missing_paths_fail_as_before() {
    let (mut store, _) = hooked("ok");
    let lent = |store: &mut ObjectStore, path| lent_values(store, &path);
    assert_eq!(
        lent(&mut store, Path::object(9)),
        Err(Error::ObjectNotFound { object: 9 })
    );
    assert_eq!(
        lent(&mut store, Path::instance(40100, 1)),
        Err(Error::InstanceNotFound {
            object: 40100,
            instance: 1
        })
    );
    assert_eq!(
        lent(&mut store, Path::resource(40100, 0, 99)),
        Err(Error::NotFound { resource: 99 })
    );
    assert_eq!(
        lent(&mut store, Path::resource_instance(40100, 0, 12, 4)),
        Err(Error::ResourceInstanceNotFound {
            resource: 12,
            instance: 4
        })
    );
    assert_eq!(
        lent(&mut store, Path::resource_instance(40100, 0, 0, 0)),
        Err(Error::ResourceInstanceNotFound {
            resource: 0,
            instance: 0
        })
    );
}
