//! `compare`: echo and client runs alternated over several rounds, summarised as medians and
//! spread, with the ratios the goals of issue 9 (item 3) ask for.

use std::fmt::Write as _;
use std::time::Duration;

use crate::coap::Accept;
use crate::driver::LoadConfig;
use crate::echo::run_echo;
use crate::error::Result;
use crate::serve::{REGISTER_WITHIN, serve_client};
use crate::stats::Summary;

/// Goal: the client's reads/s at W = 16 is at least this share of the echo's.
pub const GOAL_THROUGHPUT: f64 = 0.90;
/// Goal: the client's CPU per read is at most this multiple of the echo's CPU per packet.
pub const GOAL_CPU: f64 = 1.3;
/// Goal: the client's p99 at W = 1 is at most this multiple of the echo's.
pub const GOAL_P99: f64 = 1.3;

/// What a comparison runs.
#[derive(Debug, Clone)]
pub struct CompareConfig {
    /// The client command (`{port}` is replaced by the tool's port).
    pub client_cmd: String,
    /// Rounds; each round runs every contender once per window.
    pub rounds: usize,
    /// The windows compared.
    pub windows: Vec<usize>,
    /// The Accept variants of the client runs.
    pub accepts: Vec<Accept>,
    /// The run settings (window and accept are overridden per run).
    pub base: LoadConfig,
}

/// Who answers the reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contender {
    /// The plain UDP echo server (the kernel floor).
    Echo,
    /// The LwM2M client, asked for a content format.
    Client(Accept),
}

impl Contender {
    /// The name in tables.
    pub fn name(self) -> String {
        match self {
            Contender::Echo => "echo (floor)".into(),
            Contender::Client(accept) => format!("client, accept {}", accept.name()),
        }
    }
}

/// All runs of a comparison.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// Each run: who, which window, its figures.
    pub runs: Vec<(Contender, usize, Summary)>,
}

/// Runs the comparison, calling `progress` after each run.
pub fn compare(config: &CompareConfig, mut progress: impl FnMut(&Summary)) -> Result<Comparison> {
    let mut comparison = Comparison::default();
    for round in 1..=config.rounds {
        for &window in &config.windows {
            let mut contenders = vec![Contender::Echo];
            contenders.extend(config.accepts.iter().map(|a| Contender::Client(*a)));
            for contender in contenders {
                let mut run = config.base.clone();
                run.window = window;
                let label = format!("round {round} {} W={window}", contender.name());
                let summary = match contender {
                    Contender::Echo => {
                        run.check_format = false;
                        run_echo(&run, label)?
                    }
                    Contender::Client(accept) => {
                        run.accept = accept;
                        run.check_format = true;
                        serve_client(&config.client_cmd, &run, label, REGISTER_WITHIN)?
                    }
                };
                progress(&summary);
                comparison.runs.push((contender, window, summary));
            }
        }
    }
    Ok(comparison)
}

/// Median and spread of one figure over the rounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// The median (mean of the two middle values for an even count).
    pub median: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

impl Spread {
    /// The spread of `values`; `None` when empty.
    pub fn of(values: &[f64]) -> Option<Spread> {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        if n == 0 {
            return None;
        }
        let middle = |i: usize| sorted.get(i).copied();
        let median = if n % 2 == 1 {
            middle(n / 2)?
        } else {
            (middle(n / 2 - 1)? + middle(n / 2)?) / 2.0
        };
        Some(Spread {
            median,
            min: *sorted.first()?,
            max: *sorted.last()?,
        })
    }

    fn show(&self, decimals: usize) -> String {
        format!(
            "{:.d$} ({:.d$}..{:.d$})",
            self.median,
            self.min,
            self.max,
            d = decimals
        )
    }
}

impl Comparison {
    fn runs_of(&self, who: Contender, window: usize) -> impl Iterator<Item = &Summary> {
        self.runs
            .iter()
            .filter(move |(c, w, _)| *c == who && *w == window)
            .map(|(_, _, s)| s)
    }

    fn spread(&self, who: Contender, window: usize, f: impl Fn(&Summary) -> f64) -> Option<Spread> {
        let values: Vec<f64> = self.runs_of(who, window).map(f).collect();
        Spread::of(&values)
    }

    fn contenders(&self) -> Vec<(Contender, usize)> {
        let mut seen = Vec::new();
        for (c, w, _) in &self.runs {
            if !seen.contains(&(*c, *w)) {
                seen.push((*c, *w));
            }
        }
        seen.sort_by_key(|(c, w)| (*w, *c != Contender::Echo));
        seen
    }

    /// The table of medians and spreads, and the goals, as Markdown.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "| contender | W | reads/s | p50 µs | p99 µs | max µs | peer CPU/read µs | tool CPU/read µs | timeouts | mismatches | errors | peer VmHWM KiB |"
        );
        let _ = writeln!(
            out,
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        );
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        for (who, window) in self.contenders() {
            let cell = |f: &dyn Fn(&Summary) -> f64, decimals: usize| {
                self.spread(who, window, f)
                    .map(|s| s.show(decimals))
                    .unwrap_or_default()
            };
            let sum =
                |f: &dyn Fn(&Summary) -> u64| -> u64 { self.runs_of(who, window).map(f).sum() };
            let max_us = self
                .runs_of(who, window)
                .map(|s| us(s.max))
                .fold(0.0, f64::max);
            let hwm = self
                .runs_of(who, window)
                .filter_map(|s| s.peer_memory.map(|m| m.hwm_kib))
                .max()
                .map(|k| k.to_string())
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| {} | {window} | {} | {} | {} | {max_us:.0} | {} | {} | {} | {} | {} | {hwm} |",
                who.name(),
                cell(&|s| s.reads_per_sec(), 0),
                cell(&|s| us(s.p50), 1),
                cell(&|s| us(s.p99), 1),
                cell(&|s| s.peer_cpu_per_read_us(), 2),
                cell(&|s| s.self_cpu_per_read_us(), 2),
                sum(&|s| s.counters.timeouts),
                sum(&|s| s.counters.mismatches),
                sum(&|s| s.counters.errors),
            );
        }
        out.push('\n');
        out.push_str(&self.goals_markdown());
        out
    }

    /// The goals of issue 9 item 3, one row per client variant, as Markdown.
    pub fn goals_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "| client variant | reads/s vs echo, W=16 (goal ≥ {:.0}%) | CPU/read vs echo, W=16 (goal ≤ {GOAL_CPU}x) | CPU/read vs echo, W=1 | p99 vs echo, W=1 (goal ≤ {GOAL_P99}x) | mismatches (goal 0) |",
            GOAL_THROUGHPUT * 100.0
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
        let median = |who, window, f: &dyn Fn(&Summary) -> f64| {
            self.spread(who, window, f).map(|s| s.median)
        };
        let ratio = |window, accept, f: &dyn Fn(&Summary) -> f64| -> Option<f64> {
            let client = median(Contender::Client(accept), window, f)?;
            let echo = median(Contender::Echo, window, f)?;
            (echo > 0.0).then(|| client / echo)
        };
        let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
        let mut accepts: Vec<Accept> = Vec::new();
        for (c, _, _) in &self.runs {
            if let Contender::Client(a) = c {
                if !accepts.contains(a) {
                    accepts.push(*a);
                }
            }
        }
        for accept in accepts {
            let throughput = ratio(16, accept, &|s| s.reads_per_sec());
            let cpu16 = ratio(16, accept, &|s| s.peer_cpu_per_read_us());
            let cpu1 = ratio(1, accept, &|s| s.peer_cpu_per_read_us());
            let p99 = ratio(1, accept, &|s| s.p99.as_secs_f64());
            let mismatches: u64 = self
                .runs
                .iter()
                .filter(|(c, _, _)| *c == Contender::Client(accept))
                .map(|(_, _, s)| s.counters.mismatches)
                .sum();
            let show = |r: Option<f64>, pct: bool, ok: &dyn Fn(f64) -> bool| match r {
                Some(r) if pct => format!("{:.0}% {}", r * 100.0, verdict(ok(r))),
                Some(r) => format!("{r:.2}x {}", verdict(ok(r))),
                None => "n/a".into(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {mismatches} {} |",
                accept.name(),
                show(throughput, true, &|r| r >= GOAL_THROUGHPUT),
                show(cpu16, false, &|r| r <= GOAL_CPU),
                show(cpu1, false, &|r| r <= GOAL_CPU),
                show(p99, false, &|r| r <= GOAL_P99),
                verdict(mismatches == 0),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Counters;

    #[test]
    fn spread_has_median_min_max() {
        assert_eq!(
            Spread::of(&[3.0, 1.0, 2.0]),
            Some(Spread {
                median: 2.0,
                min: 1.0,
                max: 3.0
            })
        );
        assert_eq!(Spread::of(&[4.0, 1.0]).map(|s| s.median), Some(2.5));
        assert_eq!(Spread::of(&[]), None);
    }

    fn summary(reads: u64, cpu_ms: u64, p99_us: u64) -> Summary {
        let counters = Counters {
            latencies_ns: vec![p99_us * 1000; reads as usize],
            ..Counters::default()
        };
        Summary::new(
            "t".into(),
            Duration::from_secs(1),
            counters,
            Duration::from_millis(cpu_ms),
            Duration::ZERO,
            None,
        )
    }

    #[test]
    fn goals_compare_medians_against_the_echo() {
        let mut c = Comparison::default();
        let client = Contender::Client(Accept::Tlv);
        c.runs.push((Contender::Echo, 16, summary(1000, 10, 50)));
        c.runs.push((client, 16, summary(950, 12, 60)));
        c.runs.push((Contender::Echo, 1, summary(100, 1, 50)));
        c.runs.push((client, 1, summary(100, 2, 80)));
        let goals = c.goals_markdown();
        let row = goals.lines().find(|l| l.starts_with("| tlv")).unwrap();
        assert!(row.contains("95% met"), "{row}");
        // 12.6 µs vs 10 µs per read at W=16.
        assert!(row.contains("1.26x met"), "{row}");
        assert!(row.contains("2.00x MISSED"), "{row}");
        assert!(row.contains("1.60x MISSED"), "{row}");
        assert!(c.markdown().contains("| echo (floor) | 1 | 100 (100..100)"));
    }
}
