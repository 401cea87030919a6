//! The driver's locks, condition variables, shared pointers, threads and
//! clock, from one place: the only module through which loom's types reach
//! the monitor (as tokio's `loom` module does).
//!
//! - A normal build re-exports std's types and wraps nothing: the driver's
//!   code is the code it would be without the facade.
//! - Under the `loom` feature each type is std's or loom's, chosen when it
//!   is made: loom's inside a model run by `model::check` (on the thread
//!   that runs it, where loom runs every thread of the model), std's
//!   anywhere else. A workspace-wide `--features loom` build thus links this
//!   crate with the feature on into every crate that uses a monitor, and
//!   their tests, and the doctests, still run on std's types.
//!
//! # The model's time
//!
//! loom has no time, and its `Condvar::wait_timeout` never times out. In a
//! model the clock is the model's: it stands still until the model moves it
//! (`set_clock`, which `Monitor::loom_set_clock` calls under the
//! monitor's lock). A timed wait ([`Condvar::wait_timeout`]) is an untimed
//! wait that records its deadline; moving the clock past a recorded
//! deadline wakes that condition variable (`Condvar::clock_moved`, called
//! under the lock the waiters hold when they compute their deadline), as
//! the timeout of a real timed wait would. An untimed wait is never woken
//! by the clock: a wake-up the driver forgets is a loom deadlock.

#[cfg(not(feature = "loom"))]
pub(crate) use std::sync::atomic::AtomicU64;
#[cfg(not(feature = "loom"))]
pub(crate) use std::sync::{Arc, Condvar, Mutex, MutexGuard};
#[cfg(not(feature = "loom"))]
pub(crate) use std::thread::JoinHandle;
#[cfg(not(feature = "loom"))]
pub(crate) use std::time::Instant;

#[cfg(feature = "loom")]
pub(crate) use dual::{Arc, AtomicU64, Instant, JoinHandle};
#[cfg(feature = "loom")]
pub(crate) use lock::{Condvar, Mutex, MutexGuard};

use std::io;
use std::time::Duration;

/// A cheap reading of the monotonic clock and its resolution: the true time
/// is within `[reading, reading + resolution]`. On Linux
/// `CLOCK_MONOTONIC_COARSE` (some 5 ns, against 25–50 ns for `Instant::now`
/// on a VM), through the POSIX backend; elsewhere an exact reading. Only
/// differences of two readings mean anything. In a model: the model's clock.
#[inline]
pub(crate) fn coarse() -> (Duration, Duration) {
    #[cfg(feature = "loom")]
    if dual::in_model() {
        return (dual::clock(), Duration::ZERO);
    }
    os_coarse()
}

#[cfg(target_os = "linux")]
#[inline]
fn os_coarse() -> (Duration, Duration) {
    clusworker_posix::clock::coarse()
}

#[cfg(not(target_os = "linux"))]
fn os_coarse() -> (Duration, Duration) {
    static ORIGIN: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let origin = ORIGIN.get_or_init(std::time::Instant::now);
    (origin.elapsed(), Duration::ZERO)
}

/// Starts a named thread.
#[cfg(not(feature = "loom"))]
pub(crate) fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> io::Result<JoinHandle<()>> {
    std::thread::Builder::new().name(name.to_string()).spawn(f)
}

/// Starts a named thread that nobody joins.
#[cfg(not(feature = "loom"))]
pub(crate) fn spawn_detached(name: &str, f: impl FnOnce() + Send + 'static) -> io::Result<()> {
    spawn(name, f).map(drop)
}

/// Starts a named thread: a loom thread in a model.
#[cfg(feature = "loom")]
pub(crate) fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> io::Result<JoinHandle<()>> {
    if dual::in_model() {
        let b = loom::thread::Builder::new().name(name.to_string());
        b.spawn(f).map(JoinHandle::Loom)
    } else {
        let b = std::thread::Builder::new().name(name.to_string());
        b.spawn(f).map(JoinHandle::Std)
    }
}

/// Starts a named thread that nobody joins; in a model, it is joined by
/// [`model::join_call_threads`].
#[cfg(feature = "loom")]
pub(crate) fn spawn_detached(name: &str, f: impl FnOnce() + Send + 'static) -> io::Result<()> {
    match spawn(name, f)? {
        JoinHandle::Loom(h) => dual::DETACHED.with(|d| d.borrow_mut().push(h)),
        JoinHandle::Std(_) => {}
    }
    Ok(())
}

/// Moves the model's clock to `at` (time since the execution began). Call
/// it under the lock of every condition variable whose timed waiters it
/// may wake, then call their [`Condvar::clock_moved`].
#[cfg(feature = "loom")]
pub(crate) fn set_clock(at: std::time::Duration) {
    assert!(dual::in_model(), "the model's clock moves only in a model");
    dual::CLOCK.with(|c| {
        assert!(at >= c.get(), "the model's clock goes forward only");
        c.set(at);
    });
}

#[cfg(feature = "loom")]
mod dual;
#[cfg(feature = "loom")]
mod lock;
#[cfg(feature = "loom")]
pub mod model;
