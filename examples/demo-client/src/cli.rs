//! The command line.

use std::time::Duration;

use clap::{Parser, ValueEnum};

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
}

/// A PSK identity and key (Security mode 0: `/0/x/3` and `/0/x/5`).
pub type Psk = (Vec<u8>, Vec<u8>);

/// A key given in hex on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HexKey(pub Vec<u8>);

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
