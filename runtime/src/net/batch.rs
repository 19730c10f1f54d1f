//! Datagrams moved in batches: [`RecvBatch`], the receive buffers the driver hands to a
//! [`Transport`](crate::net::Transport), and the batched system calls of the plain UDP
//! transport. On Linux and Android (through `nix`): one `recvmmsg` per wake-up, and the
//! answers in one `sendmmsg`, or in one `sendmsg` with UDP GSO (`UDP_SEGMENT`) when they all
//! have the same length and go to the same server. Elsewhere a loop of the one-datagram calls.

use crate::prelude::*;
use std::io;
use std::net::SocketAddr;

use tokio::io::Interest;
use tokio::net::UdpSocket;

use crate::client::Transmit;

/// The largest UDP payload (IPv4: 65535 - 20 - 8): a receive slot this large never truncates.
pub(crate) const MAX_DATAGRAM: usize = 65_507;

/// The most datagrams one batched system call moves. The driver receives and sends at most
/// this many per turn of its loop.
pub(crate) const MAX_BATCH: usize = 32;

/// The fewest datagrams one receive asks the system for (see [`RecvBatch::wanted`]).
const MIN_WANTED: usize = 8;

/// Receive buffers for several datagrams: a fixed number of slots, each as large as a UDP
/// datagram can be, filled in order by a [`Transport`](crate::net::Transport).
///
/// The slots are one zeroed allocation that the system maps lazily: a slot costs memory only
/// once a datagram was written into it, and then only the pages the datagram touched.
pub struct RecvBatch {
    /// `capacity` slots of `slot_len` bytes each, one after the other.
    buf: Vec<u8>,
    slot_len: usize,
    /// Length and sender of each filled slot, in the order received.
    filled: Vec<(usize, SocketAddr)>,
    /// How many datagrams the last receive found waiting: the next one asks the system for
    /// about twice as many (at least [`MIN_WANTED`]), so that one datagram at a time does not
    /// pay for setting up every slot.
    recent: usize,
}

impl core::fmt::Debug for RecvBatch {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RecvBatch")
            .field("capacity", &self.capacity())
            .field("slot_len", &self.slot_len)
            .field("filled", &self.filled)
            .finish()
    }
}

impl RecvBatch {
    /// `slots` slots of `slot_len` bytes each (at least one slot of one byte).
    pub fn new(slots: usize, slot_len: usize) -> RecvBatch {
        let slots = slots.max(1);
        let slot_len = slot_len.max(1);
        RecvBatch {
            buf: vec![0; slots.saturating_mul(slot_len)],
            slot_len,
            filled: Vec::with_capacity(slots),
            recent: 0,
        }
    }

    /// The driver's batch: [`MAX_BATCH`] slots that never truncate a UDP datagram.
    pub(crate) fn for_driver() -> RecvBatch {
        RecvBatch::new(MAX_BATCH, MAX_DATAGRAM)
    }

    /// How many datagrams the batch holds when full.
    pub fn capacity(&self) -> usize {
        self.buf.len() / self.slot_len
    }

    /// How many datagrams it holds.
    pub fn len(&self) -> usize {
        self.filled.len()
    }

    /// Whether it holds no datagram.
    pub fn is_empty(&self) -> bool {
        self.filled.is_empty()
    }

    /// Whether every slot holds a datagram.
    pub fn is_full(&self) -> bool {
        self.len() >= self.capacity()
    }

    /// Empties the batch (the slots are kept for the next datagrams).
    pub fn clear(&mut self) {
        self.filled.clear();
    }

    /// The next free slot to receive into, and the record of the filled ones to
    /// [`push`](Filled::push) its length and sender to once it holds a datagram; `None` when
    /// the batch is full. The two borrows are separate so that a receive future can hold the
    /// slot while the caller keeps the record.
    pub fn next_slot(&mut self) -> Option<(&mut [u8], Filled<'_>)> {
        let start = self.filled.len().checked_mul(self.slot_len)?;
        let end = start.checked_add(self.slot_len)?;
        let slot = self.buf.get_mut(start..end)?;
        Some((
            slot,
            Filled {
                filled: &mut self.filled,
                slot_len: self.slot_len,
            },
        ))
    }

    /// How many datagrams the next receive should make room for: about twice as many as the
    /// last one found (at least [`MIN_WANTED`]), within the free slots.
    pub(crate) fn wanted(&self) -> usize {
        self.recent
            .saturating_mul(2)
            .max(MIN_WANTED)
            .min(self.free())
    }

    /// How many slots are free.
    fn free(&self) -> usize {
        self.capacity().saturating_sub(self.len())
    }

    /// Every free slot, in order, and the record of the filled ones (for a system call that
    /// fills several at once).
    pub(crate) fn free_slots(&mut self) -> (core::slice::ChunksExactMut<'_, u8>, Filled<'_>) {
        let start = self
            .filled
            .len()
            .saturating_mul(self.slot_len)
            .min(self.buf.len());
        let free = self.buf.get_mut(start..).unwrap_or_default();
        (
            free.chunks_exact_mut(self.slot_len),
            Filled {
                filled: &mut self.filled,
                slot_len: self.slot_len,
            },
        )
    }

    /// The datagrams held, in the order received: bytes and sender.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], SocketAddr)> + '_ {
        self.buf
            .chunks_exact(self.slot_len)
            .zip(&self.filled)
            .map(|(slot, &(len, from))| (slot.get(..len).unwrap_or(slot), from))
    }
}

/// The record of a [`RecvBatch`]'s filled slots, borrowed apart from the slots themselves.
#[derive(Debug)]
pub struct Filled<'a> {
    filled: &'a mut Vec<(usize, SocketAddr)>,
    slot_len: usize,
}

impl Filled<'_> {
    /// Records that the next free slot now holds a datagram of `len` bytes from `from` (a
    /// length beyond the slot, as a truncating receive may report, is cut to the slot).
    pub fn push(&mut self, len: usize, from: SocketAddr) {
        self.filled.push((len.min(self.slot_len), from));
    }
}

/// Receives into `batch` the datagrams already waiting on `socket`, without waiting: on Linux
/// and Android one `recvmmsg` for about twice as many datagrams as the last call found (a
/// call that fills all it asked for is followed by one for every free slot). A call
/// that receives fewer than it asked for found the socket's queue empty: it tells tokio so
/// (as a `WouldBlock` would), and the driver's next wait goes to the event loop instead of
/// asking the socket once more.
pub(crate) fn try_recv(socket: &UdpSocket, batch: &mut RecvBatch) -> io::Result<()> {
    let mut total = 0;
    // At most MAX_BATCH per call (the I/O vectors of one call are an array of that size):
    // a call that fills all it asked for is followed by another.
    let mut wanted = batch.wanted().min(MAX_BATCH);
    let result = loop {
        if wanted == 0 {
            break Ok(());
        }
        let received = socket.try_io(Interest::READABLE, || {
            let received = sys::recv(socket, batch, wanted)?;
            total += received;
            if received < wanted {
                // The queue ran dry: tokio clears the socket's readiness (only if no new
                // event came meanwhile), so the next wait is for a new datagram.
                return Err(io::ErrorKind::WouldBlock.into());
            }
            Ok(received)
        });
        match received {
            // All it asked for: maybe more are waiting.
            Ok(_) => wanted = batch.free().min(MAX_BATCH),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    batch.recent = total;
    result
}

/// Sends the first of `transmits` (at most [`MAX_BATCH`]) that the socket takes now, in order,
/// without waiting: one system call on Linux and Android (see the module documentation). How
/// many were sent (0: the socket's buffer is full); `Err` when the first one failed (the
/// rest are not tried).
pub(crate) fn try_send(socket: &UdpSocket, transmits: &[Transmit]) -> io::Result<usize> {
    let transmits = transmits.get(..MAX_BATCH).unwrap_or(transmits);
    let sent = match transmits {
        [] => return Ok(0),
        // One datagram: `sendto`, cheaper than setting up a `sendmmsg`.
        [transmit] => socket.try_send_to(&transmit.bytes, transmit.to).map(|_| 1),
        _ => socket.try_io(Interest::WRITABLE, || sys::send(socket, transmits)),
    };
    match sent {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
        other => other,
    }
}

/// How many receives in a row that found one datagram are made with a plain `recv_from`
/// before one `recvmmsg` looks again for a queue: see [`recv_waiting`].
const PROBE_EVERY: u8 = 8;

/// What [`recv_waiting`] keeps from one call to the next on one socket: on Linux and Android
/// the `recvmmsg` message headers for [`MAX_BATCH`] datagrams, made once instead of twice per
/// wake-up, and the count of receives since the last `recvmmsg`. The headers hold raw
/// pointers, so it is not `Send`: the blocking driver keeps it on the stack of its `run`.
pub(crate) struct RecvHeaders {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    headers: nix::sys::socket::MultiHeaders<nix::sys::socket::SockaddrStorage>,
    /// Receives of one datagram by `recv_from` since the last `recvmmsg`.
    single: u8,
}

impl RecvHeaders {
    /// Headers for [`MAX_BATCH`] datagrams.
    pub(crate) fn new() -> RecvHeaders {
        RecvHeaders {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            headers: nix::sys::socket::MultiHeaders::preallocate(MAX_BATCH, None),
            single: 0,
        }
    }
}

/// For the [`BlockingDriver`](crate::net::BlockingDriver): receives into `batch` on a blocking
/// std socket, sleeping until the first datagram comes or the socket's read timeout passes
/// (`WouldBlock`/`TimedOut`).
///
/// On Linux and Android, while requests queue up (the last receive found several), one
/// `recvmmsg` with `MSG_WAITFORONE` sleeps for the first datagram only and takes every other
/// one already waiting, up to about twice as many as the last call found: one system call per
/// wake-up, however many requests it brings. One request at a time, a `recvmmsg` costs more
/// than a `recvfrom` (it tries the queue once more, and sets up its headers): then a plain
/// `recv_from` takes the one datagram, and every [`PROBE_EVERY`]th receive is a `recvmmsg`
/// again, to notice a queue. Elsewhere always one `recv_from`.
pub(crate) fn recv_waiting(
    socket: &std::net::UdpSocket,
    batch: &mut RecvBatch,
    state: &mut RecvHeaders,
) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if batch.recent > 1 || state.single >= PROBE_EVERY {
        use std::os::fd::AsRawFd;
        state.single = 0;
        let wanted = batch.wanted().min(MAX_BATCH);
        let flags = nix::sys::socket::MsgFlags::MSG_WAITFORONE;
        batch.recent = sys::recv_fd(socket.as_raw_fd(), batch, wanted, flags, &mut state.headers)?;
        return Ok(());
    }
    state.single = state.single.saturating_add(1);
    batch.recent = match batch.next_slot() {
        Some((slot, mut filled)) => {
            let (len, from) = socket.recv_from(slot)?;
            filled.push(len, from);
            1
        }
        None => 0,
    };
    Ok(())
}

/// For the [`BlockingDriver`](crate::net::BlockingDriver): sends the first of `transmits` (at
/// most [`MAX_BATCH`]) in order on a blocking std socket, waiting for room if its buffer is
/// full: one `sendto` for one datagram; on Linux and Android several in one `sendmmsg` (or UDP
/// GSO, as [`try_send`]). How many were sent; `Err` when the first one failed.
pub(crate) fn send_waiting(
    socket: &std::net::UdpSocket,
    transmits: &[Transmit],
) -> io::Result<usize> {
    let transmits = transmits.get(..MAX_BATCH).unwrap_or(transmits);
    match transmits {
        [] => Ok(0),
        [transmit] => socket.send_to(&transmit.bytes, transmit.to).map(|_| 1),
        #[cfg(any(target_os = "linux", target_os = "android"))]
        _ => {
            use std::os::fd::AsRawFd;
            let flags = nix::sys::socket::MsgFlags::empty();
            sys::send_fd(socket.as_raw_fd(), transmits, flags)
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        [transmit, ..] => socket.send_to(&transmit.bytes, transmit.to).map(|_| 1),
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod sys {
    //! `recvmmsg`, `sendmmsg` and UDP GSO through `nix`.

    use crate::prelude::*;
    use std::io;
    use std::io::{IoSlice, IoSliceMut};
    use std::net::{SocketAddr, SocketAddrV4, SocketAddrV6};
    use std::os::fd::{AsRawFd, RawFd};
    use std::sync::atomic::{AtomicBool, Ordering};

    use nix::sys::socket::{ControlMessage, MsgFlags, MultiHeaders, SockaddrStorage};
    use tokio::net::UdpSocket;

    use super::RecvBatch;
    use crate::client::Transmit;

    /// One `recvmmsg` into the first `wanted` free slots of the batch: how many datagrams it
    /// received.
    pub(super) fn recv(
        socket: &UdpSocket,
        batch: &mut RecvBatch,
        wanted: usize,
    ) -> io::Result<usize> {
        // Headers made per call: kept across calls they would make the driver's future
        // `!Send` (they hold raw pointers).
        let mut headers = MultiHeaders::preallocate(wanted.clamp(1, super::MAX_BATCH), None);
        recv_fd(
            socket.as_raw_fd(),
            batch,
            wanted,
            MsgFlags::MSG_DONTWAIT,
            &mut headers,
        )
    }

    /// [`recv`] on any UDP socket's descriptor, with `flags` (`MSG_DONTWAIT`: never wait;
    /// `MSG_WAITFORONE`: wait, within the socket's read timeout, for the first datagram only).
    ///
    /// `headers` are the calls' message headers: at most as many datagrams as it holds are
    /// received. They can be kept for the next call on the same socket (the kernel writes back
    /// each sender's address length, which is the same for every datagram of one socket).
    pub(super) fn recv_fd(
        fd: RawFd,
        batch: &mut RecvBatch,
        wanted: usize,
        flags: MsgFlags,
        headers: &mut MultiHeaders<SockaddrStorage>,
    ) -> io::Result<usize> {
        let (free, mut filled) = batch.free_slots();
        // The slots' I/O vectors on the stack (a batch has at most MAX_BATCH slots): no
        // allocation for them per call.
        let mut free = free.take(wanted.min(super::MAX_BATCH));
        let mut count = 0;
        let mut slices: [[IoSliceMut<'_>; 1]; super::MAX_BATCH] = core::array::from_fn(|_| {
            let slot: &mut [u8] = match free.next() {
                Some(slot) => {
                    count += 1;
                    slot
                }
                None => &mut [],
            };
            [IoSliceMut::new(slot)]
        });
        if count == 0 {
            return Ok(0);
        }
        let results =
            nix::sys::socket::recvmmsg(fd, headers, slices.iter_mut().take(count), flags, None)
                .map_err(io::Error::from)?;
        let mut received = 0;
        for message in results {
            received += 1;
            // A datagram from an address that is not IP cannot come to a UDP socket; it
            // would be dropped rather than misattributed (its slot is then reused).
            if let Some(from) = message.address.as_ref().and_then(socket_addr) {
                filled.push(message.bytes, from);
            }
        }
        Ok(received)
    }

    /// Whether the kernel refused a UDP GSO send once (no checksum offload on the route's
    /// device, an old kernel): then every later batch goes through `sendmmsg` alone.
    static GSO_REFUSED: AtomicBool = AtomicBool::new(false);

    /// The most bytes one GSO send carries (below the 64 KiB an IP packet can hold; runs are
    /// also at most [`MAX_BATCH`](super::MAX_BATCH) datagrams, below the kernel's 64 segments).
    const GSO_MAX_BYTES: usize = 60_000;

    /// How many of the first `transmits` one GSO send can carry: a run of datagrams of the
    /// same length to the same address (the kernel cuts the payload into datagrams of that
    /// length).
    pub(super) fn gso_run(transmits: &[Transmit]) -> usize {
        let Some(first) = transmits.first() else {
            return 0;
        };
        let len = first.bytes.len();
        if len == 0 || len > usize::from(u16::MAX) {
            return 0;
        }
        let fits = GSO_MAX_BYTES / len;
        transmits
            .iter()
            .take(fits)
            .take_while(|t| t.to == first.to && t.bytes.len() == len)
            .count()
    }

    /// Sends `transmits` in order, as many as the kernel takes in one system call: a run of
    /// two or more same-length datagrams to the same server goes as one UDP GSO `sendmsg`
    /// (one trip down the IP stack for the whole run; the kernel cuts it into datagrams of that
    /// length, which the server receives one by one as if sent apart), anything else as one
    /// `sendmmsg`. How many were sent.
    pub(super) fn send(socket: &UdpSocket, transmits: &[Transmit]) -> io::Result<usize> {
        send_fd(socket.as_raw_fd(), transmits, MsgFlags::MSG_DONTWAIT)
    }

    /// [`send`] on any UDP socket's descriptor, with `flags` (`MSG_DONTWAIT`, or none to wait
    /// for room in a blocking socket's buffer).
    pub(super) fn send_fd(fd: RawFd, transmits: &[Transmit], flags: MsgFlags) -> io::Result<usize> {
        let run = gso_run(transmits);
        if run > 1 && !GSO_REFUSED.load(Ordering::Relaxed) {
            match send_gso(fd, transmits.get(..run).unwrap_or(transmits), flags) {
                Ok(sent) => return Ok(sent),
                // EIO: the route's device cannot checksum for GSO; EINVAL, ENOPROTOOPT: the
                // kernel does not know or allow it. `sendmmsg` sends them instead.
                Err(e)
                    if matches!(
                        e,
                        nix::errno::Errno::EIO
                            | nix::errno::Errno::EINVAL
                            | nix::errno::Errno::ENOPROTOOPT
                            | nix::errno::Errno::EOPNOTSUPP
                    ) =>
                {
                    tracing::debug!(error = %e, "UDP GSO refused; sendmmsg from now on");
                    GSO_REFUSED.store(true, Ordering::Relaxed);
                }
                Err(e) => return Err(e.into()),
            }
        }
        send_mmsg(fd, transmits, flags)
    }

    /// One `sendmsg` with `UDP_SEGMENT`: `transmits` all have the same length and address.
    fn send_gso(fd: RawFd, transmits: &[Transmit], flags: MsgFlags) -> nix::Result<usize> {
        let (Some(first), Ok(segment)) = (
            transmits.first(),
            u16::try_from(transmits.first().map_or(0, |t| t.bytes.len())),
        ) else {
            return Ok(0);
        };
        let slices: Vec<IoSlice<'_>> = transmits
            .iter()
            .map(|transmit| IoSlice::new(&transmit.bytes))
            .collect();
        let to = SockaddrStorage::from(first.to);
        nix::sys::socket::sendmsg(
            fd,
            &slices,
            &[ControlMessage::UdpGsoSegments(&segment)],
            flags,
            Some(&to),
        )?;
        Ok(transmits.len())
    }

    /// One `sendmmsg` of `transmits`: how many the kernel took.
    fn send_mmsg(fd: RawFd, transmits: &[Transmit], flags: MsgFlags) -> io::Result<usize> {
        let slices: Vec<[IoSlice<'_>; 1]> = transmits
            .iter()
            .map(|transmit| [IoSlice::new(&transmit.bytes)])
            .collect();
        let addresses: Vec<Option<SockaddrStorage>> = transmits
            .iter()
            .map(|transmit| Some(SockaddrStorage::from(transmit.to)))
            .collect();
        let mut headers = MultiHeaders::<SockaddrStorage>::preallocate(slices.len(), None);
        let sent = nix::sys::socket::sendmmsg(fd, &mut headers, &slices, &addresses, [], flags)
            .map_err(io::Error::from)?;
        Ok(sent.count())
    }

    /// The IP socket address of a received datagram's sender.
    fn socket_addr(address: &SockaddrStorage) -> Option<SocketAddr> {
        if let Some(v4) = address.as_sockaddr_in() {
            return Some(SocketAddr::V4(SocketAddrV4::from(*v4)));
        }
        address
            .as_sockaddr_in6()
            .map(|v6| SocketAddr::V6(SocketAddrV6::from(*v6)))
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod sys {
    //! Without `recvmmsg`/`sendmmsg`: a loop of the one-datagram calls.

    use std::io;

    use tokio::net::UdpSocket;

    use super::RecvBatch;
    use crate::client::Transmit;

    /// Receives datagrams one by one until the socket has none or `wanted` were received.
    pub(super) fn recv(
        socket: &UdpSocket,
        batch: &mut RecvBatch,
        wanted: usize,
    ) -> io::Result<usize> {
        let mut received = 0;
        while received < wanted
            && let Some((slot, mut filled)) = batch.next_slot()
        {
            match socket.try_recv_from(slot) {
                Ok((len, from)) => {
                    filled.push(len, from);
                    received += 1;
                }
                // Datagrams already received count; the error waits for the next call.
                Err(_) if received > 0 => break,
                Err(e) => return Err(e),
            }
        }
        Ok(received)
    }

    /// Sends datagrams one by one until the socket takes no more.
    pub(super) fn send(socket: &UdpSocket, transmits: &[Transmit]) -> io::Result<usize> {
        let mut sent = 0;
        for transmit in transmits {
            match socket.try_send_to(&transmit.bytes, transmit.to) {
                Ok(_) => sent += 1,
                Err(_) if sent > 0 => break,
                Err(e) => return Err(e),
            }
        }
        Ok(sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn a_batch_fills_its_slots_in_order_and_reuses_them_after_clear() {
        let mut batch = RecvBatch::new(2, 4);
        assert_eq!(batch.capacity(), 2);
        assert!(batch.is_empty());
        for (n, port) in [(3u8, 1u16), (4, 2)] {
            let (slot, mut filled) = batch.next_slot().expect("a free slot");
            assert_eq!(slot.len(), 4);
            slot.fill(n);
            filled.push(usize::from(n), addr(port));
        }
        assert!(batch.is_full());
        assert!(batch.next_slot().is_none());
        let held: Vec<_> = batch.iter().map(|(b, f)| (b.to_vec(), f)).collect();
        assert_eq!(
            held,
            vec![(vec![3, 3, 3], addr(1)), (vec![4, 4, 4, 4], addr(2))]
        );
        batch.clear();
        assert!(batch.is_empty());
        assert_eq!(batch.free_slots().0.count(), 2);
    }

    #[test]
    fn a_receive_asks_for_twice_what_the_last_one_found_within_the_free_slots() {
        let mut batch = RecvBatch::new(20, 4);
        assert_eq!(batch.wanted(), MIN_WANTED, "at least {MIN_WANTED}");
        batch.recent = 7;
        assert_eq!(batch.wanted(), 14);
        batch.recent = 30;
        assert_eq!(batch.wanted(), 20, "no more than the free slots");
        let (_, mut filled) = batch.next_slot().expect("a free slot");
        filled.push(1, addr(1));
        assert_eq!(batch.wanted(), 19);
    }

    #[test]
    fn a_length_beyond_the_slot_is_cut_to_it() {
        let mut batch = RecvBatch::new(1, 4);
        let (_, mut filled) = batch.next_slot().expect("a free slot");
        filled.push(100, addr(1));
        assert_eq!(batch.iter().map(|(b, _)| b.len()).sum::<usize>(), 4);
    }

    /// Several datagrams waiting are received by one call, in order, with their senders, and
    /// several transmits leave in one call.
    #[tokio::test]
    async fn waiting_datagrams_come_in_one_call_and_transmits_leave_in_one() {
        let receiver = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let sender = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let to = receiver.local_addr().expect("address");
        let transmits: Vec<Transmit> = (0..5u8)
            .map(|n| Transmit {
                to,
                bytes: vec![n; usize::from(n) + 1],
                expects_answer: false,
            })
            .collect();
        let mut sent = 0;
        while sent < transmits.len() {
            sender.writable().await.expect("writable");
            sent += try_send(&sender, &transmits[sent..]).expect("send");
        }
        let mut batch = RecvBatch::new(8, 64);
        while batch.len() < transmits.len() {
            receiver.readable().await.expect("readable");
            try_recv(&receiver, &mut batch).expect("receive");
        }
        let from = sender.local_addr().expect("address");
        let held: Vec<_> = batch.iter().map(|(b, f)| (b.to_vec(), f)).collect();
        let expected: Vec<_> = transmits.iter().map(|t| (t.bytes.clone(), from)).collect();
        assert_eq!(held, expected);
    }

    /// Same-length datagrams to one address leave in one call (UDP GSO on Linux) and arrive
    /// as separate datagrams, in order, each with its own bytes.
    #[tokio::test]
    async fn same_length_transmits_leave_in_one_call_and_arrive_apart() {
        let receiver = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let sender = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let to = receiver.local_addr().expect("address");
        let transmits: Vec<Transmit> = (0..20u8)
            .map(|n| Transmit {
                to,
                bytes: vec![n; 300],
                expects_answer: false,
            })
            .collect();
        sender.writable().await.expect("writable");
        assert_eq!(
            try_send(&sender, &transmits).expect("send"),
            transmits.len(),
            "one call sends the whole run"
        );
        let mut batch = RecvBatch::new(32, 2048);
        while batch.len() < transmits.len() {
            receiver.readable().await.expect("readable");
            try_recv(&receiver, &mut batch).expect("receive");
        }
        let held: Vec<_> = batch.iter().map(|(b, _)| b.to_vec()).collect();
        let expected: Vec<_> = transmits.iter().map(|t| t.bytes.clone()).collect();
        assert_eq!(held, expected);
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn a_gso_run_is_same_length_datagrams_to_one_address_within_the_size_limit() {
        let transmit = |port, len| Transmit {
            to: addr(port),
            bytes: vec![0; len],
            expects_answer: false,
        };
        assert_eq!(sys::gso_run(&[]), 0);
        assert_eq!(sys::gso_run(&[transmit(1, 0), transmit(1, 0)]), 0);
        let mixed = [
            transmit(1, 10),
            transmit(1, 10),
            transmit(1, 9),
            transmit(1, 10),
        ];
        assert_eq!(sys::gso_run(&mixed), 2);
        let elsewhere = [transmit(1, 10), transmit(2, 10)];
        assert_eq!(sys::gso_run(&elsewhere), 1);
        let large: Vec<_> = (0..8).map(|_| transmit(1, 20_000)).collect();
        assert_eq!(sys::gso_run(&large), 3, "60,000 bytes at most");
    }
}
