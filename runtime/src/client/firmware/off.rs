//! Firmware Update left out (feature `firmware-update` off): the engine's hooks do nothing, so
//! that none of its code is linked into a device that does not serve object 5.

use crate::time::Instant;
use core::net::SocketAddr;

use coap_lite::ResponseType;

use crate::path::Path;

use super::Failure;
use super::dm::{Effect, Reply};
use super::engine::{Engine, Requester};
use super::operation::Request;

/// Never made: no firmware update without the feature.
#[derive(Debug)]
pub(super) enum Firmware {}

impl Engine {
    /// Nothing is answered by a firmware update (there is none: `firmware` is always `None`).
    pub(super) fn firmware_handles(&self, _path: &Path) -> bool {
        self.firmware.is_some()
    }

    /// Unreachable without a firmware update ([`Engine::firmware_handles`] is false).
    pub(super) fn firmware_write(
        &mut self,
        _now: Instant,
        _path: &Path,
        _format: Option<u32>,
        _payload: &[u8],
    ) -> Reply {
        Reply::code(ResponseType::NotFound)
    }

    /// Unreachable without a firmware update ([`Engine::firmware_handles`] is false).
    pub(super) fn firmware_execute(&mut self, _now: Instant, _path: &Path) -> Reply {
        Reply::code(ResponseType::NotFound)
    }

    /// No package is pushed.
    pub(super) fn firmware_push_block(
        &mut self,
        _now: Instant,
        _from: SocketAddr,
        _request: &crate::coap::MessageRef<'_>,
        _classified: &Request,
        _requester: Requester,
        _next_id: u16,
    ) -> Option<(crate::coap::Outgoing, alloc::vec::Vec<Effect>)> {
        None
    }

    /// No download is in flight.
    pub(super) fn download_response(
        &mut self,
        _now: Instant,
        _packet: &crate::coap::MessageRef<'_>,
    ) {
    }

    /// No download is in flight.
    pub(super) fn download_failed(&mut self, _now: Instant, _reason: Failure) {}

    /// No deadline.
    pub(super) fn firmware_deadline(&self) -> Option<Instant> {
        None
    }

    /// Nothing is due.
    pub(super) fn firmware_timeout(&mut self, _now: Instant) {}
}
