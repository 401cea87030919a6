//! Helpers shared by the integration tests: bounds that turn a hang into a
//! failed assert, a gate a routine blocks on while ignoring terminate, and a
//! value that counts its drops.
//!
//! Each test binary uses a subset of these, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::hint::spin_loop;
use std::io::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
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

/// A panic payload; raised with `resume_unwind`, which skips the panic
/// hook, so the test output stays quiet.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Boom(pub(crate) u32);

/// Panics with `Boom(n)` without printing a panic message.
pub(crate) fn quiet_panic(n: u32) -> ! {
    resume_unwind(Box::new(Boom(n)))
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
