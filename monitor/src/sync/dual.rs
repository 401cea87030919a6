//! The loom build's types: each is std's or loom's, chosen when it is
//! made (the locks and condition variables in `lock.rs`); and the flag,
//! the clock and the detached threads of the model running on this
//! thread.

use std::cell::{Cell, RefCell};
use std::ops::Deref;
use std::sync::atomic::Ordering;
use std::time::Duration;

thread_local! {
    /// Whether [`check`](super::model::check) is running a model on this thread. loom runs
    /// every thread of a model as a coroutine of the thread that checks
    /// it, so this says it for all of them.
    pub(super) static IN_MODEL: Cell<bool> = const { Cell::new(false) };
    /// The model's clock: time since the execution began.
    pub(super) static CLOCK: Cell<Duration> = const { Cell::new(Duration::ZERO) };
    /// The call threads started in this execution, for
    /// [`join_call_threads`](super::model::join_call_threads).
    pub(super) static DETACHED: RefCell<Vec<loom::thread::JoinHandle<()>>> =
        const { RefCell::new(Vec::new()) };
}

pub(super) fn in_model() -> bool {
    IN_MODEL.with(Cell::get)
}

pub(super) fn clock() -> Duration {
    CLOCK.with(Cell::get)
}

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

    pub(crate) fn fetch_add(&self, value: u64, order: Ordering) -> u64 {
        match self {
            AtomicU64::Std(a) => a.fetch_add(value, order),
            AtomicU64::Loom(a) => a.fetch_add(value, order),
        }
    }

    pub(crate) fn fetch_sub(&self, value: u64, order: Ordering) -> u64 {
        match self {
            AtomicU64::Std(a) => a.fetch_sub(value, order),
            AtomicU64::Loom(a) => a.fetch_sub(value, order),
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
