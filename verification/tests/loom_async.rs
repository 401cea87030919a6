//! loom models of the async side of the worker word: a future waiting for
//! terminate or for the exit (`WorkerWord::poll_terminated` /
//! `poll_exited`, the `ASYNC_WAITER` bit and the waker slot) against the
//! request and the exit. The futures run under loom's `block_on`, whose
//! waker blocks the thread until woken: a lost wake-up is a loom deadlock.
//! The waker slot's cell is loom's `UnsafeCell`, so an unsynchronised access
//! to the stored waker is reported as a race. Run with
//! `cargo test --release --features loom`.
#![cfg(feature = "loom")]

use core::future::poll_fn;

use core::time::Duration;

use clusworker_core::{Request, Sleep, WorkerCell};
use clusworker_verification::loom_platform::{Loom, check_model as bounded_model};
use loom::future::block_on;
use loom::sync::Arc;
use loom::thread;

type Cell<T> = WorkerCell<Loom, T>;

#[test]
fn terminated_future_vs_request_no_lost_wakeup() {
    bounded_model(None, || {
        let cell = Arc::new(Cell::<u32>::new());
        let waiter = {
            let cell = cell.clone();
            thread::spawn(move || {
                block_on(poll_fn(|cx| cell.word().poll_terminated(cx)));
                assert!(cell.word().check_terminate());
            })
        };
        assert_eq!(cell.word().request_terminate(), Request::First);
        waiter.join().unwrap();
    });
}

#[test]
fn exited_future_vs_exit_no_lost_wakeup_and_result_visible() {
    bounded_model(None, || {
        let cell = Arc::new(Cell::<u32>::new());
        let worker = {
            let cell = cell.clone();
            thread::spawn(move || {
                assert!(cell.complete(42).is_ok());
            })
        };
        block_on(poll_fn(|cx| cell.word().poll_exited(cx)));
        // The slot was written before the exit; loom's cell checks the edge.
        assert_eq!(cell.take(), Ok(42));
        worker.join().unwrap();
    });
}

#[test]
fn terminated_then_exited_futures_in_turn_against_a_worker() {
    // One task awaits the request, then the exit, re-registering the same
    // waker: the worker's terminate-then-exit pair against it.
    bounded_model(Some(2), || {
        let cell = Arc::new(Cell::<u32>::new());
        let terminator = {
            let cell = cell.clone();
            thread::spawn(move || {
                let _ = cell.word().request_terminate();
            })
        };
        let worker = {
            let cell = cell.clone();
            thread::spawn(move || {
                // Only the request (time stands still) ends this sleep.
                assert_eq!(cell.word().sleep(Duration::from_secs(1)), Sleep::Terminated);
                assert!(cell.complete(7).is_ok());
            })
        };
        block_on(poll_fn(|cx| cell.word().poll_terminated(cx)));
        block_on(poll_fn(|cx| cell.word().poll_exited(cx)));
        assert_eq!(cell.take(), Ok(7));
        terminator.join().unwrap();
        worker.join().unwrap();
    });
}

#[test]
fn a_future_moved_to_another_task_is_woken_there() {
    // A future first polled by one task (registering its waker), then
    // dropped, and awaited again by another task: only the latest waker
    // matters, and it must not miss the request.
    bounded_model(Some(3), || {
        let cell = Arc::new(Cell::<u32>::new());
        let requester = {
            let cell = cell.clone();
            thread::spawn(move || {
                let _ = cell.word().request_terminate();
            })
        };
        // The first task polls once and gives up (a `select!` that lost).
        let first = {
            let cell = cell.clone();
            thread::spawn(move || {
                let waker = futures_task_noop();
                let mut cx = core::task::Context::from_waker(&waker);
                let _ = cell.word().poll_terminated(&mut cx);
            })
        };
        first.join().unwrap();
        block_on(poll_fn(|cx| cell.word().poll_terminated(cx)));
        requester.join().unwrap();
    });
}

/// A waker that does nothing (the first task of the model is gone).
fn futures_task_noop() -> core::task::Waker {
    core::task::Waker::noop().clone()
}
