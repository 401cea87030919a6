//! loom models of callbacks on terminate (`WorkerWord::on_terminate`,
//! `OnTerminate`): the shipped core, on the loom platform. A registration
//! is a node of the word's list of async waiters; the request runs it on
//! its own thread; a removal waits for a callback running elsewhere, and
//! returns at once from inside it. The list's head, every node's fields
//! and the callback's slot are loom cells, so an access the lock does not
//! order is reported as a race; a lost callback is a failed count, a lost
//! wake-up of a removal a loom deadlock. Run with
//! `cargo test --release --features loom`.
#![cfg(feature = "loom")]

use core::pin::pin;

use clusworker_core::{CallbackHooks, Registered, Request, WorkerCell};
use clusworker_test_support::expect_caught;
use clusworker_verification::loom_platform::{Loom, Note, check_model};
use loom::sync::atomic::{AtomicBool, AtomicU32, Ordering::SeqCst};
use loom::thread;

type Cell = WorkerCell<Loom, u32>;

loom::thread_local! {
    static ME: u8 = 0;
}

/// Threads told apart by the address of a loom thread-local (one per live
/// thread); callbacks run plainly.
static HOOKS: CallbackHooks = CallbackHooks {
    thread: || ME.with(|me| core::ptr::from_ref(me) as usize),
    call: |f| f(),
};

/// A mutant of the embedder's thread identity: every thread is the same
/// thread. A removal racing the callback on another thread takes it for a
/// removal from inside, and returns while the callback still runs.
static ONE_THREAD: CallbackHooks = CallbackHooks {
    thread: || 1,
    call: |f| f(),
};

/// A mutant of the embedder's thread identity: no thread is ever the same
/// twice. A removal from inside the callback takes itself for another
/// thread, and waits for the callback that runs it: a deadlock.
static NEVER_THE_SAME: CallbackHooks = CallbackHooks {
    thread: || {
        // A plain counter, not a loom atomic: it only tells calls apart.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    },
    call: |f| f(),
};

fn leak<T>(value: T) -> &'static T {
    // Leaked, not a loom `Arc`: after loom reports a failure, dropping a
    // loom `Arc` outside the execution can abort the process.
    Box::leak(Box::new(value))
}

#[test]
fn a_callback_runs_once_whichever_comes_first_and_sees_the_requesters_writes() {
    // A request on another thread races the registration. Exactly one of
    // them runs the callback (the request, on its thread, or the
    // registration, at once), by the time both returned; and the callback
    // reads what the requester wrote before its request (loom's cell: an
    // unordered read is a causality violation). No bound: 2 threads.
    check_model(None, || {
        let cell = leak(Cell::new());
        let note = leak(Note::new());
        let runs = leak(AtomicU32::new(0));
        let requester = thread::spawn(move || {
            note.write(1);
            assert_eq!(cell.word().request_terminate(), Request::First);
        });
        let mut cb = pin!(cell.word().on_terminate(
            move || {
                assert_eq!(note.read(), 1, "the requester's write, in the callback");
                runs.fetch_add(1, SeqCst);
            },
            &HOOKS,
        ));
        let registered = cb.as_mut().register();
        if registered == Registered::Ran {
            assert_eq!(runs.load(SeqCst), 1, "Ran: it ran inside register");
        }
        requester.join().unwrap();
        assert_eq!(runs.load(SeqCst), 1, "exactly once, whichever came first");
    });
}

#[test]
fn a_removal_racing_a_request_never_sees_its_callback_run_after_it_returns() {
    removal_racing_a_request(&HOOKS);
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by a_removal_that_takes_another_thread_for_itself_is_caught"]
fn mutant_one_thread() {
    removal_racing_a_request(&ONE_THREAD);
}

#[test]
fn a_removal_that_takes_another_thread_for_itself_is_caught() {
    expect_caught("mutant_one_thread", "ran after its removal returned");
}

fn removal_racing_a_request(hooks: &'static CallbackHooks) {
    // The registrant removes its callback (the end of the block drops it)
    // while another thread requests. Once the removal returned, the
    // callback is not running and never runs: it ran entirely before (its
    // write is then visible to the remover: loom's cell), or never.
    // Preemption bound 3 (the removal's wait loop; every interleaving with
    // up to three preemptions).
    check_model(Some(3), move || {
        let cell = leak(Cell::new());
        let removed = leak(AtomicBool::new(false));
        let note = leak(Note::new());
        let runs = leak(AtomicU32::new(0));
        let requester = {
            let mut cb = pin!(cell.word().on_terminate(
                move || {
                    assert!(!removed.load(SeqCst), "ran after its removal returned");
                    note.write(1);
                    runs.fetch_add(1, SeqCst);
                    thread::yield_now();
                    assert!(!removed.load(SeqCst), "ran after its removal returned");
                },
                hooks,
            ));
            assert_eq!(cb.as_mut().register(), Registered::Waiting);
            thread::spawn(move || {
                let _ = cell.word().request_terminate();
            })
        }; // the removal
        removed.store(true, SeqCst);
        if runs.load(SeqCst) == 1 {
            assert_eq!(note.read(), 1, "the callback's write, after the removal");
        }
        requester.join().unwrap();
        assert!(runs.load(SeqCst) <= 1);
    });
}

#[test]
fn a_removal_from_inside_the_callback_returns_at_once() {
    removal_from_inside(&HOOKS);
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by a_removal_from_inside_that_waits_for_itself_is_caught"]
fn mutant_never_the_same() {
    removal_from_inside(&NEVER_THE_SAME);
}

#[test]
fn a_removal_from_inside_that_waits_for_itself_is_caught() {
    expect_caught("mutant_never_the_same", "deadlock");
}

fn removal_from_inside(hooks: &'static CallbackHooks) {
    // The callback drops its own registration (kept in a slot it owns): the
    // removal finds it running on this very thread and returns instead of
    // waiting for itself (a loom deadlock otherwise), and the request's
    // runner touches the node no more (its memory is freed by the drop:
    // loom's cells report a later access). A registration on another
    // thread races in the background. Preemption bound 3.
    check_model(Some(3), move || {
        type Slot = loom::sync::Mutex<Option<Box<dyn Send>>>;
        let cell = leak(Cell::new());
        let slot: &'static Slot = leak(loom::sync::Mutex::new(None));
        let runs = leak(AtomicU32::new(0));
        let mut cb = Box::pin(cell.word().on_terminate(
            move || {
                let mine = slot.lock().unwrap().take();
                drop(mine); // removal from inside
                runs.fetch_add(1, SeqCst);
            },
            hooks,
        ));
        assert_eq!(cb.as_mut().register(), Registered::Waiting);
        *slot.lock().unwrap() = Some(Box::new(cb));
        let requester = thread::spawn(move || {
            let _ = cell.word().request_terminate();
        });
        requester.join().unwrap();
        assert_eq!(runs.load(SeqCst), 1, "the callback ran to its end");
        assert!(
            slot.lock().unwrap().is_none(),
            "and dropped its registration"
        );
    });
}

#[test]
fn the_generic_model_passes_on_the_shipped_code_and_the_unbroken_copy() {
    use clusworker_verification::callback::{CallbackMutant, a_callback_runs_exactly_once};
    a_callback_runs_exactly_once::<Cell>();
    a_callback_runs_exactly_once::<CallbackMutant<0>>();
}

#[test]
#[ignore = "a mutant: run by `check_before_link_is_caught` in a child process"]
fn mutant_check_before_link() {
    use clusworker_verification::callback::{
        CallbackMutant, a_callback_runs_exactly_once, callback_bug,
    };
    a_callback_runs_exactly_once::<CallbackMutant<{ callback_bug::CHECK_BEFORE_LINK }>>();
}

#[test]
fn check_before_link_is_caught() {
    expect_caught("mutant_check_before_link", "exactly once");
}
