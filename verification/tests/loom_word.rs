//! loom models of the worker word: the exact protocol code of
//! `clusworker-core`, run on the loom platform. Each model is named for the
//! property it proves. Run with `cargo test --release --features loom`.
#![cfg(feature = "loom")]

use core::time::Duration;

use clusworker_core::{Last, Request, Sleep, State, TakeError, TimedOut, WorkerCell};
use clusworker_verification::loom_platform::{
    Loom, LoomSpin, Note, check_model as bounded_model, fire_timer, free_storage,
};
use clusworker_verification::models;
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::thread;

type Cell<T> = WorkerCell<Loom, T>;
/// A cell on the spinning loom platform, whose waits carry no edge of their
/// own (`LoomSpin`): the visibility models run on it.
type SpinCell<T> = WorkerCell<LoomSpin, T>;

/// Explores every interleaving of `f` (no preemption bound) unless
/// `LOOM_MAX_PREEMPTIONS` says otherwise.
#[track_caller]
fn model(f: impl Fn() + Sync + Send + 'static) {
    bounded_model(None, f);
}

/// Is this request the one that "made" it?
fn made_it(r: Request) -> bool {
    matches!(r, Request::First | Request::AlreadyExited)
}

#[test]
fn two_terminators_exactly_one_first() {
    model(|| {
        let cell = Arc::new(Cell::<u32>::new());
        let others: Vec<_> = (0..2)
            .map(|_| {
                let cell = cell.clone();
                thread::spawn(move || cell.word().request_terminate())
            })
            .collect();
        let results: Vec<Request> = others.into_iter().map(|h| h.join().unwrap()).collect();
        let firsts = results.iter().filter(|r| made_it(**r)).count();
        assert_eq!(firsts, 1, "exactly one first terminator, got {results:?}");
        assert!(
            results.contains(&Request::First),
            "the routine never exited: {results:?}"
        );
        assert!(cell.word().check_terminate());
    });
}

#[test]
fn terminators_racing_the_exit_exactly_one_first_and_both_see_it() {
    // Three threads, each request a claim, a slot write and the publishing
    // RMW (the reason protocol): unbounded, this model explored 11 424 493
    // interleavings in about 20 minutes of CI. Bound 4 explores 33 608
    // interleavings (2 s); bound 5, 137 066 (10 s). Every protocol bug the
    // mutants seed shows within two preemptions in the two-thread models.
    bounded_model(Some(4), || {
        let cell = Arc::new(Cell::<u32>::new());
        let worker = {
            let cell = cell.clone();
            thread::spawn(move || {
                let _ = cell.complete(7);
            })
        };
        let other = {
            let cell = cell.clone();
            thread::spawn(move || cell.word().request_terminate())
        };
        let mine = cell.word().request_terminate();
        let theirs = other.join().unwrap();
        assert_eq!(
            usize::from(made_it(mine)) + usize::from(made_it(theirs)),
            1,
            "exactly one first: {mine:?} {theirs:?}"
        );
        worker.join().unwrap();
        assert_eq!(cell.word().state(), State::Exited);
    });
}

#[test]
fn terminate_vs_exit_on_its_own_terminator_never_hangs() {
    model(|| {
        let cell = Arc::new(Cell::<u32>::new());
        let worker = {
            let cell = cell.clone();
            thread::spawn(move || {
                // The routine returns by itself without looking at terminate.
                assert!(cell.complete(42).is_ok());
            })
        };
        let r = cell.word().request_terminate();
        assert!(made_it(r));
        assert_eq!(cell.word().wait_exited(None), Ok(()));
        assert_eq!(cell.take(), Ok(42));
        worker.join().unwrap();
    });
}

#[test]
fn sleep_vs_terminate_no_lost_wakeup() {
    model(|| {
        let cell = Arc::new(Cell::<u32>::new());
        let worker = {
            let cell = cell.clone();
            thread::spawn(move || {
                // Time never passes under loom, so only a terminate (and its
                // wake-up) can end this sleep: a lost wake-up is a deadlock.
                let s = cell.word().sleep(Duration::from_secs(1));
                assert_eq!(s, Sleep::Terminated);
                assert!(cell.word().check_terminate());
                let _ = cell.complete(1);
            })
        };
        assert_eq!(cell.word().request_terminate(), Request::First);
        assert_eq!(cell.word().wait_exited(None), Ok(()));
        worker.join().unwrap();
    });
}

#[test]
fn sleep_after_the_request_returns_at_once() {
    model(|| {
        let cell = Arc::new(Cell::<u32>::new());
        assert_eq!(cell.word().request_terminate(), Request::First);
        let worker = {
            let cell = cell.clone();
            thread::spawn(move || cell.word().sleep(Duration::MAX))
        };
        assert_eq!(worker.join().unwrap(), Sleep::Terminated);
    });
}

#[test]
fn two_waiters_vs_exit_both_wake() {
    // Unbounded this takes about 7 minutes on 2 cores; bound 3 finishes in
    // seconds (loom's documentation recommends a bound of 2 or 3).
    bounded_model(Some(3), || {
        let cell = Arc::new(Cell::<u32>::new());
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let cell = cell.clone();
                thread::spawn(move || cell.word().wait_exited(None))
            })
            .collect();
        assert!(cell.complete(3).is_ok());
        for w in waiters {
            assert_eq!(w.join().unwrap(), Ok(()));
        }
    });
}

#[test]
fn result_published_and_taken_exactly_once() {
    // Bound 5: 111 917 interleavings, 11 s. Unbounded (run by hand): 854 818,
    // about 2.5 min since the exit sets COMPLETED after its wake-ups.
    bounded_model(Some(5), || {
        let cell = Arc::new(Cell::<Box<u32>>::new());
        let worker = {
            let cell = cell.clone();
            thread::spawn(move || assert!(cell.complete(Box::new(5)).is_ok()))
        };
        let claimant = {
            let cell = cell.clone();
            thread::spawn(move || {
                cell.word().wait_exited(None).unwrap();
                cell.take()
            })
        };
        // Racing the claimant, without waiting: may be too early.
        let mine = cell.take();
        let theirs = claimant.join().unwrap();
        worker.join().unwrap();
        match (mine, theirs) {
            (Ok(v), Err(TakeError::AlreadyTaken)) | (Err(TakeError::AlreadyTaken), Ok(v)) => {
                assert_eq!(*v, 5)
            }
            (Err(TakeError::NotExited), Ok(v)) => assert_eq!(*v, 5),
            other => panic!("exactly one claimant must get the value: {other:?}"),
        }
        assert_eq!(cell.complete(Box::new(6)).map(|_| ()), Err(Box::new(6)));
    });
}

/// Counts drops through a loom atomic.
#[derive(Debug)]
struct Counted(Arc<AtomicUsize>);
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn unclaimed_result_dropped_exactly_once() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let cell = Arc::new(Cell::<Counted>::new());
        let worker = {
            let (cell, drops) = (cell.clone(), drops.clone());
            thread::spawn(move || assert!(cell.complete(Counted(drops)).is_ok()))
        };
        let _ = cell.word().request_terminate();
        worker.join().unwrap();
        drop(cell);
        assert_eq!(drops.load(SeqCst), 1);
    });
}

#[test]
fn a_handle_that_lets_go_first_is_ordered_before_the_writers_free() {
    // `release` vs `complete`: exactly one is last, and its free comes after
    // the other side's last use (`models.rs`; also run on the mutants).
    models::a_handle_that_lets_go_first_is_ordered_before_the_writers_free::<Cell<u32>>();
}

// --- Visibility: what the terminator wrote before its request is seen by
// --- the routine after each way it learns of the request; what the
// --- routine wrote before it returned is seen after each way a waiter
// --- learns of the exit. Each note is a loom `UnsafeCell`, so a read the
// --- event does not order after the write is a causality violation. They
// --- run on `LoomSpin`, whose waits synchronise nothing, so that the only
// --- edges are the word's.

#[test]
fn the_reason_seen_is_the_first_requests() {
    // Two requests with different reasons race a reader: one is first, the
    // other learns its reason, the reader sees it or nothing. On
    // `LoomSpin`, so that a later request waiting for the first one's
    // publication is ordered by the word alone.
    clusworker_verification::reason::the_reason_seen_is_the_first_requests::<SpinCell<u32>>();
}

#[test]
fn the_reason_seen_is_the_first_requests_on_the_futex() {
    // The same on `Loom`'s futex: the later request parks in `sleep` and
    // the publication wakes it (a lost wake-up is a deadlock here).
    clusworker_verification::reason::the_reason_seen_is_the_first_requests::<Cell<u32>>();
}

#[test]
fn a_check_terminate_that_returns_true_sees_the_terminators_writes() {
    models::check_terminate_sees_the_terminators_writes::<SpinCell<u32>>();
}

#[test]
fn a_sleep_that_returns_terminated_sees_the_terminators_writes() {
    models::sleep_terminated_sees_the_terminators_writes::<SpinCell<u32>>();
}

#[test]
fn a_timed_wait_that_returns_ok_sees_the_routines_writes() {
    // `wait_exited(Some(_))`, the core of `wait_timeout`, `terminate_all`
    // and a pool handle's join, with a spin phase: Ok from the first load,
    // the spin's load, the waiter CAS failing, or the load after a wait
    // (which returns at once on `LoomSpin`; the timer may end it too).
    bounded_model(Some(3), || {
        let cell = Arc::new(SpinCell::<u32>::new());
        let note = Arc::new(Note::new());
        let worker = {
            let (cell, note) = (cell.clone(), note.clone());
            thread::spawn(move || {
                note.write(1);
                assert!(cell.complete(1).is_ok());
            })
        };
        let timer = {
            let cell = cell.clone();
            thread::spawn(move || fire_timer(cell.word()))
        };
        if cell.word().wait_exited(Some(Duration::from_millis(10))) == Ok(()) {
            assert_eq!(note.read(), 1, "the routine's write, after the wait");
        }
        worker.join().unwrap();
        timer.join().unwrap();
    });
}

#[test]
fn an_is_exited_that_returns_true_sees_the_routines_writes() {
    // `is_exited` is how the `clusworker` handles settle before they park,
    // and the first thing `wait_timeout` asks.
    model(|| {
        let cell = Arc::new(SpinCell::<u32>::new());
        let note = Arc::new(Note::new());
        let worker = {
            let (cell, note) = (cell.clone(), note.clone());
            thread::spawn(move || {
                note.write(1);
                assert!(cell.complete(1).is_ok());
            })
        };
        if cell.word().is_exited() {
            assert_eq!(note.read(), 1, "the routine's write, after is_exited");
        }
        worker.join().unwrap();
    });
}

#[test]
fn a_state_that_returns_exited_sees_the_routines_writes() {
    model(|| {
        let cell = Arc::new(SpinCell::<u32>::new());
        let note = Arc::new(Note::new());
        let worker = {
            let (cell, note) = (cell.clone(), note.clone());
            thread::spawn(move || {
                note.write(1);
                assert!(cell.complete(1).is_ok());
            })
        };
        if cell.word().state() == State::Exited {
            assert_eq!(note.read(), 1, "the routine's write, after state()");
        }
        worker.join().unwrap();
    });
}

#[test]
fn a_take_that_returns_ok_sees_the_routines_writes() {
    // The claim of a join: not only the result, everything the routine
    // wrote before it returned.
    model(|| {
        let cell = Arc::new(SpinCell::<u32>::new());
        let note = Arc::new(Note::new());
        let worker = {
            let (cell, note) = (cell.clone(), note.clone());
            thread::spawn(move || {
                note.write(1);
                assert!(cell.complete(1).is_ok());
            })
        };
        if let Ok(v) = cell.take() {
            assert_eq!(v, 1);
            assert_eq!(note.read(), 1, "the routine's write, after take");
        }
        worker.join().unwrap();
    });
}

#[test]
fn a_handle_that_saw_the_exit_frees_only_after_the_exits_wake_ups() {
    // The exit wakes its waiters through the storage *after* it sets
    // EXITED: a futex waiter (the handle's `wait_exited`) and the async
    // list (a future that waited once and was dropped, as in a `select!`
    // whose other branch won: ASYNC_WAITER stays set). The handle then
    // detaches. Whichever side is last frees (`free_storage`); a use of the
    // storage that does not happen before the free is a causality
    // violation, a use after it an assertion. (`ManuallyDrop`: the model's
    // free is `free_storage`, so the cell's own drop must not run after it.)
    model(|| {
        let cell = Arc::new(core::mem::ManuallyDrop::new(Cell::<u32>::new()));
        {
            let mut waited = core::pin::pin!(cell.word().exited());
            let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
            assert!(waited.as_mut().poll(&mut cx).is_pending());
        }
        let worker = {
            let cell = cell.clone();
            thread::spawn(move || {
                let last = cell.complete(9) == Ok(Last::Yes);
                if last {
                    free_storage();
                }
                last
            })
        };
        assert_eq!(cell.word().wait_exited(None), Ok(()));
        let handle_last = cell.release() == Last::Yes;
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

#[test]
fn three_terminators_exactly_one_first() {
    bounded_model(Some(3), || {
        let cell = Arc::new(Cell::<u32>::new());
        let others: Vec<_> = (0..2)
            .map(|_| {
                let cell = cell.clone();
                thread::spawn(move || cell.word().request_terminate())
            })
            .collect();
        let mut results = vec![cell.word().request_terminate()];
        results.extend(others.into_iter().map(|h| h.join().unwrap()));
        let firsts = results.iter().filter(|r| made_it(**r)).count();
        assert_eq!(firsts, 1, "exactly one first terminator, got {results:?}");
    });
}

#[test]
fn timed_wait_vs_exit_loses_nothing() {
    // Unbounded: 7.8 million interleavings, about 8 minutes on 2 cores.
    bounded_model(Some(3), || {
        let cell = Arc::new(Cell::<u32>::new());
        let worker = {
            let cell = cell.clone();
            thread::spawn(move || assert!(cell.complete(5).is_ok()))
        };
        let timer = {
            let cell = cell.clone();
            thread::spawn(move || fire_timer(cell.word()))
        };
        // Either outcome is right; what matters is that it returns, and
        // that a timeout loses nothing.
        let r = cell.word().wait_exited(Some(Duration::from_millis(10)));
        assert!(matches!(r, Ok(()) | Err(TimedOut)));
        if r.is_ok() {
            assert!(cell.word().is_exited(), "Ok before the exit");
        }
        assert_eq!(cell.word().wait_exited(None), Ok(()));
        assert_eq!(cell.take(), Ok(5));
        worker.join().unwrap();
        timer.join().unwrap();
    });
}

#[test]
fn timed_terminate_vs_sleeping_worker_then_join() {
    // Bound 2: 77 649 interleavings (7 s). Bound 3 explored 916 708 and was
    // CI's longest model (100 s alone) once the reason protocol added its
    // claim and slot steps to every request.
    bounded_model(Some(2), || {
        let cell = Arc::new(Cell::<u32>::new());
        let worker = {
            let cell = cell.clone();
            thread::spawn(move || {
                // Sleeps in steps until terminate, as a routine does; the
                // timer may end a step first.
                let mut steps = 0;
                while cell.word().sleep(Duration::from_secs(1)) == Sleep::Elapsed {
                    steps += 1;
                }
                assert!(cell.complete(steps).is_ok());
            })
        };
        let timer = {
            let cell = cell.clone();
            thread::spawn(move || fire_timer(cell.word()))
        };
        assert_eq!(cell.word().request_terminate(), Request::First);
        let _ = cell.word().wait_exited(Some(Duration::from_millis(10)));
        // Whatever the timed wait said, the join afterwards gets the value.
        assert_eq!(cell.word().wait_exited(None), Ok(()));
        assert!(cell.take().is_ok());
        worker.join().unwrap();
        timer.join().unwrap();
    });
}

#[test]
fn terminate_from_own_thread_does_not_block_it() {
    model(|| {
        let cell = Arc::new(Cell::<u32>::new());
        let worker = {
            let cell = cell.clone();
            thread::spawn(move || {
                // The routine asks for its own termination (the API returns
                // OwnThread here and waits for nothing), then winds down.
                let r = cell.word().request_terminate();
                assert!(matches!(r, Request::First | Request::AlreadyRequested(_)));
                assert_eq!(cell.word().sleep(Duration::MAX), Sleep::Terminated);
                assert!(cell.complete(1).is_ok());
            })
        };
        let r = cell.word().request_terminate();
        assert!(matches!(
            r,
            Request::First | Request::AlreadyRequested(_) | Request::AlreadyExited
        ));
        assert_eq!(cell.word().wait_exited(None), Ok(()));
        worker.join().unwrap();
    });
}

#[test]
fn terminate_all_of_two_sleeping_workers_wakes_both_and_each_side_sees_the_others_writes() {
    bounded_model(Some(3), || {
        let cells = [Arc::new(Cell::<u32>::new()), Arc::new(Cell::<u32>::new())];
        // Per worker: what the terminator writes before its request, and
        // what the routine writes before it returns.
        let to_routine = [Arc::new(Note::new()), Arc::new(Note::new())];
        let from_routine = [Arc::new(Note::new()), Arc::new(Note::new())];
        let workers: Vec<_> = (0..2)
            .map(|i| {
                let cell = cells[i].clone();
                let (to, from) = (to_routine[i].clone(), from_routine[i].clone());
                thread::spawn(move || {
                    assert_eq!(cell.word().sleep(Duration::from_secs(1)), Sleep::Terminated);
                    assert_eq!(to.read(), 1, "the terminator's write, after the sleep");
                    from.write(1);
                    assert!(cell.complete(2).is_ok());
                })
            })
            .collect();
        // Signal all first, then wait for all under one deadline
        // (ClusWorkersTerminate; time stands still, so it never passes).
        for (cell, to) in cells.iter().zip(&to_routine) {
            to.write(1);
            assert_eq!(cell.word().request_terminate(), Request::First);
        }
        for (cell, from) in cells.iter().zip(&from_routine) {
            assert_eq!(
                cell.word().wait_exited(Some(Duration::from_secs(10))),
                Ok(())
            );
            assert_eq!(from.read(), 1, "the routine's write, after the wait");
            assert_eq!(cell.take(), Ok(2));
        }
        for w in workers {
            w.join().unwrap();
        }
    });
}

#[test]
fn drop_while_running_terminates_waits_and_drops_the_result_once() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let cell = Arc::new(Cell::<Counted>::new());
        let worker = {
            let (cell, drops) = (cell.clone(), drops.clone());
            thread::spawn(move || {
                let _ = cell.word().sleep(Duration::from_secs(1));
                assert!(cell.complete(Counted(drops)).is_ok());
            })
        };
        // What `Worker::drop` does: request, wait, join, free.
        let _ = cell.word().request_terminate();
        assert_eq!(cell.word().wait_exited(None), Ok(()));
        worker.join().unwrap();
        drop(cell);
        assert_eq!(drops.load(SeqCst), 1);
    });
}
