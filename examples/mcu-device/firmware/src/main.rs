//! `mcu-device`: an emulated Cortex-M4 LwM2M device (QEMU `mps2-an386`) whose network is a
//! datagram link over UART0 (SLIP frames addressing UDP peers, `mcu-link`), as a device talks
//! to a cellular modem's socket interface; the host's `mcu-bridge` relays each frame to and
//! from a UDP socket.
//!
//! For now the main loop is a placeholder for the LwM2M client: it sends a log line and a
//! `hello` datagram to the configured server at start, echoes every datagram back to its
//! sender with an `echo: ` prefix, logs the link's garbage counters when they move, and on the
//! shutdown control frame prints its measurements (semihosting, QEMU's stdout) and exits QEMU
//! with status 0.
//!
//! Modules, one job each: [`uart`] (UART0 registers), [`clock`] (SysTick milliseconds),
//! [`heap`] (the allocator and its peak), [`stack`] (the stack's high-water mark), [`config`]
//! (the semihosting command line), [`link`] (frames over the UART).
#![no_std]
#![no_main]

extern crate alloc;

mod clock;
mod config;
mod heap;
mod link;
mod stack;
mod uart;

use alloc::vec::Vec;

use cortex_m_rt::{ExceptionFrame, entry, exception};
use cortex_m_semihosting::debug::{self, EXIT_FAILURE, EXIT_SUCCESS};
use cortex_m_semihosting::hprintln;
use mcu_link::Frame;

use crate::link::{Receiver, Sender};

/// The prefix of every echoed datagram.
const ECHO_PREFIX: &[u8] = b"echo: ";

/// How long the line must be quiet before the garbage counters are logged.
const REPORT_QUIET_MS: u64 = 50;

#[entry]
fn main() -> ! {
    heap::init();
    let Some(peripherals) = cortex_m::Peripherals::take() else {
        fail(format_args!("core peripherals already taken"));
    };
    clock::start(peripherals.SYST);
    let Some((uart_rx, uart_tx)) = uart::take() else {
        fail(format_args!("UART0 already taken"));
    };
    let (mut rx, mut tx) = (Receiver::new(uart_rx), Sender::new(uart_tx));

    let config = match config::read() {
        Ok(config) => config,
        Err(error) => fail(format_args!("configuration: {error}")),
    };
    tx.log(format_args!(
        "mcu-device up: endpoint {}, server {}{}, lifetime {} s",
        config.endpoint,
        if config.secure { "coaps://" } else { "coap://" },
        config.server,
        config.lifetime
    ));
    tx.send(config.server, b"hello");

    let mut shutdown = false;
    let mut reported = rx.stats();
    loop {
        let busy = rx.poll(|frame| match frame {
            Frame::Datagram { peer, payload } => {
                let mut reply = Vec::with_capacity(ECHO_PREFIX.len() + payload.len());
                reply.extend_from_slice(ECHO_PREFIX);
                reply.extend_from_slice(payload);
                tx.send(peer, &reply);
            }
            Frame::Shutdown => shutdown = true,
            // Log frames go device -> host; one from the host is ignored.
            Frame::Log(_) => {}
        });
        if shutdown {
            // The LwM2M client will deregister here before the device exits.
            tx.log(format_args!("mcu-device: shutting down"));
            report(&rx);
            exit(EXIT_SUCCESS);
        }
        if busy {
            continue;
        }
        let now = clock::now_ms();
        // Garbage is reported once the line has been quiet a while: one line per burst.
        let stats = rx.stats();
        if stats.dropped() != reported.dropped() && rx.quiet_for(now) >= REPORT_QUIET_MS {
            tx.log(format_args!("mcu-device: link dropped garbage: {stats}"));
            reported = stats;
        }
        if !rx.expecting_more(now) {
            idle(&rx);
        }
    }
}

/// Sleeps until an interrupt (the UART's RX or the 1 ms SysTick), unless a byte is waiting.
///
/// The check runs with interrupts masked, so a byte arriving between it and `wfi` still wakes
/// the core (a pending interrupt ends `wfi` even while masked).
fn idle(rx: &Receiver) {
    cortex_m::interrupt::free(|_| {
        if !rx.is_ready() {
            cortex_m::asm::wfi();
        }
    });
}

/// Prints the run's measurements on the semihosting console.
fn report(rx: &Receiver) {
    let heap = heap::stats();
    hprintln!(
        "mcu-device: uptime {} ms; link {}; heap {} B in use, peak {} B in use, {} B extent, of {} B; stack peak {} B of {} B",
        clock::now_ms(),
        rx.stats(),
        heap.used,
        heap.peak_used,
        heap.peak_extent,
        heap.size,
        stack::peak(),
        stack::size()
    );
}

/// Prints `message` on the semihosting console and exits QEMU with status 1.
fn fail(message: core::fmt::Arguments<'_>) -> ! {
    hprintln!("mcu-device: {}", message);
    exit_failure()
}

fn exit_failure() -> ! {
    exit(EXIT_FAILURE)
}

/// Ends QEMU with `status` (0 or 1).
fn exit(status: debug::ExitStatus) -> ! {
    debug::exit(status);
    // `exit` returns only when a debugger resumes the program.
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    hprintln!("mcu-device: panic: {}", info);
    exit_failure()
}

/// Interrupts without a handler of their own: UART0's RX interrupt only wakes the main loop.
#[exception]
#[allow(unsafe_code)]
unsafe fn DefaultHandler(irqn: i16) {
    if irqn == uart::UART0_RX_IRQ as i16 {
        uart::clear_rx_interrupt();
    } else {
        hprintln!("mcu-device: unexpected interrupt {}", irqn);
        exit_failure();
    }
}

#[exception]
#[allow(unsafe_code)]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    hprintln!("mcu-device: hard fault: {:?}", frame);
    exit_failure()
}
