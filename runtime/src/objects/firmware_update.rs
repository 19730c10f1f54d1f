//! The LwM2M Firmware Update object (5): the values a server reads of an update.

use crate::field::{Executable, Instances};
use crate::prelude::*;

/// LwM2M Firmware Update (object 5, version 1.2, `urn:oma:lwm2m:oma:5:1.2`): the package, its
/// URI, Update and Cancel, and the State and Update Result of the update.
///
/// The client keeps this instance (`/5/0`) when firmware update is enabled
/// ([`Client::enable_firmware_update`](crate::client::Client::enable_firmware_update)): it
/// answers the Writes of Package and Package URI and the Executes of Update and Cancel itself
/// (see [`crate::firmware`]), so that a package streams to the device's sink and never lands in
/// this struct; the store serves the rest.
#[derive(Debug, Clone, PartialEq, Default, lwm2m_derive::Object)]
#[lwm2m(
    crate = "crate",
    id = 5,
    name = "Firmware Update",
    version = "1.2",
    lwm2m_version = "1.1",
    urn = "urn:oma:lwm2m:oma:5:1.2"
)]
pub struct FirmwareUpdate {
    /// Package (0): the firmware package, written by a server (push).
    #[lwm2m(id = 0, name = "Package", op = "W", kind = "Opaque", mandatory)]
    pub package: Vec<u8>,
    /// Package URI (1): where the client downloads the package from (pull).
    #[lwm2m(
        id = 1,
        name = "Package URI",
        op = "RW",
        kind = "String",
        mandatory,
        range = "0..255"
    )]
    pub package_uri: String,
    /// Update (2): installs the downloaded package.
    #[lwm2m(id = 2, name = "Update", op = "E", mandatory)]
    pub update: Executable,
    /// State (3): 0 Idle, 1 Downloading, 2 Downloaded, 3 Updating.
    #[lwm2m(
        id = 3,
        name = "State",
        op = "R",
        kind = "Integer",
        mandatory,
        range = "0..3",
        min = "0",
        max = "3"
    )]
    pub state: u8,
    /// Update Result (5): how the last download or update ended (0 initial, 1 success, 2-11
    /// failures, see [`UpdateResult`](crate::firmware::UpdateResult)).
    #[lwm2m(
        id = 5,
        name = "Update Result",
        op = "R",
        kind = "Integer",
        mandatory,
        range = "0..11",
        min = "0",
        max = "11"
    )]
    pub update_result: u8,
    /// PkgName (6): the name of the downloaded package.
    #[lwm2m(id = 6, name = "PkgName", op = "R", kind = "String", range = "0..255")]
    pub pkg_name: Option<String>,
    /// PkgVersion (7): the version of the downloaded package.
    #[lwm2m(
        id = 7,
        name = "PkgVersion",
        op = "R",
        kind = "String",
        range = "0..255"
    )]
    pub pkg_version: Option<String>,
    /// Firmware Update Protocol Support (8): 0 CoAP, 1 CoAPS, 2 HTTP, 3 HTTPS, 4 CoAP over
    /// TCP, 5 CoAP over TLS.
    #[lwm2m(
        id = 8,
        name = "Firmware Update Protocol Support",
        op = "R",
        kind = "Integer",
        multiple,
        range = "0..5",
        min = "0",
        max = "5"
    )]
    pub protocol_support: Option<Instances<u8>>,
    /// Firmware Update Delivery Method (9): 0 pull, 1 push, 2 both.
    #[lwm2m(
        id = 9,
        name = "Firmware Update Delivery Method",
        op = "R",
        kind = "Integer",
        mandatory,
        range = "0..2",
        min = "0",
        max = "2"
    )]
    pub delivery_method: u8,
    /// Cancel (10): cancels a download, or a package not yet installed.
    #[lwm2m(id = 10, name = "Cancel", op = "E")]
    pub cancel: Executable,
}
