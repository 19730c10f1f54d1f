//! `coaps://host[:port]` server URIs.

use crate::prelude::*;
use std::io;
use std::net::SocketAddr;

use crate::uri::{ServerUri, UriError, parse_uri};

/// The port a `coaps://` URI without a port means (RFC 7252 §6.2).
pub const DEFAULT_SECURE_PORT: u16 = 5684;

/// Whether `uri` has the `coaps` scheme (case-insensitive).
pub fn is_coaps(uri: &str) -> bool {
    uri.split_once("://")
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("coaps"))
}

/// Parses `coaps://host[:port][/path]` (default port [`DEFAULT_SECURE_PORT`]) with the rules of
/// [`parse_uri`]; any other scheme is an error.
pub fn parse_coaps_uri(uri: &str) -> Result<ServerUri, UriError> {
    let rest = match uri.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("coaps") => rest,
        Some((scheme, _)) => {
            return Err(UriError::UnsupportedScheme {
                uri: uri.to_owned(),
                scheme: scheme.to_owned(),
            });
        }
        None => return Err(UriError::NoScheme(uri.to_owned())),
    };
    let mut parsed = parse_uri(&format!("coap://{rest}")).map_err(|e| rename(e, uri))?;
    // parse_uri gives 5683 for a missing port: tell it apart from an explicit `:5683`.
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if parsed.port == crate::uri::DEFAULT_PORT && !authority.ends_with(":5683") {
        parsed.port = DEFAULT_SECURE_PORT;
    }
    Ok(parsed)
}

/// Resolves a `coaps://` URI to a socket address (IPv4 preferred, as [`crate::net::resolve`]).
pub async fn resolve_coaps(uri: &str) -> io::Result<SocketAddr> {
    let parsed = parse_coaps_uri(uri)?;
    let host = if parsed.host.contains(':') {
        format!("[{}]", parsed.host)
    } else {
        parsed.host
    };
    crate::net::resolve(&format!("coap://{host}:{}", parsed.port)).await
}

/// The same error, naming the URI the user gave.
fn rename(e: UriError, uri: &str) -> UriError {
    match e {
        UriError::BadHost(_) => UriError::BadHost(uri.to_owned()),
        UriError::BadPort { port, .. } => UriError::BadPort {
            uri: uri.to_owned(),
            port,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(uri: &str) -> (String, u16) {
        let p = parse_coaps_uri(uri).unwrap();
        (p.host, p.port)
    }

    #[test]
    fn parses_coaps_with_its_default_port() {
        assert!(is_coaps("CoAPs://h") && !is_coaps("coap://h") && !is_coaps("coaps"));
        assert_eq!(ok("coaps://127.0.0.1"), ("127.0.0.1".into(), 5684));
        assert_eq!(ok("COAPS://h:/rd"), ("h".into(), 5684));
        assert_eq!(ok("coaps://h:5683"), ("h".into(), 5683));
        assert_eq!(ok("coaps://[::1]:6000/x"), ("::1".into(), 6000));
        assert_eq!(ok("coaps://[::1]"), ("::1".into(), 5684));
        assert!(matches!(
            parse_coaps_uri("coap://h"),
            Err(UriError::UnsupportedScheme { .. })
        ));
        assert_eq!(
            parse_coaps_uri("coaps://h:0"),
            Err(UriError::BadPort {
                uri: "coaps://h:0".into(),
                port: "0".into()
            })
        );
        assert!(matches!(parse_coaps_uri("h:1"), Err(UriError::NoScheme(_))));
    }

    #[tokio::test]
    async fn resolves() {
        let addr = resolve_coaps("coaps://127.0.0.1").await.unwrap();
        assert_eq!(addr, "127.0.0.1:5684".parse().unwrap());
        let addr = resolve_coaps("coaps://[::1]:7000").await.unwrap();
        assert_eq!(addr, "[::1]:7000".parse().unwrap());
    }
}
