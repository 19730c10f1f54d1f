//! [`Transport`]: the datagram seam between the [driver](crate::net::Driver) and the network.

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use tokio::net::UdpSocket;

use crate::net::events::TransportChange;

/// What the [driver](crate::net::Driver) needs from the network: send one datagram, receive one
/// datagram. Plain CoAP uses a [`UdpSocket`]; `coaps://` uses the DTLS transport
/// (`lwm2m::net::dtls::DtlsTransport`, feature `dtls`), whose datagrams are the plaintext CoAP
/// messages carried in DTLS records. Other security modes (RPK, X.509) plug in here too.
///
/// Both methods take `&mut self` because a secure transport keeps per-session state; the
/// driver never runs them at the same time. [`recv_from`](Self::recv_from) must be
/// cancel-safe: the driver drops it whenever a timer fires first.
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

    /// The next session change not yet reported: a secure transport that re-established its
    /// session with a server (a new handshake, maybe from a new local port) reports it here so
    /// that the driver has the client update its registration with that server. The driver
    /// asks after every send and every wake-up (a datagram, a timer, the application tick).
    /// The default, for transports whose sessions never change (plain UDP), reports nothing.
    fn poll_change(&mut self) -> Option<TransportChange> {
        None
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
}
