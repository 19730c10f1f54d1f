//! What the code of `#[derive(Object)]` names: not a public API, may change in any release.

pub use crate::check::{
    CarriesBoolean, CarriesCoreLnk, CarriesFloat, CarriesInteger, CarriesObjLnk, CarriesOpaque,
    CarriesString, CarriesTime, CarriesUnsignedInteger, ExecutableField, MultipleField,
    SingleField, ValueField,
};
pub use crate::error::Error;
pub use crate::field::{ResourceField, ResourceValue};
pub use crate::meta::{Constraint, Number, ObjectMeta, Operations, ResourceMeta, ValueItem};
pub use crate::value::Kind;
pub use core::option::Option;
pub use core::result::Result;

/// `Ok` if the resource is readable, else [`Error::MethodNotAllowed`].
pub fn readable(meta: &ResourceMeta) -> Result<(), Error> {
    if meta.operations.is_readable() {
        Ok(())
    } else {
        Err(Error::MethodNotAllowed { resource: meta.id })
    }
}

/// `Ok` if the resource is writable, else [`Error::MethodNotAllowed`].
pub fn writable(meta: &ResourceMeta) -> Result<(), Error> {
    if meta.operations.is_writable() {
        Ok(())
    } else {
        Err(Error::MethodNotAllowed { resource: meta.id })
    }
}

// The checks of the derive, one per attribute; a field type that fails one does not compile.

/// `multiple`: the field holds instances.
pub const fn assert_multiple<F: ?Sized + MultipleField>() {}

/// No `multiple`: the field holds one value.
pub const fn assert_single<F: ?Sized + SingleField>() {}

/// `op = "E"`: the field is `Executable`.
pub const fn assert_executable<F: ?Sized + ExecutableField>() {}

/// Any other `op`: the field holds a value.
pub const fn assert_value<F: ?Sized + ValueField>() {}

/// `kind = "String"`.
pub const fn assert_string<F: ?Sized + CarriesString>() {}

/// `kind = "Integer"`.
pub const fn assert_integer<F: ?Sized + CarriesInteger>() {}

/// `kind = "Unsigned Integer"`.
pub const fn assert_unsigned_integer<F: ?Sized + CarriesUnsignedInteger>() {}

/// `kind = "Float"`.
pub const fn assert_float<F: ?Sized + CarriesFloat>() {}

/// `kind = "Boolean"`.
pub const fn assert_boolean<F: ?Sized + CarriesBoolean>() {}

/// `kind = "Opaque"`.
pub const fn assert_opaque<F: ?Sized + CarriesOpaque>() {}

/// `kind = "Time"`.
pub const fn assert_time<F: ?Sized + CarriesTime>() {}

/// `kind = "Objlnk"`.
pub const fn assert_objlnk<F: ?Sized + CarriesObjLnk>() {}

/// `kind = "Corelnk"`.
pub const fn assert_corelnk<F: ?Sized + CarriesCoreLnk>() {}
