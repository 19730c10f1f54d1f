//! The driver against a minimal scripted server on a raw tokio socket (loopback).

use crate::Instant;
use crate::prelude::*;
use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use coap_lite::{
    CoapOption, ContentFormat, MessageClass, MessageType, Packet, RequestType, ResponseType,
};
use tokio::net::UdpSocket;
use tokio::sync::oneshot;

use super::UdpDriver;
use crate::client::{Client, Config};
use crate::objects::{Device, DeviceHandler, Security, Server};
use crate::store::ObjectStore;

const LIMIT: Duration = Duration::from_secs(10);

/// The smallest store a registering client needs: Security, Server and Device instances.
pub(crate) fn store() -> ObjectStore {
    let mut store = ObjectStore::new();
    store
        .insert(0, Security::no_sec("coap://127.0.0.1", 1), ())
        .unwrap();
    store.insert(0, Server::new(1, 60, "U"), ()).unwrap();
    store
        .insert(0, Device::demo(), DeviceHandler::default())
        .unwrap();
    store
}

async fn recv(socket: &UdpSocket) -> (Packet, SocketAddr) {
    let mut buf = [0u8; 2048];
    let (len, from) = tokio::time::timeout(LIMIT, socket.recv_from(&mut buf))
        .await
        .expect("the server waited too long")
        .unwrap();
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

/// The piggy-backed ACK of `request` with `code`.
fn ack(request: &Packet, code: ResponseType) -> Packet {
    let mut response = Packet::new();
    response.header.set_type(MessageType::Acknowledgement);
    response.header.message_id = request.header.message_id;
    response.header.code = MessageClass::Response(code);
    response.set_token(request.get_token().to_vec());
    response
}

/// Receives the Register and accepts it at `/rd/7`; the client's address.
async fn accept_registration(server: &UdpSocket) -> SocketAddr {
    let (register, client) = recv(server).await;
    assert_eq!(
        register.header.code,
        MessageClass::Request(RequestType::Post)
    );
    assert_eq!(path(&register, CoapOption::UriPath), "rd");
    let query = path(&register, CoapOption::UriQuery);
    assert!(query.contains("ep=driver-test"), "{query}");
    let mut created = ack(&register, ResponseType::Created);
    created.add_option(CoapOption::LocationPath, b"rd".to_vec());
    created.add_option(CoapOption::LocationPath, b"7".to_vec());
    server
        .send_to(&created.to_bytes().unwrap(), client)
        .await
        .unwrap();
    client
}

async fn setup(shutdown_timeout: Duration) -> (UdpSocket, UdpDriver, Client) {
    let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let driver = UdpDriver::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
        .with_shutdown_timeout(shutdown_timeout);
    let config = Config::new("driver-test", server.local_addr().unwrap());
    let client = Client::new(config, store());
    (server, driver, client)
}

#[tokio::test]
async fn registers_serves_a_read_ticks_and_deregisters_on_shutdown() {
    let (server, driver, client) = setup(Duration::from_secs(5)).await;
    let driver_addr = driver.local_addr().unwrap();
    let ticks = Rc::new(Cell::new(0u32));
    let counted = Rc::clone(&ticks);
    let (stop, stopped) = oneshot::channel::<()>();

    let script = async {
        let client_addr = accept_registration(&server).await;
        assert_eq!(
            client_addr, driver_addr,
            "Register comes from the driver's socket"
        );

        // A server request to the same socket is answered from it.
        let mut read = Packet::new();
        read.header.set_type(MessageType::Confirmable);
        read.header.message_id = 0x4242;
        read.header.code = MessageClass::Request(RequestType::Get);
        read.set_token(vec![1, 2, 3]);
        for part in ["3", "0", "0"] {
            read.add_option(CoapOption::UriPath, part.as_bytes().to_vec());
        }
        read.add_option(CoapOption::Accept, vec![]); // text/plain, minimal encoding
        server
            .send_to(&read.to_bytes().unwrap(), client_addr)
            .await
            .unwrap();
        let (answer, from) = recv(&server).await;
        assert_eq!(from, client_addr);
        assert_eq!(answer.header.message_id, 0x4242);
        assert_eq!(answer.get_token(), [1, 2, 3]);
        assert_eq!(
            answer.header.code,
            MessageClass::Response(ResponseType::Content)
        );
        assert_eq!(answer.get_content_format(), Some(ContentFormat::TextPlain));
        assert_eq!(answer.payload, Device::DEMO_MANUFACTURER.as_bytes());

        tokio::time::sleep(Duration::from_millis(60)).await;
        stop.send(()).unwrap();

        let (deregister, from) = recv(&server).await;
        assert_eq!(from, client_addr);
        assert_eq!(
            deregister.header.code,
            MessageClass::Request(RequestType::Delete)
        );
        assert_eq!(path(&deregister, CoapOption::UriPath), "rd/7");
        let deleted = ack(&deregister, ResponseType::Deleted);
        server
            .send_to(&deleted.to_bytes().unwrap(), client_addr)
            .await
            .unwrap();
    };
    let run = driver.run(
        client,
        Duration::from_millis(10),
        move |_client, _now| counted.set(counted.get() + 1),
        async {
            let _ = stopped.await;
        },
    );
    let (client, ()) = tokio::time::timeout(LIMIT, async { tokio::join!(run, script) })
        .await
        .expect("the driver did not stop");
    let client = client.unwrap();
    assert!(!client.is_registered());
    assert!(ticks.get() >= 2, "ticks: {}", ticks.get());
}

#[tokio::test]
async fn shutdown_gives_up_when_the_deregistration_is_not_answered() {
    let timeout = Duration::from_millis(300);
    let (server, driver, client) = setup(timeout).await;
    let (stop, stopped) = oneshot::channel::<()>();
    let script = async {
        accept_registration(&server).await;
        // Let the 2.01 arrive before shutdown.
        tokio::time::sleep(Duration::from_millis(50)).await;
        stop.send(()).unwrap();
        let (deregister, _) = recv(&server).await;
        assert_eq!(
            deregister.header.code,
            MessageClass::Request(RequestType::Delete)
        );
        // No answer.
    };
    let run = driver.run(client, Duration::from_secs(1), |_, _| {}, async {
        let _ = stopped.await;
    });
    let started = Instant::now();
    let (client, ()) = tokio::time::timeout(LIMIT, async { tokio::join!(run, script) })
        .await
        .expect("the driver did not give up");
    assert!(client.is_ok());
    let elapsed = started.elapsed();
    assert!(elapsed >= timeout, "{elapsed:?}");
    assert!(elapsed < timeout + Duration::from_secs(2), "{elapsed:?}");
}

#[tokio::test]
async fn shutdown_during_registration_deregisters_what_the_register_created() {
    // SIGTERM can come while the Register is on its way: the server may already have created
    // the registration, so the client must wait for the answer and then deregister it.
    let (server, driver, client) = setup(Duration::from_secs(5)).await;
    let (stop, stopped) = oneshot::channel::<()>();
    let script = async {
        let (register, client_addr) = recv(&server).await;
        stop.send(()).unwrap();
        // Answer only after the shutdown has begun.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut created = ack(&register, ResponseType::Created);
        created.add_option(CoapOption::LocationPath, b"rd".to_vec());
        created.add_option(CoapOption::LocationPath, b"9".to_vec());
        server
            .send_to(&created.to_bytes().unwrap(), client_addr)
            .await
            .unwrap();
        let (deregister, _) = recv(&server).await;
        assert_eq!(
            deregister.header.code,
            MessageClass::Request(RequestType::Delete)
        );
        assert_eq!(path(&deregister, CoapOption::UriPath), "rd/9");
        let deleted = ack(&deregister, ResponseType::Deleted);
        server
            .send_to(&deleted.to_bytes().unwrap(), client_addr)
            .await
            .unwrap();
    };
    let run = driver.run(client, Duration::from_secs(1), |_, _| {}, async {
        let _ = stopped.await;
    });
    let started = Instant::now();
    let (client, ()) = tokio::time::timeout(LIMIT, async { tokio::join!(run, script) })
        .await
        .expect("the driver did not stop");
    assert!(!client.unwrap().is_registered());
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn shutdown_while_waiting_to_retry_registration_returns_at_once() {
    // Nothing is in flight once the Register is refused: the client is simply done.
    let (server, driver, client) = setup(Duration::from_secs(5)).await;
    let (stop, stopped) = oneshot::channel::<()>();
    let script = async {
        let (register, client_addr) = recv(&server).await;
        let refused = ack(&register, ResponseType::Forbidden);
        server
            .send_to(&refused.to_bytes().unwrap(), client_addr)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.send(()).unwrap();
    };
    let run = driver.run(client, Duration::from_secs(1), |_, _| {}, async {
        let _ = stopped.await;
    });
    let started = Instant::now();
    let (client, ()) = tokio::time::timeout(LIMIT, async { tokio::join!(run, script) })
        .await
        .expect("the driver did not stop");
    assert!(!client.unwrap().is_registered());
    assert!(started.elapsed() < Duration::from_secs(2));
}

/// A UDP socket whose session changes are pushed by the test: how a secure transport reports
/// a re-established session to the driver.
struct ChangingSocket {
    socket: UdpSocket,
    changes: std::sync::Arc<std::sync::Mutex<Vec<super::TransportChange>>>,
}

impl super::Transport for ChangingSocket {
    async fn send_to(&mut self, bytes: &[u8], to: SocketAddr) -> std::io::Result<()> {
        self.socket.send_to(bytes, to).await.map(|_| ())
    }

    async fn recv_from(&mut self, buf: &mut [u8]) -> std::io::Result<(usize, SocketAddr)> {
        self.socket.recv_from(buf).await
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    fn poll_change(&mut self) -> Option<super::TransportChange> {
        self.changes.lock().unwrap().pop()
    }
}

#[tokio::test]
async fn a_reported_session_change_makes_the_driver_send_one_update() {
    let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let server_addr = server.local_addr().unwrap();
    let changes = std::sync::Arc::default();
    let transport = ChangingSocket {
        socket: UdpSocket::bind("127.0.0.1:0").await.unwrap(),
        changes: std::sync::Arc::clone(&changes),
    };
    let driver = super::Driver::new(transport).with_shutdown_timeout(Duration::from_millis(200));
    let client = Client::new(Config::new("driver-test", server_addr), store());
    let (stop, stopped) = oneshot::channel::<()>();
    let script = async {
        let client_addr = accept_registration(&server).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        // Another server's change is not this server's business.
        let elsewhere = SocketAddr::from(([127, 0, 0, 1], 9));
        changes.lock().unwrap().push(super::TransportChange::new(
            elsewhere,
            Some(client_addr),
            true,
            true,
        ));
        changes.lock().unwrap().push(super::TransportChange::new(
            server_addr,
            Some(client_addr),
            true,
            true,
        ));
        let (update, _) = recv(&server).await;
        assert_eq!(update.header.code, MessageClass::Request(RequestType::Post));
        assert_eq!(path(&update, CoapOption::UriPath), "rd/7");
        server
            .send_to(
                &ack(&update, ResponseType::Changed).to_bytes().unwrap(),
                client_addr,
            )
            .await
            .unwrap();
        stop.send(()).unwrap();
        // Next comes the Deregister: no second Update came before it.
        let (deregister, _) = recv(&server).await;
        assert_eq!(
            deregister.header.code,
            MessageClass::Request(RequestType::Delete)
        );
    };
    let run = driver.run(client, Duration::from_millis(10), |_, _| {}, async {
        let _ = stopped.await;
    });
    let (client, ()) = tokio::time::timeout(LIMIT, async { tokio::join!(run, script) })
        .await
        .expect("the driver did not stop");
    assert!(client.is_ok());
    assert!(changes.lock().unwrap().is_empty());
}

/// The UDP transport with its batch calls counted: the number of datagrams each send call
/// (`try_send_batch` that sent some, or `send_to`) and each `try_recv_batch` moved.
struct CountingSocket {
    socket: UdpSocket,
    sends: std::sync::Arc<std::sync::Mutex<Vec<usize>>>,
    receives: std::sync::Arc<std::sync::Mutex<Vec<usize>>>,
}

impl super::Transport for CountingSocket {
    async fn send_to(&mut self, bytes: &[u8], to: SocketAddr) -> std::io::Result<()> {
        self.sends.lock().unwrap().push(1);
        super::Transport::send_to(&mut self.socket, bytes, to).await
    }

    async fn recv_from(&mut self, buf: &mut [u8]) -> std::io::Result<(usize, SocketAddr)> {
        super::Transport::recv_from(&mut self.socket, buf).await
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    fn wait_datagram(
        &mut self,
        batch: &mut super::RecvBatch,
    ) -> impl Future<Output = std::io::Result<()>> + Send {
        super::Transport::wait_datagram(&mut self.socket, batch)
    }

    fn try_recv_batch(&mut self, batch: &mut super::RecvBatch) -> std::io::Result<()> {
        let before = batch.len();
        let result = super::Transport::try_recv_batch(&mut self.socket, batch);
        self.receives.lock().unwrap().push(batch.len() - before);
        result
    }

    fn try_send_batch(&mut self, transmits: &[crate::client::Transmit]) -> std::io::Result<usize> {
        let result = super::Transport::try_send_batch(&mut self.socket, transmits);
        if let Ok(sent @ 1..) = result {
            self.sends.lock().unwrap().push(sent);
        }
        result
    }
}

/// A confirmable GET of `/3/0/0` with message id `1000 + n` and token `n`.
fn numbered_read(n: u16) -> Packet {
    let mut read = Packet::new();
    read.header.set_type(MessageType::Confirmable);
    read.header.message_id = 1000 + n;
    read.header.code = MessageClass::Request(RequestType::Get);
    read.set_token(n.to_be_bytes().to_vec());
    for part in ["3", "0", "0"] {
        read.add_option(CoapOption::UriPath, part.as_bytes().to_vec());
    }
    read
}

/// Sends `burst` reads at once (before the driver can look) and checks that each is answered
/// once with its own message id and token.
async fn serve_a_burst(server: &UdpSocket, client_addr: SocketAddr, burst: u16) {
    for n in 0..burst {
        server
            .send_to(&numbered_read(n).to_bytes().unwrap(), client_addr)
            .await
            .unwrap();
    }
    let mut answered = std::collections::HashSet::new();
    while answered.len() < usize::from(burst) {
        let (response, _) = recv(server).await;
        assert_eq!(response.header.get_type(), MessageType::Acknowledgement);
        assert_eq!(
            response.header.code,
            MessageClass::Response(ResponseType::Content)
        );
        let n = response.header.message_id - 1000;
        assert_eq!(response.get_token(), n.to_be_bytes());
        assert!(answered.insert(n), "request {n} answered twice");
    }
}

/// With `recvmmsg` and `sendmmsg`/UDP GSO, a burst of reads that wait together in the socket
/// is read by fewer receive calls than reads, and answered by fewer send calls than reads: more
/// than one answer goes to one system call. (A driver that sent its answers one by one would
/// make a send call per read.)
#[cfg(any(target_os = "linux", target_os = "android"))]
#[tokio::test]
async fn a_burst_of_reads_is_answered_with_fewer_send_calls_than_reads() {
    const BURST: u16 = 16;
    let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let sends = std::sync::Arc::default();
    let receives = std::sync::Arc::default();
    let transport = CountingSocket {
        socket: UdpSocket::bind("127.0.0.1:0").await.unwrap(),
        sends: std::sync::Arc::clone(&sends),
        receives: std::sync::Arc::clone(&receives),
    };
    let driver = super::Driver::new(transport).with_shutdown_timeout(Duration::from_millis(50));
    let client = Client::new(
        Config::new("driver-test", server.local_addr().unwrap()),
        store(),
    );
    let (stop, stopped) = oneshot::channel::<()>();
    let counted = async {
        let client_addr = accept_registration(&server).await;
        // Let the 2.01 be received and handled before the burst.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let sent_before = sends.lock().unwrap().len();
        let received_before = receives.lock().unwrap().len();
        serve_a_burst(&server, client_addr, BURST).await;
        stop.send(()).unwrap();
        let sends = sends.lock().unwrap()[sent_before..].to_vec();
        let receives = receives.lock().unwrap()[received_before..].to_vec();
        (sends, receives)
    };
    let run = driver.run(client, Duration::from_secs(1), |_, _| {}, async {
        let _ = stopped.await;
    });
    let (client, (sends, receives)) =
        tokio::time::timeout(LIMIT, async { tokio::join!(run, counted) })
            .await
            .expect("the driver did not stop");
    assert!(client.is_ok());
    assert_eq!(sends.iter().sum::<usize>(), usize::from(BURST), "{sends:?}");
    assert!(
        sends.len() < usize::from(BURST),
        "{} send calls for {BURST} answers: {sends:?}",
        sends.len()
    );
    assert!(
        sends.iter().any(|&n| n > 1),
        "no send call took more than one datagram: {sends:?}"
    );
    assert_eq!(
        receives.iter().sum::<usize>(),
        usize::from(BURST),
        "{receives:?}"
    );
    assert!(
        receives.iter().filter(|&&n| n > 0).count() < usize::from(BURST),
        "one receive call per read: {receives:?}"
    );
}

/// A transport that batches nothing (only `send_to` and `recv_from`, as a DTLS session) goes
/// through the driver's one-at-a-time fallback: a burst beyond one batch is answered exactly
/// once each, and every answer goes through its own `send_to`.
#[tokio::test]
async fn a_transport_without_batches_answers_a_burst_one_datagram_at_a_time() {
    const BURST: u16 = 40;
    let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let transport = ChangingSocket {
        socket: UdpSocket::bind("127.0.0.1:0").await.unwrap(),
        changes: std::sync::Arc::default(),
    };
    let driver = super::Driver::new(transport).with_shutdown_timeout(Duration::from_millis(50));
    let client = Client::new(
        Config::new("driver-test", server.local_addr().unwrap()),
        store(),
    );
    let (stop, stopped) = oneshot::channel::<()>();
    let script = async {
        let client_addr = accept_registration(&server).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        serve_a_burst(&server, client_addr, BURST).await;
        stop.send(()).unwrap();
    };
    let run = driver.run(client, Duration::from_secs(1), |_, _| {}, async {
        let _ = stopped.await;
    });
    let (client, ()) = tokio::time::timeout(LIMIT, async { tokio::join!(run, script) })
        .await
        .expect("the driver did not stop");
    assert!(client.is_ok());
}

/// `with_events` hands the application every event: here the registration, the Reboot a
/// server executes (answered first), and the deregistration at shutdown.
#[tokio::test]
async fn the_application_receives_every_client_event() {
    let (server, driver, client) = setup(Duration::from_secs(5)).await;
    let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
    let driver = driver.with_events(events);
    let (stop, stopped) = oneshot::channel::<()>();
    let script = async {
        let client_addr = accept_registration(&server).await;
        let mut reboot = Packet::new();
        reboot.header.set_type(MessageType::Confirmable);
        reboot.header.message_id = 0x0404;
        reboot.header.code = MessageClass::Request(RequestType::Post);
        reboot.set_token(vec![4]);
        for part in ["3", "0", "4"] {
            reboot.add_option(CoapOption::UriPath, part.as_bytes().to_vec());
        }
        server
            .send_to(&reboot.to_bytes().unwrap(), client_addr)
            .await
            .unwrap();
        let (answer, _) = recv(&server).await;
        assert_eq!(
            answer.header.code,
            MessageClass::Response(ResponseType::Changed)
        );
        stop.send(()).unwrap();
        let (deregister, _) = recv(&server).await;
        let deleted = ack(&deregister, ResponseType::Deleted);
        server
            .send_to(&deleted.to_bytes().unwrap(), client_addr)
            .await
            .unwrap();
    };
    let run = driver.run(client, Duration::from_secs(1), |_, _| {}, async {
        let _ = stopped.await;
    });
    let (client, ()) = tokio::time::timeout(LIMIT, async { tokio::join!(run, script) })
        .await
        .expect("the driver did not stop");
    client.unwrap();
    let mut seen = Vec::new();
    while let Ok(event) = received.try_recv() {
        seen.push(event.event);
    }
    use crate::client::Event;
    assert!(
        matches!(seen.first(), Some(Event::Registered { .. })),
        "{seen:?}"
    );
    assert!(seen.contains(&Event::Rebooting), "{seen:?}");
    assert_eq!(seen.last(), Some(&Event::Deregistered), "{seen:?}");
}

/// `with_events_where` hands over only the events its filter accepts.
#[tokio::test]
async fn a_filter_picks_the_events_the_application_wants() {
    let (server, driver, client) = setup(Duration::from_secs(5)).await;
    let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
    let driver =
        driver.with_events_where(events, |e| matches!(e, crate::client::Event::Deregistered));
    let (stop, stopped) = oneshot::channel::<()>();
    let script = async {
        let client_addr = accept_registration(&server).await;
        stop.send(()).unwrap();
        let (deregister, _) = recv(&server).await;
        let deleted = ack(&deregister, ResponseType::Deleted);
        server
            .send_to(&deleted.to_bytes().unwrap(), client_addr)
            .await
            .unwrap();
    };
    let run = driver.run(client, Duration::from_secs(1), |_, _| {}, async {
        let _ = stopped.await;
    });
    let (client, ()) = tokio::time::timeout(LIMIT, async { tokio::join!(run, script) })
        .await
        .expect("the driver did not stop");
    client.unwrap();
    let mut seen = Vec::new();
    while let Ok(event) = received.try_recv() {
        seen.push(event.event);
    }
    assert_eq!(seen, [crate::client::Event::Deregistered]);
}

/// A transport that secures nothing never carries a `coaps://` server's datagrams: the plain
/// driver drops them (and logs it) instead of registering in the clear, while the plain server
/// of the same client registers as usual.
#[tokio::test]
async fn the_plain_driver_sends_nothing_to_a_coaps_server() {
    let secure = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let plain = UdpSocket::bind("127.0.0.1:0").await.unwrap();
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
        Config::new("driver-test", secure_addr).with_server(2, plain_addr),
        store,
    );
    let driver = UdpDriver::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
        .with_shutdown_timeout(Duration::from_millis(100));
    let (stop, stopped) = oneshot::channel::<()>();
    let script = async {
        accept_registration(&plain).await;
        // Well past the Register's first transmission to the coaps:// server.
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.send(()).unwrap();
    };
    let run = driver.run(client, Duration::from_secs(1), |_, _| {}, async {
        let _ = stopped.await;
    });
    let (client, ()) = tokio::join!(run, script);
    client.unwrap();
    let mut buf = [0u8; 2048];
    let nothing =
        tokio::time::timeout(Duration::from_millis(100), secure.recv_from(&mut buf)).await;
    assert!(
        nothing.is_err(),
        "the coaps:// server got a datagram in the clear"
    );
}
