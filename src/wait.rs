//! How a handle waits for its routine: shared by [`Worker`](crate::Worker)
//! and [`PoolWorker`](crate::pool::PoolWorker), which differ only in how
//! they tell "the caller is the routine itself"; and what a terminate did,
//! [`Terminate`].

use std::hint::spin_loop;
use std::thread;
use std::time::{Duration, Instant};

use clusworker_core::{Request, WorkerWord};

use crate::error::WaitError;
use crate::sys::Park;

/// What [`Worker::terminate`](crate::Worker::terminate) (or
/// [`PoolWorker::terminate`](crate::pool::PoolWorker::terminate)) did.
///
/// # Examples
///
/// ```
/// use clusworker::{Terminate, Worker};
/// let worker = Worker::spawn(|ctx| while ctx.sleep(std::time::Duration::MAX).is_ok() {})?;
/// assert_eq!(worker.terminate(), Terminate::First); // requested, and waited
/// assert_eq!(worker.terminate(), Terminate::AlreadyRequested); // at once
/// # Ok::<(), clusworker::SpawnError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Terminate {
    /// This call made the terminate request, and waited until the routine
    /// returned (it may have returned before the call).
    First,
    /// Another call had already made the request; this one returned at
    /// once, without waiting, as `ClusWorkerTerminate` does. Use
    /// [`Worker::wait_timeout`](crate::Worker::wait_timeout) to wait as well.
    AlreadyRequested,
    /// Called on the worker's own thread: the request was made (if it was
    /// not already) and nothing waited, since waiting would deadlock.
    OwnThread,
}

/// How long a waiter spins and yields before it parks: [`settle`].
pub(crate) const SETTLE: Duration = Duration::from_micros(20);
/// Spin rounds before the yields: 2^0 .. 2^2 `spin_loop` hints, a fraction
/// of a µs. Longer pure spinning measured worse (`cycle` 1.13× instead of
/// 0.97× raw pthread with 2^0 .. 2^6): a thread just started or woken on
/// this CPU cannot run until the spinner yields.
const SPIN_STEPS: u32 = 2;

/// Waits a little for the exit before parking on the word: spins a few
/// rounds, then yields the CPU, for at most `budget` (capped at
/// [`SETTLE`]); returns whether the routine has exited.
///
/// A terminated routine usually returns within microseconds, and a park
/// costs a futex sleep plus a wake-up, which on a VM is itself 5 to 20 µs.
/// Yielding rather than only spinning matters when the routine's thread was
/// woken (or started) on this thread's CPU: a pure spin would keep it off
/// the CPU for the whole spin (crossbeam's `Backoff::snooze` does the same:
/// spin, then yield).
pub(crate) fn settle(word: &WorkerWord<Park>, budget: Duration) -> bool {
    for step in 0..=SPIN_STEPS {
        if word.is_exited() {
            return true;
        }
        for _ in 0..1u32 << step {
            spin_loop();
        }
    }
    let start = Instant::now();
    let budget = budget.min(SETTLE);
    while start.elapsed() < budget {
        if word.is_exited() {
            return true;
        }
        thread::yield_now();
    }
    word.is_exited()
}

/// Waits, without limit, for the exit: settles, then parks.
pub(crate) fn wait_exited(word: &WorkerWord<Park>) {
    if !settle(word, SETTLE) {
        // Without a timeout the wait cannot fail.
        let _ = word.wait_exited(None);
    }
}

/// `terminate`: request, and wait if this call was first. `own` says the
/// caller is the routine itself, which must not wait.
pub(crate) fn terminate(word: &WorkerWord<Park>, own: bool) -> Terminate {
    if own {
        let _ = word.request_terminate();
        return Terminate::OwnThread;
    }
    match word.request_terminate() {
        Request::First | Request::AlreadyExited => {
            wait_exited(word);
            Terminate::First
        }
        Request::AlreadyRequested => Terminate::AlreadyRequested,
    }
}

/// `wait_timeout`: wait at most `timeout` for the exit, without a request.
pub(crate) fn wait_timeout(
    word: &WorkerWord<Park>,
    own: bool,
    timeout: Duration,
) -> Result<(), WaitError> {
    if word.is_exited() {
        return Ok(());
    }
    if own {
        return Err(WaitError::OwnThread);
    }
    if settle(word, timeout) {
        return Ok(());
    }
    word.wait_exited(Some(timeout))
        .map_err(|_| WaitError::TimedOut)
}
