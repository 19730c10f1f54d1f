//! Checks of a server's request against the registry metadata, before anything changes.
//!
//! | check | error (CoAP code) |
//! | --- | --- |
//! | the operation is allowed (read `R`/`RW`, write `W`/`RW`, execute `E`) | [`Error::MethodNotAllowed`] (4.05) |
//! | one value for a single resource, instances for a multiple one | [`Error::NotMultiple`], [`Error::NotSingle`] (4.00) |
//! | the data type (Integer and Unsigned Integer are interchangeable, the field decides what fits) | [`Error::TypeMismatch`] (4.00) |
//! | the [`Constraint`]: numeric range, enumeration, length in octets | [`Error::Constraint`] (4.00) |
//! | a create has every mandatory writable resource | [`Error::MissingMandatory`] (4.00) |
//! | every resource id of a write exists | [`Error::NotFound`] (4.04) |
//!
//! A registry length given as one number (`64` on a String) is generated as a *maximum*
//! (`length = "0..=64"`): the registry often means "up to", and refusing a shorter value from a
//! real server would break interoperability.
//!
//! ```
//! use lwm2m::validate::check_write;
//! use lwm2m::{Constraint, Error, Kind, Operations, ResourceMeta, ResourceValue, Value};
//! use lwm2m::meta::Number;
//!
//! let meta = ResourceMeta {
//!     id: 5601,
//!     name: "Min Range",
//!     operations: Operations::ReadWrite,
//!     kind: Kind::Float,
//!     multiple: false,
//!     mandatory: false,
//!     units: None,
//!     range: Some("-40..85"),
//!     constraint: Constraint::Range { min: Some(Number::Int(-40)), max: Some(Number::Int(85)) },
//! };
//! assert_eq!(check_write(&meta, &ResourceValue::Single(Value::Float(20.0))), Ok(()));
//! let err = check_write(&meta, &ResourceValue::Single(Value::Float(90.0)));
//! assert!(matches!(err, Err(Error::Constraint { resource: 5601, .. })));
//! ```

use crate::error::Error;
use crate::field::ResourceValue;
use crate::meta::{Constraint, Number, ObjectMeta, ResourceMeta, ValueItem};
use crate::prelude::*;
use crate::value::{Kind, Value};

/// `Ok` if a server may read the resource.
pub fn check_read(meta: &ResourceMeta) -> Result<(), Error> {
    if meta.operations.is_readable() {
        Ok(())
    } else {
        Err(Error::MethodNotAllowed { resource: meta.id })
    }
}

/// `Ok` if a server may execute the resource.
pub fn check_execute(meta: &ResourceMeta) -> Result<(), Error> {
    if meta.operations.is_executable() {
        Ok(())
    } else {
        Err(Error::MethodNotAllowed { resource: meta.id })
    }
}

/// `Ok` if a server may write `value` to the resource: operation, shape, type and constraint.
pub fn check_write(meta: &ResourceMeta, value: &ResourceValue) -> Result<(), Error> {
    if !meta.operations.is_writable() {
        return Err(Error::MethodNotAllowed { resource: meta.id });
    }
    check_value(meta, value)
}

/// `Ok` if `value` fits the resource's shape (single or multiple), data type and constraint,
/// whatever its operations.
pub fn check_value(meta: &ResourceMeta, value: &ResourceValue) -> Result<(), Error> {
    match (meta.multiple, value) {
        (false, ResourceValue::Single(v)) => check_one(meta, v),
        (true, ResourceValue::Multiple(values)) => {
            values.values().try_for_each(|v| check_one(meta, v))
        }
        (false, ResourceValue::Multiple(_)) => Err(Error::NotMultiple { resource: meta.id }),
        (true, ResourceValue::Single(_)) => Err(Error::NotSingle { resource: meta.id }),
    }
}

/// `Ok` if one value (of the resource or of one of its instances) has the resource's data type
/// and meets its constraint.
pub fn check_one(meta: &ResourceMeta, value: &Value) -> Result<(), Error> {
    let found = value.kind();
    let integers = |k| matches!(k, Kind::Integer | Kind::UnsignedInteger);
    if found != meta.kind && !(integers(found) && integers(meta.kind)) {
        return Err(Error::TypeMismatch {
            expected: meta.kind,
            found,
        });
    }
    check_constraint(meta, value)
}

/// `Ok` if `changes` may be written to an instance of `object`: every id exists, is writable
/// and each value passes [`check_write`]. With `create`, every mandatory writable resource must
/// be among them ([`Error::MissingMandatory`]).
pub fn check_instance_write(
    object: &ObjectMeta,
    changes: &[(u16, ResourceValue)],
    create: bool,
) -> Result<(), Error> {
    for (id, value) in changes {
        let meta = object
            .resource(*id)
            .ok_or(Error::NotFound { resource: *id })?;
        check_write(meta, value)?;
    }
    if create {
        let missing = object.resources.iter().find(|r| {
            r.mandatory && r.operations.is_writable() && !changes.iter().any(|(id, _)| *id == r.id)
        });
        if let Some(r) = missing {
            return Err(Error::MissingMandatory { resource: r.id });
        }
    }
    Ok(())
}

fn violation(meta: &ResourceMeta, reason: String) -> Error {
    Error::Constraint {
        resource: meta.id,
        reason,
    }
}

/// The value as a number, if it is one.
fn number(value: &Value) -> Option<Number> {
    match value {
        Value::Integer(n) => Some(Number::Int(i128::from(*n))),
        Value::UnsignedInteger(n) => Some(Number::Int(i128::from(*n))),
        Value::Float(f) => Some(Number::Float(*f)),
        _ => None,
    }
}

/// The length in octets of a String or Opaque value.
fn length(value: &Value) -> Option<u64> {
    let len = match value {
        Value::String(s) => s.len(),
        Value::Opaque(b) => b.len(),
        _ => return None,
    };
    u64::try_from(len).ok()
}

/// `a <= b`, exact for two integers; NaN compares as never within bounds.
fn le(a: Number, b: Number) -> bool {
    match (a, b) {
        (Number::Int(a), Number::Int(b)) => a <= b,
        (a, b) => a.as_f64() <= b.as_f64(),
    }
}

fn check_constraint(meta: &ResourceMeta, value: &Value) -> Result<(), Error> {
    match meta.constraint {
        Constraint::None => Ok(()),
        Constraint::Range { min, max } => {
            let Some(n) = number(value) else {
                return Ok(());
            };
            if let Some(min) = min.filter(|min| !le(*min, n)) {
                return Err(violation(meta, format!("{n} is below the minimum {min}")));
            }
            if let Some(max) = max.filter(|max| !le(n, *max)) {
                return Err(violation(meta, format!("{n} is above the maximum {max}")));
            }
            Ok(())
        }
        Constraint::Values(items) => {
            let Some(n) = number(value) else {
                return Ok(());
            };
            let allowed = items.iter().any(|item| match *item {
                ValueItem::Value(v) => le(v, n) && le(n, v),
                ValueItem::Range(a, b) => le(a, n) && le(n, b),
            });
            if allowed {
                Ok(())
            } else {
                Err(violation(meta, format!("{n} is not an allowed value")))
            }
        }
        Constraint::Length { min, max } => {
            let Some(len) = length(value) else {
                return Ok(());
            };
            if len < min || len > max {
                Err(violation(
                    meta,
                    format!("length {len} is outside {min}..={max} octets"),
                ))
            } else {
                Ok(())
            }
        }
        Constraint::Lengths(lengths) => {
            let Some(len) = length(value) else {
                return Ok(());
            };
            if lengths.contains(&len) {
                Ok(())
            } else {
                Err(violation(
                    meta,
                    // Not the list itself: `Debug` of a slice would link `core::fmt`'s list
                    // builders into a microcontroller image for this one message.
                    format!("length {len} is not one of the allowed lengths in octets"),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::Operations;

    fn meta(kind: Kind, constraint: Constraint) -> ResourceMeta {
        ResourceMeta {
            id: 1,
            name: "r",
            operations: Operations::ReadWrite,
            kind,
            multiple: false,
            mandatory: false,
            units: None,
            range: None,
            constraint,
        }
    }

    fn one(meta: &ResourceMeta, v: Value) -> Result<(), Error> {
        check_write(meta, &ResourceValue::Single(v))
    }

    #[test]
    fn numeric_range_is_inclusive_and_exact() {
        let m = meta(
            Kind::Integer,
            Constraint::Range {
                min: Some(Number::Int(-40)),
                max: Some(Number::Int(i128::from(u64::MAX))),
            },
        );
        assert_eq!(one(&m, Value::Integer(-40)), Ok(()));
        assert_eq!(one(&m, Value::UnsignedInteger(u64::MAX)), Ok(()));
        assert!(matches!(
            one(&m, Value::Integer(-41)),
            Err(Error::Constraint { .. })
        ));
        let f = meta(
            Kind::Float,
            Constraint::Range {
                min: None,
                max: Some(Number::Float(1.5)),
            },
        );
        assert_eq!(one(&f, Value::Float(1.5)), Ok(()));
        assert!(one(&f, Value::Float(1.6)).is_err());
        assert!(one(&f, Value::Float(f64::NAN)).is_err());
        assert_eq!(one(&f, Value::Float(-1e300)), Ok(()));
    }

    #[test]
    fn enumerations_and_lengths() {
        static ITEMS: [ValueItem; 2] = [
            ValueItem::Value(Number::Int(1)),
            ValueItem::Range(Number::Int(5), Number::Int(7)),
        ];
        let m = meta(Kind::Integer, Constraint::Values(&ITEMS));
        for ok in [1, 5, 6, 7] {
            assert_eq!(one(&m, Value::Integer(ok)), Ok(()), "{ok}");
        }
        for bad in [0, 2, 4, 8] {
            assert!(one(&m, Value::Integer(bad)).is_err(), "{bad}");
        }
        let s = meta(Kind::String, Constraint::Length { min: 0, max: 3 });
        assert_eq!(one(&s, Value::String("abc".into())), Ok(()));
        assert!(one(&s, Value::String("abcd".into())).is_err());
        let o = meta(Kind::Opaque, Constraint::Lengths(&[2, 4]));
        assert_eq!(one(&o, Value::Opaque(vec![0; 4])), Ok(()));
        assert!(one(&o, Value::Opaque(vec![0; 3])).is_err());
    }

    #[test]
    fn type_shape_and_operation() {
        let m = meta(Kind::Integer, Constraint::None);
        assert_eq!(one(&m, Value::UnsignedInteger(3)), Ok(()));
        assert_eq!(
            one(&m, Value::String("3".into())),
            Err(Error::TypeMismatch {
                expected: Kind::Integer,
                found: Kind::String
            })
        );
        assert_eq!(
            check_write(&m, &ResourceValue::Multiple(crate::Instances::new())),
            Err(Error::NotMultiple { resource: 1 })
        );
        let ro = ResourceMeta {
            operations: Operations::Read,
            ..m
        };
        assert_eq!(
            one(&ro, Value::Integer(1)),
            Err(Error::MethodNotAllowed { resource: 1 })
        );
        assert_eq!(
            check_execute(&ro),
            Err(Error::MethodNotAllowed { resource: 1 })
        );
        assert_eq!(check_read(&ro), Ok(()));
        let many = ResourceMeta {
            multiple: true,
            constraint: Constraint::Range {
                min: Some(Number::Int(0)),
                max: None,
            },
            ..m
        };
        let values = crate::Instances::from_iter([(0, Value::Integer(1)), (7, Value::Integer(-1))]);
        assert!(matches!(
            check_write(&many, &ResourceValue::Multiple(values)),
            Err(Error::Constraint { resource: 1, .. })
        ));
    }
}
