//! `Worker::terminate`, `terminate_timeout` and `wait_timeout` from other
//! threads: who is first, who waits, what a timeout keeps.

mod common;

use std::sync::Arc;
use std::sync::mpsc::{self, TryRecvError};
use std::thread;
use std::time::Duration;

use clusworker::{State, Terminate, Terminated, WaitError, Worker};
use common::{
    Drops, GIVE_UP, Rng, StartLine, bounded, eventually, gate, join, recv, terminate_exit,
    unwrap_arc, wait_exit, watchdog,
};

/// A routine that sleeps until terminate is requested and reports whether
/// its sleep ended because of the request.
fn sleep_until_terminated(ctx: &clusworker::Context) -> Result<(), Terminated> {
    ctx.sleep(Duration::MAX)
}

#[test]
fn exactly_one_first_among_racing_terminators() {
    let _w = watchdog("exactly_one_first_among_racing_terminators");
    const THREADS: usize = 8;
    const ROUNDS: usize = 150;
    for round in 0..ROUNDS {
        // Odd rounds: the routine also returns by itself, racing the
        // terminators (terminate after the exit is still one `First`).
        let exits_by_itself = round % 2 == 1;
        let worker = Arc::new(
            Worker::spawn(move |ctx| {
                if !exits_by_itself {
                    let _ = ctx.sleep(Duration::MAX);
                }
                round
            })
            .expect("spawn"),
        );
        let start = Arc::new(StartLine::new(THREADS));
        let terminators: Vec<_> = (0..THREADS)
            .map(|_| {
                let worker = worker.clone();
                let start = start.clone();
                thread::spawn(move || {
                    start.wait();
                    worker.terminate()
                })
            })
            .collect();
        let outcomes: Vec<Terminate> = terminators
            .into_iter()
            .map(|t| bounded("a terminator", move || t.join()).expect("a terminator panicked"))
            .collect();
        let firsts = outcomes.iter().filter(|&&o| o == Terminate::First).count();
        let later = outcomes
            .iter()
            .filter(|&&o| o == Terminate::AlreadyRequested(clusworker::Reason::Requested))
            .count();
        assert_eq!(
            (firsts, later),
            (1, THREADS - 1),
            "round {round}: expected one First and the rest AlreadyRequested, got {outcomes:?}"
        );
        assert_eq!(
            worker.state(),
            State::Exited,
            "round {round}: the First terminator returned, so the routine has exited"
        );
        assert_eq!(join(unwrap_arc(worker)).ok(), Some(round));
    }
}

#[test]
fn first_terminator_waits_and_second_terminator_returns_at_once() {
    let _w = watchdog("first_terminator_waits_and_second_terminator_returns_at_once");
    let (gate, pass) = gate();
    let worker = Arc::new(
        Worker::spawn(move |ctx| {
            let slept = ctx.sleep(Duration::MAX);
            // Seen the request; now deaf to everything until the gate opens.
            let opened = pass.wait();
            (slept, opened)
        })
        .expect("spawn"),
    );
    let (first_tx, first_rx) = mpsc::channel();
    let w = worker.clone();
    let first = thread::spawn(move || first_tx.send(w.terminate()));
    eventually("the first terminator's request", || {
        worker.is_terminate_requested()
    });

    let w = worker.clone();
    assert_eq!(
        bounded("the second terminate", move || w.terminate()),
        Terminate::AlreadyRequested(clusworker::Reason::Requested),
        "a second terminate must return at once, without waiting"
    );
    assert_eq!(
        worker.state(),
        State::Terminating,
        "the routine is held by the gate"
    );
    // Give a first terminator that did not wait a chance to show itself.
    thread::sleep(Duration::from_millis(10));
    assert_eq!(
        first_rx.try_recv(),
        Err(TryRecvError::Empty),
        "the first terminator returned before the routine exited"
    );

    gate.open();
    assert_eq!(recv("the first terminator", &first_rx), Terminate::First);
    first
        .join()
        .expect("the first terminator panicked")
        .expect("sent");
    assert_eq!(worker.state(), State::Exited);
    assert_eq!(
        join(unwrap_arc(worker)).ok(),
        Some((Err(Terminated(clusworker::Reason::Requested)), true))
    );
}

#[test]
fn terminate_wakes_a_worker_sleeping_forever() {
    let _w = watchdog("terminate_wakes_a_worker_sleeping_forever");
    let mut rng = Rng::new(0x5EED_0001);
    for round in 0..120 {
        let (ready_tx, ready_rx) = mpsc::channel();
        let worker = Worker::spawn(move |ctx| {
            ready_tx.send(()).expect("test alive");
            sleep_until_terminated(ctx)
        })
        .expect("spawn");
        // Land the request before, while and after the routine starts its sleep.
        match round % 4 {
            0 => {}
            1 => thread::yield_now(),
            2 => recv("the routine's start", &ready_rx),
            _ => {
                recv("the routine's start", &ready_rx);
                thread::sleep(Duration::from_micros(rng.below(500)));
            }
        }
        // A lost wake-up, of the worker or of the waiter, fails within LONG
        // instead of hanging (or passing slowly).
        terminate_exit(&worker);
        assert_eq!(worker.state(), State::Exited);
        assert_eq!(
            join(worker).ok(),
            Some(Err(Terminated(clusworker::Reason::Requested))),
            "round {round}"
        );
    }
}

#[test]
fn plain_terminate_wakes_a_sleeping_worker_and_returns_first() {
    let _w = watchdog("plain_terminate_wakes_a_sleeping_worker_and_returns_first");
    for _ in 0..20 {
        let (ready_tx, ready_rx) = mpsc::channel();
        let worker = Arc::new(
            Worker::spawn(move |ctx| {
                ready_tx.send(()).expect("test alive");
                sleep_until_terminated(ctx)
            })
            .expect("spawn"),
        );
        recv("the routine's start", &ready_rx);
        let w = worker.clone();
        assert_eq!(
            bounded("Worker::terminate", move || w.terminate()),
            Terminate::First
        );
        assert_eq!(
            worker.state(),
            State::Exited,
            "terminate returned before the exit"
        );
        assert_eq!(
            worker.terminate(),
            Terminate::AlreadyRequested(clusworker::Reason::Requested)
        );
        assert_eq!(
            join(unwrap_arc(worker)).ok(),
            Some(Err(Terminated(clusworker::Reason::Requested)))
        );
    }
}

#[test]
fn terminate_after_the_routine_exited_returns_first_and_does_not_hang() {
    let _w = watchdog("terminate_after_the_routine_exited_returns_first_and_does_not_hang");
    let worker = Arc::new(Worker::spawn(|ctx| (5, ctx.check_terminate())).expect("spawn"));
    wait_exit(&worker);
    assert_eq!(worker.state(), State::Exited);
    let w = worker.clone();
    assert_eq!(
        bounded("Worker::terminate", move || w.terminate()),
        Terminate::First
    );
    assert_eq!(
        worker.terminate(),
        Terminate::AlreadyRequested(clusworker::Reason::Requested)
    );
    assert_eq!(worker.terminate_timeout(Duration::ZERO), Ok(()));
    assert!(worker.is_terminate_requested());
    assert_eq!(worker.state(), State::Exited);
    assert_eq!(join(unwrap_arc(worker)).ok(), Some((5, false)));
}

#[test]
fn zero_timeout_on_a_running_worker_times_out_and_join_still_gets_the_value() {
    let _w = watchdog("zero_timeout_on_a_running_worker_times_out_and_join_still_gets_the_value");
    let (gate, pass) = gate();
    let worker = Worker::spawn(move |_ctx| (pass.wait(), 42)).expect("spawn");

    assert_eq!(
        worker.wait_timeout(Duration::ZERO),
        Err(WaitError::TimedOut)
    );
    assert_eq!(
        worker.state(),
        State::Running,
        "wait_timeout must not request"
    );
    assert_eq!(
        worker.terminate_timeout(Duration::ZERO),
        Err(WaitError::TimedOut)
    );
    assert_eq!(worker.state(), State::Terminating);
    // Timing out again and again loses nothing.
    for _ in 0..3 {
        assert_eq!(
            worker.wait_timeout(Duration::ZERO),
            Err(WaitError::TimedOut)
        );
        assert_eq!(
            worker.terminate_timeout(Duration::ZERO),
            Err(WaitError::TimedOut)
        );
    }
    assert_eq!(
        worker.terminate(),
        Terminate::AlreadyRequested(clusworker::Reason::Requested)
    );

    gate.open();
    assert_eq!(join(worker).ok(), Some((true, 42)));
}

#[test]
fn stubborn_worker_makes_terminate_timeout_time_out_then_join_gets_the_value() {
    let _w = watchdog("stubborn_worker_makes_terminate_timeout_time_out_then_join_gets_the_value");
    let drops = Drops::new();
    let d = drops.clone();
    let (gate, pass) = gate();
    // Ignores terminate until the test opens the gate.
    let worker = Worker::spawn(move |ctx| {
        let opened = pass.wait();
        (opened, ctx.check_terminate(), d.value(3))
    })
    .expect("spawn");

    assert_eq!(
        worker.terminate_timeout(Duration::from_millis(20)),
        Err(WaitError::TimedOut)
    );
    assert_eq!(
        worker.wait_timeout(Duration::from_millis(5)),
        Err(WaitError::TimedOut)
    );
    assert_eq!(worker.state(), State::Terminating);

    gate.open();
    // Every caller of terminate_timeout waits, not only the first.
    terminate_exit(&worker);
    let (opened, requested, value) = join(worker).expect("the routine does not panic");
    assert!(
        opened,
        "the routine was released by the gate, not by its own bound"
    );
    assert!(requested, "the timed-out request must stay made");
    assert_eq!(value.id, 3);
    assert_eq!(
        drops.count(),
        0,
        "the result must not be dropped by the timeouts"
    );
}

#[test]
fn max_timeout_waits_without_limit() {
    let _w = watchdog("max_timeout_waits_without_limit");
    // terminate_timeout(MAX) on a sleeping worker.
    let worker = Arc::new(Worker::spawn(sleep_until_terminated).expect("spawn"));
    let w = worker.clone();
    assert_eq!(
        bounded("terminate_timeout(MAX)", move || w
            .terminate_timeout(Duration::MAX)),
        Ok(())
    );
    assert_eq!(
        join(unwrap_arc(worker)).ok(),
        Some(Err(Terminated(clusworker::Reason::Requested)))
    );

    // wait_timeout(MAX) and wait() on a worker that exits when released.
    let (gate, pass) = gate();
    let worker = Arc::new(Worker::spawn(move |_ctx| pass.wait()).expect("spawn"));
    let w1 = worker.clone();
    let w2 = worker.clone();
    let waiters = [
        thread::spawn(move || w1.wait_timeout(Duration::MAX)),
        thread::spawn(move || w2.wait()),
    ];
    gate.open();
    for waiter in waiters {
        let w = bounded("a waiter", move || waiter.join());
        assert_eq!(w.expect("the waiter does not panic"), Ok(()));
    }
    assert_eq!(join(unwrap_arc(worker)).ok(), Some(true));
}

#[test]
fn many_threads_waiting_at_once_all_return_ok_after_the_exit() {
    let _w = watchdog("many_threads_waiting_at_once_all_return_ok_after_the_exit");
    const WAITERS: usize = 6;
    let (gate, pass) = gate();
    let worker = Arc::new(Worker::spawn(move |_ctx| (pass.wait(), 11)).expect("spawn"));
    let (started_tx, started_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    for i in 0..WAITERS {
        let (w, started_tx, done_tx) = (worker.clone(), started_tx.clone(), done_tx.clone());
        thread::spawn(move || {
            assert_eq!(w.wait_timeout(Duration::ZERO), Err(WaitError::TimedOut));
            started_tx.send(()).expect("test alive");
            let r = match i % 3 {
                0 => w.wait_timeout(GIVE_UP),
                1 => w.wait(),
                _ => w.wait_timeout(Duration::MAX),
            };
            done_tx.send((i, r)).expect("test alive");
        });
    }
    for _ in 0..WAITERS {
        recv("a waiter's start", &started_rx);
    }
    thread::sleep(Duration::from_millis(10));
    assert_eq!(
        done_rx.try_recv(),
        Err(TryRecvError::Empty),
        "a waiter returned while the routine was still running"
    );
    assert_eq!(worker.state(), State::Running);

    gate.open();
    let mut seen = [false; WAITERS];
    for _ in 0..WAITERS {
        let (i, r) = recv("a waiter's result", &done_rx);
        assert_eq!(r, Ok(()), "waiter {i}");
        seen[i] = true;
    }
    assert_eq!(seen, [true; WAITERS]);
    assert_eq!(join(unwrap_arc(worker)).ok(), Some((true, 11)));
}

#[test]
fn every_terminate_timeout_caller_waits_not_only_the_first() {
    let _w = watchdog("every_terminate_timeout_caller_waits_not_only_the_first");
    const CALLERS: usize = 4;
    let (gate, pass) = gate();
    let worker = Arc::new(
        Worker::spawn(move |ctx| {
            let slept = ctx.sleep(Duration::MAX);
            (slept, pass.wait())
        })
        .expect("spawn"),
    );
    let (started_tx, started_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    for _ in 0..CALLERS {
        let (w, started_tx, done_tx) = (worker.clone(), started_tx.clone(), done_tx.clone());
        thread::spawn(move || {
            started_tx.send(()).expect("test alive");
            done_tx
                .send(w.terminate_timeout(GIVE_UP))
                .expect("test alive");
        });
    }
    for _ in 0..CALLERS {
        recv("a caller's start", &started_rx);
    }
    eventually("the request", || worker.is_terminate_requested());
    thread::sleep(Duration::from_millis(10));
    assert_eq!(
        done_rx.try_recv(),
        Err(TryRecvError::Empty),
        "a terminate_timeout returned while the routine was held by the gate"
    );
    assert_eq!(worker.state(), State::Terminating);

    gate.open();
    for _ in 0..CALLERS {
        assert_eq!(recv("a caller's result", &done_rx), Ok(()));
    }
    assert_eq!(
        join(unwrap_arc(worker)).ok(),
        Some((Err(Terminated(clusworker::Reason::Requested)), true))
    );
}

#[test]
fn terminate_racing_the_drop_of_another_handle_clone() {
    let _w = watchdog("terminate_racing_the_drop_of_another_handle_clone");
    let drops = Drops::new();
    const ROUNDS: usize = 100;
    for round in 0..ROUNDS {
        let d = drops.clone();
        let exits_by_itself = round % 2 == 1;
        let worker = Arc::new(
            Worker::spawn(move |ctx| {
                if !exits_by_itself {
                    let _ = ctx.sleep(Duration::MAX);
                }
                d.value(round)
            })
            .expect("spawn"),
        );
        let start = Arc::new(StartLine::new(2));
        let (w, b) = (worker.clone(), start.clone());
        let terminator = thread::spawn(move || {
            b.wait();
            let t = w.terminate();
            drop(w); // may be the last handle: then the drop runs here
            t
        });
        let b = start.clone();
        let dropper = thread::spawn(move || {
            b.wait();
            drop(worker); // may be the last handle: then it terminates and joins
        });
        let t = bounded("the terminator", move || terminator.join());
        bounded("the dropper", move || dropper.join()).expect("the dropper panicked");
        // The drop's own request can only come after the terminator let go
        // of its clone, so the terminator is always first.
        assert_eq!(
            t.expect("the terminator panicked"),
            Terminate::First,
            "round {round}"
        );
        assert_eq!(
            drops.count(),
            round + 1,
            "round {round}: expected every result dropped exactly once, by the last handle"
        );
    }
}

#[test]
fn request_terminate_returns_at_once_and_names_each_case() {
    let _w = watchdog("request_terminate_returns_at_once_and_names_each_case");
    // A routine that ignores terminate until released: the request cannot
    // be waiting for it.
    let (release, held) = std::sync::mpsc::channel::<()>();
    let worker = Worker::spawn(move |ctx| {
        let _ = held.recv();
        ctx.check_terminate()
    })
    .expect("spawn");
    assert_eq!(worker.request_terminate(), clusworker::Request::First);
    assert_eq!(
        worker.state(),
        State::Terminating,
        "requested, not waited for"
    );
    assert_eq!(
        worker.request_terminate(),
        clusworker::Request::AlreadyRequested(clusworker::Reason::Requested)
    );
    drop(release);
    assert_eq!(join(worker).ok(), Some(true), "the routine saw the request");

    // A routine that returned by itself: the first request still makes it.
    let done = Worker::spawn(|_ctx| 5u32).expect("spawn");
    assert_eq!(done.wait_timeout(GIVE_UP), Ok(()));
    assert_eq!(done.request_terminate(), clusworker::Request::AlreadyExited);
    assert_eq!(
        done.request_terminate(),
        clusworker::Request::AlreadyRequested(clusworker::Reason::Requested)
    );
    assert_eq!(join(done).ok(), Some(5));
}

#[test]
fn request_terminate_from_the_workers_own_thread_is_first_and_seen() {
    let _w = watchdog("request_terminate_from_the_workers_own_thread_is_first_and_seen");
    let (handle_tx, handle_rx) = mpsc::channel::<Worker<()>>();
    let (verdict_tx, verdict_rx) = mpsc::channel();
    let w = Worker::spawn(move |ctx| {
        let me = handle_rx.recv().expect("the test sends the handle");
        let r = me.request_terminate();
        verdict_tx
            .send((r, ctx.check_terminate()))
            .expect("the test waits for the verdict");
        me.detach(); // the routine owns its handle: let go of it
    })
    .expect("spawn");
    handle_tx.send(w).expect("the routine is alive");
    let verdict = recv("the routine's verdict", &verdict_rx);
    assert_eq!(
        verdict,
        (clusworker::Request::First, true),
        "a request on the worker's own thread is made at once and seen"
    );
}
