//! Persistence: a snapshot of what a server or the bootstrap server wrote (Security, Server,
//! Access Control, and objects the device marks), restored at the next start so that a
//! bootstrapped device registers without bootstrapping again (issue 14 item 2).
//!
//! [`snapshot`] reads every value of the instances of the objects given, device-side (the
//! Security object's keys included, which no server may read), and [`restore`] puts them back
//! into a store. The format is compact, versioned and works without std:
//!
//! ```text
//! "LwM2" 0x01                      magic and format version
//! { object u16, instance u16,      every instance, in (object, instance) order,
//!   length u32, TLV bytes }          its values as LwM2M TLV (Content-Format 11542)
//! CRC-32 (IEEE) u32                of everything before it
//! ```
//!
//! All integers are big-endian. [`restore`] checks everything (magic, version, CRC, lengths,
//! every TLV against the store's resource types) before it changes anything, and undoes what
//! it applied if the store refuses a value: a corrupted, truncated or foreign file is an error
//! that names the problem, and the store is as it was.

use crate::prelude::*;

use crate::codec::{self, ContentFormat};
use crate::error::Error;
use crate::field::ResourceValue;
use crate::object::Object;
use crate::objects::{AccessControl, Security, Server};
use crate::path::Path;
use crate::store::{ObjectStore, WriteMode};

/// The first bytes of a snapshot.
pub const MAGIC: [u8; 4] = *b"LwM2";
/// The format version written.
pub const VERSION: u8 = 1;
/// The objects a device persists at least: Security (0), Server (1), Access Control (2).
pub const PROVISIONING: [u16; 3] = [Security::ID, Server::ID, AccessControl::ID];

/// Why a snapshot cannot be written or restored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PersistError {
    /// The bytes do not start with [`MAGIC`]: not a snapshot.
    #[error("not an lwm2m state snapshot (no \"LwM2\" header)")]
    NotASnapshot,
    /// A format version this runtime does not read.
    #[error("snapshot format version {0} is not supported (this runtime reads version 1)")]
    UnsupportedVersion(u8),
    /// The CRC does not match: the file was damaged.
    #[error("the snapshot is damaged (CRC mismatch)")]
    Corrupted,
    /// The bytes end in the middle of an entry.
    #[error("the snapshot is truncated at byte {0}")]
    Truncated(usize),
    /// An instance's values do not decode against the store's objects.
    #[error("/{object}/{instance} in the snapshot cannot be read: {source}")]
    Decode {
        /// The object.
        object: u16,
        /// The instance.
        instance: u16,
        /// Why.
        source: codec::DecodeError,
    },
    /// An instance of an object the store does not have.
    #[error("the snapshot holds /{object}/{instance}, but the store has no object {object}")]
    UnknownObject {
        /// The object.
        object: u16,
        /// The instance.
        instance: u16,
    },
    /// The store refused a value (nothing stays applied).
    #[error("/{object}/{instance} from the snapshot was refused: {source}")]
    Refused {
        /// The object.
        object: u16,
        /// The instance.
        instance: u16,
        /// Why.
        source: Error,
    },
    /// An instance could not be encoded.
    #[error("/{object}/{instance} cannot be written to a snapshot: {source}")]
    Encode {
        /// The object.
        object: u16,
        /// The instance.
        instance: u16,
        /// Why.
        source: codec::EncodeError,
    },
}

/// Every value of the instances of `objects` in `store`, as a snapshot (see the module
/// documentation). Objects the store does not have are skipped.
pub fn snapshot(store: &mut ObjectStore, objects: &[u16]) -> Result<Vec<u8>, PersistError> {
    let mut ids: Vec<u16> = objects.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut out = Vec::new();
    out.extend_from_slice(&MAGIC);
    out.push(VERSION);
    for object in ids {
        let Some(meta) = store.object_meta(object) else {
            continue;
        };
        let instances: Vec<u16> = store.instances(object).collect();
        for instance in instances {
            let mut records = Vec::new();
            for resource in meta.resources {
                if resource.operations.is_executable() {
                    continue;
                }
                let at = Path::resource(object, instance, resource.id);
                match store.read_internal(object, instance, resource.id) {
                    Ok(ResourceValue::Single(value)) => records.push(codec::Record::new(at, value)),
                    Ok(ResourceValue::Multiple(values)) => {
                        for (ri, value) in values {
                            let path = Path::resource_instance(object, instance, resource.id, ri);
                            records.push(codec::Record::new(path, value));
                        }
                    }
                    // An optional resource without a value.
                    Err(_) => {}
                }
            }
            let base = Path::instance(object, instance);
            let tlv = codec::encode(ContentFormat::Tlv, &base, &records).map_err(|source| {
                PersistError::Encode {
                    object,
                    instance,
                    source,
                }
            })?;
            out.extend_from_slice(&object.to_be_bytes());
            out.extend_from_slice(&instance.to_be_bytes());
            let len = u32::try_from(tlv.len()).unwrap_or(u32::MAX);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&tlv);
        }
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    Ok(out)
}

/// What [`restore`] put back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Restored {
    /// The instances restored, as (object, instance).
    pub instances: Vec<(u16, u16)>,
}

/// One instance read from a snapshot.
struct Entry {
    object: u16,
    instance: u16,
    values: Vec<(u16, ResourceValue)>,
}

/// Puts the instances of `bytes` (a [`snapshot`]) into `store`: an existing instance is
/// replaced, a missing one created. Everything is checked before anything changes, and a value
/// the store refuses undoes what was applied: on error the store is as it was.
pub fn restore(store: &mut ObjectStore, bytes: &[u8]) -> Result<Restored, PersistError> {
    let entries = parse(store, bytes)?;
    // The built-in provisioning objects accept the instances a bootstrap wrote.
    // The built-in provisioning objects accept the instances a bootstrap wrote (as a
    // Bootstrap-Write makes them creatable).
    let has = |object: u16| entries.iter().any(|e| e.object == object);
    if has(Security::ID) && !store.is_creatable(Security::ID) {
        store.creatable(|| (Security::default(), ()));
    }
    if has(Server::ID) && !store.is_creatable(Server::ID) {
        store.creatable(|| (Server::default(), ()));
    }
    if has(AccessControl::ID) && !store.is_creatable(AccessControl::ID) {
        store.creatable(|| (AccessControl::default(), ()));
    }
    let touched: Vec<u16> = entries.iter().map(|e| e.object).collect();
    let before = snapshot(store, &touched)?;
    let mut created = Vec::new();
    let mut restored = Restored::default();
    for entry in entries {
        let (object, instance) = (entry.object, entry.instance);
        let result = if store.instance(object, instance).is_some() {
            store.write_internal(object, instance, entry.values, WriteMode::Replace)
        } else {
            store
                .create_internal(object, Some(instance), entry.values)
                .map(|_| created.push((object, instance)))
        };
        if let Err(source) = result {
            for (o, i) in created {
                let _ = store.delete(o, i);
            }
            // Everything parsed from `before` was in the store a moment ago: it goes back.
            if let Ok(undo) = parse(store, &before) {
                for entry in undo {
                    let _ = store.write_internal(
                        entry.object,
                        entry.instance,
                        entry.values,
                        WriteMode::Replace,
                    );
                }
            }
            return Err(PersistError::Refused {
                object,
                instance,
                source,
            });
        }
        restored.instances.push((object, instance));
    }
    Ok(restored)
}

/// Reads and checks every entry of a snapshot against the store's objects.
fn parse(store: &ObjectStore, bytes: &[u8]) -> Result<Vec<Entry>, PersistError> {
    if bytes.get(..MAGIC.len()) != Some(MAGIC.as_slice()) {
        return Err(PersistError::NotASnapshot);
    }
    let version = *bytes
        .get(MAGIC.len())
        .ok_or(PersistError::Truncated(MAGIC.len()))?;
    if version != VERSION {
        return Err(PersistError::UnsupportedVersion(version));
    }
    let body_end = bytes
        .len()
        .checked_sub(4)
        .filter(|end| *end > MAGIC.len())
        .ok_or(PersistError::Truncated(bytes.len()))?;
    let (body, crc) = bytes.split_at(body_end);
    let expected = u32::from_be_bytes(
        crc.try_into()
            .map_err(|_| PersistError::Truncated(body_end))?,
    );
    if crc32fast::hash(body) != expected {
        return Err(PersistError::Corrupted);
    }
    let mut at = MAGIC.len() + 1;
    let mut entries = Vec::new();
    while at < body.len() {
        let header = body.get(at..at + 8).ok_or(PersistError::Truncated(at))?;
        let object = u16::from_be_bytes([header[0], header[1]]);
        let instance = u16::from_be_bytes([header[2], header[3]]);
        let len = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
        let start = at + 8;
        let end = usize::try_from(len)
            .ok()
            .and_then(|len| start.checked_add(len))
            .filter(|end| *end <= body.len())
            .ok_or(PersistError::Truncated(start))?;
        let tlv = body.get(start..end).ok_or(PersistError::Truncated(start))?;
        if store.object_meta(object).is_none() && !PROVISIONING.contains(&object) {
            return Err(PersistError::UnknownObject { object, instance });
        }
        let base = Path::instance(object, instance);
        let records = decode(store, object, &base, tlv).map_err(|source| PersistError::Decode {
            object,
            instance,
            source,
        })?;
        entries.push(Entry {
            object,
            instance,
            values: codec::resource_values(records),
        });
        at = end;
    }
    Ok(entries)
}

/// Decodes an instance's TLV with the store's types (the built-in types for a provisioning
/// object the store does not hold yet).
fn decode(
    store: &ObjectStore,
    object: u16,
    base: &Path,
    tlv: &[u8],
) -> Result<Vec<codec::Record>, codec::DecodeError> {
    let builtin = |path: &Path| {
        let meta = match object {
            0 => &Security::META,
            1 => &Server::META,
            _ => &AccessControl::META,
        };
        let resource = meta.resource(path.resource_id()?)?;
        Some((resource.kind, resource.multiple))
    };
    let records = if store.object_meta(object).is_some() {
        codec::decode(ContentFormat::Tlv, base, tlv, store)?
    } else {
        codec::decode(ContentFormat::Tlv, base, tlv, &builtin)?
    };
    codec::single_values(&records)?;
    Ok(records)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
