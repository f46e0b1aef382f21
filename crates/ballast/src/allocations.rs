//! A counting global allocator for benchmarks (feature `count-allocations`).
//!
//! `bench/proxy.sh` needs allocations per proxied request. Counting in the
//! allocator itself is exact and needs no root or `perf`; it costs one
//! relaxed atomic add per allocation, so it stays out of normal builds. On
//! SIGUSR1 the process writes `ballast: allocations <N>` to stderr: the
//! benchmark reads the figure before and after a measured run.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

/// The system allocator, counting allocations (a `realloc` counts as one).
pub struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to `System`, which upholds
// `GlobalAlloc`'s contract; the counter has no effect on memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's obligations are passed through unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Allocations made so far by the whole process.
pub fn count() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
}

/// Answers every SIGUSR1 with the count on stderr, until the runtime ends.
pub fn report_on_signal() {
    let mut signals =
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::user_defined1()) {
            Ok(signals) => signals,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGUSR1: allocations are not reported");
                return;
            }
        };
    tokio::spawn(async move {
        while signals.recv().await.is_some() {
            eprintln!("ballast: allocations {}", count());
        }
    });
}
