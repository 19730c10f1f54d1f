//! The floor: a plain blocking UDP echo server answering each GET with a bare ACK, in a child
//! process (`lwm2m-load echo-server`) so that its CPU time is read like the client's.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, UdpSocket};

use crate::child::Peer;
use crate::coap;
use crate::driver::{self, LoadConfig};
use crate::error::{Error, Result};
use crate::stats::Summary;

/// Serves forever on `127.0.0.1:port` (0: any free port); announces `port=P` on stdout first.
pub fn echo_server(port: u16) -> Result<()> {
    let socket = UdpSocket::bind(("127.0.0.1", port))
        .map_err(|e| Error::io(format!("bind 127.0.0.1:{port}"), e))?;
    let bound = socket
        .local_addr()
        .map_err(|e| Error::io("local address", e))?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "port={}", bound.port())
        .and_then(|()| stdout.flush())
        .map_err(|e| Error::io("announce the port", e))?;
    let mut buf = [0u8; 2048];
    let mut out = [0u8; 12];
    loop {
        let (len, from) = match socket.recv_from(&mut buf) {
            Ok(received) => received,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io("receive", e)),
        };
        if let Some(answer) = coap::echo_answer(buf.get(..len).unwrap_or_default(), &mut out) {
            // A full buffer or a vanished sender: the load tool retransmits.
            let _ = socket.send_to(answer, from);
        }
    }
}

/// Starts `lwm2m-load echo-server` as a child process and runs the load against it.
pub fn run_echo(config: &LoadConfig, label: String) -> Result<Summary> {
    let exe = std::env::current_exe().map_err(|e| Error::io("find this executable", e))?;
    let command = format!("{} echo-server --port 0", exe.display());
    let mut peer = Peer::spawn(&command, true)?;
    let result = echo_port(&mut peer).and_then(|port| {
        let socket =
            UdpSocket::bind("127.0.0.1:0").map_err(|e| Error::io("bind 127.0.0.1:0", e))?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        driver::run(&socket, addr, &mut peer, config, label)
    });
    let stopped = peer.stop();
    let summary = result?;
    stopped?;
    Ok(summary)
}

/// Reads the `port=P` line the echo server prints when it is ready.
fn echo_port(peer: &mut Peer) -> Result<u16> {
    let stdout = peer
        .take_stdout()
        .ok_or_else(|| Error::EchoPort("no stdout".into()))?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| Error::io("read the echo server's port", e))?;
    line.trim()
        .strip_prefix("port=")
        .and_then(|p| p.parse::<u16>().ok())
        .ok_or_else(|| Error::EchoPort(format!("{line:?}{}", peer.describe(None))))
}
