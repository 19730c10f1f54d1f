//! `demo-client` over `coaps://` (feature `dtls`), as a user runs it, against libcoap's resource
//! directory `coap-rd-openssl` (Debian libcoap3-bin; it accepts `POST /rd` with 2.01): the demo
//! registers under its PSK, and with a wrong key it stops with an error instead of running.
//!
//! `cargo test -p demo-client --features dtls` (as `.ci/run` does).
#![cfg(feature = "dtls")]

use std::io::Read;
use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The key coap-rd-openssl takes (`-k`), as text; the demo takes its bytes in hex.
const KEY: &str = "demo-secret-key!";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A free UDP port P whose P + 1 is free too (libcoap listens for DTLS on P + 1).
fn free_port_pair() -> u16 {
    for _ in 0..100 {
        let Ok(first) = UdpSocket::bind("127.0.0.1:0") else {
            continue;
        };
        let Ok(port) = first.local_addr().map(|a| a.port()) else {
            continue;
        };
        if port < u16::MAX && UdpSocket::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
    panic!("no free pair of UDP ports");
}

/// Kills its child when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// coap-rd-openssl on `port` (DTLS on `port + 1`) with [`KEY`].
fn resource_directory(port: u16) -> Killed {
    let child = Command::new("coap-rd-openssl")
        .args(["-A", "127.0.0.1", "-p"])
        .arg(port.to_string())
        .args(["-k", KEY])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("coap-rd-openssl (apt-get install libcoap3-bin): {e}"));
    // Let it bind before the first ClientHello (the handshake would retransmit anyway).
    std::thread::sleep(Duration::from_millis(300));
    Killed(child)
}

/// The demo against `coaps://127.0.0.1:{dtls_port}` with `key`, its log in a file.
fn demo(dtls_port: u16, key: &[u8], log: &std::path::Path) -> Killed {
    let child = Command::new(env!("CARGO_BIN_EXE_demo-client"))
        .arg("--server")
        .arg(format!("coaps://127.0.0.1:{dtls_port}"))
        .args(["--endpoint", "demo-dtls", "--psk-identity", "demo-dtls"])
        .arg("--psk-key")
        .arg(hex(key))
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("a log file"))
        .spawn()
        .expect("the demo-client binary");
    Killed(child)
}

fn read(log: &std::path::Path) -> String {
    let mut text = String::new();
    if let Ok(mut file) = std::fs::File::open(log) {
        let _ = file.read_to_string(&mut text);
    }
    text
}

#[test]
fn the_demo_registers_over_dtls_with_its_psk() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let log = dir.path().join("demo.log");
    let port = free_port_pair();
    let _rd = resource_directory(port);
    let _demo = demo(port + 1, KEY.as_bytes(), &log);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !read(&log).contains("registered location=") {
        assert!(Instant::now() < deadline, "not registered:\n{}", read(&log));
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn with_a_wrong_key_the_demo_stops_with_an_error() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let log = dir.path().join("demo.log");
    let port = free_port_pair();
    let _rd = resource_directory(port);
    let mut demo = demo(port + 1, b"not the key at all", &log);
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Ok(Some(status)) = demo.0.try_wait() {
            break status;
        }
        assert!(Instant::now() < deadline, "still running:\n{}", read(&log));
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(!status.success(), "{}", read(&log));
    let text = read(&log);
    assert!(!text.contains("registered location="), "{text}");
    assert!(text.contains("ERROR"), "{text}");
}
