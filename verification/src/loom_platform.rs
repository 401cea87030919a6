//! A [`Platform`] made of loom's types, so loom explores the core's protocol.
//!
//! - The word is loom's `AtomicU32`: loom explores every interleaving and
//!   every value a weak-memory load may return.
//! - The futex is modelled faithfully with a loom `Mutex` + `Condvar` per
//!   word: `wait` re-reads the word under the lock and blocks until a
//!   `wake_all` that comes after; `wake_all` takes the lock, then notifies.
//!   A lost wake-up therefore shows up as a loom deadlock ("all threads
//!   blocked"), not as a spin.
//! - The result cell is loom's `UnsafeCell`, so an unsynchronised access to
//!   the result slot is reported as a data race.
//! - Time does not pass: [`now`](Platform::now) is always zero, so a timeout
//!   of zero expires at once and any other timeout never does (the timer
//!   never fires). `wait` ignores its timeout for the same reason.

use core::time::Duration;

use clusworker_core::{AtomicWord, Platform, SlotCell};
use loom::sync::atomic::{AtomicU32, Ordering};
use loom::sync::{Condvar, Mutex};

/// The loom platform.
#[derive(Debug)]
pub struct Loom;

/// A loom atomic word with its own futex queue.
#[derive(Debug)]
pub struct LoomWord {
    atom: AtomicU32,
    lock: Mutex<()>,
    queue: Condvar,
}

// SAFETY: every method forwards to loom's `AtomicU32`, which checks (and
// honours) the ordering it is given.
unsafe impl AtomicWord for LoomWord {
    fn new(value: u32) -> Self {
        LoomWord {
            atom: AtomicU32::new(value),
            lock: Mutex::new(()),
            queue: Condvar::new(),
        }
    }
    fn load(&self, order: Ordering) -> u32 {
        self.atom.load(order)
    }
    fn fetch_or(&self, bits: u32, order: Ordering) -> u32 {
        self.atom.fetch_or(bits, order)
    }
    fn compare_exchange(
        &self,
        current: u32,
        new: u32,
        success: Ordering,
        failure: Ordering,
    ) -> Result<u32, u32> {
        self.atom.compare_exchange(current, new, success, failure)
    }
}

/// loom's `UnsafeCell`, which tracks every access for races.
#[derive(Debug)]
pub struct LoomCell<T>(loom::cell::UnsafeCell<T>);

// SAFETY: `with_mut` hands out loom's pointer to the owned value, valid for
// the closure's duration.
unsafe impl<T> SlotCell<T> for LoomCell<T> {
    fn new(value: T) -> Self {
        LoomCell(loom::cell::UnsafeCell::new(value))
    }
    fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        self.0.with_mut(f)
    }
}

impl Platform for Loom {
    type Word = LoomWord;
    type Cell<T> = LoomCell<T>;

    fn wait(word: &LoomWord, expected: u32, _timeout: Option<Duration>) {
        let guard = word.lock.lock().unwrap_or_else(|e| e.into_inner());
        // Relaxed, as the kernel's futex compare: the lock orders it after a
        // waker that locked first (see os-posix's condvar notes).
        if word.atom.load(Ordering::Relaxed) == expected {
            drop(word.queue.wait(guard).unwrap_or_else(|e| e.into_inner()));
        }
    }

    fn wake_all(word: &LoomWord) {
        drop(word.lock.lock().unwrap_or_else(|e| e.into_inner()));
        word.queue.notify_all();
    }

    fn now() -> Duration {
        Duration::ZERO
    }
}
