//! `deadline`: a deadline's lateness (issue 16, items 4 and 7): from the
//! instant a worker's deadline passes to the moment its routine, asleep in
//! `Context::sleep(Duration::MAX)`, sees terminate. Each iteration spawns a
//! fresh worker whose deadline is `AHEAD` from then (the spawn is not
//! timed), and times only deadline -> routine awake.
//!
//! Floors, in the same run, made of what the process's timer does:
//!
//! - one timed sleep of a fresh thread to the same instant
//!   (`std::thread::sleep`): the OS timer's own lateness;
//! - a timed `Condvar` wait to the instant (the timer thread's wait), then
//!   a wake-up of a second thread parked with `thread::park` (the request's
//!   futex wake of the sleeping routine): the two hops the timer makes.
//!
//! And the naive alternative without a timer: a routine that sleeps in
//! 1 ms steps and compares the clock with its deadline.

use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use clusworker::Builder;
use criterion::Criterion;

/// How far ahead of the spawn each deadline is: the routine is asleep by
/// then.
const AHEAD: Duration = Duration::from_millis(2);

/// Sums `iters` lateness samples of `one` (given the deadline, it returns
/// when the deadline was seen).
fn total(iters: u64, mut one: impl FnMut(Instant) -> Instant) -> Duration {
    let mut sum = Duration::ZERO;
    for _ in 0..iters {
        let at = Instant::now() + AHEAD;
        let seen = one(at);
        sum += seen.saturating_duration_since(at);
    }
    sum
}

fn lateness(c: &mut Criterion) {
    let mut g = c.benchmark_group("deadline/lateness");
    g.sample_size(20);
    g.bench_function("clusworker Builder::deadline -> sleeping routine", |b| {
        b.iter_custom(|iters| {
            total(iters, |at| {
                let w = Builder::new()
                    .deadline(at)
                    .spawn(|ctx| {
                        let _ = ctx.sleep(Duration::MAX);
                        Instant::now()
                    })
                    .expect("spawn");
                w.join().expect("no panic")
            })
        })
    });
    g.bench_function("floor: std::thread::sleep to the instant", |b| {
        b.iter_custom(|iters| {
            total(iters, |at| {
                thread::spawn(move || {
                    thread::sleep(at.saturating_duration_since(Instant::now()));
                    Instant::now()
                })
                .join()
                .expect("no panic")
            })
        })
    });
    g.bench_function(
        "floor: timed Condvar wait, then unpark a parked thread",
        |b| {
            let timer = Arc::new((Mutex::new(()), Condvar::new()));
            b.iter_custom(|iters| {
                total(iters, |at| {
                    let (tx, rx) = std::sync::mpsc::channel();
                    let sleeper = thread::spawn(move || {
                        tx.send(()).expect("send");
                        thread::park();
                        Instant::now()
                    });
                    rx.recv().expect("the sleeper started");
                    let (lock, cv) = &*timer;
                    let mut guard = lock.lock().expect("lock");
                    while Instant::now() < at {
                        let left = at.saturating_duration_since(Instant::now());
                        guard = cv.wait_timeout(guard, left).expect("wait").0;
                    }
                    drop(guard);
                    sleeper.thread().unpark();
                    sleeper.join().expect("no panic")
                })
            })
        },
    );
    g.bench_function("a routine polling its deadline every 1 ms", |b| {
        b.iter_custom(|iters| {
            total(iters, |at| {
                let w = clusworker::Worker::spawn(move |ctx| {
                    while Instant::now() < at {
                        if ctx.sleep(Duration::from_millis(1)).is_err() {
                            break;
                        }
                    }
                    Instant::now()
                })
                .expect("spawn");
                w.join().expect("no panic")
            })
        })
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    lateness(&mut c);
    c.final_summary();
}
