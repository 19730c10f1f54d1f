//! Firmware Update (object 5, LwM2M Core TS Appendix E.6): where a firmware package goes, and
//! the State and Update Result values of the update's state machine.
//!
//! The client runs the state machine (see [`Client::enable_firmware_update`]); the device says
//! where the package goes with a [`FirmwareSink`], a stream: the package arrives in chunks, in
//! order, and is never held whole in RAM by the runtime, whether a server pushes it (a Block1
//! Write of Package `/5/0/0`) or the client pulls it (a Write of Package URI `/5/0/1`, then a
//! block-wise `GET` of that URI over `coap://`). On Linux a sink writes a file; on a
//! microcontroller, a flash bank.
//!
//! | State (`/5/0/3`) | what moves it on |
//! | --- | --- |
//! | 0 Idle | the first block of a package, or a Write of a non-empty Package URI: 1 Downloading |
//! | 1 Downloading | the last chunk, verified by [`FirmwareSink::finish`]: 2 Downloaded; a failure: 0 Idle with its Update Result (2 no space, 3 out of RAM, 4 connection lost, 5 integrity check, 6 unsupported package, 7 invalid URI, 9 unsupported protocol) |
//! | 2 Downloaded | Execute Update `/5/0/2`: 3 Updating, then [`FirmwareSink::apply`]: a restart ([`Applied::Restart`]), or 0 Idle with Update Result 1 ([`Applied::Done`]), or back to 2 with Update Result 8 on failure |
//! | 3 Updating | the device restarts; it tells the client how the update ended with [`AfterBoot`] |
//!
//! Writing an empty Package URI or a Package of one NUL byte (or none) resets the machine: State 0,
//! Update Result 0, the sink's partial or complete package dropped ([`FirmwareSink::abort`]).
//! Cancel (`/5/0/10`) does the same with Update Result 10 while nothing is being installed.
//! Execute Update in any state but Downloaded is refused with 4.05 Method Not Allowed, and so is a
//! Write of a new package or URI while one is downloading, downloaded or being installed.
//!
//! [`Client::enable_firmware_update`]: crate::client::Client::enable_firmware_update

use crate::prelude::*;
use core::fmt;

/// Where a firmware package goes: a stream the client fills chunk by chunk, in order.
///
/// The calls of one package: [`begin`](Self::begin), [`write`](Self::write) for each chunk,
/// then [`finish`](Self::finish) (verify), or [`abort`](Self::abort) at any point (a reset, a
/// cancel, a lost connection, a failed write). After a successful `finish`,
/// [`apply`](Self::apply) installs it when a server executes Update; `abort` then drops it.
/// A sink is never asked to hold a package whole in RAM.
pub trait FirmwareSink {
    /// A new package starts; `size` is its size in bytes when the sender said it (Block1's
    /// Size1, Block2's Size2). Refuse with [`SinkError::NoSpace`] when it cannot fit.
    fn begin(&mut self, size: Option<u32>) -> Result<(), SinkError>;
    /// The next chunk of the package (chunks come in order, without gaps or repeats).
    fn write(&mut self, chunk: &[u8]) -> Result<(), SinkError>;
    /// The whole package has arrived: check it (its integrity, its type) and keep it for
    /// [`apply`](Self::apply). Its name and version fill PkgName and PkgVersion (`/5/0/6`, `/5/0/7`).
    fn finish(&mut self) -> Result<PackageInfo, SinkError>;
    /// Installs the package kept by [`finish`](Self::finish).
    fn apply(&mut self) -> Result<Applied, SinkError>;
    /// Drops what was received or kept so far (a partial package, or a complete one not
    /// applied). Never fails: a sink that cannot clean up now does so at its next `begin`.
    fn abort(&mut self);
}

/// What a checked package says of itself: PkgName (`/5/0/6`) and PkgVersion (`/5/0/7`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageInfo {
    /// The package's name.
    pub name: Option<String>,
    /// The package's version.
    pub version: Option<String>,
}

/// How [`FirmwareSink::apply`] installed the package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The device must restart to run it: the client stays in State 3 Updating and reports
    /// [`Event::FirmwareUpdating`](crate::client::Event::FirmwareUpdating); the application
    /// restarts the device once the response has gone out, and tells the new run how the
    /// update ended ([`AfterBoot`]).
    Restart,
    /// Installed and running already: State 0 Idle, Update Result 1.
    Done,
}

/// Why a sink refused a package, as the Update Result it gives (`/5/0/5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SinkError {
    /// Not enough storage for the package (Update Result 2).
    #[error("not enough storage for the firmware package")]
    NoSpace,
    /// Out of RAM while receiving it (Update Result 3).
    #[error("out of RAM while receiving the firmware package")]
    OutOfMemory,
    /// The package failed its integrity check (Update Result 5).
    #[error("the firmware package failed its integrity check")]
    IntegrityCheck,
    /// The package is not of a type the device installs (Update Result 6).
    #[error("unsupported firmware package type")]
    UnsupportedPackage,
    /// Installing it failed (Update Result 8).
    #[error("installing the firmware failed")]
    UpdateFailed,
}

impl SinkError {
    /// The Update Result this error reports.
    pub fn update_result(self) -> UpdateResult {
        match self {
            SinkError::NoSpace => UpdateResult::NoSpace,
            SinkError::OutOfMemory => UpdateResult::OutOfMemory,
            SinkError::IntegrityCheck => UpdateResult::IntegrityCheckFailure,
            SinkError::UnsupportedPackage => UpdateResult::UnsupportedPackage,
            SinkError::UpdateFailed => UpdateResult::UpdateFailed,
        }
    }
}

/// State (`/5/0/3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum UpdateState {
    /// 0: before downloading, or after an update.
    #[default]
    Idle = 0,
    /// 1: a package is arriving.
    Downloading = 1,
    /// 2: a checked package waits for Update.
    Downloaded = 2,
    /// 3: the package is being installed.
    Updating = 3,
}

/// Update Result (`/5/0/5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum UpdateResult {
    /// 0: the initial value, also while a download or update is going on.
    #[default]
    Initial = 0,
    /// 1: the firmware was updated.
    Success = 1,
    /// 2: not enough flash memory for the package.
    NoSpace = 2,
    /// 3: out of RAM during the download.
    OutOfMemory = 3,
    /// 4: the connection was lost during the download.
    ConnectionLost = 4,
    /// 5: the package failed its integrity check.
    IntegrityCheckFailure = 5,
    /// 6: unsupported package type.
    UnsupportedPackage = 6,
    /// 7: invalid URI.
    InvalidUri = 7,
    /// 8: the firmware update failed.
    UpdateFailed = 8,
    /// 9: the URI's protocol is not supported.
    UnsupportedProtocol = 9,
    /// 10: the update was cancelled (Cancel `/5/0/10`).
    Cancelled = 10,
    /// 11: the update was deferred.
    Deferred = 11,
}

impl fmt::Display for UpdateState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UpdateState::Idle => "Idle",
            UpdateState::Downloading => "Downloading",
            UpdateState::Downloaded => "Downloaded",
            UpdateState::Updating => "Updating",
        })
    }
}

/// How the update before this run of the device ended: what the application tells the client
/// when it enables firmware update after a restart (its bootloader or its saved state knows).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AfterBoot {
    /// No update was under way: State 0, Update Result 0.
    #[default]
    Fresh,
    /// The new firmware runs: State 0, Update Result 1.
    Updated,
    /// Installing failed and the old firmware runs: Update Result 8, State 2 Downloaded when
    /// the sink still holds the package (`package_kept`, so that Update can be tried again),
    /// otherwise 0 Idle.
    Failed {
        /// Whether the sink still holds the checked package.
        package_kept: bool,
    },
    /// A package was downloaded and checked before the restart and the sink still holds it:
    /// State 2 Downloaded, waiting for Update.
    Downloaded(PackageInfo),
}

/// Firmware Update Delivery Method (`/5/0/9`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum DeliveryMethod {
    /// 0: pull only (Package URI).
    Pull = 0,
    /// 1: push only (Package).
    Push = 1,
    /// 2: both.
    #[default]
    Both = 2,
}

/// Firmware Update Protocol Support (`/5/0/8`): CoAP (0), with block-wise transfers. The
/// client also lists CoAPS ([`COAPS`]) when one of its servers is `coaps://`: a `coaps://`
/// Package URI naming that server is downloaded over its DTLS session; another host needs
/// credentials the client does not have (Update Result 9). `http(s)://` needs an HTTP client,
/// not offered: Update Result 9 (unsupported protocol).
pub const COAP: u8 = 0;
/// Firmware Update Protocol Support: CoAPS (see [`COAP`]).
pub const COAPS: u8 = 1;

/// What the client needs to run firmware update: the sink, how the last update ended and the
/// delivery methods offered.
pub struct FirmwareUpdater {
    /// Where packages go.
    pub sink: Box<dyn FirmwareSink + Send>,
    /// How the update before this run ended.
    pub after_boot: AfterBoot,
    /// Push, pull or both.
    pub delivery: DeliveryMethod,
}

impl FirmwareUpdater {
    /// Push and pull into `sink`, with no update under way before this run.
    pub fn new(sink: Box<dyn FirmwareSink + Send>) -> FirmwareUpdater {
        FirmwareUpdater {
            sink,
            after_boot: AfterBoot::Fresh,
            delivery: DeliveryMethod::Both,
        }
    }

    /// How the update before this run ended (see [`AfterBoot`]).
    pub fn after_boot(mut self, after_boot: AfterBoot) -> FirmwareUpdater {
        self.after_boot = after_boot;
        self
    }

    /// Offers only these delivery methods: a refused one is answered 4.05 Method Not Allowed.
    pub fn delivery(mut self, delivery: DeliveryMethod) -> FirmwareUpdater {
        self.delivery = delivery;
        self
    }
}

impl fmt::Debug for FirmwareUpdater {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FirmwareUpdater")
            .field("after_boot", &self.after_boot)
            .field("delivery", &self.delivery)
            .finish_non_exhaustive()
    }
}
