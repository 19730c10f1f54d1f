//! Property tests: every format round-trips every value type (extremes, empty and unicode text,
//! empty opaque, resource instances), with the per-format NaN/infinity rules.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use lwm2m::codec::{ContentFormat, EncodeError, Record, decode, encode};
use lwm2m::{CoreLnk, Kind, ObjLnk, Path, Time, Value};
use proptest::prelude::*;

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        Just(f64::MIN_POSITIVE),
        Just(f64::MAX),
        (any::<f32>()).prop_map(f64::from),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop_oneof![Just(String::new()), any::<String>(), "[a-z ]{0,20}"].prop_map(Value::String),
        prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(0i64), any::<i64>()]
            .prop_map(Value::Integer),
        prop_oneof![Just(u64::MAX), Just(0u64), any::<u64>()].prop_map(Value::UnsignedInteger),
        float().prop_map(Value::Float),
        any::<bool>().prop_map(Value::Boolean),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::Opaque),
        prop_oneof![Just(i64::MIN), Just(i64::MAX), any::<i64>()]
            .prop_map(|t| Value::Time(Time(t))),
        (any::<u16>(), any::<u16>()).prop_map(|(o, i)| Value::ObjLnk(ObjLnk::new(o, i))),
        "</[0-9]{1,3}/0>(;ver=1\\.[0-2])?".prop_map(|s| Value::CoreLnk(CoreLnk(s))),
    ]
}

/// A resource: one value, or several instances (same type) of a multiple-instance resource.
fn resource() -> impl Strategy<Value = (Kind, Vec<(Option<u16>, Value)>)> {
    value().prop_flat_map(|v| {
        let kind = v.kind();
        let same_kind = value().prop_filter("same kind", move |x| x.kind() == kind);
        prop_oneof![
            Just((kind, vec![(None, v.clone())])),
            proptest::collection::btree_map(any::<u16>(), same_kind, 0..4).prop_map(move |m| {
                let mut items: Vec<_> = m.into_iter().map(|(k, x)| (Some(k), x)).collect();
                items.push((Some(u16::MAX), v.clone()));
                items.sort_by_key(|(k, _)| *k);
                items.dedup_by_key(|(k, _)| *k);
                (kind, items)
            }),
        ]
    })
}

/// Records of one instance `/object/instance` and the kinds that type them.
fn instance(object: u16) -> impl Strategy<Value = (Vec<Record>, BTreeMap<Path, (Kind, bool)>)> {
    (
        any::<u16>(),
        proptest::collection::btree_map(any::<u16>(), resource(), 0..8),
    )
        .prop_map(move |(inst, resources)| {
            let mut records = Vec::new();
            let mut kinds = BTreeMap::new();
            for (rid, (kind, values)) in resources {
                let res = Path::resource(object, inst, rid);
                let multiple = values.first().is_some_and(|(ri, _)| ri.is_some());
                kinds.insert(res, (kind, multiple));
                for (ri, value) in values {
                    let path = match ri {
                        Some(ri) => Path::resource_instance(object, inst, rid, ri),
                        None => res,
                    };
                    records.push(Record::new(path, value));
                }
            }
            (records, kinds)
        })
}

fn same(a: &[Record], b: &[Record]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.path == y.path
                && match (&x.value, &y.value) {
                    (Value::Float(p), Value::Float(q)) => p == q || (p.is_nan() && q.is_nan()),
                    (p, q) => p == q,
                }
        })
}

fn non_finite(records: &[Record]) -> bool {
    records
        .iter()
        .any(|r| matches!(r.value, Value::Float(x) if !x.is_finite()))
}

fn check(format: ContentFormat, records: &[Record], kinds: &BTreeMap<Path, (Kind, bool)>) {
    let Some(first) = records.first() else { return };
    let base = first
        .path
        .parent()
        .and_then(|p| if p.is_resource() { p.parent() } else { Some(p) });
    let base = base.unwrap();
    let json = matches!(
        format,
        ContentFormat::SenmlJson | ContentFormat::Json | ContentFormat::Text
    );
    match encode(format, &base, records) {
        Ok(bytes) => {
            let back = decode(format, &base, &bytes, kinds).unwrap();
            assert!(same(records, &back), "{format:?}\n{records:?}\n{back:?}");
        }
        Err(err @ EncodeError::NotRepresentable { .. }) => {
            assert!(json && non_finite(records), "{format:?}: {err}");
        }
        Err(err) => panic!("{format:?}: {err}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn tlv_round_trips((records, kinds) in instance(3)) {
        check(ContentFormat::Tlv, &records, &kinds);
    }

    #[test]
    fn senml_json_round_trips((records, kinds) in instance(3442)) {
        check(ContentFormat::SenmlJson, &records, &kinds);
    }

    #[test]
    fn senml_cbor_round_trips((records, kinds) in instance(65535)) {
        check(ContentFormat::SenmlCbor, &records, &kinds);
    }

    #[test]
    fn lwm2m_cbor_round_trips((records, kinds) in instance(3)) {
        check(ContentFormat::Lwm2mCbor, &records, &kinds);
    }

    #[test]
    fn oma_json_round_trips((records, kinds) in instance(1)) {
        check(ContentFormat::Json, &records, &kinds);
    }

    #[test]
    fn composite_senml_round_trips(a in instance(3), b in instance(3303)) {
        let mut records = a.0;
        records.extend(b.0);
        let mut kinds = a.1;
        kinds.extend(b.1);
        for format in [ContentFormat::SenmlJson, ContentFormat::SenmlCbor, ContentFormat::Lwm2mCbor] {
            match encode(format, &Path::ROOT, &records) {
                Ok(bytes) => {
                    let back = decode(format, &Path::ROOT, &bytes, &kinds).unwrap();
                    let mut sorted = records.clone();
                    sorted.sort_by_key(|r| r.path);
                    prop_assert!(same(&sorted, &back));
                }
                Err(_) => prop_assert!(format == ContentFormat::SenmlJson && non_finite(&records)),
            }
        }
    }

    #[test]
    fn single_values_round_trip_as_text_and_opaque(v in value(), multiple in any::<bool>()) {
        let path = if multiple { Path::resource_instance(5, 0, 1, 7) } else { Path::resource(5, 0, 1) };
        let kind = v.kind();
        let kinds = move |_: &Path| Some((kind, multiple));
        let records = [Record::new(path, v.clone())];
        for format in [ContentFormat::Text, ContentFormat::OmaText] {
            match encode(format, &path, &records) {
                Ok(bytes) => {
                    let back = decode(format, &path, &bytes, &kinds).unwrap();
                    prop_assert!(same(&records, &back), "{:?} {:?}", records, back);
                }
                Err(_) => prop_assert!(non_finite(&records)),
            }
        }
        let opaque = encode(ContentFormat::Opaque, &path, &records);
        prop_assert_eq!(opaque.is_ok(), kind == Kind::Opaque);
        if let Ok(bytes) = opaque {
            prop_assert_eq!(decode(ContentFormat::Opaque, &path, &bytes, &kinds).unwrap(), records.to_vec());
        }
    }
}
