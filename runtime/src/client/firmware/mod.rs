//! Firmware Update (object 5) in the client: the state machine of [`crate::firmware`], fed by
//! the server's requests on `/5/0` and by the pull download, and shown to servers through the
//! store's [`FirmwareUpdate`] instance (so that reads, observations and notifications of State
//! and Update Result work as for any resource).
//!
//! - [`push`]: a Write of Package (`/5/0/0`), whole or in Block1 blocks streamed to the sink
//!   one by one (never reassembled).
//! - [`download`]: a Write of Package URI (`/5/0/1`) and the block-wise `GET` that follows.
//!
//! Errors of the transfer that stop it (the sink refused a chunk) answer the request that
//! carried it with an error code so that a pushing server stops sending; everything else is
//! reported, as the Core TS asks, only through Update Result: a package that fails its check
//! is still answered 2.04, and so is a URI that cannot be used (Update Result 7 or 9).

mod download;
mod push;

use crate::prelude::*;
use crate::time::Instant;

use coap_lite::ResponseType;

use crate::codec::Record;
use crate::field::Instances;
use crate::firmware::{
    AfterBoot, Applied, COAP, COAPS, DeliveryMethod, FirmwareSink, FirmwareUpdater, PackageInfo,
    SinkError, UpdateResult, UpdateState,
};
use crate::objects::FirmwareUpdate;
use crate::path::Path;
use crate::value::Value;

use super::Event;
use super::dm::{self, Effect, Reply};
use super::engine::{Engine, Requester};
use super::session::ServerId;

pub(super) use download::Download;
pub(super) use push::Push;

/// The instance of object 5 the client serves.
const INSTANCE: u16 = 0;

/// How a package is arriving, if one is.
#[derive(Debug)]
pub(super) enum Transfer {
    /// None.
    None,
    /// Pushed by a server in Block1 blocks.
    Push(Push),
    /// Pulled from the Package URI.
    Pull(Download),
}

/// The firmware update of a client: the sink and where the state machine is.
pub(super) struct Firmware {
    sink: Box<dyn FirmwareSink + Send>,
    delivery: DeliveryMethod,
    state: UpdateState,
    result: UpdateResult,
    /// What the checked package said of itself (Downloaded).
    info: PackageInfo,
    /// The Package URI last written.
    uri: String,
    pub(super) transfer: Transfer,
}

impl core::fmt::Debug for Firmware {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Firmware")
            .field("state", &self.state)
            .field("result", &self.result)
            .field("transfer", &self.transfer)
            .finish_non_exhaustive()
    }
}

impl Firmware {
    /// The machine after a (re)start, as `updater.after_boot` says.
    fn new(updater: FirmwareUpdater) -> Firmware {
        let (state, result, info) = match updater.after_boot {
            AfterBoot::Fresh => (
                UpdateState::Idle,
                UpdateResult::Initial,
                PackageInfo::default(),
            ),
            AfterBoot::Updated => (
                UpdateState::Idle,
                UpdateResult::Success,
                PackageInfo::default(),
            ),
            AfterBoot::Failed { package_kept } => (
                if package_kept {
                    UpdateState::Downloaded
                } else {
                    UpdateState::Idle
                },
                UpdateResult::UpdateFailed,
                PackageInfo::default(),
            ),
            AfterBoot::Downloaded(info) => (UpdateState::Downloaded, UpdateResult::Initial, info),
        };
        Firmware {
            sink: updater.sink,
            delivery: updater.delivery,
            state,
            result,
            info,
            uri: String::new(),
            transfer: Transfer::None,
        }
    }

    /// Whether push (`/5/0/0`) is offered.
    fn pushes(&self) -> bool {
        self.delivery != DeliveryMethod::Pull
    }

    /// Whether pull (`/5/0/1`) is offered.
    fn pulls(&self) -> bool {
        self.delivery != DeliveryMethod::Push
    }

    /// Back to Idle with `result`, dropping whatever package the sink has.
    fn reset(&mut self, result: UpdateResult) {
        if self.state != UpdateState::Idle || !matches!(self.transfer, Transfer::None) {
            self.sink.abort();
        }
        self.state = UpdateState::Idle;
        self.result = result;
        self.info = PackageInfo::default();
        self.transfer = Transfer::None;
    }

    /// A transfer failed with `error`: Idle, its Update Result.
    fn fail(&mut self, error: SinkError) {
        self.reset(error.update_result());
    }

    /// A new package starts arriving: Downloading, Update Result 0.
    fn start(&mut self, transfer: Transfer) {
        self.state = UpdateState::Downloading;
        self.result = UpdateResult::Initial;
        self.info = PackageInfo::default();
        self.transfer = transfer;
    }

    /// The last chunk arrived: the sink checks the package; Downloaded, or Idle with the
    /// check's Update Result.
    fn finish(&mut self) {
        self.transfer = Transfer::None;
        match self.sink.finish() {
            Ok(info) => {
                self.state = UpdateState::Downloaded;
                self.info = info;
            }
            Err(e) => self.fail(e),
        }
    }
}

/// The response code of a sink's refusal that stops a transfer: 4.13 Request Entity Too Large
/// for what does not fit, 4.00 Bad Request for a package refused for what it is.
fn refusal(error: SinkError) -> Reply {
    Reply::code(match error {
        SinkError::NoSpace | SinkError::OutOfMemory => ResponseType::RequestEntityTooLarge,
        _ => ResponseType::BadRequest,
    })
}

impl Engine {
    /// Turns firmware update on (see [`crate::firmware`]): `/5/0` is (re)made in the store with
    /// the state `updater.after_boot` gives.
    pub(super) fn enable_firmware(&mut self, now: Instant, updater: FirmwareUpdater) {
        let firmware = Firmware::new(updater);
        let mut protocols = Instances::new();
        protocols.insert(0, COAP);
        if !self.secure_servers().is_empty() {
            protocols.insert(1, COAPS);
        }
        let object = FirmwareUpdate {
            protocol_support: Some(protocols),
            delivery_method: firmware.delivery as u8,
            ..FirmwareUpdate::default()
        };
        let _ = self.store.delete(FirmwareUpdate::ID, INSTANCE);
        if let Err(e) = self.store.insert(INSTANCE, object, ()) {
            tracing::warn!(error = %e, "firmware update: /5/0 cannot be served");
            return;
        }
        self.firmware = Some(firmware);
        self.publish_firmware(now);
    }

    /// The state of the update: State and Update Result.
    pub(super) fn firmware_status(&self) -> Option<(UpdateState, UpdateResult)> {
        self.firmware.as_ref().map(|f| (f.state, f.result))
    }

    /// Whether `path` is answered by the firmware update rather than the store: Package,
    /// Package URI and the instance they belong to (writes), Update and Cancel (executes).
    pub(super) fn firmware_handles(&self, path: &Path) -> bool {
        self.firmware.is_some()
            && matches!(
                *path.ids(),
                [FirmwareUpdate::ID, INSTANCE, ..] | [FirmwareUpdate::ID]
            )
    }

    /// A Write (replace or partial update) of `/5/0`, `/5/0/0` or `/5/0/1` sent whole: its
    /// Package and Package URI values go to the state machine.
    pub(super) fn firmware_write(
        &mut self,
        now: Instant,
        path: &Path,
        format: Option<u32>,
        payload: &[u8],
    ) -> Reply {
        let reply = self.firmware_write_records(now, path, format, payload);
        self.publish_firmware(now);
        reply
    }

    fn firmware_write_records(
        &mut self,
        now: Instant,
        path: &Path,
        format: Option<u32>,
        payload: &[u8],
    ) -> Reply {
        let records: Vec<Record> = match *path.ids() {
            // Package as raw bytes needs no decoding (and no copy into a Value).
            [_, _, FirmwareUpdate::PACKAGE] if matches!(format, None | Some(42)) => {
                return self.push_whole(payload);
            }
            [_, INSTANCE]
            | [
                _,
                INSTANCE,
                FirmwareUpdate::PACKAGE | FirmwareUpdate::PACKAGE_URI,
            ] => match dm::decode(&self.store, path, format, payload) {
                Ok(records) => records,
                Err(reply) => return reply,
            },
            [_, INSTANCE, _] => return Reply::code(ResponseType::MethodNotAllowed),
            _ => return Reply::code(ResponseType::MethodNotAllowed),
        };
        // Every record must be Package or Package URI (the others are read-only).
        if records.iter().any(|r| {
            !matches!(
                r.path.resource_id(),
                Some(FirmwareUpdate::PACKAGE | FirmwareUpdate::PACKAGE_URI)
            ) || r.path.is_resource_instance()
        }) {
            return Reply::code(ResponseType::MethodNotAllowed);
        }
        let mut reply = Reply::code(ResponseType::Changed);
        for record in records {
            reply = match (record.path.resource_id(), record.value) {
                (Some(FirmwareUpdate::PACKAGE), Value::Opaque(bytes)) => self.push_whole(&bytes),
                (Some(FirmwareUpdate::PACKAGE_URI), Value::String(uri)) => {
                    self.write_package_uri(now, uri)
                }
                _ => Reply::code(ResponseType::BadRequest),
            };
            if !super::message::is_success(reply.code) {
                break;
            }
        }
        reply
    }

    /// Execute of Update (`/5/0/2`) or Cancel (`/5/0/10`).
    pub(super) fn firmware_execute(&mut self, now: Instant, path: &Path) -> Reply {
        let reply = match *path.ids() {
            [_, INSTANCE, FirmwareUpdate::UPDATE] => self.firmware_update(),
            [_, INSTANCE, FirmwareUpdate::CANCEL] => self.firmware_cancel(),
            [_, INSTANCE, _] => Reply::code(ResponseType::MethodNotAllowed),
            _ => Reply::code(ResponseType::NotFound),
        };
        self.publish_firmware(now);
        reply
    }

    /// Update: installs a Downloaded package (4.05 Method Not Allowed in any other state,
    /// which stays as it was: ETS int-772).
    fn firmware_update(&mut self) -> Reply {
        let Some(firmware) = self.firmware.as_mut() else {
            return Reply::code(ResponseType::NotFound);
        };
        if firmware.state != UpdateState::Downloaded {
            return Reply::code(ResponseType::MethodNotAllowed);
        }
        firmware.state = UpdateState::Updating;
        firmware.result = UpdateResult::Initial;
        match firmware.sink.apply() {
            Ok(Applied::Restart) => self.emit(None, Event::FirmwareUpdating),
            Ok(Applied::Done) => {
                firmware.state = UpdateState::Idle;
                firmware.result = UpdateResult::Success;
                firmware.info = PackageInfo::default();
            }
            // The package is still there: Update may be tried again (ETS int-779).
            Err(e) => {
                firmware.state = UpdateState::Downloaded;
                firmware.result = match e {
                    SinkError::UpdateFailed => UpdateResult::UpdateFailed,
                    other => other.update_result(),
                };
            }
        }
        Reply::code(ResponseType::Changed)
    }

    /// Cancel: drops a download or a package not yet installed, Update Result 10; refused
    /// with 4.05 while installing, or when there is nothing to cancel.
    fn firmware_cancel(&mut self) -> Reply {
        let Some(firmware) = self.firmware.as_mut() else {
            return Reply::code(ResponseType::NotFound);
        };
        match firmware.state {
            UpdateState::Downloading | UpdateState::Downloaded => {
                self.forget_download();
                if let Some(firmware) = self.firmware.as_mut() {
                    firmware.reset(UpdateResult::Cancelled);
                }
                Reply::code(ResponseType::Changed)
            }
            UpdateState::Idle | UpdateState::Updating => {
                Reply::code(ResponseType::MethodNotAllowed)
            }
        }
    }

    /// Shows the machine's State, Update Result, package name and version and Package URI in
    /// the store's `/5/0`, notifies the observers of what changed and reports a changed state.
    pub(super) fn publish_firmware(&mut self, now: Instant) {
        let Some(firmware) = self.firmware.as_ref() else {
            return;
        };
        let (state, result) = (firmware.state, firmware.result);
        let name = firmware.info.name.clone();
        let version = firmware.info.version.clone();
        let uri = firmware.uri.clone();
        let Some(object) = self.store.get_mut::<FirmwareUpdate>(INSTANCE) else {
            return;
        };
        let mut changed: Vec<u16> = Vec::new();
        if object.state != state as u8 {
            object.state = state as u8;
            changed.push(FirmwareUpdate::STATE);
        }
        if object.update_result != result as u8 {
            object.update_result = result as u8;
            changed.push(FirmwareUpdate::UPDATE_RESULT);
        }
        if object.pkg_name != name {
            object.pkg_name = name;
            changed.push(FirmwareUpdate::PKG_NAME);
        }
        if object.pkg_version != version {
            object.pkg_version = version;
            changed.push(FirmwareUpdate::PKG_VERSION);
        }
        if object.package_uri != uri {
            object.package_uri = uri;
            changed.push(FirmwareUpdate::PACKAGE_URI);
        }
        if changed.contains(&FirmwareUpdate::STATE)
            || changed.contains(&FirmwareUpdate::UPDATE_RESULT)
        {
            self.emit(None, Event::FirmwareStateChanged { state, result });
        }
        for resource in changed {
            let path = Path::resource(FirmwareUpdate::ID, INSTANCE, resource);
            self.apply(now, Requester::Server(ServerId(0)), Effect::Changed(path));
        }
    }

    /// The firmware update's deadline: a pushed package's next block, a download's retry or
    /// its unanswered request.
    pub(super) fn firmware_deadline(&self) -> Option<Instant> {
        match &self.firmware.as_ref()?.transfer {
            Transfer::None => None,
            Transfer::Push(push) => Some(push.deadline),
            Transfer::Pull(download) => download.deadline(),
        }
    }

    /// What is due at `now`: a push left unfinished fails with Update Result 4 (connection
    /// lost), a download is retried or given up.
    pub(super) fn firmware_timeout(&mut self, now: Instant) {
        let Some(firmware) = self.firmware.as_mut() else {
            return;
        };
        match &firmware.transfer {
            Transfer::Push(push) if push.deadline <= now => {
                tracing::warn!("firmware push: no block for too long; connection lost");
                firmware.reset(UpdateResult::ConnectionLost);
            }
            Transfer::Pull(_) => self.download_timeout(now),
            _ => return,
        }
        self.publish_firmware(now);
    }
}
