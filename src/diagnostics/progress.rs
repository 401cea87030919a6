//! [`Context::progress`]: the routine's last progress mark.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;

use crate::context::Context;

thread_local! {
    /// The calling thread's last mark. `const`, without a destructor, so it
    /// lives as long as the thread (the list's entry points at it while the
    /// worker is listed) and costs no lazy initialisation.
    pub(super) static MARK: AtomicU64 = const { AtomicU64::new(0) };
}

impl Context {
    /// Records how far the routine got: a step number, a count of items
    /// done, a checkpoint. [`diagnostics::workers`](crate::diagnostics::workers)
    /// shows the last mark of every listed worker, so that a worker that
    /// does not stop can be seen where it stopped making progress.
    ///
    /// One `Relaxed` store, whether or not the diagnostics list is on: call
    /// it as often as you like. The mark is the calling thread's: call it
    /// from the routine's own thread (a helper thread the routine scopes
    /// marks only itself, which is not listed). A listed worker starts at 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use clusworker::Worker;
    /// let worker = Worker::spawn(|ctx| {
    ///     for step in 1..=3 {
    ///         ctx.progress(step); // a step of work done
    ///     }
    /// })?;
    /// worker.join().unwrap();
    /// # Ok::<(), clusworker::SpawnError>(())
    /// ```
    #[inline(always)]
    pub fn progress(&self, mark: u64) {
        // `Relaxed`: a snapshot value for a human; no other data is
        // published with it.
        MARK.with(|m| m.store(mark, Relaxed));
    }
}

/// The calling thread's mark, for `clusworker_core::progress`'s hook (the
/// monitor's reports mark their checkpoints through it).
pub(super) fn mark_this_thread(mark: u64) {
    MARK.with(|m| m.store(mark, Relaxed));
}
