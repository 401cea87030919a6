//! The waker slot beside the worker word: how an async task waits for a
//! terminate request or an exit without blocking a thread.
//!
//! An `AtomicWaker` (the protocol of `futures`' and tokio's, written with
//! [`AtomicWord`]'s `compare_exchange` and `fetch_or` only, so that it runs
//! on every platform, loom's included). It holds at most one [`Waker`]:
//!
//! - [`register`](WakerSlot::register) stores the waker of the task that
//!   polls, replacing the previous one;
//! - [`wake`](WakerSlot::wake) takes the stored waker and wakes it.
//!
//! # States
//!
//! | state                    | meaning                                    |
//! |--------------------------|--------------------------------------------|
//! | `IDLE` (0)               | nobody is inside; the cell may hold a waker |
//! | `REGISTERING`            | a `register` owns the cell                 |
//! | `WAKING`                 | a `wake` owns the cell                     |
//! | `REGISTERING \| WAKING`  | a `wake` came during a `register`: the registrant wakes its own waker when it leaves |
//!
//! A `register` that finds the state taken waits (spinning with
//! [`Platform::relax`]) until it is `IDLE`: a `wake` owns the state for a
//! `take` and a CAS, never while running user code.
//!
//! Only the owner of the state (who moved it away from `IDLE`) touches the
//! cell, so the cell needs no other guard. Every transition is a
//! read-modify-write with `AcqRel` on the one state word, so the owners'
//! uses of the cell are ordered one after another.
//!
//! # Notes about memory ordering
//!
//! A `wake` that comes after a condition was set either finds the waker a
//! `register` stored (its `fetch_or` is after the registrant's release of
//! the state in the state's modification order, and acquires it), or sets
//! `WAKING` while the registrant still owns the state, and the registrant
//! then wakes its own waker on the way out. The caller must pair the slot
//! with its condition as [`WorkerWord`](crate::WorkerWord) does: the waiter
//! registers *then* re-checks the condition with a read-modify-write on the
//! condition's word; the setter sets the condition with a read-modify-write
//! *then* wakes.
//!
//! # One waiting task
//!
//! One slot holds one waker: at most one task may wait on a word at a time
//! (a second registration replaces the first waker, whose task would then
//! not be woken). The safe futures built on it take their handle by
//! `&mut`, which enforces that; the same future may move from task to task,
//! since only its latest waker needs waking.

use core::task::Waker;

use crate::platform::{AtomicWord, Platform, SlotCell};
use core::sync::atomic::Ordering::{AcqRel, Acquire};

const IDLE: u32 = 0;
const REGISTERING: u32 = 1;
const WAKING: u32 = 2;

/// The cell of a waker slot: at most one waker.
///
/// The slot's state word is kept apart (a field of `WorkerWord` beside the
/// worker word), so that the word, the state and the cell pack into
/// 24 bytes instead of 32: the worker's heap block stays one cache line.
pub(crate) struct WakerCell<P: Platform>(P::Cell<Option<Waker>>);

impl<P: Platform> WakerCell<P> {
    pub(crate) fn new() -> Self {
        WakerCell(P::Cell::new(None))
    }
}

/// A state word in its initial (`IDLE`) state.
pub(crate) fn new_state<P: Platform>() -> P::Word {
    P::Word::new(IDLE)
}

/// One waker slot: its state word and its cell, borrowed from the
/// `WorkerWord` that holds them.
pub(crate) struct WakerSlot<'a, P: Platform> {
    pub(crate) state: &'a P::Word,
    pub(crate) waker: &'a WakerCell<P>,
}

impl<P: Platform> WakerSlot<'_, P> {
    /// Stores `waker` for the next [`wake`](Self::wake).
    pub(crate) fn register(&self, waker: &Waker) {
        // Own the cell. A `wake` holds it for a few instructions (a `take`
        // and a CAS, no user code): wait for it rather than lose ours.
        while self
            .state
            .compare_exchange(IDLE, REGISTERING, Acquire, Acquire)
            .is_err()
        {
            P::relax();
        }
        self.waker.0.with_mut(|slot| {
            // SAFETY: the state was IDLE and we moved it to REGISTERING: no
            // `wake` or other `register` touches the cell until we move it
            // back (module docs). `Acquire` ordered the previous owner's use
            // before ours.
            let slot = unsafe { &mut *slot };
            match slot {
                Some(old) if old.will_wake(waker) => {}
                _ => *slot = Some(waker.clone()),
            }
        });
        // Release the cell: `AcqRel` publishes the store to the next owner.
        // Fails only if a `wake` arrived meanwhile.
        if let Err(actual) = self
            .state
            .compare_exchange(REGISTERING, IDLE, AcqRel, Acquire)
        {
            debug_assert_eq!(actual, REGISTERING | WAKING);
            // A wake came while we owned the cell: it left the waker to
            // us. Take it, release the state, wake it.
            let waker = self.waker.0.with_mut(|slot| {
                // SAFETY: still REGISTERING (a `wake` only adds WAKING and
                // leaves the cell to us): we own the cell.
                unsafe { (*slot).take() }
            });
            let released = self
                .state
                .compare_exchange(REGISTERING | WAKING, IDLE, AcqRel, Acquire);
            debug_assert!(released.is_ok(), "{released:?}");
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }

    /// Takes the registered waker, if any, and wakes it.
    pub(crate) fn wake(&self) {
        // `AcqRel`: acquires the registrant's release of the cell.
        if self.state.fetch_or(WAKING, AcqRel) == IDLE {
            let waker = self.waker.0.with_mut(|slot| {
                // SAFETY: the state was IDLE and we set WAKING: we own the
                // cell until we clear it; a `register` meanwhile fails its
                // first CAS and does not touch the cell.
                unsafe { (*slot).take() }
            });
            let released = self.state.compare_exchange(WAKING, IDLE, AcqRel, Acquire);
            debug_assert!(released.is_ok(), "{released:?}");
            if let Some(waker) = waker {
                waker.wake();
            }
        }
        // Otherwise a `register` owns the cell and will wake its waker as
        // it leaves, or another `wake` is already waking it.
    }
}

// SAFETY: the cell holds a `Waker` (`Send + Sync`) and is only touched by
// the one owner of its state word (module docs), whose ownership passes
// between threads with `AcqRel` read-modify-writes.
unsafe impl<P: Platform> Sync for WakerCell<P> {}
// SAFETY: as above; moving the cell moves a `Waker`, which is `Send`.
unsafe impl<P: Platform> Send for WakerCell<P> {}
