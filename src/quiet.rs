//! Dropping the user's values that clusworker holds for them, without ever
//! letting a panicking `Drop` unwind into clusworker.
//!
//! clusworker drops values it does not own in places where a panic cannot
//! be allowed to escape: a detached worker's result (or panic payload) on
//! its own thread, whose entry point cannot unwind (it would abort the
//! process); a pool job's result on a pool thread (the thread would die and
//! later jobs hang); a routine dropped unrun during a shutdown; a resapi
//! parameter after a failed create. (`clusworker-monitor` keeps the same
//! rule with the same few lines, for a resource's panic payload and the
//! resource itself.) Every such drop goes
//! through [`drop_quietly`]: a panic raised by the value's `Drop` is
//! caught, and the payload of *that* panic is leaked (`mem::forget`), since
//! its own `Drop` could panic again. What the value's `Drop` had not done
//! when it panicked is not done: the rest of the value leaks, which is
//! always memory-safe. The panic hook has already reported the panic (by
//! default, a "panicked at" line on stderr), so it is not silent.

use std::mem;
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Bomb<'a>(&'a AtomicUsize);
    impl Drop for Bomb<'_> {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
            std::panic::resume_unwind(Box::new("a Drop that panics"));
        }
    }

    /// A panic payload whose own `Drop` panics: `drop_quietly` must not
    /// drop it.
    struct PayloadBomb;
    impl Drop for PayloadBomb {
        fn drop(&mut self) {
            panic!("the payload of a panicking Drop was dropped");
        }
    }
    struct ThrowsBomb;
    impl Drop for ThrowsBomb {
        fn drop(&mut self) {
            std::panic::resume_unwind(Box::new(PayloadBomb));
        }
    }

    #[test]
    fn a_panicking_drop_is_caught_and_reported() {
        let drops = AtomicUsize::new(0);
        assert!(drop_quietly(Bomb(&drops)), "expected the drop to panic");
        assert_eq!(drops.load(Ordering::Relaxed), 1, "Drop ran once");
        assert!(!drop_quietly(5u32), "a plain value does not panic");
    }

    #[test]
    fn the_payload_of_a_panicking_drop_is_never_dropped() {
        assert!(drop_quietly(ThrowsBomb));
    }
}
