//! End-to-end tests of the emulated microcontroller device (`examples/mcu-device`: the `lwm2m`
//! runtime without std on a Cortex-M4 under QEMU `mps2-an386`, its network a SLIP datagram link
//! over UART0 relayed to UDP by `mcu-bridge`), started with the launcher a user runs, against the
//! two real servers: `lwm2m-node-lib` (npm) and the aiocoap-scripted server
//! (`tests/peers/lwm2m_server.py`).
//!
//! They prove that the no_std client registers, answers reads of `/3/0` and `/3303/0` in TLV,
//! SenML CBOR and text, a write and an execute, notifies as pmin/pmax say, refuses a request too
//! large for its heap with 4.13 and keeps serving, survives garbage on its link, and deregisters
//! on SIGTERM. Deviations from the ETS text: NoSec on loopback; the device's objects (0, 1, 3,
//! 3303) stand in for the ETS configurations.

use std::time::{Duration, Instant};

use lwm2m::Path;
use lwm2m::codec::{self, ContentFormat, Record};
use lwm2m_tests::mcu::McuDevice;
use lwm2m_tests::peers::Peer;
use serde_json::{Value, json};

/// QEMU boots in well under a second; the slack is for a loaded CI machine.
const REGISTER_TIMEOUT: Duration = Duration::from_secs(60);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// The bridge gives QEMU 10 s to exit after the shutdown frame; the device 5 s to deregister.
const EXIT_TIMEOUT: Duration = Duration::from_secs(15);

const TEXT: u16 = 0;
const SENML_JSON: u16 = 110;
const SENML_CBOR: u16 = 112;
const TLV: u16 = 11542;
const LWM2M_CBOR: u16 = 11544;

fn parse(json: &str) -> Value {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("bad JSON from the peer ({e}): {json}"))
}

/// A server peer with the emulated device registered as `ep`.
struct Setup {
    peer: Peer,
    device: McuDevice,
    ep: String,
    registration: Value,
}

impl Setup {
    fn new(peer: Peer, ep: &str) -> Setup {
        let mut peer = peer;
        let device = McuDevice::start(&peer.uri(), ep, &["--lifetime", "60"]);
        let event = peer
            .wait_event_where("registration", REGISTER_TIMEOUT, |j| parse(j)["ep"] == ep)
            .unwrap_or_else(|e| panic!("{e}\n--- device log:\n{}", device.log()));
        Setup {
            peer,
            device,
            ep: ep.to_owned(),
            registration: parse(&event.json),
        }
    }

    /// Sends `command` (with this endpoint); the peer's reply, which must be `ok`.
    fn call(&mut self, mut command: Value) -> Value {
        command["ep"] = json!(self.ep);
        let reply = self
            .peer
            .request(&command.to_string(), REQUEST_TIMEOUT)
            .unwrap_or_else(|e| panic!("{command}: {e}\n--- device log:\n{}", self.device.log()));
        let reply = parse(&reply);
        assert_eq!(
            reply["ok"],
            true,
            "{command}: {reply}\n--- device log:\n{}",
            self.device.log()
        );
        reply
    }

    /// `call`, then checks the CoAP response code (aiocoap peer).
    fn expect(&mut self, command: Value, code: &str) -> Value {
        let reply = self.call(command.clone());
        assert_eq!(
            reply["code"],
            code,
            "{command}: {reply}\n--- device log:\n{}",
            self.device.log()
        );
        reply
    }

    /// A read through the aiocoap peer: the payload decoded by the peer.
    fn read(&mut self, path: &str, accept: u16) -> Value {
        let reply = self.expect(
            json!({"op": "read", "path": path, "accept": accept}),
            "2.05",
        );
        assert_eq!(reply["content_format"], accept, "read {path}: {reply}");
        reply["decoded"].clone()
    }

    /// SIGTERM: the device deregisters (the peer sees `event`) and everything exits with 0.
    fn terminate(mut self, event: &str) {
        self.device.signal("TERM");
        let gone = self.peer.wait_event(event, EXIT_TIMEOUT);
        assert!(
            gone.is_ok(),
            "no {event} after SIGTERM: {gone:?}\n--- device log:\n{}",
            self.device.log()
        );
        let status = self.device.wait_exit(EXIT_TIMEOUT);
        assert!(
            status.is_some_and(|s| s.success()),
            "the launcher's exit after SIGTERM: {status:?}\n--- device log:\n{}",
            self.device.log()
        );
    }
}

/// The value of the SenML record named `name` (after `bn` + `n`) in a payload decoded by cbor2:
/// SenML CBOR labels are integers (-2 bn, 0 n, 2 v, 3 vs).
fn senml_value(records: &Value, name: &str) -> Option<Value> {
    let mut base = String::new();
    for record in records.as_array()? {
        if let Some(bn) = record["-2"].as_str() {
            base = bn.to_owned();
        }
        let full = format!("{base}{}", record["0"].as_str().unwrap_or_default());
        if full == name {
            return ["2", "3", "4"].iter().find_map(|k| record.get(*k).cloned());
        }
    }
    None
}

/// The TLV resource with id `id` in a tree decoded by the peer.
fn tlv_resource(entries: &Value, id: u64) -> Option<String> {
    let entry = entries
        .as_array()?
        .iter()
        .find(|e| e["type"] == "resource" && e["id"] == id)?;
    let hex = entry["value_hex"].as_str()?;
    let bytes: Option<Vec<u8>> = (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

/// The temperature's Min and Max Measured Value and Sensor Value, read at once in SenML CBOR.
fn min_max_value(s: &mut Setup) -> (f64, f64, f64) {
    let records = s.read("/3303/0", SENML_CBOR);
    let number = |name: &str| {
        senml_value(&records, name)
            .and_then(|v| v.as_f64())
            .unwrap_or_else(|| panic!("no number {name} in {records}"))
    };
    (
        number("/3303/0/5601"),
        number("/3303/0/5602"),
        number("/3303/0/5700"),
    )
}

/// LightweightM2M-1.1-int-101 - Initial Registration, with the lwm2m-node-lib server
///
/// The emulated device registers (ep, lt, lwm2m, b; every object but Security), the server reads
/// Manufacturer and the live temperature in text, writes the lifetime (the device sends an Update
/// with the new `lt` at once, int-102), executes Reset Min/Max (2.04), and on SIGTERM the device
/// deregisters (int-103's De-register) and the launcher exits with 0.
#[test]
fn ets_1_1_int_101_mcu_device_registers_with_node_server() {
    let mut s = Setup::new(Peer::node(), "mcu-node");
    let reg = s.registration.clone();
    assert_eq!(reg["lt"], "60", "{reg}");
    assert_eq!(reg["b"], "U", "{reg}");
    let payload = reg["payload"].as_str().unwrap_or_default();
    for expected in ["</1/0>", "</3/0>", "</3303/0>"] {
        assert!(payload.contains(expected), "{expected} missing: {payload}");
    }
    assert!(!payload.contains("</0/"), "Security listed: {payload}");

    let manufacturer = s.call(json!({"op": "read", "path": "/3/0/0"}));
    assert_eq!(manufacturer["value"], "lwm2m-rs", "{manufacturer}");
    let temperature = s.call(json!({"op": "read", "path": "/3303/0/5700"}));
    let celsius: f64 = temperature["value"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("not a number: {temperature}"));
    assert!((17.7..=24.3).contains(&celsius), "{celsius} °C");

    s.call(json!({"op": "write", "path": "/1/0/1", "value": "45"}));
    let update = s
        .peer
        .wait_event("update", Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}\n--- device log:\n{}", s.device.log()));
    assert_eq!(parse(&update.json)["lt"], "45", "{}", update.json);
    let lifetime = s.call(json!({"op": "read", "path": "/1/0/1"}));
    assert_eq!(lifetime["value"], "45", "{lifetime}");

    s.call(json!({"op": "execute", "path": "/3303/0/5605"}));
    assert!(
        s.device
            .wait_log("Execute /3303/0/5605 -> 2.04", Duration::from_secs(5)),
        "{}",
        s.device.log()
    );
    s.terminate("unregistration");
}

/// LightweightM2M-1.1-int-203 - Querying basic information in TLV format (and int-232's SenML
/// CBOR, int-201's text), with the aiocoap server
///
/// `/3/0` in TLV and in SenML CBOR carries Manufacturer, Model and the binding; `/3303/0` in TLV
/// carries the units; `/3303/0` in SenML CBOR and `/3303/0/5700` in text carry the live
/// temperature within the sensor's range; the
/// formats the firmware leaves out are 4.06; a write of Application Type in text is read back;
/// on SIGTERM the device deregisters.
#[test]
fn ets_1_1_int_203_mcu_device_reads_in_tlv_senml_cbor_and_text() {
    let mut s = Setup::new(Peer::aiocoap(), "mcu-reads");
    let links = s.registration["links"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(links.contains("</3303/0>"), "{links}");

    let device = s.read("/3/0", TLV);
    assert_eq!(
        tlv_resource(&device, 0).as_deref(),
        Some("lwm2m-rs"),
        "{device}"
    );
    assert_eq!(
        tlv_resource(&device, 1).as_deref(),
        Some("lwm2m-rs-demo"),
        "{device}"
    );
    assert_eq!(tlv_resource(&device, 16).as_deref(), Some("U"), "{device}");

    let device = s.read("/3/0", SENML_CBOR);
    assert_eq!(
        senml_value(&device, "/3/0/0"),
        Some(json!("lwm2m-rs")),
        "{device}"
    );
    assert_eq!(
        senml_value(&device, "/3/0/16"),
        Some(json!("U")),
        "{device}"
    );
    let temperature = s.read("/3303/0", TLV);
    assert_eq!(
        tlv_resource(&temperature, 5701).as_deref(),
        Some("Cel"),
        "{temperature}"
    );

    let records = s.read("/3303/0", SENML_CBOR);
    assert_eq!(
        senml_value(&records, "/3303/0/5701"),
        Some(json!("Cel")),
        "{records}"
    );
    let value = senml_value(&records, "/3303/0/5700")
        .and_then(|v| v.as_f64())
        .unwrap_or_else(|| panic!("no Sensor Value in {records}"));
    assert!((17.7..=24.3).contains(&value), "{value} °C");
    let text = s.read("/3303/0/5700", TEXT);
    let text: f64 = text
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("not a number: {text}"));
    assert!((17.7..=24.3).contains(&text), "{text} °C");

    // The firmware leaves SenML JSON, OMA JSON and LwM2M CBOR out (features, for flash).
    for left_out in [SENML_JSON, LWM2M_CBOR] {
        s.expect(
            json!({"op": "read", "path": "/3303/0", "accept": left_out}),
            "4.06",
        );
    }
    s.expect(
        json!({"op": "write", "path": "/3303/0/5750", "content_format": TEXT, "payload": "greenhouse"}),
        "2.04",
    );
    assert_eq!(s.read("/3303/0/5750", TEXT), "greenhouse");
    s.terminate("deregistration");
}

/// Reset Min and Max Measured Values (Execute `/3303/0/5605`) on the emulated device: once the
/// measured range is wider than one step of the sensor (0.6 °C), the execute brings Min and Max
/// within one step of the current value.
#[test]
fn mcu_device_execute_resets_min_and_max() {
    let mut s = Setup::new(Peer::aiocoap(), "mcu-exec");
    let wide = Instant::now() + Duration::from_secs(40);
    let (min, max, _) = loop {
        let (min, max, value) = min_max_value(&mut s);
        if max - min > 0.7 || Instant::now() > wide {
            break (min, max, value);
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(max - min > 0.7, "the range never widened: {min}..{max}");
    s.expect(json!({"op": "execute", "path": "/3303/0/5605"}), "2.04");
    let (min, max, value) = min_max_value(&mut s);
    assert!(
        min <= value && value <= max && max - min <= 0.61,
        "after the reset: min {min}, max {max}, value {value}"
    );
}

/// Observe with pmin/pmax on the emulated device: the temperature changes every second, so with
/// pmin=2 the notifications come every 2 s and never sooner; the units never change, so with
/// pmax=3 they come every 3 s and never later (0.3 s / 1.5 s of slack: the emulator's timers
/// run late on a loaded 2-core machine).
#[test]
fn mcu_device_observe_honours_pmin_and_pmax() {
    let mut s = Setup::new(Peer::aiocoap(), "mcu-observe");
    s.expect(
        json!({"op": "write-attributes", "path": "/3303/0/5700", "query": "pmin=2&pmax=4"}),
        "2.04",
    );
    s.expect(
        json!({"op": "write-attributes", "path": "/3303/0/5701", "query": "pmax=3"}),
        "2.04",
    );
    let value = s.expect(
        json!({"op": "observe", "path": "/3303/0/5700", "accept": TEXT}),
        "2.05",
    );
    let units = s.expect(
        json!({"op": "observe", "path": "/3303/0/5701", "accept": TEXT}),
        "2.05",
    );
    let notes = s.peer.collect_events("notify", Duration::from_secs(13));
    for (first, min_gap, max_gap) in [(&value, 2.0 - 0.3, 4.0 + 1.5), (&units, 0.0, 3.0 + 1.5)] {
        let obs = &first["obs"];
        assert!(obs.is_u64(), "not an observation: {first}");
        let mut times = vec![first["t"].as_f64().unwrap_or_default()];
        times.extend(
            notes
                .iter()
                .map(|n| parse(&n.json))
                .filter(|n| &n["obs"] == obs)
                .map(|n| n["t"].as_f64().unwrap_or_default()),
        );
        assert!(
            times.len() >= 4,
            "{} notifications of {} in 13 s\n{}",
            times.len() - 1,
            first,
            s.device.log()
        );
        for gap in times.windows(2).map(|w| w[1] - w[0]) {
            assert!(
                (min_gap..=max_gap).contains(&gap),
                "a notification {gap:.2} s after the previous one, expected {min_gap}..{max_gap}: {times:?}"
            );
        }
    }
}

/// Garbage on the link (noise, a bad escape, an oversized frame, malformed headers: the bridge's
/// SIGUSR1 burst) is dropped and counted by the device, which keeps serving; a write too large
/// for its heap (3 KB through Block1, above its 2 KiB bound) gets 4.13 and changes nothing.
#[test]
fn mcu_device_survives_link_garbage_and_refuses_a_request_too_large() {
    let mut s = Setup::new(Peer::aiocoap(), "mcu-garbage");
    s.device.signal("USR1");
    assert!(
        s.device
            .wait_log("link dropped garbage", Duration::from_secs(10)),
        "the device did not report the garbage\n{}",
        s.device.log()
    );
    let log = s.device.log();
    assert!(
        log.contains("bad_escapes=1") && log.contains("oversized=1"),
        "the device's garbage counters: {log}"
    );
    let manufacturer = s.read("/3/0/0", TEXT);
    assert_eq!(manufacturer, "lwm2m-rs");

    let before = s.read("/3303/0/5750", TEXT);
    let huge = "x".repeat(3000);
    let reply = s.call(
        json!({"op": "write", "path": "/3303/0/5750", "content_format": TEXT, "payload": huge}),
    );
    assert_eq!(reply["code"], "4.13", "{reply}\n{}", s.device.log());
    assert_eq!(s.read("/3303/0/5750", TEXT), before);
    let records = s.read("/3303/0", SENML_CBOR);
    assert!(senml_value(&records, "/3303/0/5700").is_some(), "{records}");
}

/// A server creating Temperature instance after instance: once the device's free heap falls
/// below its reserve it answers 5.03 Service Unavailable instead of running out of memory (a
/// panic without std), keeps serving reads, and after deletes frees the heap it creates again.
#[test]
fn mcu_device_sheds_creates_before_its_heap_runs_out() {
    let mut s = Setup::new(Peer::aiocoap(), "mcu-heap");
    let create = |s: &mut Setup, instance: u16| {
        let record = Record::new(
            Path::resource(3303, instance, 5750),
            lwm2m::Value::String(format!("room {instance}")),
        );
        let tlv = codec::encode(ContentFormat::Tlv, &Path::object(3303), &[record])
            .unwrap_or_else(|e| panic!("TLV of instance {instance}: {e}"));
        let hex: String = tlv.iter().map(|b| format!("{b:02x}")).collect();
        let reply = s.call(
            json!({"op": "create", "path": "/3303", "content_format": TLV, "payload_hex": hex}),
        );
        reply["code"].as_str().unwrap_or_default().to_owned()
    };
    let mut created = Vec::new();
    let refused = loop {
        let instance = 1 + u16::try_from(created.len()).unwrap_or(u16::MAX);
        assert!(
            instance < 200,
            "200 instances and never 5.03\n{}",
            s.device.log()
        );
        match create(&mut s, instance).as_str() {
            "2.01" => created.push(instance),
            "5.03" => break instance,
            other => panic!("create /3303/{instance}: {other}\n{}", s.device.log()),
        }
    };
    assert!(
        created.len() >= 5,
        "refused already at instance {refused}: the reserve leaves no room\n{}",
        s.device.log()
    );
    // Still serving, and still itself.
    assert_eq!(s.read("/3/0/0", TEXT), "lwm2m-rs");
    assert_eq!(s.read("/3303/1/5750", TEXT), "room 1");
    for instance in created.iter().rev().take(5) {
        s.expect(
            json!({"op": "delete", "path": format!("/3303/{instance}")}),
            "2.02",
        );
    }
    assert_eq!(create(&mut s, refused), "2.01", "{}", s.device.log());
}
