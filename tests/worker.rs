//! The life of one worker: spawn, the routine's `Context`, `state`, waiting,
//! `join`, `detach`, and dropping the handle. Terminate itself is in
//! `terminate.rs`, calls from the worker's own thread in `own_thread.rs`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use clusworker::{Builder, Context, State, Terminate, Terminated, WaitError, Worker};
use common::{
    Drops, GIVE_UP, LONG, bounded, eventually, gate, join, recv, terminate_exit, wait_exit,
    watchdog,
};

#[test]
fn join_returns_the_routine_value() {
    let _w = watchdog("join_returns_the_routine_value");
    let worker = Worker::spawn(|_ctx| 6 * 7).expect("spawn");
    assert_eq!(join(worker).ok(), Some(42));

    let worker = Worker::spawn(|_ctx| vec![String::from("a"), String::from("b")]).expect("spawn");
    assert_eq!(
        join(worker).ok(),
        Some(vec![String::from("a"), String::from("b")])
    );
}

#[test]
fn join_waits_for_a_routine_that_exits_by_itself_without_requesting_terminate() {
    let _w = watchdog("join_waits_for_a_routine_that_exits_by_itself_without_requesting_terminate");
    let (gate, pass) = gate();
    let worker = Worker::spawn(move |ctx| {
        let opened = pass.wait();
        (opened, ctx.check_terminate())
    })
    .expect("spawn");
    gate.open();
    assert_eq!(
        join(worker).ok(),
        Some((true, false)),
        "expected the routine to run to its end, with no terminate request from join"
    );
}

#[test]
fn state_goes_running_terminating_exited() {
    let _w = watchdog("state_goes_running_terminating_exited");
    let (gate, pass) = gate();
    let (saw_tx, saw_rx) = mpsc::channel();
    let worker = Worker::spawn(move |ctx| {
        let slept = ctx.sleep(Duration::MAX);
        saw_tx.send(ctx.check_terminate()).expect("test alive");
        pass.wait();
        slept
    })
    .expect("spawn");

    assert_eq!(worker.state(), State::Running);
    assert!(!worker.is_terminate_requested());
    // A zero timeout makes the request without blocking.
    assert_eq!(
        worker.terminate_timeout(Duration::ZERO),
        Err(WaitError::TimedOut)
    );
    assert!(worker.is_terminate_requested());
    assert!(
        recv("the routine's check after the request", &saw_rx),
        "the routine woke from its sleep, so check_terminate must be true"
    );
    // The routine now blocks on the gate: it saw the request and has not returned.
    assert_eq!(worker.state(), State::Terminating);
    assert!(format!("{worker:?}").contains("Terminating"), "{worker:?}");

    gate.open();
    wait_exit(&worker);
    assert_eq!(worker.state(), State::Exited);
    assert!(format!("{worker:?}").contains("Exited"), "{worker:?}");
    assert_eq!(
        join(worker).ok(),
        Some(Err(Terminated(clusworker::Reason::Requested)))
    );
}

#[test]
fn state_goes_running_exited_when_the_routine_returns_by_itself() {
    let _w = watchdog("state_goes_running_exited_when_the_routine_returns_by_itself");
    let (gate, pass) = gate();
    let worker = Worker::spawn(move |_ctx| pass.wait()).expect("spawn");
    assert_eq!(worker.state(), State::Running);
    gate.open();
    wait_exit(&worker);
    assert_eq!(worker.state(), State::Exited);
    assert!(
        !worker.is_terminate_requested(),
        "waiting must not request terminate"
    );
    assert_eq!(join(worker).ok(), Some(true));
}

#[test]
fn wait_after_the_exit_returns_ok_every_time() {
    let _w = watchdog("wait_after_the_exit_returns_ok_every_time");
    let worker = Worker::spawn(|_ctx| 1u8).expect("spawn");
    wait_exit(&worker);
    for _ in 0..3 {
        assert_eq!(worker.wait_timeout(Duration::ZERO), Ok(()));
        assert_eq!(worker.wait_timeout(Duration::MAX), Ok(()));
        assert_eq!(worker.wait(), Ok(()));
        assert_eq!(worker.terminate_timeout(Duration::ZERO), Ok(()));
    }
    assert_eq!(join(worker).ok(), Some(1));
}

#[test]
fn wait_does_not_request_terminate() {
    let _w = watchdog("wait_does_not_request_terminate");
    let worker = Arc::new(
        Worker::spawn(|ctx| {
            // Exits by itself after a few short sleeps, unless terminated.
            for _ in 0..5 {
                if ctx.sleep(Duration::from_millis(2)).is_err() {
                    return false;
                }
            }
            true
        })
        .expect("spawn"),
    );
    let w = worker.clone();
    assert_eq!(bounded("Worker::wait", move || w.wait()), Ok(()));
    assert!(!worker.is_terminate_requested());
    assert_eq!(
        join(common::unwrap_arc(worker)).ok(),
        Some(true),
        "the routine must have run all its sleeps without a terminate request"
    );
}

#[test]
fn context_check_terminate_is_false_until_requested_then_true() {
    let _w = watchdog("context_check_terminate_is_false_until_requested_then_true");
    let (before_tx, before_rx) = mpsc::channel();
    let worker = Worker::spawn(move |ctx| {
        before_tx.send(ctx.check_terminate()).expect("test alive");
        let mut spins = 0u64;
        while !ctx.check_terminate() {
            spins += 1;
            std::hint::spin_loop();
            if spins % 1024 == 0 {
                thread::yield_now();
            }
        }
        ctx.check_terminate()
    })
    .expect("spawn");
    assert!(!recv("the first check", &before_rx));
    terminate_exit(&worker);
    assert_eq!(join(worker).ok(), Some(true));
}

#[test]
fn context_sleep_elapses_without_a_request_and_fails_at_once_after_one() {
    let _w = watchdog("context_sleep_elapses_without_a_request_and_fails_at_once_after_one");
    let (gate, pass) = gate();
    let (slept_tx, slept_rx) = mpsc::channel();
    let worker = Worker::spawn(move |ctx| {
        let before = [
            ctx.sleep(Duration::ZERO),
            ctx.sleep(Duration::from_millis(1)),
            ctx.sleep_until(Instant::now()),
            ctx.sleep_until(Instant::now() + Duration::from_millis(1)),
        ];
        slept_tx.send(()).expect("test alive");
        pass.wait();
        let after = [
            ctx.sleep(Duration::ZERO),
            ctx.sleep(Duration::from_millis(1)),
            ctx.sleep(Duration::MAX),
            ctx.sleep_until(Instant::now() + LONG),
        ];
        (before, after)
    })
    .expect("spawn");
    recv("the sleeps before the request", &slept_rx);
    assert_eq!(
        worker.terminate_timeout(Duration::ZERO),
        Err(WaitError::TimedOut)
    );
    gate.open();
    let (before, after) = join(worker).expect("the routine does not panic");
    assert_eq!(before, [Ok(()); 4], "sleeps with no request must elapse");
    assert_eq!(
        after,
        [Err(Terminated(clusworker::Reason::Requested)); 4],
        "sleeps after the request must fail at once (a hang here would time the test out)"
    );
}

#[test]
fn context_is_shared_by_scoped_helper_threads_and_wakes_them_all() {
    let _w = watchdog("context_is_shared_by_scoped_helper_threads_and_wakes_them_all");
    const HELPERS: usize = 4;
    let (ready_tx, ready_rx) = mpsc::channel();
    let worker = Worker::spawn(move |ctx: &Context| {
        thread::scope(|s| {
            let helpers: Vec<_> = (0..HELPERS)
                .map(|_| {
                    let ready_tx = ready_tx.clone();
                    s.spawn(move || {
                        ready_tx.send(()).expect("test alive");
                        let slept = ctx.sleep(Duration::MAX);
                        (slept, ctx.check_terminate())
                    })
                })
                .collect();
            helpers
                .into_iter()
                .map(|h| h.join().expect("a helper panicked"))
                .collect::<Vec<_>>()
        })
    })
    .expect("spawn");
    for _ in 0..HELPERS {
        recv("a helper's start", &ready_rx);
    }
    terminate_exit(&worker);
    assert_eq!(
        join(worker).ok(),
        Some(vec![
            (Err(Terminated(clusworker::Reason::Requested)), true);
            HELPERS
        ])
    );
}

#[test]
fn context_debug_shows_the_state() {
    let _w = watchdog("context_debug_shows_the_state");
    let worker = Worker::spawn(|ctx| format!("{ctx:?}")).expect("spawn");
    let shown = join(worker).expect("the routine does not panic");
    assert!(
        shown.contains("Context") && shown.contains("Running"),
        "expected the Context's Debug to name its state, got {shown:?}"
    );
}

#[test]
fn dropping_the_handle_terminates_and_waits_for_the_exit() {
    let _w = watchdog("dropping_the_handle_terminates_and_waits_for_the_exit");
    let woke = Arc::new(AtomicBool::new(false));
    let (ready_tx, ready_rx) = mpsc::channel();
    let w = woke.clone();
    let worker = Worker::spawn(move |ctx| {
        ready_tx.send(()).expect("test alive");
        let _ = ctx.sleep(Duration::MAX);
        // Gives a drop that did not wait a chance to be caught.
        thread::sleep(Duration::from_millis(5));
        w.store(true, SeqCst);
    })
    .expect("spawn");
    recv("the routine's start", &ready_rx);
    bounded("drop(Worker)", move || drop(worker));
    assert!(
        woke.load(SeqCst),
        "drop returned before the routine finished"
    );
}

#[test]
fn unjoined_result_is_dropped_exactly_once_when_the_handle_drops() {
    let _w = watchdog("unjoined_result_is_dropped_exactly_once_when_the_handle_drops");
    let drops = Drops::new();

    // The routine already returned when the handle drops.
    let d = drops.clone();
    let worker = Worker::spawn(move |_ctx| d.value(1)).expect("spawn");
    wait_exit(&worker);
    assert_eq!(
        drops.count(),
        0,
        "the result must live until the handle goes"
    );
    bounded("drop(Worker)", move || drop(worker));
    assert_eq!(
        drops.count(),
        1,
        "expected the unjoined result dropped once"
    );

    // The routine is still running when the handle drops.
    let d = drops.clone();
    let worker = Worker::spawn(move |ctx| {
        let _ = ctx.sleep(Duration::MAX);
        d.value(2)
    })
    .expect("spawn");
    bounded("drop(Worker)", move || drop(worker));
    assert_eq!(drops.count(), 2, "expected the second result dropped once");
}

#[test]
fn joined_result_is_dropped_only_by_its_new_owner() {
    let _w = watchdog("joined_result_is_dropped_only_by_its_new_owner");
    let drops = Drops::new();
    let d = drops.clone();
    let worker = Worker::spawn(move |_ctx| d.value(9)).expect("spawn");
    let value = join(worker).expect("the routine does not panic");
    assert_eq!(value.id, 9);
    assert_eq!(
        drops.count(),
        0,
        "join must move the result out, not drop it"
    );
    drop(value);
    assert_eq!(drops.count(), 1);
}

#[test]
fn routine_captures_are_dropped_once_after_it_runs() {
    let _w = watchdog("routine_captures_are_dropped_once_after_it_runs");
    let drops = Drops::new();
    let captured = drops.value(0);
    let worker = Worker::spawn(move |_ctx| {
        let captured = captured; // the whole value, not just its `id` field
        captured.id + 1
    })
    .expect("spawn");
    assert_eq!(join(worker).ok(), Some(1));
    assert_eq!(drops.count(), 1, "the routine's captures are dropped once");
}

#[test]
fn detach_of_a_running_worker_lets_it_finish_and_drops_its_result_once() {
    let _w = watchdog("detach_of_a_running_worker_lets_it_finish_and_drops_its_result_once");
    let drops = Drops::new();
    let (gate, pass) = gate();
    let (done_tx, done_rx) = mpsc::channel();
    let d = drops.clone();
    let captured = drops.value(0);
    let worker = Worker::spawn(move |ctx| {
        let captured = captured; // the whole value, not just its `id` field
        let opened = pass.wait();
        // A detached worker is never asked to terminate.
        done_tx
            .send((opened, ctx.check_terminate(), captured.id))
            .expect("test alive");
        d.value(1)
    })
    .expect("spawn");
    bounded("Worker::detach", move || worker.detach());
    assert_eq!(drops.count(), 0, "detach must not drop anything yet");
    gate.open();
    assert_eq!(
        recv("the detached routine's report", &done_rx),
        (true, false, 0)
    );
    eventually("the detached worker's result to be dropped", || {
        drops.count() == 2
    });
    // Let a buggy second drop show itself.
    thread::sleep(Duration::from_millis(20));
    assert_eq!(
        drops.count(),
        2,
        "expected the capture and the result each dropped once"
    );
}

#[test]
fn detach_of_an_exited_worker_drops_its_result_once_before_returning() {
    let _w = watchdog("detach_of_an_exited_worker_drops_its_result_once_before_returning");
    let drops = Drops::new();
    let d = drops.clone();
    let worker = Worker::spawn(move |_ctx| d.value(1)).expect("spawn");
    wait_exit(&worker);
    bounded("Worker::detach", move || worker.detach());
    assert_eq!(
        drops.count(),
        1,
        "a worker that already exited is freed by detach itself"
    );
}

#[test]
fn detach_racing_the_exit_drops_every_result_exactly_once() {
    let _w = watchdog("detach_racing_the_exit_drops_every_result_exactly_once");
    const ROUNDS: usize = 200;
    let drops = Drops::new();
    for i in 0..ROUNDS {
        let d = drops.clone();
        let worker = Worker::spawn(move |_ctx| d.value(i)).expect("spawn");
        if i % 3 == 0 {
            thread::yield_now();
        }
        worker.detach();
    }
    eventually("every detached result to be dropped", || {
        drops.count() >= ROUNDS
    });
    thread::sleep(Duration::from_millis(20));
    assert_eq!(drops.count(), ROUNDS, "expected each result dropped once");
}

#[test]
fn terminate_on_a_clone_of_an_arc_and_wait_from_another() {
    let _w = watchdog("terminate_on_a_clone_of_an_arc_and_wait_from_another");
    let worker =
        Arc::new(Worker::spawn(|ctx| while ctx.sleep(Duration::MAX).is_ok() {}).expect("spawn"));
    let waiter = {
        let w = worker.clone();
        thread::spawn(move || w.wait_timeout(GIVE_UP))
    };
    let w = worker.clone();
    assert_eq!(
        bounded("Worker::terminate", move || w.terminate()),
        Terminate::First
    );
    let r = bounded("the waiter", move || waiter.join());
    assert_eq!(r.expect("the waiter does not panic"), Ok(()));
    assert_eq!(worker.state(), State::Exited);
}

#[test]
fn handle_is_two_words_and_thread_safe() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Worker<()>>();
    send_sync::<Worker<Vec<String>>>();
    send_sync::<Context>();
    send_sync::<Builder>();
    // Only `Send` results are allowed, but a `!Sync` one is fine.
    send_sync::<Worker<std::cell::Cell<u32>>>();
    assert!(size_of::<Worker<()>>() <= 16);
    assert!(
        size_of::<Worker<[u64; 64]>>() <= 16,
        "the result lives in the heap block"
    );
    assert_eq!(size_of::<Option<Worker<()>>>(), size_of::<Worker<()>>());
}

#[test]
fn errors_explain_themselves() {
    let cases: [(&dyn std::error::Error, &str); 3] = [
        (&WaitError::TimedOut, "timeout"),
        (&WaitError::OwnThread, "own"),
        (&Terminated(clusworker::Reason::Requested), "terminate"),
    ];
    for (e, word) in cases {
        let shown = e.to_string();
        assert!(
            shown.contains(word),
            "expected {e:?} to display something with {word:?}, got {shown:?}"
        );
    }
    assert!(clusworker::JoinOwnThread.to_string().contains("itself"));
}

#[test]
fn many_workers_alive_at_once_each_return_their_own_value() {
    let _w = watchdog("many_workers_alive_at_once_each_return_their_own_value");
    let started = Arc::new(AtomicUsize::new(0));
    let workers: Vec<Worker<usize>> = (0..32)
        .map(|i| {
            let started = started.clone();
            Worker::spawn(move |ctx| {
                started.fetch_add(1, SeqCst);
                let _ = ctx.sleep(Duration::MAX);
                i
            })
            .expect("spawn")
        })
        .collect();
    eventually("every worker to start", || started.load(SeqCst) == 32);
    for (i, w) in workers.into_iter().enumerate().rev() {
        terminate_exit(&w);
        assert_eq!(join(w).ok(), Some(i));
    }
}
