//! Times in OMA JSON (the LwM2M 1.0 JSON format, 11543 and 1543): the top-level base time `bt`,
//! entry times `t` relative to it (LwM2M 1.0 TS §6.4.4, Table "JSON format and description":
//! "Time: the time of the representation relative to the Base Current Time in seconds (a negative
//! integer)"; "Base Time: the base current time which the Time values are relative to"), time
//! series of one path, exact-byte vectors both ways, round trips, and malformed times.
//!
//! Expected times are `bt + t` worked out by hand from that rule, not taken from the code under
//! test; the encoder's byte vectors follow the scheme in the `oma_json` module documentation.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use crate::support::canonical;
use lwm2m::codec::{ContentFormat, DecodeError, EncodeError, NoKinds, Record, decode, encode};
use lwm2m::{CoreLnk, Kind, ObjLnk, Path, Time, Value};
use proptest::prelude::*;

const JSON: ContentFormat = ContentFormat::Json;

/// Object 1024 (a test object, as in the TS example) has a Float resource 2 in every instance;
/// Device (3) 7 is a multiple Integer, 9 an Integer, 13 a Time.
fn kinds(path: &Path) -> Option<(Kind, bool)> {
    match (path.object_id()?, path.resource_id()?) {
        (1024, 2) => Some((Kind::Float, false)),
        (3, 7) => Some((Kind::Integer, true)),
        (3, 9) => Some((Kind::Integer, false)),
        (3, 13) => Some((Kind::Time, false)),
        _ => None,
    }
}

fn temperature(value: f64, time: f64) -> Record {
    Record::new(Path::resource(1024, 1, 2), Value::Float(value)).at(time)
}

/// The three stored temperatures of the TS example, oldest first (the canonical order): bt =
/// 25462634 with t = -50, -30 and -5.
fn ts_series() -> Vec<Record> {
    vec![
        temperature(24.1, 25_462_584.0),
        temperature(22.9, 25_462_604.0),
        temperature(22.4, 25_462_629.0),
    ]
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}

/// The TS example of a notification with historical values, verbatim but for the quotes around
/// the numbers (an erratum of the draft: `v` is a JSON float, `t` and `bt` numbers). There is no
/// `bn`: the names are relative to the request URI, here the object 1024.
#[test]
fn ts_example_of_stored_notifications_decodes() {
    let json = br#"{"e":[
        {"n":"1/2","v":22.4,"t":-5},
        {"n":"1/2","v":22.9,"t":-30},
        {"n":"1/2","v":24.1,"t":-50}],
        "bt":25462634
    }"#;
    assert_eq!(
        decode(JSON, &Path::object(1024), json, &kinds).unwrap(),
        ts_series()
    );
    // The same payload under the LwM2M 1.0 number, and without types: the times do not change.
    assert_eq!(
        decode(ContentFormat::OmaJson, &Path::object(1024), json, &kinds).unwrap(),
        ts_series()
    );
    let untyped = decode(JSON, &Path::object(1024), json, &NoKinds).unwrap();
    let times: Vec<_> = untyped.iter().map(|r| r.time).collect();
    assert_eq!(
        times,
        [Some(25_462_584.0), Some(25_462_604.0), Some(25_462_629.0)]
    );
}

/// The same values with a base name on the resource itself and entries without names, as
/// servers also write it.
#[test]
fn base_name_on_the_resource_and_nameless_entries() {
    let json = br#"{"bn":"/1024/1/2","e":[{"v":22.9,"t":-30},{"v":22.4,"t":-5},{"v":24.1,"t":-50}],"bt":25462634}"#;
    for base in [
        Path::ROOT,
        Path::object(1024),
        Path::instance(1024, 1),
        Path::resource(1024, 1, 2),
    ] {
        assert_eq!(
            decode(JSON, &base, json, &kinds).unwrap(),
            ts_series(),
            "{base}"
        );
    }
}

/// The encoder writes the latest time as `bt` and the others as negative offsets, as in the TS
/// example; the latest entry needs no `t`.
#[test]
fn time_series_encodes_with_a_base_time_and_negative_offsets() {
    let mut records = ts_series();
    records.reverse();
    let base = Path::instance(1024, 1);
    let json = encode(JSON, &base, &records).unwrap();
    assert_eq!(
        text(json.clone()),
        r#"{"bn":"/1024/1/","bt":25462629,"e":[{"n":"2","v":24.1,"t":-45},{"n":"2","v":22.9,"t":-25},{"n":"2","v":22.4}]}"#
    );
    assert_eq!(decode(JSON, &base, &json, &kinds).unwrap(), ts_series());
}

/// One timed value: its time is the base time, no `t`.
#[test]
fn single_timed_value() {
    let record = Record::new(Path::resource(3, 0, 9), Value::Integer(100)).at(1_700_000_000.25);
    let base = Path::resource(3, 0, 9);
    let json = encode(JSON, &base, std::slice::from_ref(&record)).unwrap();
    assert_eq!(
        text(json.clone()),
        r#"{"bn":"/3/0/9","bt":1700000000.25,"e":[{"v":100}]}"#
    );
    assert_eq!(decode(JSON, &base, &json, &kinds).unwrap(), [record]);
}

/// Timed and untimed ("now") records together: no `bt` (it would give the untimed ones a time),
/// each timed entry carries its whole time.
#[test]
fn timed_and_untimed_records_together() {
    let records = vec![
        Record::new(Path::resource(3, 0, 9), Value::Integer(100)),
        Record::new(Path::resource_instance(3, 0, 7, 0), Value::Integer(3800)).at(1_700_000_000.0),
    ];
    let base = Path::instance(3, 0);
    let json = encode(JSON, &base, &records).unwrap();
    assert_eq!(
        text(json.clone()),
        r#"{"bn":"/3/0/","e":[{"n":"7/0","v":3800,"t":1700000000},{"n":"9","v":100}]}"#
    );
    let decoded = decode(JSON, &base, &json, &kinds).unwrap();
    assert_eq!(decoded, [records[1].clone(), records[0].clone()]);
}

/// When `bt + (time - bt)` would not give a time back exactly, the encoder writes whole times.
/// Near 2^52 the doubles are 1 apart, so 2^52 + 1 - 0.5 rounds: a base time would lose 0.5.
#[test]
fn inexact_offsets_fall_back_to_whole_times() {
    let bt = 4_503_599_627_370_497.0; // 2^52 + 1, exact as a double
    let records = vec![
        Record::new(Path::resource_instance(3, 0, 7, 0), Value::Integer(1)).at(0.5),
        Record::new(Path::resource_instance(3, 0, 7, 1), Value::Integer(2)).at(bt),
    ];
    let base = Path::instance(3, 0);
    let json = encode(JSON, &base, &records).unwrap();
    assert_eq!(
        text(json.clone()),
        r#"{"bn":"/3/0/","e":[{"n":"7/0","v":1,"t":0.5},{"n":"7/1","v":2,"t":4503599627370497}]}"#
    );
    assert_eq!(decode(JSON, &base, &json, &kinds).unwrap(), records);
}

#[test]
fn a_resolved_time_of_zero_is_now() {
    let json = br#"{"bn":"/3/0/","bt":5,"e":[{"n":"9","v":1,"t":-5}]}"#;
    let records = decode(JSON, &Path::instance(3, 0), json, &kinds).unwrap();
    assert_eq!(records[0].time, None);
}

/// `bt` alone times every entry; entries at one path need different times.
#[test]
fn base_time_applies_to_entries_without_t() {
    let base = Path::instance(3, 0);
    let json = br#"{"bn":"/3/0/","bt":100,"e":[{"n":"9","v":1},{"n":"13","v":5,"t":-1}]}"#;
    let records = decode(JSON, &base, json, &kinds).unwrap();
    assert_eq!(
        records,
        [
            Record::new(Path::resource(3, 0, 9), Value::Integer(1)).at(100.0),
            Record::new(Path::resource(3, 0, 13), Value::Time(Time(5))).at(99.0),
        ]
    );
    let twice = br#"{"bn":"/3/0/","bt":100,"e":[{"n":"9","v":1},{"n":"9","v":2}]}"#;
    assert_eq!(
        decode(JSON, &base, twice, &kinds).unwrap_err(),
        DecodeError::Duplicate(Path::resource(3, 0, 9))
    );
    let series = br#"{"bn":"/3/0/","bt":100,"e":[{"n":"9","v":1},{"n":"9","v":2,"t":-10}]}"#;
    let records = decode(JSON, &base, series, &kinds).unwrap();
    assert_eq!(
        records,
        [
            Record::new(Path::resource(3, 0, 9), Value::Integer(2)).at(90.0),
            Record::new(Path::resource(3, 0, 9), Value::Integer(1)).at(100.0),
        ]
    );
}

#[test]
fn malformed_times_are_rejected() {
    let base = Path::instance(3, 0);
    let cases: [&[u8]; 8] = [
        br#"{"bn":"/3/0/","bt":"10","e":[{"n":"9","v":1}]}"#,
        br#"{"bn":"/3/0/","bt":null,"e":[{"n":"9","v":1}]}"#,
        br#"{"bn":"/3/0/","bt":[1],"e":[{"n":"9","v":1}]}"#,
        br#"{"bn":"/3/0/","e":[{"n":"9","v":1,"t":true}]}"#,
        br#"{"bn":"/3/0/","e":[{"n":"9","v":1,"t":"-5"}]}"#,
        br#"{"bn":"/3/0/","e":[{"n":"9","v":1,"t":{}}]}"#,
        // Out of the range of a double.
        br#"{"bn":"/3/0/","bt":1e400,"e":[{"n":"9","v":1}]}"#,
        // Each finite, the sum is not.
        br#"{"bn":"/3/0/","bt":1.5e308,"e":[{"n":"9","v":1,"t":1.5e308}]}"#,
    ];
    for bad in cases {
        let result = decode(JSON, &base, bad, &kinds);
        assert!(
            matches!(result, Err(DecodeError::Malformed { .. })),
            "{}: {result:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn times_that_are_not_numbers_cannot_be_encoded() {
    let base = Path::instance(3, 0);
    for time in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let record = Record::new(Path::resource(3, 0, 9), Value::Integer(1)).at(time);
        let err = encode(JSON, &base, &[record]).unwrap_err();
        assert!(
            matches!(err, EncodeError::NotRepresentable { .. }),
            "{time}: {err:?}"
        );
        assert_eq!(err.coap_code(), (4, 6));
    }
}

/// The type of the resource `id` of object 3442 in the round trips.
fn kind_of(id: u16) -> Kind {
    [
        Kind::Integer,
        Kind::UnsignedInteger,
        Kind::Float,
        Kind::Boolean,
        Kind::String,
        Kind::Opaque,
        Kind::Time,
        Kind::ObjLnk,
        Kind::CoreLnk,
    ][usize::from(id) % 9]
}

fn value_of(kind: Kind) -> BoxedStrategy<Value> {
    match kind {
        Kind::Integer => any::<i64>().prop_map(Value::Integer).boxed(),
        Kind::UnsignedInteger => any::<u64>().prop_map(Value::UnsignedInteger).boxed(),
        Kind::Float => any::<f64>()
            .prop_filter("finite", |x| x.is_finite())
            .prop_map(Value::Float)
            .boxed(),
        Kind::Boolean => any::<bool>().prop_map(Value::Boolean).boxed(),
        Kind::String => ".{0,12}".prop_map(Value::String).boxed(),
        Kind::Opaque => proptest::collection::vec(any::<u8>(), 0..12)
            .prop_map(Value::Opaque)
            .boxed(),
        Kind::Time => any::<i64>().prop_map(|t| Value::Time(Time(t))).boxed(),
        Kind::ObjLnk => (any::<u16>(), any::<u16>())
            .prop_map(|(o, i)| Value::ObjLnk(ObjLnk::new(o, i)))
            .boxed(),
        Kind::CoreLnk => "[a-z0-9</>;=]{0,12}"
            .prop_map(|s| Value::CoreLnk(CoreLnk(s)))
            .boxed(),
        Kind::None => Just(Value::Boolean(false)).boxed(),
    }
}

/// Times as they come: none ("now"), whole seconds since the epoch, small relative times,
/// fractions, and any finite double.
fn time() -> impl Strategy<Value = Option<f64>> {
    prop_oneof![
        Just(None),
        (1_000_000_000i64..2_000_000_000).prop_map(|t| Some(t as f64)),
        (-100_000i64..0).prop_map(|t| Some(t as f64)),
        (-1.0e6f64..1.0e10).prop_map(Some),
        any::<f64>()
            .prop_filter("finite", |x| x.is_finite())
            .prop_map(Some),
    ]
}

/// Records of object 3442 instance 0: a few resources, each possibly at several times.
fn records() -> impl Strategy<Value = Vec<Record>> {
    proptest::collection::vec(
        (0u16..12).prop_flat_map(|id| (Just(id), value_of(kind_of(id)), time())),
        1..12,
    )
    .prop_map(|raw| {
        // One record per path and time: a time series, never the same sample twice.
        let mut unique = BTreeMap::new();
        for (id, value, time) in raw {
            let record = Record::new(Path::resource(3442, 0, id), value);
            let record = match time {
                Some(t) => record.at(t),
                None => record,
            };
            unique.insert((id, record.time.map(f64::to_bits)), record);
        }
        unique.into_values().collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Any records with any times (and time series) come back exactly, in canonical order.
    #[test]
    fn records_with_times_round_trip(records in records()) {
        let lookup = |path: &Path| match (path.object_id(), path.resource_id()) {
            (Some(3442), Some(id)) => Some((kind_of(id), false)),
            _ => None,
        };
        for base in [Path::ROOT, Path::object(3442), Path::instance(3442, 0)] {
            let json = encode(JSON, &base, &records).unwrap();
            let decoded = decode(JSON, &base, &json, &lookup);
            prop_assert_eq!(decoded, Ok(canonical(records.clone())), "{}", text(json));
        }
    }

    /// A series of one resource, all timed: the base-time form, times back exactly.
    #[test]
    fn time_series_round_trip(times in proptest::collection::btree_set(-1_000_000i64..2_000_000_000, 1..10)) {
        let records: Vec<Record> = times
            .iter()
            .filter(|t| **t != 0)
            .map(|t| temperature(*t as f64 / 4.0, *t as f64))
            .collect();
        prop_assume!(!records.is_empty());
        let base = Path::resource(1024, 1, 2);
        let json = encode(JSON, &base, &records).unwrap();
        prop_assert!(json.windows(5).any(|w| w == b"\"bt\":"), "{}", text(json.clone()));
        prop_assert_eq!(decode(JSON, &base, &json, &kinds), Ok(records));
    }
}
