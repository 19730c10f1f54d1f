//! The borrowing read of the store ([`ObjectStore::read_refs`]): the handlers' read hooks first
//! (they need the instances mutable), then the values lent from the objects' fields, so that a
//! server's Read encodes them without copying a string.

use crate::prelude::*;

use super::ObjectStore;
use super::instance::Parts;
use crate::codec::RecordRef;
use crate::error::Error;
use crate::field::push_owned;
use crate::meta::ResourceMeta;
use crate::object::ObjectInstance;
use crate::path::Path;
use crate::validate;

/// A resource whose read hook answered [`Error::NotFound`]: `(instance, resource)`. Such a
/// resource is left out of a read of its instance, as [`ManagedInstance::read_all`] leaves it
/// out.
///
/// [`ManagedInstance::read_all`]: super::ManagedInstance::read_all
type Skipped = Vec<(u16, u16)>;

/// The first phase of a lent read of a whole instance: [`Handler::read`] for each readable
/// resource, as [`ManagedInstance::read_all`] calls it. A hook's [`Error::NotFound`] leaves its
/// resource out (noted in `skipped`); any other error ends the read.
///
/// [`Handler::read`]: crate::Handler::read
/// [`ManagedInstance::read_all`]: super::ManagedInstance::read_all
///
/// Returns the number of readable resources, for the caller to make room for their records.
fn run_read_hooks(
    inst: &mut dyn Parts,
    instance: u16,
    skipped: &mut Skipped,
) -> Result<usize, Error> {
    let mut readable = 0;
    for meta in inst.meta().resources {
        if !meta.operations.is_readable() {
            continue;
        }
        readable += 1;
        match inst.handler_read(meta.id) {
            Ok(()) => {}
            Err(Error::NotFound { .. }) => skipped.push((instance, meta.id)),
            Err(e) => return Err(e),
        }
    }
    Ok(readable)
}

/// Room made in the records of an instance beyond one per readable resource: for the instances
/// of its multiple resources, so that a read of the Device object (three multiple resources of
/// two instances) fills one allocation.
const EXTRA_RECORDS: usize = 8;

/// The second phase: the records of every readable resource that is present, lent from the
/// instance `/object_id/instance`, by resource id.
fn lend_instance<'a>(
    inst: &'a dyn Parts,
    (object_id, instance): (u16, u16),
    skipped: &Skipped,
    out: &mut Vec<RecordRef<'a>>,
) -> Result<(), Error> {
    let object = inst.object();
    let fields = object.__fields();
    for (index, meta) in inst.meta().resources.iter().enumerate() {
        if !meta.operations.is_readable() || skipped.contains(&(instance, meta.id)) {
            continue;
        }
        let resource = Path::resource(object_id, instance, meta.id);
        match lend_resource(object, fields, index, meta, resource, out) {
            Ok(()) | Err(Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The records of the resource at `at`, whose metadata is `meta`, the `index`-th of its object:
/// lent from its field for a derived or generated object (`fields`: its
/// [`ObjectInstance::__fields`]); for an object written by hand, its own
/// [`Object::read`](crate::Object::read), owned.
fn lend_resource<'a>(
    object: &'a dyn ObjectInstance,
    fields: bool,
    index: usize,
    meta: &ResourceMeta,
    at: Path,
    out: &mut Vec<RecordRef<'a>>,
) -> Result<(), Error> {
    if fields {
        object
            .__field(index)
            .ok_or(Error::NotFound { resource: meta.id })?
            .dyn_read_refs(meta, at, out)
    } else {
        push_owned(object.read(meta.id)?, at, out);
        Ok(())
    }
}

impl ObjectStore {
    /// A server read of `path`, lent: the records of an object (every instance), an instance,
    /// a resource or a resource instance pushed to `out`, their strings and bytes borrowed from
    /// the objects' fields (for the objects written by hand, owned copies).
    ///
    /// The same checks, hooks and errors as [`ObjectStore::read`] and
    /// [`ManagedInstance::read_all`](super::ManagedInstance::read_all): [`Handler::read`] is
    /// called for each resource read (for an instance or an object, every readable resource,
    /// before any value is taken), a resource absent or whose hook answers [`Error::NotFound`] is
    /// left out of an instance's records, an unknown object is [`Error::ObjectNotFound`]. The
    /// records come in path order, as the encoders
    /// ([`codec::encode_refs`](crate::codec::encode_refs)) take them. On error `out` may hold
    /// some records.
    ///
    /// [`Handler::read`]: crate::Handler::read
    ///
    /// ```
    /// use lwm2m::objects::{Device, DeviceHandler};
    /// use lwm2m::codec::{self, ContentFormat};
    /// use lwm2m::{ObjectStore, Path};
    ///
    /// let mut store = ObjectStore::new();
    /// store.insert(0, Device::demo(), DeviceHandler::default())?;
    /// let at = Path::instance(3, 0);
    /// let mut records = Vec::new();
    /// store.read_refs(&at, &mut records)?;
    /// let lent = codec::encode_refs(ContentFormat::SenmlCbor, &at, &records)?;
    /// # drop(records);
    /// # let owned: Vec<codec::Record> = store
    /// #     .instance_mut(3, 0)?
    /// #     .read_all()?
    /// #     .into_iter()
    /// #     .flat_map(|(r, v)| match v {
    /// #         lwm2m::ResourceValue::Single(v) => vec![codec::Record::new(Path::resource(3, 0, r), v)],
    /// #         lwm2m::ResourceValue::Multiple(m) => m
    /// #             .into_iter()
    /// #             .map(|(ri, v)| codec::Record::new(Path::resource_instance(3, 0, r, ri), v))
    /// #             .collect(),
    /// #     })
    /// #     .collect();
    /// # assert_eq!(lent, codec::encode(ContentFormat::SenmlCbor, &at, &owned)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_refs<'s>(
        &'s mut self,
        path: &Path,
        out: &mut Vec<RecordRef<'s>>,
    ) -> Result<(), Error> {
        match *path.ids() {
            [object] => self.lend_instances(object, None, out),
            [object, instance] => self.lend_instances(object, Some(instance), out),
            [object, instance, resource] => {
                let inst = self.parts_mut(object, instance)?;
                let (index, meta) = crate::__private::find(inst.meta(), resource)?;
                validate::check_read(meta)?;
                inst.handler_read(resource)?;
                let this: &'s ObjectStore = self;
                let object_value = this.parts(object, instance)?.object();
                let fields = object_value.__fields();
                lend_resource(object_value, fields, index, meta, *path, out)
            }
            [object, instance, resource, resource_instance] => {
                let start = out.len();
                let at = Path::resource(object, instance, resource);
                self.read_refs(&at, out)?;
                // Keeps only the instance asked for (the resource's records are its instances).
                match out.iter().skip(start).position(|r| r.path == *path) {
                    Some(found) => {
                        out.swap(start, start + found);
                        out.truncate(start + 1);
                        Ok(())
                    }
                    None => {
                        out.truncate(start);
                        Err(Error::ResourceInstanceNotFound {
                            resource,
                            instance: resource_instance,
                        })
                    }
                }
            }
            _ => Err(Error::BadRequest {
                reason: "a read of the root path".into(),
            }),
        }
    }

    /// [`ObjectStore::read_refs`] of every instance of `object`, or only of instance `only`
    /// ([`Error::InstanceNotFound`] if the object has none such): the hooks of every instance
    /// read, then their records. One code for both (a microcontroller's flash).
    fn lend_instances<'s>(
        &'s mut self,
        object: u16,
        only: Option<u16>,
        out: &mut Vec<RecordRef<'s>>,
    ) -> Result<(), Error> {
        let entry = self
            .objects
            .get_mut(&object)
            .ok_or(Error::ObjectNotFound { object })?;
        if let Some(instance) = only
            && !entry.instances.contains_key(&instance)
        {
            return Err(Error::InstanceNotFound { object, instance });
        }
        let read = |instance: &u16| only.is_none_or(|only| only == *instance);
        let mut skipped = Skipped::new();
        let mut readable = 0;
        for (instance, held) in entry.instances.iter_mut() {
            if read(instance) {
                readable += run_read_hooks(&mut *held.0, *instance, &mut skipped)?;
                readable += EXTRA_RECORDS;
            }
        }
        out.reserve(readable);
        let this: &'s ObjectStore = self;
        if let Some(entry) = this.objects.get(&object) {
            for (instance, held) in entry.instances.iter() {
                if read(instance) {
                    lend_instance(&*held.0, (object, *instance), &skipped, out)?;
                }
            }
        }
        Ok(())
    }

    /// The parts of an instance, or [`Error::ObjectNotFound`] or [`Error::InstanceNotFound`].
    fn parts(&self, object: u16, instance: u16) -> Result<&dyn Parts, Error> {
        let entry = self
            .objects
            .get(&object)
            .ok_or(Error::ObjectNotFound { object })?;
        match entry.instances.get(&instance) {
            Some(held) => Ok(&*held.0),
            None => Err(Error::InstanceNotFound { object, instance }),
        }
    }

    /// [`ObjectStore::parts`], mutable.
    fn parts_mut(&mut self, object: u16, instance: u16) -> Result<&mut dyn Parts, Error> {
        let entry = self
            .objects
            .get_mut(&object)
            .ok_or(Error::ObjectNotFound { object })?;
        match entry.instances.get_mut(&instance) {
            Some(held) => Ok(&mut *held.0),
            None => Err(Error::InstanceNotFound { object, instance }),
        }
    }
}
