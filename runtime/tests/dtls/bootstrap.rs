//! A bootstrap over `coaps://` hands over to the `coaps://` server it wrote, with real OpenSSL
//! peers: `openssl s_server` is the Bootstrap-Server (the test writes its CoAP requests into
//! its session), libcoap's `coap-rd-openssl` the LwM2M server. The device starts with its
//! Bootstrap-Server account only and the transport with no server at all: each session's
//! endpoint is made from the Security instance of its server when the client first sends to
//! it, the second from the instance the Bootstrap-Server wrote.
#![allow(clippy::unwrap_used, missing_docs)]

use lwm2m::Instant;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lwm2m::ObjectStore;
use lwm2m::client::{Client, Config};
use lwm2m::net::Driver;
use lwm2m::net::dtls::{SecureTransport, SessionReport};
use lwm2m::objects::{Device, DeviceHandler, Security};

use crate::support::*;

const ENDPOINT: &str = "bs-coaps-dev";
const SERVER_IDENTITY: &[u8] = b"bs-written-identity";
const SERVER_KEY: &str = "bs-written-key";
/// The two in base64url without padding, as SenML's `vd` carries them.
const SERVER_IDENTITY_B64: &str = "YnMtd3JpdHRlbi1pZGVudGl0eQ";
const SERVER_KEY_B64: &str = "YnMtd3JpdHRlbi1rZXk";

/// A CoAP CON request with a two-byte message ID and token, `Uri-Path` options `path`, an
/// optional SenML JSON payload (Content-Format 110): what s_server writes into its session
/// as it is (no newline; its first byte, `B`, is none of s_server's commands).
fn request(code: u8, mid: [u8; 2], token: [u8; 2], path: &[&str], senml: Option<&str>) -> Vec<u8> {
    let mut m = vec![0x42, code, mid[0], mid[1], token[0], token[1]];
    let mut last = 0;
    for segment in path {
        m.push(((11 - last) << 4) | u8::try_from(segment.len()).unwrap());
        m.extend(segment.as_bytes());
        last = 11;
    }
    if let Some(json) = senml {
        m.extend([((12 - last) << 4) | 1, 110, 0xff]);
        m.extend(json.as_bytes());
    }
    m
}

/// The start of the client's answer to such a request: ACK with the two-byte token (`b`),
/// the code, the same message ID and token.
fn answer(code: u8, mid: [u8; 2], token: [u8; 2]) -> String {
    String::from_utf8(vec![0x62, code, mid[0], mid[1], token[0], token[1]]).unwrap()
}

/// Sends `message` through s_server and waits for the client's 2.04 Changed to it.
async fn write(bs: &mut SServer, message: Vec<u8>, mid: [u8; 2], token: [u8; 2]) {
    bs.say_raw(&message);
    let changed = answer(0x44, mid, token);
    assert!(
        bs.wait_for(&changed, 5 * SECOND).await,
        "no 2.04 to {message:02x?}: {}",
        bs.output.lock().unwrap()
    );
}

#[tokio::test]
async fn a_bootstrap_over_coaps_hands_over_to_the_coaps_server_it_wrote() {
    let mut bs = SServer::start(free_udp_port(), &KEY, "PSK-AES128-CCM8").await;
    let rd = CoapServer::start_rd(free_udp_port_pair(), SERVER_KEY).await;

    let mut account = Security::bootstrap(&format!("coaps://{}", bs.addr));
    account.security_mode = Security::MODE_PSK;
    account.public_key_or_identity = IDENTITY.to_vec();
    account.secret_key = KEY.to_vec();
    let mut store = ObjectStore::new();
    store.insert(0, account, ()).unwrap();
    store
        .insert(0, Device::demo(), DeviceHandler::default())
        .unwrap();
    let mut config = Config::new(ENDPOINT, bs.addr);
    config.bootstrap_server = Some(bs.addr);
    let client = Client::new(config, store);

    let (sender, mut received) = tokio::sync::mpsc::unbounded_channel();
    let reports: Arc<Mutex<Vec<SessionReport>>> = Arc::default();
    let sink = reports.clone();
    tokio::spawn(async move {
        while let Some(report) = received.recv().await {
            sink.lock().unwrap().push(report);
        }
    });
    let transport = SecureTransport::new(any_local()).with_reports(sender);

    let registered = Arc::new(Mutex::new(None::<SocketAddr>));
    let seen = registered.clone();
    let tick = move |client: &mut Client, _now: Instant| {
        if let Some(server) = client.servers().into_iter().find(|s| s.registered) {
            *seen.lock().unwrap() = Some(server.address);
        }
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let rd_addr = rd.addr;
    let script = async {
        assert!(
            bs.wait_for(&format!("ep={ENDPOINT}"), 10 * SECOND).await,
            "no Bootstrap-Request over DTLS: {}",
            bs.output.lock().unwrap()
        );
        // The LwM2M server's account: a coaps:// URI, PSK mode, its own identity and key.
        let security = format!(
            r#"[{{"bn":"/0/1/","n":"0","vs":"coaps://{rd_addr}"}},{{"n":"1","vb":false}},{{"n":"2","v":0}},{{"n":"3","vd":"{SERVER_IDENTITY_B64}"}},{{"n":"5","vd":"{SERVER_KEY_B64}"}},{{"n":"10","v":2}}]"#,
        );
        let (mid, token) = (*b"AA", *b"t1");
        let put = request(0x03, mid, token, &["0", "1"], Some(&security));
        write(&mut bs, put, mid, token).await;
        let server = r#"[{"bn":"/1/1/","n":"0","v":2},{"n":"1","v":300},{"n":"6","vb":false},{"n":"7","vs":"U"}]"#;
        let (mid, token) = (*b"BB", *b"t2");
        let put = request(0x03, mid, token, &["1", "1"], Some(server));
        write(&mut bs, put, mid, token).await;
        // Bootstrap-Finish.
        let (mid, token) = (*b"CC", *b"t3");
        write(
            &mut bs,
            request(0x02, mid, token, &["bs"], None),
            mid,
            token,
        )
        .await;

        let give_up = Instant::now() + 15 * SECOND;
        while registered.lock().unwrap().is_none() && Instant::now() < give_up {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        stop.send(()).unwrap();
    };
    let run = Driver::new(transport)
        .with_shutdown_timeout(Duration::from_millis(500))
        .run(client, Duration::from_millis(20), tick, async {
            let _ = stopped.await;
        });
    let (client, ()) = tokio::join!(run, script);
    client.unwrap();

    let log = rd.log();
    assert_eq!(*registered.lock().unwrap(), Some(rd.addr), "{log}");
    assert!(
        log.contains(&format!(
            "psk_identity: '{}'",
            std::str::from_utf8(SERVER_IDENTITY).unwrap()
        )),
        "the server's session is under the identity the bootstrap wrote: {log}"
    );
    assert!(log.contains(&format!("Uri-Query:ep={ENDPOINT}")), "{log}");
    let reports = reports.lock().unwrap();
    let sessions: Vec<SocketAddr> = reports
        .iter()
        .filter_map(|r| match r {
            SessionReport::Established { server, .. } => Some(*server),
            _ => None,
        })
        .collect();
    assert_eq!(sessions, [bs.addr, rd.addr], "{reports:?}");
}
