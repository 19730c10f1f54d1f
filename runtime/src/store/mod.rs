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

use crate::prelude::*;
use litemap::LiteMap;

use crate::codec::KindLookup;
use crate::error::Error;
use crate::execute::ExecuteArgs;
use crate::field::ResourceValue;
use crate::handler::Handler;
use crate::meta::{ObjectMeta, ResourceMeta};
use crate::object::Object;
use crate::path::Path;
use crate::validate;
use crate::value::Kind;

mod instance;
mod lend;
#[cfg(all(test, feature = "derive"))]
mod rollback_tests;
#[cfg(test)]
mod tests;
mod write;

use instance::Erased;
pub use instance::{Instance, ManagedInstance};

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
