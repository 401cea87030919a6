//! One job of a pool: the worker cell, the routine, and the thread-local
//! "current job" that makes a routine's own terminate return at once.

use std::cell::Cell;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::NonNull;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use clusworker_core::{WorkerCell, WorkerWord};

use crate::context::Context;
use crate::deadline::JobDeadline;
use crate::quiet::drop_quietly;
use crate::sys::Park;

/// A job's number, unique within its pool, in spawn order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(pub u64);

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job {}", self.0)
    }
}

/// The panic-payload-shaped result of a job that never ran: it was still
/// queued when [`Pool::shutdown`](super::Pool::shutdown) reached its
/// deadline. [`PoolWorker::join`](super::PoolWorker::join) returns it as
/// `Err(Box<NeverRan>)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NeverRan;

impl fmt::Display for NeverRan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the job never ran: its pool shut down first")
    }
}

impl std::error::Error for NeverRan {}

thread_local! {
    /// The word of the job this pool thread is running, or null.
    static CURRENT: Cell<*const ()> = const { Cell::new(std::ptr::null()) };
}

/// Is the calling thread running the job whose word is `word`?
pub(super) fn is_current(word: &WorkerWord<Park>) -> bool {
    let me = std::ptr::from_ref(word).cast::<()>();
    CURRENT.with(|c| c.get() == me)
}

/// The heap block of one job, shared (`Arc`) by the handle, the queue and
/// the pool thread that runs it.
pub(super) struct Job<T, F> {
    pub(super) id: JobId,
    cell: WorkerCell<Park, thread::Result<T>>,
    /// Taken once: by the pool thread that runs it, or by a shutdown that
    /// gives up on it.
    routine: Mutex<Option<F>>,
    /// Its deadline, if spawned with one: a job without one pays one
    /// branch on this field when it runs, and nothing else.
    deadline: Option<JobDeadline>,
}

impl<T, F> Job<T, F> {
    pub(super) fn new(id: JobId, routine: F, deadline: Option<JobDeadline>) -> Self {
        Job {
            id,
            cell: WorkerCell::new(),
            routine: Mutex::new(Some(routine)),
            deadline,
        }
    }

    /// Publishes the job's result. `complete` runs the async waiters'
    /// wakers (their executor's code): one that panics must not kill the
    /// pool thread. Caught and its payload leaked; the waiters it did not
    /// reach were woken by the core before the panic left it, or are left
    /// to their executor (see `clusworker-core`'s `waiters`).
    fn publish(&self, result: thread::Result<T>) {
        match catch_unwind(AssertUnwindSafe(|| self.cell.complete(result))) {
            Ok(Ok(_)) => {}
            Ok(Err(value)) => {
                debug_assert!(false, "a pool job completed twice");
                let _ = drop_quietly(value);
            }
            Err(payload) => std::mem::forget(payload),
        }
    }

    fn take_routine(&self) -> Option<F> {
        self.routine
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

impl<T, F> Drop for Job<T, F> {
    /// The job's last reference may be dropped anywhere: on a pool thread
    /// (a detached job), in a shutdown, by the handle. What it still holds
    /// of the user's (a routine that never ran, a result nobody joined, a
    /// panic payload) is dropped quietly, so that a panicking `Drop` never
    /// kills a pool thread nor unwinds out of the pool.
    fn drop(&mut self) {
        let routine = self
            .routine
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(routine) = routine {
            let _ = drop_quietly(routine);
        }
        if let Ok(result) = self.cell.take() {
            let _ = drop_quietly(result);
        }
    }
}

/// What a pool thread and the shutdown see of a job, whatever its `T`.
pub(super) trait Run: Send + Sync {
    /// Runs the routine on this thread, catching its panic, and publishes
    /// the result. Does nothing if the routine was already taken. Takes
    /// the pool thread's reference, and drops it last (a detached job's
    /// result may go with it).
    fn run(self: Arc<Self>);
    /// Drops the routine unrun and completes the job with [`NeverRan`].
    fn abandon(&self);
    fn word(&self) -> &WorkerWord<Park>;
    fn id(&self) -> JobId;
}

/// What a handle sees of its job.
pub(super) trait JobCell<T>: Send + Sync {
    fn cell(&self) -> &WorkerCell<Park, thread::Result<T>>;
    fn id(&self) -> JobId;
}

impl<T, F> Run for Job<T, F>
where
    F: FnOnce(&Context) -> T + Send + 'static,
    T: Send + 'static,
{
    fn run(self: Arc<Self>) {
        let Some(routine) = self.take_routine() else {
            return;
        };
        let word = self.cell.word();
        if let Some(deadline) = &self.deadline {
            let raw = Arc::into_raw(Arc::clone(&self)).cast::<()>().cast_mut();
            // SAFETY: `Arc::into_raw` never returns null.
            let block = unsafe { NonNull::new_unchecked(raw) };
            // SAFETY: the deadline and the word live in this job, of which
            // `block` is a reference given up to the timer and dropped by
            // `drop_reference::<T, F>`, which runs only the job's quiet
            // drop; armed once (the routine is taken once), and disarmed
            // below before `publish`.
            unsafe { deadline.arm(word, block, drop_reference::<T, F>) };
        }
        // Exactly what a dedicated worker thread does (`packet::run`): the
        // routine gets a `Context` over the job's own word, so its checks
        // and sleeps are the core protocol, parked on the same futex.
        let prev = CURRENT.with(|c| c.replace(std::ptr::from_ref(word).cast()));
        let result = catch_unwind(AssertUnwindSafe(|| routine(Context::from_word(word))));
        CURRENT.with(|c| c.set(prev));
        if let Some(deadline) = &self.deadline
            && deadline.disarm(word)
        {
            // The timer's reference, dropped on its behalf: `self` is
            // another, so this is never the last.
            // SAFETY: the entry was still there, so the timer never will
            // drop it: it is ours, from the `into_raw` above.
            drop(unsafe { Arc::from_raw(Arc::as_ptr(&self)) });
        }
        self.publish(result);
    }

    fn abandon(&self) {
        if let Some(routine) = self.take_routine() {
            let _ = drop_quietly(routine);
            self.publish(Err(Box::new(NeverRan)));
        }
    }

    fn word(&self) -> &WorkerWord<Park> {
        self.cell.word()
    }

    fn id(&self) -> JobId {
        self.id
    }
}

/// The timer's `free` of a pool job: drops the timer's reference.
///
/// # Safety
///
/// `block` came from `Arc::into_raw` of an `Arc<Job<T, F>>`, and is
/// dropped once.
unsafe fn drop_reference<T, F>(block: NonNull<()>) {
    // SAFETY: the caller's contract.
    drop(unsafe { Arc::from_raw(block.cast::<Job<T, F>>().as_ptr()) });
}

impl<T, F> JobCell<T> for Job<T, F>
where
    F: Send,
    T: Send,
{
    fn cell(&self) -> &WorkerCell<Park, thread::Result<T>> {
        &self.cell
    }

    fn id(&self) -> JobId {
        self.id
    }
}
