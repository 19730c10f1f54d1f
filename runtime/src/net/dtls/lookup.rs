//! What the client's Security object (0) says about a destination the transport does not know
//! yet: secure it with these credentials, send it in the clear, or refuse it.

use std::net::SocketAddr;

use super::{Credentials, DtlsError, is_coaps};
use crate::client::Client;
use crate::net::accounts::security_for;
use crate::objects::Security;

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

/// The route to `to` by the client's Security instances (see
/// [`security_for`](crate::net::accounts::security_for)).
pub(super) fn route(client: &Client, to: SocketAddr) -> Route {
    let Some(security) = security_for(client, to) else {
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
