//! DTLS 1.2 with a pre-shared key for `coaps://` servers (feature `dtls`), through OpenSSL.
//!
//! [`SecureTransport`] is a [`Transport`](crate::net::Transport): the same sans-I/O
//! [`Client`](crate::client::Client) runs over it with [`Driver::new`](crate::net::Driver::new),
//! exactly as over plain UDP, with one server or several, `coaps://` and `coap://` ones
//! mixed. Each `coaps://` server has its own [`Endpoint`], a sans-I/O DTLS state machine
//! (datagram in, plaintext out, its own timers on the caller's clock), and its own UDP socket;
//! the driver runs them all in one loop with one deadline, so no server's handshake ever
//! delays another's datagrams. The credentials come from the Security object (0) with
//! [`Credentials::from_security`] (mode 0: identity `/0/x/3`, key `/0/x/5`): of the servers
//! [added](SecureTransport::add) beforehand, or looked up when the client first sends to a
//! server (one a Bootstrap-Server wrote, for instance). The cipher suites offered are
//! [`DEFAULT_CIPHERS`] (TLS_PSK_WITH_AES_128_CCM_8, TLS_PSK_WITH_AES_128_CBC_SHA256).
//!
//! ```no_run
//! use std::time::Duration;
//! use lwm2m::client::{Client, Config};
//! use lwm2m::net::Driver;
//! use lwm2m::net::dtls::{Credentials, DtlsConfig, SecureTransport, resolve_coaps};
//! use lwm2m::ObjectStore;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let server = resolve_coaps("coaps://127.0.0.1").await?; // port 5684
//! let credentials = Credentials::psk(*b"my-device", [0x01, 0x02, 0x03, 0x04])?;
//! let local = "0.0.0.0:0".parse()?;
//! let mut transport = SecureTransport::new(local);
//! transport.add(local, server, DtlsConfig::new(credentials))?;
//! transport.connect(server).await?; // optional: a wrong key stops here
//! let client = Client::new(Config::new("my-device", server), ObjectStore::new());
//! Driver::new(transport)
//!     .run(client, Duration::from_secs(1), |_client, _now| {}, std::future::pending())
//!     .await?;
//! # Ok(())
//! # }
//! ```
//!
//! Design: OpenSSL's DTLS state machine runs over an in-memory datagram pipe (one `read` or
//! `write` = one datagram) behind the [`DtlsEngine`] trait, so that another engine (Mbed TLS)
//! can be added without touching the client. A new handshake after a lost session offers the
//! last one for resumption (an abbreviated handshake), through the one `unsafe` call of the
//! workspace, confined to `resumption.rs`, and goes out from a fresh local port unless the port
//! is pinned (servers ignore a new ClientHello from an address whose association they still
//! hold); the transport reports it, and the driver has the client send that server a
//! Registration Update from the new address. Raw Public Keys and X.509 certificates will be
//! further [`Credentials`] variants configuring the same OpenSSL context.

mod alert;
mod config;
mod credentials;
pub mod endpoint;
mod error;
mod lookup;
mod peer;
mod pipe;
mod resumption;
mod screen;
mod secure;
mod session;
mod uri;

pub use alert::{ALERT, APPLICATION_DATA, Alert, CHANGE_CIPHER_SPEC, HANDSHAKE, RECORD_HEADER_LEN};
pub use config::{DEFAULT_CIPHERS, DtlsConfig};
pub use credentials::{Credentials, MAX_PSK_IDENTITY_LEN, MAX_PSK_KEY_LEN};
pub use endpoint::{
    DtlsEngine, DtlsSession, Endpoint, EndpointConfig, EndpointEvent, OpenSslEngine,
};
pub use error::DtlsError;
pub use peer::{PeerStatus, SessionReport};
pub use secure::SecureTransport;
pub use uri::{DEFAULT_SECURE_PORT, is_coaps, parse_coaps_uri, resolve_coaps};
