//! The harness of the end-to-end tests: real LwM2M/CoAP peers and the `demo-client` binary, run as
//! child processes on loopback.
//!
//! - [`Peer`] runs a scripted server (`tests/peers/node_server.js` on `lwm2m-node-lib`, or
//!   `tests/peers/lwm2m_server.py` on `aiocoap`) and talks to it over its stdin/stdout: one JSON
//!   command per line in, and lines `R <id> <json>` (the reply to command `<id>`) and
//!   `E <event> <json>` (registrations, updates, notifications...) out.
//! - [`DemoClient`] runs `demo-client` against a peer, keeping its log (stderr) for failure messages.
//! - [`coap_client`] runs one `coap-client-notls` request.
//!
//! Every child is killed by its PID when its handle drops, so a failing test leaves nothing
//! running. The peers are installed by `tests/peers/install.sh` into `target/peers/`; a peer that
//! is missing makes the test fail with a message naming that script, never skip.
//!
//! This module uses only `std`: the JSON of replies and events is handed to the tests as text
//! (they parse it with `serde_json`, a dev-dependency).

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::io::{BufRead, BufReader, Write};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// The command that installs every peer.
pub const INSTALL_SCRIPT: &str = "tests/peers/install.sh";

/// The workspace root (the parent of this crate's folder).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Where `tests/peers/install.sh` installs the peers: `target/peers/` under the workspace root.
pub fn peers_dir() -> PathBuf {
    workspace_root().join("target").join("peers")
}

/// Cargo's target folder: `CARGO_TARGET_DIR` when set (relative to the workspace root), else
/// `target/` under the workspace root.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => workspace_root().join(dir),
        _ => workspace_root().join("target"),
    }
}

/// An error of the harness: a peer that did not answer, answered badly, or is not installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerError(pub String);

impl fmt::Display for PeerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PeerError {}

fn not_installed(what: &str) -> ! {
    panic!(
        "{what} is not installed: run `bash {INSTALL_SCRIPT}` from the workspace root \
         (.ci/run does it before the tests)"
    )
}

/// The `demo-client` binary, built once per test process with `cargo build -p demo-client`.
///
/// Panics with cargo's output when the build fails.
pub fn demo_client_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let output = Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "-p",
                "demo-client",
                "--bin",
                "demo-client",
            ])
            .current_dir(workspace_root())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run cargo to build demo-client: {e}"));
        assert!(
            output.status.success(),
            "cargo build -p demo-client failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let binary = target_dir()
            .join("debug")
            .join(format!("demo-client{}", std::env::consts::EXE_SUFFIX));
        assert!(
            binary.is_file(),
            "demo-client was built but {} is missing",
            binary.display()
        );
        binary
    })
}

/// A free UDP port on 127.0.0.1, never the same twice in one test process.
///
/// The port is free when this returns: the peer that binds it next may in rare cases lose a race
/// with another process, which then shows as a peer that does not start.
pub fn free_udp_port() -> u16 {
    static GIVEN: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    let given = GIVEN.get_or_init(|| Mutex::new(HashSet::new()));
    for _ in 0..100 {
        let port = UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("cannot bind a UDP socket on 127.0.0.1: {e}"));
        let mut given = given.lock().unwrap_or_else(|p| p.into_inner());
        if given.insert(port) {
            return port;
        }
    }
    panic!("no fresh free UDP port after 100 tries")
}

/// One line from a peer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    Reply { id: u64, json: String },
    Event(Event),
    Ready(u16),
    Other(String),
}

/// An event a peer reported: a registration, an update, a notification...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The event's name: `registration`, `update`, `deregistration` / `unregistration`,
    /// `notify`, `notify-end`.
    pub name: String,
    /// The event as a JSON object (with its fields, such as `"t"`, the arrival time).
    pub json: String,
}

fn parse_line(line: &str) -> Line {
    if let Some(port) = line.strip_prefix("READY ") {
        if let Ok(port) = port.trim().parse() {
            return Line::Ready(port);
        }
    }
    if let Some(rest) = line.strip_prefix("R ") {
        if let Some((id, json)) = rest.split_once(' ') {
            if let Ok(id) = id.parse() {
                return Line::Reply {
                    id,
                    json: json.to_owned(),
                };
            }
        }
    }
    if let Some(rest) = line.strip_prefix("E ") {
        if let Some((name, json)) = rest.split_once(' ') {
            return Line::Event(Event {
                name: name.to_owned(),
                json: json.to_owned(),
            });
        }
    }
    Line::Other(line.to_owned())
}

/// The last lines a child wrote to stderr, kept for failure messages.
#[derive(Debug, Clone, Default)]
pub struct Log(Arc<Mutex<VecDeque<String>>>);

impl Log {
    const KEEP: usize = 400;

    fn push(&self, line: String) {
        let mut lines = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if lines.len() == Self::KEEP {
            lines.pop_front();
        }
        lines.push_back(line);
    }

    /// The lines kept so far, joined.
    pub fn text(&self) -> String {
        let lines = self.0.lock().unwrap_or_else(|p| p.into_inner());
        lines
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Whether any kept line contains `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        let lines = self.0.lock().unwrap_or_else(|p| p.into_inner());
        lines.iter().any(|l| l.contains(needle))
    }

    pub(crate) fn follow(&self, stream: impl std::io::Read + Send + 'static) {
        let log = self.clone();
        thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                match line {
                    Ok(line) => log.push(line),
                    Err(_) => break,
                }
            }
        });
    }
}

/// A child process killed (by its PID) and reaped when dropped.
#[derive(Debug)]
pub(crate) struct Guarded {
    pub(crate) child: Child,
}

impl Guarded {
    pub(crate) fn spawn(name: &str, command: &mut Command) -> Guarded {
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({command:?}): {e}"));
        Guarded { child }
    }

    pub(crate) fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Which scripted server a [`Peer`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerKind {
    /// `tests/peers/node_server.js` on `lwm2m-node-lib` 1.4.0.
    Node,
    /// `tests/peers/lwm2m_server.py` on `aiocoap`.
    Aiocoap,
}

/// A scripted LwM2M server run as a child process on 127.0.0.1, driven by JSON lines.
#[derive(Debug)]
pub struct Peer {
    kind: PeerKind,
    port: u16,
    stdin: Option<ChildStdin>,
    lines: Receiver<Line>,
    events: VecDeque<Event>,
    replies: Vec<(u64, String)>,
    next_id: u64,
    log: Log,
    process: Guarded,
}

impl Peer {
    /// How long a peer may take to print `READY`.
    pub const START_TIMEOUT: Duration = Duration::from_secs(30);

    /// Starts the `lwm2m-node-lib` server on a free port.
    pub fn node() -> Peer {
        let modules = peers_dir().join("node").join("node_modules");
        if !modules
            .join("lwm2m-node-lib")
            .join("package.json")
            .is_file()
        {
            not_installed(&format!("lwm2m-node-lib ({})", modules.display()));
        }
        let script = workspace_root().join("tests/peers/node_server.js");
        let port = free_udp_port();
        let mut command = Command::new("node");
        command
            .arg(script)
            .arg(port.to_string())
            .env("NODE_PATH", &modules);
        Peer::start(PeerKind::Node, port, command)
    }

    /// Starts the aiocoap LwM2M server on a free port.
    pub fn aiocoap() -> Peer {
        let python = peers_dir().join("venv").join("bin").join("python");
        if !python.is_file() {
            not_installed(&format!("the aiocoap venv ({})", python.display()));
        }
        let script = workspace_root().join("tests/peers/lwm2m_server.py");
        let port = free_udp_port();
        let mut command = Command::new(python);
        command
            .arg(script)
            .arg(port.to_string())
            .env("PYTHONUNBUFFERED", "1");
        Peer::start(PeerKind::Aiocoap, port, command)
    }

    /// Starts the aiocoap LwM2M server on `port` (for example the port of a server that was
    /// stopped, to play a server restart that forgot every registration).
    pub fn aiocoap_on(port: u16) -> Peer {
        let python = peers_dir().join("venv").join("bin").join("python");
        if !python.is_file() {
            not_installed(&format!("the aiocoap venv ({})", python.display()));
        }
        let script = workspace_root().join("tests/peers/lwm2m_server.py");
        let mut command = Command::new(python);
        command
            .arg(script)
            .arg(port.to_string())
            .env("PYTHONUNBUFFERED", "1");
        Peer::start(PeerKind::Aiocoap, port, command)
    }

    /// Restarts the aiocoap server: stops this process (closing its stdin, killing it after a
    /// second) and starts a new one on the same port, which knows no registration. Events not
    /// yet taken are lost.
    ///
    /// Panics for a [`PeerKind::Node`] peer.
    pub fn restart(&mut self) {
        assert_eq!(
            self.kind,
            PeerKind::Aiocoap,
            "only the aiocoap peer can be restarted"
        );
        self.stdin = None;
        let deadline = Instant::now() + Duration::from_secs(1);
        while self.process.exited().is_none() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        if self.process.exited().is_none() {
            let _ = self.process.child.kill();
            let _ = self.process.child.wait();
        }
        *self = Peer::aiocoap_on(self.port);
    }

    fn start(kind: PeerKind, port: u16, mut command: Command) -> Peer {
        command
            .current_dir(workspace_root())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let name = format!("{kind:?} peer on port {port}");
        let mut process = Guarded::spawn(&name, &mut command);
        let log = Log::default();
        if let Some(stderr) = process.child.stderr.take() {
            log.follow(stderr);
        }
        let stdin = process.child.stdin.take();
        let (tx, lines) = mpsc::channel();
        if let Some(stdout) = process.child.stdout.take() {
            let log = log.clone();
            thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    let parsed = parse_line(&line);
                    if let Line::Other(other) = &parsed {
                        log.push(format!("stdout: {other}"));
                    }
                    if tx.send(parsed).is_err() {
                        break;
                    }
                }
            });
        }
        let mut peer = Peer {
            kind,
            port,
            stdin,
            lines,
            events: VecDeque::new(),
            replies: Vec::new(),
            next_id: 1,
            log,
            process,
        };
        let deadline = Instant::now() + Self::START_TIMEOUT;
        loop {
            match peer.next_line(deadline) {
                Ok(Line::Ready(p)) if p == port => break,
                Ok(other) => peer.file(other),
                Err(e) => panic!("{name} did not start: {e}\n{}", peer.log.text()),
            }
        }
        peer
    }

    /// The peer's UDP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URI a client registers with: `coap://127.0.0.1:PORT`.
    pub fn uri(&self) -> String {
        format!("coap://127.0.0.1:{}", self.port)
    }

    /// What the peer wrote to stderr so far.
    pub fn log(&self) -> String {
        self.log.text()
    }

    fn next_line(&mut self, deadline: Instant) -> Result<Line, PeerError> {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(left) {
            Ok(line) => Ok(line),
            Err(RecvTimeoutError::Timeout) => {
                Err(PeerError(format!("{:?} peer: timed out", self.kind)))
            }
            Err(RecvTimeoutError::Disconnected) => {
                // Give the stderr thread a moment to collect the last words.
                thread::sleep(Duration::from_millis(100));
                Err(PeerError(format!(
                    "{:?} peer exited ({:?})",
                    self.kind,
                    self.process.exited()
                )))
            }
        }
    }

    fn file(&mut self, line: Line) {
        match line {
            Line::Reply { id, json } => self.replies.push((id, json)),
            Line::Event(event) => self.events.push_back(event),
            Line::Ready(_) | Line::Other(_) => {}
        }
    }

    /// Sends a command (a JSON object, without `"id"`) and waits for its reply (a JSON object
    /// with `"ok"`), for at most `timeout`. Events that arrive meanwhile are kept for
    /// [`Peer::wait_event`].
    pub fn request(&mut self, command: &str, timeout: Duration) -> Result<String, PeerError> {
        let id = self.next_id;
        self.next_id += 1;
        let body = command.trim();
        let rest = body
            .strip_prefix('{')
            .ok_or_else(|| PeerError(format!("a command is a JSON object, not {body}")))?
            .trim_start();
        let line = if rest.starts_with('}') {
            format!("{{\"id\":{id}}}\n")
        } else {
            format!("{{\"id\":{id},{rest}\n")
        };
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| PeerError("the peer's stdin is closed".to_owned()))?;
        stdin
            .write_all(line.as_bytes())
            .and_then(|()| stdin.flush())
            .map_err(|e| {
                PeerError(format!(
                    "cannot write to the peer: {e}\n{}",
                    self.log.text()
                ))
            })?;
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(at) = self.replies.iter().position(|(i, _)| *i == id) {
                return Ok(self.replies.remove(at).1);
            }
            match self.next_line(deadline) {
                Ok(line) => self.file(line),
                Err(e) => {
                    return Err(PeerError(format!(
                        "no reply to {command} within {timeout:?}: {e}\n--- peer log:\n{}",
                        self.log.text()
                    )));
                }
            }
        }
    }

    /// Waits at most `timeout` for the first event called `name` (earlier ones included) for which
    /// `matches` holds on its JSON, and takes it from the queue.
    pub fn wait_event_where(
        &mut self,
        name: &str,
        timeout: Duration,
        matches: impl Fn(&str) -> bool,
    ) -> Result<Event, PeerError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(at) = self
                .events
                .iter()
                .position(|e| e.name == name && matches(&e.json))
            {
                if let Some(event) = self.events.remove(at) {
                    return Ok(event);
                }
            }
            match self.next_line(deadline) {
                Ok(line) => self.file(line),
                Err(e) => {
                    return Err(PeerError(format!(
                        "no `{name}` event within {timeout:?}: {e}; other events: {:?}",
                        self.events
                    )));
                }
            }
        }
    }

    /// Waits at most `timeout` for the first event called `name` and takes it from the queue.
    pub fn wait_event(&mut self, name: &str, timeout: Duration) -> Result<Event, PeerError> {
        self.wait_event_where(name, timeout, |_| true)
    }

    /// Collects every event called `name` that arrives within `duration` (and those already
    /// queued), taking them from the queue.
    pub fn collect_events(&mut self, name: &str, duration: Duration) -> Vec<Event> {
        let deadline = Instant::now() + duration;
        while Instant::now() < deadline {
            match self.next_line(deadline) {
                Ok(line) => self.file(line),
                Err(_) => break,
            }
        }
        let (taken, kept) = self.events.drain(..).partition(|e| e.name == name);
        self.events = kept;
        taken.into()
    }

    /// Stops the peer: closes its stdin (it exits by itself), then kills it if it has not exited
    /// within a second. Dropping the peer kills it at once.
    pub fn stop(mut self) {
        self.stdin = None;
        let deadline = Instant::now() + Duration::from_secs(1);
        while Instant::now() < deadline {
            if self.process.exited().is_some() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A child process whose stdout and stderr are kept as a [`Log`], killed when dropped: what
/// [`DemoClient`] and the emulated device (`crate::mcu::McuDevice`) run as.
#[derive(Debug)]
pub(crate) struct LoggedChild {
    process: Guarded,
    log: Log,
}

impl LoggedChild {
    /// Starts `command` (its stdout and stderr piped into the log); `name` is for the panic
    /// message when it cannot start.
    pub(crate) fn spawn(name: &str, command: &mut Command) -> LoggedChild {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut process = Guarded::spawn(name, command);
        let log = Log::default();
        if let Some(stderr) = process.child.stderr.take() {
            log.follow(stderr);
        }
        if let Some(stdout) = process.child.stdout.take() {
            log.follow(stdout);
        }
        LoggedChild { process, log }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.process.child.id()
    }

    pub(crate) fn log(&self) -> &Log {
        &self.log
    }

    pub(crate) fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.process.exited()
    }

    /// Sends `signal` (such as `TERM`) by the PID, with `kill`.
    pub(crate) fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.pid().to_string()])
            .status()
            .unwrap_or_else(|e| panic!("cannot run kill: {e}"));
        assert!(status.success(), "kill -{signal} {} failed", self.pid());
    }

    pub(crate) fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.process.exited() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The `demo-client` binary running against a server, killed when dropped.
#[derive(Debug)]
pub struct DemoClient {
    child: LoggedChild,
}

impl DemoClient {
    /// Starts `demo-client --server SERVER_URI --endpoint ENDPOINT EXTRA...` (building it first if
    /// needed), with `RUST_LOG` at `debug` unless the environment sets it.
    pub fn start(server_uri: &str, endpoint: &str, extra: &[&str]) -> DemoClient {
        let binary = demo_client_binary();
        let mut command = Command::new(binary);
        command
            .args(["--server", server_uri, "--endpoint", endpoint])
            .args(extra)
            .current_dir(workspace_root())
            .stdin(Stdio::null());
        if std::env::var_os("RUST_LOG").is_none() {
            command.env("RUST_LOG", "debug");
        }
        DemoClient {
            child: LoggedChild::spawn("demo-client", &mut command),
        }
    }

    /// The client's PID.
    pub fn pid(&self) -> u32 {
        self.child.pid()
    }

    /// The client's log (stderr and stdout) so far.
    pub fn log(&self) -> String {
        self.child.log().text()
    }

    /// Whether the client has exited, and how.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.exited()
    }

    /// Sends SIGTERM to the client (by its PID, with `kill`), asking for a graceful shutdown.
    pub fn terminate(&mut self) {
        self.child.signal("TERM");
    }

    /// Waits at most `timeout` for the client to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        self.child.wait_exit(timeout)
    }
}

/// The path of `coap-client-notls`, or a failure naming the install script.
pub fn coap_client_path() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("coap-client-notls"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| not_installed("coap-client-notls (Debian libcoap3-bin)"))
}

/// Runs `coap-client-notls ARGS...`, killing it after `timeout`. Its stdout holds the response
/// payload; with `-v 6` or more its stderr also shows the messages.
pub fn coap_client(args: &[&str], timeout: Duration) -> Output {
    let mut process = Guarded::spawn(
        "coap-client-notls",
        Command::new(coap_client_path())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let out_reader = process.child.stdout.take().map(spawn_reader);
    let err_reader = process.child.stderr.take().map(spawn_reader);
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = process.exited() {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = process.child.kill();
            break process
                .child
                .wait()
                .unwrap_or_else(|e| panic!("cannot reap coap-client-notls: {e}"));
        }
        thread::sleep(Duration::from_millis(10));
    };
    let stdout = out_reader.and_then(|h| h.join().ok()).unwrap_or_default();
    let stderr = err_reader.and_then(|h| h.join().ok()).unwrap_or_default();
    Output {
        status,
        stdout,
        stderr,
    }
}

fn spawn_reader(mut stream: impl std::io::Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stream.read_to_end(&mut bytes);
        bytes
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_routed_by_prefix() {
        assert_eq!(parse_line("READY 5683"), Line::Ready(5683));
        assert_eq!(
            parse_line(r#"R 7 {"ok":true}"#),
            Line::Reply {
                id: 7,
                json: r#"{"ok":true}"#.to_owned()
            }
        );
        assert_eq!(
            parse_line(r#"E notify {"t":1.5}"#),
            Line::Event(Event {
                name: "notify".to_owned(),
                json: r#"{"t":1.5}"#.to_owned()
            })
        );
        assert_eq!(parse_line("R x {}"), Line::Other("R x {}".to_owned()));
        assert_eq!(parse_line("hello"), Line::Other("hello".to_owned()));
    }

    #[test]
    fn free_ports_are_not_repeated() {
        let a = free_udp_port();
        let b = free_udp_port();
        assert_ne!(a, b);
        assert!(UdpSocket::bind(("127.0.0.1", a)).is_ok());
    }
}
