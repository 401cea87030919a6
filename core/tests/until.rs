//! `WorkerWord::terminated()` / `exited()` (`Until`) polled by hand on a
//! minimal platform: which bit resolves which future, exactly one wake per
//! waiting future, dropped futures leave the list intact, and a future is
//! never resolved by the other bit.

use core::cell::UnsafeCell;
use core::future::Future;
use core::pin::{Pin, pin};
use core::sync::atomic::AtomicU32;
use core::task::{Context, Poll, Waker};
use core::time::Duration;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::Wake;

use clusworker_core::{Last, Platform, State, Until, WorkerCell};

/// A platform whose `wait` returns at once (a spurious wake-up, always
/// allowed): the list's lock then spins, which is all a single-threaded
/// test needs.
struct Spin;

impl Platform for Spin {
    type Word = AtomicU32;
    type Cell<T> = UnsafeCell<T>;
    fn wait(_: &AtomicU32, _: u32, _: Option<Duration>) {
        std::hint::spin_loop();
    }
    fn wake_all(_: &AtomicU32) {}
    fn now() -> Duration {
        Duration::ZERO
    }
}

/// A waker that counts its wake-ups.
#[derive(Default)]
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn poll(fut: Pin<&mut Until<'_, Spin>>, count: &Arc<Count>) -> Poll<()> {
    let waker = Waker::from(count.clone());
    fut.poll(&mut Context::from_waker(&waker))
}

#[test]
fn terminated_resolves_on_the_request_and_only_then() {
    let cell = WorkerCell::<Spin, u32>::new();
    let count = Arc::new(Count::default());
    let mut fut = pin!(cell.word().terminated());
    assert!(poll(fut.as_mut(), &count).is_pending());
    assert!(
        poll(fut.as_mut(), &count).is_pending(),
        "re-polled: still pending"
    );
    let _ = cell.word().request_terminate();
    assert_eq!(count.0.load(SeqCst), 1, "woken once");
    assert!(poll(fut.as_mut(), &count).is_ready());
    assert!(poll(fut.as_mut(), &count).is_ready(), "stays ready");
}

#[test]
fn the_exit_does_not_resolve_terminated_and_the_request_does_not_resolve_exited() {
    let cell = WorkerCell::<Spin, u32>::new();
    let term = Arc::new(Count::default());
    let exit = Arc::new(Count::default());
    let mut on_term = pin!(cell.word().terminated());
    let mut on_exit = pin!(cell.word().exited());
    assert!(poll(on_term.as_mut(), &term).is_pending());
    assert!(poll(on_exit.as_mut(), &exit).is_pending());
    let _ = cell.word().request_terminate();
    assert_eq!((term.0.load(SeqCst), exit.0.load(SeqCst)), (1, 0));
    assert!(poll(on_exit.as_mut(), &exit).is_pending(), "no exit yet");
    assert!(cell.complete(3).is_ok());
    assert_eq!((term.0.load(SeqCst), exit.0.load(SeqCst)), (1, 1));
    assert!(poll(on_exit.as_mut(), &exit).is_ready());

    // The other way round: an exit without a request leaves a terminate
    // waiter pending.
    let cell = WorkerCell::<Spin, u32>::new();
    let count = Arc::new(Count::default());
    let mut on_term = pin!(cell.word().terminated());
    assert!(poll(on_term.as_mut(), &count).is_pending());
    assert!(cell.complete(4).is_ok());
    assert_eq!(count.0.load(SeqCst), 0);
    assert!(poll(on_term.as_mut(), &count).is_pending());
    assert!(ready_now(cell.word().exited()));
}

#[test]
fn every_waiter_is_woken_exactly_once_and_dropped_ones_are_skipped() {
    const N: usize = 30; // several batches of the setter
    let cell = WorkerCell::<Spin, u32>::new();
    let counts: Vec<Arc<Count>> = (0..N).map(|_| Arc::new(Count::default())).collect();
    let mut futs: Vec<Pin<Box<Until<'_, Spin>>>> =
        (0..N).map(|_| Box::pin(cell.word().terminated())).collect();
    for (fut, count) in futs.iter_mut().zip(&counts) {
        assert!(poll(fut.as_mut(), count).is_pending());
    }
    // Drop every third one while it is linked: the list must stay whole.
    let mut kept = Vec::new();
    for (i, (fut, count)) in futs.into_iter().zip(&counts).enumerate() {
        if i % 3 == 0 {
            drop(fut);
        } else {
            kept.push((fut, count.clone()));
        }
    }
    let _ = cell.word().request_terminate();
    for (i, count) in counts.iter().enumerate() {
        let expected = usize::from(i % 3 != 0);
        assert_eq!(count.0.load(SeqCst), expected, "waiter {i}");
    }
    for (mut fut, count) in kept {
        assert!(poll(fut.as_mut(), &count).is_ready());
    }
    // A second request wakes nobody again.
    let _ = cell.word().request_terminate();
    assert!(counts.iter().all(|c| c.0.load(SeqCst) <= 1));
}

/// Polls a fresh future once with a no-op waker: is it ready?
fn ready_now(fut: Until<'_, Spin>) -> bool {
    let fut = pin!(fut);
    fut.poll(&mut Context::from_waker(Waker::noop())).is_ready()
}

/// A waker that lets go of the cell (`release`, as a detaching handle does)
/// when it is woken, and records what it saw.
struct ReleaseOnWake {
    cell: Arc<WorkerCell<Spin, u32>>,
    saw: std::sync::Mutex<Option<(State, Last)>>,
}

impl Wake for ReleaseOnWake {
    fn wake(self: Arc<Self>) {
        let state = self.cell.word().state();
        let last = self.cell.release();
        *self.saw.lock().unwrap() = Some((state, last));
    }
}

#[test]
fn a_handle_released_by_a_waker_inside_the_exit_is_not_last() {
    // The exit wakes this future from inside `complete`, and its waker lets
    // go of the cell there. It sees `Exited`, yet must not free: `complete`
    // is still using the storage, so `complete` is the last user.
    let cell = Arc::new(WorkerCell::<Spin, u32>::new());
    let on_wake = Arc::new(ReleaseOnWake {
        cell: cell.clone(),
        saw: std::sync::Mutex::new(None),
    });
    let waker = Waker::from(on_wake.clone());
    let mut fut = pin!(cell.word().exited());
    assert!(
        fut.as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending()
    );
    assert_eq!(
        cell.complete(7),
        Ok(Last::Yes),
        "complete was still using the storage when the handle let go: it is last"
    );
    assert_eq!(
        *on_wake.saw.lock().unwrap(),
        Some((State::Exited, Last::No)),
        "the waker saw the exit, and its release was not last"
    );
    assert!(
        fut.as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_ready()
    );
    assert_eq!(cell.release(), Last::No, "a second release is never last");
}

#[test]
fn a_release_after_complete_returned_is_last() {
    let cell = WorkerCell::<Spin, u32>::new();
    assert_eq!(cell.complete(7), Ok(Last::No), "the handle still holds it");
    assert_eq!(
        cell.release(),
        Last::Yes,
        "complete is done: the handle frees"
    );
}
