//! The object model end to end: a hand-written object in an [`ObjectStore`] with a handler.

// A failed unwrap is a failed test here.
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::rc::Rc;

use crate::support::single;
use lwm2m::store::WriteMode;
use lwm2m::{
    Error, Executable, ExecuteArgs, Handler, Instances, Object, ObjectStore, ResourceValue, Value,
};

/// A multiple-instance sensor object with every kind of resource.
#[derive(Debug, Default, Clone, PartialEq, Object)]
#[lwm2m(id = 3303, name = "Temperature", version = "1.1", multiple)]
struct Sensor {
    #[lwm2m(id = 5700, name = "Sensor Value", op = "R", mandatory)]
    value: f64,
    #[lwm2m(id = 5750, name = "Application Type", op = "RW", length = "..=8")]
    application: Option<String>,
    #[lwm2m(
        id = 5601,
        name = "Threshold",
        op = "RW",
        mandatory,
        min = "-40",
        max = "85"
    )]
    threshold: i64,
    #[lwm2m(id = 5602, name = "Mode", op = "RW", values = "0, 2, 5..=7")]
    mode: Option<u8>,
    #[lwm2m(id = 7, name = "Samples", op = "RW", multiple, min = "0")]
    samples: Option<Instances<i64>>,
    #[lwm2m(id = 5605, name = "Reset", op = "E")]
    reset: Executable,
    #[lwm2m(id = 5606, name = "Calibrate", op = "E")]
    calibrate: Executable,
    #[lwm2m(skip)]
    reads: u32,
}

/// A single-instance object.
#[derive(Debug, Default, Clone, PartialEq, Object)]
#[lwm2m(id = 3, name = "Device")]
struct Device {
    #[lwm2m(id = 0, name = "Manufacturer", op = "R")]
    manufacturer: Option<String>,
}

/// An execute as the handler saw it: resource id and arguments.
type Executed = (u16, Vec<(u8, Option<String>)>);

#[derive(Debug, Default)]
struct Log {
    reads: u32,
    executed: Vec<Executed>,
    written: Vec<Vec<u16>>,
    created: Vec<u16>,
    deleted: Vec<(u16, i64)>,
}

#[derive(Clone, Default)]
struct Probe(Rc<RefCell<Log>>);

impl Handler<Sensor> for Probe {
    fn read(&mut self, obj: &mut Sensor, resource: u16) -> Result<(), Error> {
        if resource == 5700 {
            let mut log = self.0.borrow_mut();
            log.reads += 1;
            obj.value = f64::from(log.reads);
        }
        Ok(())
    }

    fn validate_write(
        &mut self,
        _: &Sensor,
        changes: &[(u16, ResourceValue)],
    ) -> Result<(), Error> {
        let forbidden = ResourceValue::Single(Value::String("forbidden".into()));
        if changes.iter().any(|(id, v)| *id == 5750 && *v == forbidden) {
            return Err(Error::BadRequest {
                reason: "not that name".into(),
            });
        }
        Ok(())
    }

    fn written(&mut self, _: &mut Sensor, resources: &[u16]) {
        self.0.borrow_mut().written.push(resources.to_vec());
    }

    fn execute(
        &mut self,
        obj: &mut Sensor,
        resource: u16,
        args: &ExecuteArgs,
    ) -> Result<(), Error> {
        if resource != 5605 {
            return Err(Error::MethodNotAllowed { resource });
        }
        obj.threshold = 0;
        let args = args
            .iter()
            .map(|(n, v)| (n, v.map(str::to_owned)))
            .collect();
        self.0.borrow_mut().executed.push((resource, args));
        Ok(())
    }

    fn created(&mut self, _: &mut Sensor, instance: u16) {
        self.0.borrow_mut().created.push(instance);
    }

    fn deleted(&mut self, obj: &Sensor, instance: u16) {
        self.0.borrow_mut().deleted.push((instance, obj.threshold));
    }
}

fn store_with_sensor() -> (ObjectStore, Rc<RefCell<Log>>) {
    let probe = Probe::default();
    let log = probe.0.clone();
    let mut store = ObjectStore::new();
    let sensor = Sensor {
        threshold: 20,
        application: Some("room".into()),
        samples: Some(lwm2m::Instances::from_iter([(0, 1), (1, 2)])),
        ..Sensor::default()
    };
    store.insert(0, sensor, probe).unwrap();
    (store, log)
}

fn sensor(store: &ObjectStore, instance: u16) -> Sensor {
    store.get::<Sensor>(instance).cloned().unwrap()
}

#[test]
fn live_read_refreshes_through_the_handler_each_time() {
    let (mut store, log) = store_with_sensor();
    assert_eq!(store.read(3303, 0, 5700), Ok(single(Value::Float(1.0))));
    assert_eq!(store.read(3303, 0, 5700), Ok(single(Value::Float(2.0))));
    assert_eq!(log.borrow().reads, 2);
    // Other resources do not trigger the sensor.
    assert_eq!(store.read(3303, 0, 5601), Ok(single(Value::Integer(20))));
    assert_eq!(log.borrow().reads, 2);
    // A whole-instance read refreshes too, and skips absent optional resources.
    let all = store.instance_mut(3303, 0).unwrap().read_all().unwrap();
    let ids: Vec<u16> = all.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, vec![7, 5601, 5700, 5750]);
    assert_eq!(log.borrow().reads, 3);
}

#[test]
fn read_errors() {
    let (mut store, _) = store_with_sensor();
    assert_eq!(
        store.read(3303, 0, 5605),
        Err(Error::MethodNotAllowed { resource: 5605 })
    );
    assert_eq!(store.read(3303, 0, 1), Err(Error::NotFound { resource: 1 }));
    assert_eq!(
        store.read(3303, 0, 5602),
        Err(Error::NotFound { resource: 5602 })
    );
    assert_eq!(
        store.read(3303, 9, 5700),
        Err(Error::InstanceNotFound {
            object: 3303,
            instance: 9
        })
    );
    assert_eq!(
        store.read(4, 0, 0),
        Err(Error::ObjectNotFound { object: 4 })
    );
}

#[test]
fn out_of_range_or_wrong_type_is_refused_with_nothing_changed() {
    let (mut store, log) = store_with_sensor();
    let before = sensor(&store, 0);
    let refused = [
        (5601, single(Value::Integer(86))),
        (5601, single(Value::Integer(-41))),
        (5601, single(Value::String("20".into()))),
        (5750, single(Value::String("much too long".into()))),
        (5750, single(Value::Integer(1))),
        (5602, single(Value::UnsignedInteger(3))),
        (5602, single(Value::UnsignedInteger(300))),
        (
            7,
            ResourceValue::Multiple(lwm2m::Instances::from_iter([(0, Value::Integer(-1))])),
        ),
        (7, single(Value::Integer(1))),
    ];
    for (id, value) in refused {
        // Each bad value travels with a valid change, which must not be applied either.
        let changes = vec![(5601, single(Value::Integer(30))), (id, value.clone())];
        let err = store
            .write(3303, 0, changes, WriteMode::Update)
            .unwrap_err();
        assert_eq!(err.coap_code(), (4, 0), "{id} {value:?}: {err}");
        assert_eq!(sensor(&store, 0), before, "{id} {value:?}");
    }
    assert!(log.borrow().written.is_empty());
    // Accepted values at the bounds.
    let ok = vec![
        (5601, single(Value::Integer(85))),
        (5602, single(Value::Integer(6))),
        (5750, single(Value::String("12345678".into()))),
    ];
    store.write(3303, 0, ok, WriteMode::Update).unwrap();
    let after = sensor(&store, 0);
    assert_eq!((after.threshold, after.mode), (85, Some(6)));
    assert_eq!(log.borrow().written, vec![vec![5601, 5602, 5750]]);
}

#[test]
fn operations_are_enforced_before_anything_changes() {
    let (mut store, _) = store_with_sensor();
    let before = sensor(&store, 0);
    let read_only = vec![
        (5601, single(Value::Integer(1))),
        (5700, single(Value::Float(1.0))),
    ];
    assert_eq!(
        store.write(3303, 0, read_only, WriteMode::Update),
        Err(Error::MethodNotAllowed { resource: 5700 })
    );
    let executable = vec![(5605, single(Value::Boolean(true)))];
    assert_eq!(
        store.write(3303, 0, executable, WriteMode::Update),
        Err(Error::MethodNotAllowed { resource: 5605 })
    );
    let unknown = vec![
        (5601, single(Value::Integer(1))),
        (1, single(Value::Integer(1))),
    ];
    assert_eq!(
        store.write(3303, 0, unknown, WriteMode::Update),
        Err(Error::NotFound { resource: 1 })
    );
    assert_eq!(sensor(&store, 0), before);
}

#[test]
fn handler_can_refuse_a_write_atomically() {
    let (mut store, _) = store_with_sensor();
    let before = sensor(&store, 0);
    let changes = vec![
        (5601, single(Value::Integer(10))),
        (5750, single(Value::String("forbidden".into()))),
    ];
    let err = store
        .write(3303, 0, changes, WriteMode::Replace)
        .unwrap_err();
    assert_eq!(err.coap_code(), (4, 0));
    assert_eq!(sensor(&store, 0), before);
}

#[test]
fn replace_removes_omitted_optional_resources_and_update_keeps_them() {
    let (mut store, _) = store_with_sensor();
    let changes = vec![(5602, single(Value::Integer(2)))];
    store.write(3303, 0, changes, WriteMode::Update).unwrap();
    let s = sensor(&store, 0);
    assert_eq!(s.application.as_deref(), Some("room"));
    assert_eq!(s.mode, Some(2));

    let changes = vec![(5602, single(Value::Integer(5)))];
    store.write(3303, 0, changes, WriteMode::Replace).unwrap();
    let s = sensor(&store, 0);
    assert_eq!(s.mode, Some(5));
    assert_eq!(
        s.application, None,
        "optional writable resource omitted by a replace"
    );
    assert_eq!(s.samples, None);
    assert_eq!(s.threshold, 20, "mandatory resource keeps its value");
}

#[test]
fn resource_instances_read_and_write_one_by_one() {
    let (mut store, _) = store_with_sensor();
    let sensor_instance = store.instance_mut(3303, 0).unwrap();
    assert_eq!(
        sensor_instance.read_resource_instance(7, 1),
        Ok(Value::Integer(2))
    );
    assert_eq!(
        sensor_instance.read_resource_instance(7, 5),
        Err(Error::ResourceInstanceNotFound {
            resource: 7,
            instance: 5
        })
    );
    sensor_instance
        .write_resource_instance(7, 5, Value::Integer(9))
        .unwrap();
    sensor_instance
        .write_resource_instance(7, 0, Value::Integer(8))
        .unwrap();
    assert!(
        sensor_instance
            .write_resource_instance(7, 1, Value::Integer(-3))
            .is_err()
    );
    assert_eq!(
        sensor_instance.write_resource_instance(5601, 0, Value::Integer(1)),
        Err(Error::ResourceInstanceNotFound {
            resource: 5601,
            instance: 0
        })
    );
    assert_eq!(
        sensor(&store, 0).samples,
        Some(lwm2m::Instances::from_iter([(0, 8), (1, 2), (5, 9)]))
    );
    // A partial update merges instances, a replace replaces them.
    let update = vec![(
        7,
        ResourceValue::Multiple(lwm2m::Instances::from_iter([(2, Value::Integer(7))])),
    )];
    store
        .write(3303, 0, update.clone(), WriteMode::Update)
        .unwrap();
    assert_eq!(
        sensor(&store, 0).samples,
        Some(lwm2m::Instances::from_iter([
            (0, 8),
            (1, 2),
            (2, 7),
            (5, 9)
        ]))
    );
    store.write(3303, 0, update, WriteMode::Replace).unwrap();
    assert_eq!(
        sensor(&store, 0).samples,
        Some(lwm2m::Instances::from_iter([(2, 7)]))
    );
}

#[test]
fn execute_with_arguments() {
    let (mut store, log) = store_with_sensor();
    let args = ExecuteArgs::parse("0='abc',1").unwrap();
    store.execute(3303, 0, 5605, &args).unwrap();
    assert_eq!(sensor(&store, 0).threshold, 0);
    assert_eq!(
        log.borrow().executed,
        vec![(5605, vec![(0, Some("abc".to_owned())), (1, None)])]
    );
    // Not executable, not implemented, unknown.
    let none = ExecuteArgs::new();
    assert_eq!(
        store.execute(3303, 0, 5601, &none),
        Err(Error::MethodNotAllowed { resource: 5601 })
    );
    assert_eq!(
        store.execute(3303, 0, 5606, &none),
        Err(Error::MethodNotAllowed { resource: 5606 })
    );
    assert_eq!(
        store.execute(3303, 0, 99, &none),
        Err(Error::NotFound { resource: 99 })
    );
    // Malformed arguments are a 4.00 before the handler runs.
    let err: Error = ExecuteArgs::parse("0=abc").unwrap_err().into();
    assert_eq!(err.coap_code(), (4, 0));
}

#[test]
fn create_allocates_the_lowest_free_id_and_checks_mandatory() {
    let (mut store, log) = store_with_sensor();
    assert_eq!(
        store.create(3303, None, vec![]),
        Err(Error::CreateNotAllowed { object: 3303 })
    );
    let probe = Probe(log.clone());
    store.creatable(move || (Sensor::default(), probe.clone()));
    let threshold = |n| vec![(5601, single(Value::Integer(n)))];
    assert_eq!(store.create(3303, None, threshold(1)), Ok(1));
    assert_eq!(store.create(3303, Some(5), threshold(5)), Ok(5));
    assert_eq!(store.create(3303, None, threshold(2)), Ok(2));
    assert_eq!(
        store.create(3303, Some(5), threshold(5)),
        Err(Error::InstanceExists {
            object: 3303,
            instance: 5
        })
    );
    assert_eq!(
        store.create(3303, None, vec![(5750, single(Value::String("x".into())))]),
        Err(Error::MissingMandatory { resource: 5601 })
    );
    assert_eq!(
        store
            .create(3303, None, threshold(100))
            .map_err(|e| e.coap_code()),
        Err((4, 0))
    );
    assert_eq!(store.instances(3303).collect::<Vec<_>>(), vec![0, 1, 2, 5]);
    assert_eq!(sensor(&store, 5).threshold, 5);
    assert_eq!(log.borrow().created, vec![1, 5, 2]);

    store.delete(3303, 1).unwrap();
    assert_eq!(log.borrow().deleted, vec![(1, 1)]);
    assert_eq!(
        store.delete(3303, 1),
        Err(Error::InstanceNotFound {
            object: 3303,
            instance: 1
        })
    );
    assert_eq!(
        store.create(3303, None, threshold(3)),
        Ok(1),
        "a freed id is reused"
    );
    assert_eq!(
        store.create(4, None, vec![]),
        Err(Error::ObjectNotFound { object: 4 })
    );
}

#[test]
fn single_instance_objects_refuse_a_second_instance() {
    let mut store = ObjectStore::new();
    store.insert(0, Device::default(), ()).unwrap();
    assert_eq!(
        store.insert(1, Device::default(), ()),
        Err(Error::SingleInstance { object: 3 })
    );
    store.creatable(|| (Device::default(), ()));
    assert_eq!(
        store.create(3, None, vec![]),
        Err(Error::SingleInstance { object: 3 })
    );
    store.delete(3, 0).unwrap();
    assert_eq!(store.create(3, None, vec![]), Ok(0));
    assert_eq!(
        store
            .insert(65535, Device::default(), ())
            .map_err(|e| e.coap_code()),
        Err((4, 0))
    );
}

#[test]
fn iteration_is_in_id_order() {
    let (mut store, _) = store_with_sensor();
    store.insert(3, Sensor::default(), ()).unwrap();
    store.insert(1, Sensor::default(), ()).unwrap();
    store.insert(0, Device::default(), ()).unwrap();
    let objects: Vec<u16> = store.objects().map(|m| m.id).collect();
    assert_eq!(objects, vec![3, 3303]);
    assert_eq!(store.instances(3303).collect::<Vec<_>>(), vec![0, 1, 3]);
    assert_eq!(store.instances(9).count(), 0);
    assert!(store.get::<Device>(0).is_some());
    assert!(store.get::<Sensor>(7).is_none());
    store.get_mut::<Sensor>(1).unwrap().threshold = 4;
    assert_eq!(store.read(3303, 1, 5601), Ok(single(Value::Integer(4))));
}

#[test]
fn constraints_reach_the_metadata() {
    use lwm2m::Constraint;
    use lwm2m::meta::{Number, ValueItem};
    let meta = Sensor::META;
    assert_eq!(
        meta.resource(5601).map(|r| r.constraint),
        Some(Constraint::Range {
            min: Some(Number::Int(-40)),
            max: Some(Number::Int(85))
        })
    );
    assert_eq!(
        meta.resource(5750).map(|r| r.constraint),
        Some(Constraint::Length { min: 0, max: 8 })
    );
    assert_eq!(
        meta.resource(5602).map(|r| r.constraint),
        Some(Constraint::Values(&[
            ValueItem::Value(Number::Int(0)),
            ValueItem::Value(Number::Int(2)),
            ValueItem::Range(Number::Int(5), Number::Int(7)),
        ]))
    );
    assert_eq!(
        meta.resource(5700).map(|r| r.constraint),
        Some(Constraint::None)
    );
}
