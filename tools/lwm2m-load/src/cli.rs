//! The command line.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::coap::{Accept, parse_path};
use crate::driver::LoadConfig;
use crate::error::Result;

/// Duration of the measured window in `--quick` mode.
pub const QUICK_DURATION: f64 = 0.5;

/// Serving LwM2M reads at the kernel floor: a load tool that plays the LwM2M server on
/// 127.0.0.1.
#[derive(Debug, Parser)]
#[command(name = "lwm2m-load", version)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a client, answer its registration and measure reads against it.
    ServeClient {
        /// The client command; `{port}` is replaced by the tool's UDP port. Split at
        /// whitespace (no quoting).
        #[arg(long, value_name = "CMD")]
        client_cmd: String,
        /// The Accept option of the reads.
        #[arg(long, value_enum, default_value_t = Accept::None)]
        accept: Accept,
        /// Seconds the client has to register after it is started.
        #[arg(long, value_name = "SECS", default_value_t = 10.0, value_parser = parse_seconds)]
        register_timeout: f64,
        /// The run settings.
        #[command(flatten)]
        run: RunArgs,
    },
    /// Measure the same loop against a plain UDP echo server (the kernel floor).
    Echo {
        /// The run settings.
        #[command(flatten)]
        run: RunArgs,
    },
    /// The echo server itself (started by `echo` and `compare`).
    EchoServer {
        /// The UDP port on 127.0.0.1 (0: any free port, announced as `port=P` on stdout).
        #[arg(long, default_value_t = 0)]
        port: u16,
    },
    /// Alternate echo and client runs for W = 1 and 16 and every Accept variant, over rounds.
    Compare {
        /// The client command; `{port}` is replaced by the tool's UDP port.
        #[arg(long, value_name = "CMD")]
        client_cmd: String,
        /// Rounds (each runs every contender once per window).
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..))]
        rounds: u16,
        /// Also write the tables as Markdown to this file.
        #[arg(long, value_name = "FILE")]
        markdown: Option<PathBuf>,
        /// The Accept variants of the client runs (default: all three).
        #[arg(long, value_enum, value_delimiter = ',')]
        accept: Vec<Accept>,
        /// The run settings (`--window` is ignored: W = 1 and W = 16 are compared).
        #[command(flatten)]
        run: RunArgs,
    },
}

/// Settings shared by the measuring subcommands.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Requests kept in flight.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub window: u16,
    /// Length of the measured window, in seconds.
    #[arg(long, default_value_t = 5.0, value_parser = parse_seconds)]
    pub duration: f64,
    /// Time served before the measured window, in seconds.
    #[arg(long, default_value_t = 0.5, value_parser = parse_seconds)]
    pub warmup: f64,
    /// The path read.
    #[arg(long, default_value = "/3/0")]
    pub path: String,
    /// CI mode: 0.5 s window, 0.1 s warm-up, 1 round.
    #[arg(long)]
    pub quick: bool,
}

fn parse_seconds(text: &str) -> std::result::Result<f64, String> {
    let value: f64 = text.parse().map_err(|e| format!("{e}"))?;
    if value.is_finite() && (0.0..=3600.0).contains(&value) {
        Ok(value)
    } else {
        Err("expected seconds between 0 and 3600".into())
    }
}

impl RunArgs {
    /// The run configuration these arguments describe.
    pub fn config(&self, accept: Accept, check_format: bool) -> Result<LoadConfig> {
        let (duration, warmup) = if self.quick {
            (QUICK_DURATION, 0.1)
        } else {
            (self.duration, self.warmup)
        };
        Ok(LoadConfig {
            window: usize::from(self.window),
            warmup: Duration::from_secs_f64(warmup),
            duration: Duration::from_secs_f64(duration),
            accept,
            path: parse_path(&self.path)?,
            check_format,
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn quick_overrides_the_duration() {
        let cli =
            Cli::try_parse_from(["lwm2m-load", "echo", "--quick", "--duration", "9"]).unwrap();
        let Command::Echo { run } = cli.command else {
            panic!("not echo")
        };
        let config = run.config(Accept::None, false).unwrap();
        assert_eq!(config.duration, Duration::from_millis(500));
        assert_eq!(config.window, 16);
        assert_eq!(config.path, vec!["3", "0"]);
    }

    #[test]
    fn bad_values_are_rejected() {
        for args in [
            &["lwm2m-load", "echo", "--window", "0"][..],
            &["lwm2m-load", "echo", "--duration", "-1"],
            &["lwm2m-load", "echo", "--duration", "nan"],
            &["lwm2m-load", "serve-client"],
        ] {
            assert!(Cli::try_parse_from(args).is_err(), "{args:?}");
        }
    }
}
