//! `demo-client --blocking-driver` (the std `lwm2m::net::BlockingDriver`, no async runtime)
//! against the aiocoap LwM2M server (`tests/peers/lwm2m_server.py`): it registers, answers a
//! read, notifies an observer on its ticks, and deregisters on SIGTERM.

use std::time::Duration;

use lwm2m_tests::peers::{DemoClient, Peer};
use serde_json::{Value, json};

const REGISTER_TIMEOUT: Duration = Duration::from_secs(20);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
const TEXT: u16 = 0;

fn parse(json: &str) -> Value {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("bad JSON from the peer ({e}): {json}"))
}

#[test]
fn the_blocking_driver_registers_serves_notifies_and_deregisters() {
    let ep = "aio-blocking";
    let mut peer = Peer::aiocoap();
    let mut client = DemoClient::start(&peer.uri(), ep, &["--blocking-driver", "--tick-ms", "200"]);
    peer.wait_event_where("registration", REGISTER_TIMEOUT, |j| parse(j)["ep"] == ep)
        .unwrap_or_else(|e| panic!("{e}\n--- demo-client log:\n{}", client.log()));
    let mut call = |command: Value| {
        let mut command = command;
        command["ep"] = json!(ep);
        let reply = peer
            .request(&command.to_string(), REQUEST_TIMEOUT)
            .unwrap_or_else(|e| panic!("{e}\n--- demo-client log:\n{}", client.log()));
        parse(&reply)
    };
    let manufacturer = call(json!({"op": "read", "path": "/3/0/0", "accept": TEXT}));
    assert_eq!(manufacturer["code"], "2.05", "{manufacturer}");
    let attributes =
        call(json!({"op": "write-attributes", "path": "/3303/0/5700", "query": "pmin=1&pmax=2"}));
    assert_eq!(attributes["code"], "2.04", "{attributes}");
    let first = call(json!({"op": "observe", "path": "/3303/0/5700", "accept": TEXT}));
    assert!(first["obs"].is_u64(), "not an observation: {first}");
    let notes = peer.collect_events("notify", Duration::from_secs(5));
    assert!(
        notes.len() >= 2,
        "{} notifications in 5 s with pmax=2\n{}",
        notes.len(),
        client.log()
    );
    client.terminate();
    peer.wait_event_where("deregistration", REGISTER_TIMEOUT, |j| parse(j)["ep"] == ep)
        .unwrap_or_else(|e| panic!("{e}\n--- demo-client log:\n{}", client.log()));
    let status = client.wait_exit(Duration::from_secs(10));
    assert!(
        status.is_some_and(|s| s.success()),
        "{status:?}\n{}",
        client.log()
    );
}
