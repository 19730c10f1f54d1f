//! `mcu-device`: an emulated Cortex-M4 LwM2M device (QEMU `mps2-an386`) whose network is a
//! datagram link over UART0 (SLIP frames addressing UDP peers, `mcu-link`), as a device talks
//! to a cellular modem's socket interface; the host's `mcu-bridge` relays each frame to and
//! from a UDP socket.
//!
//! It serves the built-in Security, Server and Device objects and a live Temperature (3303,
//! generated from the bundled registry by `build.rs`) to the one LwM2M server given on the
//! command line, with the runtime's sans-IO client (`lwm2m` without std): datagrams from the
//! link go into the client, its datagrams go out on the link, time comes from SysTick. The
//! temperature is measured every second and observers are notified as their attributes allow.
//! On the shutdown control frame it deregisters, prints its measurements (semihosting, QEMU's
//! stdout) and exits QEMU with status 0.
//!
//! Modules, one job each: [`uart`] (UART0 registers), [`clock`] (SysTick milliseconds),
//! [`heap`] (the allocator and its peak), [`stack`] (the stack's high-water mark), [`config`]
//! (the semihosting command line), [`link`] (frames over the UART), [`device`] (the objects
//! and the client's configuration), [`thermometer`] (the simulated sensor), [`objects`] (the
//! generated code). The `mcu-mem` crate (`mem/`) links small `memcpy`/`memmove`/`memset`.
#![no_std]
#![no_main]

extern crate alloc;

mod clock;
mod config;
mod device;
mod heap;
mod link;
mod objects;
mod stack;
mod thermometer;
mod uart;

use lwm2m::Instant;
use lwm2m::client::{Client, Event};

use cortex_m_rt::{ExceptionFrame, entry, exception};
use cortex_m_semihosting::debug::{self, EXIT_FAILURE, EXIT_SUCCESS};
use cortex_m_semihosting::hprintln;
use mcu_link::Frame;

use crate::link::{Receiver, Sender};

// Small memory routines in place of compiler_builtins' (flash over speed): linked for their
// symbols only.
use mcu_mem as _;

/// How often the temperature is measured, in milliseconds.
const MEASURE_EVERY_MS: u64 = 1000;

/// How long a Deregister may take before the device exits anyway, in milliseconds (well within
/// the 10 s the bridge waits for QEMU to exit).
const DEREGISTER_TIMEOUT_MS: u64 = 5_000;

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
        "mcu-device up: endpoint {}, server {}, lifetime {} s",
        config.endpoint, config.server_uri, config.lifetime
    ));

    let mut client = device::client(&config, clock::now_ms(), seed());
    client.start(now());
    let mut shutdown = false;
    let mut deregister_deadline = None;
    let mut next_measure = clock::now_ms() + MEASURE_EVERY_MS;
    let mut reported = rx.stats();
    loop {
        let busy = rx.poll(|frame| match frame {
            Frame::Datagram { peer, payload } => {
                // Below the reserve, new requests get 5.03 instead of exhausting the heap.
                client.set_overloaded(heap::free() < device::HEAP_RESERVE);
                client.handle_datagram(now(), peer, payload);
            }
            Frame::Shutdown => shutdown = true,
            // Log frames go device -> host; one from the host is ignored.
            Frame::Log(_) => {}
        });
        let now_ms = clock::now_ms();
        if shutdown && deregister_deadline.is_none() {
            tx.log(format_args!("mcu-device: shutting down: deregistering"));
            client.deregister(now());
            deregister_deadline = Some(now_ms + DEREGISTER_TIMEOUT_MS);
        }
        if client.poll_timeout().is_some_and(|due| due <= now()) {
            client.handle_timeout(now());
        }
        if now_ms >= next_measure {
            measure(&mut client, now_ms);
            next_measure = now_ms + MEASURE_EVERY_MS;
        }
        flush(&mut client, &mut tx);
        if let Some(deadline) = deregister_deadline
            && (!client.is_deregistering() || now_ms >= deadline)
        {
            report(&rx);
            exit(EXIT_SUCCESS);
        }
        if busy {
            continue;
        }
        // Garbage is reported once the line has been quiet a while: one line per burst.
        let stats = rx.stats();
        if stats.dropped() != reported.dropped() && rx.quiet_for(now_ms) >= REPORT_QUIET_MS {
            tx.log(format_args!("mcu-device: link dropped garbage: {stats}"));
            reported = stats;
        }
        if !rx.expecting_more(now_ms) {
            idle(&rx);
        }
    }
}

/// The client's clock: SysTick milliseconds since boot.
fn now() -> Instant {
    Instant::from_millis(clock::now_ms())
}

/// Randomness for tokens and message ids. The board has no random number generator: the time
/// the host took to answer the semihosting calls (SysTick's sub-millisecond count) and the
/// host's clock. A real device seeds from its TRNG.
#[allow(unsafe_code)]
fn seed() -> u64 {
    // SAFETY: SYS_TIME takes no parameter block and touches no memory of ours.
    let host_seconds = unsafe { cortex_m_semihosting::syscall1(cortex_m_semihosting::nr::TIME, 0) };
    let ticks = u64::from(cortex_m::peripheral::SYST::get_current());
    (host_seconds as u64).rotate_left(32)
        ^ ticks
        ^ clock::now_ms().wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Measures the temperature and tells the client which resources changed.
fn measure(client: &mut Client, now_ms: u64) {
    let value = thermometer::value_at(now_ms);
    let mut changed = [None; 3];
    if let Some(temperature) = client.store_mut().get_mut::<objects::Temperature>(0) {
        let mut slots = changed.iter_mut();
        thermometer::record(temperature, value, |path| {
            if let Some(slot) = slots.next() {
                *slot = Some(path);
            }
        });
    }
    for path in changed.iter().flatten() {
        client.resource_changed(now(), path);
    }
}

/// Sends what the client has to send and logs its events to the host.
fn flush(client: &mut Client, tx: &mut Sender) {
    while let Some(transmit) = client.poll_transmit() {
        tx.send(transmit.to, &transmit.bytes);
    }
    while let Some(event) = client.poll_event() {
        match event {
            Event::Registered { location } => {
                tx.log(format_args!("mcu-device: registered at {location}"));
            }
            Event::Updated => tx.log(format_args!("mcu-device: registration updated")),
            Event::Deregistered => tx.log(format_args!("mcu-device: deregistered")),
            Event::RegistrationFailed { request, reason } => {
                tx.log(format_args!("mcu-device: {request} failed: {reason}"));
            }
            Event::Request {
                operation,
                path: Some(path),
                code,
            } => tx.log(format_args!("mcu-device: {operation} {path} -> {code}")),
            Event::Request {
                operation, code, ..
            } => {
                tx.log(format_args!("mcu-device: {operation} -> {code}"));
            }
            Event::Notified { path, sequence } => {
                tx.log(format_args!("mcu-device: notified {path} #{sequence}"));
            }
            _ => {}
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

/// A panic ends the run with status 1. Without the `panic-details` feature the handler does not
/// look at the panic's message or location: LTO then drops every panic site's message
/// arguments, `Location`s (source paths) and the formatting they need, 8.6 KiB of flash
/// (measured). Build with `--features panic-details` to see them.
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    if cfg!(feature = "panic-details") {
        hprintln!("mcu-device: panic: {}", info);
    } else {
        let _ = info;
        hprintln!("mcu-device: panic");
    }
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
    // The faulting and return addresses only (for addr2line): `ExceptionFrame`'s `Debug` would
    // link `core::fmt`'s struct builders for this one line.
    hprintln!(
        "mcu-device: hard fault: pc {:#010x}, lr {:#010x}",
        frame.pc(),
        frame.lr()
    );
    exit_failure()
}
