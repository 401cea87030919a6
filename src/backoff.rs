//! The crate's one backoff: spin a few rounds, then yield, for a bounded
//! time, while a condition is not met. [`wait`](crate::wait)'s settle (a
//! handle waiting for its routine's exit) and the pool's idle threads
//! (polling the queue) both wait through it.
//!
//! # Why not crossbeam's `Backoff`
//!
//! DESIGN §7 names `crossbeam-utils`' `Backoff` (spin 2^0 .. 2^6 rounds of
//! `spin_loop`, then four `yield_now`, then "park"). It was measured
//! against this schedule on the terminate path, in the same runs, against
//! raw pthread (BENCHMARKS.md, issue 16): `cycle` per-iteration median
//! 2.00 × raw pthread with crossbeam's schedule, 1.66 × with this one
//! (2^0 .. 2^2 rounds, then yields for up to 20 µs), `latency` equal. A
//! thread just started or woken on the waiter's CPU cannot run while the
//! waiter spins, and crossbeam's 127 `spin_loop` hints before the first
//! yield are several microseconds of that. So the schedule is ours, in this
//! one place, with the spin length a parameter.

use std::hint::spin_loop;
use std::thread;
use std::time::{Duration, Instant};

/// Waits until `done()` returns `true`, or `budget` has passed: spins
/// 2^0, 2^1, .. 2^`spin_steps` `spin_loop` hints (checking `done` before
/// each round), then yields the CPU between checks. Returns the last
/// `done()`. The clock is read only once the spin rounds are over.
#[inline]
pub(crate) fn spin_then_yield(spin_steps: u32, budget: Duration, done: impl Fn() -> bool) -> bool {
    for step in 0..=spin_steps {
        if done() {
            return true;
        }
        for _ in 0..1u32 << step {
            spin_loop();
        }
    }
    let start = Instant::now();
    while start.elapsed() < budget {
        if done() {
            return true;
        }
        thread::yield_now();
    }
    done()
}
