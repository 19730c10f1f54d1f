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

// Run by `.ci/run`: `cargo test -p lwm2m --lib --no-default-features --features std,derive
// without_the_feature`.
#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use core::net::SocketAddr;
    use core::time::Duration;

    use coap_lite::{CoapOption, Packet};

    use crate::ObjectStore;
    use crate::client::{Client, Config};
    use crate::objects::{Device, DeviceHandler, Security, Server};
    use crate::prelude::Vec;
    use crate::time::Instant;

    fn server() -> SocketAddr {
        "127.0.0.1:5683".parse().unwrap()
    }

    fn bootstrap_server() -> SocketAddr {
        "127.0.0.1:5699".parse().unwrap()
    }

    /// A device with a Bootstrap-Server account and a server account.
    fn store() -> ObjectStore {
        let mut store = ObjectStore::new();
        let bootstrap = Security::bootstrap("coap://127.0.0.1:5699");
        store.insert(0, bootstrap, ()).unwrap();
        let account = Security::no_sec("coap://127.0.0.1:5683", 1);
        store.insert(1, account, ()).unwrap();
        store.insert(0, Server::new(1, 300, "U"), ()).unwrap();
        store
            .insert(0, Device::demo(), DeviceHandler::default())
            .unwrap();
        store
    }

    #[test]
    fn without_the_feature_a_configured_bootstrap_server_is_never_contacted() {
        let now = Instant::from_millis(0);
        let mut config = Config::new("dev1", server());
        config.bootstrap_server = Some(bootstrap_server());
        let mut client = Client::new(config, store());
        client.start(now);
        let first = client.poll_transmit().unwrap();
        // With the feature, the first datagram would be `POST /bs?ep=dev1` to the
        // Bootstrap-Server: without it, the Register goes to the server account.
        assert_eq!(first.to, server());
        let register = Packet::from_bytes(&first.bytes).unwrap();
        let path: Vec<_> = register
            .get_option(CoapOption::UriPath)
            .into_iter()
            .flatten()
            .collect();
        assert_eq!(path, [&b"rd".to_vec()]);
        // Nothing ever goes to the Bootstrap-Server, however long the Register stays
        // unanswered (retransmissions, then the registration's retries).
        let mut at = now;
        for _ in 0..200 {
            at += Duration::from_secs(30);
            client.handle_timeout(at);
            while let Some(transmit) = client.poll_transmit() {
                assert_ne!(transmit.to, bootstrap_server());
            }
        }
    }
}
