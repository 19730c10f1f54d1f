//! The write paths of an instance: all or nothing, the previous value of each resource a write
//! touches kept aside and put back if a later change fails.

use crate::prelude::*;

use super::WriteMode;
use super::instance::{Parts, resource_of};
use crate::error::Error;
use crate::field::{Instances, ResourceValue};
use crate::meta::{ObjectMeta, ResourceMeta};
use crate::object::ObjectInstance;
use crate::validate;
use crate::value::Value;

/// [`ManagedInstance::write_resource_instance`](super::ManagedInstance::write_resource_instance).
pub(super) fn write_resource_instance(
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

/// A write of `changes`: `server` checks the operations (a server's write), otherwise only
/// that the resources exist and the values fit them (the device's or bootstrap's write).
///
/// All or nothing: the checks and [`Handler::validate_write`](crate::Handler::validate_write) come first; then the changes are
/// applied in place, each resource's previous value kept aside before it changes, and put back
/// if a later change fails (a value the field type cannot hold, say). Only the resources the
/// write touches are copied, not the instance.
pub(super) fn apply_write(
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
