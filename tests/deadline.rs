//! Deadlines on the worker (`Builder::deadline`, `Builder::timeout`):
//! what the routine sees, who wins against an explicit request, and that a
//! routine that returns first is never terminated later.
//!
//! No assert here depends on how late the timer is: a deadline in the
//! past is due at once, and "the timer has passed instant X" is learnt from
//! a probe worker whose deadline is X (the timer fires in deadline order).

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::time::{Duration, Instant};

use clusworker::{Builder, Reason, Registered, Request, State, Terminated, Worker};
use clusworker_test_support::{
    assert_first_of_deadline_and_request, eventually, quiet_panic, watchdog,
};
use common::timer_passes;

/// A routine that only ever polls, and returns the reason it saw.
fn poller(ctx: &clusworker::Context) -> Option<Reason> {
    while !ctx.check_terminate() {
        std::thread::yield_now();
    }
    ctx.reason()
}

#[test]
fn a_routine_that_only_checks_is_terminated_when_its_deadline_passes() {
    let _w = watchdog("a_routine_that_only_checks_is_terminated_when_its_deadline_passes");
    let w = Builder::new()
        .deadline(Instant::now())
        .spawn(poller)
        .expect("spawn");
    assert_eq!(w.join().unwrap(), Some(Reason::DeadlinePassed));
}

#[test]
fn a_timeout_wakes_a_sleeping_routine_with_the_deadline_reason() {
    let _w = watchdog("a_timeout_wakes_a_sleeping_routine_with_the_deadline_reason");
    let w = Builder::new()
        .timeout(Duration::from_millis(1))
        .spawn(|ctx| ctx.sleep(Duration::MAX))
        .expect("spawn");
    assert_eq!(w.join().unwrap(), Err(Terminated(Reason::DeadlinePassed)));
}

#[test]
fn the_routine_reads_its_deadline_and_a_plain_worker_has_none() {
    let at = Instant::now() + Duration::from_secs(3600);
    let w = Builder::new()
        .deadline(at)
        .spawn(|ctx| ctx.deadline())
        .expect("spawn");
    assert_eq!(w.join().unwrap(), Some(at));
    let plain = Worker::spawn(|ctx| ctx.deadline()).expect("spawn");
    assert_eq!(plain.join().unwrap(), None);
    // A timeout the clock cannot represent never passes: no deadline.
    let never = Builder::new()
        .timeout(Duration::MAX)
        .spawn(|ctx| ctx.deadline())
        .expect("spawn");
    assert_eq!(never.join().unwrap(), None);
}

#[test]
fn the_deadline_is_still_readable_after_it_fired() {
    let at = Instant::now();
    let w = Builder::new()
        .deadline(at)
        .spawn(move |ctx| {
            let _ = ctx.sleep(Duration::MAX);
            (ctx.reason(), ctx.deadline())
        })
        .expect("spawn");
    assert_eq!(w.join().unwrap(), (Some(Reason::DeadlinePassed), Some(at)));
}

#[test]
fn an_earlier_request_wins_and_the_deadline_is_cancelled_with_the_routine() {
    // An hour away: the request is surely first (the race of the two is
    // `deadline_and_request_race_and_the_first_wins_once`).
    let at = Instant::now() + Duration::from_secs(3600);
    let w = Builder::new()
        .deadline(at)
        .spawn(|ctx| {
            let _ = ctx.sleep(Duration::MAX);
            ctx.reason()
        })
        .expect("spawn");
    assert_eq!(w.request_terminate_with(Reason::User(7)), Request::First);
    assert_eq!(w.join().unwrap(), Some(Reason::User(7)));
}

#[test]
fn a_request_after_the_deadline_learns_the_deadline_reason() {
    let w = Builder::new()
        .deadline(Instant::now())
        .spawn(|ctx| while ctx.sleep(Duration::MAX).is_ok() {})
        .expect("spawn");
    eventually("the deadline to be requested", || {
        w.is_terminate_requested()
    });
    assert_eq!(
        w.request_terminate(),
        Request::AlreadyRequested(Reason::DeadlinePassed)
    );
    assert_eq!(w.reason(), Some(Reason::DeadlinePassed));
    w.join().unwrap();
}

#[test]
fn a_routine_that_returns_first_is_never_terminated_later() {
    let _w = watchdog("a_routine_that_returns_first_is_never_terminated_later");
    // Once the exit is published with no request, the deadline requests
    // nothing any more. A deadline that fired before the exit (a slow
    // machine, valgrind) proves nothing: tried again, later.
    for ahead_ms in [2, 20, 200, 2000, 20_000] {
        let at = Instant::now() + Duration::from_millis(ahead_ms);
        let w = Builder::new()
            .deadline(at)
            .spawn(|_ctx| 42u32)
            .expect("spawn");
        eventually("the routine to return", || w.state() == State::Exited);
        if w.reason().is_some() {
            continue; // the deadline came first
        }
        timer_passes(at);
        assert_eq!(w.reason(), None, "its entry went with its routine");
        assert_eq!(w.join().unwrap(), 42);
        return;
    }
    panic!("every deadline passed before its routine returned");
}

#[test]
fn deadline_and_request_race_and_the_first_wins_once() {
    let _w = watchdog("deadline_and_request_race_and_the_first_wins_once");
    for round in 0..200u32 {
        let w = Builder::new()
            .deadline(Instant::now() + Duration::from_micros(u64::from(round % 50)))
            .spawn(poller)
            .expect("spawn");
        let mine = w.request_terminate_with(Reason::User(round));
        let seen = w.join().unwrap();
        assert_first_of_deadline_and_request(mine, seen, round);
    }
}

#[test]
fn handles_dropped_or_detached_around_the_deadline_free_every_block() {
    // The block is freed by the owners or by the timer, whoever lets go
    // last; run both orders many times (ThreadSanitizer and valgrind see a
    // use after the free, or a second free).
    let _w = watchdog("handles_dropped_or_detached_around_the_deadline_free_every_block");
    for round in 0..200u32 {
        let w = Builder::new()
            .deadline(Instant::now() + Duration::from_micros(u64::from(round % 20)))
            .spawn(|ctx| while ctx.sleep(Duration::MAX).is_ok() {})
            .expect("spawn");
        if round % 2 == 0 {
            drop(w);
        } else {
            w.detach();
        }
    }
    timer_passes(Instant::now());
}

#[test]
fn a_panicking_callback_run_by_the_timer_stops_neither_the_request_nor_the_timer() {
    let _w =
        watchdog("a_panicking_callback_run_by_the_timer_stops_neither_the_request_nor_the_timer");
    // The callbacks must be registered before the deadline passes, so that
    // the timer runs them: a deadline that passed first is tried again,
    // later.
    for wait_ms in [20, 200, 2000, 20_000] {
        let ran = Arc::new(AtomicU32::new(0));
        let count = ran.clone();
        let w = Builder::new()
            .timeout(Duration::from_millis(wait_ms))
            .spawn(move |ctx| {
                let again = count.clone();
                let mut other = pin!(ctx.on_terminate(move || {
                    again.fetch_add(1, SeqCst);
                }));
                let boomer = count.clone();
                let mut boom = pin!(ctx.on_terminate(move || {
                    boomer.fetch_add(1, SeqCst);
                    quiet_panic(1)
                }));
                if other.as_mut().register() == Registered::Ran {
                    return None;
                }
                // It panics out of `register` if it ran at once.
                let registered = catch_unwind(AssertUnwindSafe(|| boom.as_mut().register()));
                if registered.is_err() {
                    return None;
                }
                let slept = ctx.sleep(Duration::MAX);
                // Removing them now could come before the timer ran them.
                eventually("both callbacks to run", || count.load(SeqCst) == 2);
                Some(slept)
            });
        let Some(slept) = w.expect("spawn").join().unwrap() else {
            continue; // the deadline came first
        };
        assert_eq!(slept, Err(Terminated(Reason::DeadlinePassed)));
        assert_eq!(ran.load(SeqCst), 2, "each callback ran once");
        // The timer thread is still there: a later deadline fires.
        timer_passes(Instant::now());
        return;
    }
    panic!("every deadline passed before its callbacks were registered");
}
