//! `clusworker::pool`: worker routines on a fixed pool of threads, with the
//! `Worker` semantics.

mod common;

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use clusworker::pool::{NeverRan, Pool, PoolWorker};
use clusworker::{JoinOwnThread, State, Terminate, WaitError};
use common::{Boom, Drops, GIVE_UP, eventually, gate, quiet_panic, recv, watchdog, within};

/// Waits (bounded) for the job to exit.
fn wait_exit<T: Send>(job: &PoolWorker<T>) {
    let r = within("PoolWorker::wait_timeout", || job.wait_timeout(GIVE_UP));
    assert_eq!(r, Ok(()), "expected the job to exit");
}

#[test]
fn pooled_routine_returns_its_value_through_join() {
    let _w = watchdog("pooled_routine_returns_its_value_through_join");
    let pool = Pool::new(2).expect("pool");
    assert_eq!(pool.threads(), 2);
    let job = pool.spawn(|ctx| {
        assert!(!ctx.check_terminate(), "nobody asked it to terminate");
        6 * 7
    });
    wait_exit(&job);
    assert_eq!(job.state(), State::Exited);
    assert_eq!(job.join().ok(), Some(42));
}

#[test]
fn terminate_wakes_a_sleeping_routine_and_waits_for_it() {
    let _w = watchdog("terminate_wakes_a_sleeping_routine_and_waits_for_it");
    let pool = Pool::new(1).expect("pool");
    let (tx, rx) = mpsc::channel();
    let job = pool.spawn(move |ctx| {
        tx.send(()).expect("the test listens");
        // Only a terminate ends this sleep.
        ctx.sleep(Duration::MAX).is_err()
    });
    recv("the routine started", &rx);
    assert_eq!(within("terminate", || job.terminate()), Terminate::First);
    assert_eq!(
        job.state(),
        State::Exited,
        "terminate returned before the exit"
    );
    assert_eq!(
        job.terminate(),
        Terminate::AlreadyRequested(clusworker::Reason::Requested)
    );
    assert_eq!(job.join().ok(), Some(true), "the sleep ended by terminate");
}

#[test]
fn exactly_one_of_many_terminators_is_first() {
    let _w = watchdog("exactly_one_of_many_terminators_is_first");
    let pool = Pool::new(2).expect("pool");
    for _ in 0..50 {
        let job = Arc::new(pool.spawn(|ctx| while ctx.sleep(Duration::MAX).is_ok() {}));
        let results: Vec<Terminate> = thread::scope(|s| {
            let hs: Vec<_> = (0..4).map(|_| s.spawn(|| job.terminate())).collect();
            hs.into_iter()
                .map(|h| h.join().expect("no panic"))
                .collect()
        });
        let firsts = results.iter().filter(|r| **r == Terminate::First).count();
        assert_eq!(firsts, 1, "exactly one first terminator, got {results:?}");
        assert_eq!(job.state(), State::Exited, "the first terminator waited");
    }
}

#[test]
fn a_panicking_routine_is_captured_and_its_pool_thread_survives() {
    let _w = watchdog("a_panicking_routine_is_captured_and_its_pool_thread_survives");
    let pool = Pool::new(1).expect("pool");
    let boom = pool.spawn(|_ctx| -> String { quiet_panic(7) });
    let payload = boom.join().expect_err("the routine panicked");
    assert_eq!(payload.downcast_ref::<Boom>(), Some(&Boom(7)));
    // The one pool thread runs the next job: it did not die.
    let next = pool.spawn(|_ctx| thread::current().name().map(str::to_owned));
    assert_eq!(
        next.join().ok().flatten().as_deref(),
        Some("clusworker-pool-0"),
        "the next job runs on the same, surviving pool thread"
    );
    assert!(pool.shutdown(GIVE_UP).is_clean());
}

#[test]
fn calls_from_the_jobs_own_routine_never_wait_for_themselves() {
    let _w = watchdog("calls_from_the_jobs_own_routine_never_wait_for_themselves");
    let pool = Pool::new(1).expect("pool");
    let (tx, rx) = mpsc::channel::<Arc<PoolWorker<()>>>();
    let (seen_tx, seen_rx) = mpsc::channel();
    let job = Arc::new(pool.spawn(move |_ctx| {
        let me = rx.recv().expect("the handle");
        let seen = (
            me.terminate(),
            me.terminate_timeout(GIVE_UP),
            me.wait_timeout(GIVE_UP),
            me.is_terminate_requested(),
            me.state(),
        );
        seen_tx.send(seen).expect("the test listens");
    }));
    tx.send(job.clone()).expect("the routine listens");
    let seen = recv("what the routine saw", &seen_rx);
    assert_eq!(
        seen,
        (
            Terminate::OwnThread,
            Err(WaitError::OwnThread),
            Err(WaitError::OwnThread),
            true,
            State::Terminating
        )
    );
    wait_exit(&job);
}

#[test]
fn join_from_the_jobs_own_routine_lets_go_instead_of_waiting() {
    let _w = watchdog("join_from_the_jobs_own_routine_lets_go_instead_of_waiting");
    let pool = Pool::new(1).expect("pool");
    let (tx, rx) = mpsc::channel::<PoolWorker<u8>>();
    let (seen_tx, seen_rx) = mpsc::channel();
    let job = pool.spawn(move |_ctx| {
        let me = rx.recv().expect("the handle");
        let r = me.join();
        seen_tx
            .send(
                r.err()
                    .and_then(|p| p.downcast_ref::<JoinOwnThread>().copied()),
            )
            .expect("the test listens");
        1
    });
    tx.send(job).expect("the routine listens");
    assert_eq!(recv("the own join", &seen_rx), Some(JoinOwnThread));
    assert!(pool.shutdown(GIVE_UP).is_clean());
}

#[test]
fn a_timeout_loses_nothing() {
    let _w = watchdog("a_timeout_loses_nothing");
    let pool = Pool::new(1).expect("pool");
    let (open, pass) = gate();
    let job = pool.spawn(move |ctx| {
        let opened = pass.wait(); // deaf to terminate
        (opened, ctx.check_terminate())
    });
    assert_eq!(
        job.terminate_timeout(Duration::ZERO),
        Err(WaitError::TimedOut)
    );
    assert_eq!(
        job.wait_timeout(Duration::from_millis(1)),
        Err(WaitError::TimedOut)
    );
    assert_ne!(job.state(), State::Exited);
    open.open();
    assert_eq!(job.join().ok(), Some((true, true)));
}

#[test]
fn a_queued_job_terminated_before_it_runs_still_runs_and_sees_the_request() {
    let _w = watchdog("a_queued_job_terminated_before_it_runs_still_runs_and_sees_the_request");
    let pool = Pool::new(1).expect("pool");
    let (open, pass) = gate();
    let busy = pool.spawn(move |_ctx| pass.wait());
    let queued = pool.spawn(|ctx| ctx.check_terminate());
    assert_eq!(
        queued.terminate_timeout(Duration::ZERO),
        Err(WaitError::TimedOut),
        "the only thread is busy: the queued job cannot have run"
    );
    assert_eq!(queued.state(), State::Terminating);
    open.open();
    assert_eq!(queued.join().ok(), Some(true), "it saw the request at once");
    assert_eq!(busy.join().ok(), Some(true));
}

#[test]
fn dropping_a_handle_terminates_and_waits() {
    let _w = watchdog("dropping_a_handle_terminates_and_waits");
    let pool = Pool::new(1).expect("pool");
    let drops = Drops::new();
    let value = drops.value(1);
    let job = pool.spawn(move |ctx| {
        while ctx.sleep(Duration::MAX).is_ok() {}
        value
    });
    drop(job);
    // The drop waited for the exit; the result (never taken) is dropped
    // with the job's block, by whoever lets go of it last.
    eventually("the result is dropped", || drops.count() == 1);
}

#[test]
fn a_detached_job_runs_to_the_end_and_its_result_is_dropped() {
    let _w = watchdog("a_detached_job_runs_to_the_end_and_its_result_is_dropped");
    let pool = Pool::new(1).expect("pool");
    let drops = Drops::new();
    let value = drops.value(1);
    let (tx, rx) = mpsc::channel();
    pool.spawn(move |ctx| {
        tx.send(ctx.check_terminate()).expect("the test listens");
        value
    })
    .detach();
    assert!(
        !recv("the detached routine ran", &rx),
        "detach does not terminate"
    );
    eventually("the result is dropped", || drops.count() == 1);
}

#[test]
fn shutdown_terminates_every_job_and_joins_the_threads() {
    let _w = watchdog("shutdown_terminates_every_job_and_joins_the_threads");
    let pool = Pool::new(3).expect("pool");
    // More jobs than threads: some are queued at the shutdown.
    let jobs: Vec<_> = (0..10u32)
        .map(|i| {
            pool.spawn(move |ctx| {
                while ctx.sleep(Duration::from_millis(1)).is_ok() {}
                i
            })
        })
        .collect();
    let report = within("shutdown", || pool.shutdown(GIVE_UP));
    assert!(report.is_clean(), "every job exited: {report:?}");
    assert_eq!(report.exited, 10, "{report:?}");
    let values: Vec<u32> = jobs.into_iter().map(|j| j.join().expect("ran")).collect();
    assert_eq!(values, (0..10).collect::<Vec<_>>());
}

#[test]
fn shutdown_abandons_a_routine_that_ignores_terminate_and_reports_it() {
    let _w = watchdog("shutdown_abandons_a_routine_that_ignores_terminate_and_reports_it");
    let pool = Pool::new(2).expect("pool");
    let (open, pass) = gate();
    let (started_tx, started_rx) = mpsc::channel();
    let stubborn = pool.spawn(move |_ctx| {
        started_tx.send(()).expect("the test listens");
        pass.wait()
    });
    let polite = pool.spawn(|ctx| while ctx.sleep(Duration::MAX).is_ok() {});
    recv("the stubborn routine started", &started_rx);
    let report = within("shutdown", || pool.shutdown(Duration::from_millis(50)));
    assert_eq!(report.abandoned, vec![stubborn.id()], "{report:?}");
    assert!(report.never_ran.is_empty(), "{report:?}");
    assert_eq!(report.exited, 1, "the polite job exited: {report:?}");
    assert_eq!(polite.state(), State::Exited);
    // Abandoned, not lost: the handle still gets the result.
    assert_eq!(stubborn.state(), State::Terminating);
    open.open();
    assert_eq!(stubborn.join().ok(), Some(true));
}

#[test]
fn shutdown_drops_jobs_that_never_got_a_thread() {
    let _w = watchdog("shutdown_drops_jobs_that_never_got_a_thread");
    let pool = Pool::new(1).expect("pool");
    let (open, pass) = gate();
    let (started_tx, started_rx) = mpsc::channel();
    let stubborn = pool.spawn(move |_ctx| {
        started_tx.send(()).expect("the test listens");
        pass.wait()
    });
    recv("the stubborn routine started", &started_rx);
    let drops = Drops::new();
    let captured = drops.value(1);
    let ran = Arc::new(Mutex::new(false));
    let ran2 = ran.clone();
    let starved = pool.spawn(move |_ctx| {
        *ran2.lock().unwrap() = true;
        drop(captured);
    });
    let report = within("shutdown", || pool.shutdown(Duration::from_millis(20)));
    assert_eq!(report.abandoned, vec![stubborn.id()], "{report:?}");
    assert_eq!(report.never_ran, vec![starved.id()], "{report:?}");
    assert_eq!(
        drops.count(),
        1,
        "the unrun routine (and what it owns) is dropped"
    );
    let payload = starved.join().expect_err("it never ran");
    assert!(payload.downcast_ref::<NeverRan>().is_some());
    assert!(!*ran.lock().unwrap());
    open.open();
    assert_eq!(stubborn.join().ok(), Some(true));
}

#[test]
fn dropping_the_pool_does_not_wait_and_queued_jobs_still_finish() {
    let _w = watchdog("dropping_the_pool_does_not_wait_and_queued_jobs_still_finish");
    let pool = Pool::new(1).expect("pool");
    let jobs: Vec<_> = (0..4)
        .map(|_| pool.spawn(|ctx| while ctx.sleep(Duration::MAX).is_ok() {}))
        .collect();
    within("dropping the pool", || drop(pool));
    for job in &jobs {
        assert!(job.is_terminate_requested(), "the drop requested terminate");
        wait_exit(job);
    }
}

#[test]
fn many_jobs_on_a_small_pool_each_result_exactly_once() {
    let _w = watchdog("many_jobs_on_a_small_pool_each_result_exactly_once");
    let pool = Pool::new(4).expect("pool");
    let jobs: Vec<_> = (0..500u64)
        .map(|i| {
            pool.spawn(move |ctx| {
                if i % 7 == 0 {
                    let _ = ctx.sleep(Duration::MAX);
                }
                if i % 11 == 0 {
                    quiet_panic(u32::try_from(i).unwrap_or(0));
                }
                i
            })
        })
        .collect();
    let mut sum = 0;
    for (i, job) in (0u64..).zip(jobs) {
        if i % 3 == 0 || i % 7 == 0 {
            let _ = job.terminate();
        }
        match job.join() {
            Ok(v) => sum += v,
            Err(p) => assert!(p.downcast_ref::<Boom>().is_some() && i % 11 == 0),
        }
    }
    assert_eq!(sum, (0..500u64).filter(|i| i % 11 != 0).sum::<u64>());
    assert!(pool.shutdown(GIVE_UP).is_clean());
}

/// Compile-time checks that the pool's handles are thread-safe.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Pool>();
    send_sync::<PoolWorker<()>>();
};

#[test]
fn shutdown_from_a_routine_of_the_pool_does_not_wait_for_itself() {
    let _w = watchdog("shutdown_from_a_routine_of_the_pool_does_not_wait_for_itself");
    let pool = Pool::new(2).expect("pool");
    let other = pool.spawn(|ctx| while ctx.sleep(Duration::MAX).is_ok() {});
    let (tx, rx) = mpsc::channel::<Pool>();
    let job = pool.spawn(move |_ctx| {
        let pool = rx.recv().expect("the pool");
        pool.shutdown(GIVE_UP)
    });
    let me = job.id();
    tx.send(pool).expect("the routine listens");
    let report = job.join().expect("the routine does not panic");
    assert_eq!(
        report.abandoned,
        vec![me],
        "only itself is still running: {report:?}"
    );
    assert_eq!(report.exited, 1, "the other job exited: {report:?}");
    assert_eq!(other.state(), State::Exited);
}

#[test]
fn a_pool_jobs_request_terminate_returns_at_once_even_while_queued() {
    let pool = Pool::new(1).expect("pool");
    let (release, held) = std::sync::mpsc::channel::<()>();
    let busy = pool.spawn(move |_ctx| {
        let _ = held.recv();
    });
    let queued = pool.spawn(|ctx| ctx.check_terminate());
    assert_eq!(queued.request_terminate(), clusworker::Request::First);
    assert_eq!(
        queued.request_terminate(),
        clusworker::Request::AlreadyRequested(clusworker::Reason::Requested)
    );
    drop(release);
    assert!(busy.join().is_ok());
    assert_eq!(
        queued.join().ok(),
        Some(true),
        "it ran and saw the request at once"
    );
}
