//! The id constants of `#[derive(Object)]`: `ID`, one per resource field named in
//! SCREAMING_SNAKE_CASE, their visibility, and the paths built from them.

use lwm2m::{Executable, Instances, Object, Path};

mod sensors {
    use super::*;

    /// A public object with a private resource field and a skipped field.
    #[derive(Debug, Default, Object)]
    #[lwm2m(id = 32770, name = "Pump", multiple)]
    #[allow(non_snake_case)] // `flowRate`: the constant is `FLOW_RATE`.
    pub struct Pump {
        /// The speed.
        #[lwm2m(id = 0, name = "Speed", op = "RW", mandatory)]
        pub speed: u32,
        #[lwm2m(id = 1, name = "Alarms", op = "R", multiple)]
        pub alarms: Option<Instances<String>>,
        #[lwm2m(id = 2, name = "Start", op = "E")]
        pub(crate) start: Executable,
        #[lwm2m(id = 3, op = "R")]
        pub r#type: Option<i64>,
        #[lwm2m(id = 4, op = "R")]
        pub flowRate: Option<f64>,
        #[lwm2m(id = 5, op = "R")]
        secret: Option<i64>,
        #[lwm2m(skip)]
        pub starts: u64,
    }

    impl Pump {
        /// The private constant is usable where the private field is.
        pub fn secret_id() -> u16 {
            Pump::SECRET
        }
    }
}

use sensors::Pump;

#[test]
fn constants_carry_the_ids() {
    assert_eq!(Pump::ID, 32770);
    assert_eq!(Pump::ID, Pump::META.id);
    assert_eq!(Pump::SPEED, 0);
    assert_eq!(Pump::ALARMS, 1);
    assert_eq!(Pump::START, 2);
    assert_eq!(Pump::TYPE, 3);
    assert_eq!(Pump::FLOW_RATE, 4);
    assert_eq!(Pump::secret_id(), 5);
    let ids: Vec<u16> = Pump::META.resources.iter().map(|r| r.id).collect();
    assert_eq!(ids, [0, 1, 2, 3, 4, 5], "the skipped field has no resource");
}

#[test]
fn constants_work_where_ids_are_taken() {
    let mut pump = Pump::default();
    pump.speed = 1200;
    assert_eq!(pump.starts, 0);
    assert_eq!(
        Object::read(&pump, Pump::SPEED),
        Ok(lwm2m::ResourceValue::Single(lwm2m::Value::UnsignedInteger(
            1200
        )))
    );
    // Constants are usable in patterns.
    let name = match 1 {
        Pump::SPEED => "speed",
        Pump::ALARMS => "alarms",
        _ => "other",
    };
    assert_eq!(name, "alarms");
}

#[test]
fn paths_from_the_constants() {
    assert_eq!(Pump::instance_path(2), Path::instance(32770, 2));
    assert_eq!(
        Pump::resource_path(2, Pump::SPEED),
        Path::resource(Pump::ID, 2, Pump::SPEED)
    );
    assert_eq!(
        Pump::resource_path(0, Pump::FLOW_RATE).to_string(),
        "/32770/0/4"
    );
    const PATH: Path = Path::resource(Pump::ID, 0, Pump::START);
    assert_eq!(PATH.to_string(), "/32770/0/2");
}
