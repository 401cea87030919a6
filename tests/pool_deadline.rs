//! Deadlines on a pool's jobs (`Pool::spawn_with_deadline`,
//! `Pool::spawn_with_timeout`): what the routine sees, a deadline that
//! passes while the job waits in the queue, who wins against an explicit
//! request, and that a job that returns first is neither terminated later
//! nor kept alive by the timer.
//!
//! As in `deadline.rs`, no assert depends on how late the timer is: a
//! deadline in the past is due at once, and "the timer has passed instant
//! X" is learnt from a probe worker whose deadline is X.

mod common;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use clusworker::pool::Pool;
use clusworker::{Reason, Request, State, Terminated};
use clusworker_test_support::{Drops, assert_first_of_deadline_and_request, eventually, watchdog};
use common::timer_passes;

/// A routine that only ever polls: the deadline it read, and the reason
/// it saw.
fn poller(ctx: &clusworker::Context) -> (Option<Instant>, Option<Reason>) {
    while !ctx.check_terminate() {
        std::thread::yield_now();
    }
    (ctx.deadline(), ctx.reason())
}

#[test]
fn a_job_that_only_checks_is_terminated_when_its_deadline_passes() {
    let _w = watchdog("a_job_that_only_checks_is_terminated_when_its_deadline_passes");
    let pool = Pool::new(2).expect("pool");
    let at = Instant::now();
    let job = pool.spawn_with_deadline(at, poller).expect("spawn");
    assert_eq!(
        job.join().unwrap(),
        (Some(at), Some(Reason::DeadlinePassed))
    );
    // A plain job has no deadline, on the same pool threads.
    assert_eq!(pool.spawn(|ctx| ctx.deadline()).join().unwrap(), None);
    assert!(pool.shutdown(Duration::from_secs(10)).abandoned.is_empty());
}

#[test]
fn a_timeout_wakes_a_sleeping_job_and_a_huge_one_is_no_deadline() {
    let _w = watchdog("a_timeout_wakes_a_sleeping_job_and_a_huge_one_is_no_deadline");
    let pool = Pool::new(1).expect("pool");
    let job = pool
        .spawn_with_timeout(Duration::from_millis(1), |ctx| ctx.sleep(Duration::MAX))
        .expect("spawn");
    assert_eq!(job.join().unwrap(), Err(Terminated(Reason::DeadlinePassed)));
    let job = pool
        .spawn_with_timeout(Duration::MAX, |ctx| ctx.deadline())
        .expect("spawn");
    assert_eq!(job.join().unwrap(), None, "a timeout past the clock's end");
}

#[test]
fn a_deadline_that_passes_in_the_queue_is_seen_as_the_job_starts() {
    let _w = watchdog("a_deadline_that_passes_in_the_queue_is_seen_as_the_job_starts");
    let pool = Pool::new(1).expect("pool");
    let (go, gate) = mpsc::channel::<()>();
    // The pool's one thread is busy until the gate opens.
    let first = pool.spawn(move |_ctx| gate.recv().expect("the gate opens"));
    let at = Instant::now();
    let queued = pool
        .spawn_with_deadline(at, |ctx| ctx.check_terminate().then(|| ctx.reason()))
        .expect("spawn");
    timer_passes(at);
    assert_eq!(queued.state(), State::Running, "still queued: not exited");
    go.send(()).expect("open the gate");
    first.join().unwrap();
    assert_eq!(
        queued.join().unwrap(),
        Some(Some(Reason::DeadlinePassed)),
        "its first check sees the deadline"
    );
}

#[test]
fn an_earlier_request_wins_and_a_later_one_learns_the_deadline() {
    let _w = watchdog("an_earlier_request_wins_and_a_later_one_learns_the_deadline");
    let pool = Pool::new(2).expect("pool");
    let far = Instant::now() + Duration::from_secs(3600);
    let job = pool.spawn_with_deadline(far, poller).expect("spawn");
    assert_eq!(job.request_terminate_with(Reason::User(7)), Request::First);
    assert_eq!(job.join().unwrap(), (Some(far), Some(Reason::User(7))));

    let job = pool
        .spawn_with_deadline(Instant::now(), |ctx| ctx.sleep(Duration::MAX))
        .expect("spawn");
    eventually("the deadline to be requested", || {
        job.reason() == Some(Reason::DeadlinePassed)
    });
    assert!(matches!(
        job.request_terminate_with(Reason::User(8)),
        Request::AlreadyRequested(Reason::DeadlinePassed) | Request::AlreadyExited
    ));
    assert_eq!(job.join().unwrap(), Err(Terminated(Reason::DeadlinePassed)));
}

#[test]
fn a_job_that_returns_first_is_never_terminated_later_nor_kept_by_the_timer() {
    let _w = watchdog("a_job_that_returns_first_is_never_terminated_later_nor_kept_by_the_timer");
    let pool = Pool::new(1).expect("pool");
    // Detached, the job's last reference is the pool thread's, dropped
    // after the routine: its result goes then, unless the timer still
    // holds a reference (until its deadline, an hour away).
    let drops = Drops::new();
    let value = drops.value(1);
    let far = Instant::now() + Duration::from_secs(3600);
    pool.spawn_with_deadline(far, move |_ctx| value)
        .expect("spawn")
        .detach();
    eventually("the detached job's result to be dropped", || {
        drops.count() == 1
    });

    // A deadline that fired before the exit proves nothing: tried again.
    for ahead_ms in [2, 20, 200, 2000, 20_000] {
        let at = Instant::now() + Duration::from_millis(ahead_ms);
        let job = pool.spawn_with_deadline(at, |_ctx| 42u32).expect("spawn");
        eventually("the routine to return", || job.state() == State::Exited);
        if job.reason().is_some() {
            continue;
        }
        timer_passes(at);
        assert_eq!(job.reason(), None, "its entry went with its routine");
        assert_eq!(job.join().unwrap(), 42);
        return;
    }
    panic!("every deadline passed before its routine returned");
}

#[test]
fn deadline_and_request_race_and_the_first_wins_once() {
    let _w = watchdog("pool: deadline_and_request_race_and_the_first_wins_once");
    let pool = Pool::new(2).expect("pool");
    for round in 0..200u32 {
        let at = Instant::now() + Duration::from_micros(u64::from(round % 50));
        let job = pool.spawn_with_deadline(at, poller).expect("spawn");
        let mine = job.request_terminate_with(Reason::User(round));
        let (_, seen) = job.join().unwrap();
        assert_first_of_deadline_and_request(mine, seen, round);
    }
}

#[test]
fn handles_dropped_or_detached_around_the_deadline_free_every_job() {
    // The timer's reference and the pool thread's, the handle's: dropped
    // in every order (ThreadSanitizer and valgrind see a use after free).
    let _w = watchdog("handles_dropped_or_detached_around_the_deadline_free_every_job");
    let pool = Pool::new(2).expect("pool");
    let drops = Drops::new();
    for round in 0..200usize {
        let value = drops.value(round);
        let at = Instant::now() + Duration::from_micros((round % 20) as u64);
        let job = pool
            .spawn_with_deadline(at, move |ctx| {
                let _ = ctx.sleep(Duration::MAX);
                value
            })
            .expect("spawn");
        if round % 2 == 0 {
            drop(job);
        } else {
            job.detach();
        }
    }
    timer_passes(Instant::now());
    assert!(pool.shutdown(Duration::from_secs(10)).abandoned.is_empty());
    eventually("every job's result to be dropped", || drops.count() == 200);
}
