//! Resolution of server URIs (`coap://host:port`) to a socket address; the parsing itself is
//! [`crate::uri`]'s (no I/O), re-exported here.

use crate::prelude::*;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

pub use crate::uri::{DEFAULT_PORT, ServerUri, UriError, parse_uri};

/// Resolves a `coap://host:port` server URI to a socket address, preferring IPv4 when the host
/// has both (servers often listen on IPv4 only). `coaps://` is an [`io::ErrorKind::Unsupported`]
/// error ("DTLS not supported yet"), a malformed URI an [`io::ErrorKind::InvalidInput`] one.
pub async fn resolve(uri: &str) -> io::Result<SocketAddr> {
    let parsed = parse_uri(uri)?;
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((parsed.host.as_str(), parsed.port))
        .await?
        .collect();
    pick_address(uri, &parsed, &addrs)
}

/// The address a lookup of `parsed` (from `uri`) gave to use: the first IPv4 one, else the
/// first; none is an [`io::ErrorKind::NotFound`] error. Shared by [`resolve`] and the blocking
/// driver's lookup.
pub(crate) fn pick_address(
    uri: &str,
    parsed: &ServerUri,
    addrs: &[SocketAddr],
) -> io::Result<SocketAddr> {
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

/// The first wait before a failed lookup is tried again; each further failure doubles it.
const FIRST_LOOKUP_RETRY: Duration = Duration::from_secs(1);

/// The longest wait between two lookups of the same host.
const MAX_LOOKUP_RETRY: Duration = Duration::from_secs(60);

/// How long to wait after the `failures`-th failed lookup in a row: 1 s, 2 s, 4 s, ... up to
/// a minute.
pub(crate) fn lookup_retry_delay(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    FIRST_LOOKUP_RETRY
        .saturating_mul(1u32 << doublings)
        .min(MAX_LOOKUP_RETRY)
}

/// Resolves `uri` with [`resolve`] until it has an address: a failed lookup (no DNS yet, an
/// unknown host) is logged and tried again after [`lookup_retry_delay`]. The lookup itself runs
/// on tokio's blocking pool ([`tokio::net::lookup_host`]), never on the caller's task.
pub(crate) async fn resolve_with_retries(uri: String) -> SocketAddr {
    let mut failures: u32 = 0;
    loop {
        match resolve(&uri).await {
            Ok(address) => {
                tracing::info!(%uri, %address, "server host resolved");
                return address;
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                let retry_in = lookup_retry_delay(failures);
                tracing::warn!(%uri, error = %e, ?retry_in, failures, "server lookup failed");
                tokio::time::sleep(retry_in).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_retries_back_off_from_one_second_to_a_minute() {
        let delays: Vec<u64> = (1..=8).map(|n| lookup_retry_delay(n).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(lookup_retry_delay(0), FIRST_LOOKUP_RETRY);
        assert_eq!(lookup_retry_delay(u32::MAX), MAX_LOOKUP_RETRY);
    }

    #[tokio::test]
    async fn a_host_name_resolves_to_its_address_with_the_uri_port() {
        let address = resolve_with_retries("coap://localhost:5690".to_owned()).await;
        assert!(address.ip().is_loopback());
        assert_eq!(address.port(), 5690);
    }

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
