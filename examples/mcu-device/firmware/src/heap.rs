//! The heap: a fixed static region managed by embedded-alloc's first-fit `LlffHeap`, behind a
//! wrapper that records the peak, to size the region from measurements.
//!
//! Two peaks: the most bytes allocated at once, and the *extent*, the highest end of any block
//! above the heap's start. The extent, which counts fragmentation and the allocator's rounding,
//! is the heap size the same run needs.
#![allow(unsafe_code)]

use core::alloc::{GlobalAlloc, Layout};
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicUsize, Ordering};

use embedded_alloc::LlffHeap;

/// Size of the heap region in bytes: the scripted session of `benches/mcu-footprint.py`
/// (register, reads in every format, discover, observe, write) peaks at about 8.4 KiB of
/// extent; the rest is headroom for a 2 KiB Block1 body (`device::MAX_REQUEST_BODY`) being
/// reassembled and decoded while a notification is built.
pub const HEAP_SIZE: usize = 14 * 1024;

static mut HEAP_MEM: [MaybeUninit<u8>; HEAP_SIZE] = [MaybeUninit::uninit(); HEAP_SIZE];

#[global_allocator]
static HEAP: PeakHeap = PeakHeap {
    inner: LlffHeap::empty(),
    start: AtomicUsize::new(0),
    used: AtomicUsize::new(0),
    peak_used: AtomicUsize::new(0),
    peak_extent: AtomicUsize::new(0),
};

/// What the heap has seen.
#[derive(Debug, Clone, Copy)]
pub struct HeapStats {
    /// Bytes allocated now.
    pub used: usize,
    /// The most bytes allocated at once.
    pub peak_used: usize,
    /// The highest end of a block, from the start of the heap.
    pub peak_extent: usize,
    /// The size of the heap region.
    pub size: usize,
}

/// Hands the static region to the allocator; call once, first thing in `main`.
pub fn init() {
    let start = (&raw mut HEAP_MEM) as usize;
    // SAFETY: called once, before any allocation (the only caller is the start of `main`); the
    // region is a static that nothing else references, HEAP_SIZE > 0.
    unsafe { HEAP.inner.init(start, HEAP_SIZE) };
    HEAP.start.store(start, Ordering::Relaxed);
}

/// The heap's counters now.
pub fn stats() -> HeapStats {
    HeapStats {
        used: HEAP.used.load(Ordering::Relaxed),
        peak_used: HEAP.peak_used.load(Ordering::Relaxed),
        peak_extent: HEAP.peak_extent.load(Ordering::Relaxed),
        size: HEAP_SIZE,
    }
}

/// Bytes free in the heap now (in however many pieces).
pub fn free() -> usize {
    HEAP.inner.free()
}

/// `LlffHeap` plus peak counters.
struct PeakHeap {
    inner: LlffHeap,
    start: AtomicUsize,
    used: AtomicUsize,
    peak_used: AtomicUsize,
    peak_extent: AtomicUsize,
}

// SAFETY: every call is forwarded unchanged to `LlffHeap`, a correct allocator; the wrapper only
// updates counters (atomics, never allocating).
unsafe impl GlobalAlloc for PeakHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let ptr = unsafe { self.inner.alloc(layout) };
        if !ptr.is_null() {
            let used = self.used.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            self.peak_used.fetch_max(used, Ordering::Relaxed);
            let extent = (ptr as usize + block_size(layout))
                .saturating_sub(self.start.load(Ordering::Relaxed));
            self.peak_extent.fetch_max(extent, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.inner.dealloc(ptr, layout) };
        self.used.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

/// The bytes `LlffHeap` (linked_list_allocator) takes for `layout`: at least two words, a whole
/// number of words.
fn block_size(layout: Layout) -> usize {
    const WORD: usize = core::mem::size_of::<usize>();
    layout.size().max(2 * WORD).next_multiple_of(WORD)
}
