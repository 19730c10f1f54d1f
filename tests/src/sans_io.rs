//! Driving the sans-IO [`Client`] over a real, blocking UDP socket, for end-to-end tests that
//! talk to a real server without the tokio driver.

use lwm2m::Instant;
use std::io::ErrorKind;
use std::net::UdpSocket;
use std::time::Duration;

use lwm2m::client::{Client, Event};

/// Moves datagrams and time between `client` and `socket` until an event satisfies `done`;
/// returns it and the sizes of the datagrams the client sent meanwhile. Panics after `timeout`.
pub fn pump(
    client: &mut Client,
    socket: &UdpSocket,
    timeout: Duration,
    done: impl Fn(&Event) -> bool,
) -> (Event, Vec<usize>) {
    let deadline = Instant::now() + timeout;
    let mut buf = [0u8; 2048];
    let mut sizes = Vec::new();
    loop {
        assert!(
            Instant::now() < deadline,
            "no matching event within {timeout:?}"
        );
        while let Some(transmit) = client.poll_transmit() {
            sizes.push(transmit.bytes.len());
            socket
                .send_to(&transmit.bytes, transmit.to)
                .expect("send_to");
        }
        while let Some(event) = client.poll_event() {
            if done(&event) {
                return (event, sizes);
            }
        }
        let now = Instant::now();
        let wait = client
            .poll_timeout()
            .map_or(Duration::from_millis(100), |at| {
                at.saturating_duration_since(now)
            })
            .clamp(Duration::from_millis(1), Duration::from_millis(100));
        socket.set_read_timeout(Some(wait)).expect("read timeout");
        match socket.recv_from(&mut buf) {
            Ok((len, from)) => {
                client.handle_datagram(Instant::now(), from, buf.get(..len).unwrap_or(&[]))
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                client.handle_timeout(Instant::now());
            }
            Err(e) => panic!("recv_from: {e}"),
        }
    }
}
