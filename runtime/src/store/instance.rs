//! What the store keeps of an instance ([`Erased`]: its [`Parts`] behind a pointer), the
//! [`ManagedInstance`] interface over it, and the shared code of a read and an execute.

use crate::prelude::*;

use super::WriteMode;
use super::write::{apply_write, write_resource_instance};
use crate::error::Error;
use crate::execute::ExecuteArgs;
use crate::field::ResourceValue;
use crate::handler::Handler;
use crate::meta::{ObjectMeta, ResourceMeta};
use crate::object::{Object, ObjectInstance};
use crate::validate;
use crate::value::Value;

/// An object instance together with its handler, behind a pointer: what the store keeps.
///
/// The store's instances ([`ObjectStore::instance`](super::ObjectStore::instance)) are one; so is an [`Instance`] (an object
/// value with its handler), which is what the store keeps of it. Every method applies the
/// server-side checks of [`validate`].
pub trait ManagedInstance: 'static {
    /// The object's metadata.
    fn meta(&self) -> &'static ObjectMeta;

    /// The object value, for the device's code (get the concrete type back with
    /// `downcast_ref` of `dyn` [`ObjectInstance`], or use [`ObjectStore::get`](super::ObjectStore::get)).
    fn object(&self) -> &dyn ObjectInstance;

    /// The object value, mutable, for the device's code.
    fn object_mut(&mut self) -> &mut dyn ObjectInstance;

    /// A server read of one resource: checks, [`Handler::read`], then the struct.
    fn read(&mut self, resource: u16) -> Result<ResourceValue, Error>;

    /// A server read of one instance of a multiple resource.
    fn read_resource_instance(&mut self, resource: u16, instance: u16) -> Result<Value, Error>;

    /// A server read of the whole instance: every readable resource that is present, by id.
    fn read_all(&mut self) -> Result<Vec<(u16, ResourceValue)>, Error>;

    /// A server write of several resources, all or nothing (see [`WriteMode`]).
    fn write(&mut self, changes: Vec<(u16, ResourceValue)>, mode: WriteMode) -> Result<(), Error>;

    /// A server write of one instance of a multiple resource (added or replaced).
    fn write_resource_instance(
        &mut self,
        resource: u16,
        instance: u16,
        value: Value,
    ) -> Result<(), Error>;

    /// A server execute.
    fn execute(&mut self, resource: u16, args: &ExecuteArgs) -> Result<(), Error>;

    /// A device-side read of one resource: [`ManagedInstance::read`] without the operation
    /// check (for the client itself, such as reading the Security object).
    fn read_internal(&mut self, resource: u16) -> Result<ResourceValue, Error>;

    /// A device-side write (for the client itself and the Bootstrap-Server):
    /// [`ManagedInstance::write`] without the operation check; values are still checked.
    fn write_internal(
        &mut self,
        changes: Vec<(u16, ResourceValue)>,
        mode: WriteMode,
    ) -> Result<(), Error>;

    /// Tells the handler the instance was created with this id.
    fn created(&mut self, instance: u16);

    /// Tells the handler the instance with this id was deleted.
    fn deleted(&mut self, instance: u16);
}

/// An object value `T` and its handler `H`: what the store keeps of an instance (boxed, its
/// types erased), and a [`ManagedInstance`] of its own.
#[derive(Debug, Clone)]
pub struct Instance<T, H> {
    /// The object's data.
    pub value: T,
    /// Its behaviour.
    pub handler: H,
}

/// What the store's shared code needs of an [`Instance`]: the object and its handler behind
/// pointers. Everything a [`ManagedInstance`] does is written once, over `&mut dyn Parts`
/// ([`checked_read`], [`apply_write`], ...); per object type there are only these forwarding
/// methods and the one-line methods of [`ManagedInstance`].
pub(super) trait Parts {
    fn meta(&self) -> &'static ObjectMeta;
    fn object(&self) -> &dyn ObjectInstance;
    fn object_mut(&mut self) -> &mut dyn ObjectInstance;
    /// [`Handler::read`].
    fn handler_read(&mut self, resource: u16) -> Result<(), Error>;
    /// [`Handler::validate_write`].
    fn validate_write(&mut self, changes: &[(u16, ResourceValue)]) -> Result<(), Error>;
    /// [`Handler::written`].
    fn written(&mut self, resources: &[u16]);
    /// [`Handler::execute`].
    fn handler_execute(&mut self, resource: u16, args: &ExecuteArgs) -> Result<(), Error>;
    /// [`Handler::created`].
    fn created(&mut self, instance: u16);
    /// [`Handler::deleted`].
    fn deleted(&mut self, instance: u16);
}

impl<T: Object + 'static, H: Handler<T>> Parts for Instance<T, H> {
    fn meta(&self) -> &'static ObjectMeta {
        T::META
    }

    fn object(&self) -> &dyn ObjectInstance {
        &self.value
    }

    fn object_mut(&mut self) -> &mut dyn ObjectInstance {
        &mut self.value
    }

    fn handler_read(&mut self, resource: u16) -> Result<(), Error> {
        self.handler.read(&mut self.value, resource)
    }

    fn validate_write(&mut self, changes: &[(u16, ResourceValue)]) -> Result<(), Error> {
        self.handler.validate_write(&self.value, changes)
    }

    fn written(&mut self, resources: &[u16]) {
        self.handler.written(&mut self.value, resources);
    }

    fn handler_execute(&mut self, resource: u16, args: &ExecuteArgs) -> Result<(), Error> {
        self.handler.execute(&mut self.value, resource, args)
    }

    fn created(&mut self, instance: u16) {
        self.handler.created(&mut self.value, instance);
    }

    fn deleted(&mut self, instance: u16) {
        self.handler.deleted(&self.value, instance);
    }
}

/// What the store keeps of an instance: its [`Parts`] behind a pointer. One [`ManagedInstance`]
/// implementation, and so one vtable of it, for all object types (an [`Instance`] is a
/// `ManagedInstance` too, through the same code, for the device's own use).
pub(super) struct Erased(pub(super) Box<dyn Parts>);

/// What reaches the [`Parts`] of an instance: the store's [`Erased`] box, or an [`Instance`]
/// itself. [`ManagedInstance`] is written once over it.
trait AsParts {
    /// The instance's parts.
    fn parts(&self) -> &dyn Parts;
    /// The instance's parts, mutable.
    fn parts_mut(&mut self) -> &mut dyn Parts;
}

impl AsParts for Erased {
    fn parts(&self) -> &dyn Parts {
        &*self.0
    }

    fn parts_mut(&mut self) -> &mut dyn Parts {
        &mut *self.0
    }
}

impl<T: Object + 'static, H: Handler<T>> AsParts for Instance<T, H> {
    fn parts(&self) -> &dyn Parts {
        self
    }

    fn parts_mut(&mut self) -> &mut dyn Parts {
        self
    }
}

// One implementation for the store's instances and for an `Instance` held by the device's own
// code; the store uses only `Erased`'s, so per object type nothing of it is compiled.
impl<P: AsParts + 'static> ManagedInstance for P {
    fn meta(&self) -> &'static ObjectMeta {
        self.parts().meta()
    }

    fn object(&self) -> &dyn ObjectInstance {
        self.parts().object()
    }

    fn object_mut(&mut self) -> &mut dyn ObjectInstance {
        self.parts_mut().object_mut()
    }

    fn read(&mut self, resource: u16) -> Result<ResourceValue, Error> {
        checked_read(self.parts_mut(), resource)
    }

    fn read_resource_instance(&mut self, resource: u16, instance: u16) -> Result<Value, Error> {
        read_resource_instance(self.parts_mut(), resource, instance)
    }

    fn read_all(&mut self) -> Result<Vec<(u16, ResourceValue)>, Error> {
        read_all(self.parts_mut())
    }

    fn write(&mut self, changes: Vec<(u16, ResourceValue)>, mode: WriteMode) -> Result<(), Error> {
        apply_write(self.parts_mut(), changes, mode, true)
    }

    fn write_resource_instance(
        &mut self,
        resource: u16,
        instance: u16,
        value: Value,
    ) -> Result<(), Error> {
        write_resource_instance(self.parts_mut(), resource, instance, value)
    }

    fn execute(&mut self, resource: u16, args: &ExecuteArgs) -> Result<(), Error> {
        execute(self.parts_mut(), resource, args)
    }

    fn read_internal(&mut self, resource: u16) -> Result<ResourceValue, Error> {
        read_internal(self.parts_mut(), resource)
    }

    fn write_internal(
        &mut self,
        changes: Vec<(u16, ResourceValue)>,
        mode: WriteMode,
    ) -> Result<(), Error> {
        apply_write(self.parts_mut(), changes, mode, false)
    }

    fn created(&mut self, instance: u16) {
        self.parts_mut().created(instance);
    }

    fn deleted(&mut self, instance: u16) {
        self.parts_mut().deleted(instance);
    }
}

/// The metadata of `resource`, or [`Error::NotFound`].
pub(super) fn resource_of(
    meta: &'static ObjectMeta,
    resource: u16,
) -> Result<&'static ResourceMeta, Error> {
    meta.resource(resource).ok_or(Error::NotFound { resource })
}

/// A server read of one resource: the operations checked, [`Handler::read`], then the struct.
fn checked_read(inst: &mut dyn Parts, resource: u16) -> Result<ResourceValue, Error> {
    let meta = resource_of(inst.meta(), resource)?;
    read_checked(inst, meta)
}

/// [`checked_read`] of a resource whose metadata is at hand.
fn read_checked(inst: &mut dyn Parts, meta: &ResourceMeta) -> Result<ResourceValue, Error> {
    validate::check_read(meta)?;
    inst.handler_read(meta.id)?;
    inst.object().read(meta.id)
}

/// [`ManagedInstance::read_resource_instance`].
fn read_resource_instance(
    inst: &mut dyn Parts,
    resource: u16,
    instance: u16,
) -> Result<Value, Error> {
    match checked_read(inst, resource)? {
        ResourceValue::Multiple(mut values) => values
            .remove(&instance)
            .ok_or(Error::ResourceInstanceNotFound { resource, instance }),
        ResourceValue::Single(_) => Err(Error::ResourceInstanceNotFound { resource, instance }),
    }
}

/// [`ManagedInstance::read_all`].
fn read_all(inst: &mut dyn Parts) -> Result<Vec<(u16, ResourceValue)>, Error> {
    // One allocation: room for every readable resource (an absent optional one leaves a slot
    // unused) instead of the doublings a read of the Device's 20 values went through.
    let readable = inst.meta().resources.iter();
    let mut all = Vec::with_capacity(readable.filter(|m| m.operations.is_readable()).count());
    for meta in inst.meta().resources {
        if !meta.operations.is_readable() {
            continue;
        }
        match read_checked(inst, meta) {
            Ok(value) => all.push((meta.id, value)),
            Err(Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(all)
}

/// [`ManagedInstance::read_internal`].
fn read_internal(inst: &mut dyn Parts, resource: u16) -> Result<ResourceValue, Error> {
    resource_of(inst.meta(), resource)?;
    inst.handler_read(resource)?;
    inst.object().__read_unchecked(resource)
}

/// [`ManagedInstance::execute`].
fn execute(inst: &mut dyn Parts, resource: u16, args: &ExecuteArgs) -> Result<(), Error> {
    validate::check_execute(resource_of(inst.meta(), resource)?)?;
    inst.handler_execute(resource, args)
}
