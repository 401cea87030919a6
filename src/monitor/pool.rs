//! The call threads: where entry points run, so that the monitor can time
//! them and a hung one blocks nothing but its own thread.
//!
//! A cached pool of detached [`Worker`](crate::Worker)s: a job goes to an
//! idle thread if there is one, otherwise a new thread starts. A thread that
//! stays idle for [`KEEP_ALIVE`] exits. Invariant (under the lock): the jobs
//! queued never outnumber the idle threads, so no job ever waits behind
//! another (hung) job.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::builder::{Builder, SpawnError};

/// How long an idle call thread waits for work before it exits.
pub(crate) const KEEP_ALIVE: Duration = Duration::from_secs(5);

pub(crate) type Job = Box<dyn FnOnce() + Send + 'static>;

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    idle: usize,
    threads: usize,
    stop: bool,
}

/// The pool.
#[derive(Default)]
pub(crate) struct Pool {
    state: Mutex<State>,
    work: Condvar,
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `job` on a call thread, starting one if none is idle.
    pub(crate) fn submit(self: &Arc<Self>, job: Job) -> Result<(), SpawnError> {
        let mut s = self.lock();
        s.queue.push_back(job);
        if s.queue.len() <= s.idle {
            self.work.notify_one();
            return Ok(());
        }
        let pool = Arc::clone(self);
        let spawned = Builder::new()
            .name("clusworker-call".to_string())
            .spawn(move |_ctx| pool.serve());
        match spawned {
            Ok(worker) => {
                s.threads += 1;
                worker.detach();
                Ok(())
            }
            Err(e) => {
                // Still ours: no thread took it while we held the lock.
                drop(s.queue.pop_back());
                Err(e)
            }
        }
    }

    /// A call thread's loop.
    fn serve(&self) {
        let mut s = self.lock();
        loop {
            if let Some(job) = s.queue.pop_front() {
                drop(s);
                // The jobs catch the resource's panics themselves; this keeps
                // the thread's accounting right if anything else unwinds.
                // Its payload is leaked, not dropped: its `Drop` could
                // panic too.
                if let Err(payload) = catch_unwind(AssertUnwindSafe(job)) {
                    std::mem::forget(payload);
                }
                s = self.lock();
                continue;
            }
            if s.stop {
                break;
            }
            s.idle += 1;
            let (guard, wait) = self
                .work
                .wait_timeout(s, KEEP_ALIVE)
                .unwrap_or_else(PoisonError::into_inner);
            s = guard;
            s.idle -= 1;
            if wait.timed_out() && s.queue.is_empty() {
                break;
            }
        }
        s.threads -= 1;
    }

    /// Lets idle threads exit now; busy ones exit when their job returns.
    pub(crate) fn stop(&self) {
        self.lock().stop = true;
        self.work.notify_all();
    }

    /// Threads alive (busy or idle).
    pub(crate) fn threads(&self) -> usize {
        self.lock().threads
    }
}
