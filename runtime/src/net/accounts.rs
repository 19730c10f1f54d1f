//! Which Security instance (object 0) is the account of a destination the client sends to,
//! for transports that decide by it: the DTLS transport takes its credentials from it, and
//! the [`PlainGuard`] of transports that secure nothing refuses a `coaps://` account's
//! datagrams.

use crate::prelude::*;
use std::collections::BTreeMap;
use std::net::SocketAddr;

use crate::client::{Client, Transmit};
use crate::objects::Security;
use crate::uri::parse_uri;

/// The Security instance of `to`: the one of the server account the client registers at `to`
/// (same Short Server ID, not the bootstrap one), else any instance whose URI names `to` as an
/// IP literal (a Bootstrap-Server's too).
pub(crate) fn security_for(client: &Client, to: SocketAddr) -> Option<&Security> {
    let store = client.store();
    let securities = || {
        store
            .instances(0)
            .filter_map(|instance| store.get::<Security>(instance))
    };
    let ssid = client
        .servers()
        .into_iter()
        .find(|server| server.address == to)
        .and_then(|server| server.short_server_id);
    let by_account = ssid.and_then(|ssid| {
        securities().find(|s| !s.bootstrap_server && s.short_server_id == Some(ssid))
    });
    by_account.or_else(|| securities().find(|s| uri_address(&s.server_uri) == Some(to)))
}

/// Whether `uri` is `coaps://` (case-insensitive scheme).
pub(crate) fn is_secure_uri(uri: &str) -> bool {
    uri.split_once("://")
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("coaps"))
}

/// The address of a `coap://` or `coaps://` URI (port 5684 by default) with an IP-literal host.
fn uri_address(uri: &str) -> Option<SocketAddr> {
    match uri.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("coaps") => {
            let mut parsed = parse_uri(&format!("coap://{rest}")).ok()?;
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            if !authority.ends_with(&format!(":{}", parsed.port)) {
                parsed.port = 5684;
            }
            parsed.socket_addr()
        }
        _ => parse_uri(uri).ok()?.socket_addr(),
    }
}

/// What a transport that secures nothing (plain UDP) must not send: a datagram to a server
/// whose account is `coaps://` (say, one a Bootstrap-Server wrote) is dropped and logged,
/// never sent in the clear. Each destination is looked up once; the driver forgets the
/// decisions after a bootstrap.
#[derive(Debug, Default)]
pub(crate) struct PlainGuard {
    /// Per destination: whether its account asks for security.
    secure_only: BTreeMap<SocketAddr, bool>,
}

impl PlainGuard {
    /// Drops from `transmits` the datagrams to `coaps://` accounts.
    pub(crate) fn retain(&mut self, transmits: &mut Vec<Transmit>, client: &Client) {
        let known = |guard: &Self, to: &SocketAddr| guard.secure_only.get(to) == Some(&false);
        if transmits.iter().all(|t| known(self, &t.to)) {
            return;
        }
        for transmit in transmits.iter() {
            if self.secure_only.contains_key(&transmit.to) {
                continue;
            }
            let secure = security_for(client, transmit.to)
                .is_some_and(|security| is_secure_uri(&security.server_uri));
            if secure {
                tracing::error!(
                    to = %transmit.to,
                    "a coaps:// server on a transport without DTLS: nothing is sent to it \
                     (use lwm2m::net::dtls::SecureTransport, feature dtls)"
                );
            }
            self.secure_only.insert(transmit.to, secure);
        }
        transmits.retain(|t| self.secure_only.get(&t.to) != Some(&true));
    }

    /// Forgets every decision (the Security object changed).
    pub(crate) fn forget(&mut self) {
        self.secure_only.clear();
    }
}
