//! [`watchdog`]: the backstop for a hang no other bound covers.

use std::cell::Cell;
use std::io::Write as _;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Mutex, Once};
use std::thread;
use std::time::Duration;

/// Aborts the whole test process if it is still alive after this long: the
/// backstop for a hang in a place no other bound covers (a `Drop`).
const WATCHDOG: Duration = Duration::from_secs(200);

/// An armed watchdog (see [`watchdog`]); disarmed when dropped.
#[derive(Debug)]
#[must_use = "the watchdog is disarmed when dropped"]
pub struct Watchdog {
    _disarm: Sender<()>,
}

/// Arms a watchdog for one test: if the test is still running after 200 s,
/// the process prints the test's name and the panics so far, and aborts.
/// Declare it first in the test, so it is dropped last and also covers the
/// drops of the workers.
///
/// # Examples
///
/// ```
/// use clusworker_test_support::watchdog;
/// let _w = watchdog("my_test");
/// // ... the test ...
/// ```
pub fn watchdog(test: &'static str) -> Watchdog {
    record_panics();
    let (tx, rx) = mpsc::channel::<()>();
    thread::spawn(move || {
        if let Err(RecvTimeoutError::Timeout) = rx.recv_timeout(WATCHDOG) {
            // Straight to stderr: `eprintln!` would go to the test's
            // captured output, which an abort never prints; so would the
            // message of a failed assert that led to the hang, hence the
            // replay.
            let mut err = std::io::stderr().lock();
            let _ = writeln!(
                err,
                "watchdog: test `{test}` still running after {WATCHDOG:?}: it hangs; aborting"
            );
            let panics = PANICS.lock().unwrap_or_else(|e| e.into_inner());
            if !panics.is_empty() {
                let _ = writeln!(
                    err,
                    "watchdog: the panics so far (after a failed assert, a worker \
                     that cannot exit makes its drop wait):"
                );
                for p in panics.iter() {
                    let _ = writeln!(err, "  {p}");
                }
            }
            std::process::abort();
        }
    });
    Watchdog { _disarm: tx }
}

/// Every panic message of this test process, for the watchdog to replay.
static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

thread_local! {
    static PANIC_EXPECTED: Cell<bool> = const { Cell::new(false) };
}

/// The calling thread's next panics are meant: the hook installed by
/// [`watchdog`] neither prints nor records them.
///
/// # Examples
///
/// ```
/// use clusworker_test_support::{expect_panics_on_this_thread, watchdog};
/// let _w = watchdog("a_meant_panic");
/// let r = std::thread::spawn(|| {
///     expect_panics_on_this_thread();
///     panic!("meant, and not printed");
/// })
/// .join();
/// assert!(r.is_err());
/// ```
pub fn expect_panics_on_this_thread() {
    PANIC_EXPECTED.set(true);
}

/// Chains a hook that remembers panic messages before the usual report.
fn record_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if PANIC_EXPECTED.get() {
                return;
            }
            let thread = thread::current();
            let entry = format!("thread '{}': {info}", thread.name().unwrap_or("<unnamed>"));
            PANICS.lock().unwrap_or_else(|e| e.into_inner()).push(entry);
            previous(info);
        }));
    });
}
