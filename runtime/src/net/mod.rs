//! The tokio UDP driver of the sans-I/O [`Client`](crate::client::Client) (feature `tokio`).
//!
//! [`UdpDriver`] owns one [`tokio::net::UdpSocket`] that carries both directions: the client's
//! Register, Update, Deregister and notifications go out on it, and the server's requests come
//! back to it. [`UdpDriver::run`] feeds the client datagrams and timeouts, sends what it
//! transmits, logs its [`Event`](crate::client::Event)s with `tracing`, runs an application tick
//! (to update sensor values) and, when the shutdown future completes, deregisters.
//! [`resolve`] turns a `coap://host:port` server URI into the socket address the client needs.
//!
//! [`BlockingDriver`] runs the same client on a blocking std socket without an async runtime
//! (plain `coap://` only): two system calls per request served one at a time.
//!
//! The driver is generic over a datagram [`Transport`]: [`UdpDriver`] is plain CoAP, and with
//! the `dtls` feature [`Driver::new`] over a `dtls::SecureTransport` runs the same client over
//! DTLS 1.2 with a pre-shared key (`coaps://`), with one or several servers (a sans-I/O DTLS
//! endpoint per server, all in the driver's one loop with one deadline).
//!
//! ```no_run
//! use std::time::Duration;
//! use lwm2m::client::{Client, Config};
//! use lwm2m::net::{resolve, UdpDriver};
//! use lwm2m::ObjectStore;
//!
//! # async fn demo() -> std::io::Result<()> {
//! let server = resolve("coap://127.0.0.1:5683").await?;
//! let driver = UdpDriver::bind("0.0.0.0:0".parse().unwrap()).await?;
//! let client = Client::new(Config::new("my-device", server), ObjectStore::new());
//! let shutdown = async {
//!     let _ = tokio::signal::ctrl_c().await;
//! };
//! driver
//!     .run(client, Duration::from_secs(1), |_client, _now| {}, shutdown)
//!     .await?;
//! # Ok(())
//! # }
//! ```

mod accounts;
mod batch;
mod blocking;
mod driver;
mod events;
mod transport;
mod uri;

#[cfg(feature = "dtls")]
#[cfg_attr(docsrs, doc(cfg(feature = "dtls")))]
pub mod dtls;

pub use batch::{Filled, RecvBatch};
pub use blocking::{BlockingDriver, resolve_blocking};
pub use driver::{Driver, UdpDriver};
pub use events::{TransportChange, log_event, log_transport_change};
pub use transport::Transport;
pub use uri::{DEFAULT_PORT, ServerUri, UriError, parse_uri, resolve};

/// Whether a socket error reports an unreachable peer (an ICMP report about an earlier
/// datagram) rather than a broken socket.
fn is_unreachable(e: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        e.kind(),
        ErrorKind::ConnectionRefused
            | ErrorKind::ConnectionReset
            | ErrorKind::HostUnreachable
            | ErrorKind::NetworkUnreachable
    )
}

/// A receive's error as both drivers take it: an ICMP "port unreachable" for an earlier
/// datagram (the server is not up yet) is logged and passed over, because the client's
/// retransmissions and retries deal with it; any other error ends the driver.
fn unless_unreachable(result: std::io::Result<()>) -> std::io::Result<()> {
    match result {
        Err(e) if is_unreachable(&e) => {
            tracing::debug!(error = %e, "peer unreachable");
            Ok(())
        }
        Err(e) => {
            tracing::error!(error = %e, "receive failed");
            Err(e)
        }
        Ok(()) => Ok(()),
    }
}

#[cfg(test)]
mod blocking_tests;
#[cfg(test)]
mod tests;
