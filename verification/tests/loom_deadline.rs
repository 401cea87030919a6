//! loom models of deadlines (issue 16): the timer's firing is a thread of
//! the model that calls the request path, as the process's timer thread
//! does (`src/deadline/timer.rs`).
//!
//! - *The first wins, once*: a deadline and an explicit request race;
//!   exactly one is first, every reader sees its reason, and the routine
//!   that sees it sees what its requester wrote before. Generic over
//!   [`Reasons`], so that it runs on the shipped core and on
//!   [`TimerMutant`], a timer that bypasses the request path.
//! - *The block's two shares*: the timer fires, the routine returns and
//!   takes its entry out, the handle lets go, in every order; the block is
//!   freed once, after every use, by whoever lets go last. A copy of
//!   `deadline`'s protocol (it is std code, over the core's word, which is
//!   the shipped one here), with the mutants of an owner's free that does
//!   not wait for the timer's share and of a `Relaxed` share.
//! - *A pool job's references*: a pool job's block is an `Arc`, and the
//!   timer's share is a reference of its own (`src/pool/job.rs`), dropped
//!   by whichever of the timer and the pool thread takes the entry out;
//!   with the mutants of a pool thread that drops it although the timer
//!   took it, and of one that never drops it.
//!
//! Run with `cargo test --release --features loom`.
#![cfg(feature = "loom")]

use clusworker_core::word::{REQUESTING, TERMINATE};
use clusworker_core::{AtomicWord, Last, Reason, Request, SlotCell, WorkerCell};
use clusworker_test_support::expect_caught;
use clusworker_verification::loom_platform::{
    Loom, LoomCell, LoomWord, Note, check_model, free_storage,
};
use clusworker_verification::reason::Reasons;
use loom::sync::atomic::Ordering::{self, AcqRel, Acquire, Relaxed, Release, SeqCst};
use loom::sync::atomic::{AtomicBool, AtomicUsize};
use loom::sync::{Arc, Mutex};
use loom::thread;

type Cell = WorkerCell<Loom, u32>;

fn leak<T>(value: T) -> &'static T {
    // Leaked, not a loom `Arc`: after loom reports a failure, dropping a
    // loom `Arc` outside the execution can abort the process.
    Box::leak(Box::new(value))
}

/// Which bug a [`TimerMutant`] carries.
mod timer_bug {
    /// The deadline sets the flag by itself (load, write the reason, then
    /// `fetch_or`), not through the request path's claim: it and a request
    /// can both be first, and both write the reason.
    pub(super) const BYPASS: u8 = 1;
}

/// A copy of the request path (`request_terminate_with`, `reason`) whose
/// deadline request, with bug `B`, bypasses it; `B = 0` is the unbroken
/// copy. The reason lives in one loom cell (the shipped code packs its kind
/// into the word; the claim and the publication are the same).
#[derive(Debug)]
struct TimerMutant<const B: u8> {
    word: LoomWord,
    reason: LoomCell<Reason>,
}

// SAFETY: the reason is a loom cell: the (possibly broken) protocol is what
// should serialise its accesses, and loom reports every access that races.
unsafe impl<const B: u8> Sync for TimerMutant<B> {}

impl<const B: u8> TimerMutant<B> {
    fn write(&self, reason: Reason) {
        // SAFETY: loom's pointer, valid in the closure; loom reports the
        // access if it races.
        self.reason.with_mut(|p| unsafe { *p = reason });
    }

    fn read(&self) -> Reason {
        // SAFETY: as in `write`.
        self.reason.with(|p| unsafe { *p })
    }

    /// A later request's wait for the first one's publication.
    fn first_reason(&self, mut seen: u32) -> Reason {
        while seen & TERMINATE == 0 {
            thread::yield_now();
            seen = self.word.load(Acquire);
        }
        self.read()
    }
}

impl<const B: u8> Reasons for TimerMutant<B> {
    fn new() -> Self {
        TimerMutant {
            word: LoomWord::new(0),
            reason: LoomCell::new(Reason::Requested),
        }
    }

    fn request_with(&self, reason: Reason) -> Request {
        if B == timer_bug::BYPASS && reason == Reason::DeadlinePassed {
            if self.word.load(Acquire) & TERMINATE != 0 {
                return Request::AlreadyRequested(self.read());
            }
            self.write(reason);
            self.word.fetch_or(TERMINATE, AcqRel);
            return Request::First;
        }
        let cur = self.word.load(Acquire);
        if cur & REQUESTING != 0 {
            return Request::AlreadyRequested(self.first_reason(cur));
        }
        let claimed = self.word.fetch_or(REQUESTING, Acquire);
        if claimed & REQUESTING != 0 {
            return Request::AlreadyRequested(self.first_reason(claimed));
        }
        self.write(reason);
        self.word.fetch_or(TERMINATE, AcqRel);
        Request::First
    }

    fn reason(&self) -> Option<Reason> {
        (self.word.load(Acquire) & TERMINATE != 0).then(|| self.read())
    }
}

/// The deadline (the timer's thread) and a request with `User(7)` (a
/// handle's) race while the routine reads its reason. Exactly one is
/// first; the other learns the first one's reason; the routine, whenever
/// it reads a reason, reads that one, and sees what its requester wrote
/// before (loom's cell). No bound: every interleaving.
fn the_first_of_a_deadline_and_a_request_wins_once<W: Reasons>() {
    check_model(None, || {
        let w = leak(W::new());
        let timer_note = leak(Note::new());
        let handle_note = leak(Note::new());
        let timer = thread::spawn(move || {
            timer_note.write(1);
            w.request_with(Reason::DeadlinePassed)
        });
        let handle = thread::spawn(move || {
            handle_note.write(2);
            w.request_with(Reason::User(7))
        });
        // The routine.
        let early = w.reason();
        match early {
            Some(Reason::DeadlinePassed) => assert_eq!(timer_note.read(), 1),
            Some(Reason::User(7)) => assert_eq!(handle_note.read(), 2),
            Some(other) => panic!("a reason nobody gave: {other:?}"),
            None => {}
        }
        let first = match (timer.join().unwrap(), handle.join().unwrap()) {
            (Request::First, Request::AlreadyRequested(r)) => {
                assert_eq!(r, Reason::DeadlinePassed, "the request learns the deadline");
                Reason::DeadlinePassed
            }
            (Request::AlreadyRequested(r), Request::First) => {
                assert_eq!(r, Reason::User(7), "the deadline learns the request");
                Reason::User(7)
            }
            other => panic!("not exactly one first request: {other:?}"),
        };
        assert_eq!(w.reason(), Some(first), "the reason seen is the first's");
        if let Some(r) = early {
            assert_eq!(r, first, "read early, the same first reason");
        }
    });
}

#[test]
fn deadline_vs_request_the_first_wins_once() {
    the_first_of_a_deadline_and_a_request_wins_once::<Cell>();
}

#[test]
fn deadline_vs_request_passes_on_the_unbroken_copy() {
    the_first_of_a_deadline_and_a_request_wins_once::<TimerMutant<0>>();
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by a_timer_that_bypasses_the_request_path_is_caught"]
fn mutant_timer_bypass() {
    the_first_of_a_deadline_and_a_request_wins_once::<TimerMutant<{ timer_bug::BYPASS }>>();
}

#[test]
fn a_timer_that_bypasses_the_request_path_is_caught() {
    expect_caught("mutant_timer_bypass", "not exactly one first request");
}

/// Which bug the shares model carries.
mod share_bug {
    /// The owners free on `Last::Yes` without asking the timer's share.
    pub(super) const OWNERS_IGNORE_TIMER: u8 = 1;
    /// The shares are swapped with `Relaxed`.
    pub(super) const RELAXED_SHARE: u8 = 2;
}

/// The deadline part of a block (a copy of `deadline::timer::Shares`).
struct Shares<const B: u8>(AtomicBool);

impl<const B: u8> Shares<B> {
    fn let_go(&self) -> bool {
        let order: Ordering = if B == share_bug::RELAXED_SHARE {
            Relaxed
        } else {
            AcqRel
        };
        self.0.swap(true, order)
    }

    /// The owners let go (`free_packet`): free if the timer did.
    fn owners_let_go(&self, freed: &AtomicBool) {
        if B == share_bug::OWNERS_IGNORE_TIMER || self.let_go() {
            free_storage();
            freed.store(true, Release);
        }
    }
}

/// The timer fires (takes the entry, requests, lets go), the routine
/// returns (takes the entry out if it is still there, then completes),
/// and the handle lets go, in any order. The block is freed exactly once,
/// after every use of it (the timer's request included: a use after the
/// free is a loom causality violation). Preemption bound 3 (unbounded:
/// 86 828 interleavings, 13 s).
fn the_block_is_freed_once_after_the_timer_and_the_owners<const B: u8>() {
    check_model(Some(3), || {
        let cell = leak(Cell::new());
        let shares = leak(Shares::<B>(AtomicBool::new(false)));
        let entry = Arc::new(Mutex::new(true)); // in the timer's map
        let freed = leak(AtomicBool::new(false));
        let timer = {
            let entry = entry.clone();
            thread::spawn(move || {
                let mine = std::mem::replace(&mut *entry.lock().unwrap(), false);
                if mine {
                    let _ = cell.word().request_terminate_with(Reason::DeadlinePassed);
                    if shares.let_go() {
                        free_storage();
                        freed.store(true, Release);
                    }
                }
            })
        };
        let worker = thread::spawn(move || {
            let _ = cell.word().check_terminate();
            // Disarm, before the exit.
            if std::mem::replace(&mut *entry.lock().unwrap(), false) {
                assert!(!shares.let_go(), "the owners still hold their share");
            }
            if cell.complete(1) == Ok(Last::Yes) {
                shares.owners_let_go(freed);
            }
        });
        // The handle detaches.
        if cell.release() == Last::Yes {
            shares.owners_let_go(freed);
        }
        timer.join().unwrap();
        worker.join().unwrap();
        assert!(freed.load(SeqCst), "the block was freed");
    });
}

#[test]
fn the_block_of_a_worker_with_a_deadline_is_freed_once_after_its_last_use() {
    the_block_is_freed_once_after_the_timer_and_the_owners::<0>();
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by owners_that_ignore_the_timers_share_are_caught"]
fn mutant_owners_ignore_timer() {
    the_block_is_freed_once_after_the_timer_and_the_owners::<{ share_bug::OWNERS_IGNORE_TIMER }>();
}

#[test]
fn owners_that_ignore_the_timers_share_are_caught() {
    expect_caught("mutant_owners_ignore_timer", "Causality violation");
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by relaxed_shares_are_caught"]
fn mutant_relaxed_share() {
    the_block_is_freed_once_after_the_timer_and_the_owners::<{ share_bug::RELAXED_SHARE }>();
}

#[test]
fn relaxed_shares_are_caught() {
    expect_caught("mutant_relaxed_share", "Causality violation");
}

/// Which bug the pool job model carries.
mod pool_bug {
    /// The pool thread drops the timer's reference after the routine
    /// whether or not the timer took the entry.
    pub(super) const DROPS_THE_TIMERS_TOO: u8 = 1;
    /// The pool thread never drops the timer's reference.
    pub(super) const KEEPS_THE_TIMERS: u8 = 2;
}

/// A pool job's block (`src/pool/job.rs`'s `Job`): counted by loom's `Arc`;
/// its drop is the free of the block.
struct PoolJob {
    cell: Cell,
    /// The deadline's entry in the timer's map (`true`: there).
    entry: Mutex<bool>,
    /// Last, so dropped after the cell (whose drop reads its word); only
    /// its drop matters.
    _freed: Freed,
}

/// The free of a [`PoolJob`], counted.
struct Freed(&'static AtomicUsize);

impl Drop for Freed {
    fn drop(&mut self) {
        free_storage();
        self.0.fetch_add(1, SeqCst);
    }
}

/// A raw `Arc` pointer that a model thread may take (loom runs its
/// threads one at a time; the protocol is what must order its use).
struct Raw(*const PoolJob);
// SAFETY: the pointer is an `Arc`'s reference, handed to one thread.
unsafe impl Send for Raw {}

/// The pool thread arms (giving the timer a reference), runs the routine,
/// disarms and completes, and drops its own reference; the timer fires
/// (takes the entry, requests, drops its reference); the handle is
/// dropped; in any order. The block is dropped exactly once, after every
/// use (the timer's request included: a use after the drop is caught by
/// the word's check of the free). Unbounded: 705 interleavings.
fn a_pool_jobs_block_is_dropped_once_after_the_timer<const B: u8>() {
    check_model(None, || {
        let drops = leak(AtomicUsize::new(0));
        let handle = Arc::new(PoolJob {
            cell: Cell::new(),
            entry: Mutex::new(false),
            _freed: Freed(drops),
        });
        let runner = handle.clone();
        let pool_thread = thread::spawn(move || {
            // Arm: the entry, and the timer's reference.
            *runner.entry.lock().unwrap() = true;
            let raw = Raw(Arc::into_raw(runner.clone()));
            let timer = thread::spawn(move || {
                let raw = raw;
                // SAFETY: the timer's reference, not dropped before the
                // `from_raw` below (the protocol under test).
                let job = unsafe { &*raw.0 };
                if std::mem::replace(&mut *job.entry.lock().unwrap(), false) {
                    let _ = job
                        .cell
                        .word()
                        .request_terminate_with(Reason::DeadlinePassed);
                    // SAFETY: the timer took the entry: the reference is its.
                    drop(unsafe { Arc::from_raw(raw.0) });
                }
            });
            // The routine.
            let _ = runner.cell.word().check_terminate();
            // Disarm, before the exit.
            let mine = std::mem::replace(&mut *runner.entry.lock().unwrap(), false);
            let drop_it = match B {
                pool_bug::DROPS_THE_TIMERS_TOO => true,
                pool_bug::KEEPS_THE_TIMERS => false,
                _ => mine,
            };
            if drop_it {
                // SAFETY: the entry was still there: the timer never drops
                // this reference (unless a mutant took it anyway).
                drop(unsafe { Arc::from_raw(Arc::as_ptr(&runner)) });
            }
            let _ = runner.cell.complete(1);
            drop(runner);
            timer.join().unwrap();
        });
        drop(handle);
        pool_thread.join().unwrap();
        assert_eq!(drops.load(SeqCst), 1, "the block is dropped once");
    });
}

#[test]
fn a_pool_jobs_timer_reference_is_dropped_once_after_its_use() {
    a_pool_jobs_block_is_dropped_once_after_the_timer::<0>();
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by a_pool_thread_that_drops_the_timers_reference_too_is_caught"]
fn mutant_pool_drops_the_timers_too() {
    a_pool_jobs_block_is_dropped_once_after_the_timer::<{ pool_bug::DROPS_THE_TIMERS_TOO }>();
}

#[test]
fn a_pool_thread_that_drops_the_timers_reference_too_is_caught() {
    expect_caught(
        "mutant_pool_drops_the_timers_too",
        "a worker word used after its storage was freed",
    );
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by a_pool_thread_that_keeps_the_timers_reference_is_caught"]
fn mutant_pool_keeps_the_timers() {
    a_pool_jobs_block_is_dropped_once_after_the_timer::<{ pool_bug::KEEPS_THE_TIMERS }>();
}

#[test]
fn a_pool_thread_that_keeps_the_timers_reference_is_caught() {
    expect_caught("mutant_pool_keeps_the_timers", "the block is dropped once");
}
