//! Marker traits behind the compile-time checks of `#[derive(Object)]`.
//!
//! The derive asks the field type for one of these traits when the attribute says something about
//! it: `multiple` asks for [`MultipleField`] (and its absence for [`SingleField`]), `op = "E"` for
//! [`ExecutableField`] (any other `op` for [`ValueField`]), `kind = "Integer"` for
//! [`CarriesInteger`], and so on. A field type that does not fit fails to compile, with the error
//! on the attribute. To give a `kind` to a field of your own [`ResourceType`], implement the
//! matching `Carries*` trait for it.
//!
//! [`ResourceType`]: crate::convert::ResourceType

use crate::prelude::*;
use litemap::LiteMap;

use crate::convert::ResourceType;
use crate::field::{Executable, Instances};
use crate::value::{CoreLnk, ObjLnk, Time};

/// A field type of a multiple-instance resource: `Instances<T>` or `Option<Instances<T>>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold a multiple-instance resource",
    label = "`multiple` needs a field of type `Instances<T>` or `Option<Instances<T>>`",
    note = "a multiple-instance resource keeps its values by resource-instance id"
)]
pub trait MultipleField {}

impl<T: ResourceType> MultipleField for Instances<T> {}
impl<T: ResourceType> MultipleField for Option<Instances<T>> {}

/// A field type of a single-instance resource: `T`, `Option<T>` or [`Executable`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not the type of a single-instance resource",
    label = "without `multiple`, a resource field is `T`, `Option<T>` or `Executable`",
    note = "a multiple-instance resource (`Instances<T>`) needs `multiple` in its attribute"
)]
pub trait SingleField {}

impl<T: ResourceType> SingleField for T {}
impl<T: ResourceType> SingleField for Option<T> {}
impl SingleField for Executable {}

/// The field type of an executable resource: [`Executable`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the field of an executable resource",
    label = "`op = \"E\"` needs a field of type `Executable`",
    note = "an executable resource holds no value; use `lwm2m::Executable`"
)]
pub trait ExecutableField {}

impl ExecutableField for Executable {}

/// A field type that holds a value: anything but [`Executable`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not the type of a resource with a value",
    label = "this `op` needs a field that holds a value",
    note = "an `Executable` field is for `op = \"E\"` only"
)]
pub trait ValueField {}

impl<T: ResourceType> ValueField for T {}
impl<T: ResourceType> ValueField for Option<T> {}
impl<T: ResourceType> ValueField for Instances<T> {}
impl<T: ResourceType> ValueField for Option<Instances<T>> {}

macro_rules! carries {
    ($(
        $(#[$doc:meta])*
        $name:ident, $message:literal, $label:literal;
    )*) => {$(
        $(#[$doc])*
        ///
        /// Also implemented for `Option<T>` and `Instances<T>` of such a `T`.
        #[diagnostic::on_unimplemented(
            message = $message,
            label = $label,
            note = "an optional resource wraps it in `Option`, a multiple one in `Instances`"
        )]
        pub trait $name {}

        impl<T: $name> $name for Option<T> {}
        impl<T: $name> $name for LiteMap<u16, T> {}
    )*};
}

carries! {
    /// A field type that can carry an LwM2M `String`.
    CarriesString,
    "`{Self}` cannot carry an LwM2M `String` value",
    "`kind = \"String\"` needs a field of type `String`";
    /// A field type that can carry an LwM2M `Integer`.
    CarriesInteger,
    "`{Self}` cannot carry an LwM2M `Integer` value",
    "`kind = \"Integer\"` needs a field of type `i64` (or i8, i16, i32, u8, u16, u32)";
    /// A field type that can carry an LwM2M `Unsigned Integer`.
    CarriesUnsignedInteger,
    "`{Self}` cannot carry an LwM2M `Unsigned Integer` value",
    "`kind = \"Unsigned Integer\"` needs a field of type `u64` (or u8, u16, u32)";
    /// A field type that can carry an LwM2M `Float`.
    CarriesFloat,
    "`{Self}` cannot carry an LwM2M `Float` value",
    "`kind = \"Float\"` needs a field of type `f64` (or f32)";
    /// A field type that can carry an LwM2M `Boolean`.
    CarriesBoolean,
    "`{Self}` cannot carry an LwM2M `Boolean` value",
    "`kind = \"Boolean\"` needs a field of type `bool`";
    /// A field type that can carry an LwM2M `Opaque` value.
    CarriesOpaque,
    "`{Self}` cannot carry an LwM2M `Opaque` value",
    "`kind = \"Opaque\"` needs a field of type `Vec<u8>`";
    /// A field type that can carry an LwM2M `Time`.
    CarriesTime,
    "`{Self}` cannot carry an LwM2M `Time` value",
    "`kind = \"Time\"` needs a field of type `lwm2m::Time`";
    /// A field type that can carry an LwM2M `Objlnk`.
    CarriesObjLnk,
    "`{Self}` cannot carry an LwM2M `Objlnk` value",
    "`kind = \"Objlnk\"` needs a field of type `lwm2m::ObjLnk`";
    /// A field type that can carry an LwM2M `Corelnk`.
    CarriesCoreLnk,
    "`{Self}` cannot carry an LwM2M `Corelnk` value",
    "`kind = \"Corelnk\"` needs a field of type `lwm2m::CoreLnk`";
}

impl CarriesString for String {}
impl CarriesInteger for i8 {}
impl CarriesInteger for i16 {}
impl CarriesInteger for i32 {}
impl CarriesInteger for i64 {}
impl CarriesInteger for u8 {}
impl CarriesInteger for u16 {}
impl CarriesInteger for u32 {}
impl CarriesUnsignedInteger for u8 {}
impl CarriesUnsignedInteger for u16 {}
impl CarriesUnsignedInteger for u32 {}
impl CarriesUnsignedInteger for u64 {}
impl CarriesFloat for f32 {}
impl CarriesFloat for f64 {}
impl CarriesBoolean for bool {}
impl CarriesOpaque for Vec<u8> {}
impl CarriesTime for Time {}
impl CarriesObjLnk for ObjLnk {}
impl CarriesCoreLnk for CoreLnk {}
