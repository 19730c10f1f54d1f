//! Persistence (issue 14 item 2), end to end: `demo-client --bootstrap --state FILE` against
//! the aiocoap peer (`tests/peers/lwm2m_server.py`) as Bootstrap-Server and LwM2M Server.
//! The Bootstrap-Server provisions a server account and finishes; the device registers and
//! saves its state. Killed and started again with the same command line, it registers at once
//! without a Bootstrap-Request. A damaged state file is reported, ignored, and the device
//! bootstraps again.

use std::path::Path as FsPath;
use std::time::Duration;

use lwm2m::codec::{self, ContentFormat, Record};
use lwm2m::{Path, Value as LwM2mValue};
use lwm2m_tests::peers::{DemoClient, Peer};
use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(20);
const TLV: u16 = 11542;

fn parse(json: &str) -> Value {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("bad JSON from the peer ({e}): {json}"))
}

fn tlv_hex(base: Path, records: &[Record]) -> String {
    let bytes = codec::encode(ContentFormat::Tlv, &base, records)
        .unwrap_or_else(|e| panic!("TLV encode of {base}: {e}"));
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Starts the device with `--bootstrap --state FILE`.
fn device(peer: &Peer, ep: &str, state: &FsPath) -> DemoClient {
    let state = state.to_str().expect("a UTF-8 path");
    DemoClient::start(
        &peer.uri(),
        ep,
        &["--bootstrap", "--lifetime", "60", "--state", state],
    )
}

/// As the Bootstrap-Server: waits for the Bootstrap-Request, writes a NoSec account at the
/// peer with its Server instance, and finishes.
fn bootstrap(peer: &mut Peer, client: &DemoClient, ep: &str) {
    peer.wait_event_where("bootstrap-request", TIMEOUT, |j| parse(j)["ep"] == ep)
        .unwrap_or_else(|e| panic!("{e}\n--- demo-client log:\n{}", client.log()));
    let security = |r| Path::resource(0, 1, r);
    let account = tlv_hex(
        Path::instance(0, 1),
        &[
            Record::new(security(0), LwM2mValue::String(peer.uri())),
            Record::new(security(1), LwM2mValue::Boolean(false)),
            Record::new(security(2), LwM2mValue::Integer(3)),
            Record::new(security(10), LwM2mValue::Integer(1)),
        ],
    );
    let server = |r| Path::resource(1, 0, r);
    let server = tlv_hex(
        Path::instance(1, 0),
        &[
            Record::new(server(0), LwM2mValue::Integer(1)),
            Record::new(server(1), LwM2mValue::Integer(60)),
            Record::new(server(6), LwM2mValue::Boolean(false)),
            Record::new(server(7), LwM2mValue::String("U".to_owned())),
        ],
    );
    for command in [
        json!({"op": "write", "path": "/0/1", "content_format": TLV, "payload_hex": account}),
        json!({"op": "write", "path": "/1/0", "content_format": TLV, "payload_hex": server}),
        json!({"op": "execute", "path": "/bs"}),
    ] {
        let mut command = command;
        command["ep"] = json!(ep);
        command["bootstrap"] = json!(true);
        let reply = peer
            .request(&command.to_string(), TIMEOUT)
            .unwrap_or_else(|e| panic!("{e}\n--- demo-client log:\n{}", client.log()));
        let reply = parse(&reply);
        assert_eq!(reply["ok"], true, "{command}: {reply}\n{}", client.log());
        assert_eq!(
            reply["code"],
            "2.04",
            "{command}: {reply}\n{}",
            client.log()
        );
    }
}

fn registered(peer: &mut Peer, client: &DemoClient, ep: &str) {
    peer.wait_event_where("registration", TIMEOUT, |j| parse(j)["ep"] == ep)
        .unwrap_or_else(|e| panic!("{e}\n--- demo-client log:\n{}", client.log()));
}

/// Waits until the device wrote its state file (after the bootstrap wrote the account).
fn wait_saved(client: &DemoClient) {
    let deadline = std::time::Instant::now() + TIMEOUT;
    while !client.log().contains("state saved") {
        assert!(
            std::time::Instant::now() < deadline,
            "no state saved\n--- demo-client log:\n{}",
            client.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_bootstrapped_device_restarted_with_its_state_registers_without_bootstrapping() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let state = dir.path().join("demo.state");
    let ep = "persist-1";
    let mut peer = Peer::aiocoap();
    let mut first = device(&peer, ep, &state);
    bootstrap(&mut peer, &first, ep);
    registered(&mut peer, &first, ep);
    wait_saved(&first);
    assert!(state.exists());
    first.terminate();
    assert!(
        first.wait_exit(TIMEOUT).is_some(),
        "the device did not stop\n{}",
        first.log()
    );

    let second = device(&peer, ep, &state);
    registered(&mut peer, &second, ep);
    let bootstraps = peer.collect_events("bootstrap-request", Duration::from_secs(2));
    assert!(
        bootstraps.is_empty(),
        "bootstrapped again: {bootstraps:?}\n--- demo-client log:\n{}",
        second.log()
    );
    assert!(second.log().contains("state restored"), "{}", second.log());
}

#[test]
fn a_damaged_state_file_is_ignored_and_the_device_bootstraps() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let state = dir.path().join("demo.state");
    std::fs::write(&state, b"LwM2\x01 this is not a snapshot").expect("write");
    let ep = "persist-2";
    let mut peer = Peer::aiocoap();
    let client = device(&peer, ep, &state);
    bootstrap(&mut peer, &client, ep);
    registered(&mut peer, &client, ep);
    assert!(
        client.log().contains("state file not usable"),
        "{}",
        client.log()
    );
    wait_saved(&client);
    let saved = std::fs::read(&state).expect("the state file");
    assert!(saved.starts_with(b"LwM2\x01"));
    assert_ne!(saved, b"LwM2\x01 this is not a snapshot");
}
