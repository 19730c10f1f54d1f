//! UART0 of the mps2-an386: a CMSDK APB UART at `0x4000_4000`, polled in both directions.
//!
//! | offset | register | bits used |
//! | --- | --- | --- |
//! | `0x00` | DATA | the byte received / to send |
//! | `0x04` | STATE | 0: TX buffer full, 1: RX buffer full |
//! | `0x08` | CTRL | 0: TX enable, 1: RX enable, 3: RX interrupt enable |
//! | `0x0C` | INTSTATUS / INTCLEAR | 1: RX interrupt (write 1 to clear) |
//! | `0x10` | BAUDDIV | divider, >= 16 (QEMU ignores the rate) |
//!
//! The RX interrupt (IRQ 0 on this board) is only a wake-up source for the main loop's `wfi`:
//! its handler clears it and the byte stays in DATA until [`UartRx::try_read`] takes it. The
//! RX buffer holds one byte; QEMU does not deliver the next one before that one is read, so
//! nothing is lost while the device is busy.
//!
//! This is the only module that touches the UART's registers; every access goes through
//! [`read()`] and [`write()`] below.
#![allow(unsafe_code)]

use core::sync::atomic::{AtomicBool, Ordering};

use cortex_m::interrupt::InterruptNumber;
use cortex_m::peripheral::NVIC;

const BASE: usize = 0x4000_4000;
const DATA: usize = BASE;
const STATE: usize = BASE + 0x04;
const CTRL: usize = BASE + 0x08;
const INTCLEAR: usize = BASE + 0x0C;
const BAUDDIV: usize = BASE + 0x10;

const STATE_TX_FULL: u32 = 1 << 0;
const STATE_RX_FULL: u32 = 1 << 1;
const CTRL_TX_EN: u32 = 1 << 0;
const CTRL_RX_EN: u32 = 1 << 1;
const CTRL_RX_INT_EN: u32 = 1 << 3;
const INT_RX: u32 = 1 << 1;

/// UART0's RX interrupt: external interrupt 0 on the AN385/AN386 images.
#[derive(Debug, Clone, Copy)]
pub struct Uart0Rx;

/// The external interrupt number of UART0's RX interrupt.
pub const UART0_RX_IRQ: u16 = 0;

// SAFETY: 0 is a valid external interrupt number of this board (UARTRX0), and `number` always
// returns it.
unsafe impl InterruptNumber for Uart0Rx {
    fn number(self) -> u16 {
        UART0_RX_IRQ
    }
}

/// Reads a UART0 register.
fn read(register: usize) -> u32 {
    // SAFETY: `register` is one of the constants above: an aligned, always-mapped 32-bit MMIO
    // register of this board's UART0. Reading STATE has no side effect; reading DATA takes the
    // received byte, which only `UartRx` (a single instance, see `take`) does.
    unsafe { core::ptr::read_volatile(register as *const u32) }
}

/// Writes a UART0 register.
fn write(register: usize, value: u32) {
    // SAFETY: as in `read`; writes go to DATA (only `UartTx`), CTRL and BAUDDIV (only `take`,
    // once) and INTCLEAR (the RX interrupt handler, which only clears the RX flag).
    unsafe { core::ptr::write_volatile(register as *mut u32, value) }
}

static TAKEN: AtomicBool = AtomicBool::new(false);

/// Enables UART0 (TX, RX and the RX wake-up interrupt) and hands out its two halves; `None`
/// after the first call.
pub fn take() -> Option<(UartRx, UartTx)> {
    if TAKEN.swap(true, Ordering::AcqRel) {
        return None;
    }
    write(BAUDDIV, 16);
    write(CTRL, CTRL_TX_EN | CTRL_RX_EN | CTRL_RX_INT_EN);
    // SAFETY: unmasking can break a critical section that relies on this interrupt being
    // masked; none does: the handler (`clear_rx_interrupt`) only clears the UART's RX flag.
    unsafe { NVIC::unmask(Uart0Rx) };
    Some((UartRx { _private: () }, UartTx { _private: () }))
}

/// Clears the RX interrupt; called by the interrupt handler.
pub fn clear_rx_interrupt() {
    write(INTCLEAR, INT_RX);
}

/// The receiving half of UART0.
#[derive(Debug)]
pub struct UartRx {
    _private: (),
}

impl UartRx {
    /// The received byte, if one is waiting; never blocks.
    pub fn try_read(&mut self) -> Option<u8> {
        if self.is_ready() {
            Some((read(DATA) & 0xFF) as u8)
        } else {
            None
        }
    }

    /// Whether a received byte is waiting.
    pub fn is_ready(&self) -> bool {
        read(STATE) & STATE_RX_FULL != 0
    }
}

/// The sending half of UART0.
#[derive(Debug)]
pub struct UartTx {
    _private: (),
}

impl UartTx {
    /// Sends one byte, waiting while the TX buffer is full.
    pub fn write(&mut self, byte: u8) {
        while read(STATE) & STATE_TX_FULL != 0 {}
        write(DATA, u32::from(byte));
    }
}
