//! The LwM2M Server object (1): the client's account with one LwM2M Server.

use crate::field::{Executable, Instances};
use crate::prelude::*;
use crate::value::{ObjLnk, Time};

/// LwM2M Server (object 1, version 1.2, `urn:oma:lwm2m:oma:1:1.2`): the registration settings of
/// one LwM2M Server. A Bootstrap-Server has no instance of it.
///
/// Build an instance with [`Server::new`].
#[derive(Debug, Clone, PartialEq, Default, lwm2m_derive::Object)]
#[lwm2m(
    crate = "crate",
    id = 1,
    name = "LwM2M Server",
    version = "1.2",
    lwm2m_version = "1.2",
    urn = "urn:oma:lwm2m:oma:1:1.2",
    multiple,
    mandatory
)]
pub struct Server {
    /// Short Server ID (0): links this instance to its Security instance.
    #[lwm2m(
        id = 0,
        name = "Short Server ID",
        op = "R",
        kind = "Integer",
        mandatory,
        range = "1..65534",
        min = "1",
        max = "65534"
    )]
    pub short_server_id: u16,
    /// Lifetime (1): seconds a registration stays valid without an update.
    #[lwm2m(
        id = 1,
        name = "Lifetime",
        op = "RW",
        kind = "Integer",
        mandatory,
        units = "s"
    )]
    pub lifetime: u32,
    /// Default Minimum Period (2): the `pmin` of an observation that sets none, in seconds.
    #[lwm2m(
        id = 2,
        name = "Default Minimum Period",
        op = "RW",
        kind = "Integer",
        units = "s"
    )]
    pub default_min_period: Option<u32>,
    /// Default Maximum Period (3): the `pmax` of an observation that sets none, in seconds.
    #[lwm2m(
        id = 3,
        name = "Default Maximum Period",
        op = "RW",
        kind = "Integer",
        units = "s"
    )]
    pub default_max_period: Option<u32>,
    /// Disable (4): de-register and stay away for the Disable Timeout.
    #[lwm2m(id = 4, name = "Disable", op = "E")]
    pub disable: Executable,
    /// Disable Timeout (5): seconds the server stays disabled after Disable (default 86400).
    #[lwm2m(
        id = 5,
        name = "Disable Timeout",
        op = "RW",
        kind = "Integer",
        units = "s"
    )]
    pub disable_timeout: Option<u32>,
    /// Notification Storing When Disabled or Offline (6): keep notifications while the server
    /// cannot be reached, and send them later.
    #[lwm2m(
        id = 6,
        name = "Notification Storing When Disabled or Offline",
        op = "RW",
        kind = "Boolean",
        mandatory
    )]
    pub notification_storing: bool,
    /// Binding (7): the transports and modes the server uses, such as `"U"` (UDP).
    #[lwm2m(id = 7, name = "Binding", op = "RW", kind = "String", mandatory)]
    pub binding: String,
    /// Registration Update Trigger (8): send a Registration Update now.
    #[lwm2m(id = 8, name = "Registration Update Trigger", op = "E", mandatory)]
    pub registration_update_trigger: Executable,
    /// Bootstrap-Request Trigger (9): start a client-initiated bootstrap now.
    #[lwm2m(id = 9, name = "Bootstrap-Request Trigger", op = "E")]
    pub bootstrap_request_trigger: Executable,
    /// APN Link (10): the APN connection profile to use.
    #[lwm2m(id = 10, name = "APN Link", op = "RW", kind = "Objlnk")]
    pub apn_link: Option<ObjLnk>,
    /// TLS-DTLS Alert Code (11): the last (D)TLS alert received from the server.
    #[lwm2m(
        id = 11,
        name = "TLS-DTLS Alert Code",
        op = "R",
        kind = "Unsigned Integer",
        range = "0..255",
        min = "0",
        max = "255"
    )]
    pub tls_dtls_alert_code: Option<u8>,
    /// Last Bootstrapped (12): when the client was last bootstrapped.
    #[lwm2m(id = 12, name = "Last Bootstrapped", op = "R", kind = "Time")]
    pub last_bootstrapped: Option<Time>,
    /// Registration Priority Order (13): the order of registration among servers, lowest first.
    #[lwm2m(
        id = 13,
        name = "Registration Priority Order",
        op = "R",
        kind = "Unsigned Integer"
    )]
    pub registration_priority_order: Option<u32>,
    /// Initial Registration Delay Timer (14): seconds to wait before registering.
    #[lwm2m(
        id = 14,
        name = "Initial Registration Delay Timer",
        op = "RW",
        kind = "Unsigned Integer",
        units = "s"
    )]
    pub initial_registration_delay: Option<u32>,
    /// Registration Failure Block (15): whether a failed registration blocks the lower-priority
    /// servers.
    #[lwm2m(
        id = 15,
        name = "Registration Failure Block",
        op = "R",
        kind = "Boolean"
    )]
    pub registration_failure_block: Option<bool>,
    /// Bootstrap on Registration Failure (16): whether to bootstrap when registration fails.
    #[lwm2m(
        id = 16,
        name = "Bootstrap on Registration Failure",
        op = "R",
        kind = "Boolean"
    )]
    pub bootstrap_on_registration_failure: Option<bool>,
    /// Communication Retry Count (17): registration attempts in one sequence.
    #[lwm2m(
        id = 17,
        name = "Communication Retry Count",
        op = "RW",
        kind = "Unsigned Integer"
    )]
    pub communication_retry_count: Option<u32>,
    /// Communication Retry Timer (18): seconds between attempts, doubled each time.
    #[lwm2m(
        id = 18,
        name = "Communication Retry Timer",
        op = "RW",
        kind = "Unsigned Integer",
        units = "s"
    )]
    pub communication_retry_timer: Option<u32>,
    /// Communication Sequence Delay Timer (19): seconds between two sequences of attempts.
    #[lwm2m(
        id = 19,
        name = "Communication Sequence Delay Timer",
        op = "RW",
        kind = "Unsigned Integer",
        units = "s"
    )]
    pub communication_sequence_delay: Option<u32>,
    /// Communication Sequence Retry Count (20): sequences of attempts before giving up.
    #[lwm2m(
        id = 20,
        name = "Communication Sequence Retry Count",
        op = "RW",
        kind = "Unsigned Integer"
    )]
    pub communication_sequence_retry_count: Option<u32>,
    /// Trigger (21): whether the server may wake the client with a trigger (SMS, ...).
    #[lwm2m(id = 21, name = "Trigger", op = "RW", kind = "Boolean")]
    pub trigger: Option<bool>,
    /// Preferred Transport (22): the transport the server prefers, one of the binding letters.
    #[lwm2m(
        id = 22,
        name = "Preferred Transport",
        op = "RW",
        kind = "String",
        range = "The possible values are those listed in the LwM2M Core Specification"
    )]
    pub preferred_transport: Option<String>,
    /// Mute Send (23): whether the Send operation is disabled for this server.
    #[lwm2m(id = 23, name = "Mute Send", op = "RW", kind = "Boolean")]
    pub mute_send: Option<bool>,
    /// Alternate APN Links (24): other APN connection profiles to try.
    #[lwm2m(
        id = 24,
        name = "Alternate APN Links",
        op = "RW",
        kind = "Objlnk",
        multiple
    )]
    pub alternate_apn_links: Option<Instances<ObjLnk>>,
    /// Supported Server Versions (25): the LwM2M versions the server supports, such as `"1.1"`.
    #[lwm2m(
        id = 25,
        name = "Supported Server Versions",
        op = "RW",
        kind = "String",
        multiple
    )]
    pub supported_server_versions: Option<Instances<String>>,
    /// Default Notification Mode (26): 0 non-confirmable, 1 confirmable notifications.
    #[lwm2m(
        id = 26,
        name = "Default Notification Mode",
        op = "RW",
        kind = "Integer",
        range = "0..1",
        min = "0",
        max = "1"
    )]
    pub default_notification_mode: Option<u8>,
    /// Profile ID Hash Algorithm (27): the hash algorithm of profile ids (IANA named
    /// information registry).
    #[lwm2m(
        id = 27,
        name = "Profile ID Hash Algorithm",
        op = "RW",
        kind = "Unsigned Integer",
        range = "0..255",
        min = "0",
        max = "255"
    )]
    pub profile_id_hash_algorithm: Option<u8>,
}

// `Server::DEFAULT_MIN_PERIOD` and the other resource ids are the derive's constants.
impl Server {
    /// The default minimum notification period of [`Server::new`], in seconds (ETS C.3).
    pub const INITIAL_MIN_PERIOD: u32 = 1;
    /// The default maximum notification period of [`Server::new`], in seconds (ETS C.3).
    pub const INITIAL_MAX_PERIOD: u32 = 10;
    /// The Disable Timeout of [`Server::new`], in seconds (the specification's default).
    pub const INITIAL_DISABLE_TIMEOUT: u32 = 86_400;

    /// A server account: `binding` such as `"U"`, notification storing off, default periods
    /// [`INITIAL_MIN_PERIOD`](Self::INITIAL_MIN_PERIOD) and
    /// [`INITIAL_MAX_PERIOD`](Self::INITIAL_MAX_PERIOD), Disable Timeout
    /// [`INITIAL_DISABLE_TIMEOUT`](Self::INITIAL_DISABLE_TIMEOUT); the other optional resources
    /// absent.
    pub fn new(short_server_id: u16, lifetime_s: u32, binding: &str) -> Server {
        Server {
            short_server_id,
            lifetime: lifetime_s,
            default_min_period: Some(Self::INITIAL_MIN_PERIOD),
            default_max_period: Some(Self::INITIAL_MAX_PERIOD),
            disable_timeout: Some(Self::INITIAL_DISABLE_TIMEOUT),
            notification_storing: false,
            binding: binding.to_owned(),
            ..Server::default()
        }
    }
}
