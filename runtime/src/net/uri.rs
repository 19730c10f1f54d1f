//! Resolution of server URIs (`coap://host:port`) to a socket address; the parsing itself is
//! [`crate::uri`]'s (no I/O), re-exported here.

use std::io;
use std::net::SocketAddr;

pub use crate::uri::{DEFAULT_PORT, ServerUri, UriError, parse_uri};

/// Resolves a `coap://host:port` server URI to a socket address, preferring IPv4 when the host
/// has both (servers often listen on IPv4 only). `coaps://` is an [`io::ErrorKind::Unsupported`]
/// error ("DTLS not supported yet"), a malformed URI an [`io::ErrorKind::InvalidInput`] one.
pub async fn resolve(uri: &str) -> io::Result<SocketAddr> {
    let parsed = parse_uri(uri)?;
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((parsed.host.as_str(), parsed.port))
        .await?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("server URI `{uri}`: host `{}` has no address", parsed.host),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn resolves_and_reports_dtls_clearly() {
        let addr = resolve("coap://127.0.0.1:5690").await.unwrap();
        assert_eq!(addr, "127.0.0.1:5690".parse().unwrap());
        let addr = resolve("coap://localhost").await.unwrap();
        assert!(addr.ip().is_loopback());
        assert_eq!(addr.port(), DEFAULT_PORT);
        let err = resolve("coaps://127.0.0.1").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Unsupported);
        assert!(err.to_string().contains("DTLS not supported yet"), "{err}");
        let err = resolve("coap//x").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
