//! The worker word paired with the result slot it publishes.

use core::fmt;
use core::mem::MaybeUninit;
use core::sync::atomic::Ordering::AcqRel;

use crate::platform::{Platform, SlotCell};
use crate::word::{CLAIMED, COMPLETED, COMPLETING, EXITED, RELEASED, WorkerWord};

/// A worker word and the slot its routine's result is written to.
///
/// The slot is written once ([`complete`](Self::complete)), read at most
/// once ([`take`](Self::take)), and dropped by the cell if nobody took it.
/// All three are guarded by bits of the word, so the API is safe: a second
/// writer gets its value back, a claimant before the exit or after another
/// claimant gets an error.
pub struct WorkerCell<P: Platform, T> {
    word: WorkerWord<P>,
    slot: P::Cell<MaybeUninit<T>>,
}

// SAFETY: the slot holds a `T` that is written by one thread and read (or
// dropped) by another, so `T: Send` is required to move it across; no `&T` is
// ever handed out to two threads, so `T: Sync` is not needed. The word is an
// atomic. The cell type's own thread-safety is irrelevant because every
// access to it is serialised by the word's Release/Acquire edges.
unsafe impl<P: Platform, T: Send> Sync for WorkerCell<P, T> {}
// SAFETY: as above; moving the cell moves the `T` it may hold.
unsafe impl<P: Platform, T: Send> Send for WorkerCell<P, T> {}

/// Why [`WorkerCell::take`] returned nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TakeError {
    /// The routine has not published its result yet.
    NotExited,
    /// Another caller already took the result.
    AlreadyTaken,
}

impl fmt::Display for TakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TakeError::NotExited => "the worker has not exited yet",
            TakeError::AlreadyTaken => "the worker's result was already taken",
        })
    }
}

impl core::error::Error for TakeError {}

/// Who frees the storage of a worker whose handle and routine both let go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use = "the caller that is last must free the storage"]
pub enum Last {
    /// The caller is the last user: it must free the storage now.
    Yes,
    /// The other side is still using the storage and will free it.
    No,
}

impl<P: Platform, T> Default for WorkerCell<P, T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P: Platform, T> fmt::Debug for WorkerCell<P, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerCell")
            .field("word", &self.word)
            .finish_non_exhaustive()
    }
}

impl<P: Platform, T> WorkerCell<P, T> {
    /// A running worker with an empty slot.
    pub fn new() -> Self {
        WorkerCell {
            word: WorkerWord::new(),
            slot: P::Cell::new(MaybeUninit::uninit()),
        }
    }

    /// The word: terminate, sleep, wait, state.
    #[inline(always)]
    pub fn word(&self) -> &WorkerWord<P> {
        &self.word
    }

    /// Stores the routine's result and publishes the exit (`Running` or
    /// `Terminating` → `Exited`), waking every thread waiting for it.
    ///
    /// Only the first call stores; a later call gets its value back as
    /// `Err`. On success, returns whether the handle had already let go
    /// ([`release`](Self::release)), in which case the caller is the last
    /// user of the storage.
    pub fn complete(&self, value: T) -> Result<Last, T> {
        // Claim the writer's role. `AcqRel` is more than needed, and no
        // model fails with `Relaxed`: the RMW's atomicity alone makes the
        // claim unique; the slot is written after it and published by the
        // exit's CAS; a losing caller touches nothing; and a `release` that
        // came before is acquired by the exit's CAS (it reads a later value
        // of the same chain of RMWs). Kept `AcqRel`: one RMW per exit, and
        // it keeps reasoning simple.
        let claimed = self.word.fetch_or(COMPLETING, AcqRel);
        if claimed & COMPLETING != 0 {
            return Err(value);
        }
        self.slot.with_mut(|slot| {
            // SAFETY: COMPLETING was clear and we set it, so we are the one
            // writer; nobody reads the slot before EXITED, which we set only
            // below, after this write (Release in `publish_exit`).
            unsafe { slot.write(MaybeUninit::new(value)) }
        });
        // `publish_exit` sets COMPLETED with EXITED when nobody waits (then
        // it touches the storage no more); otherwise it wakes the waiters
        // and sets COMPLETED after them. Either way the RMW that set
        // COMPLETED returned `old`.
        let old = self.word.publish_exit(claimed | COMPLETING);
        Ok(if old & RELEASED != 0 {
            Last::Yes
        } else {
            Last::No
        })
    }

    /// Takes the result, once the routine has exited.
    ///
    /// Exactly one call ever returns `Ok`.
    #[doc(alias = "claim_join")]
    pub fn take(&self) -> Result<T, TakeError> {
        // Acquire: pairs with the Release of EXITED in `complete`.
        if self.word.bits() & EXITED == 0 {
            return Err(TakeError::NotExited);
        }
        // `AcqRel` is more than needed, and no model fails with `Relaxed`:
        // the RMW's atomicity makes the claim unique, the `Acquire` above
        // already ordered the slot's write before the read below, and the
        // claim publishes nothing (`Drop` reads `CLAIMED` only with
        // `&mut self`). Either acquire alone is enough: with both dropped,
        // loom's `a_take_that_returns_ok_sees_the_routines_writes` reports a
        // causality violation. Kept `AcqRel`: one RMW per join.
        if self.word.fetch_or(CLAIMED, AcqRel) & CLAIMED != 0 {
            return Err(TakeError::AlreadyTaken);
        }
        Ok(self.slot.with_mut(|slot| {
            // SAFETY: EXITED was observed with Acquire, so the write in
            // `complete` happened before this read; CLAIMED was clear and we
            // set it, so no one else reads, and `Drop` will not drop it.
            unsafe { slot.read().assume_init() }
        }))
    }

    /// The handle lets go of the storage (`detach`). Returns
    /// [`Last::Yes`] if [`complete`](Self::complete) had already finished
    /// (it had returned, or was about to, touching the storage no more), in
    /// which case the caller must free the storage; otherwise `complete`
    /// returns (or will return) `Last::Yes` and its caller frees.
    ///
    /// Seeing the exit is not enough to free: `complete` publishes it and
    /// then wakes the waiters through the storage. A handle that saw
    /// [`State::Exited`](crate::State::Exited) may still get `Last::No`
    /// here, for the few instructions until `complete` is done.
    ///
    /// Must be called at most once per cell; a second call returns `No`.
    pub fn release(&self) -> Last {
        // `AcqRel`, paired with `complete`'s RMW that sets `COMPLETED`
        // (`publish_exit`): `Release` lets the writer that sees `RELEASED`
        // free after the handle's last use; `Acquire` lets a handle that
        // sees `COMPLETED` free after the writer's last use. (Either half
        // dropped: loom's
        // `a_handle_that_lets_go_first_is_ordered_before_the_writers_free`
        // reports a use racing the free.)
        let old = self.word.fetch_or(RELEASED, AcqRel);
        if old & RELEASED == 0 && old & COMPLETED != 0 {
            Last::Yes
        } else {
            Last::No
        }
    }
}

impl<P: Platform, T> Drop for WorkerCell<P, T> {
    fn drop(&mut self) {
        // `&mut self`: every other user is gone, and whatever ended their use
        // (a join, a last RMW) ordered their writes before this read, so
        // `Relaxed` would do here; `bits` is `Acquire` for its other callers.
        let bits = self.word.bits();
        if bits & EXITED != 0 && bits & CLAIMED == 0 {
            self.slot.with_mut(|slot| {
                // SAFETY: EXITED means `complete` wrote the slot; CLAIMED
                // clear means nobody read it; `&mut self` means nobody can.
                unsafe { (*slot).assume_init_drop() }
            });
        }
    }
}
