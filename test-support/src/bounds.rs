//! Bounds that turn a hang into a failed assert.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

/// How long anything that should return "at once" or "soon" may take before
/// the test calls it a hang. Only ever reached when the code under test is
/// broken; never asserted as a duration.
pub const LONG: Duration = Duration::from_secs(60);

/// The timeout the tests give the API's own waits (`wait_timeout`,
/// `terminate_timeout`, `terminate_all`): longer than [`LONG`], so that a
/// wait which only returns at its own timeout (a lost wake-up: it then
/// re-checks and finds the exit) is caught by a [`LONG`] bound first,
/// instead of passing slowly.
///
/// # Examples
///
/// ```
/// use clusworker_test_support::{GIVE_UP, LONG};
/// assert!(GIVE_UP > LONG);
/// ```
pub const GIVE_UP: Duration = Duration::from_secs(120);

/// Runs `f` on a helper thread and returns its value; fails the test if it
/// has not returned within [`LONG`]. Turns a hang into a failed assert (the
/// stuck helper thread is leaked). A panic in `f` is re-raised here.
///
/// # Examples
///
/// ```
/// use clusworker_test_support::bounded;
/// let handle = std::thread::spawn(|| 42);
/// assert_eq!(bounded("join", move || handle.join().unwrap()), 42);
/// ```
#[track_caller]
pub fn bounded<T, F>(what: &str, f: F) -> T
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
///
/// # Examples
///
/// ```
/// use std::sync::Mutex;
/// use clusworker_test_support::within;
/// let shared = Mutex::new(41);
/// let v = within("a borrowed lock", || {
///     let mut g = shared.lock().unwrap();
///     *g += 1;
///     *g
/// });
/// assert_eq!(v, 42);
/// ```
#[track_caller]
pub fn within<T: Send>(what: &str, f: impl FnOnce() -> T + Send) -> T {
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

/// Receives from `rx`, failing the test (instead of hanging) after [`LONG`].
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
/// use clusworker_test_support::recv;
/// let (tx, rx) = mpsc::channel();
/// std::thread::spawn(move || tx.send("done"));
/// assert_eq!(recv("the helper's message", &rx), "done");
/// ```
#[track_caller]
pub fn recv<T>(what: &str, rx: &Receiver<T>) -> T {
    match rx.recv_timeout(LONG) {
        Ok(v) => v,
        Err(e) => panic!("{what}: expected a message, got {e:?}"),
    }
}

/// Polls `cond` (yielding, then sleeping briefly) until it holds; fails the
/// test if it does not within [`LONG`].
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
/// use clusworker_test_support::eventually;
/// let flag = Arc::new(AtomicBool::new(false));
/// let setter = Arc::clone(&flag);
/// std::thread::spawn(move || setter.store(true, SeqCst));
/// eventually("the helper to set the flag", || flag.load(SeqCst));
/// ```
#[track_caller]
pub fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    let mut rounds = 0u32;
    while !cond() {
        assert!(
            start.elapsed() < LONG,
            "{what}: still not true after {LONG:?}"
        );
        if rounds < 100 {
            thread::yield_now();
        } else {
            thread::sleep(Duration::from_micros(200));
        }
        rounds += 1;
    }
}
