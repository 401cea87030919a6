//! A custom platform written only against `clusworker-core`'s trait: the
//! shape of an embedding on bare metal or an RTOS without futexes.
//!
//! [`Spin`] needs nothing from an OS:
//!
//! - `wait` spins a little, then calls a caller-supplied `yield` hook (an
//!   RTOS's `task_yield`, or nothing on a single core with interrupts) and
//!   returns: every return is a spurious wake-up, which the contract allows;
//!   the core re-reads the word and the clock after each.
//! - `wake_all` does nothing: nobody is ever blocked.
//! - `now` reads a tick counter that the embedder advances (a SysTick
//!   interrupt handler, here a "timer" thread of the test).
//!
//! The module `spin` below uses `core` only (no `std`, no `alloc`), so it
//! compiles unchanged into a `#![no_std]` firmware; the tests around it use
//! std threads to play the worker, the terminators and the timer.

mod spin {
    use core::cell::UnsafeCell;
    use core::hint::spin_loop;
    use core::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering};
    use core::time::Duration;

    use clusworker_core::Platform;

    /// How long one tick of [`TICKS`] is.
    pub(crate) const TICK: Duration = Duration::from_millis(1);

    /// The tick counter: advanced by the embedder's timer interrupt
    /// ([`tick`]). `Relaxed` is enough: the clock orders nothing, the core
    /// only compares readings of it.
    static TICKS: AtomicU64 = AtomicU64::new(0);

    /// The embedder's yield hook (`task_yield`, `sched_yield`, ...), or
    /// null for "just spin".
    static YIELD: AtomicPtr<()> = AtomicPtr::new(core::ptr::null_mut());

    /// Advances the clock by one [`TICK`]: call it from the timer interrupt.
    pub(crate) fn tick() {
        TICKS.fetch_add(1, Ordering::Relaxed);
    }

    /// Installs the function `wait` calls after its spin.
    pub(crate) fn set_yield(hook: fn()) {
        YIELD.store(hook as *mut (), Ordering::Relaxed);
    }

    /// The spin/yield platform.
    #[derive(Debug)]
    pub(crate) struct Spin;

    impl Platform for Spin {
        type Word = AtomicU32;
        type Cell<T> = UnsafeCell<T>;

        /// Waiters for an exit spin a little before they "park" (which here
        /// is just more spinning): the default schedule.
        const SPIN_LIMIT: u32 = 6;

        fn wait(word: &AtomicU32, expected: u32, _timeout: Option<Duration>) {
            // Return at once if the word already moved; the core would
            // re-read it anyway, this just saves a round of spinning.
            for _ in 0..64 {
                if word.load(Ordering::Relaxed) != expected {
                    return;
                }
                spin_loop();
            }
            let hook = YIELD.load(Ordering::Relaxed);
            if !hook.is_null() {
                // SAFETY: the only non-null value ever stored is a `fn()`
                // cast by `set_yield`; function pointers round-trip through
                // `*mut ()` on every target Rust supports.
                let hook: fn() = unsafe { core::mem::transmute::<*mut (), fn()>(hook) };
                hook();
            }
        }

        fn wake_all(_word: &AtomicU32) {
            // Nobody blocks in `wait`, so there is nobody to wake.
        }

        fn now() -> Duration {
            let ticks = TICKS.load(Ordering::Relaxed);
            TICK.saturating_mul(u32::try_from(ticks).unwrap_or(u32::MAX))
        }
    }
}

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use clusworker_core::{Request, Sleep, State, TimedOut, WorkerCell};
use spin::Spin;

/// Runs `f` while a "timer interrupt" thread advances the spin clock, with
/// `std::thread::yield_now` as the yield hook.
fn with_timer<R>(f: impl FnOnce() -> R) -> R {
    spin::set_yield(thread::yield_now);
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                spin::tick();
                thread::sleep(Duration::from_micros(100));
            }
        });
        let r = f();
        stop.store(true, Ordering::Relaxed);
        r
    })
}

#[test]
fn sleeping_worker_wakes_on_terminate_and_publishes_its_result() {
    with_timer(|| {
        let cell: WorkerCell<Spin, u32> = WorkerCell::new();
        thread::scope(|s| {
            s.spawn(|| {
                let mut rounds = 0;
                // A very long sleep: only the terminate request ends it.
                while cell.word().sleep(Duration::from_secs(3600)) == Sleep::Elapsed {
                    rounds += 1;
                }
                assert!(
                    cell.word().check_terminate(),
                    "sleep ended without terminate"
                );
                assert!(cell.complete(rounds).is_ok(), "the first complete stores");
            });
            assert_eq!(cell.word().request_terminate(), Request::First);
            assert_eq!(cell.word().wait_exited(None), Ok(()));
        });
        assert_eq!(cell.word().state(), State::Exited);
        assert_eq!(cell.take(), Ok(0), "a one-hour sleep cannot elapse here");
    });
}

#[test]
fn exactly_one_of_many_terminators_is_first() {
    with_timer(|| {
        let cell: WorkerCell<Spin, ()> = WorkerCell::new();
        let firsts = AtomicUsize::new(0);
        thread::scope(|s| {
            s.spawn(|| {
                while !cell.word().check_terminate() {
                    std::hint::spin_loop();
                }
                let _ = cell.complete(());
            });
            for _ in 0..8 {
                s.spawn(|| match cell.word().request_terminate() {
                    Request::First | Request::AlreadyExited => {
                        firsts.fetch_add(1, Ordering::Relaxed);
                        assert_eq!(cell.word().wait_exited(None), Ok(()));
                    }
                    Request::AlreadyRequested(_) => {}
                });
            }
        });
        assert_eq!(firsts.into_inner(), 1, "exactly one first terminator");
        assert_eq!(cell.take(), Ok(()));
    });
}

#[test]
fn sleep_elapses_on_the_tick_clock() {
    with_timer(|| {
        let cell: WorkerCell<Spin, ()> = WorkerCell::new();
        // Ten ticks pass: the timer thread is running.
        assert_eq!(cell.word().sleep(spin::TICK * 10), Sleep::Elapsed);
        assert_eq!(cell.word().state(), State::Running);
    });
}

#[test]
fn timed_wait_for_a_stubborn_worker_times_out_then_succeeds() {
    with_timer(|| {
        let cell: WorkerCell<Spin, &str> = WorkerCell::new();
        let release = AtomicBool::new(false);
        thread::scope(|s| {
            s.spawn(|| {
                // Ignores terminate until the test lets it go.
                while !release.load(Ordering::Acquire) {
                    thread::yield_now();
                }
                let _ = cell.complete("done");
            });
            assert_eq!(cell.word().request_terminate(), Request::First);
            assert_eq!(cell.word().wait_exited(Some(spin::TICK * 3)), Err(TimedOut));
            assert_eq!(cell.word().state(), State::Terminating);
            release.store(true, Ordering::Release);
            assert_eq!(cell.word().wait_exited(None), Ok(()));
        });
        assert_eq!(cell.take(), Ok("done"));
    });
}
