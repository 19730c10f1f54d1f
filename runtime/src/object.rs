//! The [`Object`] trait that `#[derive(Object)]` implements, and the dyn-safe [`ObjectInstance`]
//! that a store of instances holds.

use core::any::Any;

use crate::__private as private;
use crate::error::Error;
use crate::field::{DynResourceField, ResourceValue};
use crate::meta::ObjectMeta;
use crate::path::Path;

/// An LwM2M object: one instance of it is one value of the implementing type.
///
/// Implement it with `#[derive(Object)]` (lwm2m-codegen writes the same impl for generated
/// structs): the derive records the metadata and a map from each resource to its field, through
/// which the provided methods read and write. [`read`](Object::read) and
/// [`write`](Object::write) are what a server does; they check the resource's operations. The
/// device's own code reads and writes the struct fields directly.
///
/// # Example
///
/// ```
/// use lwm2m::{Error, Object, ResourceValue, Value};
///
/// #[derive(Debug, Default, Object)]
/// #[lwm2m(id = 3303, name = "Temperature", version = "1.1", multiple)]
/// struct Temperature {
///     #[lwm2m(id = 5700, name = "Sensor Value", op = "R", mandatory)]
///     value: f64,
///     #[lwm2m(id = 5750, name = "Application Type", op = "RW")]
///     application: Option<String>,
/// }
///
/// let mut t = Temperature { value: 21.5, ..Temperature::default() };
/// assert_eq!(Temperature::META.urn, "urn:oma:lwm2m:ext:3303:1.1");
/// assert_eq!(t.read(5700), Ok(ResourceValue::Single(Value::Float(21.5))));
/// // The derive names the ids: `Temperature::ID` is 3303, `Temperature::VALUE` 5700.
/// assert_eq!(t.read(Temperature::VALUE), Ok(ResourceValue::Single(Value::Float(21.5))));
/// assert_eq!(Temperature::resource_path(0, Temperature::VALUE).to_string(), "/3303/0/5700");
/// assert_eq!(t.read(5750), Err(Error::NotFound { resource: 5750 }));
/// t.write(5750, ResourceValue::Single(Value::String("room".into())))?;
/// assert_eq!(t.application.as_deref(), Some("room"));
/// assert_eq!(
///     t.write(5700, ResourceValue::Single(Value::Float(0.0))),
///     Err(Error::MethodNotAllowed { resource: 5700 })
/// );
/// # Ok::<(), Error>(())
/// ```
pub trait Object {
    /// The object's static metadata: ids, names, operations, data types.
    const META: &'static ObjectMeta;

    /// Reads a resource: [`Error::NotFound`] for an unknown id or an absent optional resource,
    /// [`Error::MethodNotAllowed`] for a resource that is not readable.
    ///
    /// The default, which `#[derive(Object)]` and lwm2m-codegen use, reads the field of the
    /// resource (see [`ResourceField`](crate::ResourceField)); an `impl Object` written by hand
    /// implements it.
    fn read(&self, resource: u16) -> Result<ResourceValue, Error> {
        let (index, meta) = private::find(Self::META, resource)?;
        private::read(self.__field(index), meta)
    }

    /// Writes a resource (a multiple one: replaces all its instances). [`Error::NotFound`] for an
    /// unknown id, [`Error::MethodNotAllowed`] for a resource that is not writable, or a value error;
    /// on error the object is unchanged. The default writes the field, as [`Object::read`].
    fn write(&mut self, resource: u16, value: ResourceValue) -> Result<(), Error> {
        let (index, meta) = private::find(Self::META, resource)?;
        private::write(self.__field_mut(index), meta, value)
    }

    /// Removes an optional resource's value (see [`ResourceField::reset`]), whatever its
    /// operations: what a Replace write does to the resources it omits. [`Error::NotFound`] for
    /// an unknown id. The default resets the field, as [`Object::read`].
    ///
    /// [`ResourceField::reset`]: crate::ResourceField::reset
    fn reset(&mut self, resource: u16) -> Result<(), Error> {
        let (index, meta) = private::find(Self::META, resource)?;
        private::reset(self.__field_mut(index), meta)
    }

    /// Reads a resource whatever its operations (a device-side read, such as the client reading
    /// its Security object): [`Object::read`] without the operation check. The default reads the
    /// field without the check; an object without fields (an `impl Object` written by hand) gets
    /// [`Object::read`].
    fn read_unchecked(&self, resource: u16) -> Result<ResourceValue, Error> {
        if let Ok((index, meta)) = private::find(Self::META, resource) {
            if let Some(field) = self.__field(index) {
                return field.dyn_read(meta);
            }
        }
        self.read(resource)
    }

    /// Writes a resource whatever its operations (a device-side or Bootstrap-Server write):
    /// [`Object::write`] without the operation check; the value is still converted and checked
    /// against the resource's shape. The default writes the field without the check; an object
    /// without fields gets [`Object::write`].
    fn write_unchecked(&mut self, resource: u16, value: ResourceValue) -> Result<(), Error> {
        if let Ok((index, meta)) = private::find(Self::META, resource) {
            if let Some(field) = self.__field_mut(index) {
                return field.dyn_write(meta, value);
            }
        }
        self.write(resource, value)
    }

    /// Not a public API: the field of the resource at `index` in `META.resources`, which
    /// `#[derive(Object)]` and lwm2m-codegen write (one match per object); the default methods
    /// above read and write through it. `None` (the default) for an object without fields.
    #[doc(hidden)]
    fn __field(&self, index: usize) -> Option<&dyn DynResourceField> {
        let _ = index;
        None
    }

    /// Not a public API: the `&mut` twin of `__field`.
    #[doc(hidden)]
    fn __field_mut(&mut self, index: usize) -> Option<&mut dyn DynResourceField> {
        let _ = index;
        None
    }

    /// Not a public API: `true` when every resource is a field reached through `__field` and
    /// `__field_mut`, and the provided methods above are not overridden: `#[derive(Object)]`
    /// and lwm2m-codegen set it. A store then reads and writes such an object through shared
    /// code over `dyn ObjectInstance` (compiled once), instead of this type's own copies of the
    /// provided methods.
    #[doc(hidden)]
    const __FIELDS: bool = false;

    /// The path `/OBJECT/instance` of an instance of this object.
    fn instance_path(instance: u16) -> Path {
        Path::instance(Self::META.id, instance)
    }

    /// The path `/OBJECT/instance/resource`, with the resource id constants of
    /// `#[derive(Object)]`: `Temperature::resource_path(0, Temperature::SENSOR_VALUE)` is
    /// `/3303/0/5700`, for [`Client::resource_changed`](crate::client::Client::resource_changed).
    fn resource_path(instance: u16, resource: u16) -> Path {
        Path::resource(Self::META.id, instance, resource)
    }
}

/// An object instance behind a pointer: what a store keeps as `Box<dyn ObjectInstance>`.
///
/// Every [`Object`] is one, through a blanket implementation. Its methods have the same names
/// as [`Object`]'s: with both traits in scope, call a concrete type's methods as
/// `Object::read(&x, id)`.
pub trait ObjectInstance: Any {
    /// The object's static metadata ([`Object::META`]).
    fn meta(&self) -> &'static ObjectMeta;

    /// Reads a resource, as [`Object::read`].
    fn read(&self, resource: u16) -> Result<ResourceValue, Error>;

    /// Writes a resource, as [`Object::write`].
    fn write(&mut self, resource: u16, value: ResourceValue) -> Result<(), Error>;

    /// The instance as [`Any`], to get the concrete type back.
    fn as_any(&self) -> &dyn Any;

    /// The instance as mutable [`Any`], to get the concrete type back.
    fn as_any_mut(&mut self) -> &mut dyn Any;

    /// Not a public API: [`Object::__field`], for the shared code of [`Object::__FIELDS`]
    /// objects.
    #[doc(hidden)]
    fn __field(&self, index: usize) -> Option<&dyn DynResourceField> {
        let _ = index;
        None
    }

    /// Not a public API: [`Object::__field_mut`].
    #[doc(hidden)]
    fn __field_mut(&mut self, index: usize) -> Option<&mut dyn DynResourceField> {
        let _ = index;
        None
    }

    /// Not a public API: [`Object::__FIELDS`].
    #[doc(hidden)]
    fn __fields(&self) -> bool {
        false
    }

    /// Not a public API: [`Object::read_unchecked`], for the store's shared code.
    #[doc(hidden)]
    fn __read_unchecked(&self, resource: u16) -> Result<ResourceValue, Error> {
        self.read(resource)
    }

    /// Not a public API: [`Object::write_unchecked`], for the store's shared code.
    #[doc(hidden)]
    fn __write_unchecked(&mut self, resource: u16, value: ResourceValue) -> Result<(), Error> {
        self.write(resource, value)
    }

    /// Not a public API: [`Object::reset`], for the store's shared code.
    #[doc(hidden)]
    fn __reset(&mut self, resource: u16) -> Result<(), Error> {
        Err(Error::NotFound { resource })
    }
}

// Each method of an `Object::__FIELDS` object is a jump to shared code (the constant is known
// per type, so the other branch is not compiled): per object type there are only these
// forwarding functions, not five copies of the provided methods of `Object`.
impl<T: Object + Any> ObjectInstance for T {
    fn meta(&self) -> &'static ObjectMeta {
        T::META
    }

    fn read(&self, resource: u16) -> Result<ResourceValue, Error> {
        if T::__FIELDS {
            fields::read(self, resource, true)
        } else {
            Object::read(self, resource)
        }
    }

    fn write(&mut self, resource: u16, value: ResourceValue) -> Result<(), Error> {
        if T::__FIELDS {
            fields::write(self, resource, value, true)
        } else {
            Object::write(self, resource, value)
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn __field(&self, index: usize) -> Option<&dyn DynResourceField> {
        Object::__field(self, index)
    }

    fn __field_mut(&mut self, index: usize) -> Option<&mut dyn DynResourceField> {
        Object::__field_mut(self, index)
    }

    fn __fields(&self) -> bool {
        T::__FIELDS
    }

    fn __read_unchecked(&self, resource: u16) -> Result<ResourceValue, Error> {
        if T::__FIELDS {
            fields::read(self, resource, false)
        } else {
            Object::read_unchecked(self, resource)
        }
    }

    fn __write_unchecked(&mut self, resource: u16, value: ResourceValue) -> Result<(), Error> {
        if T::__FIELDS {
            fields::write(self, resource, value, false)
        } else {
            Object::write_unchecked(self, resource, value)
        }
    }

    fn __reset(&mut self, resource: u16) -> Result<(), Error> {
        if T::__FIELDS {
            fields::reset(self, resource)
        } else {
            Object::reset(self, resource)
        }
    }
}

/// The provided methods of [`Object`] over `dyn` [`ObjectInstance`], for the objects whose
/// resources are all fields ([`Object::__FIELDS`]): what they do, compiled once.
mod fields {
    use super::{ObjectInstance, private};
    use crate::error::Error;
    use crate::field::ResourceValue;

    /// [`Object::read`](super::Object::read) (`checked`) or
    /// [`Object::read_unchecked`](super::Object::read_unchecked).
    pub(super) fn read(
        object: &dyn ObjectInstance,
        resource: u16,
        checked: bool,
    ) -> Result<ResourceValue, Error> {
        let (index, meta) = private::find(object.meta(), resource)?;
        let field = object.__field(index);
        if checked {
            private::read(field, meta)
        } else {
            field.ok_or(Error::NotFound { resource })?.dyn_read(meta)
        }
    }

    /// [`Object::write`](super::Object::write) (`checked`) or
    /// [`Object::write_unchecked`](super::Object::write_unchecked).
    pub(super) fn write(
        object: &mut dyn ObjectInstance,
        resource: u16,
        value: ResourceValue,
        checked: bool,
    ) -> Result<(), Error> {
        let (index, meta) = private::find(object.meta(), resource)?;
        let field = object.__field_mut(index);
        if checked {
            private::write(field, meta, value)
        } else {
            field
                .ok_or(Error::NotFound { resource })?
                .dyn_write(meta, value)
        }
    }

    /// [`Object::reset`](super::Object::reset).
    pub(super) fn reset(object: &mut dyn ObjectInstance, resource: u16) -> Result<(), Error> {
        let (index, meta) = private::find(object.meta(), resource)?;
        private::reset(object.__field_mut(index), meta)
    }
}

impl dyn ObjectInstance {
    /// The instance as its concrete type, if it is a `T`.
    pub fn downcast_ref<T: Object + Any>(&self) -> Option<&T> {
        self.as_any().downcast_ref()
    }

    /// The instance as its concrete mutable type, if it is a `T`.
    pub fn downcast_mut<T: Object + Any>(&mut self) -> Option<&mut T> {
        self.as_any_mut().downcast_mut()
    }
}

/// Includes the object structs that `lwm2m-codegen` wrote from a build script.
///
/// `include_objects!()` is `include!(concat!(env!("OUT_DIR"), "/lwm2m_objects.rs"))`;
/// `include_objects!("other.rs")` includes `$OUT_DIR/other.rs` instead. Use it at module level,
/// in a crate whose `build.rs` generates the file.
///
/// ```ignore
/// // src/objects.rs
/// lwm2m::include_objects!();
/// ```
#[macro_export]
macro_rules! include_objects {
    () => {
        ::core::include!(::core::concat!(
            ::core::env!("OUT_DIR"),
            "/lwm2m_objects.rs"
        ));
    };
    ($file:literal) => {
        ::core::include!(::core::concat!(::core::env!("OUT_DIR"), "/", $file));
    };
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::meta::{Constraint, Operations, ResourceMeta};
    use crate::prelude::*;
    use crate::store::{ObjectStore, WriteMode};
    use crate::value::{Kind, Value};

    static RESOURCES: [ResourceMeta; 1] = [ResourceMeta {
        id: 1,
        name: "Doubled",
        operations: Operations::ReadWrite,
        kind: Kind::Integer,
        multiple: false,
        mandatory: false,
        units: None,
        range: None,
        constraint: Constraint::None,
    }];

    /// An `impl Object` written by hand, without fields: its own `read`, `write` and `reset`
    /// (it stores twice what is written), which a store must call, not the shared field code.
    #[derive(Debug, Default, Clone, PartialEq)]
    struct Doubler {
        doubled: Option<i64>,
    }

    impl Object for Doubler {
        const META: &'static ObjectMeta = &ObjectMeta {
            id: 40020,
            name: "Doubler",
            version: "1.0",
            lwm2m_version: "1.1",
            urn: "urn:oma:lwm2m:x:40020",
            multiple: false,
            mandatory: false,
            resources: &RESOURCES,
        };

        fn read(&self, resource: u16) -> Result<ResourceValue, Error> {
            match (resource, self.doubled) {
                (1, Some(n)) => Ok(ResourceValue::Single(Value::Integer(n))),
                _ => Err(Error::NotFound { resource }),
            }
        }

        fn write(&mut self, resource: u16, value: ResourceValue) -> Result<(), Error> {
            match (resource, value) {
                (1, ResourceValue::Single(Value::Integer(n))) => {
                    self.doubled = Some(n * 2);
                    Ok(())
                }
                _ => Err(Error::NotFound { resource }),
            }
        }

        fn reset(&mut self, resource: u16) -> Result<(), Error> {
            self.doubled = None;
            let _ = resource;
            Ok(())
        }
    }

    #[test]
    fn a_store_calls_the_methods_of_a_hand_written_object() -> Result<(), Error> {
        const { assert!(!<Doubler as Object>::__FIELDS) };
        let mut store = ObjectStore::new();
        store.insert(0, Doubler::default(), ())?;
        let one = |n| vec![(1, ResourceValue::Single(Value::Integer(n)))];
        store.write(40020, 0, one(4), WriteMode::Update)?;
        assert_eq!(
            store.read(40020, 0, 1)?,
            ResourceValue::Single(Value::Integer(8))
        );
        store.write_internal(40020, 0, one(5), WriteMode::Update)?;
        assert_eq!(
            store.read_internal(40020, 0, 1)?,
            ResourceValue::Single(Value::Integer(10))
        );
        // A Replace that omits the resource resets it through the object's own `reset`.
        store.write(40020, 0, vec![], WriteMode::Replace)?;
        assert_eq!(store.get::<Doubler>(0), Some(&Doubler { doubled: None }));
        Ok(())
    }

    static PAIR: [ResourceMeta; 2] = [
        ResourceMeta {
            id: 1,
            ..RESOURCES[0]
        },
        ResourceMeta {
            id: 2,
            ..RESOURCES[0]
        },
    ];

    /// A hand-written object whose `reset` of resource 2 fails: a Replace that omits it fails
    /// after writing resource 1, and resource 1 is put back.
    #[derive(Debug, Default, Clone, PartialEq)]
    struct Pair {
        first: i64,
        second: i64,
    }

    impl Object for Pair {
        const META: &'static ObjectMeta = &ObjectMeta {
            id: 40022,
            resources: &PAIR,
            ..*Doubler::META
        };

        fn read(&self, resource: u16) -> Result<ResourceValue, Error> {
            match resource {
                1 => Ok(ResourceValue::Single(Value::Integer(self.first))),
                2 => Ok(ResourceValue::Single(Value::Integer(self.second))),
                _ => Err(Error::NotFound { resource }),
            }
        }

        fn write(&mut self, resource: u16, value: ResourceValue) -> Result<(), Error> {
            match (resource, value) {
                (1, ResourceValue::Single(Value::Integer(n))) => self.first = n,
                (2, ResourceValue::Single(Value::Integer(n))) => self.second = n,
                _ => return Err(Error::NotFound { resource }),
            }
            Ok(())
        }

        fn reset(&mut self, resource: u16) -> Result<(), Error> {
            Err(Error::BadRequest {
                reason: format!("{resource} cannot be removed"),
            })
        }
    }

    #[test]
    fn a_failed_reset_of_a_hand_written_object_undoes_the_write() -> Result<(), Error> {
        let mut store = ObjectStore::new();
        store.insert(
            0,
            Pair {
                first: 1,
                second: 2,
            },
            (),
        )?;
        let first = vec![(1, ResourceValue::Single(Value::Integer(7)))];
        assert!(matches!(
            store.write(40022, 0, first, WriteMode::Replace),
            Err(Error::BadRequest { .. })
        ));
        assert_eq!(
            store.get::<Pair>(0),
            Some(&Pair {
                first: 1,
                second: 2
            })
        );
        Ok(())
    }

    /// A derived object through `dyn ObjectInstance` (the shared code): the operations checked
    /// by `read` and `write`, not by the unchecked twins.
    #[cfg(feature = "derive")]
    #[test]
    fn a_derived_object_behind_a_pointer_checks_the_operations() -> Result<(), Error> {
        #[derive(Debug, Default, lwm2m_derive::Object)]
        #[lwm2m(crate = "crate", id = 40021)]
        struct Probe {
            #[lwm2m(id = 9, op = "R")]
            read_only: i64,
            #[lwm2m(id = 2, op = "W")]
            write_only: Option<String>,
        }
        const { assert!(<Probe as Object>::__FIELDS) };
        let single = ResourceValue::Single;
        let mut probe = Probe::default();
        let object: &mut dyn ObjectInstance = &mut probe;
        assert_eq!(
            object.write(9, single(Value::Integer(1))),
            Err(Error::MethodNotAllowed { resource: 9 })
        );
        object.__write_unchecked(9, single(Value::Integer(1)))?;
        assert_eq!(object.read(9), Ok(single(Value::Integer(1))));
        object.write(2, single(Value::String("x".into())))?;
        assert_eq!(object.read(2), Err(Error::MethodNotAllowed { resource: 2 }));
        assert_eq!(
            object.__read_unchecked(2),
            Ok(single(Value::String("x".into())))
        );
        object.__reset(2)?;
        assert_eq!(
            object.__read_unchecked(2),
            Err(Error::NotFound { resource: 2 })
        );
        assert_eq!(object.__reset(7), Err(Error::NotFound { resource: 7 }));
        assert_eq!(object.read(7), Err(Error::NotFound { resource: 7 }));
        assert_eq!(probe.read_only, 1);
        Ok(())
    }
}
