//! `#[derive(Object)]` on hand-written objects: metadata, reads, writes and their errors.

// A failed unwrap is a failed test here.
#![allow(clippy::unwrap_used)]

use crate::support::single;
use lwm2m::{
    CoreLnk, Error, Executable, Instances, Kind, ObjLnk, Object, ObjectInstance, Operations,
    ResourceValue, Time, Value,
};

/// Every field type the derive supports, with inferred and explicit kinds.
#[derive(Debug, Clone, PartialEq, Default, Object)]
#[lwm2m(
    id = 10300,
    name = "Everything",
    version = "2.1",
    lwm2m_version = "1.1",
    mandatory
)]
struct Everything {
    #[lwm2m(id = 9, name = "Text", op = "RW", mandatory, range = "0..255")]
    text: String,
    #[lwm2m(id = 1, op = "RW", kind = "Integer", units = "mV")]
    int64: i64,
    #[lwm2m(id = 2, op = "RW")]
    int8: i8,
    #[lwm2m(id = 3, op = "RW", kind = "Integer")]
    small_as_integer: u8,
    #[lwm2m(id = 4, op = "RW")]
    unsigned16: u16,
    #[lwm2m(id = 5, op = "RW", kind = "Unsigned Integer")]
    unsigned64: u64,
    #[lwm2m(id = 6, op = "RW")]
    float64: f64,
    #[lwm2m(id = 7, op = "RW", kind = "Float")]
    float32: f32,
    #[lwm2m(id = 8, op = "R")]
    flag: bool,
    #[lwm2m(id = 20, op = "W", kind = "Opaque")]
    bytes: Vec<u8>,
    #[lwm2m(id = 21, op = "RW")]
    time: Time,
    #[lwm2m(id = 22, op = "RW", kind = "Objlnk")]
    link: ObjLnk,
    #[lwm2m(id = 23, op = "R")]
    core_link: CoreLnk,
    #[lwm2m(id = 30, op = "RW", kind = "String")]
    optional: Option<String>,
    #[lwm2m(id = 31, op = "RW", multiple)]
    many: Instances<i32>,
    #[lwm2m(id = 32, op = "RW", kind = "Integer", multiple)]
    optional_many: Option<Instances<i64>>,
    #[lwm2m(id = 40, name = "Reboot", op = "E")]
    reboot: Executable,
    #[lwm2m(id = 41, op = "")]
    hidden: i32,
    #[lwm2m(skip)]
    state: Vec<String>,
    #[lwm2m(id = 0, op = "R")]
    #[lwm2m(name = "Split Attribute")]
    split: u32,
}

/// Defaults: name from the ident, version 1.0, urn by id band.
#[derive(Debug, Default, Object)]
#[lwm2m(id = 3)]
struct Oma {
    #[lwm2m(id = 0, op = "R")]
    manufacturer: String,
}

#[derive(Debug, Default, Object)]
#[lwm2m(id = 3303, version = "1.1", multiple)]
struct Ext {}

#[derive(Debug, Default, Object)]
#[lwm2m(id = 26241)]
struct Vendor;

#[derive(Debug, Default, Object)]
#[lwm2m(id = 1500, urn = "urn:oma:lwm2m:oma:1500")]
struct Reserved {}

fn ids(meta: &lwm2m::ObjectMeta) -> Vec<u16> {
    meta.resources.iter().map(|r| r.id).collect()
}

#[test]
fn object_meta() {
    let meta = Everything::META;
    assert_eq!(meta.id, 10300);
    assert_eq!(meta.name, "Everything");
    assert_eq!(meta.version, "2.1");
    assert_eq!(meta.lwm2m_version, "1.1");
    assert_eq!(meta.urn, "urn:oma:lwm2m:x:10300:2.1");
    assert!(meta.mandatory);
    assert!(!meta.multiple);
}

#[test]
fn resources_are_sorted_by_id_and_skip_is_left_out() {
    assert_eq!(
        ids(Everything::META),
        [
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 20, 21, 22, 23, 30, 31, 32, 40, 41
        ]
    );
}

#[test]
fn kinds_inferred_and_explicit() {
    let kind = |id| Everything::META.resource(id).map(|r| r.kind);
    let expected = [
        (0, Kind::UnsignedInteger),
        (1, Kind::Integer),
        (2, Kind::Integer),
        (3, Kind::Integer),
        (4, Kind::UnsignedInteger),
        (5, Kind::UnsignedInteger),
        (6, Kind::Float),
        (7, Kind::Float),
        (8, Kind::Boolean),
        (9, Kind::String),
        (20, Kind::Opaque),
        (21, Kind::Time),
        (22, Kind::ObjLnk),
        (23, Kind::CoreLnk),
        (30, Kind::String),
        (31, Kind::Integer),
        (32, Kind::Integer),
        (40, Kind::None),
        (41, Kind::Integer),
    ];
    for (id, k) in expected {
        assert_eq!(kind(id), Some(k), "resource {id}");
    }
}

#[test]
fn resource_flags_names_units_range() {
    let r = |id| Everything::META.resource(id).copied().unwrap();
    let text = r(9);
    assert_eq!(text.name, "Text");
    assert_eq!(text.operations, Operations::ReadWrite);
    assert!(text.mandatory);
    assert!(!text.multiple);
    assert_eq!(text.range, Some("0..255"));
    assert_eq!(text.units, None);
    assert_eq!(r(1).units, Some("mV"));
    assert_eq!(r(1).name, "int64", "the default name is the field's");
    assert_eq!(r(0).name, "Split Attribute", "two attributes add up");
    assert!(r(31).multiple && r(32).multiple && !r(30).multiple);
    assert!(!r(31).mandatory);
    assert_eq!(r(40).name, "Reboot");
    assert_eq!(r(40).operations, Operations::Execute);
    assert_eq!(r(41).operations, Operations::None);
    assert_eq!(r(8).operations, Operations::Read);
    assert_eq!(r(20).operations, Operations::Write);
    assert!(Everything::META.resource(10).is_none());
}

#[test]
fn default_names_versions_and_urns() {
    assert_eq!(Oma::META.name, "Oma");
    assert_eq!(Oma::META.version, "1.0");
    assert_eq!(Oma::META.lwm2m_version, "1.0");
    assert_eq!(Oma::META.urn, "urn:oma:lwm2m:oma:3");
    assert!(!Oma::META.mandatory && !Oma::META.multiple);
    assert_eq!(Ext::META.urn, "urn:oma:lwm2m:ext:3303:1.1");
    assert!(Ext::META.multiple);
    assert!(Ext::META.resources.is_empty());
    assert_eq!(Vendor::META.urn, "urn:oma:lwm2m:x:26241");
    assert_eq!(Reserved::META.urn, "urn:oma:lwm2m:oma:1500");
}

#[test]
fn read_write_round_trips() {
    let mut o = Everything::default();
    let cases = [
        (9, Value::String("hello".into())),
        (1, Value::Integer(-5_000_000_000)),
        (2, Value::Integer(-128)),
        (3, Value::Integer(255)),
        (4, Value::UnsignedInteger(65535)),
        (5, Value::UnsignedInteger(u64::MAX)),
        (6, Value::Float(1.0e300)),
        (7, Value::Float(0.5)),
        (21, Value::Time(Time(1_700_000_000))),
        (22, Value::ObjLnk(ObjLnk::new(3, 0))),
        (30, Value::String("optional".into())),
    ];
    for (id, value) in cases {
        Object::write(&mut o, id, single(value.clone())).unwrap();
        assert_eq!(Object::read(&o, id), Ok(single(value)), "resource {id}");
    }
    assert_eq!(o.text, "hello");
    assert_eq!(o.small_as_integer, 255);
    assert_eq!(o.optional.as_deref(), Some("optional"));

    let many = lwm2m::Instances::from_iter([(0, Value::Integer(1)), (7, Value::Integer(-7))]);
    Object::write(&mut o, 31, ResourceValue::Multiple(many.clone())).unwrap();
    assert_eq!(o.many, lwm2m::Instances::from_iter([(0, 1), (7, -7)]));
    assert_eq!(
        Object::read(&o, 31),
        Ok(ResourceValue::Multiple(many.clone()))
    );
    Object::write(&mut o, 32, ResourceValue::Multiple(many.clone())).unwrap();
    assert_eq!(Object::read(&o, 32), Ok(ResourceValue::Multiple(many)));
}

#[test]
fn writes_accept_either_integer_kind_when_the_value_fits() {
    let mut o = Everything::default();
    Object::write(&mut o, 4, single(Value::Integer(12))).unwrap();
    assert_eq!(o.unsigned16, 12);
    assert_eq!(Object::read(&o, 4), Ok(single(Value::UnsignedInteger(12))));
    Object::write(&mut o, 2, single(Value::UnsignedInteger(12))).unwrap();
    assert_eq!(o.int8, 12);
}

#[test]
fn reads_of_fields_the_device_set() {
    let o = Everything {
        flag: true,
        core_link: CoreLnk("</3/0>".into()),
        split: 42,
        small_as_integer: 200,
        ..Everything::default()
    };
    assert_eq!(Object::read(&o, 8), Ok(single(Value::Boolean(true))));
    assert_eq!(
        Object::read(&o, 23),
        Ok(single(Value::CoreLnk(CoreLnk("</3/0>".into()))))
    );
    assert_eq!(Object::read(&o, 0), Ok(single(Value::UnsignedInteger(42))));
    // A u8 declared Integer reads as an Integer.
    assert_eq!(Object::read(&o, 3), Ok(single(Value::Integer(200))));
}

#[test]
fn not_found() {
    let mut o = Everything::default();
    assert_eq!(
        Object::read(&o, 30),
        Err(Error::NotFound { resource: 30 }),
        "an absent Option"
    );
    assert_eq!(
        Object::read(&o, 32),
        Err(Error::NotFound { resource: 32 }),
        "absent instances"
    );
    assert_eq!(Object::read(&o, 10), Err(Error::NotFound { resource: 10 }));
    assert_eq!(
        Object::write(&mut o, 999, single(Value::Integer(1))),
        Err(Error::NotFound { resource: 999 })
    );
    assert_eq!(
        Object::read(&Vendor, 0),
        Err(Error::NotFound { resource: 0 })
    );
}

#[test]
fn method_not_allowed() {
    let mut o = Everything::default();
    let not_allowed = |resource| Some(Error::MethodNotAllowed { resource });
    assert_eq!(
        Object::write(&mut o, 8, single(Value::Boolean(true))).err(),
        not_allowed(8),
        "writing an R resource"
    );
    assert!(!o.flag);
    assert_eq!(
        Object::read(&o, 40).err(),
        not_allowed(40),
        "reading an E resource"
    );
    assert_eq!(
        Object::write(&mut o, 40, single(Value::Boolean(true))).err(),
        not_allowed(40)
    );
    assert_eq!(
        Object::read(&o, 20).err(),
        not_allowed(20),
        "reading a W resource"
    );
    assert_eq!(Object::read(&o, 41).err(), not_allowed(41), "no operation");
    assert_eq!(
        Object::write(&mut o, 41, single(Value::Integer(1))).err(),
        not_allowed(41)
    );
    Object::write(&mut o, 20, single(Value::Opaque(vec![1, 2]))).unwrap();
    assert_eq!(o.bytes, [1, 2]);
}

#[test]
fn failed_writes_leave_the_field_unchanged() {
    let mut o = Everything {
        text: "keep".into(),
        int8: 3,
        small_as_integer: 4,
        float32: 1.5,
        optional: None,
        many: lwm2m::Instances::from_iter([(1, 10)]),
        ..Everything::default()
    };
    let before = o.clone();

    assert_eq!(
        Object::write(&mut o, 9, single(Value::Integer(1))),
        Err(Error::TypeMismatch {
            expected: Kind::String,
            found: Kind::Integer
        })
    );
    assert_eq!(
        Object::write(&mut o, 3, single(Value::Integer(300))),
        Err(Error::OutOfRange { target: "u8" })
    );
    assert_eq!(
        Object::write(&mut o, 3, single(Value::String("4".into()))),
        Err(Error::TypeMismatch {
            expected: Kind::Integer,
            found: Kind::String
        })
    );
    assert_eq!(
        Object::write(&mut o, 2, single(Value::Integer(-129))),
        Err(Error::OutOfRange { target: "i8" })
    );
    assert_eq!(
        Object::write(&mut o, 7, single(Value::Float(1e39))),
        Err(Error::OutOfRange { target: "f32" })
    );
    assert_eq!(
        Object::write(&mut o, 30, single(Value::Boolean(false))),
        Err(Error::TypeMismatch {
            expected: Kind::String,
            found: Kind::Boolean
        })
    );
    assert_eq!(
        Object::write(&mut o, 31, single(Value::Integer(1))),
        Err(Error::NotSingle { resource: 31 })
    );
    assert_eq!(
        Object::write(&mut o, 9, ResourceValue::Multiple(lwm2m::Instances::new())),
        Err(Error::NotMultiple { resource: 9 })
    );
    let half_bad =
        lwm2m::Instances::from_iter([(0, Value::Integer(1)), (1, Value::Integer(1 << 40))]);
    assert_eq!(
        Object::write(&mut o, 31, ResourceValue::Multiple(half_bad)),
        Err(Error::OutOfRange { target: "i32" })
    );
    assert_eq!(o, before);
}

#[test]
fn boxed_instances() {
    let mut store: Vec<Box<dyn ObjectInstance>> = vec![
        Box::new(Oma {
            manufacturer: "ACME".into(),
        }),
        Box::new(Everything::default()),
    ];
    let found: Vec<u16> = store.iter().map(|o| o.meta().id).collect();
    assert_eq!(found, [3, 10300]);
    assert_eq!(store[0].read(0), Ok(single(Value::String("ACME".into()))));
    assert_eq!(
        store[0].write(0, single(Value::String("x".into()))),
        Err(Error::MethodNotAllowed { resource: 0 })
    );
    store[1].write(6, single(Value::Float(2.5))).unwrap();
    let everything = store[1].downcast_ref::<Everything>().unwrap();
    assert_eq!(everything.float64, 2.5);
    assert!(store[0].downcast_ref::<Everything>().is_none());
    store[0].downcast_mut::<Oma>().unwrap().manufacturer = "Other".into();
    assert_eq!(store[0].read(0), Ok(single(Value::String("Other".into()))));
}

#[test]
fn skipped_field_is_plain_state() {
    let mut o = Everything::default();
    o.state.push("kept".into());
    Object::write(&mut o, 6, single(Value::Float(1.0))).unwrap();
    assert_eq!(o.state, ["kept"]);
    assert_eq!(o.hidden, 0);
    let _ = Executable;
    let _ = &o.reboot;
}

/// The exact shape lwm2m-codegen emits: absolute paths, `crate = "::lwm2m"`, doc attributes.
mod generated {
    #[doc = " Temperature: LwM2M object 3303, version 1.1 (`urn:oma:lwm2m:ext:3303:1.1`)."]
    #[derive(Debug, Clone, PartialEq, Default, ::lwm2m::Object)]
    #[lwm2m(
        crate = "::lwm2m",
        id = 3303,
        name = "Temperature",
        version = "1.1",
        lwm2m_version = "1.0",
        urn = "urn:oma:lwm2m:ext:3303:1.1",
        multiple
    )]
    pub struct Temperature {
        #[doc = " Sensor Value (5700): Last or Current Measured Value from the Sensor."]
        #[lwm2m(id = 5700, name = "Sensor Value", op = "R", kind = "Float", mandatory)]
        pub sensor_value: f64,
        #[lwm2m(id = 5701, name = "Sensor Units", op = "R", kind = "String")]
        pub sensor_units: ::core::option::Option<::std::string::String>,
        #[lwm2m(id = 5605, name = "Reset Min and Max Measured Values", op = "E")]
        pub reset_min_and_max_measured_values: ::lwm2m::Executable,
        #[lwm2m(
            id = 7,
            name = "Power Source Voltage",
            op = "R",
            kind = "Integer",
            multiple,
            units = "mV"
        )]
        pub power_source_voltage: ::core::option::Option<::lwm2m::Instances<i64>>,
        #[lwm2m(
            id = 0,
            name = "LWM2M Server URI",
            op = "",
            kind = "String",
            mandatory,
            range = "0..255"
        )]
        pub lwm2m_server_uri: ::std::string::String,
    }

    /// Object names such as "String" or "Time" must not shadow the types the fields use.
    #[derive(Debug, Default, ::lwm2m::Object)]
    #[lwm2m(crate = "::lwm2m", id = 3333, name = "Time")]
    pub struct Time {
        #[lwm2m(id = 5506, name = "Current Time", op = "RW", kind = "Time", mandatory)]
        pub current_time: ::lwm2m::Time,
    }

    #[allow(dead_code)]
    pub struct String;
}

#[test]
fn generated_shape() {
    use generated::Temperature;
    let meta = Temperature::META;
    assert_eq!(ids(meta), [0, 7, 5605, 5700, 5701]);
    assert_eq!(meta.urn, "urn:oma:lwm2m:ext:3303:1.1");
    assert_eq!(meta.resource(7).unwrap().units, Some("mV"));
    assert_eq!(meta.resource(5605).unwrap().kind, Kind::None);
    let t = Temperature {
        sensor_value: 21.5,
        ..Temperature::default()
    };
    assert_eq!(Object::read(&t, 5700), Ok(single(Value::Float(21.5))));
    assert_eq!(generated::Time::META.name, "Time");
    assert_eq!(generated::Time::META.resources[0].kind, Kind::Time);
}

/// `crate = "..."` names the runtime through another path, as a crate that re-exports it does.
mod reexport {
    pub mod rt {
        pub use lwm2m::*;
    }

    #[derive(Debug, Default, lwm2m::Object)]
    #[lwm2m(crate = "crate::derive::reexport::rt", id = 4)]
    pub struct Renamed {
        #[lwm2m(id = 0, op = "RW")]
        pub r#type: u8,
    }
}

#[test]
fn crate_path_and_raw_field_names() {
    use reexport::Renamed;
    assert_eq!(Renamed::META.resources[0].name, "type");
    let mut r = Renamed::default();
    Object::write(&mut r, 0, single(Value::UnsignedInteger(9))).unwrap();
    assert_eq!(r.r#type, 9);
}

/// Metadata written by hand (as a generator or a device's own object may): a resource declared
/// `kind` whose field type holds values outside it.
const fn declared(kind: Kind, multiple: bool) -> lwm2m::ResourceMeta {
    lwm2m::ResourceMeta {
        id: 0,
        name: "Wide",
        operations: Operations::Read,
        kind,
        multiple,
        mandatory: false,
        units: None,
        range: None,
        constraint: lwm2m::Constraint::None,
    }
}

#[test]
fn a_read_of_a_value_outside_the_declared_kind_is_out_of_range() {
    use lwm2m::ResourceField;
    let as_integer = declared(Kind::Integer, false);
    let as_unsigned = declared(Kind::UnsignedInteger, false);
    let many_as_integer = declared(Kind::Integer, true);
    let at = lwm2m::Path::resource(10301, 0, 0);
    let too_big = Error::OutOfRange { target: "i64" };
    assert_eq!(u64::MAX.read(&as_integer), Err(too_big.clone()));
    assert_eq!(
        (-1i64).read(&as_unsigned),
        Err(Error::OutOfRange { target: "u64" })
    );
    let many: Instances<u64> = Instances::from_iter([(0, 1), (1, u64::MAX)]);
    assert_eq!(many.read(&many_as_integer), Err(too_big.clone()));
    // The lent read converts the same way.
    let mut lent = Vec::new();
    assert_eq!(
        u64::MAX.read_refs(&as_integer, at, &mut lent),
        Err(too_big.clone())
    );
    assert_eq!(
        many.read_refs(&many_as_integer, at, &mut lent),
        Err(too_big)
    );
    // In range, each reads as the declared kind.
    assert_eq!(7u64.read(&as_integer), Ok(single(Value::Integer(7))));
    assert_eq!(
        7i64.read(&as_unsigned),
        Ok(single(Value::UnsignedInteger(7)))
    );
    let fits: Instances<u64> = Instances::from_iter([(3, 7)]);
    assert_eq!(
        fits.read(&many_as_integer),
        Ok(ResourceValue::Multiple(Instances::from_iter([(
            3,
            Value::Integer(7)
        )])))
    );
    // A String field declared Integer is a type mismatch, not a conversion.
    assert_eq!(
        String::from("x").read(&as_integer),
        Err(Error::TypeMismatch {
            expected: Kind::Integer,
            found: Kind::String
        })
    );
}
