//! The stack's high-water mark.
//!
//! cortex-m-rt's `paint-stack` feature fills the whole stack region, from `_stack_end` (the end
//! of `.bss`/`.uninit`) up to `_stack_start` (the top of RAM, the initial stack pointer), with
//! [`cortex_m_rt::STACK_PAINT_VALUE`] before `main`. The stack grows down, so the lowest word
//! that no longer holds the paint is the deepest the stack has reached (exception frames
//! included); a function that reserved stack it never wrote is not seen.
#![allow(unsafe_code)]

use cortex_m_rt::STACK_PAINT_VALUE;

// SAFETY: both symbols are defined by cortex-m-rt's `link.x`; only their addresses are used.
unsafe extern "C" {
    static _stack_start: u32;
    static _stack_end: u32;
}

/// The stack region: (lowest address, top address).
fn region() -> (usize, usize) {
    (
        (&raw const _stack_end) as usize,
        (&raw const _stack_start) as usize,
    )
}

/// The size of the stack region in bytes.
pub fn size() -> usize {
    let (end, start) = region();
    start - end
}

/// The deepest the stack has been since reset, in bytes below its top.
pub fn peak() -> usize {
    let (end, start) = region();
    let mut addr = end;
    while addr < start {
        // SAFETY: `addr` is word-aligned (the linker script aligns `_stack_end` to 4) and lies
        // in the stack region, which is RAM; a volatile read of it has no side effect.
        if unsafe { core::ptr::read_volatile(addr as *const u32) } != STACK_PAINT_VALUE {
            break;
        }
        addr += 4;
    }
    start - addr
}
