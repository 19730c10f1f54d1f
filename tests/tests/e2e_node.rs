//! End-to-end tests of `demo-client` against the `lwm2m-node-lib` 1.4.0 server (npm), a real
//! LwM2M 1.0-era server nobody on this project wrote: registration, update, de-registration, and
//! read / write / execute / discover / observe of single resources, checked at the server.
//!
//! The peer is `tests/peers/node_server.js`, installed by `tests/peers/install.sh`. Deviations from
//! the ETS text: NoSec on loopback; lwm2m-node-lib reads with `Accept: text/plain` only and writes
//! with the old Content-Format 1541.

use std::time::Duration;

use lwm2m_tests::peers::{DemoClient, Peer};
use serde_json::{Value, json};

const REGISTER_TIMEOUT: Duration = Duration::from_secs(20);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

fn parse(json: &str) -> Value {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("bad JSON from the peer ({e}): {json}"))
}

/// A node server with a demo client registered as `ep`.
fn registered(ep: &str, extra: &[&str]) -> (Peer, DemoClient, Value) {
    let mut peer = Peer::node();
    let client = DemoClient::start(&peer.uri(), ep, extra);
    let event = peer
        .wait_event_where("registration", REGISTER_TIMEOUT, |j| parse(j)["ep"] == ep)
        .unwrap_or_else(|e| panic!("{e}\n--- demo-client log:\n{}", client.log()));
    (peer, client, parse(&event.json))
}

/// Sends a command, failing the test with both logs when the peer does not reply.
fn call(peer: &mut Peer, client: &DemoClient, command: Value) -> Value {
    let reply = peer
        .request(&command.to_string(), REQUEST_TIMEOUT)
        .unwrap_or_else(|e| panic!("{e}\n--- demo-client log:\n{}", client.log()));
    parse(&reply)
}

/// Sends a command that must succeed; its `value`.
fn ok(peer: &mut Peer, client: &DemoClient, command: Value) -> Value {
    let reply = call(peer, client, command.clone());
    assert_eq!(
        reply["ok"],
        true,
        "{command} failed at lwm2m-node-lib: {reply}\n--- demo-client log:\n{}",
        client.log()
    );
    reply["value"].clone()
}

fn read(peer: &mut Peer, client: &DemoClient, ep: &str, path: &str) -> String {
    let value = ok(peer, client, json!({"op": "read", "ep": ep, "path": path}));
    value
        .as_str()
        .unwrap_or_else(|| panic!("read {path}: not a string: {value}"))
        .to_owned()
}

/// The links of a link-format payload, such as `</3/0>`.
fn links(payload: &str) -> Vec<String> {
    payload
        .split(',')
        .filter_map(|l| {
            let l = l.trim();
            let end = l.find('>')?;
            l.strip_prefix('<').map(|_| l[..=end].to_owned())
        })
        .collect()
}

/// LightweightM2M-1.1-int-101 - Initial Registration
///
/// The Register carries ep, lt, lwm2m and b, and lists the objects and instances of the demo device
/// except the Security object. The server then lists the device.
#[test]
fn ets_1_1_int_101_initial_registration() {
    let (mut peer, client, reg) = registered("node-101", &["--lifetime", "60"]);
    assert_eq!(reg["lt"], "60", "lifetime in the Register: {reg}");
    assert_eq!(reg["b"], "U", "binding in the Register: {reg}");
    assert_eq!(reg["lwm2m"], "1.1", "default LwM2M version: {reg}");
    let payload = reg["payload"].as_str().unwrap_or_default();
    let links = links(payload);
    for expected in ["</1/0>", "</3/0>", "</3303/0>", "</3311/0>"] {
        assert!(
            links.iter().any(|l| l == expected),
            "{expected} missing from {payload}"
        );
    }
    assert!(
        !links.iter().any(|l| l.starts_with("</0/") || l == "</0>"),
        "the Security object must not be listed: {payload}"
    );
    let list = parse(&peer.request(r#"{"op":"list"}"#, REQUEST_TIMEOUT).unwrap());
    let names: Vec<&str> = list["devices"]
        .as_array()
        .map(|d| d.iter().filter_map(|d| d["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["node-101"], "{list}\n{}", client.log());
}

/// LightweightM2M-1.1-int-102 - Registration Update
///
/// The server writes the lifetime `/1/0/1` (text, Content-Format 1541): the client answers 2.04 and
/// sends an Update carrying the new `lt` at once.
#[test]
fn ets_1_1_int_102_registration_update() {
    let (mut peer, client, _) = registered("node-102", &["--lifetime", "60"]);
    ok(
        &mut peer,
        &client,
        json!({"op": "write", "ep": "node-102", "path": "/1/0/1", "value": "20"}),
    );
    let update = peer
        .wait_event("update", Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("{e}\n{}", client.log()));
    assert_eq!(
        parse(&update.json)["lt"],
        "20",
        "the Update after the lifetime write: {}",
        update.json
    );
    assert_eq!(read(&mut peer, &client, "node-102", "/1/0/1"), "20");
}

/// LightweightM2M-1.1-int-102 - Registration Update (keep-alive variant)
///
/// With a lifetime of 10 s the client refreshes its registration with an Update before it expires.
#[test]
fn ets_1_1_int_102_registration_update_keep_alive() {
    let (mut peer, client, _) = registered("node-102b", &["--lifetime", "10"]);
    let update = peer.wait_event("update", Duration::from_secs(10));
    assert!(
        update.is_ok(),
        "no Update within the 10 s lifetime: {update:?}\n{}",
        client.log()
    );
    let list = parse(&peer.request(r#"{"op":"list"}"#, REQUEST_TIMEOUT).unwrap());
    assert_eq!(
        list["devices"][0]["name"], "node-102b",
        "still registered: {list}"
    );
}

/// LightweightM2M-1.1-int-103 - Deregistration
///
/// The server executes Disable `/1/0/4`: 2.04, then the client de-registers (DELETE /rd/1).
#[test]
fn ets_1_1_int_103_deregistration() {
    let (mut peer, client, _) = registered("node-103", &[]);
    ok(
        &mut peer,
        &client,
        json!({"op": "execute", "ep": "node-103", "path": "/1/0/4"}),
    );
    let gone = peer.wait_event("unregistration", Duration::from_secs(5));
    assert!(
        gone.is_ok(),
        "no De-register after Disable: {gone:?}\n{}",
        client.log()
    );
    let list = parse(&peer.request(r#"{"op":"list"}"#, REQUEST_TIMEOUT).unwrap());
    assert_eq!(list["devices"], json!([]), "{list}");
}

/// The demo client de-registers on SIGTERM and exits cleanly (issue 5, demo device).
#[test]
fn demo_client_deregisters_on_sigterm() {
    let (mut peer, mut client, _) = registered("node-term", &[]);
    client.terminate();
    let gone = peer.wait_event("unregistration", Duration::from_secs(5));
    assert!(
        gone.is_ok(),
        "no De-register on SIGTERM: {gone:?}\n{}",
        client.log()
    );
    let status = client.wait_exit(Duration::from_secs(5));
    assert!(
        status.is_some_and(|s| s.success()),
        "demo-client did not exit cleanly after SIGTERM: {status:?}\n{}",
        client.log()
    );
}

/// LightweightM2M-1.1-int-104 - Registration Update Trigger
///
/// The server executes `/1/0/8`: 2.04, then the client sends an Update.
#[test]
fn ets_1_1_int_104_registration_update_trigger() {
    let (mut peer, client, _) = registered("node-104", &["--lifetime", "60"]);
    ok(
        &mut peer,
        &client,
        json!({"op": "execute", "ep": "node-104", "path": "/1/0/8"}),
    );
    let update = peer.wait_event("update", Duration::from_secs(5));
    assert!(
        update.is_ok(),
        "no Update after /1/0/8: {update:?}\n{}",
        client.log()
    );
}

/// LightweightM2M-1.1-int-201 - Querying basic information in Plain Text format
///
/// `GET /3/0/0`, `/3/0/1`, `/3/0/2` (lwm2m-node-lib's Accept is a non-minimal text/plain).
#[test]
fn ets_1_1_int_201_querying_basic_information_in_plain_text_format() {
    let (mut peer, client, _) = registered("node-201", &[]);
    assert_eq!(read(&mut peer, &client, "node-201", "/3/0/0"), "lwm2m-rs");
    assert_eq!(
        read(&mut peer, &client, "node-201", "/3/0/1"),
        "lwm2m-rs-demo"
    );
    assert_eq!(read(&mut peer, &client, "node-201", "/3/0/2"), "0001");
}

/// Reads of the demo objects' resources arrive with their values: the temperature within the
/// sensor's range, its units, the lamp's dimmer.
#[test]
fn reads_of_demo_resources_arrive_at_the_server() {
    let (mut peer, client, _) = registered("node-read", &[]);
    let value = read(&mut peer, &client, "node-read", "/3303/0/5700");
    let celsius: f64 = value
        .parse()
        .unwrap_or_else(|e| panic!("5700 {value:?}: {e}"));
    assert!(
        (17.75..=24.25).contains(&celsius),
        "temperature {celsius} out of range"
    );
    assert_eq!(read(&mut peer, &client, "node-read", "/3303/0/5701"), "Cel");
    assert_eq!(read(&mut peer, &client, "node-read", "/3311/0/5851"), "100");
    assert_eq!(read(&mut peer, &client, "node-read", "/3311/0/5850"), "0");
    let missing = call(
        &mut peer,
        &client,
        json!({"op": "read", "ep": "node-read", "path": "/3303/7/5700"}),
    );
    assert_eq!(
        missing["ok"], false,
        "a read of a missing instance must fail: {missing}"
    );
}

/// Writes (text, Content-Format 1541) change the lamp; the read-back shows the new values.
#[test]
fn writes_of_demo_resources_take_effect() {
    let (mut peer, client, _) = registered("node-write", &[]);
    ok(
        &mut peer,
        &client,
        json!({"op": "write", "ep": "node-write", "path": "/3311/0/5851", "value": "42"}),
    );
    assert_eq!(read(&mut peer, &client, "node-write", "/3311/0/5851"), "42");
    ok(
        &mut peer,
        &client,
        json!({"op": "write", "ep": "node-write", "path": "/3311/0/5850", "value": "1"}),
    );
    assert_eq!(read(&mut peer, &client, "node-write", "/3311/0/5850"), "1");
    // Out of the dimmer's range 0..100: refused, value unchanged.
    let refused = call(
        &mut peer,
        &client,
        json!({"op": "write", "ep": "node-write", "path": "/3311/0/5851", "value": "250"}),
    );
    assert_eq!(refused["ok"], false, "dimmer 250 accepted: {refused}");
    assert_eq!(read(&mut peer, &client, "node-write", "/3311/0/5851"), "42");
}

/// Executing Reset Min and Max `/3303/0/5605` succeeds; executing a readable resource is refused
/// with 4.05.
#[test]
fn execute_of_demo_resources() {
    let (mut peer, client, _) = registered("node-exec", &[]);
    ok(
        &mut peer,
        &client,
        json!({"op": "execute", "ep": "node-exec", "path": "/3303/0/5605"}),
    );
    let min: f64 = read(&mut peer, &client, "node-exec", "/3303/0/5601")
        .parse()
        .unwrap();
    let max: f64 = read(&mut peer, &client, "node-exec", "/3303/0/5602")
        .parse()
        .unwrap();
    // Right after the reset min and max are the value of at most a few measurements apart.
    assert!(
        min <= max && max - min < 1.0,
        "after reset min {min} max {max}"
    );
    let refused = call(
        &mut peer,
        &client,
        json!({"op": "execute", "ep": "node-exec", "path": "/3303/0/5700"}),
    );
    assert_eq!(
        refused["ok"], false,
        "execute on a readable resource: {refused}"
    );
    assert_eq!(refused["code"], "4.05", "{refused}");
}

/// Discover on the Temperature instance and on a resource returns link format with the resources.
#[test]
fn discover_of_demo_objects() {
    let (mut peer, client, _) = registered("node-disc", &[]);
    let value = ok(
        &mut peer,
        &client,
        json!({"op": "discover", "ep": "node-disc", "path": "/3303/0"}),
    );
    let text = value.as_str().unwrap_or_default();
    let found = links(text);
    for expected in [
        "</3303/0>",
        "</3303/0/5700>",
        "</3303/0/5701>",
        "</3303/0/5605>",
    ] {
        assert!(
            found.iter().any(|l| l == expected),
            "{expected} missing from {text}"
        );
    }
    let value = ok(
        &mut peer,
        &client,
        json!({"op": "discover", "ep": "node-disc", "path": "/3311"}),
    );
    let text = value.as_str().unwrap_or_default();
    assert!(links(text).iter().any(|l| l == "</3311/0/5850>"), "{text}");
}

/// Observe of the temperature after Write-Attributes pmin=1&pmax=2: notifications arrive at the
/// server, each a temperature in the sensor's range.
#[test]
fn observe_of_the_temperature_notifies_the_server() {
    let (mut peer, client, _) = registered("node-obs", &[]);
    ok(
        &mut peer,
        &client,
        json!({"op": "write-attributes", "ep": "node-obs", "path": "/3303/0/5700", "attributes": {"pmin": 1, "pmax": 2}}),
    );
    let first = ok(
        &mut peer,
        &client,
        json!({"op": "observe", "ep": "node-obs", "path": "/3303/0/5700"}),
    );
    let first: f64 = first
        .as_str()
        .unwrap_or_default()
        .parse()
        .unwrap_or(f64::NAN);
    assert!((17.75..=24.25).contains(&first), "first value {first}");
    let notes = peer.collect_events("notify", Duration::from_secs(7));
    assert!(
        notes.len() >= 2,
        "{} notifications in 7 s with pmax=2\n{}",
        notes.len(),
        client.log()
    );
    for note in &notes {
        let v: f64 = parse(&note.json)["value"]
            .as_str()
            .unwrap_or_default()
            .parse()
            .unwrap_or(f64::NAN);
        assert!((17.75..=24.25).contains(&v), "notified {v}: {}", note.json);
    }
}
