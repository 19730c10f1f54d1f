//! The Device Management interface (LwM2M Core TS §6.3): the operations of a server's request,
//! classified by [`super::operation`], answered from the [`ObjectStore`].
//!
//! | operation | success |
//! | --- | --- |
//! | Read | 2.05 |
//! | Discover | 2.05 |
//! | Write (replace, PUT with payload) | 2.04 |
//! | Write (partial update, POST with payload on an instance or a non-executable resource) | 2.04 |
//! | Execute | 2.04 |
//! | Create | 2.01 + Location-Path |
//! | Delete (an instance) | 2.02 |
//! | Read-Composite (SenML paths) | 2.05 |
//! | Write-Composite (SenML values) | 2.04 |
//!
//! Observe and Write-Attributes are the client's (see `client::serve`). Read formats: the Accept
//! option if given (4.06 if the client cannot encode it); otherwise text (0: also under LwM2M
//! 1.0, whose final TS §6.4 uses text/plain; the draft-era 1541 is served only when asked for)
//! or opaque (42) for a single resource, TLV (11542) for the rest.
//! Store and codec errors are answered with their `coap_code()`. The Security object (0) and
//! OSCORE object (21) are not reachable by a management server: 4.01 Unauthorized for every
//! operation (they are only for the bootstrap server; ETS int-221), except when `bootstrap` is
//! set. A Read-Composite leaves them out; a Write-Composite touching them is refused whole.
//!
//! With Access Control enforced (several servers, see `client::access`), each operation needs
//! its right on the target instance ([`Request::needed_right`]); a missing right is answered 4.01 before
//! anything is read or written, an object-level Read or Discover lists only the readable
//! instances, a Read-Composite leaves out what is not readable and a Write-Composite needs Write
//! on every instance it touches.
//!
//! A PUT of a whole multiple-instance resource replaces its instances (Core TS §6.3.3), a POST
//! adds to or overwrites them. Known limit: a Write-Composite is atomic per instance, not across
//! instances.

use crate::prelude::*;
use litemap::LiteMap;

use coap_lite::{MessageClass, ResponseType};

use crate::codec::link::{self, Link};
use crate::codec::{self, ContentFormat, KindLookup, Record, RecordRef};
use crate::error::Error;
use crate::execute::ExecuteArgs;
use crate::field::ResourceValue;
use crate::path::Path;
use crate::store::{ObjectStore, WriteMode};
use crate::value::{Kind, ValueRef};

use super::LwM2mVersion;
use super::access::{self, Policy};
use super::operation::{Request, Right};

/// A side effect of a request that the client (not the store) carries out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Execute of `/1/x/8`: send an Update now to the server of Server instance `x`.
    UpdateRegistration(u16),
    /// Execute of `/1/x/9`: start a client-initiated bootstrap.
    Bootstrap,
    /// Execute of Disable `/1/x/4`: de-register, stay away for the Disable Timeout of Server
    /// instance `x`, then register again.
    Disable(u16),
    /// Execute of `/3/0/4`.
    Reboot,
    /// Execute of `/3/0/5`.
    FactoryReset,
    /// Instances were created or deleted: the registration's object links changed.
    ObjectsChanged,
    /// A server created `/o/i`: with Access Control enforced, it becomes the owner.
    Created(u16, u16),
    /// A server deleted `/o/i`: its Access Control instances go too.
    Deleted(u16, u16),
    /// Values at this path were written: observers may be notified.
    Changed(Path),
}

/// The answer to a request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    /// The response code.
    pub code: MessageClass,
    /// The Content-Format of the payload, if any.
    pub format: Option<u16>,
    /// The payload.
    pub payload: Vec<u8>,
    /// Location-Path segments (Create).
    pub location: Vec<String>,
    /// What the client must do besides answering.
    pub effects: Vec<Effect>,
}

impl Reply {
    /// A reply with only a code.
    pub(crate) fn code(code: ResponseType) -> Reply {
        Reply::status(MessageClass::Response(code))
    }

    /// A reply with only a code given as (class, detail), as [`Error::coap_code`] has it.
    pub(crate) fn error((class, detail): (u8, u8)) -> Reply {
        Reply::status(crate::coap::message::code(class, detail))
    }

    /// A reply with only a code.
    fn status(code: MessageClass) -> Reply {
        Reply {
            code,
            format: None,
            payload: Vec::new(),
            location: Vec::new(),
            effects: Vec::new(),
        }
    }

    fn content(format: u16, payload: Vec<u8>) -> Reply {
        Reply {
            format: Some(format),
            payload,
            ..Reply::code(ResponseType::Content)
        }
    }

    fn with(mut self, effect: Effect) -> Reply {
        self.effects.push(effect);
        self
    }
}

impl From<Error> for Reply {
    fn from(e: Error) -> Reply {
        Reply::error(e.coap_code())
    }
}

impl From<codec::DecodeError> for Reply {
    fn from(e: codec::DecodeError) -> Reply {
        Reply::error(e.coap_code())
    }
}

impl From<codec::EncodeError> for Reply {
    fn from(e: codec::EncodeError) -> Reply {
        Reply::error(e.coap_code())
    }
}

/// The resource types of the store's objects, for decoders.
pub(crate) struct StoreKinds<'s>(pub &'s ObjectStore);

impl KindLookup for StoreKinds<'_> {
    fn kind(&self, resource: &Path) -> Option<(Kind, bool)> {
        self.0.kind(resource)
    }
}

/// What the server may reach.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context<'p> {
    /// The LwM2M version the client speaks.
    pub version: LwM2mVersion,
    /// Whether the request comes from the bootstrap server.
    pub bootstrap: bool,
    /// The requester's access rights (Access Control, object 2).
    pub policy: &'p Policy,
}

/// 4.01 Unauthorized when `policy` lacks the right the request needs
/// ([`Request::needed_right`]).
pub(crate) fn check_access(
    store: &ObjectStore,
    policy: &Policy,
    request: &Request,
) -> Result<(), Reply> {
    if *policy == Policy::Full {
        return Ok(());
    }
    let allowed = match request.needed_right(store) {
        Some((object, access::CREATE_INSTANCE, Right::Create)) => policy.allows_create(object),
        Some((object, instance, right)) => policy.allows(object, instance, right.bit()),
        None => true,
    };
    if allowed {
        Ok(())
    } else {
        Err(Reply::code(ResponseType::Unauthorized))
    }
}

/// Whether `path` is in the Security (0) or OSCORE (21) object, which only the bootstrap server
/// may reach: any operation of a management server on them gets 4.01 Unauthorized (Core TS
/// §6.3 and Appendix E.1; ETS LightweightM2M-1.1-int-221).
pub(crate) fn is_protected(path: &Path) -> bool {
    path.object_id().is_some_and(|o| o == 0 || o == 21)
}

/// The records at `path` (an object, instance, resource or resource instance), owned: the
/// store's lent read ([`ObjectStore::read_refs`]) copied, for the answers that gather the
/// records of several reads (Read-Composite, Send) and the observation rules. Not inlined on a
/// microcontroller (three callers).
#[cfg_attr(not(feature = "std"), inline(never))]
pub(crate) fn read_records(store: &mut ObjectStore, path: &Path) -> Result<Vec<Record>, Reply> {
    if path.is_root() {
        return Err(Reply::code(ResponseType::MethodNotAllowed));
    }
    let mut lent = Vec::new();
    store.read_refs(path, &mut lent)?;
    Ok(lent.into_iter().map(RecordRef::into_owned).collect())
}

/// The format of a Read answer: the Accept option, or the default for what is read: text (or
/// opaque) for one value; for several, SenML CBOR from LwM2M 1.1 on (the format every 1.1
/// client supports for several values, ETS int-237) when served, TLV under 1.0.
pub(crate) fn read_format(
    path: &Path,
    records: &[RecordRef<'_>],
    accept: Option<u32>,
    version: LwM2mVersion,
) -> Result<ContentFormat, Reply> {
    if let Some(accept) = accept {
        return u16::try_from(accept)
            .ok()
            .and_then(ContentFormat::from_u16)
            .filter(|f| *f != ContentFormat::LinkFormat)
            .ok_or(Reply::code(ResponseType::NotAcceptable));
    }
    let single = match records {
        [only] => (path.is_resource() || path.is_resource_instance()) && only.path == *path,
        _ => false,
    };
    Ok(match records.first() {
        Some(RecordRef {
            value: ValueRef::Opaque(_),
            ..
        }) if single => ContentFormat::Opaque,
        _ if single => ContentFormat::Text,
        _ if version != LwM2mVersion::V1_0 && codec::served(ContentFormat::SenmlCbor) => {
            ContentFormat::SenmlCbor
        }
        _ => ContentFormat::Tlv,
    })
}

/// Read by a requester with `policy` (also for notifications): the values at `path` in the
/// negotiated format; an object-level read leaves out the instances `policy` may not read.
pub(crate) fn read_as(
    store: &mut ObjectStore,
    path: &Path,
    accept: Option<u32>,
    policy: &Policy,
    version: LwM2mVersion,
) -> Reply {
    match encode_read(store, path, accept, policy, version) {
        Ok((format, bytes)) => Reply::content(format.to_u16(), bytes),
        Err(reply) => reply,
    }
}

/// Only the records `policy` may read.
fn readable(records: &mut Vec<Record>, policy: &Policy) {
    if *policy != Policy::Full {
        records.retain(|r| may_read(&r.path, policy));
    }
}

/// Whether `policy` lets its requester read the value at `path`.
fn may_read(path: &Path, policy: &Policy) -> bool {
    match (path.object_id(), path.instance_id()) {
        (Some(o), Some(i)) => policy.allows(o, i, access::READ),
        _ => true,
    }
}

/// The encoded answer of a Read: the values lent by the store
/// ([`ObjectStore::read_refs`]) and encoded as they are, no string copied.
fn encode_read(
    store: &mut ObjectStore,
    path: &Path,
    accept: Option<u32>,
    policy: &Policy,
    version: LwM2mVersion,
) -> Result<(ContentFormat, Vec<u8>), Reply> {
    if path.is_root() {
        return Err(Reply::code(ResponseType::MethodNotAllowed));
    }
    let mut records = Vec::new();
    store.read_refs(path, &mut records)?;
    if *policy != Policy::Full {
        records.retain(|r| may_read(&r.path, policy));
    }
    let format = read_format(path, &records, accept, version)?;
    let bytes = codec::encode_in_order(format, path, &records)?;
    Ok((format, bytes))
}

/// Discover: the links of `path` with the attributes `attributes` gives for each.
pub(crate) fn discover(
    store: &mut ObjectStore,
    version: LwM2mVersion,
    path: &Path,
    policy: &Policy,
    attributes: &dyn Fn(&Path) -> Vec<(String, String)>,
) -> Reply {
    let ids = path.ids().to_vec();
    let Some(&object) = ids.first() else {
        return Reply::code(ResponseType::MethodNotAllowed);
    };
    let Some(meta) = store.objects().find(|m| m.id == object) else {
        return Error::ObjectNotFound { object }.into();
    };
    if ids.len() > 3 {
        return Reply::code(ResponseType::MethodNotAllowed);
    }
    let with_attributes = |mut link: Link, at: &Path| {
        for (name, value) in attributes(at) {
            link = link.with(name, value);
        }
        link
    };
    let mut links = Vec::new();
    if ids.len() == 1 {
        let mut link = Link::to_path(path);
        if let Some(ver) = super::registration::announced_object_version(meta, version) {
            link = link.with("ver", ver);
        }
        links.push(with_attributes(link, path));
    }
    let instances: Vec<u16> = match ids.get(1) {
        Some(&i) => vec![i],
        None => store
            .instances(object)
            .filter(|i| policy.allows(object, *i, access::READ))
            .collect(),
    };
    for instance in instances {
        let managed = match store.instance_mut(object, instance) {
            Ok(managed) => managed,
            Err(e) => return e.into(),
        };
        let instance_path = Path::instance(object, instance);
        if ids.len() <= 2 {
            links.push(with_attributes(
                Link::to_path(&instance_path),
                &instance_path,
            ));
        }
        for r in meta.resources {
            if ids.get(2).is_some_and(|wanted| *wanted != r.id) {
                continue;
            }
            let mut dim = None;
            let mut resource_instances = Vec::new();
            if r.operations.is_readable() {
                match managed.read(r.id) {
                    Ok(ResourceValue::Multiple(values)) => {
                        dim = Some(values.len());
                        resource_instances = values.keys().copied().collect();
                    }
                    Ok(ResourceValue::Single(_)) => {}
                    Err(Error::NotFound { .. }) => continue,
                    Err(_) => {}
                }
            }
            let at = Path::resource(object, instance, r.id);
            let mut link = Link::to_path(&at);
            if let Some(dim) = dim {
                link = link.with("dim", dim);
            }
            links.push(with_attributes(link, &at));
            // A Discover of a multiple resource lists its instances too, each with its own
            // attributes (LwM2M 1.1 and later; ETS int-261).
            if ids.len() == 3 && version != LwM2mVersion::V1_0 {
                for ri in resource_instances {
                    let at = Path::resource_instance(object, instance, r.id, ri);
                    links.push(with_attributes(Link::to_path(&at), &at));
                }
            }
        }
        if ids.len() == 3 && links.is_empty() {
            return Error::NotFound {
                resource: ids.get(2).copied().unwrap_or_default(),
            }
            .into();
        }
    }
    Reply::content(
        ContentFormat::LinkFormat.to_u16(),
        link::write(&links).into_bytes(),
    )
}

/// The Content-Format of a payload: the option, or text for a resource and TLV otherwise.
fn payload_format(path: &Path, format: Option<u32>) -> Result<ContentFormat, Reply> {
    match format {
        Some(n) => u16::try_from(n)
            .ok()
            .and_then(ContentFormat::from_u16)
            .filter(|f| *f != ContentFormat::LinkFormat)
            .ok_or(Reply::code(ResponseType::UnsupportedContentFormat)),
        None if path.is_resource() || path.is_resource_instance() => Ok(ContentFormat::Text),
        None => Ok(ContentFormat::Tlv),
    }
}

/// Groups records of one instance by resource (shared with `persist`).
pub(crate) use crate::codec::resource_values as changes;

pub(crate) fn decode(
    store: &ObjectStore,
    path: &Path,
    format: Option<u32>,
    payload: &[u8],
) -> Result<Vec<Record>, Reply> {
    let format = payload_format(path, format)?;
    let records = codec::decode(format, path, payload, &StoreKinds(store))?;
    codec::single_values(&records)?;
    Ok(records)
}

/// Write of an instance, a resource or a resource instance.
fn write(
    store: &mut ObjectStore,
    path: &Path,
    format: Option<u32>,
    payload: &[u8],
    mode: WriteMode,
) -> Reply {
    let (object, instance) = match path.ids() {
        [object, instance, ..] => (*object, *instance),
        _ => return Reply::code(ResponseType::MethodNotAllowed),
    };
    if let Err(e) = store.instance_mut(object, instance) {
        return e.into();
    }
    // An executable resource has no value to decode: a Write of it is not allowed (4.05, as
    // for a read-only one), whatever its payload.
    if let Some(resource) = path.resource_id()
        && store
            .resource_meta(object, resource)
            .is_some_and(|m| m.operations.is_executable())
    {
        return Reply::code(ResponseType::MethodNotAllowed);
    }
    let records = match decode(store, path, format, payload) {
        Ok(records) => records,
        Err(reply) => return reply,
    };
    let result = match path.ids() {
        [_, _, resource, ri] => match records.into_iter().next() {
            Some(record) => store
                .instance_mut(object, instance)
                .and_then(|m| m.write_resource_instance(*resource, *ri, record.value)),
            None => return Reply::code(ResponseType::BadRequest),
        },
        [_, _, _] => {
            // One resource: the others of the instance stay whatever the method; PUT replaces
            // the instances of a multiple resource, POST adds to them.
            let mode = match mode {
                WriteMode::Replace => WriteMode::ReplaceResources,
                other => other,
            };
            store.write(object, instance, changes(records), mode)
        }
        _ => store.write(object, instance, changes(records), mode),
    };
    match result {
        Ok(()) => Reply::code(ResponseType::Changed).with(Effect::Changed(*path)),
        Err(e) => e.into(),
    }
}

/// Write (replace, PUT): a payload is needed.
pub(crate) fn write_replace(
    store: &mut ObjectStore,
    path: &Path,
    format: Option<u32>,
    payload: &[u8],
) -> Reply {
    if payload.is_empty() {
        return Reply::code(ResponseType::BadRequest);
    }
    write(store, path, format, payload, WriteMode::Replace)
}

/// Write (partial update, POST) of an instance or a resource that is not executable.
pub(crate) fn write_update(
    store: &mut ObjectStore,
    path: &Path,
    format: Option<u32>,
    payload: &[u8],
) -> Reply {
    match *path.ids() {
        [_, _] if payload.is_empty() => Reply::code(ResponseType::BadRequest),
        [_, _] => write(store, path, format, payload, WriteMode::Update),
        [object, instance, resource] => {
            let known = store
                .objects()
                .find(|m| m.id == object)
                .is_some_and(|m| m.resource(resource).is_some());
            match known {
                true if !payload.is_empty() => {
                    write(store, path, format, payload, WriteMode::Update)
                }
                true => Reply::code(ResponseType::MethodNotAllowed),
                false if store.instance(object, instance).is_none() => {
                    Error::InstanceNotFound { object, instance }.into()
                }
                false => Error::NotFound { resource }.into(),
            }
        }
        _ => Reply::code(ResponseType::MethodNotAllowed),
    }
}

/// Execute of `/object/instance/resource` (an executable resource, as classified).
pub(crate) fn execute(
    store: &mut ObjectStore,
    object: u16,
    instance: u16,
    resource: u16,
    payload: &[u8],
) -> Reply {
    let args = match ExecuteArgs::parse_bytes(payload) {
        Ok(args) => args,
        Err(e) => return Error::from(e).into(),
    };
    if let Err(e) = store.instance_mut(object, instance) {
        return e.into();
    }
    // Client functions: the Server object's triggers and the Device's Reboot.
    let effect = match (object, resource) {
        (1, 8) => Some(Effect::UpdateRegistration(instance)),
        (1, 4) => Some(Effect::Disable(instance)),
        (1, 9) => Some(Effect::Bootstrap),
        (3, 4) => Some(Effect::Reboot),
        (3, 5) => Some(Effect::FactoryReset),
        _ => None,
    };
    match store.execute(object, instance, resource, &args) {
        Ok(()) => {}
        // The store's handler need not implement the client functions.
        Err(Error::MethodNotAllowed { .. }) if effect.is_some() => {}
        Err(e) => return e.into(),
    }
    let reply = Reply::code(ResponseType::Changed);
    match effect {
        Some(effect) => reply.with(effect),
        None => reply,
    }
}

/// Create of an instance of `object`.
pub(crate) fn create(
    store: &mut ObjectStore,
    object: u16,
    format: Option<u32>,
    payload: &[u8],
) -> Reply {
    let base = Path::object(object);
    let (instance, records) = if payload.is_empty() {
        (None, Vec::new())
    } else {
        match decode(store, &base, format, payload) {
            Ok(records) => {
                let first = records.first().and_then(|r| r.path.instance_id());
                if records.iter().any(|r| r.path.instance_id() != first) {
                    return Reply::code(ResponseType::BadRequest);
                }
                (first, records)
            }
            // Resources without an instance around them: the client picks the id.
            Err(_) => match decode(store, &Path::instance(object, u16::MAX), format, payload) {
                Ok(records) => (None, records),
                Err(reply) => return reply,
            },
        }
    };
    match store.create(object, instance, changes(records)) {
        Ok(id) => Reply {
            location: vec![object.to_string(), id.to_string()],
            ..Reply::code(ResponseType::Created)
        }
        .with(Effect::Created(object, id))
        .with(Effect::ObjectsChanged),
        Err(e) => e.into(),
    }
}

/// Delete of an instance.
pub(crate) fn delete(store: &mut ObjectStore, path: &Path) -> Reply {
    match *path.ids() {
        // The one instance of a mandatory single-instance object (the Device, `/3/0`) is part of
        // every client: deleting it is refused with 4.05 Method Not Allowed, the code the Core TS
        // gives a target not allowed for Delete.
        [object, instance]
            if store.instance(object, instance).is_some()
                && store
                    .object_meta(object)
                    .is_some_and(|m| m.mandatory && !m.multiple) =>
        {
            Reply::code(ResponseType::MethodNotAllowed)
        }
        [object, instance] => match store.delete(object, instance) {
            Ok(()) => Reply::code(ResponseType::Deleted)
                .with(Effect::Deleted(object, instance))
                .with(Effect::ObjectsChanged),
            Err(e) => e.into(),
        },
        _ => Reply::code(ResponseType::MethodNotAllowed),
    }
}

fn senml_format(format: Option<u32>) -> Result<ContentFormat, Reply> {
    match format
        .and_then(|f| u16::try_from(f).ok())
        .and_then(ContentFormat::from_u16)
    {
        Some(f @ (ContentFormat::SenmlJson | ContentFormat::SenmlCbor)) => Ok(f),
        _ => Err(Reply::code(ResponseType::UnsupportedContentFormat)),
    }
}

/// Read-Composite: a SenML list of paths in, their values out (in the Accept format, else the
/// request's format).
pub(crate) fn read_composite(
    store: &mut ObjectStore,
    ctx: Context,
    format: Option<u32>,
    accept: Option<u32>,
    payload: &[u8],
) -> Reply {
    let request_format = match senml_format(format) {
        Ok(f) => f,
        Err(reply) => return reply,
    };
    let paths = match codec::senml::decode_paths(request_format, payload) {
        Ok(paths) => paths,
        Err(e) => return e.into(),
    };
    let out = match accept.map(|a| u16::try_from(a).ok().and_then(ContentFormat::from_u16)) {
        None => request_format,
        Some(Some(f @ (ContentFormat::SenmlJson | ContentFormat::SenmlCbor))) => f,
        Some(_) => return Reply::code(ResponseType::NotAcceptable),
    };
    read_paths(store, ctx, &paths, out)
}

/// The paths of an Observe-Composite (or Read-Composite) request, and the SenML format its
/// answers go in; the error reply for a malformed request.
pub(crate) fn composite_paths(
    format: Option<u32>,
    accept: Option<u32>,
    payload: &[u8],
) -> Result<(Vec<Path>, ContentFormat), Reply> {
    let request_format = senml_format(format)?;
    let paths = codec::senml::decode_paths(request_format, payload)?;
    let out = match accept.map(|a| u16::try_from(a).ok().and_then(ContentFormat::from_u16)) {
        None => request_format,
        Some(Some(f @ (ContentFormat::SenmlJson | ContentFormat::SenmlCbor))) => f,
        Some(_) => return Err(Reply::code(ResponseType::NotAcceptable)),
    };
    Ok((paths, out))
}

/// The values at `paths` in the SenML format `out` (a Read-Composite, or an Observe-Composite's
/// notification): absent and unreadable paths are left out, Security and OSCORE too for a
/// management server, and what the requester may not read.
pub(crate) fn read_paths(
    store: &mut ObjectStore,
    ctx: Context,
    paths: &[Path],
    out: ContentFormat,
) -> Reply {
    let paths = paths.to_vec();
    // The root path stands for every object (ETS int-235).
    let mut expanded: Vec<Path> = Vec::new();
    for path in paths {
        if path.is_root() {
            expanded.extend(store.objects().map(|m| Path::object(m.id)));
        } else {
            expanded.push(path);
        }
    }
    let mut records: Vec<Record> = Vec::new();
    for path in expanded {
        if !ctx.bootstrap && is_protected(&path) {
            continue;
        }
        match read_records(store, &path) {
            Ok(mut found) => {
                readable(&mut found, ctx.policy);
                records.extend(found);
            }
            // A path the client does not have, or one that cannot be read (an executable or
            // write-only resource), is left out without an error (Core TS §6.3.8; ETS int-236,
            // int-281).
            Err(reply)
                if reply.code == MessageClass::Response(ResponseType::NotFound)
                    || reply.code == MessageClass::Response(ResponseType::MethodNotAllowed) => {}
            Err(reply) => return reply,
        }
    }
    // Unstable is enough (equal paths are duplicates, dropped next). Without `std`, the codecs'
    // heapsort: the standard unstable sort, linked for this one call, is 1.8 KiB of a
    // microcontroller's flash.
    #[cfg(feature = "std")]
    records.sort_unstable_by_key(|r| r.path);
    #[cfg(not(feature = "std"))]
    codec::order::heapsort(&mut records, |a, b| a.path < b.path);
    records.dedup_by_key(|r| r.path);
    match codec::encode(out, &Path::ROOT, &records) {
        Ok(bytes) => Reply::content(out.to_u16(), bytes),
        Err(e) => e.into(),
    }
}

/// Write-Composite: SenML values for several instances, each instance written as a partial
/// update.
pub(crate) fn write_composite(
    store: &mut ObjectStore,
    ctx: Context,
    format: Option<u32>,
    payload: &[u8],
) -> Reply {
    let format = match senml_format(format) {
        Ok(f) => f,
        Err(reply) => return reply,
    };
    let records = match codec::decode(format, &Path::ROOT, payload, &StoreKinds(store))
        .and_then(|records| codec::single_values(&records).map(|()| records))
    {
        Ok(records) => records,
        Err(e) => return e.into(),
    };
    if !ctx.bootstrap && records.iter().any(|r| is_protected(&r.path)) {
        return Reply::code(ResponseType::Unauthorized);
    }
    let mut by_instance: LiteMap<(u16, u16), Vec<Record>> = LiteMap::new();
    for record in records {
        match (record.path.object_id(), record.path.instance_id()) {
            (Some(o), Some(i)) => by_instance.entry((o, i)).or_default().push(record),
            _ => return Reply::code(ResponseType::BadRequest),
        }
    }
    // Every instance must exist, and be writable by the requester, before anything is written.
    for (object, instance) in by_instance.keys() {
        if let Err(e) = store.instance_mut(*object, *instance) {
            return e.into();
        }
        if !ctx.policy.allows(*object, *instance, access::WRITE) {
            return Reply::code(ResponseType::Unauthorized);
        }
    }
    let mut reply = Reply::code(ResponseType::Changed);
    for ((object, instance), records) in by_instance {
        if let Err(e) = store.write(object, instance, changes(records), WriteMode::Update) {
            return e.into();
        }
        reply
            .effects
            .push(Effect::Changed(Path::instance(object, instance)));
    }
    reply
}
