//! [`ResourceType`]: the Rust types that hold one resource value, and their conversions to and from
//! [`Value`].
//!
//! Conversion rules:
//! - Integer fields (`i8`..`i64`, `u8`..`u64`) accept both [`Value::Integer`] and
//!   [`Value::UnsignedInteger`] (content formats such as TLV do not tell them apart); a number the
//!   field cannot hold (300 into a `u8`, -1 into a `u32`) is [`Error::OutOfRange`].
//! - `f64` accepts [`Value::Float`]. `f32` accepts it too, rounded to the nearest `f32` (the
//!   precision loss is accepted: LwM2M floats travel as 32 or 64 bits); a finite value beyond
//!   `f32::MAX` in magnitude is [`Error::OutOfRange`], infinities and NaN pass through.
//! - Every other type accepts only the value of its own kind; anything else is
//!   [`Error::TypeMismatch`].

use crate::error::Error;
use crate::prelude::*;
use crate::value::{CoreLnk, Kind, ObjLnk, Time, Value, ValueRef};
use alloc::borrow::Cow;

/// A Rust type that holds one value of an LwM2M resource (or of one resource instance).
///
/// Implemented for [`String`], `i8`..`i64`, `u8`..`u64`, `f32`, `f64`, `bool`, `Vec<u8>` (Opaque),
/// [`Time`], [`ObjLnk`] and [`CoreLnk`]. Implement it for your own type (an enum stored as an
/// Integer, say) to use it as a field of a `#[derive(Object)]` struct.
pub trait ResourceType: Sized {
    /// The LwM2M data type this Rust type maps to when the field gives no `kind`.
    const KIND: Kind;

    /// The value to send for this field.
    fn to_value(&self) -> Value;

    /// The field value for a received value: [`Error::TypeMismatch`] for a value of another data
    /// type, [`Error::OutOfRange`] for one that does not fit.
    fn from_value(value: Value) -> Result<Self, Error>;

    /// The value to send, lent: what a server's Read encodes without copying the field's text
    /// or bytes. The provided method owns what [`to_value`](ResourceType::to_value) makes (a
    /// type of the device's own that cannot lend itself still reads as before); the crate's
    /// types lend theirs.
    fn to_value_ref(&self) -> ValueRef<'_> {
        ValueRef::from(self.to_value())
    }
}

fn mismatch(expected: Kind, value: &Value) -> Error {
    Error::TypeMismatch {
        expected,
        found: value.kind(),
    }
}

macro_rules! signed_type {
    ($($ty:ident),*) => {$(
        impl ResourceType for $ty {
            const KIND: Kind = Kind::Integer;

            fn to_value(&self) -> Value {
                Value::Integer(i64::from(*self))
            }

            fn to_value_ref(&self) -> ValueRef<'_> {
                ValueRef::Integer(i64::from(*self))
            }

            fn from_value(value: Value) -> Result<Self, Error> {
                const OUT_OF_RANGE: Error = Error::OutOfRange { target: stringify!($ty) };
                match value {
                    Value::Integer(n) => $ty::try_from(n).map_err(|_| OUT_OF_RANGE),
                    Value::UnsignedInteger(n) => $ty::try_from(n).map_err(|_| OUT_OF_RANGE),
                    other => Err(mismatch(Self::KIND, &other)),
                }
            }
        }
    )*};
}

macro_rules! unsigned_type {
    ($($ty:ident),*) => {$(
        impl ResourceType for $ty {
            const KIND: Kind = Kind::UnsignedInteger;

            fn to_value(&self) -> Value {
                Value::UnsignedInteger(u64::from(*self))
            }

            fn to_value_ref(&self) -> ValueRef<'_> {
                ValueRef::UnsignedInteger(u64::from(*self))
            }

            fn from_value(value: Value) -> Result<Self, Error> {
                const OUT_OF_RANGE: Error = Error::OutOfRange { target: stringify!($ty) };
                match value {
                    Value::Integer(n) => $ty::try_from(n).map_err(|_| OUT_OF_RANGE),
                    Value::UnsignedInteger(n) => $ty::try_from(n).map_err(|_| OUT_OF_RANGE),
                    other => Err(mismatch(Self::KIND, &other)),
                }
            }
        }
    )*};
}

signed_type!(i8, i16, i32, i64);
unsigned_type!(u8, u16, u32, u64);

impl ResourceType for f64 {
    const KIND: Kind = Kind::Float;

    fn to_value(&self) -> Value {
        Value::Float(*self)
    }

    fn to_value_ref(&self) -> ValueRef<'_> {
        ValueRef::Float(*self)
    }

    fn from_value(value: Value) -> Result<Self, Error> {
        match value {
            Value::Float(x) => Ok(x),
            other => Err(mismatch(Self::KIND, &other)),
        }
    }
}

impl ResourceType for f32 {
    const KIND: Kind = Kind::Float;

    fn to_value(&self) -> Value {
        Value::Float(f64::from(*self))
    }

    fn to_value_ref(&self) -> ValueRef<'_> {
        ValueRef::Float(f64::from(*self))
    }

    fn from_value(value: Value) -> Result<Self, Error> {
        match value {
            Value::Float(x) if x.is_finite() && x.abs() > f64::from(f32::MAX) => {
                Err(Error::OutOfRange { target: "f32" })
            }
            // Rounds to the nearest f32: documented, accepted precision loss.
            Value::Float(x) => Ok(x as f32),
            other => Err(mismatch(Self::KIND, &other)),
        }
    }
}

/// How a field of a plain type lends itself as its [`ValueRef`] variant: the text and bytes
/// borrowed, the rest copied.
macro_rules! lend {
    (String, $field:expr) => {
        Cow::Borrowed($field.as_str())
    };
    (Opaque, $field:expr) => {
        Cow::Borrowed($field.as_slice())
    };
    (CoreLnk, $field:expr) => {
        Cow::Borrowed($field.0.as_str())
    };
    ($copied:ident, $field:expr) => {
        *$field
    };
}

/// The types whose value is one variant of [`Value`], converted without any check.
macro_rules! plain_type {
    ($($ty:ty => $kind:ident),* $(,)?) => {$(
        impl ResourceType for $ty {
            const KIND: Kind = Kind::$kind;

            fn to_value(&self) -> Value {
                Value::$kind(<$ty as Clone>::clone(self))
            }

            fn to_value_ref(&self) -> ValueRef<'_> {
                ValueRef::$kind(lend!($kind, self))
            }

            fn from_value(value: Value) -> Result<Self, Error> {
                match value {
                    Value::$kind(v) => Ok(v),
                    other => Err(mismatch(Self::KIND, &other)),
                }
            }
        }
    )*};
}

plain_type! {
    String => String,
    bool => Boolean,
    Vec<u8> => Opaque,
    Time => Time,
    ObjLnk => ObjLnk,
    CoreLnk => CoreLnk,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_accept_both_signednesses_when_they_fit() {
        assert_eq!(u8::from_value(Value::Integer(200)), Ok(200));
        assert_eq!(u8::from_value(Value::UnsignedInteger(7)), Ok(7));
        assert_eq!(i8::from_value(Value::UnsignedInteger(127)), Ok(127));
        assert_eq!(i64::from_value(Value::Integer(i64::MIN)), Ok(i64::MIN));
        assert_eq!(
            u64::from_value(Value::UnsignedInteger(u64::MAX)),
            Ok(u64::MAX)
        );
    }

    #[test]
    fn integers_out_of_range() {
        assert_eq!(
            u8::from_value(Value::Integer(300)),
            Err(Error::OutOfRange { target: "u8" })
        );
        assert_eq!(
            u32::from_value(Value::Integer(-1)),
            Err(Error::OutOfRange { target: "u32" })
        );
        assert_eq!(
            i64::from_value(Value::UnsignedInteger(u64::MAX)),
            Err(Error::OutOfRange { target: "i64" })
        );
        assert_eq!(
            i16::from_value(Value::Integer(40_000)),
            Err(Error::OutOfRange { target: "i16" })
        );
    }

    #[test]
    fn natural_kinds() {
        assert_eq!(7i32.to_value(), Value::Integer(7));
        assert_eq!(7u16.to_value(), Value::UnsignedInteger(7));
        assert_eq!(1.5f32.to_value(), Value::Float(1.5));
        assert_eq!(
            ObjLnk::new(3, 0).to_value(),
            Value::ObjLnk(ObjLnk::new(3, 0))
        );
        assert_eq!(<Vec<u8>>::KIND, Kind::Opaque);
        assert_eq!(<CoreLnk>::KIND, Kind::CoreLnk);
    }

    #[test]
    fn f32_rounds_and_rejects_overflow() {
        assert_eq!(f32::from_value(Value::Float(0.1)), Ok(0.1f32));
        assert_eq!(
            f32::from_value(Value::Float(1e300)),
            Err(Error::OutOfRange { target: "f32" })
        );
        assert_eq!(
            f32::from_value(Value::Float(f64::INFINITY)),
            Ok(f32::INFINITY)
        );
        assert!(f32::from_value(Value::Float(f64::NAN)).is_ok_and(f32::is_nan));
    }

    #[test]
    fn other_kinds_are_a_mismatch() {
        assert_eq!(
            String::from_value(Value::CoreLnk(CoreLnk("</1>".into()))),
            Err(Error::TypeMismatch {
                expected: Kind::String,
                found: Kind::CoreLnk
            })
        );
        assert_eq!(
            f64::from_value(Value::Integer(1)),
            Err(Error::TypeMismatch {
                expected: Kind::Float,
                found: Kind::Integer
            })
        );
        assert_eq!(
            u8::from_value(Value::Boolean(true)),
            Err(Error::TypeMismatch {
                expected: Kind::UnsignedInteger,
                found: Kind::Boolean
            })
        );
        assert_eq!(
            Time::from_value(Value::Integer(5)),
            Err(Error::TypeMismatch {
                expected: Kind::Time,
                found: Kind::Integer
            })
        );
    }
}
