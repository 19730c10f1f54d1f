//! [`Transport`]: the datagram seam between the [driver](crate::net::Driver) and the network.

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use tokio::net::UdpSocket;

use crate::client::{Client, Transmit};
use crate::net::batch::{self, RecvBatch};
use crate::net::events::TransportChange;
use crate::time::Instant;

/// What the [driver](crate::net::Driver) needs from the network: send one datagram, receive one
/// datagram. Plain CoAP uses a [`UdpSocket`]; `coaps://` uses the DTLS transport
/// (`lwm2m::net::dtls::SecureTransport`, feature `dtls`), whose datagrams are the plaintext
/// CoAP messages carried in DTLS records, and whose handshake timers join the driver's one
/// deadline ([`poll_timeout`](Self::poll_timeout)). Other security modes (RPK, X.509) plug in here too.
///
/// Both methods take `&mut self` because a secure transport keeps per-session state; the
/// driver never runs them at the same time. [`recv_from`](Self::recv_from) must be
/// cancel-safe: the driver drops it whenever a timer fires first.
///
/// **Batches.** The driver moves datagrams in batches: each wake-up it
/// [waits](Self::wait_datagram) for the first datagram, [takes](Self::try_recv_batch) every
/// other one already waiting, gives them all to the client, then
/// [sends](Self::try_send_batch) every answer together. The default methods do this one
/// datagram at a time through `send_to` and `recv_from`, which is all a transport must
/// provide; the [`UdpSocket`] transport overrides them with one system call each way per
/// batch on Linux and Android (`recvmmsg`; `sendmmsg`, or a UDP GSO `sendmsg` for a run of
/// same-length datagrams to one address), elsewhere a loop of the one-datagram calls.
pub trait Transport {
    /// Sends one datagram (one CoAP message) to `to`.
    fn send_to(
        &mut self,
        bytes: &[u8],
        to: SocketAddr,
    ) -> impl Future<Output = io::Result<()>> + Send;

    /// Receives one datagram into `buf`: its length and the peer it came from.
    fn recv_from(
        &mut self,
        buf: &mut [u8],
    ) -> impl Future<Output = io::Result<(usize, SocketAddr)>> + Send;

    /// The local address of the underlying socket.
    fn local_addr(&self) -> io::Result<SocketAddr>;

    /// Waits until a datagram can be received, and may receive it into `batch`. The driver
    /// calls it with an empty batch, then [`try_recv_batch`](Self::try_recv_batch) for the
    /// datagrams that follow; it must be cancel-safe like `recv_from`. The default receives
    /// one datagram with [`recv_from`](Self::recv_from).
    fn wait_datagram(
        &mut self,
        batch: &mut RecvBatch,
    ) -> impl Future<Output = io::Result<()>> + Send {
        // The receive future is made here, so that the returned one holds it and the batch's
        // record but not `self`.
        let receive = batch
            .next_slot()
            .map(|(slot, filled)| (self.recv_from(slot), filled));
        async move {
            if let Some((receive, mut filled)) = receive {
                let (len, from) = receive.await?;
                filled.push(len, from);
            }
            Ok(())
        }
    }

    /// Receives into `batch`, without waiting, the datagrams already waiting, until none is
    /// left or the batch is full. Datagrams received before an error stay in the batch (the
    /// driver gives them to the client before it looks at the error). The default polls
    /// [`recv_from`](Self::recv_from) once per datagram (it is cancel-safe).
    fn try_recv_batch(&mut self, batch: &mut RecvBatch) -> io::Result<()> {
        while let Some((slot, mut filled)) = batch.next_slot() {
            match poll_once(self.recv_from(slot)) {
                None => break,
                Some(received) => {
                    let (len, from) = received?;
                    filled.push(len, from);
                }
            }
        }
        Ok(())
    }

    /// Sends, without waiting, the first of `transmits` that the transport can take now, in
    /// order: how many it sent. `Ok(0)` means that it sends none this way (the default: a
    /// transport that does not batch, or whose buffer is full): the driver then sends the
    /// next one with [`send_to`](Self::send_to), which waits for room. `Err` means that the
    /// first one failed: the driver logs it and goes on with the rest, as a lost datagram.
    fn try_send_batch(&mut self, transmits: &[Transmit]) -> io::Result<usize> {
        let _ = transmits;
        Ok(0)
    }

    /// The next session change not yet reported: a secure transport that re-established its
    /// session with a server (a new handshake, maybe from a new local port) reports it here so
    /// that the driver has the client update its registration with that server. The driver
    /// asks after every send and every wake-up (a datagram, a timer, the application tick).
    /// The default, for transports whose sessions never change (plain UDP), reports nothing.
    fn poll_change(&mut self) -> Option<TransportChange> {
        None
    }

    /// When the transport needs [`handle_timeout`](Self::handle_timeout) next: a secure
    /// transport's handshake retransmissions and timeouts. The driver waits for the earliest of
    /// this and the client's [`poll_timeout`](Client::poll_timeout), one timer for both. The
    /// default, for transports without timers, is `None`.
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    /// Time passed (see [`poll_timeout`](Self::poll_timeout)); whatever must go out now (a
    /// handshake flight again) is sent without waiting, a datagram the socket has no room
    /// for being lost as on the network. Calling it early is harmless.
    fn handle_timeout(&mut self, now: Instant) {
        let _ = now;
    }

    /// Called by the driver with each batch of `transmits` before they are sent, with the
    /// client that made them: a transport that secures some destinations and not others looks
    /// up, for a destination it does not know yet, what the client's Security object says
    /// about it (a server written by a Bootstrap-Server, say). The default does nothing.
    fn prepare(&mut self, transmits: &[Transmit], client: &Client) {
        let _ = (transmits, client);
    }

    /// Whether the transport secures the `coaps://` servers of the client's Security object
    /// itself. One that does not (the default, plain UDP) gets no datagram for such a server:
    /// the driver drops them, and logs it, rather than send them in the clear.
    fn secures_coaps(&self) -> bool {
        false
    }

    /// The client's Security object changed (a bootstrap finished): a transport that decided
    /// anything from it decides again. The default does nothing.
    fn security_changed(&mut self, client: &Client) {
        let _ = client;
    }
}

impl Transport for UdpSocket {
    async fn send_to(&mut self, bytes: &[u8], to: SocketAddr) -> io::Result<()> {
        UdpSocket::send_to(self, bytes, to).await.map(|_| ())
    }

    async fn recv_from(&mut self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        UdpSocket::recv_from(self, buf).await
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        UdpSocket::local_addr(self)
    }

    /// Waits until the socket is readable; [`try_recv_batch`](Self::try_recv_batch) then
    /// receives.
    fn wait_datagram(
        &mut self,
        _batch: &mut RecvBatch,
    ) -> impl Future<Output = io::Result<()>> + Send {
        UdpSocket::readable(self)
    }

    /// `recvmmsg` (Linux, Android), otherwise `recv_from` until the socket has none.
    fn try_recv_batch(&mut self, batch: &mut RecvBatch) -> io::Result<()> {
        batch::try_recv(self, batch)
    }

    /// Up to 32 datagrams in one system call (Linux, Android: a UDP GSO `sendmsg` for a run of
    /// same-length datagrams to one address, `sendmmsg` otherwise, `sendto` for one alone),
    /// otherwise `send_to` until the socket takes no more.
    fn try_send_batch(&mut self, transmits: &[Transmit]) -> io::Result<usize> {
        batch::try_send(self, transmits)
    }
}

/// Polls `future` once: its output if it is ready now, `None` (and the future dropped) if not.
pub(crate) fn poll_once<F: Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(output) => Some(output),
        std::task::Poll::Pending => None,
    }
}
