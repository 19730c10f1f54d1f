//! The datagram link over UART0: bytes from the UART into the mcu-link decoder, frames out to
//! the UART through the SLIP encoder.

use core::fmt;
use core::net::SocketAddr;

use mcu_link::{Decoder, Frame, LinkStats, frame_capacity};

use crate::clock;
use crate::uart::{UartRx, UartTx};

/// The largest UDP payload the device takes (the IPv6 minimum MTU; CoAP over UDP stays below
/// it, block-wise transfers included). Longer frames are dropped and counted as oversized.
pub const MAX_DATAGRAM: usize = 1280;

/// Bytes taken from the UART per [`Receiver::poll`] at most, so a stream of garbage cannot hold
/// the main loop.
const POLL_BUDGET: usize = 512;

/// How long the main loop keeps polling for the rest of a frame before it sleeps again.
pub const MID_FRAME_MS: u64 = 2;

/// The receiving side: UART bytes into frames.
pub struct Receiver {
    rx: UartRx,
    decoder: Decoder<{ frame_capacity(MAX_DATAGRAM) }>,
    last_byte_ms: u64,
}

impl Receiver {
    /// A receiver reading from `rx`.
    pub fn new(rx: UartRx) -> Self {
        Self {
            rx,
            decoder: Decoder::new(),
            last_byte_ms: 0,
        }
    }

    /// Takes the bytes waiting on the UART (up to a budget) and hands each complete, well-formed
    /// frame to `on_frame`; garbage is dropped and counted ([`stats`](Self::stats)). Returns
    /// whether any byte was read.
    pub fn poll(&mut self, mut on_frame: impl FnMut(Frame<'_>)) -> bool {
        let mut read = 0;
        while read < POLL_BUDGET {
            let Some(byte) = self.rx.try_read() else {
                break;
            };
            read += 1;
            self.last_byte_ms = clock::now_ms();
            if let Some(frame) = self.decoder.push_frame(byte) {
                on_frame(frame);
            }
        }
        read > 0
    }

    /// Milliseconds since the last byte arrived.
    pub fn quiet_for(&self, now_ms: u64) -> u64 {
        now_ms.saturating_sub(self.last_byte_ms)
    }

    /// Whether the rest of a frame is probably on its way: part of one has arrived, the last
    /// byte less than [`MID_FRAME_MS`] ago. The main loop polls instead of sleeping then (a
    /// wake-up per byte costs more than the byte); a frame cut short stops that after
    /// `MID_FRAME_MS`.
    pub fn expecting_more(&self, now_ms: u64) -> bool {
        !self.decoder.is_idle() && self.quiet_for(now_ms) < MID_FRAME_MS
    }

    /// Whether a byte is waiting on the UART.
    pub fn is_ready(&self) -> bool {
        self.rx.is_ready()
    }

    /// What the link has received, garbage included.
    pub fn stats(&self) -> LinkStats {
        self.decoder.stats()
    }
}

/// The sending side: frames to the UART.
pub struct Sender {
    tx: UartTx,
}

impl Sender {
    /// A sender writing to `tx`.
    pub fn new(tx: UartTx) -> Self {
        Self { tx }
    }

    /// Sends a UDP datagram to `peer`.
    pub fn send(&mut self, peer: SocketAddr, payload: &[u8]) {
        mcu_link::write_datagram(peer, payload, |b| self.tx.write(b));
    }

    /// Sends a log line to the host (the bridge prints it on its stderr).
    pub fn log(&mut self, args: fmt::Arguments<'_>) {
        mcu_link::write_log_fmt(args, |b| self.tx.write(b));
    }
}
