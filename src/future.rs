//! Awaiting a worker from async code: [`Exited`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use clusworker_core::WorkerWord;

use crate::pool::PoolWorker;
use crate::sys::Park;
use crate::worker::Worker;

/// A future that resolves when a worker's routine has returned: the
/// non-blocking [`Worker::wait`]. Made by [`Worker::exited`] and
/// [`PoolWorker::exited`].
///
/// It never blocks a thread: a pending poll stores the task's waker beside
/// the worker word, and the routine's exit wakes it (the core's
/// `WorkerWord::poll_exited`, model-checked with loom against the exit). No
/// allocation per wait. Resolving synchronises with the exit, as a
/// successful [`Worker::wait`] does: [`Worker::join`] then returns at once.
///
/// It borrows the handle mutably: one waiting task per worker (the word
/// holds one waker). To terminate without blocking, request first
/// ([`Worker::terminate_timeout`] with [`Duration::ZERO`](std::time::Duration::ZERO)),
/// then await the exit.
#[must_use = "futures do nothing unless polled"]
pub struct Exited<'a> {
    word: &'a WorkerWord<Park>,
}

impl Future for Exited<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        self.word.poll_exited(cx)
    }
}

impl fmt::Debug for Exited<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exited")
            .field("state", &self.word.state())
            .finish()
    }
}

impl<T> Worker<T> {
    /// A future that resolves when the routine has returned; see
    /// [`Exited`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use clusworker::Worker;
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let mut worker = Worker::spawn(|ctx| while ctx.sleep(Duration::MAX).is_ok() {})?;
    /// // Request terminate without waiting, then await the exit without
    /// // blocking the runtime's thread.
    /// let _ = worker.terminate_timeout(Duration::ZERO);
    /// worker.exited().await;
    /// assert!(worker.join().is_ok());
    /// # Ok::<(), clusworker::SpawnError>(())
    /// # }).unwrap();
    /// ```
    pub fn exited(&mut self) -> Exited<'_> {
        Exited { word: self.word() }
    }
}

impl<T> PoolWorker<T> {
    /// A future that resolves when the job's routine has returned (or the
    /// pool gave up on it before it ran); see [`Exited`].
    pub fn exited(&mut self) -> Exited<'_> {
        Exited { word: self.word() }
    }
}
