//! [`ClusWorker`]: the `CLUS_WORKER` slot, its layout, and its locked view.

use std::fmt;
use std::mem::offset_of;
use std::ptr;
use std::sync::atomic::{AtomicI32, AtomicPtr, AtomicU32, Ordering};
use std::sync::{Arc, MutexGuard};

use crate::worker::Worker;

use super::stripes;

/// A slot for one worker at a time: `CLUS_WORKER`, with the Windows layout.
///
/// All zeroes is the empty slot: [`ClusWorker::new`] is `const`, so a slot
/// can be a `static`, and a zeroed `CLUS_WORKER` from C is a valid empty
/// slot. A slot is re-usable: after its worker exited (or was terminated),
/// [`clus_worker_create`](super::clus_worker_create) starts a new one in it.
///
/// The layout is `CLUS_WORKER { HANDLE hThread; BOOL Terminate; }` on 64-bit
/// targets: 16 bytes, the worker at offset 0 (an opaque pointer, non-null
/// while the slot holds a worker; not a Windows `HANDLE`), the `Terminate`
/// flag at offset 8, and a private `u32` in what is padding on Windows, at
/// offset 12: a generation count and a "terminate in progress" flag.
/// Treat every field as read-only, as Microsoft asks.
///
/// Dropping a slot that still holds a worker terminates the worker and joins
/// it, so a Rust-owned slot never leaks a thread. A C caller must terminate
/// the worker before it frees the struct, as on Windows.
///
/// # Examples
///
/// ```
/// use clusworker::resapi::{ClusWorker, ERROR_SUCCESS, clus_worker_create, clus_worker_terminate};
///
/// static PENDING: ClusWorker = ClusWorker::new();
///
/// fn online() -> u32 {
///     clus_worker_terminate(&PENDING); // the previous worker, if any
///     clus_worker_create(&PENDING, |ctx, steps: u32| {
///         let mut done = 0;
///         while done < steps && !ctx.check_terminate() {
///             done += 1; // a step of the pending operation
///         }
///         done
///     }, 1_000)
/// }
///
/// assert_eq!(online(), ERROR_SUCCESS);
/// assert_eq!(online(), ERROR_SUCCESS); // re-created on the same slot
/// clus_worker_terminate(&PENDING);
/// assert!(PENDING.is_empty());
/// ```
#[doc(alias = "CLUS_WORKER")]
#[repr(C)]
pub struct ClusWorker {
    /// `hThread`: an `Arc<Worker<u32>>` from `Arc::into_raw`, or null.
    /// Changed only with the stripe locked; atomic so that C code peeking
    /// at it, and `Debug`, race with nothing.
    thread: AtomicPtr<Worker<u32>>,
    /// `Terminate`: 1 once terminate was requested through the slot, reset
    /// to 0 by a create. Stored (`Release`) only with the stripe locked;
    /// loaded without it by `clus_worker_check_terminate` (`Acquire`).
    terminate: AtomicI32,
    /// The padding on Windows: [`TERMINATING`] and the generation. Only
    /// touched with the stripe locked (`Relaxed`: the lock orders it).
    control: AtomicU32,
}

/// In `control`: a `clus_worker_terminate` is in progress (its first
/// caller is waiting).
const TERMINATING: u32 = 1 << 31;
/// In `control`: the generation, the number of successful creates, modulo
/// 2^31.
const GENERATION: u32 = !TERMINATING;

const _: () = {
    assert!(offset_of!(ClusWorker, thread) == 0);
    assert!(offset_of!(ClusWorker, terminate) == size_of::<usize>());
    assert!(offset_of!(ClusWorker, control) == size_of::<usize>() + 4);
    #[cfg(target_pointer_width = "64")]
    assert!(
        size_of::<ClusWorker>() == 16,
        "a ClusWorker must have the size of a 64-bit CLUS_WORKER"
    );
    assert!(align_of::<ClusWorker>() == align_of::<usize>());
};

impl ClusWorker {
    /// An empty slot (all zeroes).
    pub const fn new() -> ClusWorker {
        ClusWorker {
            thread: AtomicPtr::new(ptr::null_mut()),
            terminate: AtomicI32::new(0),
            control: AtomicU32::new(0),
        }
    }

    /// Does the slot hold no worker? A slot holds its worker until someone
    /// reaps it: a terminate that saw it exit, or the next create.
    pub fn is_empty(&self) -> bool {
        self.lock().worker().is_none()
    }

    /// The number of workers created in this slot, modulo 2^31.
    pub fn generation(&self) -> u32 {
        self.lock().generation()
    }

    /// The `Terminate` mirror: has terminate been requested through this
    /// slot since its last create? One `Acquire` load.
    #[inline]
    pub(super) fn terminate_requested(&self) -> bool {
        // Acquire: pairs with the Release store of 1 in `Locked::set_mirror`,
        // so a `true` also shows what the terminator did before requesting.
        self.terminate.load(Ordering::Acquire) != 0
    }

    /// Locks the slot's stripe.
    pub(super) fn lock(&self) -> Locked<'_> {
        Locked {
            _guard: stripes::lock(self as *const ClusWorker as usize),
            slot: self,
        }
    }
}

impl Default for ClusWorker {
    fn default() -> ClusWorker {
        ClusWorker::new()
    }
}

/// A worker taken out of a slot, or cloned from it, and the slot's
/// generation at that moment.
pub(super) struct Target {
    pub(super) worker: Arc<Worker<u32>>,
    pub(super) generation: u32,
}

/// A slot with its stripe locked: the only way to change its fields.
///
/// Never drop an `Arc<Worker<u32>>` while holding one: the last drop joins
/// the thread. The methods that remove a worker return it for that reason.
pub(super) struct Locked<'a> {
    _guard: MutexGuard<'static, ()>,
    slot: &'a ClusWorker,
}

impl Locked<'_> {
    /// The slot's worker, if any.
    pub(super) fn worker(&self) -> Option<&Worker<u32>> {
        let p = self.slot.thread.load(Ordering::Relaxed);
        // SAFETY: a non-null `thread` came from `Arc::into_raw` and the slot
        // owns that reference; only a locked slot gives it up, and we hold
        // the lock for as long as the borrow of `self` lasts.
        unsafe { p.cast_const().as_ref() }
    }

    /// A new reference to the slot's worker, with the generation.
    pub(super) fn target(&self) -> Option<Target> {
        let p = self.slot.thread.load(Ordering::Relaxed);
        if p.is_null() {
            return None;
        }
        // SAFETY: as in `worker`: `p` is from `Arc::into_raw` and its
        // reference is alive (the slot owns it, and we hold the lock); the
        // increment gives the new `Arc` its own.
        let worker = unsafe {
            Arc::increment_strong_count(p.cast_const());
            Arc::from_raw(p.cast_const())
        };
        Some(Target {
            worker,
            generation: self.generation(),
        })
    }

    /// Puts `worker` in the slot, and gives back the one it held.
    pub(super) fn replace(&mut self, worker: Arc<Worker<u32>>) -> Option<Arc<Worker<u32>>> {
        let new = Arc::into_raw(worker).cast_mut();
        let old = self.slot.thread.swap(new, Ordering::Relaxed);
        // SAFETY: a non-null old value came from `Arc::into_raw`, and the
        // slot owned that reference, which it gives up here.
        (!old.is_null()).then(|| unsafe { Arc::from_raw(old.cast_const()) })
    }

    /// Takes the slot's worker out if it is still `target`'s: same worker,
    /// same generation. A late terminator aimed at an older worker never
    /// reaps a newer one.
    pub(super) fn reap(&mut self, target: &Target) -> Option<Arc<Worker<u32>>> {
        let p = self.slot.thread.load(Ordering::Relaxed);
        // The pointer alone would do (`target` keeps the old worker's block
        // alive, so no new worker can have its address); the generation says
        // the same thing in words.
        if p.cast_const() != Arc::as_ptr(&target.worker) || self.generation() != target.generation {
            return None;
        }
        self.slot.thread.store(ptr::null_mut(), Ordering::Relaxed);
        // SAFETY: `p` is non-null (it equals a live `Arc`'s pointer) and
        // came from `Arc::into_raw`; the slot gives its reference up here.
        Some(unsafe { Arc::from_raw(p.cast_const()) })
    }

    pub(super) fn generation(&self) -> u32 {
        self.slot.control.load(Ordering::Relaxed) & GENERATION
    }

    pub(super) fn next_generation(&mut self) {
        let c = self.slot.control.load(Ordering::Relaxed);
        let g = c.wrapping_add(1) & GENERATION;
        self.slot
            .control
            .store((c & TERMINATING) | g, Ordering::Relaxed);
    }

    /// Is a `clus_worker_terminate` in progress?
    pub(super) fn terminating(&self) -> bool {
        self.slot.control.load(Ordering::Relaxed) & TERMINATING != 0
    }

    pub(super) fn set_terminating(&mut self, on: bool) {
        let c = self.slot.control.load(Ordering::Relaxed);
        let c = if on {
            c | TERMINATING
        } else {
            c & !TERMINATING
        };
        self.slot.control.store(c, Ordering::Relaxed);
    }

    pub(super) fn mirror(&self) -> bool {
        self.slot.terminate.load(Ordering::Relaxed) != 0
    }

    /// Sets the `Terminate` mirror. Release: see `terminate_requested`.
    pub(super) fn set_mirror(&mut self, on: bool) {
        self.slot.terminate.store(i32::from(on), Ordering::Release);
    }
}

impl Drop for ClusWorker {
    fn drop(&mut self) {
        let p = *self.thread.get_mut();
        if p.is_null() {
            return;
        }
        *self.thread.get_mut() = ptr::null_mut();
        *self.terminate.get_mut() = 1;
        // SAFETY: `p` came from `Arc::into_raw` and the slot owned that
        // reference; `&mut self` means no operation on the slot is running,
        // so nobody else holds a clone either.
        let worker = unsafe { Arc::from_raw(p.cast_const()) };
        // The last reference: `Worker`'s drop requests terminate, waits for
        // the exit and joins the thread.
        drop(worker);
    }
}

impl fmt::Debug for ClusWorker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let slot = self.lock();
        f.debug_struct("ClusWorker")
            .field("worker", &slot.worker().map(Worker::state))
            .field("terminate", &slot.mirror())
            .field("generation", &slot.generation())
            .field("terminating", &slot.terminating())
            .finish()
    }
}
