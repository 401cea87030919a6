//! Dropping the user's values that the monitor holds for them, without
//! ever letting a panicking `Drop` unwind into the monitor (the same rule,
//! and the same few lines, as `clusworker`'s `quiet` module, whose tests
//! cover them).
//!
//! The monitor drops values it does not own where a panic cannot be
//! allowed to escape: a resource's panic payload on a call thread (the call
//! would stay in flight for ever), a resource dropped with the monitor or
//! by its last call. Every such drop goes through [`drop_quietly`]: a panic raised by the value's `Drop` is
//! caught, and the payload of *that* panic is leaked (`mem::forget`), since
//! its own `Drop` could panic again. What the value's `Drop` had not done
//! when it panicked is not done: the rest of the value leaks, which is
//! always memory-safe. The panic hook has already reported the panic (by
//! default, a "panicked at" line on stderr), so it is not silent.

use std::mem::{self, ManuallyDrop};
use std::ops::Deref;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Drops `value`; a panic raised by its `Drop` is caught and its payload
/// leaked. Returns whether the drop panicked.
pub(crate) fn drop_quietly<V>(value: V) -> bool {
    match catch_unwind(AssertUnwindSafe(move || drop(value))) {
        Ok(()) => false,
        Err(payload) => {
            // Its own `Drop` may panic too: never run it.
            mem::forget(payload);
            true
        }
    }
}

/// A value of the user's that is dropped with [`drop_quietly`] when the
/// wrapper is dropped; reads through `Deref`.
pub(crate) struct Quiet<V>(ManuallyDrop<V>);

impl<V> Quiet<V> {
    pub(crate) fn new(value: V) -> Self {
        Quiet(ManuallyDrop::new(value))
    }
}

impl<V> Deref for Quiet<V> {
    type Target = V;
    fn deref(&self) -> &V {
        &self.0
    }
}

impl<V> Drop for Quiet<V> {
    fn drop(&mut self) {
        // SAFETY: `self.0` is taken once, here, and never used again: the
        // wrapper is being dropped.
        let value = unsafe { ManuallyDrop::take(&mut self.0) };
        let _ = drop_quietly(value);
    }
}
