//! Server URIs (`coap://host:port`), parsed without I/O.
//!
//! The client core ([`crate::client`]) uses [`parse_uri`] to find the server a bootstrap server
//! wrote (`/0/x/0`): an IP literal ([`ServerUri::socket_addr`]) is used at once, a host name is
//! left to the driver to resolve (`lwm2m::net::resolve` with the `tokio` feature).

use crate::prelude::*;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

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
        Some(SocketAddr::new(parse_ip(&self.host)?, self.port))
    }
}

/// An IPv4 or IPv6 literal, exactly as `IpAddr`'s `FromStr` reads it (`1.2.3.4`, no leading
/// zeros in IPv4 octets; `::1`, `fe80::1`, `::ffff:1.2.3.4`; no zone index).
///
/// Written out because `core`'s generic address parser costs about 1.5 KiB of a
/// microcontroller's flash; the proptests compare the two on random input.
pub(crate) fn parse_ip(text: &str) -> Option<IpAddr> {
    match parse_v4(text) {
        Some(v4) => Some(IpAddr::V4(v4)),
        None => parse_v6(text).map(IpAddr::V6),
    }
}

/// `a.b.c.d`: four decimal octets, no leading zero.
fn parse_v4(text: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = text.split('.');
    for octet in &mut octets {
        let part = parts.next()?.as_bytes();
        let digits = part.len();
        if !(1..=3).contains(&digits)
            || (digits > 1 && part.first() == Some(&b'0'))
            || !part.iter().all(u8::is_ascii_digit)
        {
            return None;
        }
        let n = part.iter().fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
        *octet = u8::try_from(n).ok()?;
    }
    match parts.next() {
        None => Some(Ipv4Addr::from(octets)),
        Some(_) => None,
    }
}

/// Eight groups of 1-4 hex digits, one `::` standing for one or more zero groups, the last 32
/// bits possibly as an IPv4 address.
fn parse_v6(text: &str) -> Option<Ipv6Addr> {
    let mut groups = [0u16; 8];
    match split_once(text, "::") {
        None => (hex_groups(text, &mut groups)? == 8).then_some(())?,
        Some((head, tail)) => {
            // Each side holds at most 7 groups together, and no IPv4 address before the `::`.
            let mut tail_groups = [0u16; 7];
            let head_len = if head.is_empty() {
                0
            } else {
                hex_groups(head, &mut groups[..7])?
            };
            if head.contains('.') {
                return None;
            }
            let tail_len = if tail.is_empty() {
                0
            } else {
                hex_groups(tail, &mut tail_groups[..7 - head_len])?
            };
            groups[8 - tail_len..].copy_from_slice(tail_groups.get(..tail_len)?);
        }
    }
    Some(Ipv6Addr::from(groups))
}

/// `text.split_once(separator)`, by a plain scan: `str`'s pattern search for a `&str`
/// separator (the two-way searcher, about 1.1 KiB of a microcontroller's flash) is more than
/// these short texts need.
fn split_once<'a>(text: &'a str, separator: &str) -> Option<(&'a str, &'a str)> {
    let at = text
        .as_bytes()
        .windows(separator.len())
        .position(|w| w == separator.as_bytes())?;
    // `separator` is UTF-8 and matched whole, so `at` and `at + len` are char boundaries.
    Some((text.get(..at)?, text.get(at + separator.len()..)?))
}

/// Reads `a:b:...` (the last part may be an IPv4 address, two groups) into `out`; the number of
/// groups, `None` when malformed or more than `out` holds.
fn hex_groups(text: &str, out: &mut [u16]) -> Option<usize> {
    let mut count = 0;
    let mut parts = text.split(':').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() && part.contains('.') {
            let [a, b, c, d] = parse_v4(part)?.octets();
            let slots = out.get_mut(count..count + 2)?;
            slots.copy_from_slice(&[u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d])]);
            return Some(count + 2);
        }
        if !(1..=4).contains(&part.len()) {
            return None;
        }
        let mut group = 0u16;
        for c in part.bytes() {
            let digit = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => return None,
            };
            group = group << 4 | u16::from(digit);
        }
        *out.get_mut(count)? = group;
        count += 1;
    }
    Some(count)
}

/// Parses `coap://host[:port][/path]` (the path, query and fragment are ignored: the LwM2M
/// registration path is `/rd`). The scheme is case-insensitive; IPv6 hosts go in brackets.
pub fn parse_uri(uri: &str) -> Result<ServerUri, UriError> {
    let (scheme, rest) =
        split_once(uri, "://").ok_or_else(|| UriError::NoScheme(uri.to_owned()))?;
    if scheme.eq_ignore_ascii_case("coaps") {
        return Err(UriError::DtlsNotSupported(uri.to_owned()));
    }
    if !scheme.eq_ignore_ascii_case("coap") {
        return Err(UriError::UnsupportedScheme {
            uri: uri.to_owned(),
            scheme: scheme.to_owned(),
        });
    }
    // Byte scans rather than `str`'s pattern searchers (a reverse search alone is 370 B of a
    // microcontroller's flash); the bytes searched for are ASCII, so every cut is at a char
    // boundary.
    let end = rest
        .bytes()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let authority = rest.get(..end).unwrap_or_default();
    // A user-info part (`user@host`) has no meaning for CoAP: drop it.
    let authority = match authority.bytes().rposition(|b| b == b'@') {
        Some(at) => authority.get(at + 1..).unwrap_or_default(),
        None => authority,
    };
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
    if host.is_empty() || host.bytes().any(|b| b == b'[' || b == b']') {
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
    fn ip_literals_read_as_in_core() {
        for text in [
            "127.0.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "256.0.0.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            "::",
            "::1",
            "1::",
            "fe80::1",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:8::",
            "::1:2:3:4:5:6:7:8",
            "1::2::3",
            ":::",
            ":1::",
            "::ffff:1.2.3.4",
            "64:ff9b::192.0.2.33",
            "1.2.3.4::",
            "1:2:3:4:5:6:1.2.3.4",
            "1:2:3:4:5:6:7:1.2.3.4",
            "::1.2.3.4:5",
            "00001::",
            "ABCD::ef",
            "g::1",
            "",
            ":",
            "1:",
            "[::1]",
            "fe80::1%eth0",
        ] {
            assert_eq!(parse_ip(text), text.parse::<IpAddr>().ok(), "{text}");
        }
    }

    proptest::proptest! {
        #[test]
        fn ip_literals_round_trip(v6 in proptest::prelude::any::<[u16; 8]>(), v4 in proptest::prelude::any::<[u8; 4]>()) {
            let v6 = IpAddr::V6(Ipv6Addr::from(v6));
            proptest::prop_assert_eq!(parse_ip(&v6.to_string()), Some(v6));
            let v4 = IpAddr::V4(Ipv4Addr::from(v4));
            proptest::prop_assert_eq!(parse_ip(&v4.to_string()), Some(v4));
        }

        #[test]
        fn any_text_reads_as_in_core(text in "[0-9a-fA-F:.]{0,24}") {
            proptest::prop_assert_eq!(parse_ip(&text), text.parse::<IpAddr>().ok());
        }

        #[test]
        fn near_addresses_read_as_in_core(text in "(([0-9]{1,3}|[0-9a-f]{1,5})[:.]{1,2}){0,9}([0-9]{1,3}|[0-9a-f]{0,5})") {
            proptest::prop_assert_eq!(parse_ip(&text), text.parse::<IpAddr>().ok());
        }
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
