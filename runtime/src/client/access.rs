//! Access Control (LwM2M Core TS 1.1 §7.3.1, object 2): which server may do what to which object
//! instance. Pure decisions over a snapshot of the store's Access Control instances.
//!
//! - With one server account (or none) every server has full access and Access Control
//!   instances are optional ([`Policy::Full`]); the bootstrap server always has full access.
//! - With more than one, an operation of the server with Short Server ID `S` on `/o/i` looks up
//!   the Access Control instance with Object ID `o` and Object Instance ID `i`: the rights are
//!   its ACL resource instance `S`; else full rights if `S` is its Access Control Owner (the
//!   owner "which doesn't have an ACL Resource Instance has full access right", §7.3.1); else the
//!   default ACL instance 0; else none. Without such an instance: none.
//! - Bits: [`READ`] (Read, Observe, Write-Attributes, Discover), [`WRITE`], [`EXECUTE`],
//!   [`DELETE`], [`CREATE`]. Create on `/o` needs [`CREATE`] in the instance for
//!   (`o`, 65535).
//! - The Access Control instances themselves: every server may read, observe and discover them;
//!   only their owner may write or delete them (an owner of 65535 means the bootstrap server
//!   only); no server creates them (the client does after a Create, see [`grant_creator`]).

use crate::prelude::*;
use litemap::LiteMap;

use crate::error::Error;
use crate::field::ResourceValue;
use crate::objects::AccessControl;
use crate::store::ObjectStore;
use crate::value::Value;

/// The Access Control object id.
pub(crate) const OBJECT: u16 = 2;
/// The Object Instance ID of the Access Control instance holding the Create right of an object.
pub(crate) const CREATE_INSTANCE: u16 = u16::MAX;

/// ACL bit: Read, Observe, Write-Attributes and Discover.
pub(crate) const READ: u8 = AccessControl::READ;
/// ACL bit: Write.
pub(crate) const WRITE: u8 = AccessControl::WRITE;
/// ACL bit: Execute.
pub(crate) const EXECUTE: u8 = AccessControl::EXECUTE;
/// ACL bit: Delete.
pub(crate) const DELETE: u8 = AccessControl::DELETE;
/// ACL bit: Create.
pub(crate) const CREATE: u8 = AccessControl::CREATE;

/// One Access Control instance, as read from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Its instance id in object 2.
    pub instance: u16,
    /// Object ID (`/2/x/0`).
    pub object: u16,
    /// Object Instance ID (`/2/x/1`).
    pub object_instance: u16,
    /// ACL (`/2/x/2`): rights by Short Server ID (0: the default).
    pub acl: LiteMap<u16, u8>,
    /// Access Control Owner (`/2/x/3`).
    pub owner: u16,
}

impl Entry {
    /// The rights of server `server` on the instance this entry governs (see the module
    /// documentation for the order).
    pub(crate) fn rights(&self, server: u16) -> u8 {
        if let Some(rights) = self.acl.get(&server) {
            return *rights;
        }
        if server == self.owner {
            return AccessControl::ALL;
        }
        self.acl.get(&0).copied().unwrap_or(0)
    }
}

/// The Access Control instances of a store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Table {
    entries: Vec<Entry>,
}

impl Table {
    /// A table of these entries.
    #[cfg(test)]
    pub(crate) fn new(entries: Vec<Entry>) -> Table {
        Table { entries }
    }

    /// Reads the Access Control instances of `store` (device-side reads; an instance whose
    /// Object ID, Object Instance ID or owner cannot be read is left out: it grants nothing).
    pub(crate) fn of_store(store: &mut ObjectStore) -> Table {
        let instances: Vec<u16> = store.instances(OBJECT).collect();
        let mut entries = Vec::with_capacity(instances.len());
        for instance in instances {
            let mut id = |resource| match store.read_internal(OBJECT, instance, resource) {
                Ok(ResourceValue::Single(value)) => as_u16(&value),
                _ => None,
            };
            let (Some(object), Some(object_instance), Some(owner)) = (id(0), id(1), id(3)) else {
                continue;
            };
            // Inserts, not `collect()`: see `field::convert_instances` (flash on a device).
            let mut acl = LiteMap::new();
            if let Ok(ResourceValue::Multiple(map)) = store.read_internal(OBJECT, instance, 2) {
                for (server, value) in &map {
                    if let Some(rights) = as_u16(value).and_then(|r| u8::try_from(r).ok()) {
                        acl.insert(*server, rights);
                    }
                }
            }
            entries.push(Entry {
                instance,
                object,
                object_instance,
                acl,
                owner,
            });
        }
        Table { entries }
    }

    /// The entry governing `/object/object_instance`, if any.
    pub(crate) fn entry(&self, object: u16, object_instance: u16) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.object == object && e.object_instance == object_instance)
    }

    /// The entry that is instance `instance` of object 2.
    fn own(&self, instance: u16) -> Option<&Entry> {
        self.entries.iter().find(|e| e.instance == instance)
    }

    /// The rights of `server` on `/object/instance` (none without an entry).
    pub(crate) fn rights(&self, server: u16, object: u16, instance: u16) -> u8 {
        self.entry(object, instance)
            .map_or(0, |entry| entry.rights(server))
    }

    /// The instance ids of object 2 that govern `/object/instance`.
    pub(crate) fn governing(&self, object: u16, instance: u16) -> Vec<u16> {
        self.entries
            .iter()
            .filter(|e| e.object == object && e.object_instance == instance)
            .map(|e| e.instance)
            .collect()
    }
}

/// A numeric resource value as a `u16`.
fn as_u16(value: &Value) -> Option<u16> {
    match value {
        Value::Integer(n) => u16::try_from(*n).ok(),
        Value::UnsignedInteger(n) => u16::try_from(*n).ok(),
        _ => None,
    }
}

/// What a requester may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Policy {
    /// Everything (one server account, or the bootstrap server).
    Full,
    /// What the Access Control instances give the server with this Short Server ID (`None`: a
    /// server without one, which gets nothing).
    Acl {
        /// The requester's Short Server ID.
        server: Option<u16>,
        /// The Access Control instances.
        table: Table,
    },
}

impl Policy {
    /// Whether the requester holds `right` on `/object/instance` (an instance of object 2 itself:
    /// reading needs nothing, writing and deleting need ownership, creating is refused).
    pub(crate) fn allows(&self, object: u16, instance: u16, right: u8) -> bool {
        let Policy::Acl { server, table } = self else {
            return true;
        };
        let Some(server) = *server else {
            return false;
        };
        if object == OBJECT {
            return match right {
                READ => true,
                WRITE | DELETE => table.own(instance).is_some_and(|e| e.owner == server),
                _ => false,
            };
        }
        table.rights(server, object, instance) & right == right
    }

    /// Whether the requester may create instances of `object`.
    pub(crate) fn allows_create(&self, object: u16) -> bool {
        self.allows(object, CREATE_INSTANCE, CREATE)
    }

    /// The requester's Short Server ID when rights are checked.
    pub(crate) fn server(&self) -> Option<u16> {
        match self {
            Policy::Full => None,
            Policy::Acl { server, .. } => *server,
        }
    }
}

/// After server `server` created `/object/instance`: an Access Control instance for it, owned
/// by `server`, with `server`'s own ACL instance granting every right (Core TS §7.3.1: the
/// creating server becomes the owner). A new instance of object 2 needs object 2 to be
/// creatable; the built-in [`AccessControl`] is made creatable if it is not.
pub(crate) fn grant_creator(
    store: &mut ObjectStore,
    server: u16,
    object: u16,
    instance: u16,
) -> Result<u16, Error> {
    if !store.is_creatable(OBJECT) {
        store.creatable(|| (AccessControl::default(), ()));
    }
    let integer = |n: u16| ResourceValue::Single(Value::Integer(i64::from(n)));
    let mut acl = crate::Instances::new();
    acl.insert(server, Value::Integer(i64::from(AccessControl::ALL)));
    store.create_internal(
        OBJECT,
        None,
        vec![
            (0, integer(object)),
            (1, integer(instance)),
            (2, ResourceValue::Multiple(acl)),
            (3, integer(server)),
        ],
    )
}

/// After `/object/instance` was deleted: its Access Control instances go too.
pub(crate) fn forget(store: &mut ObjectStore, object: u16, instance: u16) {
    let table = Table::of_store(store);
    for aco in table.governing(object, instance) {
        if let Err(e) = store.delete(OBJECT, aco) {
            tracing::warn!(aco, error = %e, "could not delete an Access Control instance");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(
        instance: u16,
        object: u16,
        object_instance: u16,
        acl: &[(u16, u8)],
        owner: u16,
    ) -> Entry {
        Entry {
            instance,
            object,
            object_instance,
            acl: acl.iter().copied().collect(),
            owner,
        }
    }

    fn table() -> Table {
        Table::new(vec![
            // /3/0: server 1 reads and writes, everyone else reads; owned by 1.
            entry(0, 3, 0, &[(1, READ | WRITE), (0, READ)], 1),
            // /3311/0: owned by 2 without an ACL instance of its own; 1 may only execute.
            entry(1, 3311, 0, &[(1, EXECUTE)], 2),
            // Creating 3311 instances: server 1 only.
            entry(2, 3311, CREATE_INSTANCE, &[(1, CREATE)], 1),
            // /1/0: bootstrap-owned, no rights for anyone.
            entry(3, 1, 0, &[], AccessControl::BOOTSTRAP_OWNER),
            // /3303/0: owner 2 has its own (smaller) ACL instance, the default is all.
            entry(4, 3303, 0, &[(2, READ), (0, AccessControl::ALL)], 2),
        ])
    }

    #[test]
    fn rights_follow_own_instance_then_owner_then_default() {
        let t = table();
        let cases: &[(u16, u16, u16, u8)] = &[
            // (server, object, instance, rights)
            (1, 3, 0, READ | WRITE),
            (2, 3, 0, READ),
            (7, 3, 0, READ),
            (1, 3311, 0, EXECUTE),
            (2, 3311, 0, AccessControl::ALL),
            (3, 3311, 0, 0),
            (1, 3311, CREATE_INSTANCE, CREATE),
            (2, 3311, CREATE_INSTANCE, 0),
            (1, 1, 0, 0),
            (2, 3303, 0, READ),
            (1, 3303, 0, AccessControl::ALL),
            // No Access Control instance: nothing.
            (1, 3, 1, 0),
            (1, 5, 0, 0),
        ];
        for &(server, object, instance, rights) in cases {
            assert_eq!(
                t.rights(server, object, instance),
                rights,
                "server {server} on /{object}/{instance}"
            );
        }
    }

    #[test]
    fn policy_checks_each_bit_and_guards_access_control_instances() {
        let acl = |server| Policy::Acl {
            server,
            table: table(),
        };
        let cases: &[(Option<u16>, u16, u16, u8, bool)] = &[
            // (server, object, instance, right, allowed)
            (Some(1), 3, 0, READ, true),
            (Some(1), 3, 0, WRITE, true),
            (Some(1), 3, 0, EXECUTE, false),
            (Some(2), 3, 0, WRITE, false),
            (Some(1), 3311, 0, READ, false),
            (Some(1), 3311, 0, EXECUTE, true),
            (Some(2), 3311, 0, DELETE, true),
            (Some(1), 3, 0, READ | WRITE, true),
            (Some(2), 3, 0, READ | WRITE, false),
            // Access Control instances: anyone reads, the owner writes and deletes.
            (Some(2), 2, 0, READ, true),
            (Some(1), 2, 0, WRITE, true),
            (Some(2), 2, 0, WRITE, false),
            (Some(2), 2, 1, DELETE, true),
            (Some(1), 2, 1, DELETE, false),
            (Some(1), 2, 3, WRITE, false),
            (Some(1), 2, 0, EXECUTE, false),
            // A requester without a Short Server ID gets nothing.
            (None, 3, 0, READ, false),
        ];
        for &(server, object, instance, right, allowed) in cases {
            assert_eq!(
                acl(server).allows(object, instance, right),
                allowed,
                "{server:?} /{object}/{instance} right {right}"
            );
        }
        assert!(acl(Some(1)).allows_create(3311));
        assert!(!acl(Some(2)).allows_create(3311));
        assert!(!acl(Some(1)).allows_create(3303));
        assert!(!acl(Some(1)).allows_create(OBJECT));
        assert!(Policy::Full.allows(3, 0, AccessControl::ALL));
        assert!(Policy::Full.allows_create(OBJECT));
    }

    #[test]
    fn a_creator_becomes_owner_and_deletion_forgets_the_instance() {
        let mut store = ObjectStore::new();
        let aco = grant_creator(&mut store, 7, 3311, 4).unwrap();
        let t = Table::of_store(&mut store);
        assert_eq!(
            t.entry(3311, 4),
            Some(&entry(aco, 3311, 4, &[(7, AccessControl::ALL)], 7))
        );
        assert_eq!(t.rights(7, 3311, 4), AccessControl::ALL);
        assert_eq!(t.rights(8, 3311, 4), 0);
        grant_creator(&mut store, 8, 3311, 5).unwrap();
        forget(&mut store, 3311, 4);
        let t = Table::of_store(&mut store);
        assert_eq!(t.entry(3311, 4), None);
        assert!(t.entry(3311, 5).is_some(), "another instance's entry stays");
    }
}
