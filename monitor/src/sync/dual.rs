//! The loom build's types: each is std's or loom's, chosen when it is
//! made.

use std::cell::{Cell, RefCell};
use std::ops::{Deref, DerefMut};
use std::panic::resume_unwind;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LockResult, PoisonError};
use std::time::Duration;

thread_local! {
    /// Whether [`check`] is running a model on this thread. loom runs
    /// every thread of a model as a coroutine of the thread that checks
    /// it, so this says it for all of them.
    static IN_MODEL: Cell<bool> = const { Cell::new(false) };
    /// The model's clock: time since the execution began.
    pub(super) static CLOCK: Cell<Duration> = const { Cell::new(Duration::ZERO) };
    /// The call threads started in this execution, for
    /// [`join_call_threads`].
    pub(super) static DETACHED: RefCell<Vec<loom::thread::JoinHandle<()>>> =
        const { RefCell::new(Vec::new()) };
}

pub(super) fn in_model() -> bool {
    IN_MODEL.with(Cell::get)
}

pub(super) fn clock() -> Duration {
    CLOCK.with(Cell::get)
}

/// `r` with its guard mapped by `f`, poisoned or not.
fn map<G, H>(r: LockResult<G>, f: impl FnOnce(G) -> H) -> LockResult<H> {
    match r {
        Ok(g) => Ok(f(g)),
        Err(e) => Err(PoisonError::new(f(e.into_inner()))),
    }
}

const MIXED: &str = "a condition variable used with a mutex of the other kind";

/// `std::sync::Arc`, or loom's in a model.
pub(crate) enum Arc<T> {
    Std(std::sync::Arc<T>),
    Loom(loom::sync::Arc<T>),
}

impl<T> Arc<T> {
    pub(crate) fn new(value: T) -> Self {
        if in_model() {
            Arc::Loom(loom::sync::Arc::new(value))
        } else {
            Arc::Std(std::sync::Arc::new(value))
        }
    }
}

impl<T> Clone for Arc<T> {
    fn clone(&self) -> Self {
        match self {
            Arc::Std(a) => Arc::Std(std::sync::Arc::clone(a)),
            Arc::Loom(a) => Arc::Loom(loom::sync::Arc::clone(a)),
        }
    }
}

impl<T> Deref for Arc<T> {
    type Target = T;
    fn deref(&self) -> &T {
        match self {
            Arc::Std(a) => a,
            Arc::Loom(a) => a,
        }
    }
}

/// `std::sync::Mutex`, or loom's in a model.
pub(crate) enum Mutex<T> {
    Std(std::sync::Mutex<T>),
    Loom(loom::sync::Mutex<T>),
}

/// The guard of a [`Mutex`].
pub(crate) enum MutexGuard<'a, T> {
    Std(std::sync::MutexGuard<'a, T>),
    Loom(loom::sync::MutexGuard<'a, T>),
}

impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Self {
        if in_model() {
            Mutex::Loom(loom::sync::Mutex::new(value))
        } else {
            Mutex::Std(std::sync::Mutex::new(value))
        }
    }

    pub(crate) fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
        match self {
            Mutex::Std(m) => map(m.lock(), MutexGuard::Std),
            Mutex::Loom(m) => map(m.lock(), MutexGuard::Loom),
        }
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        match self {
            MutexGuard::Std(g) => g,
            MutexGuard::Loom(g) => g,
        }
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        match self {
            MutexGuard::Std(g) => g,
            MutexGuard::Loom(g) => g,
        }
    }
}

/// `std::sync::Condvar`, or loom's in a model, with timed waits on the
/// model's clock.
pub(crate) struct Condvar {
    inner: Inner,
    /// The deadlines of the timed waiters (in a model), read and written
    /// under the mutex they wait with.
    timed: std::sync::Mutex<Vec<Duration>>,
}

enum Inner {
    Std(std::sync::Condvar),
    Loom(loom::sync::Condvar),
}

/// Whether a timed wait returned because its time ran out.
#[derive(Debug)]
pub(crate) struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    pub(crate) fn timed_out(&self) -> bool {
        self.0
    }
}

impl Condvar {
    pub(crate) fn new() -> Self {
        let inner = if in_model() {
            Inner::Loom(loom::sync::Condvar::new())
        } else {
            Inner::Std(std::sync::Condvar::new())
        };
        Condvar {
            inner,
            timed: std::sync::Mutex::default(),
        }
    }

    fn timed(&self) -> std::sync::MutexGuard<'_, Vec<Duration>> {
        self.timed.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
        match (&self.inner, guard) {
            (Inner::Std(c), MutexGuard::Std(g)) => map(c.wait(g), MutexGuard::Std),
            (Inner::Loom(c), MutexGuard::Loom(g)) => map(c.wait(g), MutexGuard::Loom),
            _ => unreachable!("{MIXED}"),
        }
    }

    /// As std's. In a model: waits until notified, or until the model's
    /// clock reaches `now + dur` ([`clock_moved`](Self::clock_moved)).
    pub(crate) fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        dur: Duration,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        match (&self.inner, guard) {
            (Inner::Std(c), MutexGuard::Std(g)) => map(c.wait_timeout(g, dur), |(g, t)| {
                (MutexGuard::Std(g), WaitTimeoutResult(t.timed_out()))
            }),
            (Inner::Loom(c), MutexGuard::Loom(g)) => {
                let deadline = clock().saturating_add(dur);
                if dur.is_zero() {
                    return Ok((MutexGuard::Loom(g), WaitTimeoutResult(true)));
                }
                self.timed().push(deadline);
                let r = c.wait(g);
                let mut timed = self.timed();
                if let Some(i) = timed.iter().position(|d| *d == deadline) {
                    timed.swap_remove(i);
                }
                drop(timed);
                let timed_out = clock() >= deadline;
                map(r, |g| (MutexGuard::Loom(g), WaitTimeoutResult(timed_out)))
            }
            _ => unreachable!("{MIXED}"),
        }
    }

    pub(crate) fn notify_one(&self) {
        match &self.inner {
            Inner::Std(c) => c.notify_one(),
            Inner::Loom(c) => c.notify_one(),
        }
    }

    pub(crate) fn notify_all(&self) {
        match &self.inner {
            Inner::Std(c) => c.notify_all(),
            Inner::Loom(c) => c.notify_all(),
        }
    }

    /// The model's clock moved: wakes the waiters if the deadline of one
    /// has passed. Call it under the mutex they wait with, after
    /// [`set_clock`](super::set_clock).
    pub(crate) fn clock_moved(&self) {
        let now = clock();
        if self.timed().iter().any(|d| *d <= now) {
            self.notify_all();
        }
    }
}

/// `std::sync::atomic::AtomicU64`, or loom's in a model.
#[derive(Debug)]
pub(crate) enum AtomicU64 {
    Std(std::sync::atomic::AtomicU64),
    Loom(loom::sync::atomic::AtomicU64),
}

impl AtomicU64 {
    pub(crate) fn new(value: u64) -> Self {
        if in_model() {
            AtomicU64::Loom(loom::sync::atomic::AtomicU64::new(value))
        } else {
            AtomicU64::Std(std::sync::atomic::AtomicU64::new(value))
        }
    }

    pub(crate) fn load(&self, order: Ordering) -> u64 {
        match self {
            AtomicU64::Std(a) => a.load(order),
            AtomicU64::Loom(a) => a.load(order),
        }
    }

    pub(crate) fn swap(&self, value: u64, order: Ordering) -> u64 {
        match self {
            AtomicU64::Std(a) => a.swap(value, order),
            AtomicU64::Loom(a) => a.swap(value, order),
        }
    }

    pub(crate) fn store(&self, value: u64, order: Ordering) {
        match self {
            AtomicU64::Std(a) => a.store(value, order),
            AtomicU64::Loom(a) => a.store(value, order),
        }
    }

    pub(crate) fn compare_exchange(
        &self,
        current: u64,
        new: u64,
        success: Ordering,
        failure: Ordering,
    ) -> Result<u64, u64> {
        match self {
            AtomicU64::Std(a) => a.compare_exchange(current, new, success, failure),
            AtomicU64::Loom(a) => a.compare_exchange(current, new, success, failure),
        }
    }
}

/// `std::time::Instant`, or a reading of the model's clock.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Instant {
    Std(std::time::Instant),
    Model(Duration),
}

impl Instant {
    pub(crate) fn now() -> Self {
        if in_model() {
            Instant::Model(clock())
        } else {
            Instant::Std(std::time::Instant::now())
        }
    }

    pub(crate) fn elapsed(&self) -> Duration {
        match self {
            Instant::Std(i) => i.elapsed(),
            Instant::Model(at) => clock().saturating_sub(*at),
        }
    }
}

/// `std::thread::JoinHandle`, or loom's in a model.
#[derive(Debug)]
pub(crate) enum JoinHandle<T> {
    Std(std::thread::JoinHandle<T>),
    Loom(loom::thread::JoinHandle<T>),
}

impl<T> JoinHandle<T> {
    pub(crate) fn join(self) -> std::thread::Result<T> {
        match self {
            JoinHandle::Std(h) => h.join(),
            JoinHandle::Loom(h) => h.join(),
        }
    }
}

/// A bug to put into the driver, for a model to catch (a monitor is
/// given one with `MonitorBuilder::loom_mutant`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mutant {
    /// A host looks for its call's result, lets the lock go, takes it
    /// again and waits on `done`: a result stored and notified in
    /// between is missed.
    HostWaitsUnlocked,
    /// The timer thread reads the earliest deadline, lets the lock go,
    /// takes it again and waits until that deadline: a timer armed in
    /// between, and its notification, are missed.
    TimerDeadlineUnlocked,
    /// `stop` notifies the timer thread before it sets the stop flag:
    /// a timer thread woken in between waits again, for ever.
    StopAfterNotify,
    /// The timer thread, stopped during a burst that decided nothing
    /// to carry out, waits (the bug fixed in 54e67a6): the stop's
    /// notification came while it had let the lock go.
    BurstForgetsTheStop,
    /// The monitor's drop leaves the resources in the driver: a resource
    /// that keeps its status handle keeps the driver alive, and the
    /// driver the resource, for ever.
    KeepsResources,
    /// A call thread lets go of its resource only after it told the
    /// state that the call returned: a host that drops the monitor as
    /// soon as its call returns finds the resource still held, and it is
    /// dropped later, on the call thread.
    LetsGoAfterReturn,
}

/// Runs a loom model of the driver: explores `f` with at most `bound`
/// preemptions per execution (`None`: every interleaving) unless
/// `LOOM_MAX_PREEMPTIONS` says otherwise, and prints how many
/// executions it explored (the `loom model <test>: N interleavings`
/// lines CI counts). Every monitor made in `f` runs on loom's types
/// and the model's clock, which starts at zero in each execution.
#[track_caller]
pub fn check(bound: Option<usize>, f: impl Fn() + Sync + Send + 'static) {
    /// Clears the flag however `check` ends.
    struct InModel;
    impl Drop for InModel {
        fn drop(&mut self) {
            IN_MODEL.with(|m| m.set(false));
        }
    }
    let mut b = loom::model::Builder::new();
    if b.preemption_bound.is_none() {
        b.preemption_bound = bound;
    }
    let runs = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&runs);
    IN_MODEL.with(|m| m.set(true));
    let reset = InModel;
    b.check(move || {
        assert!(in_model(), "loom ran the model on another thread");
        counter.fetch_add(1, Ordering::Relaxed);
        CLOCK.with(|c| c.set(Duration::ZERO));
        DETACHED.with(|d| d.borrow_mut().clear());
        f();
    });
    drop(reset);
    let name = std::thread::current().name().unwrap_or("?").to_owned();
    println!(
        "loom model {name}: {} interleavings explored (preemption bound: {:?})",
        runs.load(Ordering::Relaxed),
        b.preemption_bound
    );
}

/// Joins every call thread started so far in this execution, and those
/// they start meanwhile. Call it after the monitor is dropped (an idle
/// call thread exits only then): it returns once every call the monitor
/// made has returned, and the driver has handled its return.
pub fn join_call_threads() {
    assert!(in_model(), "call threads are joined only in a model");
    while let Some(h) = DETACHED.with(|d| d.borrow_mut().pop()) {
        if let Err(panic) = h.join() {
            resume_unwind(panic);
        }
    }
}
