//! The loom build's `Mutex` and `Condvar`: std's or loom's, chosen when
//! made; a timed wait in a model waits on the model's clock.

use std::ops::{Deref, DerefMut};
use std::sync::{LockResult, PoisonError};
use std::time::Duration;

use super::dual::{clock, in_model};

/// `r` with its guard mapped by `f`, poisoned or not.
fn map<G, H>(r: LockResult<G>, f: impl FnOnce(G) -> H) -> LockResult<H> {
    match r {
        Ok(g) => Ok(f(g)),
        Err(e) => Err(PoisonError::new(f(e.into_inner()))),
    }
}

const MIXED: &str = "a condition variable used with a mutex of the other kind";

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
