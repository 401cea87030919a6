//! The monotonic clock.

use std::time::Duration;

/// Time since an arbitrary fixed origin on `CLOCK_MONOTONIC` (the clock
/// `std::time::Instant` uses on Linux).
pub fn now() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    // CLOCK_MONOTONIC is mandatory in POSIX.1-2008; EINVAL cannot happen.
    debug_assert_eq!(r, 0, "clock_gettime(CLOCK_MONOTONIC) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// A cheap reading of `CLOCK_MONOTONIC` (Linux's `CLOCK_MONOTONIC_COARSE`:
/// the time of the last scheduler tick, a few nanoseconds to read) and its
/// resolution: the true time is within `[reading, reading + resolution]`.
/// Same origin as [`now`].
#[cfg(target_os = "linux")]
#[inline]
pub fn coarse() -> (Duration, Duration) {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
    debug_assert_eq!(r, 0, "clock_gettime(CLOCK_MONOTONIC_COARSE) failed");
    (
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32),
        coarse_resolution(),
    )
}

/// The resolution of `CLOCK_MONOTONIC_COARSE` (one scheduler tick), read
/// once.
#[cfg(target_os = "linux")]
#[inline]
fn coarse_resolution() -> Duration {
    use std::sync::atomic::{AtomicU64, Ordering};
    /// Nanoseconds; 0 until read. Relaxed: the value is the same whichever
    /// thread reads it first, and nothing else is published through it.
    static RES: AtomicU64 = AtomicU64::new(0);
    let cached = RES.load(Ordering::Relaxed);
    if cached != 0 {
        return Duration::from_nanos(cached);
    }
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    let r = unsafe { libc::clock_getres(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
    // Unknown: assume a slow tick (100 Hz).
    let res = if r == 0 {
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    } else {
        Duration::from_millis(10)
    };
    let nanos = (res.as_nanos() as u64).max(1);
    RES.store(nanos, Ordering::Relaxed);
    Duration::from_nanos(nanos)
}

/// `d` as a relative timespec, clamped to what a 32-bit `time_t` holds
/// (68 years): callers re-check their deadline after every wake-up.
pub(crate) fn timespec(d: Duration) -> libc::timespec {
    const MAX_SECS: u64 = i32::MAX as u64;
    let (sec, nsec) = if d.as_secs() >= MAX_SECS {
        (MAX_SECS, 0)
    } else {
        (d.as_secs(), d.subsec_nanos())
    };
    libc::timespec {
        tv_sec: sec as libc::time_t,
        tv_nsec: nsec as _,
    }
}
