//! Helpers of `clusworker`'s integration tests: the workspace's shared ones
//! (the `clusworker-test-support` crate), plus bounded calls on a `Worker`.
//!
//! Each test binary uses a subset of these, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

pub(crate) use clusworker_test_support::*;

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

/// A worker whose routine sleeps until terminate is requested.
pub(crate) fn sleeping_worker() -> clusworker::Worker<()> {
    clusworker::Worker::spawn(|ctx| while ctx.sleep(Duration::MAX).is_ok() {}).expect("spawn")
}

/// A count of calls, and a callback that adds one to it.
pub(crate) fn counting_callback() -> (
    Arc<std::sync::atomic::AtomicU32>,
    impl FnOnce() + Send + 'static,
) {
    let n = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let m = n.clone();
    (n, move || {
        m.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    })
}

/// A routine that sleeps until terminated and returns the reason.
pub(crate) fn until_terminated(ctx: &clusworker::Context) -> Option<clusworker::Reason> {
    while ctx.sleep(GIVE_UP).is_ok() {}
    ctx.reason()
}

/// Waits until the process's deadline timer has fired every deadline up to
/// `at`: a probe worker with that deadline was terminated by it (the timer
/// fires in deadline order). No clock is read.
pub(crate) fn timer_passes(at: Instant) {
    let probe = clusworker::Builder::new()
        .deadline(at)
        .spawn(|ctx| ctx.sleep(Duration::MAX))
        .expect("spawn the probe");
    assert_eq!(
        probe.join().unwrap(),
        Err(clusworker::Terminated(clusworker::Reason::DeadlinePassed)),
        "the probe ends by its deadline"
    );
}
