//! Tests of the codec dispatch, ordering and kind lookups.
use super::kinds::lookup;
use super::*;
use crate::value::ValueRef;

#[test]
fn content_format_numbers_round_trip() {
    for format in ContentFormat::ALL {
        assert_eq!(ContentFormat::from_u16(format.to_u16()), Some(format));
    }
    assert_eq!(ContentFormat::from_u16(50), None);
    assert_eq!(ContentFormat::Tlv.to_u16(), 11542);
    assert_eq!(ContentFormat::OmaText.to_u16(), 1541);
}

#[test]
fn unknown_number_is_415() {
    let err = decode_u16(9999, &Path::resource(3, 0, 0), b"x", &NoKinds).unwrap_err();
    assert_eq!(err, DecodeError::UnsupportedFormat(9999));
    assert_eq!(err.coap_code(), (4, 15));
}

#[test]
fn link_format_is_not_a_value_format() {
    let err = encode(ContentFormat::LinkFormat, &Path::ROOT, &[]).unwrap_err();
    assert_eq!(err.coap_code(), (4, 6));
    let err = decode(ContentFormat::LinkFormat, &Path::ROOT, b"</1>", &NoKinds).unwrap_err();
    assert_eq!(err.coap_code(), (4, 15));
}

#[test]
fn lookup_checks_multiplicity() {
    let kinds = |p: &Path| (p.resource_id() == Some(7)).then_some((Kind::Integer, true));
    assert_eq!(
        lookup(&kinds, &Path::resource_instance(3, 0, 7, 0)).unwrap(),
        Some(Kind::Integer)
    );
    assert!(lookup(&kinds, &Path::resource(3, 0, 7)).is_err());
    assert_eq!(lookup(&kinds, &Path::resource(3, 0, 1)).unwrap(), None);
}

#[test]
fn order_key_is_tree_order_and_contains_matches_path() {
    let paths = [
        Path::ROOT,
        Path::object(3),
        Path::instance(3, 0),
        Path::resource(3, 0, 0),
        Path::resource_instance(3, 0, 0, 0),
        Path::resource_instance(3, 0, 0, 65535),
        Path::resource(3, 0, 1),
        Path::instance(3, 1),
        Path::object(4),
        Path::resource_instance(65535, 65535, 65535, 65535),
    ];
    for a in &paths {
        for b in &paths {
            assert_eq!(order_key(a).cmp(&order_key(b)), a.cmp(b), "{a} vs {b}");
            assert_eq!(
                key_contains(order_key(a), order_key(b)),
                a.contains(b),
                "{a} contains {b}"
            );
            assert_eq!(PathKey::of(a).cmp(&PathKey::of(b)), a.cmp(b), "{a} vs {b}");
            assert_eq!(
                PathKey::of(a).contains(PathKey::of(b)),
                a.contains(b),
                "{a} contains {b}"
            );
        }
    }
}

#[test]
fn decimal_writers() {
    let mut out = Vec::new();
    push_i64(&mut out, i64::MIN);
    out.push(b' ');
    push_u64(&mut out, u64::MAX);
    out.push(b' ');
    push_u64(&mut out, 0);
    out.push(b' ');
    push_ids(&mut out, &Path::resource_instance(3, 0, 7, 10), 2, false);
    out.push(b' ');
    push_ids(&mut out, &Path::resource(3, 0, 7), 0, true);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "-9223372036854775808 18446744073709551615 0 7/10 /3/0/7"
    );
}

#[test]
fn cached_lookup_answers_like_lookup() {
    let kinds = |p: &Path| match p.resource_id() {
        Some(7) => Some((Kind::Integer, true)),
        Some(1) => Some((Kind::String, false)),
        _ => None,
    };
    let mut cached = Kinds::new(&kinds);
    for path in [
        Path::resource_instance(3, 0, 7, 0),
        Path::resource_instance(3, 0, 7, 1),
        Path::resource(3, 0, 7),
        Path::resource(3, 0, 1),
        Path::resource_instance(3, 0, 1, 0),
        Path::resource(3, 0, 2),
        Path::instance(3, 0),
    ] {
        assert_eq!(cached.lookup(&path), lookup(&kinds, &path), "{path}");
    }
}

#[test]
fn encoder_rejects_records_outside_base_or_twice() {
    let r = |p| RecordRef::new(p, ValueRef::Integer(1));
    let base = Path::instance(3, 0);
    assert!(sorted(&base, &[r(Path::resource(4, 0, 1))]).is_err());
    assert!(
        sorted(
            &base,
            &[r(Path::resource(3, 0, 1)), r(Path::resource(3, 0, 1))]
        )
        .is_err()
    );
    assert!(
        sorted(
            &base,
            &[
                r(Path::resource_instance(3, 0, 1, 0)),
                r(Path::resource(3, 0, 1))
            ]
        )
        .is_err()
    );
    let records = [r(Path::resource(3, 0, 2)), r(Path::resource(3, 0, 1))];
    let ok = sorted(&base, &records).unwrap();
    assert_eq!(ok[0].path, Path::resource(3, 0, 1));
}

/// The encoders' record check as it was before the one-pass form: sort by path and time, then
/// check with the `u128` keys. [`sorted`] must agree with it on every input.
fn sorted_reference<'r>(
    base: &Path,
    records: &'r [Record],
) -> Result<Vec<&'r Record>, EncodeError> {
    let mut out: Vec<&Record> = records.iter().collect();
    out.sort_by_key(|r| {
        (
            order_key(&r.path),
            (r.time.is_some(), r.time.unwrap_or(0.0).to_bits()),
        )
    });
    let base_key = order_key(base);
    let mut previous: Option<(u128, Option<f64>)> = None;
    for record in &out {
        let key = order_key(&record.path);
        if !key_contains(base_key, key) {
            return Err(EncodeError::InvalidRecords(
                "a record outside the request path",
            ));
        }
        if record.path.len() < 3 {
            return Err(EncodeError::InvalidRecords(
                "a record that is not a resource or resource instance",
            ));
        }
        if let Some((p, time)) = previous {
            let same_path_other_time = p == key && record.time.is_some() && time != record.time;
            if key_contains(p, key) && !same_path_other_time {
                return Err(EncodeError::InvalidRecords("a path that appears twice"));
            }
        }
        previous = Some((key, record.time));
    }
    Ok(out)
}

fn small_path() -> impl proptest::strategy::Strategy<Value = Path> {
    use proptest::prelude::*;
    proptest::collection::vec(0u16..3, 0..=4)
        .prop_map(|ids| Path::from_ids(&ids).unwrap_or(Path::ROOT))
}

proptest::proptest! {
    /// The one-pass check of records to encode gives what sorting then checking gave: the same
    /// order, the same first problem (times are non-negative whole seconds here, so that the
    /// reference's bit order is the time order).
    #[test]
    fn sorted_agrees_with_sort_then_check(
        base in small_path(),
        records in proptest::collection::vec(
            (small_path(), proptest::option::of(0u8..3)), 0..40),
    ) {
        let records: Vec<Record> = records
            .into_iter()
            .map(|(path, time)| {
                let record = Record::new(path, Value::Integer(1));
                match time {
                    Some(t) => record.at(f64::from(t) + 1.0),
                    None => record,
                }
            })
            .collect();
        let lent = lent(&records);
        let ours = sorted(&base, &lent).map(|v| v.iter().map(|r| (r.path, r.time)).collect::<Vec<_>>());
        let reference = sorted_reference(&base, &records)
            .map(|v| v.iter().map(|r| (r.path, r.time)).collect::<Vec<_>>());
        proptest::prop_assert_eq!(ours, reference);
    }

    /// The no-std sort of records: the same order as the standard sort.
    #[test]
    fn heapsort_sorts(mut items in proptest::collection::vec(0u16..50, 0..64)) {
        let mut expected = items.clone();
        expected.sort_unstable();
        heapsort(&mut items, |a, b| a < b);
        proptest::prop_assert_eq!(items, expected);
    }
}
