//! What the client's Security object (0) says about a destination the transport does not know
//! yet: secure it with these credentials, send it in the clear, or refuse it.

use std::net::SocketAddr;

use super::{Credentials, DtlsError, is_coaps, parse_coaps_uri};
use crate::client::Client;
use crate::objects::Security;
use crate::uri::parse_uri;

/// How to reach a destination.
#[derive(Debug)]
pub(super) enum Route {
    /// DTLS with these credentials.
    Secure(Credentials),
    /// Plain CoAP: no Security instance for it, or one in NoSec mode with a `coap://` URI.
    Plain,
    /// Its Security instance asks for security the transport cannot give (a mode not
    /// supported, a malformed key): nothing goes there, never in the clear.
    Refused(DtlsError),
}

/// The route to `to` by the client's Security instances: the instance of the server account
/// the client registers at `to` (same Short Server ID, not the bootstrap one), else any
/// instance whose URI names `to` as an IP literal (a Bootstrap-Server's too).
pub(super) fn route(client: &Client, to: SocketAddr) -> Route {
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
    let security =
        by_account.or_else(|| securities().find(|s| uri_address(&s.server_uri) == Some(to)));
    let Some(security) = security else {
        return Route::Plain;
    };
    if security.security_mode == Security::MODE_NO_SEC && !is_coaps(&security.server_uri) {
        return Route::Plain;
    }
    match Credentials::from_security(security) {
        Ok(credentials) => Route::Secure(credentials),
        Err(error) => Route::Refused(error),
    }
}

/// The address of a `coap://` or `coaps://` URI with an IP-literal host.
fn uri_address(uri: &str) -> Option<SocketAddr> {
    let parsed = if is_coaps(uri) {
        parse_coaps_uri(uri)
    } else {
        parse_uri(uri)
    };
    parsed.ok()?.socket_addr()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ObjectStore;
    use crate::client::Config;
    use crate::objects::Server;

    fn client(store: ObjectStore) -> Client {
        let first = "127.0.0.1:5684".parse().unwrap_or_else(|_| unreachable!());
        Client::new(Config::new("lookup", first), store)
    }

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn a_psk_account_is_secured_and_others_are_not() {
        let mut store = ObjectStore::new();
        let psk = Security::psk("coaps://127.0.0.1:5684", 1, b"dev", b"key");
        let _ = store.insert(0, psk, ());
        let _ = store.insert(0, Server::new(1, 300, "U"), ());
        let _ = store.insert(1, Security::no_sec("coap://127.0.0.1:5683", 2), ());
        let mut rpk = Security::psk("coaps://127.0.0.1:5700", 3, b"dev", b"key");
        rpk.security_mode = Security::MODE_RPK;
        let _ = store.insert(2, rpk, ());
        let client = client(store);
        assert!(matches!(
            route(&client, addr("127.0.0.1:5684")),
            Route::Secure(Credentials::Psk { .. })
        ));
        assert!(matches!(
            route(&client, addr("127.0.0.1:5683")),
            Route::Plain
        ));
        assert!(matches!(route(&client, addr("127.0.0.1:9")), Route::Plain));
        assert!(matches!(
            route(&client, addr("127.0.0.1:5700")),
            Route::Refused(DtlsError::Credentials(_))
        ));
    }
}
