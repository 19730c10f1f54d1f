//! The command line.

use std::time::Duration;

use clap::{Parser, ValueEnum};

/// A demo LwM2M device: Temperature (3303) and Light Control (3311), generated from the OMA
/// registry, with the built-in Security, Server and Device objects, served over CoAP/UDP.
#[derive(Debug, Clone, Parser)]
#[command(name = "demo-client", version)]
pub struct Args {
    /// The LwM2M server (or, with --bootstrap, the Bootstrap-Server): coap://HOST[:PORT].
    #[arg(long, value_name = "URI")]
    pub server: String,
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
    /// The local UDP port (0: any free port).
    #[arg(long, value_name = "P", default_value_t = 0)]
    pub local_port: u16,
    /// How often the temperature is measured, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub tick_ms: u64,
}

impl Args {
    /// The registration lifetime.
    pub fn lifetime(&self) -> Duration {
        Duration::from_secs(u64::from(self.lifetime))
    }

    /// The measuring interval.
    pub fn tick(&self) -> Duration {
        Duration::from_millis(self.tick_ms)
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
        assert_eq!(args.server, "coap://127.0.0.1:5690");
        assert_eq!(args.endpoint, "ep1");
        assert_eq!(args.lifetime(), Duration::from_secs(60));
        assert_eq!(args.lwm2m_version, Version::V1_0);
        assert!(args.bootstrap);
        assert_eq!(args.local_port, 5700);
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
