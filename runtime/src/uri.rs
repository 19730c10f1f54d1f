//! Server URIs (`coap://host:port`), parsed without I/O.
//!
//! The client core ([`crate::client`]) uses [`parse_uri`] to find the server a bootstrap server
//! wrote (`/0/x/0`): an IP literal ([`ServerUri::socket_addr`]) is used at once, a host name is
//! left to the driver to resolve (`lwm2m::net::resolve` with the `tokio` feature).

use crate::prelude::*;
use core::net::{IpAddr, SocketAddr};

/// The CoAP port a `coap://` URI without a port means (RFC 7252 §6.1).
pub const DEFAULT_PORT: u16 = 5683;

/// Why a server URI cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UriError {
    /// The URI has no `scheme://` prefix.
    #[error("server URI `{0}` has no scheme: expected coap://host:port")]
    NoScheme(String),
    /// `coaps://`: DTLS is not implemented yet.
    #[error("server URI `{0}`: DTLS not supported yet (coaps://); use coap://")]
    DtlsNotSupported(String),
    /// A scheme other than `coap` or `coaps`.
    #[error("server URI `{uri}`: unsupported scheme `{scheme}`, expected coap")]
    UnsupportedScheme {
        /// The whole URI.
        uri: String,
        /// The scheme given.
        scheme: String,
    },
    /// The host is empty or malformed (such as an unclosed `[` of an IPv6 address).
    #[error("server URI `{0}` has no valid host")]
    BadHost(String),
    /// The port is not a number between 1 and 65535.
    #[error("server URI `{uri}`: bad port `{port}`")]
    BadPort {
        /// The whole URI.
        uri: String,
        /// The port text.
        port: String,
    },
}

#[cfg(feature = "std")]
impl From<UriError> for std::io::Error {
    fn from(e: UriError) -> std::io::Error {
        let kind = match e {
            UriError::DtlsNotSupported(_) => std::io::ErrorKind::Unsupported,
            _ => std::io::ErrorKind::InvalidInput,
        };
        std::io::Error::new(kind, e)
    }
}

/// A parsed `coap://host:port` URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUri {
    /// The host name or IP address (an IPv6 address without its brackets).
    pub host: String,
    /// The port, [`DEFAULT_PORT`] when the URI gives none.
    pub port: u16,
}

impl ServerUri {
    /// The socket address when the host is an IP literal (`127.0.0.1`, `::1`); `None` for a
    /// host name, which needs resolving.
    pub fn socket_addr(&self) -> Option<SocketAddr> {
        let ip: IpAddr = self.host.parse().ok()?;
        Some(SocketAddr::new(ip, self.port))
    }
}

/// Parses `coap://host[:port][/path]` (the path, query and fragment are ignored: the LwM2M
/// registration path is `/rd`). The scheme is case-insensitive; IPv6 hosts go in brackets.
pub fn parse_uri(uri: &str) -> Result<ServerUri, UriError> {
    let (scheme, rest) = uri
        .split_once("://")
        .ok_or_else(|| UriError::NoScheme(uri.to_owned()))?;
    match scheme.to_ascii_lowercase().as_str() {
        "coap" => {}
        "coaps" => return Err(UriError::DtlsNotSupported(uri.to_owned())),
        _ => {
            return Err(UriError::UnsupportedScheme {
                uri: uri.to_owned(),
                scheme: scheme.to_owned(),
            });
        }
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // A user-info part (`user@host`) has no meaning for CoAP: drop it.
    let authority = authority.rsplit('@').next().unwrap_or_default();
    let bad_host = || UriError::BadHost(uri.to_owned());
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']').ok_or_else(bad_host)?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':').ok_or_else(bad_host)?)),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() || host.contains(['[', ']']) {
        return Err(bad_host());
    }
    let port = match port {
        None | Some("") => DEFAULT_PORT,
        Some(text) => text
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| UriError::BadPort {
                uri: uri.to_owned(),
                port: text.to_owned(),
            })?,
    };
    Ok(ServerUri {
        host: host.to_owned(),
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(uri: &str) -> (String, u16) {
        let p = parse_uri(uri).unwrap();
        (p.host, p.port)
    }

    #[test]
    fn parses_host_and_port() {
        assert_eq!(ok("coap://127.0.0.1:5690"), ("127.0.0.1".into(), 5690));
        assert_eq!(ok("coap://example.org"), ("example.org".into(), 5683));
        assert_eq!(
            ok("COAP://example.org:/rd?x=1"),
            ("example.org".into(), 5683)
        );
        assert_eq!(ok("coap://[::1]:5684/"), ("::1".into(), 5684));
        assert_eq!(ok("coap://[fe80::1]"), ("fe80::1".into(), 5683));
        assert_eq!(ok("coap://user@host:1"), ("host".into(), 1));
    }

    #[test]
    fn refuses_bad_uris() {
        assert_eq!(
            parse_uri("127.0.0.1:5683"),
            Err(UriError::NoScheme("127.0.0.1:5683".into()))
        );
        assert!(matches!(
            parse_uri("coaps://127.0.0.1:5684"),
            Err(UriError::DtlsNotSupported(_))
        ));
        assert!(matches!(
            parse_uri("http://x"),
            Err(UriError::UnsupportedScheme { .. })
        ));
        for bad in [
            "coap://",
            "coap://:5683",
            "coap://[::1",
            "coap://[::1]x",
            "coap://a]b",
        ] {
            assert!(matches!(parse_uri(bad), Err(UriError::BadHost(_))), "{bad}");
        }
        for bad in ["coap://h:0", "coap://h:65536", "coap://h:x"] {
            assert!(
                matches!(parse_uri(bad), Err(UriError::BadPort { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn ip_literals_are_socket_addresses() {
        let v4 = parse_uri("coap://127.0.0.1:5690").unwrap();
        assert_eq!(v4.socket_addr(), Some("127.0.0.1:5690".parse().unwrap()));
        let v6 = parse_uri("coap://[::1]").unwrap();
        assert_eq!(v6.socket_addr(), Some("[::1]:5683".parse().unwrap()));
        assert_eq!(parse_uri("coap://localhost").unwrap().socket_addr(), None);
    }
}
