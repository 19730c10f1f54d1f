//! The LwM2M Access Control object (2): which server may do what to one object instance.

use crate::field::Instances;

/// LwM2M Access Control (object 2, version 1.1, `urn:oma:lwm2m:oma:2:1.1`): the access rights of
/// each server on one object instance (or, with instance id 65535, on creating instances of an
/// object).
///
/// Modelled only: the runtime does not enforce these rights yet. Build an instance with
/// [`AccessControl::new`] and add rights with [`AccessControl::with_acl`].
#[derive(Debug, Clone, PartialEq, Default, lwm2m_derive::Object)]
#[lwm2m(
    crate = "crate",
    id = 2,
    name = "LwM2M Access Control",
    version = "1.1",
    lwm2m_version = "1.0",
    urn = "urn:oma:lwm2m:oma:2:1.1",
    multiple
)]
pub struct AccessControl {
    /// Object ID (0): the object the rights apply to.
    #[lwm2m(
        id = 0,
        name = "Object ID",
        op = "R",
        kind = "Integer",
        mandatory,
        range = "1..65534",
        min = "1",
        max = "65534"
    )]
    pub object_id: u16,
    /// Object Instance ID (1): the instance the rights apply to; 65535 for the right to create.
    #[lwm2m(
        id = 1,
        name = "Object Instance ID",
        op = "R",
        kind = "Integer",
        mandatory,
        range = "0..65535",
        min = "0",
        max = "65535"
    )]
    pub object_instance_id: u16,
    /// ACL (2): the rights of each server, keyed by Short Server ID (0: every other server), as
    /// a bitmask of [`READ`](Self::READ), [`WRITE`](Self::WRITE), [`EXECUTE`](Self::EXECUTE),
    /// [`DELETE`](Self::DELETE) and [`CREATE`](Self::CREATE).
    #[lwm2m(
        id = 2,
        name = "ACL",
        op = "RW",
        kind = "Integer",
        multiple,
        range = "0..31",
        min = "0",
        max = "31"
    )]
    pub acl: Option<Instances<u8>>,
    /// Access Control Owner (3): the Short Server ID that manages this instance; 65535 means
    /// bootstrap only.
    #[lwm2m(
        id = 3,
        name = "Access Control Owner",
        op = "RW",
        kind = "Integer",
        mandatory,
        range = "0..65535",
        min = "0",
        max = "65535"
    )]
    pub owner: u16,
}

impl AccessControl {
    /// ACL bit: Read, Observe and Write-Attributes.
    pub const READ: u8 = 1;
    /// ACL bit: Write.
    pub const WRITE: u8 = 1 << 1;
    /// ACL bit: Execute.
    pub const EXECUTE: u8 = 1 << 2;
    /// ACL bit: Delete.
    pub const DELETE: u8 = 1 << 3;
    /// ACL bit: Create.
    pub const CREATE: u8 = 1 << 4;
    /// Every ACL bit.
    pub const ALL: u8 = Self::READ | Self::WRITE | Self::EXECUTE | Self::DELETE | Self::CREATE;
    /// The owner that means "created and modified during bootstrap only".
    pub const BOOTSTRAP_OWNER: u16 = u16::MAX;

    /// The access control of `/object_id/instance_id`, managed by the server `owner`, with an ACL
    /// instance granting the owner every right (none when the owner is
    /// [`BOOTSTRAP_OWNER`](Self::BOOTSTRAP_OWNER)); add other servers with
    /// [`with_acl`](Self::with_acl).
    pub fn new(object_id: u16, instance_id: u16, owner: u16) -> AccessControl {
        let mut acl = Instances::new();
        if owner != Self::BOOTSTRAP_OWNER {
            acl.insert(owner, Self::ALL);
        }
        AccessControl {
            object_id,
            object_instance_id: instance_id,
            acl: Some(acl),
            owner,
        }
    }

    /// Sets the rights of the server `short_server_id` (0: the default for every server without
    /// its own ACL instance).
    pub fn with_acl(mut self, short_server_id: u16, rights: u8) -> AccessControl {
        self.acl
            .get_or_insert_with(Instances::new)
            .insert(short_server_id, rights);
        self
    }

    /// The rights of the server `short_server_id`: its own ACL instance, else the default
    /// instance 0, else none.
    pub fn rights(&self, short_server_id: u16) -> u8 {
        self.acl
            .as_ref()
            .and_then(|acl| acl.get(&short_server_id).or_else(|| acl.get(&0)))
            .copied()
            .unwrap_or(0)
    }
}
