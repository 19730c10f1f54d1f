//! `mcu-bridge`: the host side of the emulated MCU device (`examples/mcu-device/firmware`).
//!
//! ```text
//! mcu-bridge --elf PATH --server coap://HOST:PORT --endpoint NAME [--lifetime S] [--qemu BIN]
//! ```
//!
//! The device's network is a datagram link over its UART0: SLIP frames (RFC 1055) whose header
//! names a UDP peer (`mcu-link`), as a device talks to a cellular modem's socket interface.
//! The bridge plays the modem:
//!
//! 1. it resolves the server's host name (the device only takes IP literals), listens on TCP
//!    `127.0.0.1:0` and starts QEMU (`mps2-an386`) with `-serial tcp:127.0.0.1:PORT`, passing
//!    the configuration on the semihosting command line
//!    (`arg=mcu-device,arg=SERVER,arg=ENDPOINT,arg=LIFETIME`, read by the firmware with
//!    `SYS_GET_CMDLINE`); QEMU's stdout and stderr (the firmware's `hprintln!`) are the
//!    bridge's own;
//! 2. each datagram frame from the device goes out of one UDP socket (`0.0.0.0:0`, or `[::]:0`
//!    for IPv6 peers) to the frame's peer; each UDP datagram received is framed with its source
//!    address and written to the UART; the device's log frames are printed on stderr;
//! 3. SIGINT or SIGTERM sends the shutdown control frame and waits up to 10 s for QEMU to exit
//!    (then kills it; a second signal kills it at once); SIGUSR1 writes a burst of link garbage
//!    ([`garbage`]); when QEMU exits, the bridge prints one line of link statistics on stderr
//!    and exits with QEMU's exit code.
//!
//! QEMU runs in a process group of its own, so a terminal's Ctrl-C reaches the bridge only.

mod cli;
mod garbage;
mod qemu;

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::unix::process::ExitStatusExt;
use std::process::{ExitCode, ExitStatus, Stdio};
use std::time::Duration;

use mcu_link::{Decoder, Frame, LinkStats, frame_capacity};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, UdpSocket};
use tokio::process::{Child, Command};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, sleep_until};

/// How long QEMU has to connect to the UART socket.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long QEMU has to exit after the shutdown frame.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// Frames waiting to be written to the UART; a datagram arriving when it is full is dropped
/// (and counted), as a modem drops what it cannot buffer.
const UART_QUEUE: usize = 64;
/// The largest UDP payload.
const MAX_UDP: usize = 65_507;

fn main() -> ExitCode {
    let args = match cli::parse(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("mcu-bridge: {message}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("mcu-bridge: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(error) => {
            eprintln!("mcu-bridge: {error}");
            ExitCode::FAILURE
        }
    }
}

/// What the bridge counted; printed at exit.
#[derive(Debug, Default)]
struct Counters {
    /// Datagrams from the device sent to UDP peers.
    to_udp: u64,
    /// Datagrams from the device that could not be sent.
    send_errors: u64,
    /// UDP datagrams queued for the device.
    to_device: u64,
    /// UDP datagrams dropped because the UART queue was full or closed.
    dropped: u64,
    /// Log frames from the device.
    logs: u64,
    /// Garbage bursts written (SIGUSR1).
    bursts: u64,
}

/// The signals the bridge handles.
struct Signals {
    interrupt: Signal,
    terminate: Signal,
    user1: Signal,
}

impl Signals {
    fn new() -> io::Result<Self> {
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            user1: signal(SignalKind::user_defined1())?,
        })
    }
}

/// The next SIGINT or SIGTERM.
async fn stop_signal(interrupt: &mut Signal, terminate: &mut Signal) {
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
}

async fn run(args: cli::Args) -> io::Result<i32> {
    let server = resolve(&args.server).await?;
    let device_server = format!("{}://{server}", args.server.scheme());
    let firmware = qemu::firmware_args(&device_server, &args.endpoint, args.lifetime)
        .map_err(io::Error::other)?;

    let udp4 = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).await?;
    let udp6 = UdpSocket::bind((Ipv6Addr::UNSPECIFIED, 0)).await.ok();
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let uart = listener.local_addr()?;
    // Before QEMU starts, so that no signal is missed.
    let mut signals = Signals::new()?;

    let started = Instant::now();
    let mut child = Command::new(&args.qemu)
        .args(qemu::args(&args.elf, &firmware, uart))
        .stdin(Stdio::null())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| {
            io::Error::new(error.kind(), format!("cannot start {}: {error}", args.qemu))
        })?;
    eprintln!(
        "mcu-bridge: QEMU pid {} ({}), UART0 on tcp {uart}; server {device_server}; UDP on {}{}",
        child.id().unwrap_or(0),
        args.elf.display(),
        udp4.local_addr()?,
        match &udp6 {
            Some(udp6) => format!(" and {}", udp6.local_addr()?),
            None => String::new(),
        }
    );

    let stream = tokio::select! {
        accepted = listener.accept() => accepted?.0,
        status = child.wait() => {
            let status = status?;
            eprintln!("mcu-bridge: QEMU exited ({status}) before connecting to the UART socket");
            return Ok(exit_code(status));
        }
        _ = stop_signal(&mut signals.interrupt, &mut signals.terminate) => {
            eprintln!("mcu-bridge: stopped before QEMU connected; killing it");
            return kill(&mut child).await;
        }
        _ = sleep(CONNECT_TIMEOUT) => {
            kill(&mut child).await?;
            return Err(io::Error::new(io::ErrorKind::TimedOut, "QEMU did not connect to the UART socket"));
        }
    };
    drop(listener);
    stream.set_nodelay(true)?;
    let (mut reader, writer) = stream.into_split();
    let (uart_tx, uart_rx) = mpsc::channel(UART_QUEUE);
    tokio::spawn(write_uart(writer, uart_rx));

    let mut decoder: Box<Decoder<{ frame_capacity(MAX_UDP) }>> = Box::new(Decoder::new());
    let mut counters = Counters::default();
    let mut uart_buf = vec![0u8; 4096];
    let mut udp4_buf = vec![0u8; MAX_UDP];
    let mut udp6_buf = vec![0u8; MAX_UDP];
    let mut uart_open = true;
    let mut deadline: Option<Instant> = None;

    let status = loop {
        tokio::select! {
            read = reader.read(&mut uart_buf), if uart_open => match read {
                Ok(0) | Err(_) => uart_open = false,
                Ok(n) => {
                    for &byte in &uart_buf[..n] {
                        if let Some(frame) = decoder.push_frame(byte) {
                            from_device(frame, &udp4, udp6.as_ref(), &mut counters).await;
                        }
                    }
                }
            },
            received = udp4.recv_from(&mut udp4_buf) => {
                to_device(received, &udp4_buf, &uart_tx, &mut counters);
            }
            received = recv_from(udp6.as_ref(), &mut udp6_buf) => {
                to_device(received, &udp6_buf, &uart_tx, &mut counters);
            }
            _ = stop_signal(&mut signals.interrupt, &mut signals.terminate) => {
                if deadline.is_some() {
                    eprintln!("mcu-bridge: second stop signal; killing QEMU");
                    let _ = child.start_kill();
                } else {
                    eprintln!("mcu-bridge: stopping: shutdown frame sent to the device");
                    let mut frame = Vec::new();
                    mcu_link::write_shutdown(|b| frame.push(b));
                    // A closed UART (QEMU exiting) is handled by the wait below.
                    let _ = uart_tx.send(frame).await;
                    deadline = Some(Instant::now() + SHUTDOWN_GRACE);
                }
            }
            _ = signals.user1.recv() => {
                let burst = garbage::burst();
                let expected = garbage::EXPECTED;
                eprintln!(
                    "mcu-bridge: SIGUSR1: writing {} bytes of link garbage (the device should count \
                     bad_escapes +{}, oversized +{}, malformed_headers +{})",
                    burst.len(),
                    expected.bad_escapes,
                    expected.oversized,
                    expected.malformed_headers
                );
                let _ = uart_tx.send(burst).await;
                counters.bursts += 1;
            }
            _ = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                eprintln!("mcu-bridge: QEMU did not exit within {} s; killing it", SHUTDOWN_GRACE.as_secs());
                let _ = child.start_kill();
                deadline = None;
            }
            status = child.wait() => break status?,
        }
    };
    // Frames the device wrote just before exiting (QEMU has closed the socket: EOF follows).
    if uart_open {
        let drain = async {
            while let Ok(n @ 1..) = reader.read(&mut uart_buf).await {
                for &byte in &uart_buf[..n] {
                    if let Some(frame) = decoder.push_frame(byte) {
                        from_device(frame, &udp4, udp6.as_ref(), &mut counters).await;
                    }
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
    }
    report(&decoder.stats(), &counters, started.elapsed(), status);
    Ok(exit_code(status))
}

/// The server's address: the host if it is an IP literal, else its first IPv4 address (the
/// first address when it has none).
async fn resolve(server: &cli::ServerUri) -> io::Result<SocketAddr> {
    if let Ok(ip) = server.host.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, server.port));
    }
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((server.host.as_str(), server.port))
        .await
        .map_err(|error| {
            io::Error::new(
                error.kind(),
                format!("cannot resolve {}: {error}", server.host),
            )
        })?
        .collect();
    addresses
        .iter()
        .find(|a| a.is_ipv4())
        .or(addresses.first())
        .copied()
        .ok_or_else(|| io::Error::other(format!("{} has no address", server.host)))
}

/// Receives on `socket`, or never when there is none.
async fn recv_from(socket: Option<&UdpSocket>, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
    match socket {
        Some(socket) => socket.recv_from(buf).await,
        None => std::future::pending().await,
    }
}

/// Handles one frame from the device.
async fn from_device(
    frame: Frame<'_>,
    udp4: &UdpSocket,
    udp6: Option<&UdpSocket>,
    counters: &mut Counters,
) {
    match frame {
        Frame::Datagram { peer, payload } => {
            let socket = if peer.is_ipv4() { Some(udp4) } else { udp6 };
            let sent = match socket {
                Some(socket) => socket.send_to(payload, peer).await.map(|_| ()),
                None => Err(io::Error::other("no IPv6 socket")),
            };
            match sent {
                Ok(()) => counters.to_udp += 1,
                Err(error) => {
                    counters.send_errors += 1;
                    eprintln!(
                        "mcu-bridge: cannot send {} bytes to {peer}: {error}",
                        payload.len()
                    );
                }
            }
        }
        Frame::Log(text) => {
            counters.logs += 1;
            eprintln!("device: {}", String::from_utf8_lossy(text).trim_end());
        }
        Frame::Shutdown => eprintln!("mcu-bridge: ignored a shutdown frame from the device"),
    }
}

/// Queues a received UDP datagram for the device, framed with its source address.
fn to_device(
    received: io::Result<(usize, SocketAddr)>,
    buf: &[u8],
    uart: &mpsc::Sender<Vec<u8>>,
    counters: &mut Counters,
) {
    let (len, from) = match received {
        Ok(received) => received,
        Err(error) => {
            eprintln!("mcu-bridge: UDP receive: {error}");
            return;
        }
    };
    let payload = &buf[..len];
    let mut frame = Vec::with_capacity(mcu_link::MAX_HEADER_LEN + 2 + payload.len() * 2);
    mcu_link::write_datagram(from, payload, |b| frame.push(b));
    match uart.try_send(frame) {
        Ok(()) => counters.to_device += 1,
        Err(_) => counters.dropped += 1,
    }
}

/// Writes queued frames to the UART socket, one whole frame at a time.
async fn write_uart(mut writer: OwnedWriteHalf, mut frames: mpsc::Receiver<Vec<u8>>) {
    while let Some(frame) = frames.recv().await {
        if writer.write_all(&frame).await.is_err() {
            break;
        }
    }
}

/// Kills QEMU and returns its exit code.
async fn kill(child: &mut Child) -> io::Result<i32> {
    child.kill().await?;
    Ok(exit_code(child.wait().await?))
}

/// QEMU's exit code, or 128 + the signal that ended it.
fn exit_code(status: ExitStatus) -> i32 {
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

/// The statistics line printed at exit.
fn report(link: &LinkStats, counters: &Counters, elapsed: Duration, status: ExitStatus) {
    eprintln!(
        "mcu-bridge: QEMU exited ({status}) after {:.1} s; from device: {link}, logs={}; \
         datagrams device->udp={} (send errors {}), udp->device={} (dropped {}); garbage bursts={}",
        elapsed.as_secs_f64(),
        counters.logs,
        counters.to_udp,
        counters.send_errors,
        counters.to_device,
        counters.dropped,
        counters.bursts
    );
}
