//! The `ClusWorker*` functions on a [`ClusWorker`] slot.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use clusworker_core::{Reason, State};

use crate::builder::{Builder, SpawnError};
use crate::context::Context;
use crate::error::WaitError;
use crate::quiet::drop_quietly;

use super::codes::{
    ERROR_INVALID_PARAMETER, ERROR_INVALID_STATE, ERROR_POSSIBLE_DEADLOCK, ERROR_SUCCESS, INFINITE,
    WAIT_TIMEOUT,
};
use super::slot::{ClusWorker, Target};

/// Starts a worker in `slot` running `routine(ctx, param)`:
/// `ClusWorkerCreate`.
///
/// - An empty slot, or one whose worker has exited (terminated or not), is
///   (re)used: the exited worker is reaped, the `Terminate` flag reset, the
///   generation advanced.
/// - A slot whose worker is still running, or while a
///   [`clus_worker_terminate`] of it is in progress, is left unchanged:
///   [`ERROR_INVALID_STATE`]. (Windows does not say; overwriting the
///   running worker would leak it.)
/// - If the OS cannot start a thread, the slot is unchanged and the OS code
///   is returned (on Unix the `errno`, such as `EAGAIN`).
///
/// The routine's `u32` is its exit code; the Rust routine polls
/// [`Context::check_terminate`], which answers as
/// [`clus_worker_check_terminate`] on the slot does.
///
/// # Examples
///
/// ```
/// use clusworker::resapi::*;
/// let slot = ClusWorker::new();
/// let r = clus_worker_create(&slot, |ctx, ms: u64| {
///     // An interruptible wait of `ms` milliseconds, or until terminate.
///     let _ = ctx.sleep(std::time::Duration::from_millis(ms));
///     0
/// }, 60_000);
/// assert_eq!(r, ERROR_SUCCESS);
/// // The worker is running: the slot cannot take another one.
/// assert_eq!(clus_worker_create(&slot, |_, ()| 0, ()), ERROR_INVALID_STATE);
/// clus_worker_terminate(&slot); // wakes the sleep, waits for the exit
/// assert_eq!(clus_worker_create(&slot, |_, ()| 0, ()), ERROR_SUCCESS);
/// ```
#[doc(alias = "ClusWorkerCreate")]
pub fn clus_worker_create<P: Send + 'static>(
    slot: &ClusWorker,
    routine: fn(&Context, P) -> u32,
    param: P,
) -> u32 {
    clus_worker_create_with(slot, Builder::new(), routine, param)
}

/// [`clus_worker_create`] with a [`Builder`]: a thread name or a stack size.
///
/// A name with a NUL byte returns [`ERROR_INVALID_PARAMETER`]; otherwise as
/// [`clus_worker_create`].
///
/// # Examples
///
/// ```
/// use clusworker::Builder;
/// use clusworker::resapi::*;
/// let slot = ClusWorker::new();
/// let builder = Builder::new().name("disk-online".into());
/// assert_eq!(clus_worker_create_with(&slot, builder, |_, x: u32| x, 7), ERROR_SUCCESS);
/// // A stack no OS can provide: the OS error, and the slot is unchanged.
/// let absurd = Builder::new().stack_size(usize::MAX);
/// assert_ne!(clus_worker_create_with(&slot, absurd, |_, x: u32| x, 7), ERROR_SUCCESS);
/// assert_eq!(slot.generation(), 1);
/// ```
#[doc(alias = "ClusWorkerCreate")]
pub fn clus_worker_create_with<P: Send + 'static>(
    slot: &ClusWorker,
    builder: Builder,
    routine: fn(&Context, P) -> u32,
    param: P,
) -> u32 {
    // The routine takes `param` from this cell when it starts. If the spawn
    // fails, the cell still holds it, and it is dropped below, after the
    // stripe is unlocked: `P`'s drop may do anything, even use a slot.
    let cell = Arc::new(Mutex::new(Some(param)));
    let theirs = Arc::clone(&cell);
    let start = move |ctx: &Context| {
        let param = theirs.lock().unwrap_or_else(PoisonError::into_inner).take();
        match param {
            Some(param) => routine(ctx, param),
            // Unreachable: the routine runs once, and nothing else takes.
            None => ERROR_INVALID_STATE,
        }
    };
    let mut locked = slot.lock();
    if locked.terminating() {
        return ERROR_INVALID_STATE;
    }
    if locked.worker().is_some_and(|w| w.state() != State::Exited) {
        return ERROR_INVALID_STATE;
    }
    // Reset the mirror before the thread starts, so the new routine never
    // sees the previous worker's request. The thread is spawned with the
    // stripe locked: a routine that terminates its own slot at once waits
    // for the lock, and so finds itself in the slot.
    let mirror = locked.mirror();
    locked.set_mirror(false);
    let reaped = match builder.spawn(start) {
        Ok(worker) => {
            let old = locked.replace(Arc::new(worker));
            locked.next_generation();
            Ok(old)
        }
        Err(e) => {
            locked.set_mirror(mirror);
            Err(e)
        }
    };
    drop(locked);
    // The last reference when the spawn failed: `param` is dropped here.
    // Quietly: a `P` whose `Drop` panics must not turn the error code into
    // an unwind (out of an `extern "C"` caller, an abort).
    let _ = drop_quietly(cell);
    match reaped {
        // The reaped worker (if any) is dropped here, unlocked: its drop
        // joins its (finished) thread.
        Ok(_old) => ERROR_SUCCESS,
        Err(e) => spawn_error_code(&e),
    }
}

/// The code of a failed spawn: the OS code, never 0.
fn spawn_error_code(e: &SpawnError) -> u32 {
    match e.raw_os_error() {
        Some(code) if code != 0 => code as u32,
        _ => ERROR_INVALID_PARAMETER,
    }
}

/// Has terminate been requested through `slot` since its worker was
/// created? `ClusWorkerCheckTerminate`: one `Acquire` load of the slot's
/// `Terminate` flag.
///
/// A terminate call that sets the flag synchronises with a call that
/// returns `true`. Inside a Rust routine, [`Context::check_terminate`] is
/// the same question asked of the worker itself.
///
/// # Examples
///
/// ```
/// use clusworker::resapi::*;
/// static SLOT: ClusWorker = ClusWorker::new();
/// let r = clus_worker_create(&SLOT, |_ctx, slot: &'static ClusWorker| {
///     let mut polls = 0;
///     while !clus_worker_check_terminate(slot) {
///         polls += 1;
///         std::thread::yield_now();
///     }
///     polls
/// }, &SLOT);
/// assert_eq!(r, ERROR_SUCCESS);
/// clus_worker_terminate(&SLOT);
/// assert!(clus_worker_check_terminate(&SLOT));
/// ```
#[doc(alias = "ClusWorkerCheckTerminate")]
#[inline]
pub fn clus_worker_check_terminate(slot: &ClusWorker) -> bool {
    slot.terminate_requested()
}

/// Requests terminate and waits, without limit, for the worker to exit:
/// `ClusWorkerTerminate`.
///
/// As Microsoft documents: the first call sets `Terminate` and waits;
/// later calls, while it waits, return at once. So does a call on an empty
/// slot. When the wait ends the first caller reaps the worker (the slot is
/// empty again), unless the slot already moved on.
///
/// Called on the worker's own thread, it sets `Terminate`, requests, and
/// returns at once: it cannot wait for itself. The slot keeps the worker
/// until it is reaped by a later terminate or create.
///
/// # Examples
///
/// ```
/// use clusworker::resapi::*;
/// let slot = ClusWorker::new();
/// clus_worker_terminate(&slot); // an empty slot: nothing to do
/// let r = clus_worker_create(&slot, |ctx, ()| {
///     while ctx.sleep(std::time::Duration::from_secs(60)).is_ok() {}
///     0
/// }, ());
/// assert_eq!(r, ERROR_SUCCESS);
/// clus_worker_terminate(&slot);
/// assert!(slot.is_empty());
/// ```
#[doc(alias = "ClusWorkerTerminate")]
pub fn clus_worker_terminate(slot: &ClusWorker) {
    clus_worker_terminate_with(slot, Reason::Requested);
}

/// [`clus_worker_terminate`] with a [`Reason`]: the routine reads it
/// ([`Context::reason`](crate::Context::reason)) if this request is the
/// first; see [`Worker::request_terminate_with`](crate::Worker::request_terminate_with).
///
/// # Examples
///
/// ```
/// use clusworker::Reason;
/// use clusworker::resapi::*;
/// static SLOT: ClusWorker = ClusWorker::new();
/// static SEEN: std::sync::Mutex<Option<Reason>> = std::sync::Mutex::new(None);
/// let r = clus_worker_create(&SLOT, |ctx, ()| {
///     while ctx.sleep(std::time::Duration::MAX).is_ok() {}
///     *SEEN.lock().unwrap() = ctx.reason();
///     0
/// }, ());
/// assert_eq!(r, ERROR_SUCCESS);
/// clus_worker_terminate_with(&SLOT, Reason::User(0x13)); // ERROR_WRITE_PROTECT, say
/// assert_eq!(*SEEN.lock().unwrap(), Some(Reason::User(0x13)));
/// ```
pub fn clus_worker_terminate_with(slot: &ClusWorker, reason: Reason) {
    let target = {
        let mut locked = slot.lock();
        if locked.terminating() {
            return;
        }
        let Some(target) = locked.target() else {
            return;
        };
        locked.set_terminating(true);
        locked.set_mirror(true);
        target
    };
    // Requests (if nobody has) and waits; `Err(OwnThread)` on the worker's
    // own thread, which requests only. `TimedOut` cannot happen.
    let _ = target.worker.request_terminate_with(reason);
    let exited = target.worker.wait_timeout(Duration::MAX).is_ok();
    let reaped = {
        let mut locked = slot.lock();
        locked.set_terminating(false);
        if exited { locked.reap(&target) } else { None }
    };
    drop(reaped);
}

/// Requests terminate (unless `wait_only`), then waits at most `timeout_ms`
/// milliseconds for the worker to exit: `ClusWorkerTerminateEx`.
///
/// - [`ERROR_SUCCESS`] when the worker exited (it is reaped: the slot is
///   empty again), or the slot was empty.
/// - [`WAIT_TIMEOUT`] when it was still running at the timeout. Nothing is
///   lost: the worker stays in the slot; wait or terminate again.
/// - [`ERROR_POSSIBLE_DEADLOCK`] on the worker's own thread (after the
///   request, unless `wait_only`): it cannot wait for itself.
///
/// Every caller waits, not only the first. [`INFINITE`] waits without limit.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use clusworker::resapi::*;
/// let slot = ClusWorker::new();
/// // A routine that ignores terminate for a while.
/// let r = clus_worker_create(&slot, |_ctx, ms: u64| {
///     std::thread::sleep(Duration::from_millis(ms));
///     0
/// }, 200);
/// assert_eq!(r, ERROR_SUCCESS);
/// assert_eq!(clus_worker_terminate_ex(&slot, 0, false), WAIT_TIMEOUT);
/// assert_eq!(clus_worker_terminate_ex(&slot, INFINITE, true), ERROR_SUCCESS);
/// assert!(slot.is_empty());
/// ```
#[doc(alias = "ClusWorkerTerminateEx")]
pub fn clus_worker_terminate_ex(slot: &ClusWorker, timeout_ms: u32, wait_only: bool) -> u32 {
    let Some(target) = signal(slot, !wait_only) else {
        return ERROR_SUCCESS;
    };
    let code = code_of(target.worker.wait_timeout(duration(timeout_ms)));
    if code == ERROR_SUCCESS {
        reap(slot, &target);
    }
    code
}

/// Requests terminate of every slot's worker first (unless `wait_only`),
/// then waits for all of them under one deadline, `timeout_ms` from the
/// call: `ClusWorkersTerminate`.
///
/// [`ERROR_SUCCESS`] when every worker exited (each is reaped) or the slots
/// were empty; [`WAIT_TIMEOUT`] when at least one was still running at the
/// deadline (those stay in their slots, the others are reaped);
/// [`ERROR_POSSIBLE_DEADLOCK`] when none timed out but one of the workers is
/// the caller's own thread. Microsoft's documentation fixes neither the
/// order nor the deadline; signalling all first lets N workers wind down in
/// parallel, in about the time of one.
///
/// # Examples
///
/// ```
/// use clusworker::resapi::*;
/// let slots: Vec<ClusWorker> = (0..4).map(|_| ClusWorker::new()).collect();
/// for slot in &slots {
///     let r = clus_worker_create(slot, |ctx, ()| {
///         while ctx.sleep(std::time::Duration::from_secs(60)).is_ok() {}
///         0
///     }, ());
///     assert_eq!(r, ERROR_SUCCESS);
/// }
/// let refs: Vec<&ClusWorker> = slots.iter().collect();
/// assert_eq!(clus_workers_terminate(&refs, 10_000, false), ERROR_SUCCESS);
/// assert!(slots.iter().all(ClusWorker::is_empty));
/// ```
#[doc(alias = "ClusWorkersTerminate")]
pub fn clus_workers_terminate(slots: &[&ClusWorker], timeout_ms: u32, wait_only: bool) -> u32 {
    let targets: Vec<Option<Target>> = slots.iter().map(|s| signal(s, !wait_only)).collect();
    let deadline = Instant::now().checked_add(duration(timeout_ms));
    let (mut timed_out, mut own_thread) = (false, false);
    for (slot, target) in slots.iter().zip(&targets) {
        let Some(target) = target else { continue };
        let left = match deadline {
            Some(d) => d.saturating_duration_since(Instant::now()),
            None => Duration::MAX,
        };
        match target.worker.wait_timeout(left) {
            Ok(()) => reap(slot, target),
            Err(WaitError::OwnThread) => own_thread = true,
            Err(_) => timed_out = true,
        }
    }
    if timed_out {
        WAIT_TIMEOUT
    } else if own_thread {
        ERROR_POSSIBLE_DEADLOCK
    } else {
        ERROR_SUCCESS
    }
}

/// Takes a reference to the slot's worker; if `request`, sets the mirror
/// (with the stripe locked, so only while the slot holds that worker) and
/// then requests terminate of that worker, never of a later one.
pub(super) fn signal(slot: &ClusWorker, request: bool) -> Option<Target> {
    let target = {
        let mut locked = slot.lock();
        let target = locked.target()?;
        if request {
            locked.set_mirror(true);
        }
        target
    };
    if request {
        let _ = target.worker.request_terminate();
    }
    Some(target)
}

/// Reaps `target`'s worker from the slot if the slot still holds it, in the
/// same generation; drops it after unlocking.
pub(super) fn reap(slot: &ClusWorker, target: &Target) {
    let reaped = slot.lock().reap(target);
    drop(reaped);
}

fn code_of(r: Result<(), WaitError>) -> u32 {
    match r {
        Ok(()) => ERROR_SUCCESS,
        Err(WaitError::OwnThread) => ERROR_POSSIBLE_DEADLOCK,
        Err(_) => WAIT_TIMEOUT,
    }
}

fn duration(timeout_ms: u32) -> Duration {
    if timeout_ms == INFINITE {
        Duration::MAX
    } else {
        Duration::from_millis(timeout_ms.into())
    }
}
