//! Small memory routines: byte loops for `memcpy`, `memmove`, `memset`, `memcmp` and the ARM
//! EABI entry points the compiler calls for them (`__aeabi_memcpy4`, `__aeabi_memclr`, ...), in
//! place of `compiler_builtins`' word-at-a-time versions (weak symbols, which these replace at
//! link time): 3 KiB of flash for speed this device does not need (its copies are datagrams of
//! at most 1280 bytes, a few per second).
//!
//! The crate is `#![no_builtins]`, so the optimizer does not turn these loops back into calls
//! to the routines themselves; it is a crate of its own so that the attribute (which also
//! stops inlining across it) does not reach the firmware's code.
//!
//! Safety, for every function below: the caller (compiled code) guarantees what C's and the
//! ARM EABI's contracts require — `dest` valid for `n` bytes of writes, `src` for `n` bytes of
//! reads, both non-overlapping for `memcpy`; overlapping allowed for `memmove`, which copies
//! downwards when `dest` is above `src`. Each loop touches exactly the bytes `0..n` of each
//! region, one at a time.
#![no_std]
#![no_builtins]
#![allow(unsafe_code)]

/// C `memcpy`.
///
/// # Safety
///
/// The contract of the C and ARM EABI routine: see the crate documentation.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    let mut i = 0;
    while i < n {
        // SAFETY: i < n; see the module documentation.
        unsafe { *dest.add(i) = *src.add(i) };
        i += 1;
    }
    dest
}

/// C `memmove`.
///
/// # Safety
///
/// The contract of the C and ARM EABI routine: see the crate documentation.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memmove(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dest as usize) <= (src as usize) {
        // Forwards: each byte is read before a write can reach it.
        // SAFETY: as memcpy's contract, overlap allowed in this direction.
        unsafe { memcpy(dest, src, n) };
    } else {
        let mut i = n;
        while i > 0 {
            i -= 1;
            // SAFETY: i < n; backwards, each byte is read before a write can reach it.
            unsafe { *dest.add(i) = *src.add(i) };
        }
    }
    dest
}

/// C `memset`.
///
/// # Safety
///
/// The contract of the C and ARM EABI routine: see the crate documentation.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memset(dest: *mut u8, c: i32, n: usize) -> *mut u8 {
    let mut i = 0;
    while i < n {
        // SAFETY: i < n; `c` is converted to `unsigned char`, as C says.
        unsafe { *dest.add(i) = c as u8 };
        i += 1;
    }
    dest
}

/// C `memcmp`: the difference of the first differing bytes (as `unsigned char`), else 0.
///
/// # Safety
///
/// The contract of the C and ARM EABI routine: see the crate documentation.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i < n {
        // SAFETY: i < n; `a` and `b` are valid for `n` bytes of reads.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
        i += 1;
    }
    0
}

/// ARM EABI `__aeabi_memcpy` (and its 4- and 8-byte aligned forms below).
///
/// # Safety
///
/// The contract of the C and ARM EABI routine: see the crate documentation.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memcpy(dest: *mut u8, src: *const u8, n: usize) {
    // SAFETY: the same contract.
    unsafe { memcpy(dest, src, n) };
}

/// ARM EABI `__aeabi_memcpy4`.
///
/// # Safety
///
/// The contract of the C and ARM EABI routine: see the crate documentation.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memcpy4(dest: *mut u8, src: *const u8, n: usize) {
    // SAFETY: the same contract.
    unsafe { memcpy(dest, src, n) };
}

/// ARM EABI `__aeabi_memcpy8`.
///
/// # Safety
///
/// The contract of the C and ARM EABI routine: see the crate documentation.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memcpy8(dest: *mut u8, src: *const u8, n: usize) {
    // SAFETY: the same contract.
    unsafe { memcpy(dest, src, n) };
}

/// ARM EABI `__aeabi_memmove`.
///
/// # Safety
///
/// The contract of the C and ARM EABI routine: see the crate documentation.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memmove(dest: *mut u8, src: *const u8, n: usize) {
    // SAFETY: the same contract.
    unsafe { memmove(dest, src, n) };
}

/// ARM EABI `__aeabi_memmove4`.
///
/// # Safety
///
/// The contract of the C and ARM EABI routine: see the crate documentation.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memmove4(dest: *mut u8, src: *const u8, n: usize) {
    // SAFETY: the same contract.
    unsafe { memmove(dest, src, n) };
}

/// ARM EABI `__aeabi_memmove8`.
///
/// # Safety
///
/// The contract of the C and ARM EABI routine: see the crate documentation.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memmove8(dest: *mut u8, src: *const u8, n: usize) {
    // SAFETY: the same contract.
    unsafe { memmove(dest, src, n) };
}

/// ARM EABI `__aeabi_memset`: note the order, length before value.
///
/// # Safety
///
/// The contract of the C and ARM EABI routine: see the crate documentation.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memset(dest: *mut u8, n: usize, c: i32) {
    // SAFETY: the same contract.
    unsafe { memset(dest, c, n) };
}

/// ARM EABI `__aeabi_memset4`.
///
/// # Safety
///
/// The contract of the C and ARM EABI routine: see the crate documentation.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memset4(dest: *mut u8, n: usize, c: i32) {
    // SAFETY: the same contract.
    unsafe { memset(dest, c, n) };
}

/// ARM EABI `__aeabi_memset8`.
///
/// # Safety
///
/// The contract of the C and ARM EABI routine: see the crate documentation.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memset8(dest: *mut u8, n: usize, c: i32) {
    // SAFETY: the same contract.
    unsafe { memset(dest, c, n) };
}

/// ARM EABI `__aeabi_memclr`: zeroes `n` bytes.
///
/// # Safety
///
/// The contract of the C and ARM EABI routine: see the crate documentation.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memclr(dest: *mut u8, n: usize) {
    // SAFETY: the same contract.
    unsafe { memset(dest, 0, n) };
}

/// ARM EABI `__aeabi_memclr4`.
///
/// # Safety
///
/// The contract of the C and ARM EABI routine: see the crate documentation.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memclr4(dest: *mut u8, n: usize) {
    // SAFETY: the same contract.
    unsafe { memset(dest, 0, n) };
}

/// ARM EABI `__aeabi_memclr8`.
///
/// # Safety
///
/// The contract of the C and ARM EABI routine: see the crate documentation.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memclr8(dest: *mut u8, n: usize) {
    // SAFETY: the same contract.
    unsafe { memset(dest, 0, n) };
}
