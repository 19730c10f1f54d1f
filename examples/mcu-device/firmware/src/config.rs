//! The device's configuration, from the semihosting command line.
//!
//! The bridge starts QEMU with
//! `-semihosting-config enable=on,target=native,arg=mcu-device,arg=SERVER,arg=ENDPOINT,arg=LIFETIME`;
//! QEMU joins the `arg`s with spaces and hands them out through `SYS_GET_CMDLINE`:
//!
//! ```text
//! mcu-device coap://192.0.2.1:5683 endpoint-name 300
//! ```
//!
//! The server is an IP literal (the bridge resolves host names, as a modem would):
//! `coap://A.B.C.D[:PORT]` or `coap://[IPV6][:PORT]`, port 5683 by default.
//! The lifetime (seconds) is optional, 300 by default.

use alloc::string::{String, ToString};
use core::fmt;
use core::net::SocketAddr;

/// Longest command line read.
const CMDLINE_MAX: usize = 256;

/// The registration lifetime when none is given, in seconds.
pub const DEFAULT_LIFETIME: u32 = 300;

/// What the device was told to do.
#[derive(Debug, Clone)]
pub struct Config {
    /// The LwM2M server.
    pub server: SocketAddr,
    /// The server's URI as given (`coap://IP[:PORT]`): the Security object's Server URI and the
    /// log show it as is, so that no `SocketAddr` needs formatting (about 2.5 KiB of flash).
    pub server_uri: String,
    /// The endpoint client name.
    pub endpoint: String,
    /// The registration lifetime, in seconds.
    pub lifetime: u32,
}

/// Why the configuration could not be read.
#[derive(Debug)]
pub enum ConfigError {
    /// `SYS_GET_CMDLINE` failed (semihosting off, or a line longer than [`CMDLINE_MAX`]).
    Unavailable,
    /// The command line is not UTF-8.
    NotUtf8,
    /// Wrong number of arguments.
    Usage,
    /// The server URI is not `coap[s]://IP[:PORT]`.
    BadServer(String),
    /// The lifetime is not a positive number of seconds.
    BadLifetime(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unavailable => f.write_str("no semihosting command line"),
            Self::NotUtf8 => f.write_str("the command line is not UTF-8"),
            Self::Usage => f.write_str("usage: mcu-device SERVER_URI ENDPOINT [LIFETIME_S]"),
            Self::BadServer(uri) => {
                write!(f, "server '{uri}' is not coap://IP[:PORT]")
            }
            Self::BadLifetime(lifetime) => write!(f, "lifetime '{lifetime}' is not seconds > 0"),
        }
    }
}

/// Reads and parses the semihosting command line.
pub fn read() -> Result<Config, ConfigError> {
    let mut buf = [0u8; CMDLINE_MAX];
    let line = cmdline(&mut buf)?;
    parse(core::str::from_utf8(line).map_err(|_| ConfigError::NotUtf8)?)
}

/// `SYS_GET_CMDLINE` into `buf`; the line, without its terminating NUL.
#[allow(unsafe_code)]
fn cmdline(buf: &mut [u8; CMDLINE_MAX]) -> Result<&[u8], ConfigError> {
    // The argument block: buffer address and size in; the line's length out.
    let mut block: [usize; 2] = [buf.as_mut_ptr() as usize, buf.len()];
    // SAFETY: the host writes at most `block[1]` bytes (the line and a NUL) into `buf` and the
    // line's length into `block[1]`; both live across the call and are only reached through
    // the raw pointers handed over.
    let status = unsafe {
        cortex_m_semihosting::syscall1(
            cortex_m_semihosting::nr::GET_CMDLINE,
            (&raw mut block) as usize,
        )
    };
    if status != 0 {
        return Err(ConfigError::Unavailable);
    }
    buf.get(..block[1]).ok_or(ConfigError::Unavailable)
}

/// Parses `PROGRAM SERVER ENDPOINT [LIFETIME]`.
fn parse(line: &str) -> Result<Config, ConfigError> {
    let mut args = line.split_ascii_whitespace().skip(1);
    let (Some(server), Some(endpoint)) = (args.next(), args.next()) else {
        return Err(ConfigError::Usage);
    };
    let lifetime = args.next();
    if args.next().is_some() {
        return Err(ConfigError::Usage);
    }
    let server_uri = server.to_string();
    let server = parse_server(server)?;
    let lifetime = match lifetime {
        None => DEFAULT_LIFETIME,
        Some(text) => match text.parse() {
            Ok(seconds) if seconds > 0 => seconds,
            _ => return Err(ConfigError::BadLifetime(text.to_string())),
        },
    };
    Ok(Config {
        server,
        server_uri,
        endpoint: endpoint.to_string(),
        lifetime,
    })
}

/// `coap://IP[:PORT]`, parsed by the runtime's own URI parser; a host name or `coaps://` is
/// refused (the bridge resolves names; DTLS on the device is for later).
fn parse_server(uri: &str) -> Result<SocketAddr, ConfigError> {
    lwm2m::uri::parse_uri(uri)
        .ok()
        .and_then(|parsed| parsed.socket_addr())
        .ok_or_else(|| ConfigError::BadServer(uri.to_string()))
}
