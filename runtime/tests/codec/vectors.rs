//! Exact-byte test vectors from the LwM2M specification examples (Device object `/3/0`), both ways.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use lwm2m::codec::{ContentFormat, Record, decode, encode};
use lwm2m::{Kind, Path, Time, Value};

fn device_kinds() -> BTreeMap<Path, (Kind, bool)> {
    let mut kinds = BTreeMap::new();
    for (id, kind, multiple) in [
        (0, Kind::String, false),
        (1, Kind::String, false),
        (2, Kind::String, false),
        (3, Kind::String, false),
        (6, Kind::Integer, true),
        (7, Kind::Integer, true),
        (8, Kind::Integer, true),
        (9, Kind::Integer, false),
        (10, Kind::Integer, false),
        (11, Kind::Integer, true),
        (13, Kind::Time, false),
        (14, Kind::String, false),
        (16, Kind::String, false),
    ] {
        kinds.insert(Path::resource(3, 0, id), (kind, multiple));
    }
    kinds
}

/// The values of the TS example "Read on the Device Object Instance /3/0".
fn device_records() -> Vec<Record> {
    let s = |id, text: &str| Record::new(Path::resource(3, 0, id), Value::String(text.into()));
    let i = |id, n| Record::new(Path::resource(3, 0, id), Value::Integer(n));
    let ri = |id, ri, n| Record::new(Path::resource_instance(3, 0, id, ri), Value::Integer(n));
    vec![
        s(0, "Open Mobile Alliance"),
        s(1, "Lightweight M2M Client"),
        s(2, "345000123"),
        s(3, "1.0"),
        ri(6, 0, 1),
        ri(6, 1, 5),
        ri(7, 0, 3800),
        ri(7, 1, 5000),
        ri(8, 0, 125),
        ri(8, 1, 900),
        i(9, 100),
        i(10, 15),
        ri(11, 0, 0),
        Record::new(Path::resource(3, 0, 13), Value::Time(Time(1367491215))),
        s(14, "+02:00"),
        s(16, "U"),
    ]
}

fn hex(text: &str) -> Vec<u8> {
    text.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

const DEVICE_TLV: &str = "
    C8 00 14 4F 70 65 6E 20 4D 6F 62 69 6C 65 20 41 6C 6C 69 61 6E 63 65
    C8 01 16 4C 69 67 68 74 77 65 69 67 68 74 20 4D 32 4D 20 43 6C 69 65 6E 74
    C8 02 09 33 34 35 30 30 30 31 32 33
    C3 03 31 2E 30
    86 06 41 00 01 41 01 05
    88 07 08 42 00 0E D8 42 01 13 88
    87 08 41 00 7D 42 01 03 84
    C1 09 64
    C1 0A 0F
    83 0B 41 00 00
    C4 0D 51 82 42 8F
    C6 0E 2B 30 32 3A 30 30
    C1 10 55";

#[test]
fn tlv_device_example_both_ways() {
    let base = Path::instance(3, 0);
    let bytes = hex(DEVICE_TLV);
    assert_eq!(
        encode(ContentFormat::Tlv, &base, &device_records()).unwrap(),
        bytes
    );
    let decoded = decode(ContentFormat::Tlv, &base, &bytes, &device_kinds()).unwrap();
    assert_eq!(decoded, device_records());
    // The LwM2M 1.0 number decodes the same payload.
    assert_eq!(
        decode(ContentFormat::OmaTlv, &base, &bytes, &device_kinds()).unwrap(),
        decoded
    );
}

#[test]
fn tlv_object_level_wraps_instances() {
    let bytes = encode(ContentFormat::Tlv, &Path::object(3), &device_records()).unwrap();
    let inner = hex(DEVICE_TLV);
    // 0x08: object instance, 8-bit id, 8-bit length... the content is 121 bytes, so 0x08 0x00 0x79.
    assert_eq!(&bytes[..3], &[0x08, 0x00, inner.len() as u8]);
    assert_eq!(&bytes[3..], &inner[..]);
    let decoded = decode(
        ContentFormat::Tlv,
        &Path::object(3),
        &bytes,
        &device_kinds(),
    )
    .unwrap();
    assert_eq!(decoded, device_records());
    // A wrapped instance is also accepted for a write on /3/0.
    let decoded = decode(
        ContentFormat::Tlv,
        &Path::instance(3, 0),
        &bytes,
        &device_kinds(),
    )
    .unwrap();
    assert_eq!(decoded, device_records());
}

#[test]
fn tlv_single_and_multiple_resource() {
    let kinds = device_kinds();
    let base = Path::resource(3, 0, 7);
    let records = &device_records()[6..8];
    let bytes = encode(ContentFormat::Tlv, &base, records).unwrap();
    assert_eq!(bytes, hex("88 07 08 42 00 0E D8 42 01 13 88"));
    assert_eq!(
        decode(ContentFormat::Tlv, &base, &bytes, &kinds).unwrap(),
        records
    );
    // Bare resource instances for /3/0/7 are tolerated.
    let bare = hex("42 00 0E D8 42 01 13 88");
    assert_eq!(
        decode(ContentFormat::Tlv, &base, &bare, &kinds).unwrap(),
        records
    );
    let base = Path::resource(3, 0, 9);
    let bytes = encode(ContentFormat::Tlv, &base, &device_records()[10..11]).unwrap();
    assert_eq!(bytes, hex("C1 09 64"));
    let base = Path::resource_instance(3, 0, 7, 1);
    let bytes = encode(ContentFormat::Tlv, &base, &device_records()[7..8]).unwrap();
    assert_eq!(bytes, hex("42 01 13 88"));
    assert_eq!(
        decode(ContentFormat::Tlv, &base, &bytes, &kinds).unwrap(),
        &device_records()[7..8]
    );
}

const DEVICE_SENML_JSON: &str = r#"[{"bn":"/3/0/","n":"0","vs":"Open Mobile Alliance"},{"n":"1","vs":"Lightweight M2M Client"},{"n":"2","vs":"345000123"},{"n":"3","vs":"1.0"},{"n":"6/0","v":1},{"n":"6/1","v":5},{"n":"7/0","v":3800},{"n":"7/1","v":5000},{"n":"8/0","v":125},{"n":"8/1","v":900},{"n":"9","v":100},{"n":"10","v":15},{"n":"11/0","v":0},{"n":"13","v":1367491215},{"n":"14","vs":"+02:00"},{"n":"16","vs":"U"}]"#;

#[test]
fn senml_json_device_example_both_ways() {
    let base = Path::instance(3, 0);
    let bytes = encode(ContentFormat::SenmlJson, &base, &device_records()).unwrap();
    assert_eq!(String::from_utf8(bytes).unwrap(), DEVICE_SENML_JSON);
    let decoded = decode(
        ContentFormat::SenmlJson,
        &base,
        DEVICE_SENML_JSON.as_bytes(),
        &device_kinds(),
    )
    .unwrap();
    assert_eq!(decoded, device_records());
}

#[test]
fn senml_json_composite_spanning_objects() {
    // A Read-Composite answer: full names, no base name.
    let records = vec![
        Record::new(
            Path::resource(3, 0, 0),
            Value::String("Open Mobile Alliance".into()),
        ),
        Record::new(Path::resource(3303, 0, 5700), Value::Float(21.5)),
        Record::new(Path::resource(1, 0, 1), Value::Integer(86400)),
    ];
    let bytes = encode(ContentFormat::SenmlJson, &Path::ROOT, &records).unwrap();
    assert_eq!(
        String::from_utf8(bytes.clone()).unwrap(),
        r#"[{"n":"/1/0/1","v":86400},{"n":"/3/0/0","vs":"Open Mobile Alliance"},{"n":"/3303/0/5700","v":21.5}]"#
    );
    let decoded = decode(
        ContentFormat::SenmlJson,
        &Path::ROOT,
        &bytes,
        &lwm2m::codec::NoKinds,
    )
    .unwrap();
    let mut sorted = records.clone();
    sorted.sort_by_key(|r| r.path);
    assert_eq!(decoded, sorted);
    // The same paths as a Read-Composite request body.
    let request = br#"[{"n":"/3/0/0"},{"bn":"/3303/0/","n":"5700"},{"n":"/1"}]"#;
    let paths = lwm2m::codec::senml::decode_paths(ContentFormat::SenmlJson, request);
    assert!(paths.is_err(), "bn persists: /3303/0//1 is not a path");
    let request = br#"[{"n":"/3/0/0"},{"bn":"/3303/0/","n":"5700"}]"#;
    let paths = lwm2m::codec::senml::decode_paths(ContentFormat::SenmlJson, request).unwrap();
    assert_eq!(
        paths,
        [Path::resource(3, 0, 0), Path::resource(3303, 0, 5700)]
    );
}

#[test]
fn senml_cbor_exact_bytes() {
    let base = Path::instance(3, 0);
    let records = vec![
        Record::new(Path::resource(3, 0, 0), Value::String("a".into())),
        Record::new(Path::resource(3, 0, 9), Value::Integer(100)),
    ];
    let mut expected = vec![0x82, 0xA3, 0x21, 0x65];
    expected.extend_from_slice(b"/3/0/");
    expected.extend_from_slice(&[0x00, 0x61, b'0', 0x03, 0x61, b'a']);
    expected.extend_from_slice(&[0xA2, 0x00, 0x61, b'9', 0x02, 0x18, 0x64]);
    assert_eq!(
        encode(ContentFormat::SenmlCbor, &base, &records).unwrap(),
        expected
    );
    assert_eq!(
        decode(ContentFormat::SenmlCbor, &base, &expected, &device_kinds()).unwrap(),
        records
    );
    // Same device example through CBOR.
    let bytes = encode(ContentFormat::SenmlCbor, &base, &device_records()).unwrap();
    assert_eq!(
        decode(ContentFormat::SenmlCbor, &base, &bytes, &device_kinds()).unwrap(),
        device_records()
    );
}

const DEVICE_OMA_JSON: &str = r#"{"bn":"/3/0/","e":[{"n":"0","sv":"Open Mobile Alliance"},{"n":"1","sv":"Lightweight M2M Client"},{"n":"2","sv":"345000123"},{"n":"3","sv":"1.0"},{"n":"6/0","v":1},{"n":"6/1","v":5},{"n":"7/0","v":3800},{"n":"7/1","v":5000},{"n":"8/0","v":125},{"n":"8/1","v":900},{"n":"9","v":100},{"n":"10","v":15},{"n":"11/0","v":0},{"n":"13","v":1367491215},{"n":"14","sv":"+02:00"},{"n":"16","sv":"U"}]}"#;

#[test]
fn oma_json_device_example_both_ways() {
    let base = Path::instance(3, 0);
    let bytes = encode(ContentFormat::Json, &base, &device_records()).unwrap();
    assert_eq!(String::from_utf8(bytes).unwrap(), DEVICE_OMA_JSON);
    let decoded = decode(
        ContentFormat::OmaJson,
        &base,
        DEVICE_OMA_JSON.as_bytes(),
        &device_kinds(),
    )
    .unwrap();
    assert_eq!(decoded, device_records());
}

#[test]
fn lwm2m_cbor_device_round_trip_and_shape() {
    let base = Path::instance(3, 0);
    let bytes = encode(ContentFormat::Lwm2mCbor, &base, &device_records()).unwrap();
    // {[3, 0]: {0: "Open Mobile Alliance", ...
    assert_eq!(&bytes[..7], &[0xA1, 0x82, 0x03, 0x00, 0xAD, 0x00, 0x74]);
    assert_eq!(
        decode(ContentFormat::Lwm2mCbor, &base, &bytes, &device_kinds()).unwrap(),
        device_records()
    );
}

#[test]
fn text_values_of_the_device_object() {
    let kinds = device_kinds();
    let base = Path::resource(3, 0, 13);
    let records = decode(ContentFormat::OmaText, &base, b"1367491215", &kinds).unwrap();
    assert_eq!(records, [Record::new(base, Value::Time(Time(1367491215)))]);
    assert_eq!(
        encode(ContentFormat::Text, &base, &records).unwrap(),
        b"1367491215"
    );
    // A float written as text to an Integer resource is a 4.00.
    let err = decode(
        ContentFormat::Text,
        &Path::resource(3, 0, 9),
        b"99.5",
        &kinds,
    )
    .unwrap_err();
    assert_eq!(err.coap_code(), (4, 0));
    // Text cannot answer a read of the whole instance: 4.06.
    let err = encode(
        ContentFormat::Text,
        &Path::instance(3, 0),
        &device_records(),
    )
    .unwrap_err();
    assert_eq!(err.coap_code(), (4, 6));
}
