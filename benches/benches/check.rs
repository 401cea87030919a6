//! `check`: the cost of asking "has terminate been requested?".
//!
//! clusworker's `Context::check_terminate` against a plain
//! `AtomicBool::load(Acquire)` (the target), a `Relaxed` load, and
//! tokio-util's `CancellationToken::is_cancelled`. Each row runs its loop on
//! a freshly started thread (clusworker's on its worker, where a `Context`
//! lives), so all rows are measured the same way; the spawn is not timed.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::{Acquire, Relaxed};
use std::thread;
use std::time::{Duration, Instant};

use clusworker::Worker;
use clusworker_core::WorkerWord;
use clusworker_posix::Futex;
use criterion::Criterion;
use tokio_util::sync::CancellationToken;

/// The loop every row runs: what a routine does when it polls, `iters`
/// checks each followed by a branch on the answer. The answer is summed and
/// handed to `black_box` once, at the end: nothing but the check and its
/// branch is in the loop (an atomic load is never hoisted out of it, and
/// the pointer is not laundered through the stack on every turn).
#[inline(always)]
fn poll(iters: u64, check: impl Fn() -> bool) -> Duration {
    let t0 = Instant::now();
    let mut seen = 0u64;
    for _ in 0..iters {
        if check() {
            seen += 1;
        }
    }
    let d = t0.elapsed();
    black_box(seen);
    d
}

/// Runs [`poll`] on a new std thread (as clusworker's row runs on its
/// worker); the spawn is not timed.
fn on_thread<F: Fn() -> bool + Send + 'static>(iters: u64, f: F) -> Duration {
    thread::spawn(move || poll(iters, f))
        .join()
        .expect("the loop does not panic")
}

fn check(c: &mut Criterion) {
    let mut g = c.benchmark_group("check");
    g.bench_function("clusworker_check_terminate", |b| {
        b.iter_custom(|iters| {
            let worker = Worker::spawn(move |ctx| poll(iters, || ctx.check_terminate()))
                .expect("spawn a worker");
            worker.join().expect("the loop does not panic")
        });
    });
    g.bench_function("core_word_check_terminate", |b| {
        b.iter_custom(|iters| {
            let word: Arc<WorkerWord<Futex>> = Arc::new(WorkerWord::new());
            on_thread(iters, move || word.check_terminate())
        });
    });
    g.bench_function("atomic_bool_acquire", |b| {
        b.iter_custom(|iters| {
            let flag = Arc::new(AtomicBool::new(false));
            on_thread(iters, move || flag.load(Acquire))
        });
    });
    g.bench_function("atomic_bool_relaxed", |b| {
        b.iter_custom(|iters| {
            let flag = Arc::new(AtomicBool::new(false));
            on_thread(iters, move || flag.load(Relaxed))
        });
    });
    g.bench_function("tokio_util_is_cancelled", |b| {
        b.iter_custom(|iters| {
            let token = CancellationToken::new();
            on_thread(iters, move || token.is_cancelled())
        });
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(30)
        .nresamples(20_000)
}

fn main() {
    let mut c = config().configure_from_args();
    check(&mut c);
    c.final_summary();
}
