//! [`ResourceField`]: how a field of an object struct reads and writes itself as a resource.
//!
//! | field type | resource | read | write |
//! | --- | --- | --- | --- |
//! | `T` ([`ResourceType`]) | single, always present | [`ResourceValue::Single`] | `Single` replaces it |
//! | `Option<T>` | single, optional | `None` is [`Error::NotFound`] | `Single` sets `Some` |
//! | [`Instances<T>`] | multiple | [`ResourceValue::Multiple`] | `Multiple` replaces every instance |
//! | `Option<Instances<T>>` | multiple, optional | `None` is [`Error::NotFound`] | `Multiple` sets `Some` |
//! | [`Executable`] | executable | [`Error::MethodNotAllowed`] | [`Error::MethodNotAllowed`] |
//!
//! A `Multiple` value written to a single resource is [`Error::NotMultiple`], a `Single` value
//! written to a multiple one is [`Error::NotSingle`]. A write converts every value before it
//! stores anything: a failed write leaves the field as it was.

use litemap::LiteMap;

use crate::codec::RecordRef;
use crate::convert::ResourceType;
use crate::error::Error;
use crate::meta::ResourceMeta;
use crate::path::Path;
use crate::prelude::Vec;
use crate::value::{Kind, Value, ValueRef};

/// A multiple-instance resource: its values keyed by resource-instance id, in id order.
///
/// A flat map sorted by id (`litemap::LiteMap`, a `Vec` of pairs) rather than a `BTreeMap`:
/// a resource has a few instances, and one flat map's code is a fraction of a B-tree's on a
/// microcontroller, instantiated for every resource type. It reads like a `BTreeMap`
/// (`get`, `insert`, `remove`, `iter`, `FromIterator`):
///
/// ```
/// let mut codes: lwm2m::Instances<u8> = [(1, 20), (0, 10)].into_iter().collect();
/// codes.insert(2, 30);
/// assert_eq!(codes.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [0, 1, 2]);
/// assert_eq!(codes.get(&1), Some(&20));
/// ```
pub type Instances<T> = LiteMap<u16, T>;

/// The field type of an executable resource. It holds nothing: executing is the job of a handler.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Executable;

/// The value of a whole resource: one value, or the values of its instances.
#[derive(Debug, Clone, PartialEq)]
pub enum ResourceValue {
    /// The value of a single-instance resource.
    Single(Value),
    /// The values of a multiple-instance resource, by resource-instance id.
    Multiple(Instances<Value>),
}

/// How a struct field reads and writes itself as the resource that `meta` describes.
///
/// `#[derive(Object)]` calls these after it has checked the resource's operations. See the
/// [module documentation](self) for what each field type does.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not the type of a resource field",
    label = "not a resource field type",
    note = "a resource field is `T`, `Option<T>`, `Instances<T>` or `Option<Instances<T>>` where `T` is \
            String, i8..i64, u8..u64, f32, f64, bool, Vec<u8>, Time, ObjLnk, CoreLnk or your own \
            `ResourceType`; or `Executable` for an executable resource",
    note = "a field that is not a resource needs `#[lwm2m(skip)]`"
)]
pub trait ResourceField {
    /// The data type of the resource when the field gives no `kind`: [`Kind::None`] for
    /// [`Executable`].
    const KIND: Kind;

    /// The current value of the resource.
    fn read(&self, meta: &ResourceMeta) -> Result<ResourceValue, Error>;

    /// Replaces the resource with `value`; on error the field is unchanged.
    fn write(&mut self, meta: &ResourceMeta, value: ResourceValue) -> Result<(), Error>;

    /// The current value of the resource lent: pushes its records to `out`, at `at` (the
    /// resource's path `/o/i/r`) for a single resource, at `at`'s children (`/o/i/r/ri`) for the
    /// instances of a multiple one, converted to the declared data type as [`read`] converts
    /// them. What a server's Read encodes, without copying the field's text or bytes. The errors
    /// are [`read`]'s (an absent optional resource is [`Error::NotFound`]); on error `out` may
    /// hold some of the resource's records.
    ///
    /// The provided method pushes what [`read`] gives (owned): a field type of the device's own
    /// works unchanged. The crate's field types lend their values.
    ///
    /// [`read`]: ResourceField::read
    fn read_refs<'a>(
        &'a self,
        meta: &ResourceMeta,
        at: Path,
        out: &mut Vec<RecordRef<'a>>,
    ) -> Result<(), Error> {
        push_owned(self.read(meta)?, at, out);
        Ok(())
    }

    /// Removes the resource's value, as a Replace write that omits it does: `Option` becomes
    /// `None`, `Instances` empty. A field that is always present (`T`, [`Executable`]) keeps its
    /// value: that is the default.
    fn reset(&mut self) {}

    /// The field as a [`DynResourceField`] trait object (this trait, with its constant, cannot be
    /// one): what `#[derive(Object)]` dispatches through.
    fn as_dyn(&self) -> &dyn DynResourceField
    where
        Self: Sized,
    {
        self
    }

    /// The field as a mutable [`DynResourceField`] trait object.
    fn as_dyn_mut(&mut self) -> &mut dyn DynResourceField
    where
        Self: Sized,
    {
        self
    }
}

/// [`ResourceField`] behind a pointer: what the code of `#[derive(Object)]` dispatches through.
///
/// [`ResourceField`] has an associated constant, so it cannot be a trait object; every
/// [`ResourceField`] is a `DynResourceField` through a blanket implementation. The derive writes
/// one function per object from a resource to its field as `&dyn DynResourceField`, and the
/// runtime implements read, write and reset once for all objects, instead of the derive writing
/// them for every resource. The methods are those of [`ResourceField`], under other names so that both
/// traits can be in scope.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not the type of a resource field",
    label = "not a resource field type",
    note = "a resource field is `T`, `Option<T>`, `Instances<T>` or `Option<Instances<T>>` where `T` is \
            String, i8..i64, u8..u64, f32, f64, bool, Vec<u8>, Time, ObjLnk, CoreLnk or your own \
            `ResourceType`; or `Executable` for an executable resource",
    note = "a field that is not a resource needs `#[lwm2m(skip)]`"
)]
pub trait DynResourceField {
    /// [`ResourceField::read`].
    fn dyn_read(&self, meta: &ResourceMeta) -> Result<ResourceValue, Error>;

    /// [`ResourceField::write`].
    fn dyn_write(&mut self, meta: &ResourceMeta, value: ResourceValue) -> Result<(), Error>;

    /// [`ResourceField::read_refs`]. The provided method pushes what
    /// [`dyn_read`](DynResourceField::dyn_read) gives (owned), for an implementation of this
    /// trait written by hand; every [`ResourceField`] lends its values.
    fn dyn_read_refs<'a>(
        &'a self,
        meta: &ResourceMeta,
        at: Path,
        out: &mut Vec<RecordRef<'a>>,
    ) -> Result<(), Error> {
        push_owned(self.dyn_read(meta)?, at, out);
        Ok(())
    }

    /// [`ResourceField::reset`].
    fn dyn_reset(&mut self);
}

// `dyn_read` takes the field's lent records and makes them owned (`read_lent`, compiled once):
// per field type there is then one read (`read_refs`) in a build, not two.
impl<F: ResourceField> DynResourceField for F {
    fn dyn_read(&self, meta: &ResourceMeta) -> Result<ResourceValue, Error> {
        read_lent(self, meta)
    }

    fn dyn_write(&mut self, meta: &ResourceMeta, value: ResourceValue) -> Result<(), Error> {
        self.write(meta, value)
    }

    fn dyn_read_refs<'a>(
        &'a self,
        meta: &ResourceMeta,
        at: Path,
        out: &mut Vec<RecordRef<'a>>,
    ) -> Result<(), Error> {
        self.read_refs(meta, at, out)
    }

    fn dyn_reset(&mut self) {
        self.reset();
    }
}

/// [`DynResourceField::dyn_read`]: the field's lent records ([`DynResourceField::dyn_read_refs`])
/// made owned, as [`ResourceField::read`] gives them: one record at the resource's path is a
/// single value, records at its children (or none) the instances of a multiple one.
fn read_lent(field: &dyn DynResourceField, meta: &ResourceMeta) -> Result<ResourceValue, Error> {
    let at = Path::resource(0, 0, meta.id);
    let mut lent = Vec::new();
    field.dyn_read_refs(meta, at, &mut lent)?;
    if let [one] = lent.as_slice()
        && one.path == at
    {
        if let Some(one) = lent.pop() {
            return Ok(ResourceValue::Single(one.value.into_owned()));
        }
    }
    let mut values = Vec::with_capacity(lent.len());
    for record in lent {
        if let Some(id) = record.path.resource_instance_id() {
            values.push((id, record.value.into_owned()));
        }
    }
    // The records come in id order, each id once (the field's map, or `read`'s): the `Vec` is
    // the map as it is.
    Ok(ResourceValue::Multiple(
        Instances::from_sorted_store_unchecked(values),
    ))
}

/// Checks a received value against the declared data type (the two integer kinds are
/// interchangeable: the field type decides what fits).
fn check_declared(meta: &ResourceMeta, value: &Value) -> Result<(), Error> {
    let found = value.kind();
    let integers = |k| matches!(k, Kind::Integer | Kind::UnsignedInteger);
    if found != meta.kind && !(integers(found) && integers(meta.kind)) {
        return Err(Error::TypeMismatch {
            expected: meta.kind,
            found,
        });
    }
    Ok(())
}

/// The value a single resource's field takes from a write, checked against `meta`; the field
/// type converts it.
fn single_value(meta: &ResourceMeta, value: ResourceValue) -> Result<Value, Error> {
    match value {
        ResourceValue::Single(value) => {
            check_declared(meta, &value)?;
            Ok(value)
        }
        ResourceValue::Multiple(_) => Err(Error::NotMultiple { resource: meta.id }),
    }
}

/// Converts a field's natural value, lent, to the data type that `meta` declares: a `u32` field
/// declared `Integer` reads as [`ValueRef::Integer`]. Nothing is copied.
fn lent_as_declared<'a>(meta: &ResourceMeta, value: ValueRef<'a>) -> Result<ValueRef<'a>, Error> {
    match (meta.kind, value) {
        (Kind::Integer, ValueRef::UnsignedInteger(n)) => i64::try_from(n)
            .map(ValueRef::Integer)
            .map_err(|_| Error::OutOfRange { target: "i64" }),
        (Kind::UnsignedInteger, ValueRef::Integer(n)) => u64::try_from(n)
            .map(ValueRef::UnsignedInteger)
            .map_err(|_| Error::OutOfRange { target: "u64" }),
        (kind, value) if value.kind() == kind => Ok(value),
        (expected, value) => Err(Error::TypeMismatch {
            expected,
            found: value.kind(),
        }),
    }
}

/// The lent read of a single resource whose field holds `value` (`None`: absent), compiled
/// once: one record at `at`.
fn lend_single<'a>(
    meta: &ResourceMeta,
    at: Path,
    value: Option<ValueRef<'a>>,
    out: &mut Vec<RecordRef<'a>>,
) -> Result<(), Error> {
    let value = value.ok_or(Error::NotFound { resource: meta.id })?;
    out.push(RecordRef::new(at, lent_as_declared(meta, value)?));
    Ok(())
}

/// The lent read of a multiple field: one record per instance, at `at`'s children.
fn lend_multiple<'a, T: ResourceType>(
    meta: &ResourceMeta,
    at: Path,
    field: &'a Instances<T>,
    out: &mut Vec<RecordRef<'a>>,
) -> Result<(), Error> {
    let nth = |index| {
        let (id, value) = field.get_indexed(index)?;
        Some((*id, value.to_value_ref()))
    };
    lend_instances(meta, at, field.len(), &nth, out)
}

/// The loop of [`lend_multiple`], compiled once for every field type: `nth` lends the
/// `index`-th of the `len` instances (its id and value). Inlined with `std` (where the call of
/// `nth` is then direct), as the codecs' serving path is.
#[cfg_attr(feature = "std", inline(always))]
fn lend_instances<'a>(
    meta: &ResourceMeta,
    at: Path,
    len: usize,
    nth: &dyn Fn(usize) -> Option<(u16, ValueRef<'a>)>,
    out: &mut Vec<RecordRef<'a>>,
) -> Result<(), Error> {
    out.reserve(len);
    for (id, value) in (0..len).map_while(nth) {
        let path = at.child(id).ok_or(Error::NotFound { resource: meta.id })?;
        out.push(RecordRef::new(path, lent_as_declared(meta, value)?));
    }
    Ok(())
}

/// The records of an owned read (a field type's own [`ResourceField::read`]), pushed as lent
/// records that own their values. Not inlined on a microcontroller (two callers).
#[cfg_attr(not(feature = "std"), inline(never))]
pub(crate) fn push_owned(value: ResourceValue, at: Path, out: &mut Vec<RecordRef<'_>>) {
    match value {
        ResourceValue::Single(value) => out.push(RecordRef::new(at, value.into())),
        ResourceValue::Multiple(values) => {
            out.reserve(values.len());
            for (id, value) in values {
                if let Some(path) = at.child(id) {
                    out.push(RecordRef::new(path, value.into()));
                }
            }
        }
    }
}

/// The new instances of a multiple field, being built by a write: [`fill`] pushes the values one
/// by one, converted to the field type.
trait Collect {
    fn push_value(&mut self, id: u16, value: Value) -> Result<(), Error>;
}

impl<T: ResourceType> Collect for Vec<(u16, T)> {
    fn push_value(&mut self, id: u16, value: Value) -> Result<(), Error> {
        self.push((id, T::from_value(value)?));
        Ok(())
    }
}

/// The loop of a multiple field's write, compiled once for every field type: the shape and the
/// declared type checked, each value handed to `out`, the first error ending it.
fn fill(meta: &ResourceMeta, value: ResourceValue, out: &mut dyn Collect) -> Result<(), Error> {
    match value {
        ResourceValue::Multiple(values) => {
            for (id, value) in values {
                check_declared(meta, &value)?;
                out.push_value(id, value)?;
            }
            Ok(())
        }
        ResourceValue::Single(_) => Err(Error::NotSingle { resource: meta.id }),
    }
}

/// The instances a multiple field takes from a write. They come from a map, so their ids are
/// sorted and distinct: the `Vec` they were pushed to is the new map as it is.
fn write_multiple<T: ResourceType>(
    meta: &ResourceMeta,
    value: ResourceValue,
) -> Result<Instances<T>, Error> {
    let mut out: Vec<(u16, T)> = Vec::new();
    fill(meta, value, &mut out)?;
    Ok(Instances::from_sorted_store_unchecked(out))
}

impl<T: ResourceType> ResourceField for T {
    const KIND: Kind = T::KIND;

    fn read(&self, meta: &ResourceMeta) -> Result<ResourceValue, Error> {
        read_lent(self, meta)
    }

    fn read_refs<'a>(
        &'a self,
        meta: &ResourceMeta,
        at: Path,
        out: &mut Vec<RecordRef<'a>>,
    ) -> Result<(), Error> {
        lend_single(meta, at, Some(self.to_value_ref()), out)
    }

    fn write(&mut self, meta: &ResourceMeta, value: ResourceValue) -> Result<(), Error> {
        *self = T::from_value(single_value(meta, value)?)?;
        Ok(())
    }
}

impl<T: ResourceType> ResourceField for Option<T> {
    const KIND: Kind = T::KIND;

    fn reset(&mut self) {
        *self = None;
    }

    fn read(&self, meta: &ResourceMeta) -> Result<ResourceValue, Error> {
        read_lent(self, meta)
    }

    fn read_refs<'a>(
        &'a self,
        meta: &ResourceMeta,
        at: Path,
        out: &mut Vec<RecordRef<'a>>,
    ) -> Result<(), Error> {
        lend_single(meta, at, self.as_ref().map(T::to_value_ref), out)
    }

    fn write(&mut self, meta: &ResourceMeta, value: ResourceValue) -> Result<(), Error> {
        *self = Some(T::from_value(single_value(meta, value)?)?);
        Ok(())
    }
}

impl<T: ResourceType> ResourceField for Instances<T> {
    const KIND: Kind = T::KIND;

    fn reset(&mut self) {
        self.clear();
    }

    fn read(&self, meta: &ResourceMeta) -> Result<ResourceValue, Error> {
        read_lent(self, meta)
    }

    fn read_refs<'a>(
        &'a self,
        meta: &ResourceMeta,
        at: Path,
        out: &mut Vec<RecordRef<'a>>,
    ) -> Result<(), Error> {
        lend_multiple(meta, at, self, out)
    }

    fn write(&mut self, meta: &ResourceMeta, value: ResourceValue) -> Result<(), Error> {
        *self = write_multiple(meta, value)?;
        Ok(())
    }
}

impl<T: ResourceType> ResourceField for Option<Instances<T>> {
    const KIND: Kind = T::KIND;

    fn reset(&mut self) {
        *self = None;
    }

    fn read(&self, meta: &ResourceMeta) -> Result<ResourceValue, Error> {
        read_lent(self, meta)
    }

    fn read_refs<'a>(
        &'a self,
        meta: &ResourceMeta,
        at: Path,
        out: &mut Vec<RecordRef<'a>>,
    ) -> Result<(), Error> {
        match self {
            Some(field) => lend_multiple(meta, at, field, out),
            None => Err(Error::NotFound { resource: meta.id }),
        }
    }

    fn write(&mut self, meta: &ResourceMeta, value: ResourceValue) -> Result<(), Error> {
        *self = Some(write_multiple(meta, value)?);
        Ok(())
    }
}

impl ResourceField for Executable {
    const KIND: Kind = Kind::None;

    fn read(&self, meta: &ResourceMeta) -> Result<ResourceValue, Error> {
        Err(Error::MethodNotAllowed { resource: meta.id })
    }

    fn write(&mut self, meta: &ResourceMeta, _value: ResourceValue) -> Result<(), Error> {
        Err(Error::MethodNotAllowed { resource: meta.id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::Operations;
    use crate::prelude::*;

    fn meta(kind: Kind, multiple: bool) -> ResourceMeta {
        ResourceMeta {
            id: 9,
            name: "r",
            operations: Operations::ReadWrite,
            kind,
            multiple,
            mandatory: false,
            units: None,
            range: None,
            constraint: crate::meta::Constraint::None,
        }
    }

    #[test]
    fn unsigned_field_declared_integer_reads_as_integer() -> Result<(), Error> {
        let m = meta(Kind::Integer, false);
        assert_eq!(5u32.read(&m), Ok(ResourceValue::Single(Value::Integer(5))));
        let mut field = 0u32;
        field.write(&m, ResourceValue::Single(Value::Integer(7)))?;
        assert_eq!(field, 7);
        Ok(())
    }

    #[test]
    fn write_checks_the_declared_kind() {
        let mut field = String::from("old");
        let err = field.write(
            &meta(Kind::String, false),
            ResourceValue::Single(Value::Boolean(true)),
        );
        assert_eq!(
            err,
            Err(Error::TypeMismatch {
                expected: Kind::String,
                found: Kind::Boolean
            })
        );
        assert_eq!(field, "old");
    }

    #[test]
    fn single_and_multiple_mismatch() {
        let mut single = 1i64;
        assert_eq!(
            single.write(
                &meta(Kind::Integer, false),
                ResourceValue::Multiple(Instances::new())
            ),
            Err(Error::NotMultiple { resource: 9 })
        );
        let mut many: Instances<i64> = crate::Instances::from_iter([(0, 1)]);
        assert_eq!(
            many.write(
                &meta(Kind::Integer, true),
                ResourceValue::Single(Value::Integer(2))
            ),
            Err(Error::NotSingle { resource: 9 })
        );
        assert_eq!(many, crate::Instances::from_iter([(0, 1)]));
    }

    #[test]
    fn failed_multiple_write_keeps_every_instance() {
        let m = meta(Kind::UnsignedInteger, true);
        let mut many: Option<Instances<u8>> = Some(crate::Instances::from_iter([(0, 1), (1, 2)]));
        let values =
            crate::Instances::from_iter([(0, Value::UnsignedInteger(5)), (3, Value::Integer(999))]);
        assert_eq!(
            many.write(&m, ResourceValue::Multiple(values)),
            Err(Error::OutOfRange { target: "u8" })
        );
        assert_eq!(many, Some(crate::Instances::from_iter([(0, 1), (1, 2)])));
    }

    #[test]
    fn absent_optional_is_not_found_and_write_creates_it() -> Result<(), Error> {
        let m = meta(Kind::Float, false);
        let mut field: Option<f64> = None;
        assert_eq!(field.read(&m), Err(Error::NotFound { resource: 9 }));
        field.write(&m, ResourceValue::Single(Value::Float(2.5)))?;
        assert_eq!(field, Some(2.5));
        let many: Option<Instances<f64>> = None;
        assert_eq!(many.read(&m), Err(Error::NotFound { resource: 9 }));
        Ok(())
    }

    #[test]
    fn reset_removes_optional_values_only() {
        let mut single = 5i64;
        single.reset();
        assert_eq!(single, 5);
        let mut optional = Some(String::from("x"));
        optional.reset();
        assert_eq!(optional, None);
        let mut many: Instances<u8> = crate::Instances::from_iter([(0, 1)]);
        many.reset();
        assert!(many.is_empty());
        let mut optional_many: Option<Instances<u8>> = Some(crate::Instances::new());
        optional_many.reset();
        assert_eq!(optional_many, None);
    }

    #[test]
    fn dyn_field_dispatches_to_the_field() -> Result<(), Error> {
        let m = meta(Kind::Integer, false);
        let mut field: Option<u8> = None;
        let value = ResourceValue::Single(Value::Integer(3));
        field.as_dyn_mut().dyn_write(&m, value.clone())?;
        assert_eq!(field.as_dyn().dyn_read(&m), Ok(value));
        field.as_dyn_mut().dyn_reset();
        assert_eq!(field, None);
        Ok(())
    }

    #[test]
    fn executable_is_neither_read_nor_written() {
        let m = meta(Kind::None, false);
        let mut field = Executable;
        assert_eq!(field.read(&m), Err(Error::MethodNotAllowed { resource: 9 }));
        assert_eq!(
            field.write(&m, ResourceValue::Single(Value::Boolean(true))),
            Err(Error::MethodNotAllowed { resource: 9 })
        );
    }
}
