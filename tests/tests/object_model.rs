//! Issue 3's "done when" on GENERATED objects: 3303 Temperature and 3311 Light Control, straight
//! from the registry, served from an `ObjectStore` with handlers written beside them (the
//! generated file is never edited): live read, validated write (out of range or wrong type refused
//! with nothing changed), execute with arguments, create and delete.

use std::cell::RefCell;
use std::rc::Rc;

use lwm2m::store::WriteMode;
use lwm2m::{Error, ExecuteArgs, Handler, Object, ObjectStore, ResourceValue, Value};
use lwm2m_tests::objects::{LightControl, Temperature};

/// A temperature sensor: each read of Sensor Value (5700) samples a new value and tracks min/max;
/// executing Reset Min and Max (5605) resets them, with an optional argument 0 = the new minimum.
#[derive(Clone, Default)]
struct Thermometer {
    samples: Rc<RefCell<Vec<f64>>>,
}

impl Handler<Temperature> for Thermometer {
    fn read(&mut self, obj: &mut Temperature, resource: u16) -> Result<(), Error> {
        if resource == 5700 {
            let mut samples = self.samples.borrow_mut();
            let value = 20.0 + samples.len() as f64 * 0.5;
            samples.push(value);
            obj.sensor_value = value;
            obj.min_measured_value = Some(obj.min_measured_value.map_or(value, |m| m.min(value)));
            obj.max_measured_value = Some(obj.max_measured_value.map_or(value, |m| m.max(value)));
        }
        Ok(())
    }

    fn execute(
        &mut self,
        obj: &mut Temperature,
        resource: u16,
        args: &ExecuteArgs,
    ) -> Result<(), Error> {
        if resource != 5605 {
            return Err(Error::MethodNotAllowed { resource });
        }
        let floor = match args.get(0).flatten() {
            Some(text) => Some(text.parse::<f64>().map_err(|_| Error::BadRequest {
                reason: format!("argument 0 is not a number: {text:?}"),
            })?),
            None => None,
        };
        obj.min_measured_value = floor;
        obj.max_measured_value = None;
        Ok(())
    }
}

fn float(store: &mut ObjectStore, resource: u16) -> Result<ResourceValue, Error> {
    store.read(3303, 0, resource)
}

#[test]
fn generated_temperature_live_read_and_execute_with_arguments() {
    let mut store = ObjectStore::new();
    store
        .insert(0, Temperature::default(), Thermometer::default())
        .expect("first instance");

    assert_eq!(
        float(&mut store, 5700),
        Ok(ResourceValue::Single(Value::Float(20.0)))
    );
    assert_eq!(
        float(&mut store, 5700),
        Ok(ResourceValue::Single(Value::Float(20.5)))
    );
    assert_eq!(
        float(&mut store, 5602),
        Ok(ResourceValue::Single(Value::Float(20.5)))
    );
    assert_eq!(
        float(&mut store, 5601),
        Ok(ResourceValue::Single(Value::Float(20.0)))
    );

    let args = ExecuteArgs::parse("0='12.5'").expect("valid execute arguments");
    store.execute(3303, 0, 5605, &args).expect("reset executes");
    assert_eq!(
        float(&mut store, 5601),
        Ok(ResourceValue::Single(Value::Float(12.5)))
    );
    assert_eq!(
        float(&mut store, 5602),
        Err(Error::NotFound { resource: 5602 })
    );

    let bad = ExecuteArgs::parse("0='warm'").expect("valid grammar, bad value");
    assert!(matches!(
        store.execute(3303, 0, 5605, &bad),
        Err(Error::BadRequest { .. })
    ));
    assert!(
        ExecuteArgs::parse("0=12.5").is_err(),
        "values must be quoted"
    );
    // Sensor Value is not executable; Reset is not readable.
    assert_eq!(
        store
            .execute(3303, 0, 5700, &ExecuteArgs::new())
            .map_err(|e| e.coap_code()),
        Err((4, 5))
    );
    assert_eq!(
        float(&mut store, 5605).map_err(|e| e.coap_code()),
        Err((4, 5))
    );
}

fn light(store: &ObjectStore, instance: u16) -> LightControl {
    store
        .get::<LightControl>(instance)
        .cloned()
        .expect("instance exists")
}

#[test]
fn generated_light_control_validated_writes_change_all_or_nothing() {
    let mut store = ObjectStore::new();
    store.creatable(|| (LightControl::default(), ()));
    let id = store
        .create(
            3311,
            None,
            vec![(5850, ResourceValue::Single(Value::Boolean(true)))],
        )
        .expect("create with the mandatory On/Off");
    assert_eq!(id, 0);
    let before = light(&store, 0);
    assert!(before.on_off);

    // Dimmer (5851) is 0..100 in the registry: 101 is refused, and so is the whole write it is
    // part of, On/Off included.
    let out_of_range = vec![
        (5850, ResourceValue::Single(Value::Boolean(false))),
        (5851, ResourceValue::Single(Value::Integer(101))),
    ];
    let refused = store.write(3311, 0, out_of_range, WriteMode::Update);
    assert_eq!(refused.map_err(|e| e.coap_code()), Err((4, 0)));
    assert_eq!(light(&store, 0), before);

    // A float written to the Integer Dimmer: refused, nothing changed.
    let wrong_type = vec![(5851, ResourceValue::Single(Value::Float(50.5)))];
    assert!(store.write(3311, 0, wrong_type, WriteMode::Update).is_err());
    assert_eq!(light(&store, 0), before);

    // Read-only Cumulative active power (5805): refused with 4.05.
    let read_only = vec![(5805, ResourceValue::Single(Value::Float(1.0)))];
    assert_eq!(
        store
            .write(3311, 0, read_only, WriteMode::Update)
            .map_err(|e| e.coap_code()),
        Err((4, 5))
    );

    // In range: applied.
    let fine = vec![
        (5850, ResourceValue::Single(Value::Boolean(false))),
        (5851, ResourceValue::Single(Value::Integer(100))),
    ];
    store
        .write(3311, 0, fine, WriteMode::Update)
        .expect("valid write");
    let after = light(&store, 0);
    assert_eq!((after.on_off, after.dimmer), (false, Some(100)));
}

#[test]
fn generated_light_control_create_and_delete() {
    let mut store = ObjectStore::new();
    store.creatable(|| (LightControl::default(), ()));
    // On/Off is mandatory: a create without it is refused.
    assert!(matches!(
        store.create(3311, None, vec![]),
        Err(Error::MissingMandatory { .. })
    ));
    let on = || vec![(5850, ResourceValue::Single(Value::Boolean(true)))];
    assert_eq!(store.create(3311, None, on()), Ok(0));
    assert_eq!(store.create(3311, Some(7), on()), Ok(7));
    assert_eq!(store.create(3311, None, on()), Ok(1));
    assert!(store.create(3311, Some(7), on()).is_err(), "id taken");
    assert_eq!(store.instances(3311).collect::<Vec<_>>(), [0, 1, 7]);

    store.delete(3311, 1).expect("delete");
    assert_eq!(store.instances(3311).collect::<Vec<_>>(), [0, 7]);
    assert_eq!(
        store.delete(3311, 1).map_err(|e| e.coap_code()),
        Err((4, 4))
    );
    assert_eq!(
        store.create(3311, None, on()),
        Ok(1),
        "the lowest free id again"
    );
    assert_eq!(LightControl::META.id, 3311);
}
