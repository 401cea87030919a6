//! loom models of the async side of the worker word: futures waiting for
//! terminate or for the exit (`WorkerWord::terminated` / `exited`, the
//! `ASYNC_WAITER` bit, and the intrusive list of waiters with its lock)
//! against the request and the exit. The futures run under loom's
//! `block_on`, whose waker blocks the thread until woken: a lost wake-up is
//! a loom deadlock. The list's head and every node's links and waker are
//! loom `UnsafeCell`s, so an access the lock does not order (a node touched
//! after its future dropped it, say) is reported as a race. Run with
//! `cargo test --release --features loom`.
#![cfg(feature = "loom")]

use core::future::Future;
use core::pin::pin;
use core::task::{Context, Waker};
use core::time::Duration;

use clusworker_core::{Request, Sleep, WorkerCell};
use clusworker_verification::loom_platform::{Loom, Note, check_model as bounded_model};
use loom::future::block_on;
use loom::sync::Arc;
use loom::thread;

type Cell<T> = WorkerCell<Loom, T>;

#[test]
fn terminated_future_vs_request_no_lost_wakeup_and_the_requesters_writes_visible() {
    // The future resolves from its first load, from its announcing RMW, or
    // from the load after the request woke it; each must synchronise with
    // the request, as `check_terminate` does: the note the requester wrote
    // before it is read right after (loom's cell: an unordered read is a
    // causality violation), before anything else could acquire it.
    bounded_model(None, || {
        let cell = Arc::new(Cell::<u32>::new());
        let note = Arc::new(Note::new());
        let waiter = {
            let (cell, note) = (cell.clone(), note.clone());
            thread::spawn(move || {
                block_on(cell.word().terminated());
                assert_eq!(note.read(), 1, "the requester's write, after the future");
                assert!(cell.word().check_terminate());
            })
        };
        note.write(1);
        assert_eq!(cell.word().request_terminate(), Request::First);
        waiter.join().unwrap();
    });
}

#[test]
fn two_tasks_await_terminated_both_woken() {
    // Two futures in the list at once: the request must unlink and wake
    // both, whatever order they link in and however the request interleaves
    // with their registrations.
    bounded_model(Some(3), || {
        let cell = Arc::new(Cell::<u32>::new());
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let cell = cell.clone();
                thread::spawn(move || block_on(cell.word().terminated()))
            })
            .collect();
        let _ = cell.word().request_terminate();
        for w in waiters {
            w.join().unwrap();
        }
    });
}

#[test]
fn a_dropped_waiter_vs_the_request() {
    // One future registers, then is dropped (a `select!` whose other
    // branch won) while the request drains the list; another task awaits
    // throughout. The drop's unlink and the drain must not touch the node
    // unordered (loom's cell), and the other task must still be woken.
    bounded_model(Some(3), || {
        let cell = Arc::new(Cell::<u32>::new());
        let quitter = {
            let cell = cell.clone();
            thread::spawn(move || {
                let mut fut = pin!(cell.word().terminated());
                let mut cx = Context::from_waker(Waker::noop());
                let _ = fut.as_mut().poll(&mut cx);
                // dropped here, linked or already taken by the request
            })
        };
        let stayer = {
            let cell = cell.clone();
            thread::spawn(move || block_on(cell.word().terminated()))
        };
        let _ = cell.word().request_terminate();
        quitter.join().unwrap();
        stayer.join().unwrap();
    });
}

#[test]
fn exited_future_vs_exit_no_lost_wakeup_and_the_routines_writes_visible() {
    // Bound 6: 31 611 interleavings, 2 s. Unbounded (run by hand): 3 434 267,
    // about 5 min since the exit sets COMPLETED after its wake-ups.
    // The note the routine wrote before it returned is read right after the
    // future resolved (by its first load, its announcing RMW, or the load
    // after the exit woke it), before `take` could acquire the exit itself.
    bounded_model(Some(6), || {
        let cell = Arc::new(Cell::<u32>::new());
        let note = Arc::new(Note::new());
        let worker = {
            let (cell, note) = (cell.clone(), note.clone());
            thread::spawn(move || {
                note.write(1);
                assert!(cell.complete(42).is_ok());
            })
        };
        block_on(cell.word().exited());
        assert_eq!(note.read(), 1, "the routine's write, after the future");
        // The slot was written before the exit; loom's cell checks the edge.
        assert_eq!(cell.take(), Ok(42));
        worker.join().unwrap();
    });
}

#[test]
fn terminated_and_exited_waiters_share_the_list() {
    // One task awaits the request, another the exit, on one list: the
    // request wakes the first and must leave the second linked; the exit
    // then wakes the second. (Bound 2: 472 598 interleavings, 45 s.)
    bounded_model(Some(1), || {
        let cell = Arc::new(Cell::<u32>::new());
        let worker = {
            let cell = cell.clone();
            thread::spawn(move || {
                // Only the request (time stands still) ends this sleep.
                assert_eq!(cell.word().sleep(Duration::from_secs(1)), Sleep::Terminated);
                assert!(cell.complete(7).is_ok());
            })
        };
        let exit_waiter = {
            let cell = cell.clone();
            thread::spawn(move || {
                block_on(cell.word().exited());
                assert_eq!(cell.take(), Ok(7));
            })
        };
        let terminate_waiter = {
            let cell = cell.clone();
            thread::spawn(move || block_on(cell.word().terminated()))
        };
        let _ = cell.word().request_terminate();
        terminate_waiter.join().unwrap();
        exit_waiter.join().unwrap();
        worker.join().unwrap();
    });
}

#[test]
fn a_future_polled_with_a_new_waker_is_woken_by_it() {
    // A future first polled with one waker (registering it), then awaited
    // with another (as when a task moves between executors): only the
    // latest waker matters, and it must not miss the request.
    bounded_model(Some(3), || {
        let cell = Arc::new(Cell::<u32>::new());
        let requester = {
            let cell = cell.clone();
            thread::spawn(move || {
                let _ = cell.word().request_terminate();
            })
        };
        let waiter = {
            let cell = cell.clone();
            thread::spawn(move || {
                let mut fut = Box::pin(cell.word().terminated());
                let mut cx = Context::from_waker(Waker::noop());
                let first = fut.as_mut().poll(&mut cx);
                // The same pinned future, now awaited with a real waker.
                if first.is_pending() {
                    block_on(fut);
                }
            })
        };
        waiter.join().unwrap();
        requester.join().unwrap();
    });
}
