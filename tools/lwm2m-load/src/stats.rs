//! The figures of one run and how they are printed.

use std::fmt;
use std::time::Duration;

use crate::procfs::Memory;

/// Counters and latencies gathered during the measured window of one run.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    /// Latency of each answered read, in nanoseconds (first send to response).
    pub latencies_ns: Vec<u64>,
    /// Retransmissions (a request unanswered for the retransmit timeout).
    pub timeouts: u64,
    /// Requests given up after the last retransmission.
    pub lost: u64,
    /// Responses whose token is not in flight and was never retransmitted, or whose ACK message
    /// id differs from the request's: a stale or mismatched answer.
    pub mismatches: u64,
    /// Second answers to a retransmitted request (expected, not an error).
    pub duplicates: u64,
    /// Answers that are not 2.05 Content in the asked format, and resets.
    pub errors: u64,
    /// Register/Update/other requests the client sent and the tool answered.
    pub client_requests: u64,
}

/// The figures of one run.
#[derive(Debug, Clone)]
pub struct Summary {
    /// What was measured, such as `echo W=16`.
    pub label: String,
    /// Answered reads in the measured window.
    pub reads: u64,
    /// Length of the measured window.
    pub elapsed: Duration,
    /// Median latency.
    pub p50: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
    /// Largest latency.
    pub max: Duration,
    /// The counters of the window.
    pub counters: Counters,
    /// CPU time the peer (client or echo server) used in the window.
    pub peer_cpu: Duration,
    /// CPU time this tool used in the window.
    pub self_cpu: Duration,
    /// The peer's memory at the end of the window.
    pub peer_memory: Option<Memory>,
}

impl Summary {
    /// Computes the figures from the counters of a window.
    pub fn new(
        label: String,
        elapsed: Duration,
        mut counters: Counters,
        peer_cpu: Duration,
        self_cpu: Duration,
        peer_memory: Option<Memory>,
    ) -> Self {
        counters.latencies_ns.sort_unstable();
        let at = |q: f64| Duration::from_nanos(percentile(&counters.latencies_ns, q));
        Summary {
            label,
            reads: counters.latencies_ns.len() as u64,
            elapsed,
            p50: at(0.50),
            p99: at(0.99),
            max: Duration::from_nanos(counters.latencies_ns.last().copied().unwrap_or(0)),
            counters,
            peer_cpu,
            self_cpu,
            peer_memory,
        }
    }

    /// Answered reads per second.
    pub fn reads_per_sec(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.reads as f64 / secs
        } else {
            0.0
        }
    }

    /// The peer's CPU time per answered read, in microseconds.
    pub fn peer_cpu_per_read_us(&self) -> f64 {
        per_read_us(self.peer_cpu, self.reads)
    }

    /// This tool's CPU time per answered read, in microseconds.
    pub fn self_cpu_per_read_us(&self) -> f64 {
        per_read_us(self.self_cpu, self.reads)
    }
}

fn per_read_us(cpu: Duration, reads: u64) -> f64 {
    if reads == 0 {
        0.0
    } else {
        cpu.as_secs_f64() * 1e6 / reads as f64
    }
}

/// The `q` quantile of sorted values (nearest rank); 0 when empty.
pub fn percentile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted.len()) - 1;
    sorted.get(index).copied().unwrap_or(0)
}

/// Microseconds with one decimal.
pub fn us(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e6)
}

impl fmt::Display for Summary {
    /// One line of `key=value` pairs (parsed by the tests and easy to grep).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counters;
        write!(
            f,
            "{}: reads={} reads/s={:.0} p50_us={} p99_us={} max_us={} timeouts={} lost={} \
             mismatches={} duplicates={} errors={} client_requests={} peer_cpu_per_read_us={:.2} \
             tool_cpu_per_read_us={:.2}",
            self.label,
            self.reads,
            self.reads_per_sec(),
            us(self.p50),
            us(self.p99),
            us(self.max),
            c.timeouts,
            c.lost,
            c.mismatches,
            c.duplicates,
            c.errors,
            c.client_requests,
            self.peer_cpu_per_read_us(),
            self.self_cpu_per_read_us(),
        )?;
        if let Some(m) = self.peer_memory {
            write!(
                f,
                " peer_vm_hwm_kib={} peer_vm_rss_kib={}",
                m.hwm_kib, m.rss_kib
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let values: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&values, 0.5), 50);
        assert_eq!(percentile(&values, 0.99), 99);
        assert_eq!(percentile(&values, 1.0), 100);
        assert_eq!(percentile(&[7], 0.99), 7);
        assert_eq!(percentile(&[], 0.5), 0);
    }

    #[test]
    fn summary_rates_and_cpu() {
        let counters = Counters {
            latencies_ns: vec![3_000, 1_000, 2_000, 4_000],
            ..Counters::default()
        };
        let s = Summary::new(
            "x".into(),
            Duration::from_secs(2),
            counters,
            Duration::from_millis(4),
            Duration::from_millis(2),
            None,
        );
        assert_eq!(s.reads, 4);
        assert_eq!(s.reads_per_sec(), 2.0);
        assert_eq!(s.p50, Duration::from_micros(2));
        assert_eq!(s.max, Duration::from_micros(4));
        assert_eq!(s.peer_cpu_per_read_us(), 1000.0);
        let line = s.to_string();
        assert!(
            line.contains("reads=4 ") && line.contains("mismatches=0 "),
            "{line}"
        );
    }
}
