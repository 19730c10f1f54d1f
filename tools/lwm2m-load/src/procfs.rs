//! CPU time and memory of a process, read from `/proc`.

use std::time::Duration;

use crate::error::{Error, Result};

/// Which process to look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proc {
    /// This process (`/proc/self`).
    Current,
    /// Another process by id.
    Pid(u32),
}

impl Proc {
    fn file(self, name: &str) -> String {
        match self {
            Proc::Current => format!("/proc/self/{name}"),
            Proc::Pid(pid) => format!("/proc/{pid}/{name}"),
        }
    }
}

/// The user + system CPU time a process has used so far (`utime + stime` of `/proc/PID/stat`,
/// divided by the kernel's clock ticks per second).
pub fn cpu_time(proc: Proc) -> Result<Duration> {
    let file = proc.file("stat");
    let text = std::fs::read_to_string(&file).map_err(|e| Error::io(format!("read {file}"), e))?;
    let ticks = parse_stat_ticks(&text).map_err(|what| Error::Proc { file, what })?;
    let per_second = rustix::param::clock_ticks_per_second().max(1);
    Ok(Duration::from_nanos(
        ticks.saturating_mul(1_000_000_000) / per_second,
    ))
}

/// `utime + stime` in clock ticks, from the text of `/proc/PID/stat`.
///
/// The command name (field 2) is in parentheses and may itself contain spaces or parentheses, so
/// the fields are counted from the last `)`.
pub fn parse_stat_ticks(text: &str) -> std::result::Result<u64, String> {
    let close = text
        .rfind(')')
        .ok_or_else(|| "no ')' after the command name".to_string())?;
    let rest = text.get(close + 1..).unwrap_or_default();
    // After ')': field 3 (state) is index 0, so utime (field 14) is index 11 and stime index 12.
    let mut fields = rest.split_whitespace().skip(11);
    let mut next = |name: &str| -> std::result::Result<u64, String> {
        fields
            .next()
            .ok_or_else(|| format!("no {name} field"))?
            .parse::<u64>()
            .map_err(|e| format!("{name}: {e}"))
    };
    let utime = next("utime")?;
    let stime = next("stime")?;
    Ok(utime.saturating_add(stime))
}

/// Resident memory of a process, from `/proc/PID/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Memory {
    /// Peak resident set size (`VmHWM`), in KiB.
    pub hwm_kib: u64,
    /// Current resident set size (`VmRSS`), in KiB.
    pub rss_kib: u64,
}

/// Reads `VmHWM` and `VmRSS` of a process.
pub fn memory(proc: Proc) -> Result<Memory> {
    let file = proc.file("status");
    let text = std::fs::read_to_string(&file).map_err(|e| Error::io(format!("read {file}"), e))?;
    parse_status_memory(&text).map_err(|what| Error::Proc { file, what })
}

/// `VmHWM` and `VmRSS` from the text of `/proc/PID/status`.
pub fn parse_status_memory(text: &str) -> std::result::Result<Memory, String> {
    let field = |name: &str| -> std::result::Result<u64, String> {
        let line = text
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .ok_or_else(|| format!("no {name} line"))?;
        line.trim_start_matches(':')
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse::<u64>()
            .map_err(|e| format!("{name}: {e}"))
    };
    Ok(Memory {
        hwm_kib: field("VmHWM")?,
        rss_kib: field("VmRSS")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_ticks_count_fields_after_the_last_parenthesis() {
        let text = "1234 (demo (x) y) S 1 2 3 4 5 6 7 8 9 10 17 25 0 0 20 0 1 0 100 0 0\n";
        assert_eq!(parse_stat_ticks(text), Ok(42));
    }

    #[test]
    fn stat_without_fields_is_an_error() {
        assert!(parse_stat_ticks("1 (x) S 1 2").is_err());
        assert!(parse_stat_ticks("garbage").is_err());
    }

    #[test]
    fn status_memory_is_read_in_kib() {
        let text = "Name:\tdemo\nVmHWM:\t    2048 kB\nVmRSS:\t    1900 kB\n";
        assert_eq!(
            parse_status_memory(text),
            Ok(Memory {
                hwm_kib: 2048,
                rss_kib: 1900
            })
        );
        assert!(parse_status_memory("Name: x\n").is_err());
    }

    #[test]
    fn this_process_has_cpu_time_and_memory() {
        let spin: u64 = (0..2_000_000u64).fold(0, |a, b| a.wrapping_add(b * b));
        assert_ne!(spin, 1);
        assert!(cpu_time(Proc::Current).is_ok());
        assert!(
            memory(Proc::Current)
                .map(|m| m.hwm_kib > 0)
                .unwrap_or(false)
        );
    }
}
