//! The measured peer process (the LwM2M client or the echo server): start, watch, stop.

use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// How long a stopped peer has to exit after SIGTERM before it gets SIGKILL.
pub const STOP_GRACE: Duration = Duration::from_secs(3);

/// A running peer process. Dropping it kills the process.
#[derive(Debug)]
pub struct Peer {
    child: std::process::Child,
    stderr: PathBuf,
    name: String,
}

impl Peer {
    /// Starts `command` (split at whitespace: quoting is not supported), with stdin closed,
    /// stdout piped when `pipe_stdout` (else discarded) and stderr kept in a temporary file.
    pub fn spawn(command: &str, pipe_stdout: bool) -> Result<Self> {
        let mut words = command.split_whitespace();
        let program = words.next().ok_or(Error::EmptyCommand)?;
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let stderr = std::env::temp_dir().join(format!(
            "lwm2m-load-{}-{}.stderr",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let file = std::fs::File::create(&stderr)
            .map_err(|e| Error::io(format!("create {}", stderr.display()), e))?;
        let child = Command::new(program)
            .args(words)
            .stdin(Stdio::null())
            .stdout(if pipe_stdout {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stderr(file)
            .spawn()
            .map_err(|e| Error::io(format!("start {program}"), e))?;
        Ok(Peer {
            child,
            stderr,
            name: program.to_string(),
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The piped stdout, when the peer was started with `pipe_stdout`.
    pub fn take_stdout(&mut self) -> Option<std::process::ChildStdout> {
        self.child.stdout.take()
    }

    /// `Some(detail)` when the process has exited: its status and the end of its stderr.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(self.describe(Some(status))),
            Ok(None) => None,
            Err(e) => Some(format!(": cannot wait for {}: {e}", self.name)),
        }
    }

    /// The end of the peer's stderr, for error messages.
    pub fn describe(&self, status: Option<ExitStatus>) -> String {
        let mut out = String::new();
        if let Some(status) = status {
            out.push_str(&format!(": {} exited with {status}", self.name));
        }
        let text = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines.get(lines.len().saturating_sub(10)..).unwrap_or(&[]);
        if !tail.is_empty() {
            out.push_str("; its stderr ends with:\n");
            out.push_str(&tail.join("\n"));
        }
        out
    }

    /// Stops the process: SIGTERM, then SIGKILL after [`STOP_GRACE`]; waits for it.
    pub fn stop(mut self) -> Result<ExitStatus> {
        let status = self.terminate();
        let _ = std::fs::remove_file(&self.stderr);
        status
    }

    fn terminate(&mut self) -> Result<ExitStatus> {
        if let Ok(Some(status)) = self.child.try_wait() {
            return Ok(status);
        }
        let pid = rustix::process::Pid::from_child(&self.child);
        // The process may exit between try_wait and kill: ESRCH is fine, wait() tells.
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(status)) => return Ok(status),
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => return Err(Error::io(format!("wait for {}", self.name), e)),
            }
        }
        let _ = self.child.kill();
        self.child
            .wait()
            .map_err(|e| Error::io(format!("wait for {}", self.name), e))
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_file(&self.stderr);
    }
}
