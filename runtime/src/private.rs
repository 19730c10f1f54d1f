//! What the code of `#[derive(Object)]` names: not a public API, may change in any release.

pub use crate::check::{
    CarriesBoolean, CarriesCoreLnk, CarriesFloat, CarriesInteger, CarriesObjLnk, CarriesOpaque,
    CarriesString, CarriesTime, CarriesUnsignedInteger, ExecutableField, MultipleField,
    SingleField, ValueField,
};
pub use crate::error::Error;
pub use crate::field::{DynResourceField, ResourceField, ResourceValue};
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

// What the provided methods of `Object` do, once for every object. The derive (and lwm2m-codegen)
// writes, per object, `Object::__field`: a match from a resource's position in
// `ObjectMeta::resources` to its field (and its `&mut` twin, `__field_mut`); `find` gives the
// position and the metadata of a resource id.

/// The position of `resource` in `object.resources` (sorted by id) and its metadata, or
/// [`Error::NotFound`].
pub fn find(
    object: &'static ObjectMeta,
    resource: u16,
) -> Result<(usize, &'static ResourceMeta), Error> {
    object
        .position(resource)
        .and_then(|index| Some((index, object.resources.get(index)?)))
        .ok_or(Error::NotFound { resource })
}

/// `Object::read`: the operations checked, then the field read. No field (an object without
/// fields, implemented by hand; the derive always has one) is [`Error::NotFound`].
pub fn read(
    field: Option<&dyn DynResourceField>,
    meta: &ResourceMeta,
) -> Result<ResourceValue, Error> {
    let field = field.ok_or(Error::NotFound { resource: meta.id })?;
    readable(meta)?;
    field.dyn_read(meta)
}

/// `Object::write`: the operations checked, then the field written.
pub fn write(
    field: Option<&mut dyn DynResourceField>,
    meta: &ResourceMeta,
    value: ResourceValue,
) -> Result<(), Error> {
    let field = field.ok_or(Error::NotFound { resource: meta.id })?;
    writable(meta)?;
    field.dyn_write(meta, value)
}

/// `Object::reset`: the field reset, whatever the operations.
pub fn reset(field: Option<&mut dyn DynResourceField>, meta: &ResourceMeta) -> Result<(), Error> {
    let field = field.ok_or(Error::NotFound { resource: meta.id })?;
    field.dyn_reset();
    Ok(())
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

// The derive is an optional dependency (feature `derive`).
#[cfg(all(test, feature = "derive"))]
mod tests {
    use super::*;
    use crate::field::Executable;
    use crate::prelude::*;
    use crate::value::Value;

    /// Every operation of a derived object goes through the helpers above.
    #[derive(Debug, Default, PartialEq, lwm2m_derive::Object)]
    #[lwm2m(crate = "crate", id = 40000)]
    struct Probe {
        #[lwm2m(id = 9, op = "R")]
        read_only: i64,
        #[lwm2m(id = 2, op = "W")]
        write_only: Option<String>,
        #[lwm2m(id = 5, op = "E")]
        run: Executable,
    }

    /// No resource at all: `__field` has no arm.
    #[derive(Debug, Default, lwm2m_derive::Object)]
    #[lwm2m(crate = "crate", id = 40001)]
    struct Empty {}

    use crate::object::Object;

    #[test]
    fn find_uses_the_sorted_position() {
        let meta = <Probe as Object>::META;
        assert_eq!(
            meta.resources.iter().map(|r| r.id).collect::<Vec<_>>(),
            [2, 5, 9]
        );
        assert_eq!(find(meta, 9).map(|(i, r)| (i, r.id)), Ok((2, 9)));
        assert_eq!(find(meta, 2).map(|(i, r)| (i, r.id)), Ok((0, 2)));
        assert_eq!(find(meta, 3), Err(Error::NotFound { resource: 3 }));
        assert_eq!(
            find(<Empty as Object>::META, 0),
            Err(Error::NotFound { resource: 0 })
        );
    }

    #[test]
    fn operations_are_checked_unless_unchecked() -> Result<(), Error> {
        let mut p = Probe {
            read_only: 4,
            ..Probe::default()
        };
        let single = |v| ResourceValue::Single(v);
        assert_eq!(p.read(9), Ok(single(Value::Integer(4))));
        assert_eq!(
            p.write(9, single(Value::Integer(1))),
            Err(Error::MethodNotAllowed { resource: 9 })
        );
        p.write_unchecked(9, single(Value::Integer(1)))?;
        assert_eq!(p.read(9), Ok(single(Value::Integer(1))));
        p.write(2, single(Value::String("x".into())))?;
        assert_eq!(p.read(2), Err(Error::MethodNotAllowed { resource: 2 }));
        assert_eq!(p.read_unchecked(2), Ok(single(Value::String("x".into()))));
        p.reset(2)?;
        assert_eq!(p.write_only, None);
        assert_eq!(p.read(5), Err(Error::MethodNotAllowed { resource: 5 }));
        assert_eq!(
            p.read_unchecked(5),
            Err(Error::MethodNotAllowed { resource: 5 })
        );
        assert_eq!(p.reset(7), Err(Error::NotFound { resource: 7 }));
        assert_eq!(
            p.write_unchecked(7, single(Value::Integer(1))),
            Err(Error::NotFound { resource: 7 })
        );
        Ok(())
    }

    #[test]
    fn an_object_without_resources_finds_nothing() {
        let mut e = Empty {};
        assert_eq!(e.read(0), Err(Error::NotFound { resource: 0 }));
        assert_eq!(e.reset(0), Err(Error::NotFound { resource: 0 }));
    }
}
