//! The command line, parsed with `lexopt` (a lexer of options and values: the options, their
//! values, checks, help and error messages are this module's).
//!
//! The demo used clap's derive until the binary's size was measured (issue 13 item 6): clap's
//! builder and the derived command were about 257 KiB of the demo's 2 MiB, for 19 options. This
//! module keeps what clap gave the demo: the same options, defaults and ranges, the same `-h`
//! and `--help` text and `--version` line byte for byte (`tests/help.rs` compares them with
//! clap's output, kept in `tests/fixtures/`), and usage errors in clap's words on stderr with
//! exit code 2.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lexopt::Arg;
use lwm2m::coap::TransmissionParameters;

/// The parsed command line: what the device is told to do (the [`HELP`] table describes each
/// option).
#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    /// `--server URI`, repeatable, at least one: the LwM2M servers (or the Bootstrap-Server).
    pub server: Vec<String>,
    /// `--endpoint NAME`: the endpoint client name.
    pub endpoint: String,
    /// `--lifetime SECS` (1 or more, default 300): the registration lifetime.
    pub lifetime: u32,
    /// `--lwm2m-version 1.0|1.1|1.2` (default 1.1): the LwM2M version announced.
    pub lwm2m_version: Version,
    /// `--bootstrap`: `--server` is a Bootstrap-Server.
    pub bootstrap: bool,
    /// `--state FILE`: where the servers' writes are kept.
    pub state: Option<PathBuf>,
    /// `--firmware-dir DIR`: serve Firmware Update, packages streamed into DIR.
    pub firmware_dir: Option<PathBuf>,
    /// `--firmware-max-size BYTES` (default 1 MiB): the largest package taken.
    pub firmware_max_size: u64,
    /// `--queue-mode`: announce queue mode.
    pub queue_mode: bool,
    /// `--send PATH`, repeatable: the paths sent every `--send-every` seconds.
    pub send_paths: Vec<lwm2m::Path>,
    /// `--send-every SECS` (1 or more, default 10).
    pub send_every: u64,
    /// `--local-port P` (default 0: any free port).
    pub local_port: u16,
    /// `--tick-ms MS` (1 or more, default 1000): how often the temperature is measured.
    pub tick_ms: u64,
    /// `--psk-identity ID`, repeatable, paired with `--psk-key` in order.
    pub psk_identity: Vec<String>,
    /// `--psk-key HEX`, repeatable, paired with `--psk-identity` in order.
    pub psk_key: Vec<HexKey>,
    /// `--ack-timeout-ms MS` (1..=300000, default 2000): CoAP ACK_TIMEOUT.
    pub ack_timeout_ms: u64,
    /// `--ack-random-factor FACTOR` (1.0..=10, default 1.5): CoAP ACK_RANDOM_FACTOR.
    pub ack_random_factor: f64,
    /// `--max-retransmit N` (0..=20, default 4): CoAP MAX_RETRANSMIT.
    pub max_retransmit: u32,
    /// `--blocking-driver`: run on the blocking std driver instead of tokio's.
    pub blocking_driver: bool,
}

/// An LwM2M version, as given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// LwM2M 1.0.
    V1_0,
    /// LwM2M 1.1.
    V1_1,
    /// LwM2M 1.2.
    V1_2,
}

/// The values of `--lwm2m-version`, with their help.
const VERSIONS: [(&str, Version, &str); 3] = [
    ("1.0", Version::V1_0, "LwM2M 1.0"),
    ("1.1", Version::V1_1, "LwM2M 1.1"),
    ("1.2", Version::V1_2, "LwM2M 1.2"),
];

/// The longest ACK_TIMEOUT accepted, in milliseconds (5 minutes).
const MAX_ACK_TIMEOUT_MS: u64 = 300_000;

/// The largest ACK_RANDOM_FACTOR accepted.
const MAX_ACK_RANDOM_FACTOR: f64 = 10.0;

/// The most retransmissions accepted: with the other maximums, MAX_TRANSMIT_WAIT stays finite
/// and far from overflowing.
const MAX_RETRANSMIT: i64 = 20;

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Run the device.
    Run(Args),
    /// Print this text to stdout and exit 0 (`-h`, `--help` or `--version`); `{bin}` in it
    /// stands for the program's name.
    Print(String),
}

/// An option of the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Id {
    Server,
    Endpoint,
    Lifetime,
    LwM2mVersion,
    Bootstrap,
    State,
    FirmwareDir,
    FirmwareMaxSize,
    QueueMode,
    Send,
    SendEvery,
    LocalPort,
    TickMs,
    PskIdentity,
    PskKey,
    AckTimeoutMs,
    AckRandomFactor,
    MaxRetransmit,
    BlockingDriver,
    Help,
    PrintVersion,
}

/// An option's name, value and help, as `--help` shows them.
#[derive(Debug)]
pub struct Opt {
    id: Id,
    short: Option<char>,
    long: &'static str,
    /// The value's name (`URI` in `--server <URI>`); `None` for a flag.
    value: Option<&'static str>,
    /// May it be given more than once?
    repeats: bool,
    help: &'static str,
    /// The help of `-h` where it differs from `--help`'s.
    short_help: Option<&'static str>,
    default: Option<&'static str>,
    /// The values it takes, with their help (shown as "Possible values").
    values: &'static [(&'static str, Version, &'static str)],
}

impl Opt {
    /// `--long <VALUE>`, as errors name the option.
    fn spec(&self) -> String {
        match self.value {
            Some(value) => format!("--{} <{value}>", self.long),
            None => format!("--{}", self.long),
        }
    }
}

/// An option with a value, given once.
const fn valued(id: Id, long: &'static str, value: &'static str, help: &'static str) -> Opt {
    Opt {
        id,
        short: None,
        long,
        value: Some(value),
        repeats: false,
        help,
        short_help: None,
        default: None,
        values: &[],
    }
}

/// A flag (an option without a value).
const fn flag(id: Id, long: &'static str, help: &'static str) -> Opt {
    Opt {
        value: None,
        ..valued(id, long, "", help)
    }
}

/// The options, in the order of the help.
pub const HELP: &[Opt] = &[
    Opt {
        repeats: true,
        ..valued(
            Id::Server,
            "server",
            "URI",
            "The LwM2M server (or, with --bootstrap, the Bootstrap-Server): `coap://HOST[:PORT]`, \
             or `coaps://HOST[:PORT]` with --psk-identity and --psk-key (built with the `dtls` \
             feature). Repeat it for several servers, all `coap://` or all `coaps://` (Short \
             Server IDs 1, 2, ... in order; each gets full rights on every instance through \
             Access Control instances); each `coaps://` server takes the --psk-identity and \
             --psk-key given in the same position",
        )
    },
    valued(
        Id::Endpoint,
        "endpoint",
        "NAME",
        "The endpoint client name announced in the registration",
    ),
    Opt {
        default: Some("300"),
        ..valued(
            Id::Lifetime,
            "lifetime",
            "SECS",
            "The registration lifetime, in seconds",
        )
    },
    Opt {
        default: Some("1.1"),
        values: &VERSIONS,
        ..valued(
            Id::LwM2mVersion,
            "lwm2m-version",
            "LWM2M_VERSION",
            "The LwM2M version announced",
        )
    },
    flag(
        Id::Bootstrap,
        "bootstrap",
        "Bootstrap first: --server is a Bootstrap-Server that provisions the LwM2M server",
    ),
    valued(
        Id::State,
        "state",
        "FILE",
        "Keep what the servers and the Bootstrap-Server write (Security, Server, Access \
         Control) in FILE, written atomically whenever it changes, and start from it: a device \
         bootstrapped before registers at once with the coap:// server it was given. A damaged \
         or foreign file is reported and ignored (the device bootstraps)",
    ),
    valued(
        Id::FirmwareDir,
        "firmware-dir",
        "DIR",
        "Serve Firmware Update (object 5): packages pushed to `/5/0/0` or pulled from a \
         `coap://` Package URI are streamed into DIR, checked (the demo's package format: see \
         `firmware.rs`), and installed by Update (`/5/0/2`), which restarts the device into the \
         new Firmware Version (`/3/0/3`) and reports Update Result 1",
    ),
    Opt {
        default: Some("1048576"),
        ..valued(
            Id::FirmwareMaxSize,
            "firmware-max-size",
            "BYTES",
            "The largest firmware package DIR takes, in bytes (a larger one: Update Result 2)",
        )
    },
    flag(
        Id::QueueMode,
        "queue-mode",
        "Queue mode: announce it (LwM2M 1.1: the `Q` parameter; 1.0: `b=UQ`) and stop \
         listening once the queue window after the last exchange has passed",
    ),
    Opt {
        repeats: true,
        ..valued(
            Id::Send,
            "send",
            "PATH",
            "Send (LwM2M 1.1, `POST /dp`) the value at PATH every --send-every seconds; repeat \
             it to send several paths in one message. Nothing is sent while the server mutes \
             Send (`/1/x/23`)",
        )
    },
    Opt {
        default: Some("10"),
        ..valued(
            Id::SendEvery,
            "send-every",
            "SECS",
            "How often --send paths are sent, in seconds",
        )
    },
    Opt {
        default: Some("0"),
        ..valued(
            Id::LocalPort,
            "local-port",
            "P",
            "The local UDP port (0: any free port). With several coaps:// servers, each has its \
             own socket: this port is the first server's, the others take free ports",
        )
    },
    Opt {
        default: Some("1000"),
        ..valued(
            Id::TickMs,
            "tick-ms",
            "MS",
            "How often the temperature is measured, in milliseconds",
        )
    },
    Opt {
        repeats: true,
        ..valued(
            Id::PskIdentity,
            "psk-identity",
            "ID",
            "The PSK identity for a coaps:// server (Security mode 0, resource /0/x/3). Repeat \
             it with several coaps:// servers: the Nth goes with the Nth --server",
        )
    },
    Opt {
        repeats: true,
        ..valued(
            Id::PskKey,
            "psk-key",
            "HEX",
            "The pre-shared key for a coaps:// server, in hex (resource /0/x/5). Repeat it with \
             several coaps:// servers: the Nth goes with the Nth --server",
        )
    },
    Opt {
        default: Some("2000"),
        ..valued(
            Id::AckTimeoutMs,
            "ack-timeout-ms",
            "MS",
            "CoAP ACK_TIMEOUT (RFC 7252 §4.8): how long the first transmission of a confirmable \
             message waits for its ACK, in milliseconds (1..=300000). PROCESSING_DELAY follows it",
        )
    },
    Opt {
        default: Some("1.5"),
        ..valued(
            Id::AckRandomFactor,
            "ack-random-factor",
            "FACTOR",
            "CoAP ACK_RANDOM_FACTOR (RFC 7252 §4.8): the first wait is drawn from [ACK_TIMEOUT, \
             ACK_TIMEOUT * FACTOR]; at least 1.0 (§4.8.1), at most 10",
        )
    },
    Opt {
        default: Some("4"),
        ..valued(
            Id::MaxRetransmit,
            "max-retransmit",
            "N",
            "CoAP MAX_RETRANSMIT (RFC 7252 §4.8): retransmissions of a confirmable message \
             before the exchange fails (0..=20)",
        )
    },
    flag(
        Id::BlockingDriver,
        "blocking-driver",
        "Run on the blocking std driver (`lwm2m::net::BlockingDriver`: one thread, no async \
         runtime, two system calls per request) instead of the tokio one. coap:// servers only",
    ),
    Opt {
        short: Some('h'),
        short_help: Some("Print help (see more with '--help')"),
        ..flag(Id::Help, "help", "Print help (see a summary with '-h')")
    },
    Opt {
        short: Some('V'),
        ..flag(Id::PrintVersion, "version", "Print version")
    },
];

/// The first lines of the help.
const ABOUT: &str = "A demo LwM2M device: Temperature (3303) and Light Control (3311), \
                     generated from the OMA registry, with the built-in Security, Server and \
                     Device objects, served over CoAP/UDP";

/// The usage line's arguments.
const USAGE: &str = "[OPTIONS] --server <URI> --endpoint <NAME>";

/// What `--version` prints.
const VERSION: &str = concat!("demo-client ", env!("CARGO_PKG_VERSION"), "\n");

/// A command line the device cannot run with, in clap's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    /// Required options are missing (`--server`, `--endpoint`, the other half of a PSK pair).
    #[error("the following required arguments were not provided:{}", list(.missing))]
    Missing {
        /// The missing options, as `--long <VALUE>`.
        missing: Vec<String>,
        /// The options the usage line names: the required ones and those given that need
        /// another.
        usage: Vec<String>,
    },
    /// An option that takes a value came last, or before another option.
    #[error("a value is required for '{option}' but none was supplied{}", possible(.values))]
    MissingValue {
        /// The option, as `--long <VALUE>`.
        option: String,
        /// The values it takes, if a fixed set.
        values: Vec<&'static str>,
    },
    /// A value that the option does not take.
    #[error("invalid value '{value}' for '{option}'{}{}", because(.reason), possible(.values))]
    InvalidValue {
        /// The option, as `--long <VALUE>`.
        option: String,
        /// The value given.
        value: String,
        /// Why it is refused (none for a value not among `values`).
        reason: Option<String>,
        /// The values it takes, if a fixed set.
        values: Vec<&'static str>,
    },
    /// An argument that is no option of the demo (or a positional argument: it takes none).
    #[error("unexpected argument '{0}' found")]
    Unexpected(String),
    /// A value given to a flag (`--bootstrap=yes`).
    #[error("unexpected value '{value}' for '{option}' found; no more were expected")]
    FlagValue {
        /// The flag, as `--long`.
        option: String,
        /// The value given.
        value: String,
    },
    /// An option that may be given once was given again.
    #[error("the argument '{0}' cannot be used multiple times")]
    Repeated(String),
    /// An argument that is not UTF-8 where text is expected.
    #[error("invalid UTF-8 was detected in one or more arguments")]
    NotUtf8,
}

/// `\n  ITEM` for each item.
fn list(items: &[String]) -> String {
    items.iter().map(|item| format!("\n  {item}")).collect()
}

/// `\n  [possible values: A, B]`, or nothing.
fn possible(values: &[&str]) -> String {
    if values.is_empty() {
        String::new()
    } else {
        format!("\n  [possible values: {}]", values.join(", "))
    }
}

/// `: REASON`, or nothing.
fn because(reason: &Option<String>) -> String {
    reason
        .as_ref()
        .map(|r| format!(": {r}"))
        .unwrap_or_default()
}

impl UsageError {
    /// The whole message for stderr, as clap words it: `error: ...`, the usage line where clap
    /// shows one (`bin` is the program's name), and where to read more.
    pub fn report(&self, bin: &str) -> String {
        let usage = match self {
            UsageError::Missing { usage, .. } => Some(usage.join(" ")),
            UsageError::Unexpected(_)
            | UsageError::FlagValue { .. }
            | UsageError::Repeated(_)
            | UsageError::NotUtf8 => Some(USAGE.to_owned()),
            UsageError::MissingValue { .. } | UsageError::InvalidValue { .. } => None,
        };
        let usage = usage
            .map(|usage| format!("Usage: {bin} {usage}\n\n"))
            .unwrap_or_default();
        format!("error: {self}\n\n{usage}For more information, try '--help'.\n")
    }
}

/// The program's name for the help and the usage line: the file name of `argv[0]`, as clap
/// shows it.
fn bin_name(argv0: Option<&str>) -> String {
    argv0
        .map(Path::new)
        .and_then(Path::file_name)
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "demo-client".to_owned())
}

impl Args {
    /// The command line of this process: returns what to run with; prints the help or the
    /// version and exits 0 when asked for; prints a usage error and exits 2.
    pub fn parse() -> Args {
        let mut out = std::io::stdout().lock();
        match Args::try_parse_from(std::env::args_os()) {
            Ok(Command::Run(args)) => args,
            Ok(Command::Print(text)) => {
                // A closed stdout (`demo-client --help | head -1`) is not an error.
                let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
                std::process::exit(0)
            }
            Err((error, bin)) => {
                let _ = std::io::stderr().write_all(error.report(&bin).as_bytes());
                std::process::exit(2)
            }
        }
    }

    /// Parses `argv` (the program's name first): what it asks for, or the usage error with the
    /// program's name for its report.
    pub fn try_parse_from<I>(argv: I) -> Result<Command, (UsageError, String)>
    where
        I: IntoIterator,
        I::Item: Into<OsString>,
    {
        let mut parser = lexopt::Parser::from_iter(argv);
        let bin = bin_name(parser.bin_name());
        parse(&mut parser, &bin).map_err(|error| (error, bin))
    }
}

/// The default of every option; `server` and `endpoint` must be given.
fn defaults() -> Args {
    Args {
        server: Vec::new(),
        endpoint: String::new(),
        lifetime: 300,
        lwm2m_version: Version::V1_1,
        bootstrap: false,
        state: None,
        firmware_dir: None,
        firmware_max_size: 1 << 20,
        queue_mode: false,
        send_paths: Vec::new(),
        send_every: 10,
        local_port: 0,
        tick_ms: 1000,
        psk_identity: Vec::new(),
        psk_key: Vec::new(),
        ack_timeout_ms: 2000,
        ack_random_factor: 1.5,
        max_retransmit: 4,
        blocking_driver: false,
    }
}

/// Parses the arguments left to right, as clap does: the first problem is the error, and
/// `--help` or `--version` wins if it comes before any (`bin` names the program in the help).
fn parse(parser: &mut lexopt::Parser, bin: &str) -> Result<Command, UsageError> {
    let mut args = defaults();
    let mut seen: Vec<Id> = Vec::new();
    while let Some(arg) = parser.next().map_err(lexer_error)? {
        let short = matches!(arg, Arg::Short(_));
        let opt = match arg {
            Arg::Long(name) => HELP
                .iter()
                .find(|opt| opt.long == name)
                .ok_or_else(|| UsageError::Unexpected(format!("--{name}")))?,
            Arg::Short(letter) => HELP
                .iter()
                .find(|opt| opt.short == Some(letter))
                .ok_or_else(|| UsageError::Unexpected(format!("-{letter}")))?,
            Arg::Value(value) => {
                return Err(UsageError::Unexpected(value.to_string_lossy().into_owned()));
            }
        };
        if seen.contains(&opt.id) && !opt.repeats {
            return Err(UsageError::Repeated(opt.spec()));
        }
        seen.push(opt.id);
        if opt.value.is_none() {
            // `--flag=value` (in `-hV`, `V` is the next flag, not a value).
            if let Some(value) = parser.optional_value().filter(|_| !short) {
                return Err(UsageError::FlagValue {
                    option: opt.spec(),
                    value: value.to_string_lossy().into_owned(),
                });
            }
            match opt.id {
                Id::Help => return Ok(Command::Print(help(bin, !short))),
                Id::PrintVersion => return Ok(Command::Print(VERSION.to_owned())),
                Id::Bootstrap => args.bootstrap = true,
                Id::QueueMode => args.queue_mode = true,
                _ => args.blocking_driver = true,
            }
            continue;
        }
        let raw = value(parser, opt)?;
        if raw.is_empty() && matches!(opt.id, Id::State | Id::FirmwareDir | Id::LwM2mVersion) {
            // clap's path and enum parsers take no empty value.
            return Err(missing_value(opt));
        }
        if matches!(opt.id, Id::State | Id::FirmwareDir) {
            let path = Some(PathBuf::from(raw));
            if opt.id == Id::State {
                args.state = path;
            } else {
                args.firmware_dir = path;
            }
            continue;
        }
        let text = raw.into_string().map_err(|_| UsageError::NotUtf8)?;
        let invalid = |reason: String| UsageError::InvalidValue {
            option: opt.spec(),
            value: text.clone(),
            reason: Some(reason),
            values: Vec::new(),
        };
        match opt.id {
            Id::Server => args.server.push(text),
            Id::Endpoint => args.endpoint = text,
            Id::PskIdentity => args.psk_identity.push(text),
            Id::Lifetime => args.lifetime = ranged(&text, 1, u32::MAX.into()).map_err(invalid)?,
            Id::LocalPort => {
                args.local_port = ranged(&text, 0, u16::MAX.into()).map_err(invalid)?
            }
            Id::MaxRetransmit => {
                args.max_retransmit = ranged(&text, 0, MAX_RETRANSMIT).map_err(invalid)?;
            }
            Id::FirmwareMaxSize => {
                args.firmware_max_size = text.parse().map_err(|e| invalid(format!("{e}")))?;
            }
            Id::SendEvery => args.send_every = at_least_one(&text, None).map_err(invalid)?,
            Id::TickMs => args.tick_ms = at_least_one(&text, None).map_err(invalid)?,
            Id::AckTimeoutMs => {
                args.ack_timeout_ms =
                    at_least_one(&text, Some(MAX_ACK_TIMEOUT_MS)).map_err(invalid)?;
            }
            Id::AckRandomFactor => {
                args.ack_random_factor = parse_ack_random_factor(&text).map_err(invalid)?;
            }
            Id::Send => args.send_paths.push(parse_path(&text).map_err(invalid)?),
            Id::PskKey => args.psk_key.push(parse_hex(&text).map_err(invalid)?),
            _ => {
                args.lwm2m_version = VERSIONS
                    .iter()
                    .find(|(name, _, _)| *name == text)
                    .map(|&(_, version, _)| version)
                    .ok_or_else(|| UsageError::InvalidValue {
                        option: opt.spec(),
                        value: text.clone(),
                        reason: None,
                        values: value_names(opt),
                    })?;
            }
        }
    }
    required(&seen)?;
    Ok(Command::Run(args))
}

/// `--server` and `--endpoint` are required, and each PSK option needs the other.
fn required(seen: &[Id]) -> Result<(), UsageError> {
    let spec = |id: Id| {
        HELP.iter()
            .find(|opt| opt.id == id)
            .map(Opt::spec)
            .unwrap_or_default()
    };
    let mut missing = Vec::new();
    let mut usage = vec![spec(Id::Server), spec(Id::Endpoint)];
    for id in [Id::Server, Id::Endpoint] {
        if !seen.contains(&id) {
            missing.push(spec(id));
        }
    }
    // The first PSK option given names the pair in the usage line, as clap's `requires` does.
    let pair = [Id::PskIdentity, Id::PskKey];
    let given: Vec<Id> = pair.into_iter().filter(|id| seen.contains(id)).collect();
    if let [one] = given[..] {
        let other = if one == Id::PskIdentity {
            Id::PskKey
        } else {
            Id::PskIdentity
        };
        missing.push(spec(other));
        usage.push(spec(one));
        usage.push(spec(other));
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(UsageError::Missing { missing, usage })
    }
}

/// The value of `opt`: after `=` (`--lifetime=60`, even empty), or the next argument unless it
/// looks like an option, as clap takes them.
fn value(parser: &mut lexopt::Parser, opt: &Opt) -> Result<OsString, UsageError> {
    if let Some(value) = parser.optional_value() {
        return Ok(value);
    }
    let Some(mut raw) = parser.try_raw_args() else {
        return Err(missing_value(opt));
    };
    let Some(next) = raw.peek() else {
        return Err(missing_value(opt));
    };
    let text = next.to_string_lossy();
    if text.len() > 1 && text.starts_with('-') {
        // An option of the demo: the value is missing; anything else dashed is no value.
        return Err(if is_option(&text) {
            missing_value(opt)
        } else {
            UsageError::Unexpected(text.into_owned())
        });
    }
    raw.next().ok_or_else(|| missing_value(opt))
}

/// Whether `arg` names an option of the demo (or is `--`).
fn is_option(arg: &str) -> bool {
    if let Some(long) = arg.strip_prefix("--") {
        let name = long.split_once('=').map_or(long, |(name, _)| name);
        name.is_empty() || HELP.iter().any(|opt| opt.long == name)
    } else {
        let letter = arg.chars().nth(1);
        HELP.iter()
            .any(|opt| opt.short.is_some() && opt.short == letter)
    }
}

/// The error for an option whose value is missing.
fn missing_value(opt: &Opt) -> UsageError {
    UsageError::MissingValue {
        option: opt.spec(),
        values: value_names(opt),
    }
}

/// The values `opt` takes, if a fixed set.
fn value_names(opt: &Opt) -> Vec<&'static str> {
    opt.values.iter().map(|&(name, _, _)| name).collect()
}

/// A lexer error: none is expected, as values are taken by [`value`] and flags' values are
/// refused before the lexer sees them.
fn lexer_error(error: lexopt::Error) -> UsageError {
    match error {
        lexopt::Error::UnexpectedOption(option) => UsageError::Unexpected(option),
        lexopt::Error::UnexpectedArgument(value) => {
            UsageError::Unexpected(value.to_string_lossy().into_owned())
        }
        lexopt::Error::UnexpectedValue { option, value } => UsageError::FlagValue {
            option,
            value: value.to_string_lossy().into_owned(),
        },
        lexopt::Error::NonUnicodeValue(_) => UsageError::NotUtf8,
        other => UsageError::Unexpected(other.to_string()),
    }
}

/// An integer in `low..=high`, read as clap's ranged parsers of `u16` and `u32` read it (as an
/// `i64`, so that `-1` is out of range rather than not a number).
fn ranged<T: TryFrom<i64>>(text: &str, low: i64, high: i64) -> Result<T, String> {
    let value: i64 = text.parse().map_err(|e| format!("{e}"))?;
    if !(low..=high).contains(&value) {
        return Err(format!("{value} is not in {low}..={high}"));
    }
    T::try_from(value).map_err(|_| format!("{value} is not in {low}..={high}"))
}

/// A `u64` from 1 to `high` (no bound: `u64::MAX`), with clap's messages for its ranged `u64`.
fn at_least_one(text: &str, high: Option<u64>) -> Result<u64, String> {
    let value: u64 = text.parse().map_err(|e| format!("{e}"))?;
    let fits = value >= 1 && high.is_none_or(|high| value <= high);
    if fits {
        return Ok(value);
    }
    Err(match high {
        Some(high) => format!("{value} is not in 1..={high}"),
        // clap writes an open range this way.
        None => format!("{value} is not in 1..{}", u64::MAX),
    })
}

/// Parses ACK_RANDOM_FACTOR: a number from 1.0 (RFC 7252 §4.8.1: it MUST NOT be decreased
/// below 1.0) to [`MAX_ACK_RANDOM_FACTOR`].
fn parse_ack_random_factor(text: &str) -> Result<f64, String> {
    let factor: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if !(1.0..=MAX_ACK_RANDOM_FACTOR).contains(&factor) {
        return Err(format!(
            "{factor} is out of range: ACK_RANDOM_FACTOR must be from 1.0 (RFC 7252 §4.8.1) to \
             {MAX_ACK_RANDOM_FACTOR}"
        ));
    }
    Ok(factor)
}

/// A PSK identity and key (Security mode 0: `/0/x/3` and `/0/x/5`).
pub type Psk = (Vec<u8>, Vec<u8>);

/// A key given in hex on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HexKey(pub Vec<u8>);

/// Parses an LwM2M path such as `/3/0/1`.
fn parse_path(text: &str) -> Result<lwm2m::Path, String> {
    text.parse()
        .map_err(|_| format!("`{text}` is not an LwM2M path such as /3/0/1"))
}

/// Parses an even number of hex digits (at least two).
fn parse_hex(text: &str) -> Result<HexKey, String> {
    let digits = text.as_bytes();
    if digits.is_empty() || digits.len() % 2 != 0 {
        return Err("expected an even number of hex digits".to_owned());
    }
    digits
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .ok_or_else(|| format!("`{}` is not a hex byte", String::from_utf8_lossy(pair)))
        })
        .collect::<Result<Vec<u8>, String>>()
        .map(HexKey)
}

/// The help: `long` for `--help` (each option's text under it, with its possible values and
/// default), else the summary of `-h` (one line each), laid out as clap lays them out.
pub fn help(bin: &str, long: bool) -> String {
    let mut text = format!("{ABOUT}\n\nUsage: {bin} {USAGE}\n\nOptions:\n");
    let name = |opt: &Opt| {
        let short = opt
            .short
            .map_or_else(|| "    ".to_owned(), |s| format!("-{s}, "));
        match opt.value {
            Some(value) => format!("  {short}--{} <{value}>", opt.long),
            None => format!("  {short}--{}", opt.long),
        }
    };
    if long {
        let entries: Vec<String> = HELP
            .iter()
            .map(|opt| {
                let mut entry = format!("{}\n          {}\n", name(opt), opt.help);
                if !opt.values.is_empty() {
                    entry.push_str("\n          Possible values:\n");
                    for (value, _, help) in opt.values {
                        entry.push_str(&format!("          - {value}: {help}\n"));
                    }
                }
                if let Some(default) = opt.default {
                    entry.push_str(&format!("          \n          [default: {default}]\n"));
                }
                entry
            })
            .collect();
        text.push_str(&entries.join("\n"));
        return text;
    }
    let width = HELP.iter().map(|opt| name(opt).len()).max().unwrap_or(0) + 2;
    for opt in HELP {
        let mut line = format!("{:width$}{}", name(opt), opt.short_help.unwrap_or(opt.help));
        if let Some(default) = opt.default {
            line.push_str(&format!(" [default: {default}]"));
        }
        if !opt.values.is_empty() {
            line.push_str(&format!(
                " [possible values: {}]",
                value_names(opt).join(", ")
            ));
        }
        text.push_str(&line);
        text.push('\n');
    }
    text
}

impl Args {
    /// The first (or only) server URI.
    pub fn first_server(&self) -> &str {
        self.server.first().map_or("", String::as_str)
    }

    /// The server URIs after the first.
    pub fn more_servers(&self) -> &[String] {
        self.server.get(1..).unwrap_or_default()
    }

    /// The registration lifetime.
    pub fn lifetime(&self) -> Duration {
        Duration::from_secs(u64::from(self.lifetime))
    }

    /// The measuring interval.
    pub fn tick(&self) -> Duration {
        Duration::from_millis(self.tick_ms)
    }

    /// The CoAP transmission parameters: RFC 7252's defaults with ACK_TIMEOUT,
    /// ACK_RANDOM_FACTOR and MAX_RETRANSMIT from the command line (PROCESSING_DELAY is
    /// ACK_TIMEOUT, as §4.8.2 has it).
    pub fn transmission(&self) -> TransmissionParameters {
        let ack_timeout = Duration::from_millis(self.ack_timeout_ms);
        TransmissionParameters {
            ack_timeout,
            ack_random_factor: self.ack_random_factor,
            max_retransmit: self.max_retransmit,
            processing_delay: ack_timeout,
            ..TransmissionParameters::default()
        }
    }

    /// The PSK identities and keys, paired in the order given: empty when none is given, an
    /// error when there are more identities than keys or the other way round.
    pub fn psks(&self) -> Result<Vec<Psk>, String> {
        if self.psk_identity.len() != self.psk_key.len() {
            return Err(format!(
                "{} --psk-identity but {} --psk-key: give them in pairs, one per coaps:// server",
                self.psk_identity.len(),
                self.psk_key.len()
            ));
        }
        Ok(self
            .psk_identity
            .iter()
            .zip(&self.psk_key)
            .map(|(identity, key)| (identity.as_bytes().to_vec(), key.0.clone()))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The arguments of `demo-client ARGV...`, or the usage error.
    fn parse(argv: &[&str]) -> Result<Args, UsageError> {
        match Args::try_parse_from(std::iter::once("demo-client").chain(argv.iter().copied())) {
            Ok(Command::Run(args)) => Ok(args),
            Ok(Command::Print(text)) => panic!("{argv:?} printed {text}"),
            Err((error, bin)) => {
                assert_eq!(bin, "demo-client");
                Err(error)
            }
        }
    }

    /// The report of the usage error of `demo-client ARGV...`.
    fn refused(argv: &[&str]) -> String {
        match parse(argv) {
            Ok(args) => panic!("{argv:?} parsed: {args:?}"),
            Err(error) => error.report("demo-client"),
        }
    }

    /// What `demo-client ARGV...` prints instead of running.
    fn printed(argv: &[&str]) -> String {
        let argv = std::iter::once("/usr/local/bin/demo-client").chain(argv.iter().copied());
        match Args::try_parse_from(argv) {
            Ok(Command::Print(text)) => text,
            other => panic!("{other:?}"),
        }
    }

    const BASE: [&str; 4] = ["--server", "coap://h", "--endpoint", "e"];

    /// `BASE` and `more`.
    fn with_base<'a>(more: &[&'a str]) -> Vec<&'a str> {
        let mut argv = BASE.to_vec();
        argv.extend(more);
        argv
    }

    #[test]
    fn parses_every_option() {
        let args = parse(&[
            "--server",
            "coap://127.0.0.1:5690",
            "--endpoint",
            "ep1",
            "--lifetime",
            "60",
            "--lwm2m-version",
            "1.0",
            "--bootstrap",
            "--state",
            "/tmp/state",
            "--firmware-dir=/tmp/fw",
            "--firmware-max-size",
            "4096",
            "--queue-mode",
            "--send",
            "/3303/0/5700",
            "--send=/3/0/9",
            "--send-every",
            "5",
            "--local-port",
            "5700",
            "--tick-ms",
            "250",
            "--psk-identity",
            "id",
            "--psk-key",
            "0a0B",
            "--ack-timeout-ms",
            "300000",
            "--ack-random-factor",
            "10",
            "--max-retransmit",
            "20",
            "--blocking-driver",
        ])
        .unwrap();
        let expected = Args {
            server: vec!["coap://127.0.0.1:5690".to_owned()],
            endpoint: "ep1".to_owned(),
            lifetime: 60,
            lwm2m_version: Version::V1_0,
            bootstrap: true,
            state: Some("/tmp/state".into()),
            firmware_dir: Some("/tmp/fw".into()),
            firmware_max_size: 4096,
            queue_mode: true,
            send_paths: vec!["/3303/0/5700".parse().unwrap(), "/3/0/9".parse().unwrap()],
            send_every: 5,
            local_port: 5700,
            tick_ms: 250,
            psk_identity: vec!["id".to_owned()],
            psk_key: vec![HexKey(vec![0x0a, 0x0b])],
            ack_timeout_ms: 300_000,
            ack_random_factor: 10.0,
            max_retransmit: 20,
            blocking_driver: true,
        };
        assert_eq!(args, expected);
        assert_eq!(args.first_server(), "coap://127.0.0.1:5690");
        assert!(args.more_servers().is_empty());
        assert_eq!(args.lifetime(), Duration::from_secs(60));
        assert_eq!(args.tick(), Duration::from_millis(250));
        for (given, version) in [
            ("1.0", Version::V1_0),
            ("1.1", Version::V1_1),
            ("1.2", Version::V1_2),
        ] {
            assert_eq!(
                parse(&with_base(&["--lwm2m-version", given]))
                    .unwrap()
                    .lwm2m_version,
                version
            );
        }
    }

    #[test]
    fn defaults() {
        let args = parse(&BASE).unwrap();
        assert_eq!(
            args,
            Args {
                server: vec!["coap://h".to_owned()],
                endpoint: "e".to_owned(),
                ..super::defaults()
            }
        );
        assert_eq!(args.lwm2m_version, Version::V1_1);
        assert_eq!(args.lifetime, 300);
        assert!(!args.bootstrap && !args.queue_mode && !args.blocking_driver);
        assert_eq!((args.state, args.firmware_dir), (None, None));
        assert_eq!(args.firmware_max_size, 1_048_576);
        assert!(args.send_paths.is_empty());
        assert_eq!(args.send_every, 10);
        assert_eq!(args.local_port, 0);
        assert_eq!(args.tick_ms, 1000);
        assert_eq!(args.ack_timeout_ms, 2000);
        assert_eq!(args.ack_random_factor, 1.5);
        assert_eq!(args.max_retransmit, 4);
        // Values may come after `=`, options in any order, a value may start with `-` after
        // `=` or be a lone `-`.
        let args = parse(&["--endpoint=-", "--lifetime=1", "--server=coap://h"]).unwrap();
        assert_eq!((args.endpoint.as_str(), args.lifetime), ("-", 1));
        assert_eq!(
            parse(&with_base(&["--endpoint"])).unwrap_err(),
            UsageError::Repeated("--endpoint <NAME>".to_owned())
        );
    }

    #[test]
    fn the_ranges_are_clap_s() {
        for (option, low, high) in [
            ("--lifetime", "1", "4294967295"),
            ("--local-port", "0", "65535"),
            ("--max-retransmit", "0", "20"),
            ("--ack-timeout-ms", "1", "300000"),
            ("--send-every", "1", "18446744073709551615"),
            ("--tick-ms", "1", "18446744073709551615"),
            ("--firmware-max-size", "0", "18446744073709551615"),
        ] {
            for ok in [low, high] {
                assert!(parse(&with_base(&[option, ok])).is_ok(), "{option} {ok}");
            }
        }
        for (bad, says) in [
            (
                "--lifetime=0",
                "invalid value '0' for '--lifetime <SECS>': 0 is not in 1..=4294967295",
            ),
            (
                "--lifetime=4294967296",
                "4294967296 is not in 1..=4294967295",
            ),
            (
                "--lifetime=abc",
                "invalid value 'abc' for '--lifetime <SECS>': invalid digit found in string",
            ),
            (
                "--lifetime=",
                "invalid value '' for '--lifetime <SECS>': cannot parse integer from empty string",
            ),
            (
                "--local-port=70000",
                "invalid value '70000' for '--local-port <P>': 70000 is not in 0..=65535",
            ),
            ("--local-port=-1", "-1 is not in 0..=65535"),
            (
                "--max-retransmit=21",
                "invalid value '21' for '--max-retransmit <N>': 21 is not in 0..=20",
            ),
            ("--max-retransmit=-1", "-1 is not in 0..=20"),
            (
                "--max-retransmit=99999999999999999999",
                "number too large to fit in target type",
            ),
            (
                "--ack-timeout-ms=0",
                "invalid value '0' for '--ack-timeout-ms <MS>': 0 is not in 1..=300000",
            ),
            ("--ack-timeout-ms=300001", "300001 is not in 1..=300000"),
            (
                "--ack-timeout-ms=-5",
                "invalid value '-5' for '--ack-timeout-ms <MS>': invalid digit found in string",
            ),
            (
                "--send-every=0",
                "invalid value '0' for '--send-every <SECS>': 0 is not in 1..18446744073709551615",
            ),
            (
                "--tick-ms=0",
                "invalid value '0' for '--tick-ms <MS>': 0 is not in 1..18446744073709551615",
            ),
            (
                "--firmware-max-size=-1",
                "invalid value '-1' for '--firmware-max-size <BYTES>': invalid digit found in string",
            ),
            (
                "--ack-random-factor=0.9",
                "0.9 is out of range: ACK_RANDOM_FACTOR must be from 1.0 (RFC 7252 §4.8.1) to 10",
            ),
            ("--ack-random-factor=10.5", "out of range"),
            ("--ack-random-factor=NaN", "NaN is out of range"),
            ("--ack-random-factor=1e400", "inf is out of range"),
            (
                "--ack-random-factor=fast",
                "invalid value 'fast' for '--ack-random-factor <FACTOR>': `fast` is not a number",
            ),
            (
                "--lwm2m-version=2.0",
                "invalid value '2.0' for '--lwm2m-version <LWM2M_VERSION>'\n  [possible values: 1.0, 1.1, 1.2]\n\nFor more",
            ),
            (
                "--lwm2m-version=",
                "a value is required for '--lwm2m-version <LWM2M_VERSION>' but none was supplied\n  [possible values: 1.0, 1.1, 1.2]",
            ),
            (
                "--send=/x",
                "invalid value '/x' for '--send <PATH>': `/x` is not an LwM2M path such as /3/0/1",
            ),
            (
                "--psk-key=0g",
                "invalid value '0g' for '--psk-key <HEX>': `0g` is not a hex byte",
            ),
            ("--psk-key=abc", "expected an even number of hex digits"),
            (
                "--psk-key=",
                "invalid value '' for '--psk-key <HEX>': expected an even number of hex digits",
            ),
            (
                "--state=",
                "error: a value is required for '--state <FILE>' but none was supplied\n\nFor more information, try '--help'.\n",
            ),
            (
                "--firmware-dir=",
                "a value is required for '--firmware-dir <DIR>'",
            ),
        ] {
            let report = refused(&with_base(&[bad]));
            assert!(report.contains(says), "{bad}: {report}");
            assert!(report.starts_with("error: "), "{report}");
            assert!(
                report.ends_with("\n\nFor more information, try '--help'.\n"),
                "{report}"
            );
        }
        let factor = parse(&with_base(&["--ack-random-factor", " 1 "])).unwrap();
        assert_eq!(factor.ack_random_factor, 1.0);
    }

    #[test]
    fn usage_errors_read_as_clap_s() {
        let usage = "\n\nUsage: demo-client [OPTIONS] --server <URI> --endpoint <NAME>\n\nFor more information, try '--help'.\n";
        for (argv, says) in [
            (
                &["--bogus"][..],
                "error: unexpected argument '--bogus' found",
            ),
            (&["-x"], "error: unexpected argument '-x' found"),
            (&["foo"], "error: unexpected argument 'foo' found"),
            (&["-"], "error: unexpected argument '-' found"),
            (&["--", "x"], "error: unexpected argument 'x' found"),
            (
                &["--lifetime", "-5"],
                "error: unexpected argument '-5' found",
            ),
            (
                &["--lifetime", "--bogus"],
                "error: unexpected argument '--bogus' found",
            ),
            (
                &["--bootstrap=yes"],
                "error: unexpected value 'yes' for '--bootstrap' found; no more were expected",
            ),
            (
                &["--bootstrap", "--bootstrap"],
                "error: the argument '--bootstrap' cannot be used multiple times",
            ),
            (
                &["--lifetime", "1", "--lifetime", "2"],
                "error: the argument '--lifetime <SECS>' cannot be used multiple times",
            ),
            (
                &["--lwm2m-version=1.0", "--lwm2m-version=1.0"],
                "error: the argument '--lwm2m-version <LWM2M_VERSION>' cannot be used multiple times",
            ),
        ] {
            assert_eq!(
                refused(&with_base(argv)),
                format!("{says}{usage}"),
                "{argv:?}"
            );
        }
        for (argv, option) in [
            (&["--state"][..], "--state <FILE>"),
            (&["--lifetime", "--server", "x"], "--lifetime <SECS>"),
            (&["--lifetime", "-h"], "--lifetime <SECS>"),
            (&["--lifetime", "--"], "--lifetime <SECS>"),
        ] {
            assert_eq!(
                refused(&with_base(argv)),
                format!(
                    "error: a value is required for '{option}' but none was supplied\n\nFor more information, try '--help'.\n"
                ),
                "{argv:?}"
            );
        }
        // The first problem is the error; --help before it wins.
        assert!(refused(&with_base(&["--lifetime", "0", "--help"])).contains("0 is not in"));
        assert!(refused(&["--bogus", "--help"]).contains("'--bogus'"));
    }

    #[test]
    fn required_options_are_named() {
        let report = |missing: &str, usage: &str| {
            format!(
                "error: the following required arguments were not provided:\n{missing}\n\nUsage: \
                 demo-client --server <URI> --endpoint <NAME>{usage}\n\nFor more information, try '--help'.\n"
            )
        };
        assert_eq!(
            refused(&[]),
            report("  --server <URI>\n  --endpoint <NAME>", "")
        );
        assert_eq!(
            refused(&["--endpoint", "e"]),
            report("  --server <URI>", "")
        );
        assert_eq!(
            refused(&["--server", "coap://h"]),
            report("  --endpoint <NAME>", "")
        );
        assert_eq!(
            refused(&with_base(&["--psk-identity", "x"])),
            report("  --psk-key <HEX>", " --psk-identity <ID> --psk-key <HEX>")
        );
        assert_eq!(
            refused(&["--endpoint", "e", "--psk-key", "00"]),
            report(
                "  --server <URI>\n  --psk-identity <ID>",
                " --psk-key <HEX> --psk-identity <ID>"
            )
        );
    }

    #[test]
    fn help_and_version() {
        assert_eq!(printed(&["--version"]), "demo-client 0.1.0\n");
        assert_eq!(printed(&["-V", "--bogus"]), "demo-client 0.1.0\n");
        // The usage line names the program as it was run (its file name).
        let short = printed(&["-h"]);
        assert!(
            short.contains("\nUsage: demo-client [OPTIONS] --server <URI> --endpoint <NAME>\n"),
            "{short}"
        );
        assert_eq!(printed(&["--server", "x", "-hV"]), short);
        assert_eq!(printed(&["-Vh"]), printed(&["--version"]));
        let long = printed(&["--help"]);
        assert_ne!(long, short);
        assert_eq!(long, help("demo-client", true));
        assert_eq!(short, help("demo-client", false));
        assert!(
            refused(&["--help=1"]).starts_with("error: unexpected value '1' for '--help' found")
        );
    }

    #[test]
    fn parses_the_psk_options() {
        let args = parse(&[
            "--server",
            "coaps://127.0.0.1",
            "--endpoint",
            "e",
            "--psk-identity",
            "dev-1",
            "--psk-key",
            "00ffA5",
        ])
        .unwrap();
        assert_eq!(
            args.psks(),
            Ok(vec![(b"dev-1".to_vec(), vec![0x00, 0xff, 0xa5])])
        );
        for bad in [
            &["--psk-key", "0g"][..],
            &["--psk-key", "abc"],
            &["--psk-identity", "id"],
            &["--psk-key", "00"],
        ] {
            assert!(parse(&with_base(bad)).is_err(), "{bad:?}");
        }
        assert_eq!(parse(&BASE).unwrap().psks(), Ok(Vec::new()));
    }

    #[test]
    fn psk_options_repeat_in_the_order_of_the_servers() {
        let args = parse(&[
            "--endpoint",
            "e",
            "--server",
            "coaps://127.0.0.1:5684",
            "--psk-identity",
            "dev-a",
            "--psk-key",
            "0a0a",
            "--server",
            "coaps://127.0.0.1:5784",
            "--psk-identity",
            "dev-b",
            "--psk-key",
            "0b",
        ])
        .unwrap();
        assert_eq!(
            args.psks(),
            Ok(vec![
                (b"dev-a".to_vec(), vec![0x0a, 0x0a]),
                (b"dev-b".to_vec(), vec![0x0b]),
            ])
        );
        let unpaired = parse(&[
            "--endpoint",
            "e",
            "--server",
            "coaps://h",
            "--psk-identity",
            "dev-a",
            "--psk-identity",
            "dev-b",
            "--psk-key",
            "0a",
        ])
        .unwrap();
        let err = unpaired.psks().unwrap_err();
        assert!(err.contains("2 --psk-identity but 1 --psk-key"), "{err}");
    }

    #[test]
    fn the_server_option_repeats() {
        let args = parse(&[
            "--server",
            "coap://127.0.0.1:5690",
            "--endpoint",
            "e",
            "--server",
            "coap://127.0.0.1:5691",
        ])
        .unwrap();
        assert_eq!(args.first_server(), "coap://127.0.0.1:5690");
        assert_eq!(args.more_servers(), ["coap://127.0.0.1:5691"]);
    }

    #[test]
    fn parses_the_transmission_parameters() {
        let args = parse(&with_base(&[
            "--ack-timeout-ms",
            "500",
            "--ack-random-factor",
            "1.25",
            "--max-retransmit",
            "2",
        ]))
        .unwrap();
        let p = args.transmission();
        assert_eq!(p.ack_timeout, Duration::from_millis(500));
        assert_eq!(p.ack_random_factor, 1.25);
        assert_eq!(p.max_retransmit, 2);
        assert_eq!(p.processing_delay, Duration::from_millis(500));
        // MAX_TRANSMIT_WAIT = ACK_TIMEOUT * (2^(MAX_RETRANSMIT + 1) - 1) * ACK_RANDOM_FACTOR
        // (RFC 7252 §4.8.2) = 0.5 s * 7 * 1.25.
        assert_eq!(p.max_transmit_wait(), Duration::from_micros(4_375_000));
        // A factor of exactly 1.0 is allowed (no randomness), as are no retransmissions.
        let args = parse(&with_base(&[
            "--ack-random-factor",
            "1",
            "--max-retransmit",
            "0",
        ]))
        .unwrap();
        assert_eq!(args.transmission().ack_random_factor, 1.0);
        assert_eq!(args.transmission().max_retransmit, 0);
    }

    #[test]
    fn transmission_parameters_default_to_rfc_7252() {
        assert_eq!(
            parse(&BASE).unwrap().transmission(),
            TransmissionParameters::default()
        );
    }

    #[cfg(unix)]
    #[test]
    fn paths_may_be_any_bytes_and_text_must_be_utf8() {
        use std::os::unix::ffi::OsStringExt;
        let odd = OsString::from_vec(vec![b'/', b't', 0xff]);
        let argv: Vec<OsString> = [
            "demo-client",
            "--server",
            "coap://h",
            "--endpoint",
            "e",
            "--state",
        ]
        .into_iter()
        .map(OsString::from)
        .chain([odd.clone()])
        .collect();
        match Args::try_parse_from(argv) {
            Ok(Command::Run(args)) => assert_eq!(args.state, Some(PathBuf::from(odd.clone()))),
            other => panic!("{other:?}"),
        }
        let argv: Vec<OsString> = ["demo-client", "--server", "coap://h", "--endpoint"]
            .into_iter()
            .map(OsString::from)
            .chain([odd])
            .collect();
        assert!(matches!(
            Args::try_parse_from(argv),
            Err((UsageError::NotUtf8, _))
        ));
    }
}
