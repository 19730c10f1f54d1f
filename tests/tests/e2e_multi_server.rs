//! End-to-end tests of `demo-client` with two LwM2M servers at once: two independent aiocoap
//! servers (`tests/peers/lwm2m_server.py`), each started by the test on its own port of
//! 127.0.0.1, and the demo device given both (`--server URI1 --server URI2`, Short Server IDs 1
//! and 2, Access Control instances giving both servers every right on the demo's instances).
//!
//! Deviations from the ETS text: NoSec on loopback; the demo device's objects stand in for the
//! ETS configurations, and its Access Control instances are made by the demo, not by a
//! Bootstrap-Server.

use std::time::Duration;

use lwm2m_tests::peers::{DemoClient, Peer};
use serde_json::{Value, json};

const REGISTER_TIMEOUT: Duration = Duration::from_secs(20);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
const TEXT: u16 = 0;
const TLV: u16 = 11542;

fn parse(json: &str) -> Value {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("bad JSON from the peer ({e}): {json}"))
}

/// Two servers and the demo device registered with both.
struct TwoServers {
    servers: [Peer; 2],
    client: DemoClient,
    ep: String,
    registrations: [Value; 2],
}

impl TwoServers {
    fn new(ep: &str) -> TwoServers {
        let mut servers = [Peer::aiocoap(), Peer::aiocoap()];
        let second = servers[1].uri();
        let client = DemoClient::start(&servers[0].uri(), ep, &["--server", &second]);
        let mut registrations = [Value::Null, Value::Null];
        for (server, registration) in servers.iter_mut().zip(&mut registrations) {
            let event = server
                .wait_event_where("registration", REGISTER_TIMEOUT, |j| parse(j)["ep"] == ep)
                .unwrap_or_else(|e| panic!("{e}\n--- demo-client log:\n{}", client.log()));
            *registration = parse(&event.json);
        }
        TwoServers {
            servers,
            client,
            ep: ep.to_owned(),
            registrations,
        }
    }

    /// Sends `command` through server `k` (0 or 1) and checks the response code.
    fn expect(&mut self, k: usize, mut command: Value, code: &str) -> Value {
        command["ep"] = json!(self.ep);
        let reply = self.servers[k]
            .request(&command.to_string(), REQUEST_TIMEOUT)
            .unwrap_or_else(|e| panic!("{e}\n--- demo-client log:\n{}", self.client.log()));
        let reply = parse(&reply);
        assert_eq!(
            (&reply["ok"], &reply["code"]),
            (&json!(true), &json!(code)),
            "server {}: {command}: {reply}\n--- demo-client log:\n{}",
            k + 1,
            self.client.log()
        );
        reply
    }

    /// The link-format text of a Discover of `path` by server `k`.
    fn discover(&mut self, k: usize, path: &str) -> String {
        let reply = self.expect(k, json!({"op": "discover", "path": path}), "2.05");
        reply["decoded"].as_str().unwrap_or_default().to_owned()
    }
}

/// LightweightM2M-1.1-int-950 - Multi-Servers Registration
///
/// Two server accounts (Short Server IDs 1 and 2) with Access Control instances: the client
/// registers with both (2.01 each), both can read, a foreign address cannot. An instance created
/// by server 2 belongs to server 2 (a new Access Control instance owned by it): server 1 gets
/// 4.01, server 2 reads and deletes it. On SIGTERM the client deregisters from both.
#[test]
fn ets_1_1_int_950_multi_servers_registration() {
    let mut t = TwoServers::new("ms-950");
    for registration in &t.registrations {
        assert_eq!(registration["lt"], "300", "{registration}");
        let links = registration["links"].as_str().unwrap_or_default();
        assert!(
            links.contains("</1/0>") && links.contains("</1/1>") && links.contains("</2/0>"),
            "{links}"
        );
    }
    for k in 0..2 {
        let name = t.expect(
            k,
            json!({"op": "read", "path": "/3/0/0", "accept": TEXT}),
            "2.05",
        );
        assert_eq!(name["decoded"], "lwm2m-rs");
    }
    let foreign = t.servers[0]
        .request(
            &json!({"op": "foreign", "ep": t.ep, "path": "/3/0/0", "accept": TEXT, "timeout_ms": 4000})
                .to_string(),
            REQUEST_TIMEOUT,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let foreign = parse(&foreign);
    let served =
        foreign["answered"] == true && foreign["code"].as_str().is_some_and(|c| c.starts_with('2'));
    assert!(!served, "a foreign request was served: {foreign}");

    // Object Instance 1 (08 01 0e) { Resource 5750 (e8 16 76 0a) = "greenhouse" }.
    let greenhouse: String = b"greenhouse".iter().map(|b| format!("{b:02x}")).collect();
    let created = t.expect(
        1,
        json!({"op": "create", "path": "/3303", "content_format": TLV, "payload_hex": format!("08010ee816760a{greenhouse}")}),
        "2.01",
    );
    assert_eq!(created["location"], "/3303/1", "{created}");
    t.expect(
        0,
        json!({"op": "read", "path": "/3303/1/5750", "accept": TEXT}),
        "4.01",
    );
    let mine = t.expect(
        1,
        json!({"op": "read", "path": "/3303/1/5750", "accept": TEXT}),
        "2.05",
    );
    assert_eq!(mine["decoded"], "greenhouse");
    t.expect(0, json!({"op": "delete", "path": "/3303/1"}), "4.01");
    t.expect(1, json!({"op": "delete", "path": "/3303/1"}), "2.02");

    t.client.terminate();
    for server in &mut t.servers {
        server
            .wait_event("deregistration", REGISTER_TIMEOUT)
            .unwrap_or_else(|e| panic!("{e}\n--- demo-client log:\n{}", t.client.log()));
    }
    let status = t.client.wait_exit(REQUEST_TIMEOUT);
    assert!(status.is_some_and(|s| s.success()), "{status:?}");
}

/// LightweightM2M-1.1-int-951 - Multi-Servers & Attributes
///
/// Each server writes its own pmin/pmax on `/3/0`; each server's Discover of `/3/0` shows its
/// own values and not the other's.
#[test]
fn ets_1_1_int_951_multi_servers_and_attributes() {
    let mut t = TwoServers::new("ms-951");
    t.expect(
        0,
        json!({"op": "write-attributes", "path": "/3/0", "query": "pmin=11&pmax=111"}),
        "2.04",
    );
    t.expect(
        1,
        json!({"op": "write-attributes", "path": "/3/0", "query": "pmin=22&pmax=222"}),
        "2.04",
    );
    let instance_link = |text: &str| -> String {
        text.split(',')
            .find(|l| l.starts_with("</3/0>"))
            .unwrap_or_default()
            .to_owned()
    };
    let first = t.discover(0, "/3/0");
    let second = t.discover(1, "/3/0");
    assert_eq!(instance_link(&first), "</3/0>;pmin=11;pmax=111", "{first}");
    assert_eq!(
        instance_link(&second),
        "</3/0>;pmin=22;pmax=222",
        "{second}"
    );
}
