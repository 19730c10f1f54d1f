//! What the client reports: [`Event`]s, typed (paths are [`Path`]s, operations
//! [`Operation`]s, codes [`ResponseCode`]s, failures [`Failure`]s), so that reporting one
//! allocates and formats nothing; each prints as a log wants it.

use crate::prelude::*;
use core::fmt;
use core::time::Duration;

use crate::path::Path;

use super::Operation;

/// An [`Event`] with the server it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerEvent {
    /// The Short Server ID of the server (`None`: the bootstrap server, the device itself, or a
    /// server account without a Short Server ID).
    pub server: Option<u16>,
    /// What happened.
    pub event: Event,
}

/// Something that happened, for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The bootstrap server finished (`POST /bs` answered).
    Bootstrapped,
    /// The server accepted the registration at `location` (such as `/rd/5`).
    Registered {
        /// The registration's location path.
        location: String,
    },
    /// An Update was accepted.
    Updated,
    /// The registration was removed (Deregister acknowledged or given up).
    Deregistered,
    /// A Register, Update or Bootstrap-Request failed; the client retries later.
    RegistrationFailed {
        /// Which request.
        request: RegistrationRequest,
        /// Why.
        reason: Failure,
    },
    /// A request from the server was answered. Typed, so that answering a request allocates
    /// and formats nothing for its event; every field prints as a log wants it.
    Request {
        /// The LwM2M operation, such as `Read`, `Write-Attributes` or `Execute`.
        operation: Operation,
        /// The path asked; `None` for a request outside the object tree (Bootstrap-Finish's
        /// `/bs`, an unknown path).
        path: Option<Path>,
        /// The response code, such as 2.05.
        code: ResponseCode,
    },
    /// A notification was sent.
    Notified {
        /// The observed path.
        path: Path,
        /// Its Observe sequence number.
        sequence: u32,
    },
    /// A Send ([`Client::send`](super::Client::send)) was answered with success (2.04).
    Sent {
        /// The paths sent.
        paths: Vec<Path>,
    },
    /// A Send was refused by the server, reset, or not answered.
    SendFailed {
        /// The paths of the Send.
        paths: Vec<Path>,
        /// Why.
        reason: Failure,
    },
    /// The server executed Disable (`/1/x/4`): the client de-registers, ignores the server for
    /// the Disable Timeout (`/1/x/5`, 86400 s when unset) and then registers again.
    Disabled {
        /// How long the client stays away.
        timeout: Duration,
    },
    /// The server executed Reboot (`/3/0/4`): the application should restart the device.
    Rebooting,
    /// The server executed Factory Reset (`/3/0/5`): the application should return the device
    /// to its factory state (and drop a saved `lwm2m::persist` snapshot) and restart it.
    FactoryReset,
    /// The Firmware Update's State (`/5/0/3`) or Update Result (`/5/0/5`) changed.
    #[cfg(feature = "firmware-update")]
    FirmwareStateChanged {
        /// The new State.
        state: crate::firmware::UpdateState,
        /// The new Update Result.
        result: crate::firmware::UpdateResult,
    },
    /// A server executed Update (`/5/0/2`) and the sink's
    /// [`apply`](crate::firmware::FirmwareSink::apply) asked for a restart: the application
    /// restarts the device (once the response has gone out) and tells the new run how the
    /// update ended ([`AfterBoot`](crate::firmware::AfterBoot)).
    #[cfg(feature = "firmware-update")]
    FirmwareUpdating,
    /// Bootstrap wrote a server URI whose host is a name, not an IP address: the driver must
    /// resolve it and call [`Client::set_server`](super::Client::set_server); the Register waits until then.
    ResolveServer {
        /// The server URI written by the Bootstrap-Server (`/0/x/0`).
        uri: String,
    },
}

/// A CoAP response code: class and detail, printed as `2.05`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResponseCode {
    /// The class: 2 success, 4 client error, 5 server error.
    pub class: u8,
    /// The detail, such as 5 in 2.05 Content.
    pub detail: u8,
}

impl From<coap_lite::MessageClass> for ResponseCode {
    fn from(code: coap_lite::MessageClass) -> ResponseCode {
        let byte = u8::from(code);
        ResponseCode {
            class: byte >> 5,
            detail: byte & 0x1f,
        }
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.class, self.detail)
    }
}

/// Which request of the Registration or Bootstrap interface failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegistrationRequest {
    /// Bootstrap-Request (`POST /bs`).
    BootstrapRequest,
    /// Register (`POST /rd`).
    Register,
    /// Update (`POST /rd/..`).
    Update,
}

impl fmt::Display for RegistrationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RegistrationRequest::BootstrapRequest => "Bootstrap-Request",
            RegistrationRequest::Register => "Register",
            RegistrationRequest::Update => "Update",
        })
    }
}

/// Why a request of the client (a Register, an Update, a Bootstrap-Request, a Send) failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Failure {
    /// The server answered with this code: an error, or a success that does not fit (a
    /// Register answered without a location).
    Answered(ResponseCode),
    /// The server reset the request (RST).
    Reset,
    /// No answer came after the last retransmission.
    NoResponse,
    /// The request cannot be encoded: larger than block-wise transfers allow, or options
    /// that leave no room for a block in a message.
    Unencodable,
    /// The server URI a bootstrap wrote cannot be used.
    BadServerUri,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Answered(code) => write!(f, "answered {code}"),
            Failure::Reset => f.write_str("reset by the server"),
            Failure::NoResponse => f.write_str("no response from the server"),
            Failure::Unencodable => f.write_str("the request cannot be encoded"),
            Failure::BadServerUri => f.write_str("the bootstrapped server URI is unusable"),
        }
    }
}
