//! What a platform supplies to the core: an atomic word, a cell for the
//! result, a futex-like wait/wake on the word, and a monotonic clock.
//!
//! The core never calls the OS. Everything that blocks or reads time goes
//! through [`Platform`], so the same protocol code runs on a Linux futex, a
//! pthread condvar table, Windows `WaitOnAddress`, a spin loop on bare metal,
//! or loom's model checker (the `verification` crate implements `Platform`
//! with loom's types, which is how the shipped code gets model-checked).

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU32, Ordering};
use core::time::Duration;

/// A 32-bit atomic integer.
///
/// # Safety
///
/// Implementations must be real atomics: every method must behave as the
/// method of the same name on [`core::sync::atomic::AtomicU32`], with at least
/// the ordering it is given. The core publishes the worker's result through
/// these orderings; a weaker implementation lets a reader see an unwritten
/// result slot, which is undefined behaviour.
pub unsafe trait AtomicWord: Send + Sync {
    /// A new word holding `value`.
    fn new(value: u32) -> Self;
    /// Atomically loads the value.
    fn load(&self, order: Ordering) -> u32;
    /// Atomically ORs `bits` in and returns the previous value.
    fn fetch_or(&self, bits: u32, order: Ordering) -> u32;
    /// Atomically replaces `current` with `new` if the value is `current`.
    ///
    /// Returns `Ok(previous)` on success and `Err(actual)` on failure.
    fn compare_exchange(
        &self,
        current: u32,
        new: u32,
        success: Ordering,
        failure: Ordering,
    ) -> Result<u32, u32>;
}

// SAFETY: forwards every call to the real `AtomicU32` with the same ordering.
unsafe impl AtomicWord for AtomicU32 {
    #[inline]
    fn new(value: u32) -> Self {
        AtomicU32::new(value)
    }
    #[inline]
    fn load(&self, order: Ordering) -> u32 {
        AtomicU32::load(self, order)
    }
    #[inline]
    fn fetch_or(&self, bits: u32, order: Ordering) -> u32 {
        AtomicU32::fetch_or(self, bits, order)
    }
    #[inline]
    fn compare_exchange(
        &self,
        current: u32,
        new: u32,
        success: Ordering,
        failure: Ordering,
    ) -> Result<u32, u32> {
        AtomicU32::compare_exchange(self, current, new, success, failure)
    }
}

/// An interior-mutable cell for the result slot, in loom's closure style.
///
/// # Safety
///
/// `with_mut` must hand `f` a pointer to the one value the cell owns, valid
/// for reads and writes for the duration of the call. The core upholds exclusivity: it only calls `with_mut` from the one
/// writer before the exit is published, and from the one claimant after it.
pub unsafe trait SlotCell<T> {
    /// A new cell holding `value`.
    fn new(value: T) -> Self;
    /// Calls `f` with a raw pointer to the value.
    fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R;
    /// Calls `f` with a raw pointer to the value, for reading only: any
    /// number of `with` calls may run at once, never beside a `with_mut`.
    /// The core reads the terminate reason's code through it.
    ///
    /// The default goes through [`with_mut`](Self::with_mut); a cell that
    /// tracks accesses (loom's) overrides it, so that readers on several
    /// threads are not taken for writers.
    fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        self.with_mut(|p| f(p.cast_const()))
    }
}

// SAFETY: `UnsafeCell::get` is the pointer to the owned value, valid as long
// as `&self` is.
unsafe impl<T> SlotCell<T> for UnsafeCell<T> {
    #[inline]
    fn new(value: T) -> Self {
        UnsafeCell::new(value)
    }
    #[inline]
    fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.get())
    }
}

/// A platform: the blocking, the clock, and the cell types the core runs on.
///
/// # The contract of `wait` and `wake_all`
///
/// They are a futex:
///
/// - `wait(word, expected, timeout)` blocks the calling thread only if the
///   word still holds `expected`, and the check and the start of blocking are
///   atomic with respect to `wake_all`: a `wake_all` that comes after a
///   modification of the word either finds this thread blocked and wakes it,
///   or this thread's check sees the modification and does not block.
/// - `wait` may return spuriously, early or late, any number of times. The
///   core re-reads the word and the clock after every return.
/// - `timeout` is relative; `None` means no timeout. It may be huge
///   ([`Duration::MAX`]); a platform clamps it to what it can express.
/// - `wake_all(word)` wakes every thread blocked in `wait` on `word`.
///
/// The core calls `wake_all` only after a read-modify-write of the word that
/// observed a waiter bit, so a platform never has to track waiters itself.
///
/// A platform that breaks this contract makes the core spin or hang, never
/// undefined behaviour: memory safety rests on [`AtomicWord`] and
/// [`SlotCell`] alone.
pub trait Platform: 'static {
    /// The atomic type of the worker word.
    type Word: AtomicWord;
    /// The cell type of the result slot.
    type Cell<T>: SlotCell<T>;

    /// How many rounds a thread waiting for an exit spins (each round twice
    /// as long as the last, capped at 64 `spin_loop` hints) before it parks.
    /// Zero parks at once; a model checker wants zero.
    const SPIN_LIMIT: u32 = 0;

    /// Blocks while `*word == expected`, for at most `timeout`; see the trait docs.
    fn wait(word: &Self::Word, expected: u32, timeout: Option<Duration>);
    /// Wakes every thread blocked in [`wait`](Platform::wait) on `word`.
    fn wake_all(word: &Self::Word);
    /// A monotonic clock: time since an arbitrary, fixed origin.
    fn now() -> Duration;
}
