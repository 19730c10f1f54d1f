//! Shared fuzz harness: the first byte picks the request path, the rest is the payload. A payload
//! that decodes must re-encode in the same format and decode to the same records.

use lwm2m::codec::{ContentFormat, Record, decode, encode};
use lwm2m::{Kind, Path, Value};

/// A fixed resource table: the type depends on the resource id, ids 7 and 11 are multiple.
fn kinds(path: &Path) -> Option<(Kind, bool)> {
    let id = path.resource_id()?;
    let kind = match id % 10 {
        0 => Kind::String,
        1 => Kind::Integer,
        2 => Kind::UnsignedInteger,
        3 => Kind::Float,
        4 => Kind::Boolean,
        5 => Kind::Opaque,
        6 => Kind::Time,
        7 => Kind::Integer,
        8 => Kind::ObjLnk,
        _ => return None,
    };
    Some((kind, id == 7 || id == 11))
}

/// Equal records; floats compare NaN-aware, and where no type is known a Time may come back as
/// an Integer (an untyped decoder only sees a number).
fn same(a: &[Record], b: &[Record]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            let untyped = x.path.resource_path().and_then(|p| kinds(&p)).is_none();
            x.path == y.path
                && match (&x.value, &y.value) {
                    (Value::Float(p), Value::Float(q)) => p == q || (p.is_nan() && q.is_nan()),
                    (Value::Time(t), Value::Integer(n)) if untyped => t.0 == *n,
                    (p, q) => p == q,
                }
        })
}

pub fn run(format: ContentFormat, data: &[u8]) {
    let Some((&selector, payload)) = data.split_first() else {
        return;
    };
    let base = match selector % 6 {
        0 => Path::ROOT,
        1 => Path::object(3),
        2 => Path::instance(3, 0),
        3 => Path::resource(3, 0, u16::from(selector / 6)),
        4 => Path::resource_instance(3, 0, 7, u16::from(selector / 6)),
        _ => Path::instance(3, 0),
    };
    let Ok(records) = decode(format, &base, payload, &kinds) else {
        return;
    };
    let Ok(bytes) = encode(format, &base, &records) else {
        return;
    };
    let again = decode(format, &base, &bytes, &kinds).expect("re-encoded payload decodes");
    assert!(same(&records, &again), "{records:?} != {again:?}");
}
