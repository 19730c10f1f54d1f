//! ETS LightweightM2M-1.1-int-9 "Bootstrap and Configuration Consistency", end to end:
//! `demo-client --bootstrap` against the aiocoap peer (`tests/peers/lwm2m_server.py`) acting as
//! the Bootstrap-Server. The Bootstrap-Server writes only `/1/0/5` and sends Bootstrap-Finish:
//! the client answers 4.06 Not Acceptable (no complete server account, Core TS 1.1 §5.2.6),
//! stays in the bootstrap and does not register. Then (beyond the ETS text, to show the client
//! is still bootstrapping) the Bootstrap-Server writes a complete account, finishes again, gets
//! 2.04 and the client registers with the server written.
//!
//! Deviations from the ETS text: NoSec on loopback; the same aiocoap process is the
//! Bootstrap-Server and the LwM2M Server.

use std::time::Duration;

use lwm2m::codec::{self, ContentFormat, Record};
use lwm2m::{Path, Value as LwM2mValue};
use lwm2m_tests::peers::{DemoClient, Peer};
use serde_json::{Value, json};

const BOOTSTRAP_TIMEOUT: Duration = Duration::from_secs(20);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
const TLV: u16 = 11542;
const SENML_JSON: u16 = 110;

fn parse(json: &str) -> Value {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("bad JSON from the peer ({e}): {json}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn tlv_hex(base: Path, records: &[Record]) -> String {
    hex(&codec::encode(ContentFormat::Tlv, &base, records)
        .unwrap_or_else(|e| panic!("TLV encode of {base}: {e}")))
}

struct Bootstrap {
    peer: Peer,
    client: DemoClient,
    ep: String,
}

impl Bootstrap {
    /// Starts the client against the peer as its Bootstrap-Server and waits for its
    /// Bootstrap-Request.
    fn start(ep: &str) -> Bootstrap {
        let mut peer = Peer::aiocoap();
        let client = DemoClient::start(&peer.uri(), ep, &["--bootstrap", "--lifetime", "60"]);
        let event = peer
            .wait_event_where("bootstrap-request", BOOTSTRAP_TIMEOUT, |j| {
                parse(j)["ep"] == ep
            })
            .unwrap_or_else(|e| panic!("{e}\n--- demo-client log:\n{}", client.log()));
        let query = parse(&event.json)["query"].clone();
        assert!(
            query
                .as_array()
                .is_some_and(|q| q.contains(&json!(format!("ep={ep}")))),
            "{query}"
        );
        Bootstrap {
            peer,
            client,
            ep: ep.to_owned(),
        }
    }

    /// Sends `command` as the Bootstrap-Server; the CoAP code the client answered.
    fn call(&mut self, mut command: Value) -> String {
        command["ep"] = json!(self.ep);
        command["bootstrap"] = json!(true);
        let reply = self
            .peer
            .request(&command.to_string(), REQUEST_TIMEOUT)
            .unwrap_or_else(|e| panic!("{e}\n--- demo-client log:\n{}", self.client.log()));
        let reply = parse(&reply);
        assert_eq!(
            reply["ok"],
            true,
            "{command}: {reply}\n--- demo-client log:\n{}",
            self.client.log()
        );
        reply["code"].as_str().unwrap_or_default().to_owned()
    }

    fn finish(&mut self) -> String {
        self.call(json!({"op": "execute", "path": "/bs"}))
    }
}

#[test]
fn ets_1_1_int_9_finish_without_a_server_account_is_refused_with_4_06() {
    let mut bs = Bootstrap::start("int-9");
    // Only the Disable Timeout of a Server instance (text/plain); whatever the client answers,
    // no server account results.
    let _ = bs.call(json!({
        "op": "write", "path": "/1/0/5", "content_format": 0, "payload": "86400"
    }));
    assert_eq!(bs.finish(), "4.06");
    // Not registered: no Register reaches the server within a few seconds.
    let registrations = bs
        .peer
        .collect_events("registration", Duration::from_secs(3));
    assert!(
        registrations.is_empty(),
        "registered after a refused Finish: {registrations:?}\n--- demo-client log:\n{}",
        bs.client.log()
    );

    // Still bootstrapping: a complete account, then Finish, is accepted and registers.
    provision(&mut bs);
    assert_eq!(bs.finish(), "2.04");
    let ep = bs.ep.clone();
    let registration = bs
        .peer
        .wait_event_where("registration", BOOTSTRAP_TIMEOUT, |j| parse(j)["ep"] == ep)
        .unwrap_or_else(|e| panic!("{e}\n--- demo-client log:\n{}", bs.client.log()));
    assert_eq!(parse(&registration.json)["lt"], "60");
}

/// The Security and Server instances of a NoSec account at the peer, Short Server ID 1, as
/// Bootstrap-Writes of `/0/1` and `/1/0`.
fn provision(bs: &mut Bootstrap) {
    let security = |r| Path::resource(0, 1, r);
    let payload_hex = tlv_hex(
        Path::instance(0, 1),
        &[
            Record::new(security(0), LwM2mValue::String(bs.peer.uri())),
            Record::new(security(1), LwM2mValue::Boolean(false)),
            Record::new(security(2), LwM2mValue::Integer(3)),
            Record::new(security(10), LwM2mValue::Integer(1)),
        ],
    );
    let code = bs.call(json!({
        "op": "write", "path": "/0/1", "content_format": TLV, "payload_hex": payload_hex
    }));
    assert_eq!(code, "2.04");
    let server = |r| Path::resource(1, 0, r);
    let payload_hex = tlv_hex(
        Path::instance(1, 0),
        &[
            Record::new(server(0), LwM2mValue::Integer(1)),
            Record::new(server(1), LwM2mValue::Integer(60)),
            Record::new(server(6), LwM2mValue::Boolean(false)),
            Record::new(server(7), LwM2mValue::String("U".to_owned())),
        ],
    );
    let code = bs.call(json!({
        "op": "write", "path": "/1/0", "content_format": TLV, "payload_hex": payload_hex
    }));
    assert_eq!(code, "2.04");
}

impl Bootstrap {
    /// Bootstrap-Discover of `path`: the link-format text.
    fn discover(&mut self, path: &str) -> String {
        let mut command = json!({"op": "discover", "path": path});
        command["ep"] = json!(self.ep);
        command["bootstrap"] = json!(true);
        let reply = self
            .peer
            .request(&command.to_string(), REQUEST_TIMEOUT)
            .unwrap_or_else(|e| panic!("{e}\n--- demo-client log:\n{}", self.client.log()));
        let reply = parse(&reply);
        assert_eq!(reply["code"], "2.05", "{reply}\n{}", self.client.log());
        reply["decoded"].as_str().unwrap_or_default().to_owned()
    }

    fn registered(&mut self) {
        let ep = self.ep.clone();
        self.peer
            .wait_event_where("registration", BOOTSTRAP_TIMEOUT, |j| parse(j)["ep"] == ep)
            .unwrap_or_else(|e| panic!("{e}\n--- demo-client log:\n{}", self.client.log()));
    }
}

/// ETS int-0 "Client Initiated Bootstrap": Bootstrap-Writes of `/0` and `/1` -> 2.04; a
/// Bootstrap-Discover of `/` lists `</>;lwm2m="1.1"`, the accounts with their `ssid` and the
/// Device; Bootstrap-Finish -> 2.04 and the client registers.
#[test]
fn ets_1_1_int_0_client_initiated_bootstrap() {
    let mut bs = Bootstrap::start("int-0");
    provision(&mut bs);
    let links = bs.discover("/");
    let has = |target: &str| links.split(',').any(|l| l.starts_with(target));
    assert!(links.starts_with("</>;lwm2m=\"1.1\""), "{links}");
    assert!(
        has("</0/0>;uri="),
        "the Bootstrap-Server account, without ssid: {links}"
    );
    assert!(has("</0/1>;ssid=1;uri="), "{links}");
    assert!(has("</1/0>;ssid=1"), "{links}");
    assert!(has("</3/0>"), "{links}");
    assert_eq!(bs.finish(), "2.04");
    bs.registered();
}

/// ETS int-4 "Bootstrap Delete": after a Discover and a Read of `/1`, Bootstrap-Deletes of `/0`
/// and `/1` -> 2.02 each, keeping the Bootstrap-Server account; Discover then shows no `/1`
/// instance; provisioned again, the client finishes and registers.
#[test]
fn ets_1_1_int_4_bootstrap_delete() {
    let mut bs = Bootstrap::start("int-4");
    provision(&mut bs);
    assert!(bs.discover("/1").contains("</1/0>;ssid=1"));
    let read = bs
        .peer
        .request(
            &json!({"op": "read", "path": "/1", "accept": TLV, "ep": bs.ep, "bootstrap": true})
                .to_string(),
            REQUEST_TIMEOUT,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parse(&read)["code"], "2.05", "{read}");
    assert_eq!(bs.call(json!({"op": "delete", "path": "/0"})), "2.02");
    assert_eq!(bs.call(json!({"op": "delete", "path": "/1"})), "2.02");
    let links = bs.discover("/");
    assert!(!links.contains("</1/0>"), "{links}");
    assert!(
        links.contains("</1>"),
        "the empty object is listed: {links}"
    );
    assert!(
        links.contains("</0/0>"),
        "the Bootstrap-Server account stays: {links}"
    );
    assert!(!links.contains("</0/1>"), "{links}");
    provision(&mut bs);
    assert_eq!(bs.finish(), "2.04");
    bs.registered();
}

/// ETS int-5 "Server Initiated Bootstrap": registered after a bootstrap, the server executes
/// Bootstrap-Request Trigger (`/1/0/9`) -> 2.04; the client sends a new Bootstrap-Request, is
/// provisioned again, finishes and registers again.
#[test]
fn ets_1_1_int_5_server_initiated_bootstrap() {
    let mut bs = Bootstrap::start("int-5");
    provision(&mut bs);
    assert_eq!(bs.finish(), "2.04");
    bs.registered();
    let mut trigger = json!({"op": "execute", "path": "/1/0/9"});
    trigger["ep"] = json!(bs.ep);
    let reply = bs
        .peer
        .request(&trigger.to_string(), REQUEST_TIMEOUT)
        .unwrap_or_else(|e| panic!("{e}\n{}", bs.client.log()));
    assert_eq!(parse(&reply)["code"], "2.04", "{reply}");
    let ep = bs.ep.clone();
    bs.peer
        .wait_event_where("bootstrap-request", BOOTSTRAP_TIMEOUT, |j| {
            parse(j)["ep"] == ep
        })
        .unwrap_or_else(|e| panic!("no new Bootstrap-Request: {e}\n{}", bs.client.log()));
    provision(&mut bs);
    assert_eq!(bs.finish(), "2.04");
    bs.registered();
}

/// ETS int-8 "Bootstrap Read": Bootstrap-Writes of `/0`, `/1` and an Access Control instance
/// `/2/0` -> 2.04; Bootstrap-Reads of `/1` and `/2` -> 2.05 with what was written; Finish ->
/// 2.04.
#[test]
fn ets_1_1_int_8_bootstrap_read() {
    let mut bs = Bootstrap::start("int-8");
    provision(&mut bs);
    let aco = |r| Path::resource(2, 0, r);
    let payload_hex = tlv_hex(
        Path::instance(2, 0),
        &[
            Record::new(aco(0), LwM2mValue::Integer(3)),
            Record::new(aco(1), LwM2mValue::Integer(0)),
            Record::new(Path::resource_instance(2, 0, 2, 1), LwM2mValue::Integer(31)),
            Record::new(aco(3), LwM2mValue::Integer(1)),
        ],
    );
    let code = bs.call(json!({
        "op": "write", "path": "/2/0", "content_format": TLV, "payload_hex": payload_hex
    }));
    assert_eq!(code, "2.04");
    let mut read = |path: &str| -> Value {
        let command = json!({"op": "read", "path": path, "accept": SENML_JSON, "ep": bs.ep, "bootstrap": true});
        let reply = bs
            .peer
            .request(&command.to_string(), REQUEST_TIMEOUT)
            .unwrap_or_else(|e| panic!("{e}"));
        let reply = parse(&reply);
        assert_eq!(reply["code"], "2.05", "{path}: {reply}");
        reply["decoded"].clone()
    };
    let servers = read("/1");
    let names: Vec<String> = resolved_names(&servers);
    assert!(names.contains(&"/1/0/0".to_owned()), "{servers}");
    let acos = read("/2");
    let names = resolved_names(&acos);
    assert!(names.contains(&"/2/0/2/1".to_owned()), "{acos}");
    assert_eq!(bs.finish(), "2.04");
    bs.registered();
}

/// The record names of a SenML JSON pack (base names applied).
fn resolved_names(records: &Value) -> Vec<String> {
    let mut base = String::new();
    let mut names = Vec::new();
    for record in records.as_array().into_iter().flatten() {
        if let Some(bn) = record["bn"].as_str() {
            base = bn.to_owned();
        }
        names.push(format!(
            "{base}{}",
            record["n"].as_str().unwrap_or_default()
        ));
    }
    names
}
