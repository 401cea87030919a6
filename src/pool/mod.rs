//! A fixed pool of threads that run worker routines: [`Pool`].
//!
//! A [`Worker`](crate::Worker) costs an OS thread start and join per
//! routine. A [`Pool`] starts its threads once; [`Pool::spawn`] queues a
//! routine and returns a [`PoolWorker`], whose API and guarantees are the
//! `Worker`'s: one first terminator, an interruptible
//! [`Context::sleep`](crate::Context::sleep), timeouts that lose nothing,
//! panics captured, the result taken once.
//!
//! The protocol is the same code, not a copy: a pool thread runs the routine
//! with a `&Context` over the job's own worker word (`clusworker-core`'s
//! `WorkerCell`), exactly as a dedicated worker thread does, so the routine
//! sleeps by parking on that word and a terminator wakes it with the same
//! futex wake.
//!
//! - A panicking routine never kills a pool thread: the panic is caught and
//!   becomes the job's result.
//! - Nor does a user value whose `Drop` panics. The pool drops the user's
//!   values it holds (a detached job's result or panic payload, a routine
//!   dropped unrun by [`Pool::shutdown`], the routine's captures) with the
//!   panic caught: the panic hook reports it, the panic's own payload is
//!   leaked (its `Drop` could panic again), and so is whatever that `Drop`
//!   had left undone. The thread goes on with the next job, and
//!   [`Pool::threads`] stays true. (A routine's captures dropped while it
//!   runs are part of the routine: their panic is the job's result.)
//! - A job may carry a deadline ([`Pool::spawn_with_deadline`],
//!   [`Pool::spawn_with_timeout`]), as a worker does: counted from its
//!   spawn, so one that passes while the job waits in the queue is the
//!   first thing its routine sees.
//! - A routine that calls [`PoolWorker::terminate`] on its own job gets
//!   [`Terminate::OwnThread`](crate::Terminate::OwnThread) at once (the pool
//!   thread knows which job it runs).
//! - [`Pool::shutdown`] requests terminate of every job, queued or running,
//!   waits for them under one deadline, and reports the ones that ignored
//!   the request: they are abandoned to their threads, never waited for past
//!   the deadline.
//! - A routine blocks its pool thread while it runs (that is the point of
//!   a worker): a pool of N threads runs N routines at once, the others
//!   wait in the queue. Waiting, from a pool routine, for a queued job of
//!   the same saturated pool waits for ever.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use clusworker::pool::Pool;
//!
//! let pool = Pool::new(4)?;
//! let jobs: Vec<_> = (0..8u64)
//!     .map(|i| pool.spawn(move |ctx| {
//!         // Periodic work until terminated.
//!         while ctx.sleep(Duration::from_millis(5)).is_ok() {}
//!         i
//!     }))
//!     .collect();
//! // Shutdown terminates every job, queued or running, under one deadline.
//! let report = pool.shutdown(Duration::from_secs(10));
//! assert!(report.abandoned.is_empty());
//! let sum: u64 = jobs.into_iter().map(|j| j.join().unwrap()).sum();
//! assert_eq!(sum, 28);
//! # Ok::<(), clusworker::SpawnError>(())
//! ```

mod handle;
mod job;

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

pub use handle::PoolWorker;
pub use job::{JobId, NeverRan};

use crate::backoff::spin_then_yield;
use crate::builder::SpawnError;
use crate::context::Context;
use crate::deadline::{JobDeadline, Limit};
use crate::wait;
use job::{Job, Run};

/// A fixed set of threads running worker routines; see the
/// [module docs](self).
///
/// Dropping a `Pool` does not wait: it requests terminate of every job, and
/// its threads run what is still queued (each routine sees the request at
/// once) and then exit. [`shutdown`](Self::shutdown) waits, under a
/// deadline.
///
/// A user value whose `Drop` panics (a detached job's result or panic
/// payload, a routine dropped unrun) never kills a pool thread: the panic
/// is caught, reported by the panic hook, and what that `Drop` left undone
/// is leaked; see the [module docs](self).
pub struct Pool {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

struct Shared {
    queue: Mutex<Queue>,
    /// Signalled when a job is queued or the pool closes.
    work: Condvar,
    /// The queue's length, readable without the lock: what an idle thread
    /// polls before it sleeps. A hint only; the lock decides.
    queued: AtomicUsize,
    /// Is an idle thread polling [`queued`](Self::queued)? At most one
    /// does: several pollers on few CPUs would take the CPU from the threads
    /// that spawn and run jobs.
    polling: AtomicBool,
    next_id: AtomicU64,
}

struct Queue {
    jobs: VecDeque<Arc<dyn Run>>,
    /// The job each thread is running (or last ran), by thread index.
    /// `Weak`, so that a finished job is freed as soon as its handle lets
    /// go, and replacing it under the lock runs no user code.
    running: Vec<Option<Weak<dyn Run>>>,
    closed: bool,
}

/// What [`Pool::shutdown`] found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// How many jobs (queued or running at the call) exited before the
    /// deadline.
    pub exited: usize,
    /// Jobs still queued at the deadline: their routines were dropped
    /// unrun, and their handles' `join` returns a [`NeverRan`] payload.
    pub never_ran: Vec<JobId>,
    /// Jobs whose routines ignored terminate and were still running at the
    /// deadline. Their threads were left to them (detached); the jobs' handles
    /// can still wait for them and join them.
    pub abandoned: Vec<JobId>,
}

impl ShutdownReport {
    /// Did every job exit in time?
    pub fn is_clean(&self) -> bool {
        self.never_ran.is_empty() && self.abandoned.is_empty()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Nothing panics while holding the lock (routines run outside it).
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Closes the queue and requests terminate of every queued or running
    /// job, for [`Reason::PoolShutDown`](clusworker_core::Reason::PoolShutDown);
    /// returns them.
    fn close(&self) -> Vec<Arc<dyn Run>> {
        let jobs: Vec<Arc<dyn Run>> = {
            let mut q = self.lock();
            q.closed = true;
            q.jobs
                .iter()
                .cloned()
                .chain(q.running.iter().flatten().filter_map(Weak::upgrade))
                .filter(|job| !job.word().is_exited())
                .collect()
        };
        self.work.notify_all();
        for job in &jobs {
            let _ = job
                .word()
                .request_terminate_with(clusworker_core::Reason::PoolShutDown);
        }
        jobs
    }
}

impl Pool {
    /// The most threads a pool may have: more than any machine runs
    /// usefully at once, and far below what would overflow the pool's
    /// bookkeeping.
    pub const MAX_THREADS: usize = 1 << 16;

    /// Starts a pool of `threads` threads (at least one).
    ///
    /// # Errors
    ///
    /// [`SpawnError::TooManyThreads`] for more than
    /// [`MAX_THREADS`](Self::MAX_THREADS), before anything is allocated or
    /// started; [`SpawnError::Os`] if the OS refuses a thread, after the
    /// threads already started are stopped and joined.
    ///
    /// ```
    /// use clusworker::{SpawnError, pool::Pool};
    /// let err = Pool::new(usize::MAX).unwrap_err();
    /// assert!(matches!(err, SpawnError::TooManyThreads { requested: usize::MAX, .. }));
    /// ```
    pub fn new(threads: usize) -> Result<Pool, SpawnError> {
        if threads > Self::MAX_THREADS {
            return Err(SpawnError::TooManyThreads {
                requested: threads,
                max: Self::MAX_THREADS,
            });
        }
        let threads = threads.max(1);
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                jobs: VecDeque::new(),
                running: vec![None; threads],
                closed: false,
            }),
            work: Condvar::new(),
            queued: AtomicUsize::new(0),
            polling: AtomicBool::new(false),
            next_id: AtomicU64::new(0),
        });
        let mut pool = Pool {
            shared,
            threads: Vec::with_capacity(threads),
        };
        for index in 0..threads {
            let shared = Arc::clone(&pool.shared);
            let started = thread::Builder::new()
                .name(format!("clusworker-pool-{index}"))
                .spawn(move || pool_thread(&shared, index));
            match started {
                Ok(handle) => pool.threads.push(handle),
                Err(error) => {
                    // Dropping `pool` closes it; its (idle) threads exit.
                    let _ = pool.shutdown(Duration::MAX);
                    return Err(spawn_error(error));
                }
            }
        }
        Ok(pool)
    }

    /// How many threads the pool has.
    pub fn threads(&self) -> usize {
        self.threads.len()
    }

    /// Queues `routine` to run on a pool thread, as [`Worker::spawn`]
    /// starts it on a new thread.
    ///
    /// [`Worker::spawn`]: crate::Worker::spawn
    #[doc(alias = "ClusWorkerCreate")]
    pub fn spawn<F, T>(&self, routine: F) -> PoolWorker<T>
    where
        F: FnOnce(&Context) -> T + Send + 'static,
        T: Send + 'static,
    {
        self.queue(routine, None)
    }

    /// Queues `routine` as [`spawn`](Self::spawn) does, with a deadline
    /// on the job (.NET's `CancelAfter`, Go's `context.WithDeadline`), as
    /// [`Builder::deadline`](crate::Builder::deadline) gives a worker: when
    /// `deadline` passes, terminate is requested with
    /// [`Reason::DeadlinePassed`](crate::Reason::DeadlinePassed) by the
    /// process's one timer thread, even if the routine only ever calls
    /// `check_terminate`, and whether the job is running or still queued
    /// (it then sees the request as it starts). The routine reads it with
    /// [`Context::deadline`]. An earlier request wins, and a routine that
    /// returns first is never terminated later.
    ///
    /// # Errors
    ///
    /// [`SpawnError::Os`] if the OS refuses the timer thread (started by
    /// the first deadline of the process); nothing is queued then.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use clusworker::{Reason, pool::Pool};
    /// let pool = Pool::new(1)?;
    /// let at = Instant::now() + Duration::from_millis(20);
    /// let job = pool.spawn_with_deadline(at, |ctx| {
    ///     while !ctx.check_terminate() {
    ///         std::thread::yield_now(); // work that never sleeps
    ///     }
    ///     (ctx.deadline(), ctx.reason())
    /// })?;
    /// assert_eq!(job.join().unwrap(), (Some(at), Some(Reason::DeadlinePassed)));
    /// # Ok::<(), clusworker::SpawnError>(())
    /// ```
    #[doc(alias = "CancelAfter")]
    #[doc(alias = "WithDeadline")]
    pub fn spawn_with_deadline<F, T>(
        &self,
        deadline: Instant,
        routine: F,
    ) -> Result<PoolWorker<T>, SpawnError>
    where
        F: FnOnce(&Context) -> T + Send + 'static,
        T: Send + 'static,
    {
        self.queue_with(routine, Limit::At(deadline))
    }

    /// Queues `routine` with a deadline `timeout` from now (the queue's
    /// wait counts), as [`spawn_with_deadline`](Self::spawn_with_deadline)
    /// (Go's `context.WithTimeout`). A timeout too large for the clock
    /// never passes: no deadline.
    ///
    /// # Errors
    ///
    /// As [`spawn_with_deadline`](Self::spawn_with_deadline).
    #[doc(alias = "WithTimeout")]
    pub fn spawn_with_timeout<F, T>(
        &self,
        timeout: Duration,
        routine: F,
    ) -> Result<PoolWorker<T>, SpawnError>
    where
        F: FnOnce(&Context) -> T + Send + 'static,
        T: Send + 'static,
    {
        self.queue_with(routine, Limit::After(timeout))
    }

    fn queue_with<F, T>(&self, routine: F, limit: Limit) -> Result<PoolWorker<T>, SpawnError>
    where
        F: FnOnce(&Context) -> T + Send + 'static,
        T: Send + 'static,
    {
        let deadline = JobDeadline::new(limit).map_err(|error| SpawnError::Os {
            call: "std::thread::Builder::spawn (the deadline timer)",
            error,
        })?;
        Ok(self.queue(routine, deadline))
    }

    fn queue<F, T>(&self, routine: F, deadline: Option<JobDeadline>) -> PoolWorker<T>
    where
        F: FnOnce(&Context) -> T + Send + 'static,
        T: Send + 'static,
    {
        // Relaxed: the number only has to be unique.
        let id = JobId(self.shared.next_id.fetch_add(1, Ordering::Relaxed));
        let job = Arc::new(Job::new(id, routine, deadline));
        let handle = PoolWorker::new(job.clone());
        {
            let mut q = self.shared.lock();
            // The pool is open while `self` exists: only `shutdown(self)` and
            // `drop` close it.
            debug_assert!(!q.closed);
            q.jobs.push_back(job);
            self.shared.queued.store(q.jobs.len(), Ordering::Relaxed);
        }
        self.shared.work.notify_one();
        handle
    }

    /// Requests terminate of every job (queued or running), waits for them
    /// under one deadline `timeout` from now, and stops the pool.
    ///
    /// Jobs still queued run and see the request at once. At the deadline,
    /// jobs that never got a thread are dropped unrun
    /// ([`ShutdownReport::never_ran`]), and routines that ignored the
    /// request are abandoned ([`ShutdownReport::abandoned`]): their threads
    /// are detached, and the call returns without them. Every other thread
    /// is joined. Called from a routine running on this pool, the caller's
    /// own job is not waited for (it cannot exit meanwhile) and is reported
    /// as abandoned.
    #[doc(alias = "ClusWorkersTerminate")]
    pub fn shutdown(mut self, timeout: Duration) -> ShutdownReport {
        let deadline = Instant::now().checked_add(timeout);
        let jobs = self.shared.close();
        let mut report = ShutdownReport::default();
        for job in &jobs {
            if job::is_current(job.word()) {
                // Called from a routine of this pool: its own job cannot
                // exit while it waits; it is reported as abandoned below.
                continue;
            }
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if wait::wait_exited(job.word(), left).is_ok() {
                report.exited += 1;
            }
        }
        let running = {
            let mut q = self.shared.lock();
            for job in q.jobs.drain(..) {
                job.abandon();
                report.never_ran.push(job.id());
            }
            self.shared.queued.store(0, Ordering::Relaxed);
            q.running.clone()
        };
        for (thread, job) in self.threads.drain(..).zip(running) {
            match job.as_ref().and_then(Weak::upgrade) {
                Some(job) if !job.word().is_exited() => {
                    report.abandoned.push(job.id());
                    drop(thread); // detached: it runs on until the routine returns
                }
                _ => {
                    // The queue is empty and closed: the thread is at most
                    // finishing a job's bookkeeping, then exits.
                    let r = thread.join();
                    debug_assert!(r.is_ok(), "a pool thread panicked");
                }
            }
        }
        report.abandoned.sort_unstable();
        report
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        if !self.threads.is_empty() {
            let _ = self.shared.close();
            // Detached: the threads drain the queue, then exit.
            self.threads.clear();
        }
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let q = self.shared.lock();
        f.debug_struct("Pool")
            .field("threads", &self.threads.len())
            .field("queued", &q.jobs.len())
            .field("closed", &q.closed)
            .finish()
    }
}

fn spawn_error(error: io::Error) -> SpawnError {
    SpawnError::Os {
        call: "std::thread::Builder::spawn",
        error,
    }
}

/// How long an idle pool thread polls the queue before it sleeps on the
/// condvar: a job spawned within this window starts without a wake-up.
const IDLE_POLL: Duration = Duration::from_micros(50);

/// Polls [`Shared::queued`] for up to [`IDLE_POLL`] (the crate's one
/// backoff: spinning 2^0 .. 2^6 rounds, then yielding); returns whether a
/// job may be waiting.
fn poll_for_work(shared: &Shared) -> bool {
    spin_then_yield(6, IDLE_POLL, || shared.queued.load(Ordering::Relaxed) != 0)
}

/// The loop of pool thread `index`: take a job, run it, repeat until the
/// pool is closed and its queue empty.
fn pool_thread(shared: &Shared, index: usize) {
    let mut polled = false;
    loop {
        let job = {
            let mut q = shared.lock();
            let job = loop {
                if let Some(job) = q.jobs.pop_front() {
                    shared.queued.store(q.jobs.len(), Ordering::Relaxed);
                    break job;
                }
                if q.closed {
                    return;
                }
                // Just finished a job: poll a little before sleeping, unless
                // another idle thread already does. `Relaxed`: the flag only
                // rations CPU; the lock orders the queue.
                if !polled && !shared.polling.swap(true, Ordering::Relaxed) {
                    polled = true;
                    drop(q);
                    let _ = poll_for_work(shared);
                    shared.polling.store(false, Ordering::Relaxed);
                    q = shared.lock();
                    continue;
                }
                polled = true;
                q = shared.work.wait(q).unwrap_or_else(PoisonError::into_inner);
            };
            // Replaces the `Weak` of the last job: frees at most a dead
            // allocation, never runs a destructor of the user's.
            q.running[index] = Some(Arc::downgrade(&job));
            job
        };
        // Ours may be the last reference to a detached job: `run` drops it
        // last, outside the lock, with the result.
        job.run();
        polled = false;
    }
}
