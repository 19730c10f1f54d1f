//! SenML times (RFC 8428 §4.5.3 and §4.6) in SenML JSON (110) and SenML CBOR (112): base time
//! `bt` carried over, `t` relative to it, time series of one path, exact-byte vectors both ways,
//! round trips of every value type with times, and malformed times.
//!
//! The CBOR vectors were written by hand and checked with Python's `cbor2` (`cbor2.loads` of the
//! hex gives the diagnostic shown next to each); the decoded times are bt + t computed from the
//! RFC rule, not taken from the code under test.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use crate::support::canonical;
use lwm2m::codec::{ContentFormat, DecodeError, EncodeError, NoKinds, Record, decode, encode};
use lwm2m::{CoreLnk, Kind, ObjLnk, Path, Time, Value};
use proptest::prelude::*;

const JSON: ContentFormat = ContentFormat::SenmlJson;
const CBOR: ContentFormat = ContentFormat::SenmlCbor;

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// Temperature (3303) Sensor Value 5700 is a Float; Device (3) 9, 10 are Integers, 13 a Time,
/// 7 and 8 multiple Integers, 14 a String.
fn kinds(path: &Path) -> Option<(Kind, bool)> {
    match (path.object_id()?, path.resource_id()?) {
        (3303, 5700) => Some((Kind::Float, false)),
        (3, 7 | 8) => Some((Kind::Integer, true)),
        (3, 9 | 10) => Some((Kind::Integer, false)),
        (3, 13) => Some((Kind::Time, false)),
        (3, 14) => Some((Kind::String, false)),
        _ => None,
    }
}

fn sensor(value: f64, time: f64) -> Record {
    Record::new(Path::resource(3303, 0, 5700), Value::Float(value)).at(time)
}

/// RFC 8428 §5.1.5 ("Multiple Data Points", bt = 1.320067464e+09, then t = 60, 120) on the
/// LwM2M Temperature Sensor Value: three values of one resource, a time series.
#[test]
fn rfc8428_multiple_data_points_on_a_resource() {
    let expected = vec![
        sensor(20.0, 1_320_067_464.0),
        sensor(20.5, 1_320_067_524.0),
        sensor(20.75, 1_320_067_584.0),
    ];
    let json = br#"[{"bn":"/3303/0/5700","bt":1.320067464e+09,"v":20},
        {"t":60,"v":20.5},{"t":120,"v":20.75}]"#;
    // [{-2: "/3303/0/5700", -3: 1320067464, 2: 20.0}, {6: 60, 2: 20.5}, {6: 120, 2: 20.75}]
    let cbor = hex(
        "83a3216c2f333330332f302f35373030221a4eaea18802fb4034000000000000\
         a206183c02fb4034800000000000a206187802fb4034c00000000000",
    );
    for base in [
        Path::ROOT,
        Path::instance(3303, 0),
        Path::resource(3303, 0, 5700),
    ] {
        assert_eq!(decode(JSON, &base, json, &kinds).unwrap(), expected);
        assert_eq!(decode(CBOR, &base, &cbor, &kinds).unwrap(), expected);
        // Without types the integer literal 20 is an Integer; the times are the same.
        let untyped = decode(JSON, &base, json, &NoKinds).unwrap();
        let times: Vec<_> = untyped.iter().map(|r| r.time).collect();
        assert_eq!(
            times,
            [
                Some(1_320_067_464.0),
                Some(1_320_067_524.0),
                Some(1_320_067_584.0)
            ]
        );
    }
}

/// The encoder's scheme on the same series: each record carries its time as `bt`, no `t`.
#[test]
fn time_series_encodes_each_time_as_a_base_time() {
    let records = vec![
        sensor(20.75, 1_320_067_584.0),
        sensor(20.0, 1_320_067_464.0),
        sensor(20.5, 1_320_067_524.0),
    ];
    let base = Path::instance(3303, 0);
    let json = encode(JSON, &base, &records).unwrap();
    assert_eq!(
        String::from_utf8(json.clone()).unwrap(),
        r#"[{"bn":"/3303/0/","bt":1320067464,"n":"5700","v":20.0},{"bt":1320067524,"n":"5700","v":20.5},{"bt":1320067584,"n":"5700","v":20.75}]"#
    );
    // [{-2: "/3303/0/", -3: 1320067464, 0: "5700", 2: 20.0(f32)},
    //  {-3: 1320067524, 0: "5700", 2: 20.5(f32)}, {-3: 1320067584, 0: "5700", 2: 20.75(f32)}]
    let cbor = encode(CBOR, &base, &records).unwrap();
    assert_eq!(
        cbor,
        hex(
            "83a421682f333330332f302f221a4eaea18800643537303002fa41a00000\
             a3221a4eaea1c400643537303002fa41a40000\
             a3221a4eaea20000643537303002fa41a60000"
        )
    );
    let mut sorted = records.clone();
    sorted.sort_by(|a, b| a.time.unwrap().total_cmp(&b.time.unwrap()));
    assert_eq!(decode(JSON, &base, &json, &kinds).unwrap(), sorted);
    assert_eq!(decode(CBOR, &base, &cbor, &kinds).unwrap(), sorted);
}

/// RFC 8428 §5.1.4 ("Multiple Measurements": bt = 1.276020076001e+09, then t = -5, -4 and
/// none) with Device resources: negative `t` is before the base time, no `t` is the base time.
#[test]
fn rfc8428_negative_relative_times() {
    let json = br#"[{"bn":"/3/0/","bt":1.276020076001e+09,"n":"7/0","v":120},
        {"n":"8/0","t":-5,"v":12},{"n":"8/0","t":-4,"v":13},{"n":"8/0","v":17}]"#;
    let bt = 1.276020076001e9_f64;
    let at = |path, v, time| Record::new(path, Value::Integer(v)).at(time);
    let current = Path::resource_instance(3, 0, 8, 0);
    let expected = vec![
        at(Path::resource_instance(3, 0, 7, 0), 120, bt),
        at(current, 12, bt + -5.0),
        at(current, 13, bt + -4.0),
        at(current, 17, bt),
    ];
    assert_eq!(
        decode(JSON, &Path::instance(3, 0), json, &kinds).unwrap(),
        expected
    );
    // The same pack in CBOR: [{-2: "/3/0/", -3: 1276020076.001, 0: "7/0", 2: 120},
    // {0: "8/0", 6: -5, 2: 12}, {0: "8/0", 6: -4, 2: 13}, {0: "8/0", 2: 17}]
    let cbor = hex("84a421652f332f302f22fb41d303a15b0010620063372f30021878\
         a30063382f300624020ca30063382f300623020da20063382f300211");
    assert_eq!(
        decode(CBOR, &Path::instance(3, 0), &cbor, &kinds).unwrap(),
        expected
    );
}

/// `bt` holds until a record sets another; `"bt":0` goes back to "now"; `t` alone is relative
/// to now (negative: in the past).
#[test]
fn base_time_carries_over_and_resets() {
    let json = br#"[{"bn":"/3/0/","bt":100,"n":"9","v":1},{"n":"10","v":2},
        {"bt":0,"n":"13","v":3},{"n":"14","t":-60,"vs":"x"}]"#;
    let records = decode(JSON, &Path::instance(3, 0), json, &kinds).unwrap();
    let times: Vec<_> = records
        .iter()
        .map(|r| (r.path.to_string(), r.time))
        .collect();
    assert_eq!(
        times,
        [
            ("/3/0/9".to_owned(), Some(100.0)),
            ("/3/0/10".to_owned(), Some(100.0)),
            ("/3/0/13".to_owned(), None),
            ("/3/0/14".to_owned(), Some(-60.0)),
        ]
    );
    // A resolved time of 0 is "now": bt 5 and t -5.
    let json = br#"[{"n":"/3/0/9","bt":5,"t":-5,"v":1}]"#;
    assert_eq!(
        decode(JSON, &Path::ROOT, json, &kinds).unwrap()[0].time,
        None
    );
}

/// A fractional time is written as the shortest float that reads back the same (8 bytes in
/// CBOR when 4 lose something); a record without time after a timed one writes `"bt":0`.
#[test]
fn fractional_time_and_return_to_now() {
    let records = vec![
        Record::new(Path::resource(3, 0, 9), Value::Integer(100)).at(1_276_020_076.001),
        Record::new(Path::resource(3, 0, 10), Value::Integer(15)),
    ];
    let base = Path::instance(3, 0);
    let json = encode(JSON, &base, &records).unwrap();
    assert_eq!(
        String::from_utf8(json.clone()).unwrap(),
        r#"[{"bn":"/3/0/","bt":1276020076.001,"n":"9","v":100},{"bt":0,"n":"10","v":15}]"#
    );
    // [{-2: "/3/0/", -3: 1276020076.001, 0: "9", 2: 100}, {-3: 0, 0: "10", 2: 15}]
    let cbor = encode(CBOR, &base, &records).unwrap();
    assert_eq!(
        cbor,
        hex("82a421652f332f302f22fb41d303a15b001062006139021864a3220000623130020f")
    );
    assert_eq!(decode(JSON, &base, &json, &kinds).unwrap(), records);
    assert_eq!(decode(CBOR, &base, &cbor, &kinds).unwrap(), records);
}

/// Whole times up to 2^53 are integers; from 2^53 on a float (an integer there may not be exact).
#[test]
fn whole_times_are_integers_below_two_to_the_53() {
    let below = 9_007_199_254_740_991.0; // 2^53 - 1
    let at = 9_007_199_254_740_992.0; // 2^53
    let records = vec![
        Record::new(Path::resource(3, 0, 9), Value::Integer(1)).at(below),
        Record::new(Path::resource(3, 0, 10), Value::Integer(2)).at(at),
    ];
    let json = encode(JSON, &Path::ROOT, &records).unwrap();
    assert_eq!(
        String::from_utf8(json.clone()).unwrap(),
        r#"[{"bt":9007199254740991,"n":"/3/0/9","v":1},{"bt":9007199254740992.0,"n":"/3/0/10","v":2}]"#
    );
    assert_eq!(decode(JSON, &Path::ROOT, &json, &kinds).unwrap(), records);
    let cbor = encode(CBOR, &Path::ROOT, &records).unwrap();
    assert_eq!(decode(CBOR, &Path::ROOT, &cbor, &kinds).unwrap(), records);
}

#[test]
fn same_path_at_the_same_time_is_a_duplicate() {
    let duplicate = |json: &[u8]| {
        let err = decode(JSON, &Path::ROOT, json, &kinds).unwrap_err();
        assert_eq!(
            err,
            DecodeError::Duplicate(Path::resource(3, 0, 9)),
            "{err}"
        );
        assert_eq!(err.coap_code(), (4, 0));
    };
    // bt carried over: both at 5.
    duplicate(br#"[{"bn":"/3/0/","bt":5,"n":"9","v":1},{"n":"9","v":2}]"#);
    // No time and t 0: both "now".
    duplicate(br#"[{"n":"/3/0/9","v":1},{"n":"/3/0/9","t":0,"v":2}]"#);
    // bt 5 + t 0 and bt 0 + t 5.
    duplicate(br#"[{"n":"/3/0/9","bt":5,"v":1},{"n":"/3/0/9","bt":0,"t":5,"v":2}]"#);
    // [{0: "/3/0/9", -3: 5, 2: 1}, {0: "/3/0/9", 2: 2}]
    let cbor = hex("82a300662f332f302f3922050201a200662f332f302f390202");
    assert_eq!(
        decode(CBOR, &Path::ROOT, &cbor, &kinds).unwrap_err(),
        DecodeError::Duplicate(Path::resource(3, 0, 9))
    );
    // Different times: a time series, in time order; `t` counts from the latest `bt` (6).
    let json =
        br#"[{"n":"/3/0/9","bt":5,"v":2},{"n":"/3/0/9","bt":6,"v":1},{"n":"/3/0/9","t":1,"v":3}]"#;
    let values: Vec<_> = decode(JSON, &Path::ROOT, json, &kinds)
        .unwrap()
        .into_iter()
        .map(|r| (r.value, r.time))
        .collect();
    assert_eq!(
        values,
        [
            (Value::Integer(2), Some(5.0)),
            (Value::Integer(1), Some(6.0)),
            (Value::Integer(3), Some(7.0)),
        ]
    );
}

#[test]
fn malformed_times_are_rejected() {
    let malformed = |format, bytes: &[u8]| {
        let result = decode(format, &Path::ROOT, bytes, &kinds);
        assert!(
            matches!(result, Err(DecodeError::Malformed { .. })),
            "{format:?} {:?}: {result:?}",
            String::from_utf8_lossy(bytes)
        );
        assert_eq!(result.unwrap_err().coap_code(), (4, 0));
    };
    for json in [
        r#"[{"n":"/3/0/9","t":"5","v":1}]"#,
        r#"[{"n":"/3/0/9","bt":true,"v":1}]"#,
        r#"[{"n":"/3/0/9","bt":null,"v":1}]"#,
        r#"[{"n":"/3/0/9","bt":[1],"v":1}]"#,
        r#"[{"n":"/3/0/9","t":{},"v":1}]"#,
        r#"[{"n":"/3/0/9","t":1e999,"v":1}]"#,
        r#"[{"n":"/3/0/9","bt":1.7e308,"t":1.7e308,"v":1}]"#,
        r#"[{"n":"/3/0/9","bt":-1.7e308,"v":1},{"n":"/3/0/10","t":-1.7e308,"v":1}]"#,
    ] {
        malformed(JSON, json.as_bytes());
    }
    for cbor in [
        "81a300662f332f302f3922f97e000201",             // bt NaN (f16)
        "81a300662f332f302f3906f97c000201",             // t +infinity (f16)
        "81a300662f332f302f3906fa7fc000000201",         // t NaN (f32)
        "81a300662f332f302f3922fbfff00000000000000201", // bt -infinity (f64)
        "81a300662f332f302f390661350201",               // t "5"
        "81a300662f332f302f3922f50201",                 // bt true
        "81a300662f332f302f3922f60201",                 // bt null
        "81a300662f332f302f392281010201",               // bt [1]
        "81a400662f332f302f3922fb7fefffffffffffff06fb7fefffffffffffff0201", // bt + t overflows
    ] {
        malformed(CBOR, &hex(cbor));
    }
}

#[test]
fn times_the_formats_cannot_carry_are_refused() {
    for time in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let record = Record {
            time: Some(time),
            ..Record::new(Path::resource(3, 0, 9), Value::Integer(1))
        };
        for format in [JSON, CBOR] {
            let err = encode(format, &Path::ROOT, std::slice::from_ref(&record)).unwrap_err();
            assert!(
                matches!(err, EncodeError::NotRepresentable { .. }),
                "{format:?} {time}: {err}"
            );
            assert_eq!(err.coap_code(), (4, 6));
        }
    }
    let timed = [Record::new(Path::resource(3, 0, 9), Value::Integer(1)).at(5.0)];
    let err = encode(ContentFormat::Tlv, &Path::ROOT, &timed).unwrap_err();
    assert_eq!(err.coap_code(), (4, 6));
}

#[test]
fn a_path_list_ignores_times() {
    let json = br#"[{"bn":"/3/0/","bt":5,"n":"9"},{"n":"10","t":-1}]"#;
    let paths = lwm2m::codec::senml::decode_paths(JSON, json).unwrap();
    assert_eq!(paths, [Path::resource(3, 0, 9), Path::resource(3, 0, 10)]);
}

// ---------------------------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------------------------

/// The kind of resource `id` of object 3442: one of every type, the last two multiple.
fn kind_of(id: u16) -> (Kind, bool) {
    const KINDS: [Kind; 9] = [
        Kind::String,
        Kind::Integer,
        Kind::UnsignedInteger,
        Kind::Float,
        Kind::Boolean,
        Kind::Opaque,
        Kind::Time,
        Kind::ObjLnk,
        Kind::CoreLnk,
    ];
    match id {
        9 => (Kind::Integer, true),
        10 => (Kind::String, true),
        _ => (KINDS[usize::from(id) % KINDS.len()], false),
    }
}

fn kinds_3442(path: &Path) -> Option<(Kind, bool)> {
    (path.object_id()? == 3442).then(|| kind_of(path.resource_id().unwrap_or(0)))
}

fn value_of(kind: Kind) -> BoxedStrategy<Value> {
    match kind {
        Kind::String => prop_oneof![Just(String::new()), any::<String>()]
            .prop_map(Value::String)
            .boxed(),
        Kind::Integer => any::<i64>().prop_map(Value::Integer).boxed(),
        Kind::UnsignedInteger => any::<u64>().prop_map(Value::UnsignedInteger).boxed(),
        // Finite: SenML JSON has no NaN or infinity.
        Kind::Float => prop_oneof![
            any::<f64>().prop_filter("finite", |x| x.is_finite()),
            Just(-0.0)
        ]
        .prop_map(Value::Float)
        .boxed(),
        Kind::Boolean => any::<bool>().prop_map(Value::Boolean).boxed(),
        Kind::Opaque => proptest::collection::vec(any::<u8>(), 0..20)
            .prop_map(Value::Opaque)
            .boxed(),
        Kind::Time => any::<i64>().prop_map(|t| Value::Time(Time(t))).boxed(),
        Kind::ObjLnk => (any::<u16>(), any::<u16>())
            .prop_map(|(o, i)| Value::ObjLnk(ObjLnk::new(o, i)))
            .boxed(),
        _ => "</[0-9]{1,3}/0>"
            .prop_map(|s| Value::CoreLnk(CoreLnk(s)))
            .boxed(),
    }
}

/// Times: none, relative (negative or positive, whole or not), absolute seconds with
/// milliseconds, huge, and any finite float.
fn time() -> impl Strategy<Value = Option<f64>> {
    prop_oneof![
        Just(None),
        (-100_000i64..100_000).prop_map(|t| Some(t as f64)),
        (-1e6..1e6f64).prop_map(Some),
        (1_000_000_000_000i64..2_000_000_000_000).prop_map(|ms| Some(ms as f64 / 1000.0)),
        prop_oneof![
            Just(2f64.powi(53)),
            Just(2f64.powi(53) - 1.0),
            Just(1e300),
            Just(-1e300)
        ]
        .prop_map(Some),
        any::<f64>()
            .prop_filter("finite", |x| x.is_finite())
            .prop_map(Some),
    ]
}

/// One sample: a resource (or instance of 9 or 10) of /3442/0, a value of its type, a time.
fn sample() -> impl Strategy<Value = Record> {
    (0u16..11, 0u16..3).prop_flat_map(|(id, instance)| {
        let (kind, multiple) = kind_of(id);
        let path = if multiple {
            Path::resource_instance(3442, 0, id, instance)
        } else {
            Path::resource(3442, 0, id)
        };
        (value_of(kind), time()).prop_map(move |(value, time)| {
            let record = Record::new(path, value);
            match time {
                Some(t) => record.at(t),
                None => record,
            }
        })
    })
}

/// Samples with at most one value per path and time; several times per path make series.
fn samples() -> impl Strategy<Value = Vec<Record>> {
    proptest::collection::vec(sample(), 1..24).prop_map(|records| {
        let mut seen = BTreeMap::new();
        for r in records {
            seen.entry((r.path, r.time.map(f64::to_bits))).or_insert(r);
        }
        seen.into_values().collect()
    })
}

/// Records equal bit for bit (floats included: -0.0 must come back as -0.0).
fn same(a: &[Record], b: &[Record]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.path == y.path
                && x.time.map(f64::to_bits) == y.time.map(f64::to_bits)
                && match (&x.value, &y.value) {
                    (Value::Float(p), Value::Float(q)) => p.to_bits() == q.to_bits(),
                    (p, q) => p == q,
                }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn timed_records_round_trip_exactly(records in samples(), root in any::<bool>()) {
        let base = if root { Path::ROOT } else { Path::instance(3442, 0) };
        let expected = canonical(records.clone());
        for format in [JSON, CBOR] {
            let bytes = encode(format, &base, &records).unwrap();
            let decoded = decode(format, &base, &bytes, &kinds_3442).unwrap();
            prop_assert!(
                same(&decoded, &expected),
                "{:?}\n{}\n{:?}\n{:?}", format, String::from_utf8_lossy(&bytes), decoded, expected
            );
        }
    }
}
