//! The command line.

use std::time::Duration;

use clap::{Parser, ValueEnum};
use lwm2m::coap::TransmissionParameters;

/// A demo LwM2M device: Temperature (3303) and Light Control (3311), generated from the OMA
/// registry, with the built-in Security, Server and Device objects, served over CoAP/UDP.
#[derive(Debug, Clone, Parser)]
#[command(name = "demo-client", version)]
pub struct Args {
    /// The LwM2M server (or, with --bootstrap, the Bootstrap-Server): `coap://HOST[:PORT]`, or
    /// `coaps://HOST[:PORT]` with --psk-identity and --psk-key (built with the `dtls` feature).
    /// Repeat it for several servers, all `coap://` or all `coaps://` (Short Server IDs 1, 2,
    /// ... in order; each gets full rights on every instance through Access Control
    /// instances); each `coaps://` server takes the --psk-identity and --psk-key given in the
    /// same position.
    #[arg(long, value_name = "URI", required = true)]
    pub server: Vec<String>,
    /// The endpoint client name announced in the registration.
    #[arg(long, value_name = "NAME")]
    pub endpoint: String,
    /// The registration lifetime, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..))]
    pub lifetime: u32,
    /// The LwM2M version announced.
    #[arg(long = "lwm2m-version", value_enum, default_value_t = Version::V1_1)]
    pub lwm2m_version: Version,
    /// Bootstrap first: --server is a Bootstrap-Server that provisions the LwM2M server.
    #[arg(long)]
    pub bootstrap: bool,
    /// Keep what the servers and the Bootstrap-Server write (Security, Server, Access
    /// Control) in FILE, written atomically whenever it changes, and start from it: a device
    /// bootstrapped before registers at once with the coap:// server it was given. A damaged
    /// or foreign file is reported and ignored (the device bootstraps).
    #[arg(long, value_name = "FILE")]
    pub state: Option<std::path::PathBuf>,
    /// Serve Firmware Update (object 5): packages pushed to `/5/0/0` or pulled from a
    /// `coap://` Package URI are streamed into DIR, checked (the demo's package format: see
    /// `firmware.rs`), and installed by Update (`/5/0/2`), which restarts the device into the
    /// new Firmware Version (`/3/0/3`) and reports Update Result 1.
    #[arg(long, value_name = "DIR")]
    pub firmware_dir: Option<std::path::PathBuf>,
    /// The largest firmware package DIR takes, in bytes (a larger one: Update Result 2).
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub firmware_max_size: u64,
    /// Queue mode: announce it (LwM2M 1.1: the `Q` parameter; 1.0: `b=UQ`) and stop listening
    /// once the queue window after the last exchange has passed.
    #[arg(long)]
    pub queue_mode: bool,
    /// Send (LwM2M 1.1, `POST /dp`) the value at PATH every --send-every seconds; repeat it to
    /// send several paths in one message. Nothing is sent while the server mutes Send (`/1/x/23`).
    #[arg(long = "send", value_name = "PATH", value_parser = parse_path)]
    pub send_paths: Vec<lwm2m::Path>,
    /// How often --send paths are sent, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub send_every: u64,
    /// The local UDP port (0: any free port). With several coaps:// servers, each has its own
    /// socket: this port is the first server's, the others take free ports.
    #[arg(long, value_name = "P", default_value_t = 0)]
    pub local_port: u16,
    /// How often the temperature is measured, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub tick_ms: u64,
    /// The PSK identity for a coaps:// server (Security mode 0, resource /0/x/3). Repeat it
    /// with several coaps:// servers: the Nth goes with the Nth --server.
    #[arg(long, value_name = "ID", requires = "psk_key")]
    pub psk_identity: Vec<String>,
    /// The pre-shared key for a coaps:// server, in hex (resource /0/x/5). Repeat it with
    /// several coaps:// servers: the Nth goes with the Nth --server.
    #[arg(long, value_name = "HEX", value_parser = parse_hex, requires = "psk_identity")]
    pub psk_key: Vec<HexKey>,
    /// CoAP ACK_TIMEOUT (RFC 7252 §4.8): how long the first transmission of a confirmable
    /// message waits for its ACK, in milliseconds (1..=300000). PROCESSING_DELAY follows it.
    #[arg(long, value_name = "MS", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..=MAX_ACK_TIMEOUT_MS))]
    pub ack_timeout_ms: u64,
    /// CoAP ACK_RANDOM_FACTOR (RFC 7252 §4.8): the first wait is drawn from [ACK_TIMEOUT,
    /// ACK_TIMEOUT * FACTOR]; at least 1.0 (§4.8.1), at most 10.
    #[arg(long, value_name = "FACTOR", default_value_t = 1.5, value_parser = parse_ack_random_factor)]
    pub ack_random_factor: f64,
    /// CoAP MAX_RETRANSMIT (RFC 7252 §4.8): retransmissions of a confirmable message before the
    /// exchange fails (0..=20).
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u32).range(0..=MAX_RETRANSMIT))]
    pub max_retransmit: u32,
    /// Run on the blocking std driver (`lwm2m::net::BlockingDriver`: one thread, no async
    /// runtime, two system calls per request) instead of the tokio one. coap:// servers only.
    #[arg(long)]
    pub blocking_driver: bool,
}

/// The longest ACK_TIMEOUT accepted, in milliseconds (5 minutes).
const MAX_ACK_TIMEOUT_MS: u64 = 300_000;

/// The largest ACK_RANDOM_FACTOR accepted.
const MAX_ACK_RANDOM_FACTOR: f64 = 10.0;

/// The most retransmissions accepted: with the other maximums, MAX_TRANSMIT_WAIT stays finite
/// and far from overflowing.
const MAX_RETRANSMIT: i64 = 20;

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

/// An LwM2M version, as given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Version {
    /// LwM2M 1.0.
    #[value(name = "1.0")]
    V1_0,
    /// LwM2M 1.1.
    #[value(name = "1.1")]
    V1_1,
    /// LwM2M 1.2.
    #[value(name = "1.2")]
    V1_2,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn parses_every_option() {
        let args = Args::try_parse_from([
            "demo-client",
            "--server",
            "coap://127.0.0.1:5690",
            "--endpoint",
            "ep1",
            "--lifetime",
            "60",
            "--lwm2m-version",
            "1.0",
            "--bootstrap",
            "--local-port",
            "5700",
        ])
        .unwrap();
        assert_eq!(args.server, ["coap://127.0.0.1:5690"]);
        assert_eq!(args.first_server(), "coap://127.0.0.1:5690");
        assert!(args.more_servers().is_empty());
        assert_eq!(args.endpoint, "ep1");
        assert_eq!(args.lifetime(), Duration::from_secs(60));
        assert_eq!(args.lwm2m_version, Version::V1_0);
        assert!(args.bootstrap);
        assert_eq!(args.local_port, 5700);
    }

    #[test]
    fn parses_the_psk_options() {
        let args = Args::try_parse_from([
            "demo-client",
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
        let base = ["demo-client", "--server", "coaps://h", "--endpoint", "e"];
        for bad in [
            &["--psk-key", "0g"][..],
            &["--psk-key", "abc"],
            &["--psk-identity", "id"],
            &["--psk-key", "00"],
        ] {
            let mut argv = base.to_vec();
            argv.extend(bad);
            assert!(Args::try_parse_from(argv).is_err(), "{bad:?}");
        }
        assert_eq!(Args::try_parse_from(base).unwrap().psks(), Ok(Vec::new()));
    }

    #[test]
    fn psk_options_repeat_in_the_order_of_the_servers() {
        let args = Args::try_parse_from([
            "demo-client",
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
        let unpaired = Args::try_parse_from([
            "demo-client",
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
        let args = Args::try_parse_from([
            "demo-client",
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
        let args = Args::try_parse_from([
            "demo-client",
            "--server",
            "coap://h",
            "--endpoint",
            "e",
            "--ack-timeout-ms",
            "500",
            "--ack-random-factor",
            "1.25",
            "--max-retransmit",
            "2",
        ])
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
        let args = Args::try_parse_from([
            "demo-client",
            "--server",
            "coap://h",
            "--endpoint",
            "e",
            "--ack-random-factor",
            "1",
            "--max-retransmit",
            "0",
        ])
        .unwrap();
        assert_eq!(args.transmission().ack_random_factor, 1.0);
        assert_eq!(args.transmission().max_retransmit, 0);
    }

    #[test]
    fn transmission_parameters_default_to_rfc_7252() {
        let args = Args::try_parse_from(["demo-client", "--server", "coap://h", "--endpoint", "e"])
            .unwrap();
        assert_eq!(args.transmission(), TransmissionParameters::default());
    }

    #[test]
    fn bad_transmission_parameters_are_refused_with_a_clear_error() {
        let base = ["demo-client", "--server", "coap://h", "--endpoint", "e"];
        for (bad, says) in [
            (["--ack-timeout-ms", "0"], "--ack-timeout-ms"),
            (["--ack-timeout-ms", "300001"], "--ack-timeout-ms"),
            (["--ack-timeout-ms=-5", "--lifetime=60"], "--ack-timeout-ms"),
            (["--ack-random-factor", "0.9"], "RFC 7252 §4.8.1"),
            (["--ack-random-factor", "10.5"], "out of range"),
            (["--ack-random-factor", "NaN"], "out of range"),
            (["--ack-random-factor", "inf"], "out of range"),
            (["--ack-random-factor", "fast"], "is not a number"),
            (["--max-retransmit", "21"], "--max-retransmit"),
            (["--max-retransmit=-1", "--lifetime=60"], "--max-retransmit"),
        ] {
            let mut argv = base.to_vec();
            argv.extend(bad);
            let err = Args::try_parse_from(argv).unwrap_err().to_string();
            assert!(err.contains(says), "{bad:?}: {err}");
        }
    }

    #[test]
    fn defaults_and_refusals() {
        let args = Args::try_parse_from(["demo-client", "--server", "coap://h", "--endpoint", "e"])
            .unwrap();
        assert_eq!(args.lwm2m_version, Version::V1_1);
        assert_eq!(args.lifetime, 300);
        assert!(!args.bootstrap);
        assert_eq!(args.tick(), Duration::from_secs(1));
        assert!(Args::try_parse_from(["demo-client", "--endpoint", "e"]).is_err());
        for bad in [
            ["--lwm2m-version", "2.0"],
            ["--lifetime", "0"],
            ["--local-port", "70000"],
        ] {
            let mut argv = vec!["demo-client", "--server", "coap://h", "--endpoint", "e"];
            argv.extend(bad);
            assert!(Args::try_parse_from(argv).is_err(), "{bad:?}");
        }
    }
}
