//! End-to-end tests of `demo-client` with `coap-client-notls` (Debian `libcoap3-bin`), where a
//! plain CoAP peer is enough.
//!
//! The client registers with the aiocoap server (`tests/peers/lwm2m_server.py`); that server then
//! steps aside and `coap-client-notls` speaks from the server's own address and port (`-p`), so
//! the client takes it for its server. From any other port it must be refused.

use std::time::Duration;

use lwm2m_tests::peers::{DemoClient, Peer, coap_client};
use serde_json::Value;

const REGISTER_TIMEOUT: Duration = Duration::from_secs(20);

fn parse(json: &str) -> Value {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("bad JSON from the peer ({e}): {json}"))
}

/// A demo client registered with an aiocoap server that has then stopped: the client's address
/// (`127.0.0.1:PORT`) and the server port it trusts.
fn registered_then_server_gone(ep: &str) -> (DemoClient, String, u16) {
    let mut peer = Peer::aiocoap();
    let client = DemoClient::start(&peer.uri(), ep, &["--lifetime", "300"]);
    let event = peer
        .wait_event_where("registration", REGISTER_TIMEOUT, |j| parse(j)["ep"] == ep)
        .unwrap_or_else(|e| panic!("{e}\n--- demo-client log:\n{}", client.log()));
    let address = parse(&event.json)["address"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        address.starts_with("127.0.0.1:"),
        "client address {address}"
    );
    let port = peer.port();
    peer.stop();
    (client, address, port)
}

/// `coap-client-notls` from the server's address: a GET of `/3/0/0` with `Accept: text/plain`
/// (libcoap encodes 0 as an empty option) is answered with the manufacturer as text.
#[test]
fn plain_coap_get_from_the_server_address_is_answered_in_text() {
    let (client, address, server_port) = registered_then_server_gone("coap-get");
    let uri = format!("coap://{address}/3/0/0");
    let port = server_port.to_string();
    let out = coap_client(
        &[
            "-a",
            "127.0.0.1",
            "-p",
            &port,
            "-m",
            "get",
            "-A",
            "0",
            "-B",
            "5",
            &uri,
        ],
        Duration::from_secs(10),
    );
    let body = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        body.trim(),
        "lwm2m-rs",
        "coap-client-notls: {}\n--- demo-client log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        client.log()
    );
}

/// `coap-client-notls -b 16` reads `/3/0` as TLV in 16-byte blocks from the server's address: the
/// responses carry Block2 options and reassemble into a TLV holding the manufacturer.
#[test]
fn plain_coap_block_wise_get_of_the_device_instance() {
    let (client, address, server_port) = registered_then_server_gone("coap-block");
    let uri = format!("coap://{address}/3/0");
    let port = server_port.to_string();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("payload");
    let file_arg = file.to_string_lossy().into_owned();
    let out = coap_client(
        &[
            "-a",
            "127.0.0.1",
            "-p",
            &port,
            "-m",
            "get",
            "-A",
            "11542",
            "-b",
            "16",
            "-B",
            "10",
            "-v",
            "6",
            "-o",
            &file_arg,
            &uri,
        ],
        Duration::from_secs(15),
    );
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let body = std::fs::read(&file).unwrap_or_default();
    let block_responses = log
        .lines()
        .filter(|l| l.contains("c:2.05") && l.contains("Block2:"))
        .count();
    assert!(
        block_responses >= 2,
        "expected several 2.05 responses with Block2 for 16-byte blocks:\n{log}\n--- demo-client log:\n{}",
        client.log()
    );
    assert!(
        body.len() > 32 && body.windows(8).any(|w| w == b"lwm2m-rs"),
        "block-wise TLV of /3/0 ({} bytes): {:?}",
        body.len(),
        String::from_utf8_lossy(&body)
    );
}

/// An unknown content format asked for gets 4.06 Not Acceptable.
#[test]
fn plain_coap_get_with_an_unsupported_accept_gets_4_06() {
    let (client, address, server_port) = registered_then_server_gone("coap-406");
    let uri = format!("coap://{address}/3/0/0");
    let port = server_port.to_string();
    let out = coap_client(
        &[
            "-a",
            "127.0.0.1",
            "-p",
            &port,
            "-m",
            "get",
            "-A",
            "50",
            "-B",
            "5",
            "-v",
            "6",
            &uri,
        ],
        Duration::from_secs(10),
    );
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        log.contains("4.06"),
        "no 4.06 for Accept 50 (application/json): {log}\n{}",
        client.log()
    );
}

/// A GET from a port other than the registered server's is not served: no 2.05 with the value.
#[test]
fn plain_coap_get_from_a_foreign_port_is_refused() {
    let (client, address, _) = registered_then_server_gone("coap-foreign");
    let uri = format!("coap://{address}/3/0/0");
    let out = coap_client(
        &["-m", "get", "-A", "0", "-B", "3", "-v", "6", &uri],
        Duration::from_secs(8),
    );
    let body = String::from_utf8_lossy(&out.stdout);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        !body.contains("lwm2m-rs") && !log.contains("2.05"),
        "a foreign GET was served: {body}\n{log}\n--- demo-client log:\n{}",
        client.log()
    );
}
