//! How a handle waits for its routine: shared by [`Worker`](crate::Worker)
//! and [`PoolWorker`](crate::pool::PoolWorker), which differ only in how
//! they tell "the caller is the routine itself"; and what a terminate did,
//! [`Terminate`].

use std::time::Duration;

use clusworker_core::{Reason, Request, TimedOut, WorkerWord};

use crate::backoff::spin_then_yield;

use crate::error::WaitError;
use crate::sys::Park;

/// What [`Worker::terminate`](crate::Worker::terminate) (or
/// [`PoolWorker::terminate`](crate::pool::PoolWorker::terminate)) did.
///
/// # Examples
///
/// ```
/// use clusworker::{Reason, Terminate, Worker};
/// let worker = Worker::spawn(|ctx| while ctx.sleep(std::time::Duration::MAX).is_ok() {})?;
/// assert_eq!(worker.terminate(), Terminate::First); // requested, and waited
/// assert_eq!(worker.terminate(), Terminate::AlreadyRequested(Reason::Requested)); // at once
/// # Ok::<(), clusworker::SpawnError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Terminate {
    /// This call made the terminate request, and waited until the routine
    /// returned (it may have returned before the call). A
    /// [`Worker`](crate::Worker)'s terminate waits with the OS join, so its
    /// thread has ended too, thread-local destructors included: a
    /// destructor that waits for something the terminating thread holds
    /// would wait forever, as it would in `join`.
    First,
    /// Another call had already made the request, for the [`Reason`] this
    /// holds (the first request's); this one returned at once, without
    /// waiting, as `ClusWorkerTerminate` does. Use
    /// [`Worker::wait_timeout`](crate::Worker::wait_timeout) to wait as well.
    AlreadyRequested(Reason),
    /// Called on the worker's own thread: the request was made (if it was
    /// not already) and nothing waited, since waiting would deadlock.
    OwnThread,
}

/// How long a waiter spins and yields before it parks: [`settle`].
pub(crate) const SETTLE: Duration = Duration::from_micros(20);
/// Spin rounds before the yields: 2^0 .. 2^2 `spin_loop` hints, a fraction
/// of a µs. Longer pure spinning measured worse (`cycle` 1.13× instead of
/// 0.97× raw pthread with 2^0 .. 2^6, and 2.0× instead of 1.66× with
/// crossbeam's `Backoff::snooze`; see the `backoff` module): a thread just
/// started or woken on this CPU cannot run until the spinner yields.
const SPIN_STEPS: u32 = 2;

/// Waits a little for the exit before parking on the word: spins a few
/// rounds, then yields the CPU, for at most `budget` (capped at
/// [`SETTLE`]); returns whether the routine has exited.
///
/// A terminated routine usually returns within microseconds, and a park
/// costs a futex sleep plus a wake-up, which on a VM is itself 5 to 20 µs.
/// Yielding rather than only spinning matters when the routine's thread was
/// woken (or started) on this thread's CPU: a pure spin would keep it off
/// the CPU for the whole spin.
///
/// This is the terminate path's only spin: after it, the waits below park
/// at once ([`WorkerWord::park_exited`]), never through the core's own
/// spin phase ([`WorkerWord::wait_exited`]), so two spin layers never run
/// back to back.
pub(crate) fn settle(word: &WorkerWord<Park>, budget: Duration) -> bool {
    spin_then_yield(SPIN_STEPS, budget.min(SETTLE), || word.is_exited())
}

/// Waits at most `timeout` (`None`: no limit) for the exit: settles, then
/// parks. Every wait of a handle for its routine goes through it.
pub(crate) fn wait_exited(
    word: &WorkerWord<Park>,
    timeout: Option<Duration>,
) -> Result<(), TimedOut> {
    if timeout == Some(Duration::ZERO) {
        return word.park_exited(timeout);
    }
    if settle(word, timeout.unwrap_or(SETTLE)) {
        return Ok(());
    }
    word.park_exited(timeout)
}

/// `terminate`: request, and wait on the word if this call was first.
/// `own` says the caller is the routine itself, which must not wait.
pub(crate) fn terminate(word: &WorkerWord<Park>, own: bool, reason: Reason) -> Terminate {
    terminate_then(word, own, reason, || {
        // Without a timeout the wait cannot fail.
        let _ = wait_exited(word, None);
    })
}

/// `terminate` whose first caller waits for the exit with `wait_exit` (a
/// [`Worker`](crate::Worker) joins its OS thread there). Exactly one call
/// for a word runs `wait_exit`: the one whose request returned `First` or
/// `AlreadyExited`, when it is not the routine's own thread.
pub(crate) fn terminate_then(
    word: &WorkerWord<Park>,
    own: bool,
    reason: Reason,
    wait_exit: impl FnOnce(),
) -> Terminate {
    if own {
        let _ = word.request_terminate_with(reason);
        return Terminate::OwnThread;
    }
    match word.request_terminate_with(reason) {
        Request::First | Request::AlreadyExited => {
            wait_exit();
            Terminate::First
        }
        Request::AlreadyRequested(first) => Terminate::AlreadyRequested(first),
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
    wait_exited(word, Some(timeout)).map_err(|_| WaitError::TimedOut)
}
