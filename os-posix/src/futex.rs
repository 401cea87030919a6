//! Parking on the worker word with the Linux futex.

use std::ptr;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use clusworker_core::Platform;

use crate::clock;

/// Parks on the word itself with `FUTEX_WAIT_PRIVATE`; wakes with
/// `FUTEX_WAKE_PRIVATE`. No table, no lock: the kernel's futex queue is the
/// only state.
#[derive(Debug, Clone, Copy, Default)]
pub struct Futex;

impl Platform for Futex {
    type Word = AtomicU32;
    type Cell<T> = core::cell::UnsafeCell<T>;

    /// A waiter spins for about a microsecond before it sleeps: a terminated
    /// worker often exits within that, and a futex sleep/wake pair costs far
    /// more.
    const SPIN_LIMIT: u32 = 10;

    fn wait(word: &AtomicU32, expected: u32, timeout: Option<Duration>) {
        let ts = timeout.map(clock::timespec);
        let ts_ptr = ts
            .as_ref()
            .map_or(ptr::null(), |t| t as *const libc::timespec);
        // SAFETY: `word` is a live, aligned u32 for the whole call (we hold a
        // borrow); `ts_ptr` is null or points at `ts`, which outlives the call.
        // FUTEX_WAIT compares `*word == expected` and queues the thread
        // atomically with respect to FUTEX_WAKE: the contract of `Platform`.
        let r = unsafe {
            libc::syscall(
                libc::SYS_futex,
                word.as_ptr(),
                libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
                expected,
                ts_ptr,
            )
        };
        if r != 0 {
            // EAGAIN: the word had changed; EINTR: a signal; ETIMEDOUT. All
            // are allowed returns. Anything else is a bug in this call.
            let e = std::io::Error::last_os_error().raw_os_error();
            debug_assert!(
                matches!(e, Some(libc::EAGAIN | libc::EINTR | libc::ETIMEDOUT)),
                "FUTEX_WAIT failed: {e:?}"
            );
        }
    }

    fn wake_all(word: &AtomicU32) {
        // SAFETY: `word` is a live, aligned u32; FUTEX_WAKE only uses its
        // address as a key and never writes through it.
        let r = unsafe {
            libc::syscall(
                libc::SYS_futex,
                word.as_ptr(),
                libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
                i32::MAX,
            )
        };
        debug_assert!(
            r >= 0,
            "FUTEX_WAKE failed: {}",
            std::io::Error::last_os_error()
        );
    }

    fn now() -> Duration {
        clock::now()
    }
}
