//! [`Driver`]: runs a [`Client`] on one datagram [`Transport`]; [`UdpDriver`] on a tokio UDP
//! socket.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::time::MissedTickBehavior;

use crate::client::{Client, Event};
use crate::net::events::log_event;
use crate::net::transport::Transport;

/// The largest UDP payload (IPv4: 65535 - 20 - 8): a receive buffer this large never truncates.
const MAX_DATAGRAM: usize = 65_507;

/// The shortest application tick; a shorter `tick_every` is raised to this.
const MIN_TICK: Duration = Duration::from_millis(1);

/// Runs a [`Client`] on one datagram [`Transport`] that carries both directions: see the
/// [module documentation](crate::net).
#[derive(Debug)]
pub struct Driver<T = UdpSocket> {
    socket: T,
    shutdown_timeout: Duration,
}

/// The driver of plain CoAP over UDP (`coap://`).
pub type UdpDriver = Driver<UdpSocket>;

impl UdpDriver {
    /// Binds the socket to `local` (port 0: any free port).
    pub async fn bind(local: SocketAddr) -> io::Result<UdpDriver> {
        Ok(UdpDriver::from_socket(UdpSocket::bind(local).await?))
    }

    /// A driver on a socket bound elsewhere.
    pub fn from_socket(socket: UdpSocket) -> UdpDriver {
        Driver::new(socket)
    }
}

impl<T: Transport> Driver<T> {
    /// How long [`run`](Self::run) waits for the Deregister's answer after shutdown, by default:
    /// the RFC 7252 `MAX_TRANSMIT_WAIT` (93 s) is far too long for a process being stopped, so
    /// a few seconds (time for the first transmission and one retransmission).
    pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

    /// A driver on any datagram transport, such as a DTLS session (feature `dtls`).
    pub fn new(transport: T) -> Driver<T> {
        Driver {
            socket: transport,
            shutdown_timeout: Self::DEFAULT_SHUTDOWN_TIMEOUT,
        }
    }

    /// The transport, for example to inspect a DTLS session after a run.
    pub fn transport(&self) -> &T {
        &self.socket
    }

    /// Sets how long [`run`](Self::run) waits, after shutdown, for the Deregister to be answered.
    pub fn with_shutdown_timeout(mut self, timeout: Duration) -> Driver<T> {
        self.shutdown_timeout = timeout;
        self
    }

    /// The socket's local address (the client's address as the server sees it, on loopback).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Starts `client` and drives it until `shutdown` completes, then deregisters and returns the
    /// client.
    ///
    /// Each turn waits for the first of: a datagram (given to
    /// [`Client::handle_datagram`]), the client's [`poll_timeout`](Client::poll_timeout)
    /// ([`Client::handle_timeout`]), the application tick every `tick_every` (`tick(&mut client,
    /// now)`, where the device updates values and calls [`Client::resource_changed`]) or
    /// `shutdown`. After each, every datagram of [`Client::poll_transmit`] is sent and every
    /// [`Event`] logged ([`log_event`]).
    ///
    /// On shutdown, a registered client is told to [`deregister`](Client::deregister) and driven
    /// until [`Event::Deregistered`] or the shutdown timeout
    /// ([`DEFAULT_SHUTDOWN_TIMEOUT`](Self::DEFAULT_SHUTDOWN_TIMEOUT) unless
    /// [`with_shutdown_timeout`](Self::with_shutdown_timeout)), whichever comes first.
    ///
    /// A failed send is logged and treated as a lost datagram (CoAP retransmits); an error
    /// receiving from the socket, other than an ICMP report of an unreachable peer, ends the run
    /// with that error.
    pub async fn run<F, S>(
        mut self,
        mut client: Client,
        tick_every: Duration,
        mut tick: F,
        shutdown: S,
    ) -> io::Result<Client>
    where
        F: FnMut(&mut Client, Instant),
        S: Future<Output = ()>,
    {
        let mut buf = vec![0u8; MAX_DATAGRAM];
        let tick_every = tick_every.max(MIN_TICK);
        let mut ticker =
            tokio::time::interval_at(tokio::time::Instant::now() + tick_every, tick_every);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        tokio::pin!(shutdown);

        if let Ok(local) = self.socket.local_addr() {
            tracing::info!(%local, "client started");
        }
        client.start(Instant::now());
        self.flush(&mut client).await;

        loop {
            let deadline = client.poll_timeout();
            tokio::select! {
                received = self.socket.recv_from(&mut buf) => {
                    self.received(&mut client, received, &buf)?;
                }
                () = sleep_until(deadline) => client.handle_timeout(Instant::now()),
                _ = ticker.tick() => tick(&mut client, Instant::now()),
                () = &mut shutdown => break,
            }
            self.flush(&mut client).await;
        }

        self.deregister(&mut client, &mut buf).await?;
        Ok(client)
    }

    /// Deregisters the client and drives it until deregistered or the timeout. A client that is
    /// not registered is done at once, unless a Register is in flight: then the client waits
    /// for its answer and deregisters the registration it may have created.
    async fn deregister(&mut self, client: &mut Client, buf: &mut [u8]) -> io::Result<()> {
        tracing::info!(
            registered = client.is_registered(),
            "shutting down: deregistering"
        );
        let give_up = tokio::time::Instant::now() + self.shutdown_timeout;
        client.deregister(Instant::now());
        if self.flush(client).await {
            return Ok(());
        }
        loop {
            let deadline = client.poll_timeout();
            tokio::select! {
                received = self.socket.recv_from(buf) => self.received(client, received, buf)?,
                () = sleep_until(deadline) => client.handle_timeout(Instant::now()),
                () = tokio::time::sleep_until(give_up) => {
                    tracing::warn!(
                        timeout = ?self.shutdown_timeout,
                        "no answer to the deregistration; giving up"
                    );
                    return Ok(());
                }
            }
            if self.flush(client).await {
                return Ok(());
            }
        }
    }

    /// Gives a received datagram to the client; `Err` only for a socket failure that ends the run.
    fn received(
        &self,
        client: &mut Client,
        received: io::Result<(usize, SocketAddr)>,
        buf: &[u8],
    ) -> io::Result<()> {
        match received {
            Ok((len, from)) => {
                let datagram = buf.get(..len).unwrap_or(buf);
                tracing::trace!(%from, len, "datagram received");
                client.handle_datagram(Instant::now(), from, datagram);
                Ok(())
            }
            // An ICMP "port unreachable" for an earlier datagram (the server is not up yet):
            // the client's retransmissions and retries deal with it.
            Err(e) if is_unreachable(&e) => {
                tracing::debug!(error = %e, "peer unreachable");
                Ok(())
            }
            Err(e) => {
                tracing::error!(error = %e, "receive failed");
                Err(e)
            }
        }
    }

    /// Sends every pending datagram and logs every pending event; `true` if one was
    /// [`Event::Deregistered`].
    async fn flush(&mut self, client: &mut Client) -> bool {
        while let Some(transmit) = client.poll_transmit() {
            match self.socket.send_to(&transmit.bytes, transmit.to).await {
                Ok(_) => {
                    tracing::trace!(to = %transmit.to, len = transmit.bytes.len(), "datagram sent")
                }
                Err(e) => tracing::warn!(to = %transmit.to, error = %e, "send failed"),
            }
        }
        let mut deregistered = false;
        while let Some(event) = client.poll_event() {
            log_event(&event);
            deregistered |= event == Event::Deregistered;
        }
        deregistered
    }
}

/// Sleeps until `deadline`, or forever for `None`.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
        None => std::future::pending().await,
    }
}

/// Whether a socket error reports an unreachable peer rather than a broken socket.
fn is_unreachable(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
    )
}
