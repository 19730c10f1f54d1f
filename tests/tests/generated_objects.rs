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

/// The id of the resource named `name` in the registry's XML definition of `object`.
fn xml_id(object: u16, name: &str) -> u16 {
    let registry = lwm2m_model::Registry::bundled();
    let def = registry.get(object).expect("bundled object");
    let matching = def
        .resources
        .iter()
        .filter(|r| r.name == name)
        .map(|r| r.id)
        .collect::<Vec<_>>();
    assert_eq!(matching.len(), 1, "{object}: one resource named {name:?}");
    matching[0]
}

#[test]
fn id_constants_match_the_registry_xml() {
    // Every resource of Temperature, named after its field.
    let temperature = [
        (Temperature::SENSOR_VALUE, "Sensor Value"),
        (Temperature::MIN_MEASURED_VALUE, "Min Measured Value"),
        (Temperature::MAX_MEASURED_VALUE, "Max Measured Value"),
        (Temperature::MIN_RANGE_VALUE, "Min Range Value"),
        (Temperature::MAX_RANGE_VALUE, "Max Range Value"),
        (Temperature::SENSOR_UNITS, "Sensor Units"),
        (
            Temperature::RESET_MIN_AND_MAX_MEASURED_VALUES,
            "Reset Min and Max Measured Values",
        ),
        (Temperature::APPLICATION_TYPE, "Application Type"),
        (Temperature::TIMESTAMP, "Timestamp"),
        (Temperature::FRACTIONAL_TIMESTAMP, "Fractional Timestamp"),
        (
            Temperature::MEASUREMENT_QUALITY_INDICATOR,
            "Measurement Quality Indicator",
        ),
        (
            Temperature::MEASUREMENT_QUALITY_LEVEL,
            "Measurement Quality Level",
        ),
    ];
    assert_eq!(temperature.len(), Temperature::META.resources.len());
    for (constant, name) in temperature {
        assert_eq!(constant, xml_id(3303, name), "{name}");
    }
    assert_eq!(Temperature::SENSOR_VALUE, 5700);
    assert_eq!(Temperature::ID, 3303);

    // Awkward names: a raw identifier, leading digits, colliding names with id suffixes.
    assert_eq!(
        EdgeApplicationServerConfiguration::TYPE,
        xml_id(EdgeApplicationServerConfiguration::ID, "Type")
    );
    assert_eq!(
        N3PhasePowerMeter::N3_PHASE_ACTIVE_POWER,
        xml_id(10242, "3-Phase Active Power")
    );
    assert_eq!(
        GlobalNavigationSatelliteSystem::SATELLITE_IDENTIFIERS_17,
        17
    );
    assert_eq!(
        GlobalNavigationSatelliteSystem::SATELLITE_IDENTIFIERS_18,
        18
    );
    // Two objects named Location: each has its own ids.
    assert_eq!((Location::ID, Location3336::ID), (6, 3336));
    assert_eq!(Location::LATITUDE, xml_id(6, "Latitude"));
    assert_eq!(Device::ERROR_CODE, xml_id(3, "Error Code"));
    assert_eq!(Device::REBOOT, 4);
}

#[test]
fn paths_from_id_constants() {
    let path = Temperature::resource_path(0, Temperature::SENSOR_VALUE);
    assert_eq!(path.to_string(), "/3303/0/5700");
    assert_eq!(
        path,
        lwm2m::Path::resource(Temperature::ID, 0, Temperature::SENSOR_VALUE)
    );
    assert_eq!(Temperature::instance_path(1).to_string(), "/3303/1");
    // A generated object and a hand-written built-in one name the same resource alike.
    assert_eq!(Device::REBOOT, lwm2m::objects::Device::REBOOT);
}
