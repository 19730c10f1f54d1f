//! The built-in objects (Security, Server, Access Control, Device): their metadata against the
//! bundled registry, and the values their constructors give (ETS configuration C.1).

// A failed unwrap is a failed test here.
#![allow(clippy::unwrap_used)]

use crate::support::single;
use lwm2m::meta::{Number, ValueItem};
use lwm2m::objects::{AccessControl, Device, DeviceHandler, Security, Server};
use lwm2m::{Error, ExecuteArgs, Handler, Object, ObjectMeta, ResourceValue, Time, Value};
use lwm2m_model::{self as model, Registry};

/// The runtime constraint the registry's `RangeEnumeration` should give; `None` for what the
/// runtime does not enforce (labels, free text).
fn expected_constraint(range: Option<&model::Range>) -> lwm2m::Constraint {
    fn number(n: &model::Number) -> Number {
        match *n {
            model::Number::Int(i) => Number::Int(i128::from(i)),
            model::Number::UInt(u) => Number::Int(i128::from(u)),
            model::Number::Float(f) => Number::Float(f),
        }
    }
    let Some(range) = range else {
        return lwm2m::Constraint::None;
    };
    match &range.constraint {
        model::Constraint::Range { min, max } => lwm2m::Constraint::Range {
            min: Some(number(min)),
            max: Some(number(max)),
        },
        model::Constraint::Length { min, max } => lwm2m::Constraint::Length {
            min: *min,
            max: *max,
        },
        model::Constraint::Lengths(lengths) => lwm2m::Constraint::Lengths(lengths.clone().leak()),
        model::Constraint::Enumeration(items) => lwm2m::Constraint::Values(
            items
                .iter()
                .map(|item| match item {
                    model::RangeItem::Value(v) => ValueItem::Value(number(v)),
                    model::RangeItem::Range(a, b) => ValueItem::Range(number(a), number(b)),
                })
                .collect::<Vec<_>>()
                .leak(),
        ),
        model::Constraint::Labels(_) | model::Constraint::Unparsed => lwm2m::Constraint::None,
    }
}

/// Asserts that `meta` describes exactly the bundled registry's definition of its object.
fn assert_matches_registry(meta: &ObjectMeta) {
    let registry = Registry::bundled();
    let def = registry.get(meta.id).unwrap();
    assert_eq!(meta.name, def.name, "object {} name", meta.id);
    assert_eq!(
        meta.version,
        def.version.to_string(),
        "object {} version",
        meta.id
    );
    assert_eq!(
        meta.lwm2m_version,
        def.lwm2m_version.to_string(),
        "object {} LwM2M version",
        meta.id
    );
    assert_eq!(meta.urn, def.urn, "object {} urn", meta.id);
    assert_eq!(meta.multiple, def.multiple, "object {} multiple", meta.id);
    assert_eq!(
        meta.mandatory, def.mandatory,
        "object {} mandatory",
        meta.id
    );

    let ours: Vec<u16> = meta.resources.iter().map(|r| r.id).collect();
    let mut theirs: Vec<u16> = def.resources.iter().map(|r| r.id).collect();
    theirs.sort_unstable();
    assert_eq!(ours, theirs, "object {} resource ids", meta.id);

    for expected in &def.resources {
        let r = meta.resource(expected.id).unwrap();
        let at = format!("/{}/{} {}", meta.id, r.id, expected.name);
        assert_eq!(r.name, expected.name, "{at}: name");
        assert_eq!(
            r.operations.as_str(),
            expected.operations.as_str(),
            "{at}: operations"
        );
        assert_eq!(
            r.kind.as_str(),
            expected.kind.map_or("none", |k| k.as_str()),
            "{at}: kind"
        );
        assert_eq!(r.multiple, expected.multiple, "{at}: multiple");
        assert_eq!(r.mandatory, expected.mandatory, "{at}: mandatory");
        assert_eq!(r.units, expected.units.as_deref(), "{at}: units");
        assert_eq!(
            r.range,
            expected.range.as_ref().map(|range| range.text.as_str()),
            "{at}: range"
        );
        assert_eq!(
            r.constraint,
            expected_constraint(expected.range.as_ref()),
            "{at}: constraint"
        );
    }
}

fn read(object: &impl Object, resource: u16) -> Result<ResourceValue, Error> {
    Object::read(object, resource)
}

#[test]
fn security_matches_the_registry() {
    assert_matches_registry(<Security as Object>::META);
}

#[test]
fn server_matches_the_registry() {
    assert_matches_registry(<Server as Object>::META);
}

#[test]
fn access_control_matches_the_registry() {
    assert_matches_registry(<AccessControl as Object>::META);
}

#[test]
fn device_matches_the_registry() {
    assert_matches_registry(<Device as Object>::META);
}

#[test]
fn security_no_sec() {
    let s = Security::no_sec("coap://127.0.0.1:5683", 1);
    assert_eq!(s.server_uri, "coap://127.0.0.1:5683");
    assert!(!s.bootstrap_server);
    assert_eq!(s.security_mode, 3);
    assert_eq!(s.short_server_id, Some(1));
    assert!(s.public_key_or_identity.is_empty() && s.secret_key.is_empty());
    // Bootstrap-only resources: a regular server may neither read nor write them.
    assert_eq!(read(&s, 0), Err(Error::MethodNotAllowed { resource: 0 }));
    let mut s2 = s.clone();
    assert_eq!(
        Object::write(&mut s2, 5, single(Value::Opaque(vec![1]))),
        Err(Error::MethodNotAllowed { resource: 5 })
    );
    assert_eq!(s2, s);
}

#[test]
fn security_psk_is_ets_c1() {
    let s = Security::psk(
        "coaps://example.org:5684",
        1,
        b"client-1",
        &[0x01, 0x02, 0x03],
    );
    assert_eq!(s.security_mode, Security::MODE_PSK);
    assert_eq!(s.security_mode, 0, "ETS C.1: security mode 0 (PSK)");
    assert_eq!(s.public_key_or_identity, b"client-1");
    assert_eq!(s.secret_key, [1, 2, 3]);
    assert_eq!(s.short_server_id, Some(1));
    assert!(!s.bootstrap_server);
    assert_eq!(s.server_uri, "coaps://example.org:5684");
}

#[test]
fn security_bootstrap() {
    let s = Security::bootstrap("coap://bs.example.org:5683");
    assert!(s.bootstrap_server);
    assert_eq!(s.security_mode, Security::MODE_NO_SEC);
    assert_eq!(s.short_server_id, None);
    assert_eq!(s.server_uri, "coap://bs.example.org:5683");
}

#[test]
fn server_new_is_ets_c1() {
    let s = Server::new(1, 86400, "U");
    assert_eq!(read(&s, 0), Ok(single(Value::Integer(1))));
    assert_eq!(read(&s, 1), Ok(single(Value::Integer(86400))));
    assert_eq!(read(&s, 6), Ok(single(Value::Boolean(false))));
    assert_eq!(read(&s, 7), Ok(single(Value::String("U".into()))));
    assert_eq!(read(&s, 2), Ok(single(Value::Integer(1))));
    assert_eq!(read(&s, 3), Ok(single(Value::Integer(10))));
    assert_eq!(read(&s, 5), Ok(single(Value::Integer(86400))));
    // Optional resources the constructor leaves out.
    assert_eq!(read(&s, 10), Err(Error::NotFound { resource: 10 }));
    assert_eq!(read(&s, 13), Err(Error::NotFound { resource: 13 }));
    // Executables are not readable.
    assert_eq!(read(&s, 8), Err(Error::MethodNotAllowed { resource: 8 }));
}

#[test]
fn server_writes() {
    let mut s = Server::new(1, 86400, "U");
    Object::write(&mut s, 1, single(Value::Integer(300))).unwrap();
    assert_eq!(s.lifetime, 300);
    Object::write(&mut s, 7, single(Value::String("UQ".into()))).unwrap();
    assert_eq!(s.binding, "UQ");
    let before = s.clone();
    assert_eq!(
        Object::write(&mut s, 0, single(Value::Integer(2))),
        Err(Error::MethodNotAllowed { resource: 0 }),
        "Short Server ID is read-only"
    );
    assert_eq!(
        Object::write(&mut s, 1, single(Value::Integer(-1))),
        Err(Error::OutOfRange { target: "u32" }),
        "a negative lifetime"
    );
    assert_eq!(
        Object::write(&mut s, 6, single(Value::Integer(1))),
        Err(Error::TypeMismatch {
            expected: lwm2m::Kind::Boolean,
            found: lwm2m::Kind::Integer
        })
    );
    assert_eq!(s, before);
}

#[test]
fn device_demo_is_ets_c1() {
    let d = Device::demo();
    let string = |s: &str| Ok(single(Value::String(s.into())));
    assert_eq!(read(&d, 0), string("lwm2m-rs"));
    assert_eq!(read(&d, 1), string(Device::DEMO_MODEL_NUMBER));
    assert_eq!(read(&d, 2), string(Device::DEMO_SERIAL_NUMBER));
    assert_eq!(read(&d, 3), string(env!("CARGO_PKG_VERSION")));
    assert_eq!(
        read(&d, 11),
        Ok(ResourceValue::Multiple(lwm2m::Instances::from_iter([(
            0,
            Value::Integer(0)
        )])))
    );
    assert_eq!(read(&d, 16), string("U"));
    assert!(
        matches!(read(&d, 13), Ok(ResourceValue::Single(Value::Time(t))) if t.0 > 1_600_000_000)
    );
    assert_eq!(read(&d, 9), Err(Error::NotFound { resource: 9 }));
    assert_eq!(read(&d, 4), Err(Error::MethodNotAllowed { resource: 4 }));
}

#[test]
fn device_read_only_resources_refuse_writes() {
    let mut d = Device::demo();
    let before = d.clone();
    for (id, value) in [
        (0, single(Value::String("x".into()))),
        (3, single(Value::String("9.9".into()))),
        (16, single(Value::String("UQ".into()))),
        (11, ResourceValue::Multiple(lwm2m::Instances::new())),
        (4, single(Value::Boolean(true))),
    ] {
        assert_eq!(
            Object::write(&mut d, id, value),
            Err(Error::MethodNotAllowed { resource: id }),
            "/3/0/{id}"
        );
    }
    assert_eq!(d, before);
    Object::write(&mut d, 15, single(Value::String("Europe/Paris".into()))).unwrap();
    assert_eq!(d.timezone.as_deref(), Some("Europe/Paris"));
}

#[test]
fn device_handler_keeps_time_running_from_a_written_value() {
    let mut d = Device::demo();
    let mut h = DeviceHandler::default();
    Object::write(&mut d, 13, single(Value::Time(Time(1_000)))).unwrap();
    h.written(&mut d, &[13]);
    h.read(&mut d, 13).unwrap();
    let t = d.current_time.unwrap().0;
    assert!((1_000..1_100).contains(&t), "time after the write: {t}");
}

#[test]
fn device_handler_executes_reboot_and_reset_error_code() {
    let mut d = Device::demo();
    d.error_code = lwm2m::Instances::from_iter([(0, 1), (1, 5)]);
    let mut h = DeviceHandler::default();
    h.execute(&mut d, 12, &ExecuteArgs::new()).unwrap();
    assert_eq!(d.error_code, lwm2m::Instances::from_iter([(0, 0)]));
    assert!(!h.reboot_requested);
    h.execute(&mut d, 4, &ExecuteArgs::new()).unwrap();
    assert!(h.reboot_requested);
    assert_eq!(
        h.execute(&mut d, 5, &ExecuteArgs::new()),
        Err(Error::MethodNotAllowed { resource: 5 })
    );
}

#[test]
fn access_control_new_and_acl() {
    let ac = AccessControl::new(3, 0, 1).with_acl(0, AccessControl::READ);
    assert_eq!(read(&ac, 0), Ok(single(Value::Integer(3))));
    assert_eq!(read(&ac, 1), Ok(single(Value::Integer(0))));
    assert_eq!(read(&ac, 3), Ok(single(Value::Integer(1))));
    assert_eq!(
        read(&ac, 2),
        Ok(ResourceValue::Multiple(lwm2m::Instances::from_iter([
            (0, Value::Integer(1)),
            (1, Value::Integer(31)),
        ])))
    );
    assert_eq!(ac.rights(1), AccessControl::ALL);
    assert_eq!(ac.rights(2), AccessControl::READ, "the default instance 0");
    let bootstrap_only = AccessControl::new(1, 0, AccessControl::BOOTSTRAP_OWNER);
    assert_eq!(bootstrap_only.rights(1), 0);

    let mut ac = ac;
    let before = ac.clone();
    assert_eq!(
        Object::write(&mut ac, 0, single(Value::Integer(4))),
        Err(Error::MethodNotAllowed { resource: 0 })
    );
    assert_eq!(
        Object::write(
            &mut ac,
            2,
            ResourceValue::Multiple(lwm2m::Instances::from_iter([(1, Value::Integer(300))]))
        ),
        Err(Error::OutOfRange { target: "u8" })
    );
    assert_eq!(ac, before);
    Object::write(
        &mut ac,
        2,
        ResourceValue::Multiple(lwm2m::Instances::from_iter([(2, Value::Integer(3))])),
    )
    .unwrap();
    assert_eq!(ac.rights(2), AccessControl::READ | AccessControl::WRITE);
}
