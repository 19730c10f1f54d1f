//! [`ObjectStore`]: the object instances of a device, by `(object id, instance id)`, each with
//! its [`Handler`].
//!
//! Everything a server does goes through the store, which checks the request against the
//! registry metadata ([`validate`]) before anything changes:
//!
//! - [`read`](ObjectStore::read): [`Handler::read`] refreshes the value, then the struct is read;
//! - [`write`](ObjectStore::write): a whole instance, [`WriteMode::Replace`] (PUT: optional
//!   writable resources it omits are removed) or [`WriteMode::Update`] (POST: the others stay;
//!   the given instances of a multiple resource are added to or replace the existing ones). All
//!   or nothing: every value is checked, then [`Handler::validate_write`] is asked, then the
//!   changes are applied, the previous value of each resource they touch kept aside and put
//!   back if one of them fails;
//! - [`execute`](ObjectStore::execute): parsed arguments to [`Handler::execute`];
//! - [`create`](ObjectStore::create) and [`delete`](ObjectStore::delete), for objects made
//!   creatable with [`ObjectStore::creatable`]; a single-instance object refuses a second instance.
//!
//! - device-side access ([`read_internal`](ObjectStore::read_internal),
//!   [`write_internal`](ObjectStore::write_internal),
//!   [`create_internal`](ObjectStore::create_internal)): for the client itself and the
//!   Bootstrap-Server, which may read and write resources no management server may (the Security
//!   object's resources have no operations at all, the Server's Short Server ID is read-only).
//!   Values are still checked for shape, type and constraints; only the operation check is
//!   skipped.
//!
//! Iteration ([`ObjectStore::objects`], [`ObjectStore::instances`]) is in ascending id order, as
//! Discover and the registration's object links list them.
//!
//! # Example
//!
//! ```
//! use lwm2m::store::{ObjectStore, WriteMode};
//! use lwm2m::{Error, ExecuteArgs, Executable, Handler, Object, ResourceValue, Value};
//!
//! #[derive(Debug, Default, Clone, PartialEq, Object)]
//! #[lwm2m(id = 3311, name = "Light Control", multiple)]
//! struct Light {
//!     #[lwm2m(id = 5850, name = "On/Off", op = "RW", mandatory)]
//!     on: bool,
//!     #[lwm2m(id = 5851, name = "Dimmer", op = "RW", min = "0", max = "100")]
//!     dimmer: Option<i64>,
//!     #[lwm2m(id = 5852, name = "On Time", op = "R")]
//!     on_time: Option<i64>,
//!     #[lwm2m(id = 5853, name = "Toggle", op = "E")]
//!     toggle: Executable,
//! }
//!
//! struct Switch;
//!
//! impl Handler<Light> for Switch {
//!     fn execute(&mut self, light: &mut Light, resource: u16, _: &ExecuteArgs) -> Result<(), Error> {
//!         light.on = !light.on;
//!         Ok(())
//!     }
//! }
//!
//! let mut store = ObjectStore::new();
//! store.insert(0, Light::default(), Switch)?;
//! store.execute(3311, 0, 5853, &ExecuteArgs::new())?;
//! assert_eq!(store.read(3311, 0, 5850)?, ResourceValue::Single(Value::Boolean(true)));
//!
//! // Out of range: refused, nothing changed (not even the valid On/Off in the same write).
//! let before = store.get::<Light>(0).cloned();
//! let err = store.write(3311, 0, vec![
//!     (5850, ResourceValue::Single(Value::Boolean(false))),
//!     (5851, ResourceValue::Single(Value::Integer(150))),
//! ], WriteMode::Update);
//! assert_eq!(err.map_err(|e| e.coap_code()), Err((4, 0)));
//! assert_eq!(store.get::<Light>(0).cloned(), before);
//! # Ok::<(), Error>(())
//! ```

use crate::field::Instances;
use crate::prelude::*;
use litemap::LiteMap;

use crate::codec::KindLookup;
use crate::error::Error;
use crate::execute::ExecuteArgs;
use crate::field::ResourceValue;
use crate::handler::Handler;
use crate::meta::{ObjectMeta, ResourceMeta};
use crate::object::{Object, ObjectInstance};
use crate::path::Path;
use crate::validate;
use crate::value::{Kind, Value};

/// How a write of an instance treats the resources it does not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Replace (CoAP PUT): optional writable resources not given are removed; a multiple
    /// resource given is replaced as a whole. Mandatory ones not given keep their value.
    Replace,
    /// Partial update (CoAP POST): resources not given stay; the instances of a multiple
    /// resource given are added to, or replace, the existing ones.
    Update,
    /// Replace of the resources given (CoAP PUT on a resource path, LwM2M Core TS §6.3.3 Write
    /// "replace" on a resource): each resource given is replaced as a whole, so a multiple
    /// resource keeps exactly the instances given; resources not given stay.
    ReplaceResources,
}

/// An object instance together with its handler, behind a pointer: what the store keeps.
///
/// The store's instances ([`ObjectStore::instance`]) are one; so is an [`Instance`] (an object
/// value with its handler), which is what the store keeps of it. Every method applies the
/// server-side checks of [`validate`].
pub trait ManagedInstance: 'static {
    /// The object's metadata.
    fn meta(&self) -> &'static ObjectMeta;

    /// The object value, for the device's code (get the concrete type back with
    /// `downcast_ref` of `dyn` [`ObjectInstance`], or use [`ObjectStore::get`]).
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
trait Parts {
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
struct Erased(Box<dyn Parts>);

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
fn resource_of(meta: &'static ObjectMeta, resource: u16) -> Result<&'static ResourceMeta, Error> {
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

/// [`ManagedInstance::write_resource_instance`].
fn write_resource_instance(
    inst: &mut dyn Parts,
    resource: u16,
    instance: u16,
    value: Value,
) -> Result<(), Error> {
    if !resource_of(inst.meta(), resource)?.multiple {
        return Err(Error::ResourceInstanceNotFound { resource, instance });
    }
    let mut given = Instances::new();
    given.insert(instance, value);
    apply_write(
        inst,
        vec![(resource, ResourceValue::Multiple(given))],
        WriteMode::Update,
        true,
    )
}

/// [`ManagedInstance::execute`].
fn execute(inst: &mut dyn Parts, resource: u16, args: &ExecuteArgs) -> Result<(), Error> {
    validate::check_execute(resource_of(inst.meta(), resource)?)?;
    inst.handler_execute(resource, args)
}

/// A write of `changes`: `server` checks the operations (a server's write), otherwise only
/// that the resources exist and the values fit them (the device's or bootstrap's write).
///
/// All or nothing: the checks and [`Handler::validate_write`] come first; then the changes are
/// applied in place, each resource's previous value kept aside before it changes, and put back
/// if a later change fails (a value the field type cannot hold, say). Only the resources the
/// write touches are copied, not the instance.
fn apply_write(
    inst: &mut dyn Parts,
    changes: Vec<(u16, ResourceValue)>,
    mode: WriteMode,
    server: bool,
) -> Result<(), Error> {
    let meta = inst.meta();
    check_changes(meta, &changes, server)?;
    inst.validate_write(&changes)?;
    let ids: Vec<u16> = changes.iter().map(|(id, _)| *id).collect();
    let mut undo = Vec::with_capacity(changes.len());
    let object = inst.object_mut();
    if let Err(e) = write_changes(object, meta, changes, &ids, mode, server, &mut undo) {
        // Newest first: a resource saved twice gets its oldest value last.
        for (resource, old) in undo.into_iter().rev() {
            // Puts back what was read from the same field: cannot fail for a derived object.
            let _ = match old {
                Some(value) => object.__write_unchecked(resource, value),
                None => object.__reset(resource),
            };
        }
        return Err(e);
    }
    inst.written(&ids);
    Ok(())
}

/// The previous values of the resources a write changed, for [`apply_write`] to put back: `None`
/// for one that was absent (put back by a reset).
type Undo = Vec<(u16, Option<ResourceValue>)>;

/// The current value of `resource`, `None` if absent (or not readable back: write-only on a
/// hand-written object). An error other than absence (a value the declared type cannot carry)
/// refuses the write before it changes that resource.
fn previous(object: &dyn ObjectInstance, resource: u16) -> Result<Option<ResourceValue>, Error> {
    match object.__read_unchecked(resource) {
        Ok(value) => Ok(Some(value)),
        Err(Error::NotFound { .. } | Error::MethodNotAllowed { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The checks of a write before its handler sees it: the operations and the values (a
/// server's write), or only that the resources exist and the values fit them.
fn check_changes(
    meta: &'static ObjectMeta,
    changes: &[(u16, ResourceValue)],
    server: bool,
) -> Result<(), Error> {
    if server {
        validate::check_instance_write(meta, changes, false)
    } else {
        for (id, value) in changes {
            validate::check_value(resource_of(meta, *id)?, value)?;
        }
        Ok(())
    }
}

/// Applies checked `changes` (whose ids are `ids`) to `object`, each resource's previous value saved in `undo` first;
/// with [`WriteMode::Update`], merges the instances of a multiple resource; with
/// [`WriteMode::Replace`], then removes the replaceable optional resources not given.
///
/// The removals come last: on a derived or generated object a reset cannot fail, so what they
/// remove need not be saved (the write has succeeded by then). A hand-written object's reset
/// may fail: what it removes is saved first.
fn write_changes(
    object: &mut dyn ObjectInstance,
    meta: &'static ObjectMeta,
    changes: Vec<(u16, ResourceValue)>,
    ids: &[u16],
    mode: WriteMode,
    server: bool,
    undo: &mut Undo,
) -> Result<(), Error> {
    let omitted = |r: &&ResourceMeta, changes: &[u16]| {
        let replaceable = if server {
            r.operations.is_writable()
        } else {
            !r.operations.is_executable()
        };
        replaceable && !r.mandatory && !changes.contains(&r.id)
    };
    for (id, value) in changes {
        let old = previous(object, id)?;
        let value = match (mode, value) {
            (WriteMode::Update, ResourceValue::Multiple(given)) => {
                ResourceValue::Multiple(merged(old.clone(), id, given)?)
            }
            (_, value) => value,
        };
        undo.push((id, old));
        if server {
            object.write(id, value)?;
        } else {
            object.__write_unchecked(id, value)?;
        }
    }
    if mode == WriteMode::Replace {
        let infallible = object.__fields();
        for r in meta.resources.iter().filter(|r| omitted(r, ids)) {
            if !infallible && let Some(old) = previous(object, r.id)? {
                undo.push((r.id, Some(old)));
            }
            object.__reset(r.id)?;
        }
    }
    Ok(())
}

/// The current instances of a multiple resource (`current`, as [`previous`] read it) with
/// `given` added or replaced. A resource that is absent, or that cannot be read back
/// (write-only), starts empty.
fn merged(
    current: Option<ResourceValue>,
    resource: u16,
    given: Instances<Value>,
) -> Result<Instances<Value>, Error> {
    let mut current = match current {
        Some(ResourceValue::Multiple(current)) => current,
        Some(ResourceValue::Single(_)) => return Err(Error::NotSingle { resource }),
        None => Instances::new(),
    };
    // Inserts, not `extend`: litemap's `extend` sorts with a stable sort instantiated for the
    // value type (flash on a device); a few inserts into a sorted Vec are as fast.
    for (id, value) in given {
        current.insert(id, value);
    }
    Ok(current)
}

/// Makes a new instance for a server's create.
type Factory = Box<dyn Fn() -> Erased>;

struct ObjectEntry {
    meta: &'static ObjectMeta,
    factory: Option<Factory>,
    instances: LiteMap<u16, Erased>,
}

/// The largest instance id: 65535 is reserved (`MAX_ID`) by the LwM2M Core TS.
const MAX_INSTANCE_ID: u16 = 65534;

/// The object instances of a device, by `(object id, instance id)`: see the
/// [module documentation](self).
#[derive(Default)]
pub struct ObjectStore {
    objects: LiteMap<u16, ObjectEntry>,
}

impl core::fmt::Debug for ObjectStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut list = f.debug_map();
        for (id, entry) in &self.objects {
            list.entry(id, &entry.instances.keys().collect::<Vec<_>>());
        }
        list.finish()
    }
}

impl ObjectStore {
    /// An empty store.
    pub fn new() -> ObjectStore {
        ObjectStore::default()
    }

    fn entry(&mut self, meta: &'static ObjectMeta) -> &mut ObjectEntry {
        self.objects.entry(meta.id).or_insert_with(|| ObjectEntry {
            meta,
            factory: None,
            instances: LiteMap::new(),
        })
    }

    /// Adds an instance the device owns (not a server's create: no handler notification).
    ///
    /// [`Error::InstanceExists`] if the id is taken, [`Error::SingleInstance`] for a second
    /// instance of a single-instance object, [`Error::BadRequest`] for the reserved id 65535.
    pub fn insert<T: Object + 'static, H: Handler<T>>(
        &mut self,
        instance: u16,
        value: T,
        handler: H,
    ) -> Result<(), Error> {
        self.insert_boxed(
            T::META,
            instance,
            Erased(Box::new(Instance { value, handler })),
        )
    }

    /// [`ObjectStore::insert`] once the instance is boxed: compiled once for every object type.
    fn insert_boxed(
        &mut self,
        meta: &'static ObjectMeta,
        instance: u16,
        boxed: Erased,
    ) -> Result<(), Error> {
        let entry = self.entry(meta);
        admit(entry, instance)?;
        entry.instances.insert(instance, boxed);
        Ok(())
    }

    /// Lets servers create instances of `T`: each new instance starts as `make()` and then
    /// receives the create's values.
    pub fn creatable<T: Object + 'static, H: Handler<T>>(
        &mut self,
        make: impl Fn() -> (T, H) + 'static,
    ) {
        let factory: Factory = Box::new(move || {
            let (value, handler) = make();
            Erased(Box::new(Instance { value, handler }))
        });
        self.entry(T::META).factory = Some(factory);
    }

    /// A server's create: the new instance id (the one given, or the lowest free one).
    ///
    /// Refused, with nothing changed: an unknown object ([`Error::ObjectNotFound`]), one not
    /// [`creatable`](ObjectStore::creatable) ([`Error::CreateNotAllowed`]), a taken id, a second
    /// instance of a single-instance object, a missing mandatory writable resource
    /// ([`Error::MissingMandatory`]) or any value the write would refuse. Then
    /// [`Handler::created`] is called.
    pub fn create(
        &mut self,
        object: u16,
        instance: Option<u16>,
        values: Vec<(u16, ResourceValue)>,
    ) -> Result<u16, Error> {
        self.create_as(object, instance, values, true)
    }

    /// A device-side or bootstrap create ([`ObjectStore::create`] without the operation and
    /// mandatory-resource checks: a Bootstrap-Server writes Security instances whose resources
    /// have no operations). The object must still be [`creatable`](ObjectStore::creatable).
    pub fn create_internal(
        &mut self,
        object: u16,
        instance: Option<u16>,
        values: Vec<(u16, ResourceValue)>,
    ) -> Result<u16, Error> {
        self.create_as(object, instance, values, false)
    }

    /// Whether servers (or the bootstrap server) may create instances of `object`.
    pub fn is_creatable(&self, object: u16) -> bool {
        self.objects
            .get(&object)
            .is_some_and(|entry| entry.factory.is_some())
    }

    fn create_as(
        &mut self,
        object: u16,
        instance: Option<u16>,
        values: Vec<(u16, ResourceValue)>,
        server: bool,
    ) -> Result<u16, Error> {
        let entry = self
            .objects
            .get_mut(&object)
            .ok_or(Error::ObjectNotFound { object })?;
        let factory = entry
            .factory
            .as_ref()
            .ok_or(Error::CreateNotAllowed { object })?;
        let id = match instance {
            Some(id) => id,
            None => (0..=MAX_INSTANCE_ID)
                .find(|id| !entry.instances.contains_key(id))
                .ok_or(Error::BadRequest {
                    reason: format!("object {object} has no free instance id"),
                })?,
        };
        admit(entry, id)?;
        let mut new = factory();
        if server {
            validate::check_instance_write(entry.meta, &values, true)?;
            new.write(values, WriteMode::Update)?;
        } else {
            new.write_internal(values, WriteMode::Update)?;
        }
        new.created(id);
        entry.instances.insert(id, new);
        Ok(id)
    }

    /// A server's delete; [`Handler::deleted`] is called with the instance's last value.
    pub fn delete(&mut self, object: u16, instance: u16) -> Result<(), Error> {
        let entry = self
            .objects
            .get_mut(&object)
            .ok_or(Error::ObjectNotFound { object })?;
        let mut gone = entry
            .instances
            .remove(&instance)
            .ok_or(Error::InstanceNotFound { object, instance })?;
        gone.deleted(instance);
        Ok(())
    }

    /// The instance, type-erased.
    pub fn instance(&self, object: u16, instance: u16) -> Option<&dyn ManagedInstance> {
        let entry = self.objects.get(&object)?;
        entry
            .instances
            .get(&instance)
            .map(|found| found as &dyn ManagedInstance)
    }

    /// The instance, type-erased and mutable: [`Error::ObjectNotFound`] or
    /// [`Error::InstanceNotFound`] if absent.
    pub fn instance_mut(
        &mut self,
        object: u16,
        instance: u16,
    ) -> Result<&mut dyn ManagedInstance, Error> {
        let entry = self
            .objects
            .get_mut(&object)
            .ok_or(Error::ObjectNotFound { object })?;
        match entry.instances.get_mut(&instance) {
            Some(found) => Ok(found),
            None => Err(Error::InstanceNotFound { object, instance }),
        }
    }

    /// The value of instance `instance` of `T`, for the device's code.
    pub fn get<T: Object + 'static>(&self, instance: u16) -> Option<&T> {
        self.instance(T::META.id, instance)?
            .object()
            .downcast_ref::<T>()
    }

    /// The mutable value of instance `instance` of `T`, for the device's code (no checks, no
    /// handler call).
    pub fn get_mut<T: Object + 'static>(&mut self, instance: u16) -> Option<&mut T> {
        self.instance_mut(T::META.id, instance)
            .ok()?
            .object_mut()
            .downcast_mut::<T>()
    }

    /// A server read of `/object/instance/resource`.
    pub fn read(
        &mut self,
        object: u16,
        instance: u16,
        resource: u16,
    ) -> Result<ResourceValue, Error> {
        self.instance_mut(object, instance)?.read(resource)
    }

    /// A server write of an instance (see [`WriteMode`]).
    pub fn write(
        &mut self,
        object: u16,
        instance: u16,
        changes: Vec<(u16, ResourceValue)>,
        mode: WriteMode,
    ) -> Result<(), Error> {
        self.instance_mut(object, instance)?.write(changes, mode)
    }

    /// A device-side read of `/object/instance/resource`: no operation check (see the
    /// [module documentation](self)).
    pub fn read_internal(
        &mut self,
        object: u16,
        instance: u16,
        resource: u16,
    ) -> Result<ResourceValue, Error> {
        self.instance_mut(object, instance)?.read_internal(resource)
    }

    /// A device-side or bootstrap write of an instance: no operation check, values checked.
    pub fn write_internal(
        &mut self,
        object: u16,
        instance: u16,
        changes: Vec<(u16, ResourceValue)>,
        mode: WriteMode,
    ) -> Result<(), Error> {
        self.instance_mut(object, instance)?
            .write_internal(changes, mode)
    }

    /// A server execute of `/object/instance/resource`.
    pub fn execute(
        &mut self,
        object: u16,
        instance: u16,
        resource: u16,
        args: &ExecuteArgs,
    ) -> Result<(), Error> {
        self.instance_mut(object, instance)?.execute(resource, args)
    }

    /// The metadata of object `object`, if the store holds it (with or without instances): one
    /// map lookup, not a walk over [`ObjectStore::objects`].
    pub fn object_meta(&self, object: u16) -> Option<&'static ObjectMeta> {
        self.objects.get(&object).map(|entry| entry.meta)
    }

    /// The metadata of resource `resource` of object `object`, if the store holds the object and
    /// it defines the resource: what the decoders ask for each value they read (see the
    /// [`KindLookup`] implementation of the store).
    pub fn resource_meta(&self, object: u16, resource: u16) -> Option<&'static ResourceMeta> {
        // Without a search for most objects (see `ObjectMeta::position`).
        self.object_meta(object)?.resource(resource)
    }

    /// The objects in the store (with or without instances), by ascending id.
    pub fn objects(&self) -> impl Iterator<Item = &'static ObjectMeta> + '_ {
        self.objects.values().map(|entry| entry.meta)
    }

    /// The instance ids of an object, ascending (none for an unknown object).
    pub fn instances(&self, object: u16) -> impl Iterator<Item = u16> + '_ {
        self.objects
            .get(&object)
            .into_iter()
            .flat_map(|entry| entry.instances.keys().copied())
    }
}

/// The store answers the decoders with the type and multiplicity of the resources of the objects
/// it holds, as a client decodes a server's Write, Create or Write-Composite.
impl KindLookup for ObjectStore {
    fn kind(&self, resource: &Path) -> Option<(Kind, bool)> {
        let meta = self.resource_meta(resource.object_id()?, resource.resource_id()?)?;
        Some((meta.kind, meta.multiple))
    }
}

/// `Ok` if `instance` may be added to the object.
fn admit(entry: &ObjectEntry, instance: u16) -> Result<(), Error> {
    let object = entry.meta.id;
    if instance > MAX_INSTANCE_ID {
        return Err(Error::BadRequest {
            reason: format!("instance id {instance} is reserved"),
        });
    }
    if entry.instances.contains_key(&instance) {
        return Err(Error::InstanceExists { object, instance });
    }
    if !entry.meta.multiple && !entry.instances.is_empty() {
        return Err(Error::SingleInstance { object });
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::objects::{AccessControl, Device, DeviceHandler, Security, Server};

    fn store() -> ObjectStore {
        let mut store = ObjectStore::new();
        store
            .insert(0, Device::demo(), DeviceHandler::default())
            .unwrap();
        store.insert(0, Server::default(), ()).unwrap();
        store.creatable(|| (Security::default(), ()));
        store
    }

    /// An `Instance` held by the device's own code is a `ManagedInstance` through the same
    /// shared code as the store's boxed instances: the same values read, the same server-side
    /// checks on a write (Short Server ID is read-only for a server, writable internally).
    #[test]
    fn an_instance_of_its_own_answers_as_the_store_does() {
        let mut store = store();
        let mut own = Instance {
            value: Server::default(),
            handler: (),
        };
        let held = store.instance_mut(1, 0).unwrap();
        assert_eq!(own.read_all().unwrap(), held.read_all().unwrap());
        let change = || vec![(0, ResourceValue::Single(Value::Integer(7)))];
        assert_eq!(
            format!("{:?}", own.write(change(), WriteMode::Update)),
            format!("{:?}", held.write(change(), WriteMode::Update))
        );
        assert!(own.write(change(), WriteMode::Update).is_err());
        own.write_internal(change(), WriteMode::Update).unwrap();
        assert_eq!(
            own.read(0).unwrap(),
            ResourceValue::Single(Value::Integer(7))
        );
        assert_eq!(own.value.short_server_id, 7);
    }

    /// The direct lookup answers as the binary search of the metadata does, for objects whose
    /// resource ids have gaps and for those without.
    #[test]
    fn resource_lookup_agrees_with_the_metadata() {
        let store = store();
        for meta in [Device::META, Server::META, Security::META] {
            for id in 0..=300 {
                assert_eq!(
                    store.resource_meta(meta.id, id),
                    meta.resource(id),
                    "/{}/*/{id}",
                    meta.id
                );
            }
        }
        // An object the store does not hold is unknown, even though the crate defines it.
        assert_eq!(store.object_meta(AccessControl::META.id), None);
        assert_eq!(store.resource_meta(AccessControl::META.id, 0), None);
    }

    #[test]
    fn store_answers_the_decoders() {
        let store = store();
        // Device: Manufacturer is a single String, Available Power Sources a multiple Integer.
        assert_eq!(
            store.kind(&Path::resource(3, 0, 0)),
            Some((Kind::String, false))
        );
        assert_eq!(
            store.kind(&Path::resource(3, 0, 6)),
            Some((Kind::Integer, true))
        );
        // Any instance: the type is the object's.
        assert_eq!(
            store.kind(&Path::resource(3, 7, 13)),
            Some((Kind::Time, false))
        );
        assert_eq!(store.kind(&Path::resource(3, 0, 999)), None);
        assert_eq!(store.kind(&Path::resource(2, 0, 0)), None);
        assert_eq!(store.kind(&Path::instance(3, 0)), None);
    }
}

// The derive is an optional dependency (feature `derive`).
#[cfg(all(test, feature = "derive"))]
#[allow(clippy::unwrap_used)]
mod rollback_tests {
    use super::*;
    use crate::field::Executable;

    /// `level` has no declared range: 300 passes the checks and fails only when the `u8` field
    /// takes it, after the write has changed other resources.
    #[derive(Debug, Default, Clone, PartialEq, lwm2m_derive::Object)]
    #[lwm2m(crate = "crate", id = 40010, multiple)]
    struct Probe {
        #[lwm2m(id = 0, op = "RW", mandatory)]
        name: String,
        #[lwm2m(id = 1, op = "RW")]
        note: Option<String>,
        #[lwm2m(id = 2, op = "RW", multiple)]
        codes: Option<Instances<u8>>,
        #[lwm2m(id = 3, op = "RW")]
        level: Option<u8>,
        #[lwm2m(id = 4, op = "E")]
        run: Executable,
    }

    fn probe() -> Probe {
        Probe {
            name: "a".into(),
            note: Some("kept".into()),
            codes: Some(Instances::from_iter([(0, 1), (1, 2)])),
            level: Some(7),
            run: Executable,
        }
    }

    fn string(s: &str) -> ResourceValue {
        ResourceValue::Single(Value::String(s.into()))
    }

    /// Each mode, and a device-side write: a failure after other changes puts every resource
    /// back, including those a Replace had removed and the instances an Update had merged.
    #[test]
    fn a_failed_write_changes_nothing() {
        for (mode, server) in [
            (WriteMode::Replace, true),
            (WriteMode::Update, true),
            (WriteMode::ReplaceResources, true),
            (WriteMode::Replace, false),
        ] {
            let mut store = ObjectStore::new();
            store.insert(0, probe(), ()).unwrap();
            let changes = vec![
                (0, string("b")),
                (
                    2,
                    ResourceValue::Multiple(Instances::from_iter([(5, Value::UnsignedInteger(9))])),
                ),
                (1, string("new")),
                (3, ResourceValue::Single(Value::UnsignedInteger(300))),
            ];
            let result = if server {
                store.write(40010, 0, changes, mode)
            } else {
                store.write_internal(40010, 0, changes, mode)
            };
            assert_eq!(result, Err(Error::OutOfRange { target: "u8" }), "{mode:?}");
            assert_eq!(store.get::<Probe>(0), Some(&probe()), "{mode:?} {server}");
        }
    }

    /// A Replace that omits optional resources removes them, and the ids written reach the
    /// handler.
    #[test]
    fn replace_removes_what_it_omits() {
        let mut store = ObjectStore::new();
        store.insert(0, probe(), ()).unwrap();
        store
            .write(40010, 0, vec![(0, string("b"))], WriteMode::Replace)
            .unwrap();
        let expected = Probe {
            name: "b".into(),
            ..Probe::default()
        };
        assert_eq!(store.get::<Probe>(0), Some(&expected));
    }
}
