//! The blocking driver against a minimal scripted server on a std socket (loopback), the
//! script on a thread of its own.

use crate::prelude::*;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use coap_lite::{
    CoapOption, ContentFormat, MessageClass, MessageType, Packet, RequestType, ResponseType,
};

use super::BlockingDriver;
use crate::client::{Client, Config, Event};
use crate::coap::TransmissionParameters;
use crate::objects::{Device, DeviceHandler, Security, Server};
use crate::store::ObjectStore;

const LIMIT: Duration = Duration::from_secs(10);

fn recv(socket: &UdpSocket) -> (Packet, SocketAddr) {
    socket.set_read_timeout(Some(LIMIT)).unwrap();
    let mut buf = [0u8; 2048];
    let (len, from) = socket
        .recv_from(&mut buf)
        .expect("the server waited too long");
    (Packet::from_bytes(&buf[..len]).unwrap(), from)
}

fn path(packet: &Packet, option: CoapOption) -> String {
    packet
        .get_option(option)
        .map(|parts| {
            parts
                .iter()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect::<Vec<_>>()
                .join("/")
        })
        .unwrap_or_default()
}

fn ack(request: &Packet, code: ResponseType) -> Packet {
    let mut response = Packet::new();
    response.header.set_type(MessageType::Acknowledgement);
    response.header.message_id = request.header.message_id;
    response.header.code = MessageClass::Response(code);
    response.set_token(request.get_token().to_vec());
    response
}

/// A confirmable GET of `/3/0/0` (the Device's Manufacturer).
fn read_manufacturer(message_id: u16, token: Vec<u8>) -> Packet {
    let mut read = Packet::new();
    read.header.set_type(MessageType::Confirmable);
    read.header.message_id = message_id;
    read.header.code = MessageClass::Request(RequestType::Get);
    read.set_token(token);
    for part in ["3", "0", "0"] {
        read.add_option(CoapOption::UriPath, part.as_bytes().to_vec());
    }
    read
}

fn send(server: &UdpSocket, packet: &Packet, to: SocketAddr) {
    server.send_to(&packet.to_bytes().unwrap(), to).unwrap();
}

/// Answers `register` with 2.01 at `/rd/7`.
fn created(server: &UdpSocket, register: &Packet, client: SocketAddr) {
    assert_eq!(
        register.header.code,
        MessageClass::Request(RequestType::Post)
    );
    assert_eq!(path(register, CoapOption::UriPath), "rd");
    let mut created = ack(register, ResponseType::Created);
    created.add_option(CoapOption::LocationPath, b"rd".to_vec());
    created.add_option(CoapOption::LocationPath, b"7".to_vec());
    send(server, &created, client);
}

/// Answers `deregister` (checked to be the `DELETE /rd/7`) with 2.02.
fn deleted(server: &UdpSocket, deregister: &Packet, client: SocketAddr) {
    assert_eq!(
        deregister.header.code,
        MessageClass::Request(RequestType::Delete)
    );
    assert_eq!(path(deregister, CoapOption::UriPath), "rd/7");
    send(server, &ack(deregister, ResponseType::Deleted), client);
}

struct Setup {
    server: UdpSocket,
    driver: BlockingDriver,
    client: Client,
    stop: Arc<AtomicBool>,
}

fn setup(shutdown_timeout: Duration, transmission: TransmissionParameters) -> Setup {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let driver = BlockingDriver::bind("127.0.0.1:0".parse().unwrap())
        .unwrap()
        .with_shutdown_timeout(shutdown_timeout);
    let mut config = Config::new("blocking-test", server.local_addr().unwrap());
    config.transmission = transmission;
    let client = Client::new(config, crate::net::tests::store());
    Setup {
        server,
        driver,
        client,
        stop: Arc::new(AtomicBool::new(false)),
    }
}

/// Runs the driver on this thread and `script` on another; the driver's result.
fn run_with<F>(setup: Setup, tick_every: Duration, ticks: &AtomicU32, script: F) -> Client
where
    F: FnOnce(UdpSocket, Arc<AtomicBool>) + Send + 'static,
{
    let Setup {
        server,
        driver,
        client,
        stop,
    } = setup;
    let flag = Arc::clone(&stop);
    let script = std::thread::spawn(move || script(server, flag));
    let started = Instant::now();
    let client = driver
        .run(
            client,
            tick_every,
            |_, _| {
                ticks.fetch_add(1, Ordering::Relaxed);
            },
            || stop.load(Ordering::Relaxed) || started.elapsed() > LIMIT,
        )
        .unwrap();
    script.join().expect("the script failed");
    assert!(started.elapsed() < LIMIT, "the driver did not stop");
    client
}

#[test]
fn registers_serves_a_read_ticks_and_deregisters_on_stop() {
    let setup = setup(Duration::from_secs(5), TransmissionParameters::default());
    let driver_addr = setup.driver.local_addr().unwrap();
    let ticks = AtomicU32::new(0);
    let client = run_with(
        setup,
        Duration::from_millis(10),
        &ticks,
        move |server, stop| {
            let (register, client_addr) = recv(&server);
            assert_eq!(client_addr, driver_addr);
            assert!(path(&register, CoapOption::UriQuery).contains("ep=blocking-test"));
            created(&server, &register, client_addr);

            let mut read = read_manufacturer(0x4242, vec![1, 2, 3]);
            read.add_option(CoapOption::Accept, vec![]);
            send(&server, &read, client_addr);
            let (answer, from) = recv(&server);
            assert_eq!(from, client_addr);
            assert_eq!(answer.header.message_id, 0x4242);
            assert_eq!(answer.get_token(), [1, 2, 3]);
            assert_eq!(
                answer.header.code,
                MessageClass::Response(ResponseType::Content)
            );
            assert_eq!(answer.get_content_format(), Some(ContentFormat::TextPlain));
            assert_eq!(answer.payload, Device::DEMO_MANUFACTURER.as_bytes());

            // The same request again (its ACK lost): the same answer, from the cache.
            send(&server, &read, client_addr);
            let (again, _) = recv(&server);
            assert_eq!(again.header.message_id, 0x4242);
            assert_eq!(again.payload, answer.payload);

            std::thread::sleep(Duration::from_millis(60));
            stop.store(true, Ordering::Relaxed);
            let (deregister, from) = recv(&server);
            assert_eq!(from, client_addr);
            deleted(&server, &deregister, client_addr);
        },
    );
    assert!(!client.is_registered());
    let ticks = ticks.load(Ordering::Relaxed);
    assert!(ticks >= 2, "ticks: {ticks}");
}

/// A burst of reads queued together (taken by one receive where the platform batches, and
/// answered in one send): every read gets its own answer, with its message id and token.
#[test]
fn a_burst_of_reads_is_answered_read_by_read() {
    const BURST: u16 = 24;
    let setup = setup(Duration::from_secs(5), TransmissionParameters::default());
    let ticks = AtomicU32::new(0);
    let client = run_with(
        setup,
        Duration::from_millis(10),
        &ticks,
        move |server, stop| {
            let (register, client_addr) = recv(&server);
            created(&server, &register, client_addr);
            // Sent back to back, while the driver still handles the 2.01: they wait together.
            for id in 0..BURST {
                let read = read_manufacturer(0x1000 + id, id.to_be_bytes().to_vec());
                send(&server, &read, client_addr);
            }
            let mut answered = Vec::new();
            for _ in 0..BURST {
                let (answer, from) = recv(&server);
                assert_eq!(from, client_addr);
                assert_eq!(
                    answer.header.code,
                    MessageClass::Response(ResponseType::Content)
                );
                assert_eq!(answer.payload, Device::DEMO_MANUFACTURER.as_bytes());
                let id = answer.header.message_id - 0x1000;
                assert_eq!(answer.get_token(), id.to_be_bytes());
                answered.push(id);
            }
            answered.sort_unstable();
            assert_eq!(answered, (0..BURST).collect::<Vec<_>>());
            stop.store(true, Ordering::Relaxed);
            let (deregister, from) = recv(&server);
            assert_eq!(from, client_addr);
            deleted(&server, &deregister, client_addr);
        },
    );
    assert!(!client.is_registered());
}

/// The Register unanswered is sent again with the same message id when the client's timer
/// runs out, the datagram waits being cut by the read timeout.
#[test]
fn an_unanswered_register_is_retransmitted_on_the_timer() {
    let transmission = TransmissionParameters {
        ack_timeout: Duration::from_millis(100),
        ack_random_factor: 1.0,
        ..TransmissionParameters::default()
    };
    let setup = setup(Duration::from_secs(5), transmission);
    let ticks = AtomicU32::new(0);
    // The first tick (1 s) comes after the retransmissions: the client's timer wakes the driver.
    let client = run_with(setup, Duration::from_secs(1), &ticks, |server, stop| {
        let (first, _) = recv(&server);
        let sent = Instant::now();
        let (second, client_addr) = recv(&server);
        let waited = sent.elapsed();
        assert_eq!(first.header.message_id, second.header.message_id);
        assert_eq!(first.get_token(), second.get_token());
        assert!(
            waited >= Duration::from_millis(80) && waited < Duration::from_millis(600),
            "{waited:?}"
        );
        // The third transmission comes twice as late.
        let (third, _) = recv(&server);
        assert_eq!(third.header.message_id, first.header.message_id);
        assert!(
            sent.elapsed() >= Duration::from_millis(250),
            "{:?}",
            sent.elapsed()
        );
        created(&server, &third, client_addr);
        std::thread::sleep(Duration::from_millis(50));
        stop.store(true, Ordering::Relaxed);
        let (deregister, _) = recv(&server);
        deleted(&server, &deregister, client_addr);
    });
    assert!(!client.is_registered());
}

#[test]
fn stop_gives_up_when_the_deregistration_is_not_answered() {
    let timeout = Duration::from_millis(300);
    let setup = setup(timeout, TransmissionParameters::default());
    let ticks = AtomicU32::new(0);
    let (stopped_at, stopped) = mpsc::channel();
    let started = Instant::now();
    let client = run_with(
        setup,
        Duration::from_secs(1),
        &ticks,
        move |server, stop| {
            let (register, client_addr) = recv(&server);
            created(&server, &register, client_addr);
            std::thread::sleep(Duration::from_millis(50));
            stopped_at.send(Instant::now()).unwrap();
            stop.store(true, Ordering::Relaxed);
            let (deregister, _) = recv(&server);
            assert_eq!(
                deregister.header.code,
                MessageClass::Request(RequestType::Delete)
            );
            // No answer.
        },
    );
    let stop = stopped.recv().unwrap();
    let elapsed = stop.elapsed();
    assert!(elapsed >= timeout, "{elapsed:?}");
    assert!(elapsed < timeout + Duration::from_secs(2), "{elapsed:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(client);
}

#[test]
fn stop_during_registration_deregisters_what_the_register_created() {
    let setup = setup(Duration::from_secs(5), TransmissionParameters::default());
    let ticks = AtomicU32::new(0);
    let client = run_with(setup, Duration::from_secs(1), &ticks, |server, stop| {
        let (register, client_addr) = recv(&server);
        stop.store(true, Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(100));
        created(&server, &register, client_addr);
        let (deregister, _) = recv(&server);
        deleted(&server, &deregister, client_addr);
    });
    assert!(!client.is_registered());
}

#[test]
fn the_application_receives_the_events_it_wants() {
    let mut setup = setup(Duration::from_secs(5), TransmissionParameters::default());
    let (events, received) = mpsc::channel();
    setup.driver = setup
        .driver
        .with_events_where(events, |e| !matches!(e, Event::Request { .. }));
    let ticks = AtomicU32::new(0);
    run_with(setup, Duration::from_secs(1), &ticks, |server, stop| {
        let (register, client_addr) = recv(&server);
        created(&server, &register, client_addr);
        let mut reboot = Packet::new();
        reboot.header.set_type(MessageType::Confirmable);
        reboot.header.message_id = 0x0404;
        reboot.header.code = MessageClass::Request(RequestType::Post);
        reboot.set_token(vec![4]);
        for part in ["3", "0", "4"] {
            reboot.add_option(CoapOption::UriPath, part.as_bytes().to_vec());
        }
        send(&server, &reboot, client_addr);
        let (answer, _) = recv(&server);
        assert_eq!(
            answer.header.code,
            MessageClass::Response(ResponseType::Changed)
        );
        stop.store(true, Ordering::Relaxed);
        let (deregister, _) = recv(&server);
        deleted(&server, &deregister, client_addr);
    });
    let seen: Vec<Event> = received.try_iter().map(|e| e.event).collect();
    assert!(
        matches!(seen.first(), Some(Event::Registered { .. })),
        "{seen:?}"
    );
    assert!(seen.contains(&Event::Rebooting), "{seen:?}");
    assert!(
        !seen.iter().any(|e| matches!(e, Event::Request { .. })),
        "{seen:?}"
    );
    assert_eq!(seen.last(), Some(&Event::Deregistered), "{seen:?}");
}

/// A `coaps://` account's datagrams never leave the plain socket; the plain server registers.
#[test]
fn the_blocking_driver_sends_nothing_to_a_coaps_server() {
    let secure = UdpSocket::bind("127.0.0.1:0").unwrap();
    let plain = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (secure_addr, plain_addr) = (secure.local_addr().unwrap(), plain.local_addr().unwrap());
    let mut store = ObjectStore::new();
    let psk = Security::psk(&format!("coaps://{secure_addr}"), 1, b"id", b"key");
    store.insert(0, psk, ()).unwrap();
    store
        .insert(1, Security::no_sec(&format!("coap://{plain_addr}"), 2), ())
        .unwrap();
    store.insert(0, Server::new(1, 60, "U"), ()).unwrap();
    store.insert(1, Server::new(2, 60, "U"), ()).unwrap();
    store
        .insert(0, Device::demo(), DeviceHandler::default())
        .unwrap();
    let client = Client::new(
        Config::new("blocking-test", secure_addr).with_server(2, plain_addr),
        store,
    );
    let driver = BlockingDriver::bind("127.0.0.1:0".parse().unwrap())
        .unwrap()
        .with_shutdown_timeout(Duration::from_millis(100));
    let setup = Setup {
        server: plain,
        driver,
        client,
        stop: Arc::new(AtomicBool::new(false)),
    };
    let ticks = AtomicU32::new(0);
    run_with(setup, Duration::from_secs(1), &ticks, |server, stop| {
        let (register, client_addr) = recv(&server);
        let mut created = ack(&register, ResponseType::Created);
        created.add_option(CoapOption::LocationPath, b"rd".to_vec());
        created.add_option(CoapOption::LocationPath, b"7".to_vec());
        send(&server, &created, client_addr);
        std::thread::sleep(Duration::from_millis(300));
        stop.store(true, Ordering::Relaxed);
    });
    secure
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut buf = [0u8; 2048];
    assert!(
        secure.recv_from(&mut buf).is_err(),
        "the coaps:// server got a datagram in the clear"
    );
}

#[test]
fn a_host_name_resolves_with_the_uri_port_and_dtls_is_refused() {
    let address = super::resolve_blocking("coap://localhost:5690").unwrap();
    assert!(address.ip().is_loopback());
    assert_eq!(address.port(), 5690);
    let err = super::resolve_blocking("coaps://127.0.0.1").unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::Unsupported);
}
