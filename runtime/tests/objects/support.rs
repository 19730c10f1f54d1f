//! Shared by the modules of the `objects` test binary.

use lwm2m::{ResourceValue, Value};

/// A single-instance resource's value.
pub fn single(value: Value) -> ResourceValue {
    ResourceValue::Single(value)
}
