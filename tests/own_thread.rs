//! Calls on a worker's handle from the worker's own thread: they must make
//! the request and never wait for themselves.

mod common;

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use clusworker::{JoinOwnThread, State, Terminate, WaitError, Worker, terminate_all, wait_all};
use common::{Drops, GIVE_UP, LONG, eventually, join, recv, unwrap_arc, wait_exit, watchdog};

/// What the routine saw when it called its own handle.
#[derive(Debug)]
struct Seen {
    first: Terminate,
    again: Terminate,
    requested: bool,
    state: State,
    waits: [Result<(), WaitError>; 5],
}

#[test]
fn terminate_from_the_own_thread_requests_and_does_not_wait() {
    let _w = watchdog("terminate_from_the_own_thread_requests_and_does_not_wait");
    let (tx, rx) = mpsc::channel::<Arc<Worker<Seen>>>();
    let worker = Arc::new(
        Worker::spawn(move |ctx| {
            let me = rx.recv().expect("the handle");
            let first = me.terminate();
            let seen = Seen {
                first,
                again: me.terminate(),
                requested: ctx.check_terminate() && me.is_terminate_requested(),
                state: me.state(),
                waits: [
                    me.wait_timeout(Duration::ZERO),
                    me.wait_timeout(LONG),
                    me.wait(),
                    me.terminate_timeout(Duration::ZERO),
                    me.terminate_timeout(Duration::MAX),
                ],
            };
            drop(me);
            seen
        })
        .expect("spawn"),
    );
    tx.send(worker.clone()).expect("the routine is alive");
    // Any of the routine's calls that waited for itself would hang it.
    wait_exit(&worker);
    assert_eq!(
        worker.terminate(),
        Terminate::AlreadyRequested(clusworker::Reason::Requested),
        "the routine's own terminate made the request"
    );
    let seen = join(unwrap_arc(worker)).expect("the routine does not panic");
    assert_eq!(seen.first, Terminate::OwnThread);
    assert_eq!(seen.again, Terminate::OwnThread);
    assert!(seen.requested, "{seen:?}");
    assert_eq!(seen.state, State::Terminating);
    assert_eq!(seen.waits, [Err(WaitError::OwnThread); 5]);
}

#[test]
fn join_from_the_own_thread_returns_a_join_own_thread_payload() {
    let _w = watchdog("join_from_the_own_thread_returns_a_join_own_thread_payload");
    let drops = Drops::new();
    let d = drops.clone();
    let (tx, rx) = mpsc::channel();
    let (report_tx, report_rx) = mpsc::channel();
    let worker = Worker::spawn(move |ctx| {
        let me: Worker<_> = rx.recv().expect("the handle");
        let r = me.join();
        let is_join_own_thread = r
            .as_ref()
            .err()
            .and_then(|p| p.downcast_ref::<JoinOwnThread>())
            .is_some();
        report_tx
            .send((r.is_err(), is_join_own_thread, ctx.check_terminate()))
            .expect("test alive");
        d.value(1)
    })
    .expect("spawn");
    tx.send(worker).expect("the routine is alive");
    assert_eq!(
        recv("the routine's report", &report_rx),
        (true, true, false),
        "expected join on the own thread to return Err(JoinOwnThread) without a request"
    );
    // The join detached the worker: its result is dropped when it returns.
    eventually("the detached result to be dropped", || drops.count() == 1);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(drops.count(), 1, "expected the result dropped exactly once");
}

#[test]
fn dropping_the_handle_inside_the_routine_does_not_deadlock() {
    let _w = watchdog("dropping_the_handle_inside_the_routine_does_not_deadlock");
    let drops = Drops::new();
    let d = drops.clone();
    let (tx, rx) = mpsc::channel();
    let (report_tx, report_rx) = mpsc::channel();
    let worker = Worker::spawn(move |ctx| {
        let me: Worker<_> = rx.recv().expect("the handle");
        drop(me);
        report_tx.send(ctx.check_terminate()).expect("test alive");
        d.value(1)
    })
    .expect("spawn");
    tx.send(worker).expect("the routine is alive");
    assert!(
        recv("the routine's report after dropping its handle", &report_rx),
        "dropping the handle requests terminate"
    );
    eventually("the result to be dropped", || drops.count() == 1);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(drops.count(), 1, "expected the result dropped exactly once");
}

#[test]
fn dropping_the_last_arc_inside_the_routine_does_not_deadlock() {
    let _w = watchdog("dropping_the_last_arc_inside_the_routine_does_not_deadlock");
    let drops = Drops::new();
    let d = drops.clone();
    let (tx, rx) = mpsc::channel::<Arc<Worker<_>>>();
    let (go_tx, go_rx) = mpsc::channel();
    let (report_tx, report_rx) = mpsc::channel();
    let worker = Arc::new(
        Worker::spawn(move |ctx| {
            let me = rx.recv().expect("the handle");
            go_rx.recv().expect("the go");
            assert_eq!(
                Arc::strong_count(&me),
                1,
                "the routine holds the last handle"
            );
            drop(me);
            report_tx.send(ctx.check_terminate()).expect("test alive");
            d.value(1)
        })
        .expect("spawn"),
    );
    tx.send(worker.clone()).expect("the routine is alive");
    drop(worker);
    go_tx.send(()).expect("the routine is alive");
    assert!(recv(
        "the routine's report after dropping the last handle",
        &report_rx
    ));
    eventually("the result to be dropped", || drops.count() == 1);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(drops.count(), 1, "expected the result dropped exactly once");
}

#[test]
fn terminate_all_from_a_worker_reports_that_worker_as_pending() {
    let _w = watchdog("terminate_all_from_a_worker_reports_that_worker_as_pending");
    let sibling = Arc::new(Worker::spawn(|ctx| ctx.sleep(Duration::MAX).is_err()).expect("spawn"));
    let (tx, rx) = mpsc::channel::<(Arc<Worker<bool>>, Arc<Worker<bool>>)>();
    let worker = Arc::new(
        Worker::spawn(move |ctx| {
            let (me, sibling) = rx.recv().expect("the handles");
            let all = terminate_all(&[&sibling, &me, &sibling], GIVE_UP);
            let waited = wait_all(&[&me], Duration::ZERO);
            let ok = all.as_ref().map_err(|e| e.pending().to_vec()) == Err(vec![1])
                && waited.map_err(|e| e.pending().to_vec()) == Err(vec![0])
                && sibling.state() == State::Exited
                && ctx.check_terminate();
            drop((me, sibling));
            ok
        })
        .expect("spawn"),
    );
    tx.send((worker.clone(), sibling.clone()))
        .expect("the routine is alive");
    wait_exit(&worker);
    assert_eq!(
        join(unwrap_arc(worker)).ok(),
        Some(true),
        "expected terminate_all on the own thread to report only the own worker pending, \
         after terminating the sibling"
    );
    assert_eq!(join(unwrap_arc(sibling)).ok(), Some(true));
}

thread_local! {
    static KEPT: RefCell<Option<Arc<Worker<common::Counted>>>> = const { RefCell::new(None) };
}

#[test]
fn last_handle_dropped_by_a_thread_local_of_the_worker_after_its_exit() {
    let _w = watchdog("last_handle_dropped_by_a_thread_local_of_the_worker_after_its_exit");
    let drops = Drops::new();
    for round in 0..10 {
        let d = drops.clone();
        let (tx, rx) = mpsc::channel::<Arc<Worker<_>>>();
        let (go_tx, go_rx) = mpsc::channel();
        let worker = Arc::new(
            Worker::spawn(move |_ctx| {
                let me = rx.recv().expect("the handle");
                go_rx.recv().expect("the go");
                // The last handle; dropped by the thread-local destructor,
                // after the routine returned and its exit was published.
                KEPT.with(|k| *k.borrow_mut() = Some(me));
                d.value(round)
            })
            .expect("spawn"),
        );
        tx.send(worker.clone()).expect("the routine is alive");
        drop(worker);
        go_tx.send(()).expect("the routine is alive");
        // The drop runs on the worker's own thread after its exit: it must
        // neither wait for nor join itself, and must free the worker (and
        // drop its result) exactly once.
        eventually(
            "the result to be dropped by the thread-local's drop",
            || drops.count() == round + 1,
        );
    }
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(
        drops.count(),
        10,
        "expected every result dropped exactly once"
    );
}

/// Joins the worker it holds when the worker's own thread ends, and
/// reports what the join returned.
struct JoinOnThreadExit {
    worker: Option<Worker<u32>>,
    report: mpsc::Sender<Option<u32>>,
}

impl Drop for JoinOnThreadExit {
    fn drop(&mut self) {
        if let Some(worker) = self.worker.take() {
            let _ = self.report.send(worker.join().ok());
        }
    }
}

thread_local! {
    static JOIN_AT_EXIT: RefCell<Option<JoinOnThreadExit>> = const { RefCell::new(None) };
}

#[test]
fn join_from_a_thread_local_of_the_worker_after_its_exit_returns_the_result() {
    let _w = watchdog("join_from_a_thread_local_of_the_worker_after_its_exit_returns_the_result");
    for round in 0..10u32 {
        let (tx, rx) = mpsc::channel::<Worker<u32>>();
        let (report_tx, report_rx) = mpsc::channel();
        let worker = Worker::spawn(move |_ctx| {
            let me = rx.recv().expect("the handle");
            // Joined by the thread-local's destructor, after the routine
            // returned and its exit was published: on its own thread, but
            // with a result to give.
            JOIN_AT_EXIT.with(|j| {
                *j.borrow_mut() = Some(JoinOnThreadExit {
                    worker: Some(me),
                    report: report_tx,
                })
            });
            round + 100
        })
        .expect("spawn");
        tx.send(worker).expect("the routine is alive");
        assert_eq!(
            recv("the thread-local's join", &report_rx),
            Some(round + 100),
            "expected a join after the exit, on the worker's own thread, to return the routine's value"
        );
    }
}
