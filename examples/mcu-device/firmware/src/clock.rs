//! A monotonic millisecond clock: SysTick interrupts every millisecond and the handler counts.
//!
//! QEMU's mps2 boards clock the CPU (and SysTick's "processor clock" source) at 25 MHz from
//! QEMU's virtual clock, which follows host time unless `-icount` is given; the reload is
//! therefore 25 000 - 1 cycles.

use core::cell::Cell;

use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::exception;
use critical_section::Mutex;

/// The CPU clock of QEMU's mps2-an386 (`SYSCLK_FRQ` in QEMU's `hw/arm/mps2.c`).
pub const CPU_HZ: u32 = 25_000_000;

static MILLIS: Mutex<Cell<u64>> = Mutex::new(Cell::new(0));

/// Starts the clock at 0 ms.
pub fn start(mut syst: SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(CPU_HZ / 1000 - 1);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

/// Milliseconds since [`start`].
pub fn now_ms() -> u64 {
    critical_section::with(|cs| MILLIS.borrow(cs).get())
}

#[exception]
fn SysTick() {
    critical_section::with(|cs| {
        let millis = MILLIS.borrow(cs);
        millis.set(millis.get() + 1);
    });
}
