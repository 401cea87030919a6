//! Latency probes: one iteration each, returning the time from the
//! terminate request until the requester knows the thread is done.
//!
//! Every probe starts its own thread, waits until that thread is asleep in
//! the kernel ([`Tid::wait_blocked`]), and only then starts the clock: what
//! is measured is the wake-up of a *parked* thread plus the wait for its
//! exit, never the spawn.

use std::cell::Cell;
use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::Ordering::{Acquire, Release};
use std::sync::atomic::{AtomicBool, AtomicU32};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use clusworker::{Terminate, Worker};

use crate::blocked::Tid;
use crate::raw::{RawThread, futex_wait, futex_wake_all};
use crate::stats::Summary;

/// What a clusworker probe stops the clock on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// `Worker::terminate` returned: the routine has exited (its result is
    /// published), the OS thread may still be finishing.
    Terminate,
    /// `terminate` and then `join` (`pthread_join`) returned: as the peers,
    /// which can only learn of the exit by joining.
    Join,
}

/// clusworker: terminate a worker blocked in `Context::sleep(Duration::MAX)`.
pub fn clusworker(until: Until) -> Duration {
    let (terminated, joined) = clusworker_both();
    match until {
        Until::Terminate => terminated,
        Until::Join => joined,
    }
}

/// [`clusworker()`] measured both ways in one run: (until `terminate`
/// returned, until `join` returned too).
pub fn clusworker_both() -> (Duration, Duration) {
    let tid = Arc::new(Tid::new());
    let on_worker = Arc::clone(&tid);
    let worker = Worker::spawn(move |ctx| {
        on_worker.publish();
        // Before the sleep, so before the clock starts: the floor's thread
        // drops nothing on its way out, and an `Arc` dropped at the
        // routine's end would time a cache-line transfer of the count.
        drop(on_worker);
        while ctx.sleep(Duration::MAX).is_ok() {}
    })
    .expect("spawn a worker");
    tid.wait_blocked();
    let t0 = Instant::now();
    let first = worker.terminate();
    let terminated = t0.elapsed();
    worker.join().expect("the routine does not panic");
    let joined = t0.elapsed();
    assert_eq!(first, Terminate::First);
    (terminated, joined)
}

struct FutexSleeper {
    word: AtomicU32,
    tid: Tid,
}

extern "C" fn futex_sleeper(arg: *mut c_void) -> *mut c_void {
    // SAFETY: `arg` is the `FutexSleeper` of `futex_floor`, alive until the
    // thread is joined there.
    let s = unsafe { &*arg.cast::<FutexSleeper>() };
    s.tid.publish();
    while s.word.load(Acquire) == 0 {
        futex_wait(&s.word, 0);
    }
    ptr::null_mut()
}

/// The floor: a raw `pthread_create` thread blocked in `FUTEX_WAIT` on a
/// word; the requester stores 1, calls `FUTEX_WAKE` (unconditionally: the
/// naive way) and `pthread_join`s.
pub fn futex_floor() -> Duration {
    let s = FutexSleeper {
        word: AtomicU32::new(0),
        tid: Tid::new(),
    };
    let arg = ptr::from_ref(&s).cast_mut().cast::<c_void>();
    // SAFETY: `s` outlives the thread: it is joined below, before `s` drops.
    let th = unsafe { RawThread::spawn(futex_sleeper, arg) };
    s.tid.wait_blocked();
    let t0 = Instant::now();
    s.word.store(1, Release);
    futex_wake_all(&s.word);
    th.join();
    t0.elapsed()
}

/// `std::thread` parked in `thread::park`; the requester sets an
/// `AtomicBool`, `unpark`s and joins.
pub fn park_unpark() -> Duration {
    let flag = Arc::new(AtomicBool::new(false));
    let tid = Arc::new(Tid::new());
    let (f, t) = (Arc::clone(&flag), Arc::clone(&tid));
    let h = thread::spawn(move || {
        t.publish();
        while !f.load(Acquire) {
            thread::park();
        }
    });
    tid.wait_blocked();
    let t0 = Instant::now();
    flag.store(true, Release);
    h.thread().unpark();
    h.join().expect("the thread does not panic");
    t0.elapsed()
}

/// `std::thread` in `Condvar::wait_timeout` (10 s) under a `Mutex<bool>`;
/// the requester sets the bool under the lock, `notify_one`s and joins.
pub fn condvar() -> Duration {
    let pair = Arc::new((Mutex::new(false), Condvar::new()));
    let tid = Arc::new(Tid::new());
    let (p, t) = (Arc::clone(&pair), Arc::clone(&tid));
    let h = thread::spawn(move || {
        let (m, cv) = &*p;
        let mut stop = m.lock().expect("not poisoned");
        t.publish();
        while !*stop {
            stop = cv
                .wait_timeout(stop, Duration::from_secs(10))
                .expect("not poisoned")
                .0;
        }
    });
    tid.wait_blocked();
    let t0 = Instant::now();
    {
        let (m, cv) = &*pair;
        *m.lock().expect("not poisoned") = true;
        cv.notify_one();
    }
    h.join().expect("the thread does not panic");
    t0.elapsed()
}

/// What a user writes without a wake-up: `while !flag { sleep(10 ms) }`.
/// The request comes at a random phase of the 10 ms period (a random,
/// untimed delay after the thread first went to sleep), as it would in life.
pub fn poll_loop() -> Duration {
    let flag = Arc::new(AtomicBool::new(false));
    let tid = Arc::new(Tid::new());
    let (f, t) = (Arc::clone(&flag), Arc::clone(&tid));
    let h = thread::spawn(move || {
        t.publish();
        while !f.load(Acquire) {
            thread::sleep(Duration::from_millis(10));
        }
    });
    tid.wait_blocked();
    thread::sleep(Duration::from_micros(random_below(10_000)));
    let t0 = Instant::now();
    flag.store(true, Release);
    h.join().expect("the thread does not panic");
    t0.elapsed()
}

/// A cheap xorshift, seeded per thread from the clock: only needs to spread
/// the poll loop's phase.
fn random_below(n: u64) -> u64 {
    thread_local! {
        static STATE: Cell<u64> = Cell::new(
            Instant::now().elapsed().as_nanos() as u64 ^ 0x9E37_79B9_7F4A_7C15,
        );
    }
    STATE.with(|s| {
        let mut x = s.get() | 1;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        x % n
    })
}

/// One iteration of a latency row: the measured time.
pub type Probe = fn() -> Duration;

/// The latency rows, in the order of the tables: (name, probe).
pub const ROWS: &[(&str, Probe)] = &[
    ("clusworker_terminate", || clusworker(Until::Terminate)),
    ("clusworker_terminate_join", || clusworker(Until::Join)),
    ("futex_wake_join_floor", futex_floor),
    ("std_park_unpark", park_unpark),
    ("mutex_condvar", condvar),
    ("poll_10ms", poll_loop),
];

/// The custom sampler: `n` rounds (`n_poll` for the poll loop, which takes
/// milliseconds), each running every selected row once, in a rotating
/// order, so that a change in machine load hits every row alike. The two
/// clusworker rows come from the same runs (one probe, two clocks).
pub fn sample_interleaved(
    n: usize,
    n_poll: usize,
    selected: impl Fn(&str) -> bool,
) -> Vec<Summary> {
    let rows: Vec<&str> = ROWS
        .iter()
        .map(|&(name, _)| name)
        .filter(|name| selected(name))
        .collect();
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); rows.len()];
    // Probes to run each round: the clusworker rows share one.
    let mut probes: Vec<usize> = (0..rows.len()).collect();
    let cw_join = rows.iter().position(|&r| r == "clusworker_terminate_join");
    let cw_term = rows.iter().position(|&r| r == "clusworker_terminate");
    if let (Some(_), Some(j)) = (cw_term, cw_join) {
        probes.retain(|&p| p != j);
    }
    let warm_up = n / 10 + 1;
    for round in 0..warm_up + n {
        let k = probes.len();
        for step in 0..k {
            let p = probes[(round + step) % k];
            let name = rows[p];
            if name == "poll_10ms" && round >= warm_up + n_poll {
                continue;
            }
            let record = round >= warm_up;
            if name == "clusworker_terminate" || name == "clusworker_terminate_join" {
                let (t, j) = clusworker_both();
                if record {
                    if let Some(i) = cw_term {
                        samples[i].push(t);
                    }
                    if let Some(i) = cw_join {
                        samples[i].push(j);
                    }
                }
            } else {
                let d = (ROWS[ROWS.iter().position(|&(r, _)| r == name).unwrap_or(0)].1)();
                if record {
                    samples[p].push(d);
                }
            }
        }
    }
    rows.iter()
        .zip(samples)
        .map(|(name, s)| Summary::of(name, s))
        .collect()
}
