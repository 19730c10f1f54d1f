//! The log: `tracing` events formatted to stderr, filtered by `RUST_LOG`.
//!
//! `RUST_LOG` is a comma-separated list of directives: a level alone (`info`) sets the level
//! of every target; `TARGET=LEVEL` sets it for a target and the modules under it (the longest
//! matching target wins, so `info,lwm2m::net=debug` adds the requests of the server); a target
//! alone enables all its levels. Levels: `off`, `error`, `warn`, `info`, `debug`, `trace`.
//! Spaces around directives and empty directives are ignored. Unset or blank, it is
//! [`DEFAULT_FILTER`]; a value that is not such a list is reported and replaced by the default.
//!
//! This is the target and level part of `tracing-subscriber`'s `EnvFilter` syntax, parsed by
//! its regex-free [`Targets`]: `EnvFilter` (the `env-filter` feature) brings `regex-automata`
//! and `regex-syntax` for span and field directives; with them it was 470 KiB of the demo's
//! 2.3 MiB stripped binary (BENCHMARKS.md, "demo-client footprint and CPU per request").

use std::io::IsTerminal;

use tracing_subscriber::filter::{ParseError, Targets};
use tracing_subscriber::prelude::*;

/// The log filter when `RUST_LOG` is not set: registrations, notifications and failures.
///
/// The server's requests are logged at `debug` (`RUST_LOG=info,lwm2m::net=debug`), not by
/// default: a line per request is a `write(2)` to stderr per request, which cost about 2 µs of
/// the 10 µs of CPU per read when a server reads at 100,000 reads/s (BENCHMARKS.md, "Profile of
/// the serving path").
pub const DEFAULT_FILTER: &str = "info";

/// Parses a `RUST_LOG` value (see the [module documentation](self)).
pub fn parse_filter(spec: &str) -> Result<Targets, String> {
    let directives: Vec<&str> = spec
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    if directives.is_empty() {
        return Ok(default_filter());
    }
    // `Targets` would take `[span]=debug` for a target named `[span]` (matching nothing) and
    // `target[{field}]=debug` for a filter on field names: neither is what `EnvFilter` meant.
    if let Some(span) = directives.iter().find(|d| d.contains(['[', ']', '{', '}'])) {
        return Err(format!(
            "`{span}`: span and field directives are not supported"
        ));
    }
    directives
        .join(",")
        .parse()
        .map_err(|e: ParseError| e.to_string())
}

/// Installs the global subscriber: events to stderr (in colour on a terminal), filtered by
/// `RUST_LOG`; an unusable `RUST_LOG` is reported once the log works.
pub fn init() {
    let spec = std::env::var("RUST_LOG").ok();
    let (filter, refused) = match spec.as_deref().map(parse_filter) {
        None => (default_filter(), None),
        Some(Ok(filter)) => (filter, None),
        Some(Err(e)) => (default_filter(), Some(e)),
    };
    let stderr = std::io::stderr;
    tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(stderr)
                .with_ansi(stderr().is_terminal()),
        )
        .init();
    if let Some(e) = refused {
        tracing::warn!(
            error = %e,
            rust_log = spec.as_deref().unwrap_or_default(),
            default = DEFAULT_FILTER,
            "RUST_LOG is not a list of LEVEL and TARGET=LEVEL directives; using the default"
        );
    }
}

/// The filter of [`DEFAULT_FILTER`].
fn default_filter() -> Targets {
    Targets::new().with_default(tracing::Level::INFO)
}

#[cfg(test)]
mod tests {
    use tracing::Level;
    use tracing_subscriber::filter::LevelFilter;

    use super::*;

    #[test]
    fn the_default_is_info_everywhere() {
        assert_eq!(parse_filter(DEFAULT_FILTER).unwrap(), default_filter());
        assert_eq!(parse_filter("").unwrap(), default_filter());
        assert_eq!(parse_filter(" , ").unwrap(), default_filter());
        let filter = default_filter();
        assert!(filter.would_enable("lwm2m::net::driver", &Level::INFO));
        assert!(!filter.would_enable("lwm2m::net::driver", &Level::DEBUG));
        assert!(filter.would_enable("demo_client", &Level::WARN));
    }

    #[test]
    fn a_target_gets_its_own_level_and_the_longest_target_wins() {
        let filter = parse_filter("info,lwm2m::net=debug").unwrap();
        assert_eq!(filter.default_level(), Some(LevelFilter::INFO));
        assert!(filter.would_enable("lwm2m::net::events", &Level::DEBUG));
        assert!(!filter.would_enable("lwm2m::net::events", &Level::TRACE));
        assert!(!filter.would_enable("lwm2m::client", &Level::DEBUG));
        assert!(filter.would_enable("demo_client", &Level::INFO));

        let filter = parse_filter("lwm2m=trace, lwm2m::coap=warn ,").unwrap();
        assert!(filter.would_enable("lwm2m::client::engine", &Level::TRACE));
        assert!(!filter.would_enable("lwm2m::coap::retransmit", &Level::INFO));
        // No level for the other targets: they are off.
        assert!(!filter.would_enable("demo_client", &Level::ERROR));
    }

    #[test]
    fn levels_are_case_insensitive_and_off_silences() {
        let filter = parse_filter("DEBUG,demo_client=off").unwrap();
        assert!(filter.would_enable("lwm2m", &Level::DEBUG));
        assert!(!filter.would_enable("demo_client", &Level::ERROR));
        let filter = parse_filter("debug").unwrap();
        assert!(filter.would_enable("anything", &Level::DEBUG));
        // A target alone: all its levels.
        let filter = parse_filter("lwm2m").unwrap();
        assert!(filter.would_enable("lwm2m::net", &Level::TRACE));
        assert!(!filter.would_enable("demo_client", &Level::ERROR));
    }

    #[test]
    fn what_is_not_a_level_directive_is_refused() {
        for bad in [
            "info,lwm2m=loud",
            "a=b=c",
            "lwm2m[{ssid=1}]=debug",
            "lwm2m[{ssid}]=debug",
            "[server]=debug",
            "info,[server{ssid=2}]",
        ] {
            assert!(parse_filter(bad).is_err(), "{bad}");
        }
    }
}
