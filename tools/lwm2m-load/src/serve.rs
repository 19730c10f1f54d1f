//! `serve-client`: the tool as the LwM2M server of a client process it starts itself.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use crate::child::Peer;
use crate::coap::{self, Head, Registration};
use crate::driver::{self, LoadConfig};
use crate::error::{Error, Result};
use crate::stats::Summary;

/// How long the client has to register after it is started, by default.
pub const REGISTER_WITHIN: Duration = Duration::from_secs(10);

/// Binds a loopback socket, starts `client_cmd` (with `{port}` replaced by the socket's port),
/// answers its Register (which must come within `register_within`), runs the load and stops
/// the client.
pub fn serve_client(
    client_cmd: &str,
    config: &LoadConfig,
    label: String,
    register_within: Duration,
) -> Result<Summary> {
    let socket = UdpSocket::bind("127.0.0.1:0").map_err(|e| Error::io("bind 127.0.0.1:0", e))?;
    let port = socket
        .local_addr()
        .map_err(|e| Error::io("local address", e))?
        .port();
    let command = client_cmd.replace("{port}", &port.to_string());
    let mut peer = Peer::spawn(&command, false)?;
    let result = wait_for_register(&socket, &mut peer, register_within)
        .and_then(|client| driver::run(&socket, client, &mut peer, config, label));
    let stopped = peer.stop();
    let summary = result?;
    stopped?;
    Ok(summary)
}

/// Answers the client's requests until it registers; returns its address.
fn wait_for_register(
    socket: &UdpSocket,
    peer: &mut Peer,
    register_within: Duration,
) -> Result<SocketAddr> {
    socket
        .set_read_timeout(Some(Duration::from_millis(50)))
        .map_err(|e| Error::io("set the socket timeout", e))?;
    let started = Instant::now();
    let mut buf = vec![0u8; 2048];
    let mut mid = 1u16;
    while started.elapsed() < register_within {
        match socket.recv_from(&mut buf) {
            Ok((len, from)) => {
                let datagram = buf.get(..len).unwrap_or_default();
                if !Head::parse(datagram).is_some_and(|h| h.is_request()) {
                    continue;
                }
                if let Some((what, answer)) = coap::answer_registration(datagram, mid) {
                    mid = mid.wrapping_add(1);
                    socket
                        .send_to(&answer, from)
                        .map_err(|e| Error::io("answer the client", e))?;
                    if what == Registration::Register {
                        return Ok(from);
                    }
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if let Some(detail) = peer.exited() {
                    return Err(Error::NoRegister {
                        waited: started.elapsed(),
                        detail,
                    });
                }
            }
            Err(e) => return Err(Error::io("receive", e)),
        }
    }
    Err(Error::NoRegister {
        waited: started.elapsed(),
        detail: peer.describe(None),
    })
}
