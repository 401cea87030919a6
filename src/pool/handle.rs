//! The handle of a pooled worker: [`PoolWorker`].

use std::fmt;
use std::mem::ManuallyDrop;
use std::sync::Arc;
use std::thread;

use clusworker_core::WorkerWord;

use super::job::{JobCell, JobId, is_current};
use crate::error::JoinOwnThread;
use crate::sys::Park;
use crate::wait;

/// A worker routine running (or queued) on a [`Pool`](super::Pool): the
/// [`Worker`](crate::Worker) API, without a thread of its own.
///
/// The semantics are [`Worker`](crate::Worker)'s: exactly one
/// [`terminate`](Self::terminate) is [`Terminate::First`](crate::Terminate::First) and waits; the
/// routine's [`Context`](crate::Context) sleeps interruptibly; timeouts lose
/// nothing; a panic is captured and returned by [`join`](Self::join); the
/// result is taken once. Dropping the handle requests terminate and waits
/// for the exit; [`detach`](Self::detach) opts out.
///
/// `PoolWorker<T>` is `Send + Sync` and two words; the job's one heap block
/// (its word, result slot and routine) is reference-counted between the
/// handle, the queue and the pool thread, since there is no OS thread to
/// join.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use clusworker::{Terminate, pool::Pool};
/// let pool = Pool::new(2)?;
/// let job = pool.spawn(|ctx| {
///     let mut ticks = 0u32;
///     while ctx.sleep(Duration::from_millis(10)).is_ok() {
///         ticks += 1;
///     }
///     ticks
/// });
/// assert_eq!(job.terminate(), Terminate::First);
/// let _ticks: u32 = job.join().expect("the routine does not panic");
/// # Ok::<(), clusworker::SpawnError>(())
/// ```
pub struct PoolWorker<T> {
    job: ManuallyDrop<Arc<dyn JobCell<T>>>,
}

impl<T: Send + 'static> PoolWorker<T> {
    pub(super) fn new(job: Arc<dyn JobCell<T>>) -> Self {
        PoolWorker {
            job: ManuallyDrop::new(job),
        }
    }
}

impl<T> PoolWorker<T> {
    pub(crate) fn word(&self) -> &WorkerWord<Park> {
        self.job.cell().word()
    }

    /// Is the calling thread the pool thread running this job's routine?
    fn is_own_job(&self) -> bool {
        is_current(self.word())
    }

    /// The first terminator's wait: on the word (the pool's thread lives
    /// on after the job).
    fn wait_exit_on_word(&self) {
        // Without a timeout the wait cannot fail.
        let _ = crate::wait::wait_exited(self.word(), None);
    }

    crate::handle::handle_api!(
        own = is_own_job,
        wait_exit = wait_exit_on_word,
        what = "job",
        setup = "let pool = clusworker::pool::Pool::new(1)?;\nlet w = pool.spawn(|ctx| while ctx.sleep(std::time::Duration::MAX).is_ok() {});",
        end = "# Ok::<(), clusworker::SpawnError>(())"
    );

    /// The job's number in its pool (what a
    /// [`ShutdownReport`](super::ShutdownReport) lists).
    pub fn id(&self) -> JobId {
        self.job.id()
    }

    /// Waits for the routine to return (without requesting terminate) and
    /// gives its value, or the payload of its panic. A job the pool gave up
    /// on before it ran (see [`Pool::shutdown`](super::Pool::shutdown))
    /// returns a [`NeverRan`](super::NeverRan) payload.
    ///
    /// Called from the job's own routine it cannot wait: it lets go of the
    /// job (as [`detach`](Self::detach)) and returns a [`JoinOwnThread`]
    /// payload.
    pub fn join(self) -> thread::Result<T> {
        if self.is_own_job() {
            self.detach();
            return Err(Box::new(JoinOwnThread));
        }
        let _ = wait::wait_exited(self.word(), None);
        let result = self.job.cell().take();
        self.detach();
        match result {
            Ok(r) => r,
            // Only `join` takes, and it consumes the handle: cannot happen.
            Err(e) => Err(Box::new(e)),
        }
    }

    /// Lets the job run on by itself: nothing will terminate or wait for
    /// it, and its result is dropped with the job's block when the routine
    /// returns.
    pub fn detach(self) {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used again and its `Drop` never runs, so
        // the `Arc` is taken (and released) exactly once.
        drop(unsafe { ManuallyDrop::take(&mut this.job) });
    }
}

impl<T> Drop for PoolWorker<T> {
    fn drop(&mut self) {
        let _ = self
            .word()
            .request_terminate_with(clusworker_core::Reason::HandleDropped);
        if !self.is_own_job() {
            let _ = wait::wait_exited(self.word(), None);
        }
        // SAFETY: `self` is being dropped; the `Arc` is taken exactly once.
        drop(unsafe { ManuallyDrop::take(&mut self.job) });
    }
}

impl<T> fmt::Debug for PoolWorker<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolWorker")
            .field("id", &self.id())
            .field("state", &self.state())
            .finish()
    }
}
