//! Generated structs behave as typed LwM2M objects: fields of the mapped Rust types, reads and
//! writes by resource id through the derive, the naming rules for awkward registry names, and a
//! user's own XML generated beside a selection of bundled objects.

use lwm2m::{
    Error, Executable, Instances, Kind, Object, ObjectInstance, ResourceValue, Time, Value,
};
use lwm2m_tests::objects::{
    Device, EdgeApplicationServerConfiguration, GlobalNavigationSatelliteSystem, Location,
    Location3336, N3PhasePowerMeter, Temperature,
};
use lwm2m_tests::selected_objects;

#[test]
fn temperature_reads_and_writes_typed_fields_by_resource_id() {
    let mut temperature = Temperature {
        sensor_value: 21.5,
        sensor_units: Some("Cel".to_owned()),
        timestamp: Some(Time(1_700_000_000)),
        ..Temperature::default()
    };
    assert_eq!(Temperature::META.id, 3303);
    assert_eq!(Temperature::META.urn, "urn:oma:lwm2m:ext:3303:1.1");
    assert_eq!(
        Object::read(&temperature, 5700),
        Ok(ResourceValue::Single(Value::Float(21.5)))
    );
    assert_eq!(
        Object::read(&temperature, 5518),
        Ok(ResourceValue::Single(Value::Time(Time(1_700_000_000))))
    );
    // An optional resource the device has not set is absent.
    assert_eq!(
        Object::read(&temperature, 5601),
        Err(Error::NotFound { resource: 5601 })
    );
    // Application Type (5750) is RW: a server may write it.
    Object::write(
        &mut temperature,
        5750,
        ResourceValue::Single(Value::String("greenhouse".to_owned())),
    )
    .expect("5750 is writable");
    assert_eq!(temperature.application_type.as_deref(), Some("greenhouse"));
    // Sensor Value (5700) is R only; the executable 5605 cannot be read.
    let before = temperature.clone();
    assert_eq!(
        Object::write(
            &mut temperature,
            5700,
            ResourceValue::Single(Value::Float(0.0))
        ),
        Err(Error::MethodNotAllowed { resource: 5700 })
    );
    assert_eq!(
        Object::read(&temperature, 5605),
        Err(Error::MethodNotAllowed { resource: 5605 })
    );
    // A value of the wrong type changes nothing.
    assert_eq!(
        Object::write(
            &mut temperature,
            5750,
            ResourceValue::Single(Value::Integer(1))
        ),
        Err(Error::TypeMismatch {
            expected: Kind::String,
            found: Kind::Integer
        })
    );
    assert_eq!(
        temperature,
        Temperature {
            application_type: Some("greenhouse".to_owned()),
            ..before
        }
    );
    let _: Executable = temperature.reset_min_and_max_measured_values;
}

#[test]
fn device_multiple_instance_resources_are_maps_by_instance_id() {
    let device = Device {
        error_code: Instances::from_iter([(0, 0)]),
        available_power_sources: Some(Instances::from_iter([(0, 1), (1, 5)])),
        ..Device::default()
    };
    assert_eq!(
        Object::read(&device, 11),
        Ok(ResourceValue::Multiple(
            [(0, Value::Integer(0))].into_iter().collect()
        ))
    );
    assert_eq!(
        Object::read(&device, 6),
        Ok(ResourceValue::Multiple(
            [(0, Value::Integer(1)), (1, Value::Integer(5))]
                .into_iter()
                .collect()
        ))
    );
    let meta = Device::META
        .resource(11)
        .expect("Error Code is resource 11");
    assert!(meta.multiple && meta.mandatory);
}

#[test]
fn awkward_registry_names_become_valid_distinct_identifiers() {
    // Two objects named "Location": the lower id keeps the plain name.
    assert_eq!(Location::META.id, 6);
    assert_eq!(Location3336::META.id, 3336);
    // "3-Phase Power Meter" / "3-Phase Active Power": leading digits.
    let meter = N3PhasePowerMeter {
        n3_phase_active_power: Some(1.5),
        ..N3PhasePowerMeter::default()
    };
    assert_eq!(N3PhasePowerMeter::META.id, 10242);
    assert_eq!(meter.n3_phase_active_power, Some(1.5));
    // A resource named "Type": a raw identifier.
    let edge = EdgeApplicationServerConfiguration {
        r#type: Some(Instances::from_iter([(0, 1)])),
        ..EdgeApplicationServerConfiguration::default()
    };
    assert_eq!(
        Object::read(&edge, 3),
        Ok(ResourceValue::Multiple(
            [(0, Value::Integer(1))].into_iter().collect()
        ))
    );
    // Two resources named "Satellite identifiers" (String and Float): suffixed with their ids.
    let gnss = GlobalNavigationSatelliteSystem::default();
    let _: (&Option<Instances<String>>, &Option<Instances<f64>>) = (
        &gnss.satellite_identifiers_17,
        &gnss.satellite_identifiers_18,
    );
}

#[test]
fn a_users_own_object_is_generated_beside_a_selection() {
    use selected_objects::{
        DemoCounter, LightControl, OBJECTS, Temperature as SelectedTemperature,
    };
    let ids: Vec<u16> = OBJECTS.iter().map(|meta| meta.id).collect();
    assert_eq!(ids, [3303, 3311, 32769]);
    assert_eq!(SelectedTemperature::META.id, 3303);
    assert_eq!(LightControl::META.id, 3311);

    let mut counter = DemoCounter {
        count: 7,
        ..DemoCounter::default()
    };
    assert_eq!(DemoCounter::META.urn, "urn:oma:lwm2m:x:32769");
    assert_eq!(DemoCounter::META.lwm2m_version, "1.1");
    assert_eq!(
        Object::read(&counter, 0),
        Ok(ResourceValue::Single(Value::UnsignedInteger(7)))
    );
    Object::write(
        &mut counter,
        0,
        ResourceValue::Single(Value::UnsignedInteger(9)),
    )
    .expect("Count is RW");
    assert_eq!(counter.count, 9);
    let units = DemoCounter::META.resource(3).and_then(|r| r.units);
    assert_eq!(units, Some("s"));

    // Generated objects work behind the dyn-safe instance trait a store holds.
    let boxed: Box<dyn ObjectInstance> = Box::new(counter);
    assert_eq!(boxed.meta().name, "Demo Counter");
    assert_eq!(
        boxed.downcast_ref::<DemoCounter>().map(|c| c.count),
        Some(9)
    );
}
