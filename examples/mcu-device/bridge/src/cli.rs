//! The command line, parsed by hand (five options do not need clap's weight).

use std::path::PathBuf;

/// How to call the bridge.
pub const USAGE: &str = "\
usage: mcu-bridge --elf PATH --server coap://HOST:PORT --endpoint NAME [--lifetime S] [--qemu BIN]

Runs the mcu-device firmware under QEMU (mps2-an386) with UART0 on a TCP socket and relays its
SLIP datagram frames to and from UDP. SIGINT/SIGTERM: asks the device to shut down, waits up to
10 s for QEMU, exits with QEMU's exit code. SIGUSR1: writes a burst of link garbage to the UART.

  --elf PATH          the firmware ELF (examples/mcu-device/run --build-only prints it)
  --server URI        the LwM2M server: coap://HOST[:PORT] (5683) or coaps://HOST[:PORT] (5684)
  --endpoint NAME     the endpoint client name (no spaces)
  --lifetime S        registration lifetime in seconds (default 300)
  --qemu BIN          the QEMU binary (default qemu-system-arm)";

/// The default registration lifetime, in seconds.
pub const DEFAULT_LIFETIME: u32 = 300;

/// What the bridge was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// The firmware ELF.
    pub elf: PathBuf,
    /// The LwM2M server.
    pub server: ServerUri,
    /// The endpoint client name.
    pub endpoint: String,
    /// The registration lifetime, in seconds.
    pub lifetime: u32,
    /// The QEMU binary.
    pub qemu: String,
}

/// A `coap://` or `coaps://` server URI, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUri {
    /// `coaps://`.
    pub secure: bool,
    /// The host: a name, an IPv4 literal, or an IPv6 literal without brackets.
    pub host: String,
    /// The port (the scheme's default when the URI has none).
    pub port: u16,
}

impl ServerUri {
    /// The URI's scheme.
    pub fn scheme(&self) -> &'static str {
        if self.secure { "coaps" } else { "coap" }
    }

    /// Splits `coap[s]://HOST[:PORT][/]`.
    pub fn parse(uri: &str) -> Result<Self, String> {
        let bad =
            || format!("--server {uri:?}: expected coap://HOST[:PORT] or coaps://HOST[:PORT]");
        let (secure, rest) = if let Some(rest) = uri.strip_prefix("coap://") {
            (false, rest)
        } else if let Some(rest) = uri.strip_prefix("coaps://") {
            (true, rest)
        } else {
            return Err(bad());
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        let default_port = if secure { 5684 } else { 5683 };
        let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
            let (host, after) = bracketed.split_once(']').ok_or_else(bad)?;
            let port = match after {
                "" => default_port,
                _ => after
                    .strip_prefix(':')
                    .and_then(|p| p.parse().ok())
                    .ok_or_else(bad)?,
            };
            (host, port)
        } else {
            match authority.split_once(':') {
                None => (authority, default_port),
                Some((host, port)) => (host, port.parse().map_err(|_| bad())?),
            }
        };
        if host.is_empty()
            || host.contains(['/', '?', '#', '@'])
            || host.contains(char::is_whitespace)
        {
            return Err(bad());
        }
        Ok(Self {
            secure,
            host: host.to_string(),
            port,
        })
    }
}

/// Parses the arguments after the program name. `Ok(None)`: `--help` was asked for.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Args>, String> {
    let mut args = args.into_iter();
    let (mut elf, mut server, mut endpoint, mut lifetime, mut qemu) =
        (None, None, None, None, None);
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(None);
        }
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => {
                (name.to_string(), Some(value.to_string()))
            }
            _ => (arg, None),
        };
        let slot = match name.as_str() {
            "--elf" => &mut elf,
            "--server" => &mut server,
            "--endpoint" => &mut endpoint,
            "--lifetime" => &mut lifetime,
            "--qemu" => &mut qemu,
            other => return Err(format!("unknown argument {other:?}")),
        };
        let value = match inline {
            Some(value) => value,
            None => args.next().ok_or_else(|| format!("{name} needs a value"))?,
        };
        if slot.replace(value).is_some() {
            return Err(format!("{name} given twice"));
        }
    }
    let elf = elf.ok_or("--elf is required")?;
    let server = ServerUri::parse(&server.ok_or("--server is required")?)?;
    let endpoint = endpoint.ok_or("--endpoint is required")?;
    if endpoint.is_empty() || endpoint.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "--endpoint {endpoint:?}: must be non-empty, without spaces or control characters"
        ));
    }
    let lifetime = match lifetime {
        None => DEFAULT_LIFETIME,
        Some(text) => match text.parse() {
            Ok(seconds) if seconds > 0 => seconds,
            _ => return Err(format!("--lifetime {text:?}: expected seconds > 0")),
        },
    };
    Ok(Some(Args {
        elf: PathBuf::from(elf),
        server,
        endpoint,
        lifetime,
        qemu: qemu.unwrap_or_else(|| "qemu-system-arm".to_string()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Option<Args>, String> {
        parse(list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn full_and_default() {
        let parsed = args(&[
            "--elf",
            "fw.elf",
            "--server",
            "coap://127.0.0.1:5690",
            "--endpoint",
            "x",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(
            parsed,
            Args {
                elf: "fw.elf".into(),
                server: ServerUri {
                    secure: false,
                    host: "127.0.0.1".into(),
                    port: 5690
                },
                endpoint: "x".into(),
                lifetime: 300,
                qemu: "qemu-system-arm".into(),
            }
        );
        let parsed = args(&[
            "--elf=fw",
            "--server=coaps://[::1]",
            "--endpoint=e",
            "--lifetime=60",
            "--qemu",
            "q",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(parsed.server.host, "::1");
        assert_eq!(parsed.server.port, 5684);
        assert_eq!(parsed.server.scheme(), "coaps");
        assert_eq!((parsed.lifetime, parsed.qemu.as_str()), (60, "q"));
        assert_eq!(args(&["--help"]), Ok(None));
    }

    #[test]
    fn server_uris() {
        let ok = |uri: &str| {
            let s = ServerUri::parse(uri).unwrap();
            (s.host, s.port)
        };
        assert_eq!(ok("coap://localhost"), ("localhost".into(), 5683));
        assert_eq!(ok("coap://example.org:1/"), ("example.org".into(), 1));
        assert_eq!(ok("coap://[fe80::1]:9"), ("fe80::1".into(), 9));
        for bad in [
            "http://x",
            "coap://",
            "coap://x:port",
            "coap://x:70000",
            "coap://[::1",
            "coap://[::1]x",
            "coap://a b",
            "coap://h/path",
        ] {
            assert!(ServerUri::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors() {
        assert!(
            args(&["--elf", "f", "--endpoint", "x"])
                .unwrap_err()
                .contains("--server")
        );
        assert!(args(&["--bogus"]).unwrap_err().contains("unknown"));
        assert!(args(&["--elf"]).unwrap_err().contains("needs a value"));
        assert!(
            args(&["--elf", "a", "--elf", "b"])
                .unwrap_err()
                .contains("twice")
        );
        let base = ["--elf", "f", "--server", "coap://h"];
        let with = |extra: &[&str]| {
            let mut list = base.to_vec();
            list.extend_from_slice(extra);
            args(&list)
        };
        assert!(with(&["--endpoint", "a b"]).is_err());
        assert!(with(&["--endpoint", ""]).is_err());
        assert!(with(&["--endpoint", "e", "--lifetime", "0"]).is_err());
        assert!(with(&["--endpoint", "e", "--lifetime", "-1"]).is_err());
        assert!(with(&["--endpoint", "e"]).is_ok());
    }
}
