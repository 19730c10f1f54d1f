//! The tool works end to end in `--quick` mode: against its own echo server and, built on
//! demand, against the workspace's `demo-client`.

use std::path::{Path, PathBuf};
use std::process::Command;

const TOOL: &str = env!("CARGO_BIN_EXE_lwm2m-load");

/// Runs the tool and returns its stdout; panics with its stderr when it fails.
fn run_tool(args: &[&str]) -> String {
    let out = Command::new(TOOL)
        .args(args)
        .output()
        .expect("run lwm2m-load");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "lwm2m-load {args:?} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The value of `key=` in a summary line.
fn field(line: &str, key: &str) -> u64 {
    line.split_whitespace()
        .find_map(|pair| pair.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in {line}"))
        .parse()
        .unwrap_or_else(|e| panic!("{key} in {line}: {e}"))
}

#[test]
fn echo_quick_serves_reads_without_mismatches() {
    for window in ["1", "16"] {
        let out = run_tool(&["echo", "--quick", "--window", window]);
        let line = out.lines().next().expect("a summary line");
        assert!(line.starts_with(&format!("echo W={window}:")), "{line}");
        assert!(field(line, "reads") > 0, "{line}");
        assert_eq!(field(line, "mismatches"), 0, "{line}");
        assert_eq!(field(line, "errors"), 0, "{line}");
        assert_eq!(field(line, "lost"), 0, "{line}");
    }
}

#[test]
fn a_client_that_does_not_start_is_a_clear_error() {
    let out = Command::new(TOOL)
        .args([
            "serve-client",
            "--quick",
            "--client-cmd",
            "/nonexistent/demo-client --server coap://127.0.0.1:{port}",
        ])
        .output()
        .expect("run lwm2m-load");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("start /nonexistent/demo-client"),
        "{stderr}"
    );
}

#[test]
fn a_client_that_never_registers_is_reported() {
    // `sleep` is a client that never speaks: the tool must say so, not hang.
    let out = Command::new(TOOL)
        .args([
            "serve-client",
            "--quick",
            "--register-timeout",
            "1",
            "--client-cmd",
            "sleep 30",
        ])
        .output()
        .expect("run lwm2m-load");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did not register"), "{stderr}");
}

/// `demo-client` next to this tool's binary, built with `cargo build -p demo-client` first.
fn demo_client() -> PathBuf {
    let dir = Path::new(TOOL).parent().expect("the tool's directory");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["build", "--quiet", "-p", "demo-client"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo build -p demo-client");
    assert!(
        out.status.success(),
        "demo-client does not build, so it cannot be served:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exe = dir.join("demo-client");
    assert!(exe.is_file(), "no demo-client at {}", exe.display());
    exe
}

#[test]
fn serve_client_quick_reads_the_demo_client() {
    let exe = demo_client();
    let command = format!(
        "{} --server coap://127.0.0.1:{{port}} --endpoint load",
        exe.display()
    );
    for accept in ["none", "tlv", "senml-cbor"] {
        let out = run_tool(&[
            "serve-client",
            "--quick",
            "--accept",
            accept,
            "--client-cmd",
            &command,
        ]);
        let line = out.lines().next().expect("a summary line");
        assert!(
            field(line, "reads") > 0,
            "demo-client answered no read: {line}"
        );
        assert_eq!(field(line, "mismatches"), 0, "stale answers: {line}");
        assert_eq!(field(line, "errors"), 0, "wrong code or format: {line}");
    }
}
