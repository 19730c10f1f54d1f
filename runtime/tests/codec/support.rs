//! Shared by the modules of the `codec` test binary.

use lwm2m::codec::Record;

/// The canonical order of decoded records: by path, "now" first, then by time.
pub fn canonical(mut records: Vec<Record>) -> Vec<Record> {
    records.sort_by(|a, b| {
        a.path.cmp(&b.path).then_with(|| {
            let key = |r: &Record| (r.time.is_some(), r.time.unwrap_or(0.0));
            let (ta, tb) = (key(a), key(b));
            ta.0.cmp(&tb.0).then(ta.1.total_cmp(&tb.1))
        })
    });
    records
}
