//! [`CallThreads`]: the bounded set of threads that make entry-point calls,
//! fed by a queue.
//!
//! - At most `max` threads work at once, however many calls are queued: a
//!   storm of 10 000 expiries queues 10 000 `Terminate` calls, and `max`
//!   threads work through them.
//! - A thread stuck in a call declared hung does not count against `max`
//!   ([`hung`](CallThreads::hung)): a hung call costs its own thread only,
//!   and the others keep being served.
//! - Threads are started outside every lock (the count is reserved under
//!   the pool's lock, the thread started after it is released) and never
//!   while the monitor's lock is held: the driver submits after unlocking.
//!   A submitter starts at most one thread; each new thread starts the
//!   next one if the queue still needs it, so a burst does not make the
//!   submitter (the timer thread) pay for dozens of thread starts.
//! - An idle thread exits after [`KEEP_ALIVE`].
//! - If a thread cannot be started and no thread is left to run the
//!   queue, the queued calls are handed back ([`CallJob::cannot_run`]).

use std::collections::VecDeque;
use std::io;
use std::sync::PoisonError;
use std::time::Duration;

use crate::sync::{self, Arc, Condvar, Mutex, MutexGuard};

/// How long an idle call thread waits for work before it exits.
pub(crate) const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// A call to make on a call thread.
pub(crate) trait CallJob: Send {
    /// Makes the call, on a call thread.
    fn run(self: Box<Self>);
    /// No thread could be started to make the call.
    fn cannot_run(self: Box<Self>, error: &io::Error);
}

type Job = Box<dyn CallJob>;

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    /// Threads alive, started or reserved.
    threads: usize,
    idle: usize,
    /// Threads stuck in calls declared hung.
    hung: usize,
    peak: usize,
    stop: bool,
}

/// The call threads.
pub(crate) struct CallThreads {
    queue: Mutex<Queue>,
    work: Condvar,
    max: usize,
}

impl CallThreads {
    pub(crate) fn new(max: usize) -> CallThreads {
        CallThreads {
            queue: Mutex::default(),
            work: Condvar::new(),
            max: max.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        // No code of ours panics under this lock, and no user code runs.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `jobs`, starting threads (up to the bound) for those no idle
    /// thread takes.
    pub(crate) fn submit(this: &Arc<Self>, jobs: Vec<Job>) {
        if jobs.is_empty() {
            return;
        }
        let mut q = this.lock();
        if q.stop {
            drop(q);
            drop(jobs); // unrun: the monitor is gone
            return;
        }
        let n = jobs.len();
        q.jobs.extend(jobs);
        for _ in 0..n.min(q.idle) {
            this.work.notify_one();
        }
        CallThreads::top_up(this, q);
    }

    /// Starts one thread if the queued jobs outnumber the idle threads and
    /// the bound leaves room: reserved under the lock, started after it.
    /// Each thread, as it starts, does the same, so a burst grows the pool
    /// by a chain of starts on the pool's own threads, and whoever submits
    /// (the timer thread, in a storm of expiries) starts at most one.
    fn top_up(this: &Arc<Self>, mut q: MutexGuard<'_, Queue>) {
        let wanted = q.jobs.len() > q.idle;
        let room = q.threads < this.max + q.hung;
        if !(wanted && room) {
            return;
        }
        q.threads += 1;
        q.peak = q.peak.max(q.threads);
        drop(q);
        let pool = Arc::clone(this);
        let spawned = sync::spawn_detached("clusworker-call", move || CallThreads::serve(pool));
        if let Err(e) = spawned {
            this.not_started(&e);
        }
    }

    /// A reserved thread could not be started.
    fn not_started(&self, error: &io::Error) {
        let orphans: Vec<Job> = {
            let mut q = self.lock();
            q.threads -= 1;
            if q.threads > q.hung {
                return; // another thread will run the queue
            }
            q.jobs.drain(..).collect()
        };
        for job in orphans {
            job.cannot_run(error);
        }
    }

    /// A call thread's loop.
    fn serve(this: Arc<Self>) {
        // Grow the pool further if the queue still needs it.
        CallThreads::top_up(&this, this.lock());
        let mut q = this.lock();
        loop {
            if let Some(job) = q.jobs.pop_front() {
                drop(q);
                job.run();
                q = this.lock();
                continue;
            }
            if q.stop {
                break;
            }
            q.idle += 1;
            let (guard, wait) = this
                .work
                .wait_timeout(q, KEEP_ALIVE)
                .unwrap_or_else(PoisonError::into_inner);
            q = guard;
            q.idle -= 1;
            if wait.timed_out() && q.jobs.is_empty() {
                break;
            }
        }
        q.threads -= 1;
    }

    /// `stuck` more threads are in calls declared hung, and `returned` of
    /// those came back. A stuck thread makes room for another, which is
    /// started at once if calls are queued.
    pub(crate) fn hung(this: &Arc<Self>, stuck: usize, returned: usize) {
        let mut q = this.lock();
        q.hung = (q.hung + stuck).saturating_sub(returned);
        if stuck > 0 && !q.stop {
            CallThreads::top_up(this, q);
        }
    }

    /// Drops what is queued (unrun) and lets idle threads exit; busy ones
    /// exit when their call returns.
    pub(crate) fn stop(&self) {
        let dropped: Vec<Job> = {
            let mut q = self.lock();
            q.stop = true;
            q.jobs.drain(..).collect()
        };
        self.work.notify_all();
        drop(dropped); // outside the lock: a job holds a resource
    }

    /// Threads alive (busy, hung or idle), and the most there ever were.
    pub(crate) fn threads(&self) -> (usize, usize) {
        let q = self.lock();
        (q.threads, q.peak)
    }

    /// Calls queued and not yet taken by a thread.
    pub(crate) fn queued(&self) -> usize {
        self.lock().jobs.len()
    }

    /// The model's clock moved: wakes the idle threads whose keep-alive
    /// it ended.
    #[cfg(feature = "loom")]
    pub(crate) fn clock_moved(&self) {
        let q = self.lock();
        self.work.clock_moved();
        drop(q);
    }
}
