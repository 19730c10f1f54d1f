//! A lost DTLS connection, end to end against libcoap's resource directory `coap-rd-openssl`
//! through a NAT-like relay (`support::NatRelay`: each client port gets its own address
//! at the server).
//!
//! libcoap's OpenSSL servers (like `openssl s_server`) ignore a new ClientHello from an address
//! whose association they still hold, so after an outage the client cannot shake hands again
//! from its old port until the server expires the association. The transport comes back from
//! a fresh ephemeral port instead, offering the old session (an abbreviated handshake), and
//! the client then sends the server a Registration Update from the new address, so that the
//! server reaches it there (the Leshan wiki "LWM2M Devices with Dynamic IP", after LwM2M
//! Transport 1.1.1 §6.5: a new handshake, full or abbreviated, then an Update first).
//!
//! `coap-rd-openssl` answers a POST to a registration (the LwM2M Update) with 4.05 Method Not
//! Allowed, so these tests assert what the server received and from where, not what the
//! client makes of the answer.
#![allow(clippy::unwrap_used, missing_docs)]

use lwm2m::Instant;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::*;
use lwm2m::client::{Client, Config};
use lwm2m::net::dtls::{DtlsConfig, SecureTransport, SessionReport};
use lwm2m::net::{Driver, Transport};
use lwm2m::objects::{Device, DeviceHandler, Security, Server};
use lwm2m::{ObjectStore, Path};

const SECRET: &str = "reconnect-secret";
const ENDPOINT: &str = "reconnect-dev";

fn store(server: SocketAddr) -> ObjectStore {
    let mut store = ObjectStore::new();
    let security = Security::psk(&format!("coaps://{server}"), 1, IDENTITY, SECRET.as_bytes());
    store.insert(0, security, ()).unwrap();
    store.insert(0, Server::new(1, 300, "U"), ()).unwrap();
    store
        .insert(0, Device::demo(), DeviceHandler::default())
        .unwrap();
    store
}

/// What the driver's tick sees and does.
#[derive(Debug, Default)]
struct Tick {
    registered: bool,
    /// Once set, the tick sends `/3/0/0` once (a confirmable Send): its retransmissions show
    /// the client that the connection is gone (the relay drops them), and one of them brings
    /// the session back once the relay forwards again.
    poke: bool,
    poked: bool,
}

/// The CoAP requests in libcoap's log (verbosity 7), each with the client address of the
/// DTLS session it came in (the address of the last `DTLS: received` line before it).
fn requests(log: &str) -> Vec<(String, String)> {
    let mut peer = String::new();
    let mut out = Vec::new();
    for line in log.lines() {
        if line.contains("DTLS: received") {
            // "*  127.0.0.1:5684 <-> 127.0.0.1:40000 (if1) DTLS: received 52 bytes"
            if let Some(rest) = line.split("<-> ").nth(1) {
                peer = rest.split(' ').next().unwrap_or_default().to_owned();
            }
        } else if line.starts_with("v:1 t:CON") {
            out.push((peer.clone(), line.to_owned()));
        }
    }
    out
}

/// The registration location libcoap's RD gave (`Location-Path:rd, Location-Path:x`).
fn location(log: &str) -> Option<String> {
    let line = log.lines().find(|l| l.contains("c:2.01"))?;
    let rest = line.split("Location-Path:rd, Location-Path:").nth(1)?;
    Some(rest.trim_end_matches([' ', ']']).to_owned())
}

async fn until(within: Duration, mut done: impl FnMut() -> bool) -> bool {
    let give_up = Instant::now() + within;
    while !done() {
        if Instant::now() > give_up {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    true
}

/// The DTLS settings of both tests: a lost session is noticed after two unanswered
/// confirmable messages, a handshake gives up after 2 s (shorter than the outage).
fn dtls_config() -> DtlsConfig {
    let mut dtls = libcoap_config(SECRET);
    dtls.rehandshake_after_unanswered = 2;
    dtls.handshake_timeout = 2 * SECOND;
    dtls
}

#[tokio::test]
async fn after_an_outage_the_client_resumes_from_a_new_port_and_updates_its_registration() {
    let rd = CoapServer::start_rd(free_udp_port_pair(), SECRET).await;
    let relay = NatRelay::start(rd.addr).await;
    let mut transport = SecureTransport::new(any_local());
    transport
        .add(any_local(), relay.addr, dtls_config())
        .unwrap();
    outage_then_update(transport, &rd, &relay).await;
}

/// The same with the server found on demand (its key from the Security instance, the
/// settings from the transport's template): the sessions' reports show the move to a fresh
/// port and the resumed session.
#[tokio::test]
async fn a_server_found_on_demand_reports_the_reconnection_too() {
    let rd = CoapServer::start_rd(free_udp_port_pair(), SECRET).await;
    let relay = NatRelay::start(rd.addr).await;
    let (sender, mut received) = tokio::sync::mpsc::unbounded_channel();
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = reports.clone();
    tokio::spawn(async move {
        while let Some(report) = received.recv().await {
            sink.lock().unwrap().push(report);
        }
    });
    let transport = SecureTransport::new(any_local())
        .with_defaults(dtls_config())
        .with_reports(sender);
    outage_then_update(transport, &rd, &relay).await;
    let reports = reports.lock().unwrap();
    let sessions: Vec<(std::net::SocketAddr, bool)> = reports
        .iter()
        .filter_map(|r| match r {
            SessionReport::Established { local, resumed, .. } => Some(((*local)?, *resumed)),
            _ => None,
        })
        .collect();
    assert!(sessions.len() >= 2, "{reports:?}");
    let (first, last) = (sessions[0], sessions[sessions.len() - 1]);
    assert!(!first.1 && last.1, "full, then resumed: {reports:?}");
    assert_ne!(first.0.port(), last.0.port(), "{reports:?}");
    assert!(
        reports
            .iter()
            .any(|r| matches!(r, SessionReport::PortMoved { .. })),
        "{reports:?}"
    );
}

/// Registers through `relay` with `rd`, cuts the network for 6 s while a Send is on its way,
/// restores it, and checks that the client came back from a new port in a resumed session and
/// sent exactly one Update from there.
async fn outage_then_update(transport: impl Transport, rd: &CoapServer, relay: &NatRelay) {
    let mut config = Config::new(ENDPOINT, relay.addr);
    config.lifetime = Duration::from_secs(300);
    config.transmission.ack_timeout = SECOND;
    let client = Client::new(config, store(relay.addr));

    let shared = Arc::new(Mutex::new(Tick::default()));
    let seen = shared.clone();
    let tick = move |client: &mut Client, now: Instant| {
        let mut seen = seen.lock().unwrap();
        seen.registered = client.is_registered();
        if seen.poke && !seen.poked {
            seen.poked = true;
            client.send(now, &[Path::resource(3, 0, 0)]).unwrap();
        }
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = Driver::new(transport).with_shutdown_timeout(SECOND).run(
        client,
        Duration::from_millis(100),
        tick,
        async {
            let _ = stopped.await;
        },
    );
    // An Update: a POST to the registration's location `/rd/{location}` (a Register is a POST
    // to `/rd`, a Send to `/dp`).
    let is_update = |line: &str| line.contains("c:POST") && line.contains("Uri-Path:rd, Uri-Path:");
    let script = async {
        if !until(10 * SECOND, || shared.lock().unwrap().registered).await {
            stop.send(()).unwrap();
            return None;
        }
        let before = relay.mappings();
        assert_eq!(before.len(), 1, "{before:?}");
        let old_at_server = before[0].1.to_string();

        // The network goes down for longer than a handshake: the Send's retransmissions go
        // unanswered, the re-handshake they start (from a fresh port) times out. Then the
        // network comes back.
        relay.cut(true);
        let mark = relay.mark();
        shared.lock().unwrap().poke = true;
        tokio::time::sleep(6 * SECOND).await;
        relay.cut(false);

        let came_back = until(25 * SECOND, || {
            requests(&rd.log())
                .iter()
                .any(|(peer, line)| is_update(line) && *peer != old_at_server)
        })
        .await;
        stop.send(()).unwrap();
        Some((before[0], mark, came_back))
    };
    let (client, outcome) = tokio::join!(run, script);
    client.unwrap();
    let Some(((old_client, old_at_server), mark, came_back)) = outcome else {
        panic!("not registered: {}", rd.log());
    };
    let log = rd.log();
    let all = requests(&log);
    assert!(came_back, "no Update from a new address: {all:#?}");

    // The Register came from the first address; exactly one Update came, from a new address
    // at the server, which belongs to a new local port of the client (the relay maps each
    // client port to its own address at the server).
    let register = all
        .iter()
        .find(|(_, l)| l.contains("Uri-Query:ep="))
        .unwrap();
    assert_eq!(register.0, old_at_server.to_string(), "{all:#?}");
    let updates: Vec<_> = all.iter().filter(|(_, l)| is_update(l)).collect();
    assert_eq!(updates.len(), 1, "{all:#?}");
    let (update_from, update) = updates[0];
    let mappings = relay.mappings();
    let (new_client, _) = mappings
        .iter()
        .find(|(_, at_server)| at_server.to_string() == *update_from)
        .unwrap_or_else(|| panic!("{update_from} not in {mappings:?}"));
    assert_eq!(new_client.ip(), old_client.ip());
    assert_ne!(new_client.port(), old_client.port(), "{mappings:?}");
    // To the registration's location, without parameters or payload: only the address
    // changed (Core §6.2.2: an Update carries only what changed).
    let registration = location(&log).unwrap_or_else(|| panic!("no location: {log}"));
    assert!(
        update.contains(&format!("Uri-Path:rd, Uri-Path:{registration} ]")),
        "{update}"
    );
    assert!(
        !update.contains("Uri-Query") && !update.contains(" :: "),
        "{update}"
    );

    // The new session resumed the old one: an abbreviated handshake on the wire (the server
    // echoed the session offered, no key exchange).
    assert_abbreviated_handshake(&relay.since(mark));
    assert_only_dtls_from_client(&relay.capture, ENDPOINT.as_bytes());
}
