//! # mcu-link
//!
//! The datagram link between the emulated MCU device (`examples/mcu-device/firmware`) and its
//! host-side bridge (`examples/mcu-device/bridge`): frames over a byte stream (the device's
//! UART0), the way a device talks to a cellular modem's socket interface.
//!
//! Two layers:
//!
//! - [`slip`]: SLIP framing (RFC 1055). [`encode`] writes `END`, the frame with `END` and
//!   `ESC` escaped, `END`. [`Decoder`] takes one byte at a time into a fixed buffer of `N`
//!   bytes and hands out each complete frame.
//! - [`frame`]: a one-byte kind and, for datagrams, the peer's address, so the device can
//!   address any UDP peer like a modem socket ([`Frame`], [`write_datagram`], ...).
//!
//! ```text
//! SLIP payload     = kind, body
//! 0x04 IPv4 datagram  4 address bytes, 2 port bytes (big-endian), UDP payload
//! 0x06 IPv6 datagram 16 address bytes, 2 port bytes (big-endian), UDP payload
//! 0x01 shutdown       nothing (host -> device: deregister and exit)
//! 0x02 log            a UTF-8 text line (device -> host: the bridge prints it)
//! ```
//!
//! A datagram's address is its destination when the device sends it and its source when the
//! bridge delivers it, so the device answers a datagram by writing one back to the same peer.
//!
//! ## Why a hand-written SLIP codec
//!
//! A serial line carries noise, and the far side may send garbage. The decoder must stay
//! bounded (a fixed `[u8; N]`, no allocation, usable before a heap exists and inside the
//! device's memory budget), must drop a frame with a bad escape or one longer than `N` bytes
//! and resynchronise at the next `END`, and must *count* what it dropped ([`LinkStats`]) so
//! the device and the tests can see that garbage arrived and was survived. The SLIP crates on
//! crates.io decode into a caller's buffer or a `Vec` and report an error per call, leaving the
//! counting, the bound and the resynchronisation to every caller; a few dozen lines here do
//! exactly what the link needs, with no dependency.
//!
//! `#![no_std]`, no `alloc`, no dependencies.
//!
//! ```
//! use mcu_link::{Decoder, Frame, write_datagram};
//!
//! let peer = "192.0.2.1:5683".parse().unwrap();
//! let mut wire = Vec::new();
//! write_datagram(peer, b"hello", |b| wire.push(b));
//!
//! let mut decoder = Decoder::<64>::new();
//! let mut frames = Vec::new();
//! for &byte in &wire {
//!     if let Some(Frame::Datagram { peer, payload }) = decoder.push_frame(byte) {
//!         frames.push((peer, payload.to_vec()));
//!     }
//! }
//! assert_eq!(frames, [(peer, b"hello".to_vec())]);
//! assert_eq!(decoder.stats().frames, 1);
//! ```
#![cfg_attr(not(test), no_std)]

pub mod frame;
pub mod slip;

pub use frame::{
    Frame, HeaderError, MAX_HEADER_LEN, write_datagram, write_log, write_log_fmt, write_shutdown,
};
pub use slip::{Decoder, Encoder, LinkStats, encode, encode_parts};

/// The decoder capacity needed for datagrams of up to `max_payload` bytes: the longest header
/// plus the payload.
///
/// ```
/// let decoder = mcu_link::Decoder::<{ mcu_link::frame_capacity(1280) }>::new();
/// # let _ = decoder;
/// ```
pub const fn frame_capacity(max_payload: usize) -> usize {
    MAX_HEADER_LEN + max_payload
}
