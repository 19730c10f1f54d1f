//! Tests of the SenML codecs.
use super::*;
use crate::value::{ObjLnk, Time};

/// The fast path either declines or reads exactly what the `json_value` path reads.
#[test]
fn scanner_agrees_with_serde_json() {
    let cases: &[&[u8]] = &[
        br#"[{"bn":"/3/0/","n":"0","vs":"a"},{"n":"7/1","v":-5},{"n":"9","v":1.5e3}]"#,
        br#" [ { "n" : "/1/0/1" , "vb" : true , "t" : -1 , "x" : null } ] "#,
        br#"[{"n":"/1/0/1","vd":"AQI"},{"n":"/1/0/2","vlo":"3:0","bt":1.5}]"#,
        br#"[{"n":"/1/0/1","v":18446744073709551615},{"n":"/1/0/2","v":-9223372036854775808}]"#,
        br#"[{"n":"/1/0/1","v":-0}]"#,
        br#"[{"n":"/1/0/1","v":18446744073709551616}]"#,
        br#"[{"n":"/1/0/1","v":1,"v":2}]"#,
        br#"[{"n":"/1/0/1","n":"/1/0/2","v":1}]"#,
        br#"[{"n":"/1/0/1","v":1,"vs":"a"}]"#,
        br#"[{"n":"/1/0/1","vs":"a
b"}]"#,
        br#"[{"n":"/1/0/1","vs":"aA"}]"#,
        br#"[{"n":"/1/0/1","v":1,"other":{"deep":[1]}}]"#,
        br#"[{"n":"/1/0/1","v":1,"x_":1}]"#,
        br#"[{"n":"/1/0/1","v":1,"bv":1}]"#,
        br#"[{"n":"/1/0/1","v":"1"}]"#,
        br#"[{"n":"/1/0/1","vd":"!"}]"#,
        br#"[{"n":"/1/0/1","v":1e999}]"#,
        br#"[{"n":"/1/0/1","v":1},]"#,
        br#"[{"n":"/1/0/1","v":1}] x"#,
        br#"[]"#,
        br#"{}"#,
        b"[{\"n\":\"/1/0/1\",\"vs\":\"\xff\"}]",
    ];
    for (i, case) in cases.iter().enumerate() {
        let slow = parse_json(case);
        let mut fast = Vec::new();
        let scanned = scan_json(case, |record| {
            fast.push(record.raw()?);
            Some(())
        });
        match scanned.map(|()| fast) {
            Some(fast) => {
                let slow = slow.unwrap();
                assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{case:?}");
            }
            // The plain packs must take the fast path.
            None => assert!(i >= 4, "declined {}", String::from_utf8_lossy(case)),
        }
    }
}

/// Packs to mutate: every value type, times, instances, base names.
fn sample_records() -> Vec<Record> {
    vec![
        Record::new(Path::resource(3, 0, 0), Value::String("Open Mobile".into())),
        Record::new(Path::resource_instance(3, 0, 7, 1), Value::Integer(-5)).at(1.5e9),
        Record::new(Path::resource_instance(3, 0, 7, 2), Value::Integer(70_000)).at(-30.0),
        Record::new(Path::resource(3, 0, 9), Value::UnsignedInteger(u64::MAX)),
        Record::new(Path::resource(3, 0, 10), Value::Float(1.1)).at(1_700_000_000.25),
        Record::new(Path::resource(3, 0, 11), Value::Boolean(true)),
        Record::new(Path::resource(3, 0, 12), Value::Opaque(vec![0, 1, 2, 255])),
        Record::new(
            Path::resource(3, 0, 13),
            Value::ObjLnk(ObjLnk::new(3, 65535)),
        ),
        Record::new(Path::resource(3, 0, 300), Value::Time(Time(-1))),
    ]
}

fn sample_kinds(path: &Path) -> Option<(Kind, bool)> {
    Some(match path.resource_id()? {
        0 => (Kind::String, false),
        7 => (Kind::Integer, true),
        9 => (Kind::UnsignedInteger, false),
        10 => (Kind::Float, false),
        11 => (Kind::Boolean, false),
        12 => (Kind::Opaque, false),
        13 => (Kind::ObjLnk, false),
        300 => (Kind::Time, false),
        _ => return None,
    })
}

/// One-byte changes a pack is mutated with: CBOR heads of every major type, JSON syntax.
const MUTATIONS: [u8; 23] = [
    0x00, 0x01, 0x17, 0x18, 0x20, 0x22, 0x2f, 0x30, 0x39, 0x3a, 0x5c, 0x60, 0x61, 0x7b, 0x7d, 0x80,
    0xa0, 0xc0, 0xf4, 0xf9, 0xfa, 0xfb, 0xff,
];

/// `bytes`, every truncation of it and many one-byte changes.
fn variants(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut variants = vec![bytes.to_vec()];
    for cut in 0..bytes.len() {
        variants.push(bytes[..cut].to_vec());
    }
    for at in 0..bytes.len() {
        for new in MUTATIONS {
            let mut changed = bytes.to_vec();
            changed[at] = new;
            variants.push(changed);
        }
    }
    variants
}

/// Every truncation and many one-byte changes of valid packs: whenever the JSON fast path
/// accepts the bytes, the `json_value` path accepts them too with the same records.
#[test]
fn json_fast_path_agrees_with_the_general_path() {
    let kinds: [&dyn KindLookup; 2] = [&sample_kinds, &super::super::NoKinds];
    let mut accepted = 0usize;
    for base in [Path::ROOT, Path::instance(3, 0)] {
        let json = encode_json(&base, &sample_records()).unwrap();
        for variant in &variants(&json) {
            for kinds in kinds {
                let fast = scan_json_records(&base, variant, kinds);
                let slow = parse_json(variant)
                    .and_then(|raw| resolve_all(ContentFormat::SenmlJson, &base, raw, kinds));
                if let Some(fast) = fast {
                    accepted += 1;
                    let slow = slow.unwrap_or_else(|e| {
                        panic!("fast accepted, general rejected ({e}): {variant:02x?}")
                    });
                    assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{variant:02x?}");
                }
            }
        }
    }
    // The fast path did take the valid packs and some changed ones.
    assert!(accepted > 4, "{accepted}");
}

/// The CBOR decoder reads back every sample record, rejects every truncation (the pack's
/// array head counts its records) and survives every one-byte change.
#[test]
fn cbor_truncations_fail_and_changes_do_not_panic() {
    for base in [Path::ROOT, Path::instance(3, 0)] {
        let records = sample_records();
        let cbor = encode_cbor(&base, &records).unwrap();
        assert_eq!(decode_cbor(&base, &cbor, &sample_kinds).unwrap(), records);
        for cut in 0..cbor.len() {
            let err = decode_cbor(&base, &cbor[..cut], &sample_kinds).unwrap_err();
            assert!(matches!(err, DecodeError::Malformed { .. }), "{cut}: {err}");
        }
        for variant in variants(&cbor) {
            for kinds in [&sample_kinds as &dyn KindLookup, &super::super::NoKinds] {
                let _ = decode_cbor(&base, &variant, kinds);
            }
            let _ = decode_paths(ContentFormat::SenmlCbor, &variant);
        }
    }
}

/// The reason a SenML CBOR pack is malformed (panics unless it is).
fn cbor_error(bytes: &[u8]) -> String {
    match decode_cbor(&Path::ROOT, bytes, &super::super::NoKinds) {
        Err(DecodeError::Malformed { reason, .. }) => reason.to_owned(),
        other => panic!("{bytes:02x?}: {other:?}"),
    }
}

/// RFC 8428 §6: labels -1 bver, -2 bn, -3 bt, -4 bu, -5 bv, -6 bs, 0 n, 1 u, 2 v, 3 vs,
/// 4 vb, 5 s, 6 t, 7 ut, 8 vd; `vlo` is the text label of LwM2M (Core TS §7.4.5).
#[test]
fn cbor_labels_and_values() {
    // [{0: "/1/0/1", 2: 65535 (u16), -1: 10, 7: 1.0 (f16), 99: h'00', "x": "y"}]
    let ok = [
        0x81, 0xa6, 0x00, 0x66, b'/', b'1', b'/', b'0', b'/', b'1', 0x02, 0x19, 0xff, 0xff, 0x20,
        0x0a, 0x07, 0xf9, 0x3c, 0x00, 0x18, 0x63, 0x41, 0x00, 0x61, b'x', 0x61, b'y',
    ];
    let records = decode_cbor(&Path::ROOT, &ok, &super::super::NoKinds).unwrap();
    assert_eq!(
        records,
        [Record::new(Path::resource(1, 0, 1), Value::Integer(65535))]
    );
    // A number beyond i64: -2^64 as an integer, typed as a float when nothing is known.
    let big = [
        0x81, 0xa2, 0x00, 0x66, b'/', b'1', b'/', b'0', b'/', b'1', 0x02, 0x3b, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff,
    ];
    let records = decode_cbor(&Path::ROOT, &big, &super::super::NoKinds).unwrap();
    assert_eq!(records[0].value, Value::Float(-18446744073709551616.0));
    // "vlo" and base time plus time.
    let vlo = [
        0x81, 0xa4, 0x00, 0x66, b'/', b'1', b'/', b'0', b'/', b'1', 0x63, b'v', b'l', b'o', 0x63,
        b'3', b':', b'0', 0x22, 0x0a, 0x06, 0x01,
    ];
    let records = decode_cbor(&Path::ROOT, &vlo, &super::super::NoKinds).unwrap();
    assert_eq!(records[0].value, Value::ObjLnk(ObjLnk::new(3, 0)));
    assert_eq!(records[0].time, Some(11.0));

    let name = [0x00, 0x66, b'/', b'1', b'/', b'0', b'/', b'1'];
    let pack = |fields: u8, rest: &[u8]| {
        let mut bytes = vec![0x81, 0xa0 | fields];
        bytes.extend_from_slice(&name);
        bytes.extend_from_slice(rest);
        bytes
    };
    for (label, rest) in [
        ("bs", &[0x25, 0x01][..]),
        ("bv", &[0x24, 0x01]),
        ("bu", &[0x23, 0x61, b'V']),
        ("u", &[0x01, 0x61, b'V']),
        ("s", &[0x05, 0x01]),
        ("-17", &[0x30, 0x01]),
        ("x_", &[0x62, b'x', b'_', 0x01]),
    ] {
        let reason = cbor_error(&pack(2, rest));
        assert!(
            reason.contains("unsupported SenML field"),
            "{label}: {reason}"
        );
    }
    for (why, bytes) in [
        ("two values", pack(3, &[0x02, 0x01, 0x04, 0xf5])),
        ("nested", pack(2, &[0x18, 0x63, 0x80])),
        ("tag", pack(2, &[0x02, 0xc1, 0x01])),
        ("vs not text", pack(2, &[0x03, 0x01])),
        ("vb not bool", pack(2, &[0x04, 0x01])),
        ("vd not bytes", pack(2, &[0x08, 0x61, b'a'])),
        (
            "bt infinite",
            pack(3, &[0x22, 0xf9, 0x7c, 0x00, 0x02, 0x01]),
        ),
        ("float label", pack(2, &[0xf9, 0x3c, 0x00, 0x01])),
        ("no value", pack(1, &[])),
        ("trailing", pack(2, &[0x02, 0x01, 0x00])),
        ("indefinite map", vec![0x81, 0xbf, 0xff]),
        ("indefinite array", vec![0x9f, 0xff]),
        ("not an array", vec![0xa0]),
        ("bad name", pack(2, &[0x21, 0x61, b'x', 0x02, 0x01])),
        ("UTF-8 label", pack(3, &[0x61, 0xff, 0x01, 0x02, 0x01])),
        (
            "UTF-8 skipped",
            pack(3, &[0x18, 0x63, 0x61, 0xff, 0x02, 0x01]),
        ),
        ("UTF-8 vs", pack(2, &[0x03, 0x61, 0xff])),
    ] {
        let reason = cbor_error(&bytes);
        if why.starts_with("UTF-8") {
            assert!(reason.contains("UTF-8"), "{why}: {reason}");
        }
    }
}

#[test]
fn cbor_path_lists() {
    // [{-2: "/3/0/", 0: "1"}, {0: "/4"}]
    let bytes = [
        0x82, 0xa2, 0x21, 0x65, b'/', b'3', b'/', b'0', b'/', 0x00, 0x61, b'1', 0xa1, 0x00, 0x62,
        b'/', b'4',
    ];
    // The base name stays: "/3/0/" + "/4" is not a path.
    assert!(decode_paths(ContentFormat::SenmlCbor, &bytes).is_err());
    let bytes = [
        0x82, 0xa2, 0x21, 0x65, b'/', b'3', b'/', b'0', b'/', 0x00, 0x61, b'1', 0xa2, 0x21, 0x60,
        0x00, 0x62, b'/', b'4',
    ];
    assert_eq!(
        decode_paths(ContentFormat::SenmlCbor, &bytes).unwrap(),
        [Path::resource(3, 0, 1), Path::object(4)]
    );
    let with_value = [0x81, 0xa2, 0x00, 0x62, b'/', b'4', 0x02, 0x01];
    assert!(decode_paths(ContentFormat::SenmlCbor, &with_value).is_err());
}

#[test]
fn join_path_reads_like_from_str() {
    for (bn, n) in [
        ("/3/0/", "7/1"),
        ("/3/0", "/7"),
        ("/", ""),
        ("", "/3/0/"),
        ("/03/", "0065535"),
        ("/3/0/1/2", ""),
        ("/3/0/1/2/", ""),
        ("//", ""),
        ("/3//", ""),
        ("/3/0/1/2/3", ""),
        ("/65536", ""),
        ("/3/a", ""),
        ("3/0", ""),
        ("", ""),
        ("/3/0/", "+1"),
    ] {
        let expected = format!("{bn}{n}").parse::<Path>().ok();
        assert_eq!(join_path(bn, n), expected, "{bn:?} + {n:?}");
    }
}

#[test]
fn names_carry_the_base_name() {
    let json =
        br#"[{"bn":"/3/0/","n":"0","vs":"a"},{"n":"7/1","v":5},{"bn":"/4/0/","n":"1","v":2}]"#;
    let records = decode_json(&Path::ROOT, json, &super::super::NoKinds).unwrap();
    let paths: Vec<String> = records.iter().map(|r| r.path.to_string()).collect();
    assert_eq!(paths, ["/3/0/0", "/3/0/7/1", "/4/0/1"]);
}

/// Names of every length the CBOR head takes in one byte and beyond (a whole path of 24
/// characters below the root), written in place: the bytes are those of a CBOR text string.
#[test]
fn cbor_names_of_any_length_are_text_strings() {
    let long = Path::resource_instance(65535, 65535, 65535, 65535);
    for (base, path) in [
        (Path::ROOT, long),
        (Path::ROOT, Path::resource(3, 0, 1)),
        (Path::object(65535), long),
        (Path::resource_instance(65535, 65535, 65535, 65535), long),
        (Path::instance(3, 0), Path::resource(3, 0, 13)),
    ] {
        let records = [Record::new(path, Value::Integer(1))];
        let cbor = encode_cbor(&base, &records).unwrap();
        let decoded = decode_cbor(&base, &cbor, &super::super::NoKinds).unwrap();
        assert_eq!(decoded, records, "{base} {path}");
        let name = path.to_string();
        let below = name.trim_start_matches(&format!("{base}/"));
        let text = if base.is_root() { name.as_str() } else { below };
        if !text.is_empty() && base != path {
            let mut expected = Vec::new();
            cbor_text(&mut expected, text.as_bytes());
            assert!(
                cbor.windows(expected.len() + 1)
                    .any(|w| w[0] == LABEL_N && w[1..] == expected[..]),
                "{base} {path}: {cbor:02x?}"
            );
        }
    }
}
