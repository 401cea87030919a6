//! Helpers shared by the integration tests of `clusworker`,
//! `clusworker-posix` and `clusworker-windows` (the other two include this
//! file by path): bounds that turn a hang into a failed assert, a watchdog,
//! a value that counts its drops, a start line, a small generator.
//!
//! Each test binary uses a subset of these, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::hint::spin_loop;
use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, Once};
use std::thread;
use std::time::{Duration, Instant};

/// How long anything that should return "at once" or "soon" may take before
/// the test calls it a hang. Only ever reached when the code under test is
/// broken; never asserted as a duration.
pub(crate) const LONG: Duration = Duration::from_secs(60);

/// The timeout the tests give the API's own waits (`wait_timeout`,
/// `terminate_timeout`, `terminate_all`): longer than [`LONG`], so that a
/// wait which only returns at its own timeout (a lost wake-up: it then
/// re-checks and finds the exit) is caught by a [`LONG`] bound first,
/// instead of passing slowly.
pub(crate) const GIVE_UP: Duration = Duration::from_secs(120);

/// Aborts the whole test process if it is still alive after this long: the
/// backstop for a hang in a place no other bound covers (a `Drop`).
const WATCHDOG: Duration = Duration::from_secs(200);

/// Arms a watchdog for one test; disarmed when dropped. Declare it first in
/// the test, so it is dropped last and also covers the drops of the workers.
#[must_use = "the watchdog is disarmed when dropped"]
pub(crate) struct Watchdog {
    _disarm: Sender<()>,
}

pub(crate) fn watchdog(test: &'static str) -> Watchdog {
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
    static PANIC_EXPECTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The calling thread's next panics are meant: the hook installed by
/// [`watchdog`] neither prints nor records them.
pub(crate) fn expect_panics_on_this_thread() {
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

/// Polls `cond` (yielding, then sleeping briefly) until it holds; fails the
/// test if it does not within [`LONG`].
#[track_caller]
pub(crate) fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
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

/// Counts how many [`Counted`] values that share it have been dropped.
#[derive(Debug, Clone, Default)]
pub(crate) struct Drops(Arc<AtomicUsize>);

impl Drops {
    pub(crate) fn new() -> Drops {
        Drops::default()
    }

    /// A new value that bumps this counter when dropped.
    pub(crate) fn value(&self, id: usize) -> Counted {
        Counted {
            id,
            drops: self.0.clone(),
        }
    }

    pub(crate) fn count(&self) -> usize {
        self.0.load(SeqCst)
    }
}

/// A value whose drop is counted.
#[derive(Debug)]
pub(crate) struct Counted {
    pub(crate) id: usize,
    drops: Arc<AtomicUsize>,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
    }
}

/// A small deterministic generator (xorshift64*), for reproducible mixes.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..n`.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A start line for racing threads: each one spins (it does not park) until
/// all have arrived, so that they leave together and really race. A
/// `Barrier` wakes its waiters one after another, microseconds apart, which
/// hides narrow races.
#[derive(Debug)]
pub(crate) struct StartLine {
    arrived: AtomicUsize,
    runners: usize,
}

impl StartLine {
    pub(crate) fn new(runners: usize) -> StartLine {
        StartLine {
            arrived: AtomicUsize::new(0),
            runners,
        }
    }

    /// Arrives, and returns once every runner has.
    #[track_caller]
    pub(crate) fn wait(&self) {
        self.arrived.fetch_add(1, SeqCst);
        let start = Instant::now();
        let mut spins = 0u32;
        while self.arrived.load(SeqCst) < self.runners {
            spin_loop();
            spins = spins.wrapping_add(1);
            if spins % 1024 == 0 {
                // Let the runners that are not on a CPU arrive.
                thread::yield_now();
                assert!(start.elapsed() < LONG, "the other runners never arrived");
            }
        }
    }
}
