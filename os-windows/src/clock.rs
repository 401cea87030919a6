//! The monotonic clock: `QueryPerformanceCounter`.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use windows_sys::Win32::System::Performance::{QueryPerformanceCounter, QueryPerformanceFrequency};

/// Time since an arbitrary fixed origin (boot) on the performance counter,
/// the clock `std::time::Instant` uses on Windows.
pub fn now() -> Duration {
    let mut count = 0i64;
    // SAFETY: `count` is a valid, writable i64 for the duration of the call.
    let r = unsafe { QueryPerformanceCounter(&mut count) };
    // "On systems that run Windows XP or later, the function will always
    // succeed" (Microsoft's documentation): a failure is a bug here.
    debug_assert_ne!(r, 0, "QueryPerformanceCounter failed");
    let (count, freq) = (count.max(0) as u64, frequency());
    let nanos = u128::from(count % freq) * 1_000_000_000 / u128::from(freq);
    // `nanos` < 10^9: the remainder is below the frequency.
    Duration::new(count / freq, nanos as u32)
}

/// Ticks a second, fixed at boot; read once and cached.
fn frequency() -> u64 {
    static FREQ: AtomicU64 = AtomicU64::new(0);
    // Relaxed: every thread that reads the OS computes the same value, so
    // which store a reader sees does not matter.
    let cached = FREQ.load(Relaxed);
    if cached != 0 {
        return cached;
    }
    let mut freq = 0i64;
    // SAFETY: `freq` is a valid, writable i64 for the duration of the call.
    let r = unsafe { QueryPerformanceFrequency(&mut freq) };
    debug_assert!(r != 0 && freq > 0, "QueryPerformanceFrequency failed");
    // Never zero, so that `now` cannot divide by zero even on a broken OS.
    let freq = (freq.max(1)) as u64;
    FREQ.store(freq, Relaxed);
    freq
}
