//! The Bootstrap interface left out (feature `bootstrap` off): no Bootstrap-Request is ever
//! sent, so the engine never enters its bootstrap phase, no request comes from a bootstrap
//! server, and the hooks below are never reached with anything to do. The client registers
//! with the server accounts it has; `Config::bootstrap_server` and Bootstrap-Server accounts
//! in the Security object are ignored.

use crate::time::Instant;
use core::net::SocketAddr;

use coap_lite::ResponseType;

use crate::path::Path;

use super::Failure;
use super::dm::Reply;
use super::engine::Engine;

impl Engine {
    /// No bootstrap server is contacted ([`Engine::bootstrap_address`] is `None`).
    pub(super) fn send_bootstrap_request(&mut self, _now: Instant) {}

    /// Unreachable: no Bootstrap-Request is sent.
    pub(super) fn fail_bootstrap(&mut self, _now: Instant, _reason: Failure) {}

    /// No request comes from a bootstrap server.
    pub(super) fn is_bootstrap_peer(&self, _from: SocketAddr) -> bool {
        false
    }

    /// Unreachable (only the bootstrap server sends Bootstrap-Delete).
    pub(super) fn bootstrap_delete(&mut self, _path: &Path) -> Reply {
        Reply::code(ResponseType::MethodNotAllowed)
    }

    /// Unreachable (only the bootstrap server sends Bootstrap-Discover).
    pub(super) fn bootstrap_discover(&mut self, _path: &Path) -> Reply {
        Reply::code(ResponseType::MethodNotAllowed)
    }

    /// Unreachable (only the bootstrap server sends Bootstrap-Write).
    pub(super) fn bootstrap_write(
        &mut self,
        _path: &Path,
        _format: Option<u16>,
        _payload: &[u8],
    ) -> Reply {
        Reply::code(ResponseType::MethodNotAllowed)
    }

    /// Unreachable (only the bootstrap server sends Bootstrap-Finish).
    pub(super) fn bootstrap_finish(&mut self) -> Reply {
        Reply::code(ResponseType::MethodNotAllowed)
    }

    /// None: without the feature there is no bootstrap server to go to (so a Bootstrap-Request
    /// Trigger, `/1/x/9`, does nothing, as on a device without a Bootstrap-Server account).
    pub(super) fn bootstrap_address(&mut self) -> Option<SocketAddr> {
        None
    }

    /// Unreachable: the engine never enters its bootstrap phase.
    pub(super) fn register_with_bootstrapped_server(&mut self, now: Instant) {
        self.register_all(now);
    }
}
