//! loom models generic over [`Protocol`]: run on the shipped protocol they
//! pass (`tests/loom_mutants.rs` checks that too); run on a
//! [`Mutant`](crate::mutants::Mutant) they must fail.

use core::time::Duration;

use clusworker_core::{Request, Sleep};
use loom::thread;

use crate::loom_platform::{Note, check_model, free_storage, touch_storage};
use crate::mutants::Protocol;

fn shared<P: Protocol>() -> &'static P {
    // Leaked, not a loom `Arc`: after loom reports a failure, dropping a
    // loom `Arc` outside the execution can abort the process.
    Box::leak(Box::new(P::new()))
}

/// Two threads request terminate: exactly one is first.
pub fn first_terminator_is_unique<P: Protocol>() {
    loom::model(|| {
        let w = shared::<P>();
        let other = thread::spawn(move || w.request_terminate());
        let mine = w.request_terminate();
        let theirs = other.join().unwrap();
        let firsts = [mine, theirs]
            .iter()
            .filter(|r| matches!(r, Request::First | Request::AlreadyExited))
            .count();
        assert_eq!(
            firsts, 1,
            "exactly one first terminator: {mine:?} {theirs:?}"
        );
    });
}

/// A worker sleeps until terminate; the terminator waits for its exit. A
/// lost wake-up is a loom deadlock.
pub fn sleep_wakes_on_terminate<P: Protocol>() {
    loom::model(|| {
        let w = shared::<P>();
        let worker = thread::spawn(move || {
            assert_eq!(w.sleep(Duration::from_secs(1)), Sleep::Terminated);
            w.complete(1);
        });
        w.request_terminate();
        w.wait_exited();
        worker.join().unwrap();
    });
}

/// The worker publishes a result; a claimant that saw the exit reads it.
/// An unsynchronised read is a loom causality violation.
pub fn result_is_published_before_the_exit<P: Protocol>() {
    loom::model(|| {
        let w = shared::<P>();
        let worker = thread::spawn(move || w.complete(5));
        if let Some(v) = w.take() {
            assert_eq!(v, 5);
        }
        worker.join().unwrap();
    });
}

/// A detached worker: the handle waits for the exit, then lets go, while
/// the worker publishes the exit and wakes the handle through the storage.
/// Exactly one side frees, and only after the other's last use: a use of
/// the storage that does not happen before the free is a loom causality
/// violation ([`free_storage`](crate::loom_platform::free_storage)).
pub fn storage_is_freed_once_after_its_last_use<P: Protocol>() {
    loom::model(|| {
        let w = shared::<P>();
        let worker = thread::spawn(move || {
            let last = w.complete_last(3);
            if last {
                crate::loom_platform::free_storage();
            }
            last
        });
        w.wait_exited();
        let handle_last = w.release();
        if handle_last {
            crate::loom_platform::free_storage();
        }
        let worker_last = worker.join().unwrap();
        assert!(
            handle_last != worker_last,
            "exactly one side frees: handle {handle_last}, worker {worker_last}"
        );
    });
}

/// The terminator writes a note, then requests terminate; the routine
/// polls `check_terminate` once and, if it returned `true`, reads the note.
/// A request that returned `First` synchronises with a `check_terminate`
/// that returns `true`: an unordered read is a loom causality violation.
/// (loom explores the poll before and after the request, and every value
/// a weak load may return.)
pub fn check_terminate_sees_the_terminators_writes<P: Protocol>() {
    check_model(None, || {
        let w = shared::<P>();
        let note: &'static Note = Box::leak(Box::new(Note::new()));
        let routine = thread::spawn(move || {
            if w.check_terminate() {
                assert_eq!(note.read(), 1, "the terminator's write, after the check");
            }
        });
        note.write(1);
        assert_eq!(w.request_terminate(), Request::First);
        routine.join().unwrap();
    });
}

/// The terminator writes a note, then requests terminate; the routine
/// sleeps (time stands still, so only the request ends the sleep) and
/// reads the note after `sleep` returned `Terminated`, whichever way the
/// sleep learned of it: its first load, its sleeper CAS failing, or the
/// load after a wake-up. An unordered read is a loom causality violation.
pub fn sleep_terminated_sees_the_terminators_writes<P: Protocol>() {
    check_model(None, || {
        let w = shared::<P>();
        let note: &'static Note = Box::leak(Box::new(Note::new()));
        let routine = thread::spawn(move || {
            assert_eq!(w.sleep(Duration::from_secs(1)), Sleep::Terminated);
            assert_eq!(note.read(), 1, "the terminator's write, after the sleep");
        });
        note.write(1);
        assert_eq!(w.request_terminate(), Request::First);
        routine.join().unwrap();
    });
}

/// A handle detaches a running worker: it uses its part of the storage
/// (its header, say), then lets go without waiting for the exit, while the
/// worker publishes its exit. Exactly one side frees. When the handle let
/// go first, the worker frees right after the exit's CAS, which must
/// acquire the handle's `release`: the handle's use (and the uses inside
/// `release`) not happening before the free is a loom causality violation;
/// when the worker finished first, the handle frees after its `release`,
/// which must acquire the worker's last RMW.
pub fn a_handle_that_lets_go_first_is_ordered_before_the_writers_free<P: Protocol>() {
    check_model(None, || {
        let w = shared::<P>();
        let worker = thread::spawn(move || {
            let last = w.complete_last(3);
            if last {
                free_storage();
            }
            last
        });
        touch_storage();
        let handle_last = w.release();
        if handle_last {
            free_storage();
        }
        let worker_last = worker.join().unwrap();
        assert!(
            handle_last != worker_last,
            "exactly one side frees: handle {handle_last}, worker {worker_last}"
        );
    });
}

/// A task awaits terminate in a future while another thread requests it. A
/// lost wake-up is a loom deadlock (`block_on` blocks until woken).
pub fn future_wakes_on_terminate<P: crate::mutants::AsyncProtocol>() {
    loom::model(|| {
        let w: &'static P = Box::leak(Box::new(P::new()));
        let waiter = thread::spawn(move || w.await_terminated());
        w.request_terminate();
        waiter.join().unwrap();
        w.finish();
    });
}
