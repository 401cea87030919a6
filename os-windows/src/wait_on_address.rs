//! Parking on the worker word with `WaitOnAddress` / `WakeByAddressAll`.

use std::sync::atomic::AtomicU32;
use std::time::Duration;

use clusworker_core::Platform;
use windows_sys::Win32::Foundation::{ERROR_TIMEOUT, GetLastError};
use windows_sys::Win32::System::Threading::{self as threading, INFINITE};

use crate::clock;

/// Parks on the word itself with `WaitOnAddress`; wakes with
/// `WakeByAddressAll` (Windows 8 and later; the API set
/// `api-ms-win-core-synch-l1-2-0`, which Wine forwards to kernelbase). No
/// table, no lock: the OS keys its wait queue by the word's address, like a
/// Linux futex.
#[derive(Debug, Clone, Copy, Default)]
pub struct WaitOnAddress;

impl Platform for WaitOnAddress {
    type Word = AtomicU32;
    type Cell<T> = core::cell::UnsafeCell<T>;

    /// As for the Linux futex: a waiter spins for about a microsecond
    /// before it sleeps, because a terminated worker often exits within
    /// that and a sleep/wake pair costs far more.
    const SPIN_LIMIT: u32 = 10;

    fn wait(word: &AtomicU32, expected: u32, timeout: Option<Duration>) {
        let ms = timeout.map_or(INFINITE, millis);
        // SAFETY: `word` is a live, aligned u32 for the whole call (we hold a
        // borrow) and `expected` a local u32: both are 4 readable bytes, the
        // size passed. WaitOnAddress compares `*word` with `expected` and
        // queues the thread atomically with respect to WakeByAddressAll:
        // the contract of `Platform`.
        let woken = unsafe {
            threading::WaitOnAddress(
                word.as_ptr().cast(),
                (&raw const expected).cast(),
                size_of::<u32>(),
                ms,
            )
        };
        if woken == 0 {
            // FALSE only with ERROR_TIMEOUT; TRUE also when the word had
            // changed, or spuriously. All are allowed returns.
            // SAFETY: GetLastError has no preconditions.
            let e = unsafe { GetLastError() };
            debug_assert_eq!(e, ERROR_TIMEOUT, "WaitOnAddress failed: {e}");
        }
    }

    fn wake_all(word: &AtomicU32) {
        // SAFETY: `word` is a live, aligned u32; WakeByAddressAll only uses
        // its address as a key and never writes through it. It cannot fail
        // (it returns nothing).
        unsafe { threading::WakeByAddressAll(word.as_ptr().cast()) }
    }

    fn now() -> Duration {
        clock::now()
    }
}

/// `d` in whole milliseconds, rounded up (a wait rounded down to zero would
/// make the caller spin until its deadline) and clamped below `INFINITE`
/// (49.7 days): callers re-check their deadline after every wake-up.
fn millis(d: Duration) -> u32 {
    let ms = d.as_nanos().div_ceil(1_000_000);
    ms.min(u128::from(INFINITE - 1)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_rounds_up_and_never_means_infinite() {
        assert_eq!(millis(Duration::ZERO), 0);
        assert_eq!(millis(Duration::from_nanos(1)), 1);
        assert_eq!(millis(Duration::from_micros(1500)), 2);
        assert_eq!(millis(Duration::from_millis(7)), 7);
        assert_eq!(millis(Duration::from_secs(50 * 86_400)), INFINITE - 1);
        assert_eq!(millis(Duration::MAX), INFINITE - 1);
    }
}
