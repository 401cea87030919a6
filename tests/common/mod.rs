//! Helpers of `clusworker`'s integration tests: the shared ones (from
//! `os-posix/tests/common`), plus bounded calls on a `Worker`, a gate a
//! routine blocks on while ignoring terminate, and quiet panics.
//!
//! Each test binary uses a subset of these, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

#[path = "../../os-posix/tests/common/mod.rs"]
mod base;
pub(crate) use base::*;

/// Runs `f` on a helper thread and returns its value; fails the test if it
/// has not returned within [`LONG`]. Turns a hang into a failed assert (the
/// stuck helper thread is leaked). A panic in `f` is re-raised here.
#[track_caller]
pub(crate) fn bounded<T, F>(what: &str, f: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(catch_unwind(AssertUnwindSafe(f)));
    });
    match rx.recv_timeout(LONG) {
        Ok(Ok(v)) => v,
        Ok(Err(payload)) => resume_unwind(payload),
        Err(_) => panic!("{what}: did not return within {LONG:?}, expected it to return"),
    }
}

/// Runs `f` on a scoped helper thread and returns its value; fails the test
/// if it has not returned within [`LONG`]. For borrowed data; `f` must give
/// up by itself eventually (a wait with [`GIVE_UP`]), or a failure becomes a
/// hang at the end of the scope.
#[track_caller]
pub(crate) fn within<T: Send>(what: &str, f: impl FnOnce() -> T + Send) -> T {
    let r = thread::scope(|s| {
        let (tx, rx) = mpsc::channel();
        s.spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(LONG)
    });
    // Outside the scope's closure, so that the panic names the caller.
    match r {
        Ok(v) => v,
        Err(RecvTimeoutError::Disconnected) => panic!("{what}: panicked"),
        Err(RecvTimeoutError::Timeout) => {
            panic!("{what}: did not return within {LONG:?}, expected it to return")
        }
    }
}

/// Waits for `worker` to exit, and fails the test unless it does, and is
/// noticed, within [`LONG`].
#[track_caller]
pub(crate) fn wait_exit<T: Send>(worker: &clusworker::Worker<T>) {
    let r = within("Worker::wait_timeout", || worker.wait_timeout(GIVE_UP));
    assert_eq!(r, Ok(()), "expected the worker to exit");
}

/// Terminates `worker` and waits for its exit, failing the test unless it
/// exits, and is noticed, within [`LONG`].
#[track_caller]
pub(crate) fn terminate_exit<T: Send>(worker: &clusworker::Worker<T>) {
    let r = within("Worker::terminate_timeout", || {
        worker.terminate_timeout(GIVE_UP)
    });
    assert_eq!(r, Ok(()), "expected the worker to exit on terminate");
}

/// Receives from `rx`, failing the test (instead of hanging) after [`LONG`].
#[track_caller]
pub(crate) fn recv<T>(what: &str, rx: &Receiver<T>) -> T {
    match rx.recv_timeout(LONG) {
        Ok(v) => v,
        Err(e) => panic!("{what}: expected a message, got {e:?}"),
    }
}

/// The test's side of a gate: the routine blocked in [`Pass::wait`] goes on
/// when this is opened, or dropped.
#[must_use = "dropping the gate opens it"]
pub(crate) struct Gate {
    _open: Sender<()>,
}

/// The routine's side of a gate.
pub(crate) struct Pass {
    rx: Receiver<()>,
}

/// A gate a routine blocks on, deaf to terminate, until the test opens it.
pub(crate) fn gate() -> (Gate, Pass) {
    let (tx, rx) = mpsc::channel();
    (Gate { _open: tx }, Pass { rx })
}

impl Gate {
    /// Lets the routine go on.
    pub(crate) fn open(self) {}
}

impl Pass {
    /// Blocks until the gate is opened (or dropped). Gives up after
    /// [`LONG`], so that a failing test cannot leave a worker blocked
    /// forever; returns whether the gate was really opened.
    pub(crate) fn wait(self) -> bool {
        matches!(
            self.rx.recv_timeout(LONG),
            Err(RecvTimeoutError::Disconnected) | Ok(())
        )
    }
}

/// A panic payload; raised with `resume_unwind`, which skips the panic
/// hook, so the test output stays quiet.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Boom(pub(crate) u32);

/// Panics with `Boom(n)` without printing a panic message.
pub(crate) fn quiet_panic(n: u32) -> ! {
    resume_unwind(Box::new(Boom(n)))
}

/// Joins `worker`, failing the test instead of hanging.
#[track_caller]
pub(crate) fn join<T: Send + 'static>(worker: clusworker::Worker<T>) -> thread::Result<T> {
    bounded("Worker::join", move || worker.join())
}

/// Takes the worker out of its `Arc` once every other clone is gone (clones
/// held by helper threads go when those threads end).
#[track_caller]
pub(crate) fn unwrap_arc<T>(mut worker: Arc<clusworker::Worker<T>>) -> clusworker::Worker<T> {
    let start = Instant::now();
    loop {
        match Arc::try_unwrap(worker) {
            Ok(w) => return w,
            Err(w) => worker = w,
        }
        assert!(
            start.elapsed() < LONG,
            "the other clones of the Arc<Worker> were not dropped within {LONG:?}"
        );
        thread::sleep(Duration::from_micros(200));
    }
}
