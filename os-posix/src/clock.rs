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
