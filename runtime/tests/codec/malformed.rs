//! Bad input for every decoder: always an error, never a panic, no allocation sized by an
//! unchecked length.

#![allow(clippy::unwrap_used)]

use lwm2m::codec::{ContentFormat, DecodeError, KindLookup, NoKinds, Record, decode, encode};
use lwm2m::{Kind, Path, Value};
use proptest::prelude::*;

const DECODERS: [ContentFormat; 7] = [
    ContentFormat::Text,
    ContentFormat::Opaque,
    ContentFormat::Tlv,
    ContentFormat::SenmlJson,
    ContentFormat::SenmlCbor,
    ContentFormat::Lwm2mCbor,
    ContentFormat::Json,
];

/// Every resource is a single Integer, except 7 (multiple Integer) and 0 (String).
fn kinds(path: &Path) -> Option<(Kind, bool)> {
    match path.resource_id()? {
        0 => Some((Kind::String, false)),
        7 => Some((Kind::Integer, true)),
        1..=100 => Some((Kind::Integer, false)),
        _ => None,
    }
}

fn tlv(bytes: &[u8]) -> Result<Vec<Record>, DecodeError> {
    decode(ContentFormat::Tlv, &Path::instance(3, 0), bytes, &kinds)
}

fn malformed(result: Result<Vec<Record>, DecodeError>) -> bool {
    matches!(result, Err(DecodeError::Malformed { .. }))
}

#[test]
fn tlv_lengths_past_the_end() {
    assert!(malformed(tlv(&[0xC8, 0x00, 0xFF, b'a'])));
    // 24-bit length of 16 MiB with three bytes of payload: rejected before any allocation.
    assert!(malformed(tlv(&[0xD8, 0x00, 0xFF, 0xFF, 0xFF, 1, 2, 3])));
    // Truncated header: 16-bit id announced, one byte given.
    assert!(malformed(tlv(&[0xE1, 0x00])));
    // Length field announced, missing.
    assert!(malformed(tlv(&[0xD0, 0x01])));
    // A multiple resource whose inner instance overruns it.
    assert!(malformed(tlv(&[0x82, 0x07, 0x42, 0x00, 0x05, 0x06])));
}

#[test]
fn tlv_every_prefix_of_a_valid_payload_fails_cleanly() {
    let base = Path::instance(3, 0);
    let records = [
        Record::new(
            Path::resource(3, 0, 0),
            Value::String("Open Mobile Alliance".into()),
        ),
        Record::new(Path::resource_instance(3, 0, 7, 0), Value::Integer(3800)),
        Record::new(Path::resource(3, 0, 9), Value::Integer(100)),
    ];
    let bytes = encode(ContentFormat::Tlv, &base, &records).unwrap();
    assert_eq!(tlv(&bytes).unwrap(), records);
    for cut in 1..bytes.len() {
        // A cut between entries is a valid shorter payload; any other cut is malformed.
        let result = tlv(&bytes[..cut]);
        assert!(
            result.is_ok() || malformed(result.clone()),
            "cut {cut}: {result:?}"
        );
    }
    assert!(tlv(&bytes[..bytes.len() - 1]).is_err());
}

#[test]
fn tlv_misplaced_nesting_and_wrong_types() {
    // Multiple resource inside a multiple resource.
    assert!(malformed(tlv(&[0x85, 0x07, 0x83, 0x00, 0x41, 0x00, 0x01])));
    // Object instance inside an object instance (base /3).
    let nested = [0x05, 0x00, 0x03, 0x01, 0xC1, 0x09, 0x01];
    assert!(malformed(decode(
        ContentFormat::Tlv,
        &Path::object(3),
        &nested,
        &kinds
    )));
    // Resource instance at the instance level.
    assert!(malformed(tlv(&[0x41, 0x09, 0x01])));
    // Integer in 3 bytes, a boolean 2, invalid UTF-8 for a String.
    assert!(matches!(
        tlv(&[0xC3, 0x09, 1, 2, 3]),
        Err(DecodeError::TypeMismatch { .. })
    ));
    assert!(matches!(
        tlv(&[0xC3, 0x00, 0xFF, 0xFE, 0xFD]),
        Err(DecodeError::TypeMismatch { .. })
    ));
    // A single resource TLV for the multiple resource 7, and instances for the single resource 9.
    assert!(matches!(
        tlv(&[0xC1, 0x07, 0x01]),
        Err(DecodeError::TypeMismatch { .. })
    ));
    assert!(matches!(
        tlv(&[0x83, 0x09, 0x41, 0x00, 0x01]),
        Err(DecodeError::TypeMismatch { .. })
    ));
    // Unknown resource 200: 4.04.
    let err = tlv(&[0xC1, 0xC8, 0x01]).unwrap_err();
    assert_eq!(err.coap_code(), (4, 4));
    // A resource of another instance id than the request path: outside the base.
    let err = decode(
        ContentFormat::Tlv,
        &Path::resource(3, 0, 9),
        &[0xC1, 0x0A, 0x01],
        &kinds,
    );
    assert!(matches!(err, Err(DecodeError::OutsideBase { .. })));
}

#[test]
fn duplicates_are_rejected_in_every_format() {
    let dup = Path::resource(3, 0, 9);
    assert_eq!(
        tlv(&[0xC1, 0x09, 0x01, 0xC1, 0x09, 0x02]).unwrap_err(),
        DecodeError::Duplicate(dup)
    );
    let base = Path::instance(3, 0);
    let json = br#"[{"bn":"/3/0/","n":"9","v":1},{"n":"9","v":2}]"#;
    assert_eq!(
        decode(ContentFormat::SenmlJson, &base, json, &kinds).unwrap_err(),
        DecodeError::Duplicate(dup)
    );
    let oma = br#"{"bn":"/3/0/","e":[{"n":"9","v":1},{"n":"9","v":2}]}"#;
    assert_eq!(
        decode(ContentFormat::Json, &base, oma, &kinds).unwrap_err(),
        DecodeError::Duplicate(dup)
    );
    // LwM2M CBOR: {[3,0,9]: 1, [3,0,9]: 2}
    let cbor = [0xA2, 0x83, 3, 0, 9, 1, 0x83, 3, 0, 9, 2];
    assert_eq!(
        decode(ContentFormat::Lwm2mCbor, &base, &cbor, &kinds).unwrap_err(),
        DecodeError::Duplicate(dup)
    );
}

#[test]
fn senml_json_bad_records() {
    let base = Path::ROOT;
    for bad in [
        &br#"{"n":"/3/0/9","v":1}"#[..],
        br#"[{"n":"/3/0/9","v":1,"vs":"x"}]"#,
        br#"[{"n":"/3/0/9"}]"#,
        br#"[{"n":"/3/0","v":1}]"#,
        br#"[{"n":"3/0/9","v":1}]"#,
        br#"[{"n":"/3/0/x","v":1}]"#,
        br#"[{"n":"/3/0/9/1/2","v":1}]"#,
        br#"[{"n":"/3/0/9","v":"1"}]"#,
        br#"[{"n":"/3/0/9","v":1,"foo_":1}]"#,
        br#"[{"n":"/3/0/9","v":1,"bv":2}]"#,
        br#"[{"n":"/3/0/0","vd":"!!"}]"#,
        br#"[{"n":"/3/0/9","v":1}"#,
        br#"[1]"#,
    ] {
        let result = decode(ContentFormat::SenmlJson, &base, bad, &kinds);
        assert!(
            malformed(result.clone()),
            "{}: {result:?}",
            String::from_utf8_lossy(bad)
        );
    }
    // Wrong value types for the resource: 4.00 type mismatches.
    for bad in [
        &br#"[{"n":"/3/0/9","v":1.5}]"#[..],
        br#"[{"n":"/3/0/9","vs":"1"}]"#,
        br#"[{"n":"/3/0/0","v":1}]"#,
        br#"[{"n":"/3/0/9","v":9223372036854775808}]"#,
    ] {
        let result = decode(ContentFormat::SenmlJson, &base, bad, &kinds);
        assert!(
            matches!(result, Err(DecodeError::TypeMismatch { .. })),
            "{result:?}"
        );
    }
    // Outside the request path.
    let result = decode(
        ContentFormat::SenmlJson,
        &Path::instance(3, 1),
        br#"[{"n":"/3/0/9","v":1}]"#,
        &kinds,
    );
    assert!(matches!(result, Err(DecodeError::OutsideBase { .. })));
}

#[test]
fn json_nesting_depth_is_bounded() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for format in [ContentFormat::SenmlJson, ContentFormat::Json] {
        assert!(malformed(decode(
            format,
            &Path::ROOT,
            deep.as_bytes(),
            &NoKinds
        )));
    }
}

#[test]
fn senml_cbor_rejects_indefinite_lengths_tags_and_huge_counts() {
    let base = Path::ROOT;
    let cases: [&[u8]; 7] = [
        // Indefinite-length array.
        &[
            0x9F, 0xA1, 0x00, 0x66, b'/', b'3', b'/', b'0', b'/', b'9', 0xFF,
        ],
        // Indefinite-length map.
        &[0x81, 0xBF, 0xFF],
        // A tag around the pack.
        &[0xC1, 0x80],
        // A tagged value.
        &[
            0x81, 0xA2, 0x00, 0x66, b'/', b'3', b'/', b'0', b'/', b'9', 0x02, 0xC1, 0x01,
        ],
        // An array claiming 2^64-1 records in 9 bytes.
        &[0x9B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
        // A byte string claiming 4 GiB.
        &[0x81, 0xA1, 0x08, 0x5A, 0xFF, 0xFF, 0xFF, 0xFF],
        // Trailing bytes after the pack.
        &[0x80, 0x00],
    ];
    for bad in cases {
        let result = decode(ContentFormat::SenmlCbor, &base, bad, &kinds);
        assert!(malformed(result.clone()), "{bad:02x?}: {result:?}");
    }
}

#[test]
fn lwm2m_cbor_rejects_deep_nesting_and_bad_keys() {
    let base = Path::ROOT;
    let cases: [&[u8]; 7] = [
        // {3: {0: {9: {1: {2: 5}}}}}: a path of five ids.
        &[0xA1, 3, 0xA1, 0, 0xA1, 9, 0xA1, 1, 0xA1, 2, 5],
        // A value above any resource: {3: {0: 5}}.
        &[0xA1, 3, 0xA1, 0, 5],
        // Text key.
        &[0xA1, 0x61, b'3', 5],
        // Empty fragment key.
        &[0xA1, 0x80, 5],
        // Indefinite map.
        &[0xBF, 0xFF],
        // Unexpected tag on a value: {[3,0,9]: 2(h'01')}.
        &[0xA1, 0x83, 3, 0, 9, 0xC2, 0x41, 0x01],
        // Null value.
        &[0xA1, 0x83, 3, 0, 9, 0xF6],
    ];
    for bad in cases {
        let result = decode(ContentFormat::Lwm2mCbor, &base, bad, &kinds);
        assert!(malformed(result.clone()), "{bad:02x?}: {result:?}");
    }
    // 100 000 nested maps: rejected at the fifth level, no deep recursion.
    let mut deep = Vec::new();
    for _ in 0..100_000 {
        deep.extend_from_slice(&[0xA1, 0x01]);
    }
    assert!(malformed(decode(
        ContentFormat::Lwm2mCbor,
        &base,
        &deep,
        &kinds
    )));
}

#[test]
fn text_and_opaque_need_a_resource_path() {
    for format in [ContentFormat::Text, ContentFormat::Opaque] {
        assert!(malformed(decode(
            format,
            &Path::instance(3, 0),
            b"1",
            &kinds
        )));
    }
}

fn check_no_panic(format: ContentFormat, base: &Path, bytes: &[u8], kinds: &dyn KindLookup) {
    if let Ok(records) = decode(format, base, bytes, kinds) {
        for r in &records {
            assert!(base.contains(&r.path));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64), which in 0usize..7) {
        let format = DECODERS[which];
        for base in [Path::ROOT, Path::object(3), Path::instance(3, 0), Path::resource(3, 0, 7), Path::resource_instance(3, 0, 7, 1)] {
            check_no_panic(format, &base, &bytes, &kinds);
            check_no_panic(format, &base, &bytes, &NoKinds);
        }
    }

    #[test]
    fn mutated_payloads_never_panic(flip in 0usize..200, byte in any::<u8>(), which in 0usize..5) {
        let format = [ContentFormat::Tlv, ContentFormat::SenmlJson, ContentFormat::SenmlCbor, ContentFormat::Lwm2mCbor, ContentFormat::Json][which];
        let base = Path::instance(3, 0);
        let records = [
            Record::new(Path::resource(3, 0, 0), Value::String("Open Mobile Alliance".into())),
            Record::new(Path::resource_instance(3, 0, 7, 0), Value::Integer(3800)),
            Record::new(Path::resource_instance(3, 0, 7, 1), Value::Integer(-5)),
            Record::new(Path::resource(3, 0, 9), Value::Integer(100)),
        ];
        let mut bytes = encode(format, &base, &records).unwrap();
        let at = flip % bytes.len();
        bytes[at] = byte;
        check_no_panic(format, &base, &bytes, &kinds);
        bytes.truncate(at);
        check_no_panic(format, &base, &bytes, &kinds);
    }
}
