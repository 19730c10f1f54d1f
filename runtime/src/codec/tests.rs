//! Tests of the codec dispatch, ordering and kind lookups.
use super::kinds::lookup;
use super::*;

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
    let r = |p| Record::new(p, Value::Integer(1));
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

proptest::proptest! {
    /// The no-std sort of records: the same order as the standard sort.
    #[test]
    fn heapsort_sorts(mut items in proptest::collection::vec(0u16..50, 0..64)) {
        let mut expected = items.clone();
        expected.sort_unstable();
        heapsort(&mut items, |a, b| a < b);
        proptest::prop_assert_eq!(items, expected);
    }
}
