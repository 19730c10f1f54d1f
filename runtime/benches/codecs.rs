//! Encode and decode throughput of the content formats, on a Device-like `/3/0` instance and on a
//! 50-resource instance. Run: `cargo bench -p lwm2m --bench codecs`.
//!
//! Decoding asks the resource types as the client does: `/3/0` from an [`ObjectStore`] holding
//! the Device object (the store is the client's `KindLookup`), the 50 resources from their
//! object's metadata the same way. So a decode here costs what a server's Write costs the client
//! in the codec, lookups included.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group};
use lwm2m::codec::{ContentFormat, KindLookup, Record, decode, encode};
use lwm2m::objects::{Device, DeviceHandler};
use lwm2m::{
    Constraint, Kind, ObjLnk, ObjectMeta, ObjectStore, Operations, Path, ResourceMeta, Time, Value,
};

/// The Device object instance of the LwM2M TS example, plus a few 1.1 resources (15 resources).
fn device() -> Vec<Record> {
    let r = |id, value| Record::new(Path::resource(3, 0, id), value);
    let ri = |id, i, value| Record::new(Path::resource_instance(3, 0, id, i), value);
    vec![
        r(0, Value::String("Open Mobile Alliance".into())),
        r(1, Value::String("Lightweight M2M Client".into())),
        r(2, Value::String("345000123".into())),
        r(3, Value::String("1.0".into())),
        ri(6, 0, Value::Integer(1)),
        ri(6, 1, Value::Integer(5)),
        ri(7, 0, Value::Integer(3800)),
        ri(7, 1, Value::Integer(5000)),
        ri(8, 0, Value::Integer(125)),
        ri(8, 1, Value::Integer(900)),
        r(9, Value::Integer(100)),
        r(10, Value::Integer(15)),
        ri(11, 0, Value::Integer(0)),
        r(13, Value::Time(Time(1367491215))),
        r(14, Value::String("+02:00".into())),
        r(15, Value::String("Europe/Berlin".into())),
        r(16, Value::String("U".into())),
        r(17, Value::String("Type A".into())),
        r(20, Value::Integer(1)),
        r(21, Value::Integer(1024)),
    ]
}

/// 50 single resources of every type.
fn fifty() -> Vec<Record> {
    (0..50u16)
        .map(|id| {
            let value = match id % 7 {
                0 => Value::String(format!("value number {id}")),
                1 => Value::Integer(-i64::from(id) * 1000),
                2 => Value::Float(f64::from(id) * 1.25),
                3 => Value::Boolean(id % 2 == 0),
                4 => Value::Opaque(vec![id as u8; 8]),
                5 => Value::Time(Time(1_700_000_000 + i64::from(id))),
                _ => Value::ObjLnk(ObjLnk::new(3, id)),
            };
            Record::new(Path::resource(3442, 0, id), value)
        })
        .collect()
}

/// The object of the 50-resource instance, as `#[derive(Object)]` would describe it: the types
/// of `fifty()`, sorted by id as the derive sorts them.
fn fifty_meta() -> &'static ObjectMeta {
    let resources: Vec<ResourceMeta> = fifty()
        .iter()
        .filter_map(|r| {
            Some(ResourceMeta {
                id: r.path.resource_id()?,
                name: "r",
                operations: Operations::ReadWrite,
                kind: r.value.kind(),
                multiple: false,
                mandatory: false,
                units: None,
                range: None,
                constraint: Constraint::None,
            })
        })
        .collect();
    Box::leak(Box::new(ObjectMeta {
        id: 3442,
        name: "fifty",
        version: "1.0",
        lwm2m_version: "1.1",
        urn: "urn:oma:lwm2m:x:3442",
        multiple: true,
        mandatory: false,
        resources: Box::leak(resources.into_boxed_slice()),
    }))
}

/// The resource types as a client has them: the [`ObjectStore`] of the device (what the client
/// hands the decoders for a server's Write: one map lookup of the object, then a binary search of
/// its resources), here holding the Device object.
fn device_store() -> ObjectStore {
    let mut store = ObjectStore::new();
    store
        .insert(0, Device::demo(), DeviceHandler::default())
        .unwrap();
    store
}

/// The same lookup as the store's (`ObjectStore::resource_meta`) for an object the store cannot
/// hold without a derive: the object id compared instead of the store's map lookup, then the
/// resource at its id or else a binary search of the resources.
struct MetaKinds(&'static ObjectMeta);

impl KindLookup for MetaKinds {
    fn kind(&self, resource: &Path) -> Option<(Kind, bool)> {
        if resource.object_id()? != self.0.id {
            return None;
        }
        let id = resource.resource_id()?;
        let meta = match self.0.resources.get(usize::from(id)) {
            Some(found) if found.id == id => found,
            _ => self.0.resource(id)?,
        };
        Some((meta.kind, meta.multiple))
    }
}

fn bench(c: &mut Criterion) {
    let formats = [
        ContentFormat::Tlv,
        ContentFormat::SenmlJson,
        ContentFormat::SenmlCbor,
        ContentFormat::Lwm2mCbor,
        ContentFormat::Json,
    ];
    let store = device_store();
    let fifty_kinds = MetaKinds(fifty_meta());
    let cases: [(&str, Path, Vec<Record>, &dyn KindLookup); 2] = [
        ("device", Path::instance(3, 0), device(), &store),
        ("fifty", Path::instance(3442, 0), fifty(), &fifty_kinds),
    ];
    for (name, base, records, kinds) in cases {
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(1));
        for format in formats {
            let label = format!("{format:?}");
            let bytes = encode(format, &base, &records).expect("encodes");
            // What is measured decodes to what was encoded.
            assert_eq!(decode(format, &base, &bytes, kinds).unwrap(), records);
            group.bench_function(format!("encode/{label}"), |b| {
                b.iter(|| encode(format, black_box(&base), black_box(&records)))
            });
            group.bench_function(format!("decode/{label}"), |b| {
                b.iter(|| decode(format, black_box(&base), black_box(&bytes), kinds))
            });
        }
        group.finish();
    }
}

/// Profiling mode, outside criterion: `LWM2M_CODEC_PROFILE=<format>/<encode|decode>/<iterations>`
/// runs one operation on `/3/0` in a loop (in `profile_loop`, for
/// `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*profile_loop*'`).
fn profile(spec: &str) {
    let mut parts = spec.split('/');
    let (Some(format), Some(op), Some(n)) = (parts.next(), parts.next(), parts.next()) else {
        panic!("LWM2M_CODEC_PROFILE=<format>/<encode|decode>/<iterations>");
    };
    let format = match format {
        "tlv" => ContentFormat::Tlv,
        "senml-json" => ContentFormat::SenmlJson,
        "senml-cbor" => ContentFormat::SenmlCbor,
        "lwm2m-cbor" => ContentFormat::Lwm2mCbor,
        "oma-json" => ContentFormat::Json,
        other => panic!("unknown format {other}"),
    };
    let n: u64 = n.parse().unwrap();
    let base = Path::instance(3, 0);
    let records = device();
    let store = device_store();
    let bytes = encode(format, &base, &records).unwrap();
    profile_loop(format, op == "encode", n, &base, &records, &bytes, &store);
}

#[inline(never)]
fn profile_loop(
    format: ContentFormat,
    encoding: bool,
    n: u64,
    base: &Path,
    records: &[Record],
    bytes: &[u8],
    kinds: &ObjectStore,
) {
    for _ in 0..n {
        if encoding {
            black_box(encode(format, black_box(base), black_box(records)).unwrap());
        } else {
            black_box(decode(format, black_box(base), black_box(bytes), kinds).unwrap());
        }
    }
}

criterion_group!(benches, bench);

fn main() {
    if let Ok(spec) = std::env::var("LWM2M_CODEC_PROFILE") {
        profile(&spec);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
