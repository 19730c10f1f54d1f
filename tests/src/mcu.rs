//! The emulated microcontroller device (`examples/mcu-device`) as a child process of a test:
//! firmware under QEMU `mps2-an386`, its UART link relayed to UDP by `mcu-bridge`, started with
//! the launcher a user runs (`examples/mcu-device/run`).
//!
//! The firmware is built once per test process (`run --build-only`). A device is stopped with
//! SIGTERM (it deregisters) and, whatever happens, killed with its QEMU when its handle drops,
//! so a failing test leaves no emulator running.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use crate::peers::{LoggedChild, workspace_root};

/// The launcher: `examples/mcu-device/run`.
pub fn launcher() -> PathBuf {
    workspace_root().join("examples/mcu-device/run")
}

/// The firmware ELF, built once per test process with `run --build-only` (which also checks
/// that the launcher prints only the ELF's path on stdout).
///
/// Panics with the build's output when it fails.
pub fn firmware_elf() -> &'static Path {
    static ELF: OnceLock<PathBuf> = OnceLock::new();
    ELF.get_or_init(|| {
        let output = Command::new(launcher())
            .arg("--build-only")
            .current_dir(workspace_root())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run examples/mcu-device/run --build-only: {e}"));
        assert!(
            output.status.success(),
            "run --build-only failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        let path = PathBuf::from(stdout.trim_end());
        assert!(
            path.is_absolute() && path.is_file() && stdout.lines().count() == 1,
            "run --build-only must print the ELF's absolute path and nothing else: {stdout:?}"
        );
        path
    })
}

/// One emulated device at a time in a test process: QEMU's emulation is CPU-heavy, and
/// several at once on a 2-core CI machine delay each other's timers by seconds (a
/// notification due at pmax comes late). A test that fails while holding it poisons it; the
/// next one takes it anyway.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The emulated device running against a server, stopped when dropped.
#[derive(Debug)]
pub struct McuDevice {
    child: LoggedChild,
    /// Held while the device runs (field order: released after `child` is stopped).
    _turn: MutexGuard<'static, ()>,
}

impl McuDevice {
    /// Starts `run --server SERVER_URI --endpoint ENDPOINT EXTRA...` (the firmware built first).
    pub fn start(server_uri: &str, endpoint: &str, extra: &[&str]) -> McuDevice {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
        firmware_elf();
        let mut command = Command::new(launcher());
        command
            .args(["--server", server_uri, "--endpoint", endpoint])
            .args(extra)
            .current_dir(workspace_root())
            .stdin(Stdio::null());
        McuDevice {
            child: LoggedChild::spawn("examples/mcu-device/run", &mut command),
            _turn: turn,
        }
    }

    /// The bridge's PID (the launcher execs it).
    pub fn pid(&self) -> u32 {
        self.child.pid()
    }

    /// What the bridge, the device (its log frames) and QEMU (semihosting) printed so far.
    pub fn log(&self) -> String {
        self.child.log().text()
    }

    /// Waits at most `timeout` for a line of the log containing `needle`.
    pub fn wait_log(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.child.log().contains(needle) {
                return true;
            }
            thread::sleep(Duration::from_millis(20));
        }
        self.child.log().contains(needle)
    }

    /// Sends `signal` (such as `TERM` or `USR1`) to the bridge.
    pub fn signal(&self, signal: &str) {
        self.child.signal(signal);
    }

    /// Waits at most `timeout` for the bridge to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        self.child.wait_exit(timeout)
    }

    /// QEMU's PID, from the bridge's first log line.
    fn qemu_pid(&self) -> Option<u32> {
        let text = self.child.log().text();
        let rest = text.split("QEMU pid ").nth(1)?;
        rest.split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    }
}

impl Drop for McuDevice {
    fn drop(&mut self) {
        if self.child.exited().is_some() {
            return; // The bridge reaped QEMU.
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        if self.wait_exit(Duration::from_secs(12)).is_some() {
            return;
        }
        // The bridge is killed outright when `child` drops, which would leave QEMU behind:
        // kill QEMU by its PID first.
        if let Some(qemu) = self.qemu_pid() {
            let _ = Command::new("kill")
                .args(["-KILL", &qemu.to_string()])
                .stderr(Stdio::null())
                .status();
        }
    }
}
