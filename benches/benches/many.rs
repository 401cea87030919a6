//! `many`: terminating N ∈ {1, 8, 64} sleeping workers at once.
//!
//! Every iteration starts N threads and waits until all are asleep in the
//! kernel (untimed); then the clock runs from the first request until the
//! requester knows all are done:
//!
//! - `terminate_all/N`: `clusworker::terminate_all` (signal all, then wait
//!   for all under one deadline) returned; joins untimed;
//! - `sequential_terminate/N`: N `Worker::terminate` calls in a row (each
//!   signals one worker and waits for it) returned; joins untimed;
//! - `terminate_all_join/N`: `terminate_all` and then N `join`s returned;
//! - `std_flags_join/N`: N `std::thread`s parked on one shared `AtomicBool`:
//!   set the flag, `unpark` each, `join` each (what a user writes without
//!   clusworker; the thread's exit is only known by joining).
//!
//! The target: `terminate_all/64` ≤ 4 × `sequential_terminate/1` (one
//! terminate).

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::{Acquire, Release};
use std::thread;
use std::time::{Duration, Instant};

use clusworker::{Terminate, Worker, terminate_all};
use clusworker_benches::blocked::{Tid, wait_all_blocked};
use criterion::{BenchmarkId, Criterion, SamplingMode};

/// N workers asleep in `Context::sleep(Duration::MAX)`.
fn sleeping_workers(n: usize) -> Vec<Worker<()>> {
    let tids: Arc<Vec<Tid>> = Arc::new((0..n).map(|_| Tid::new()).collect());
    let workers = (0..n)
        .map(|i| {
            let tids = Arc::clone(&tids);
            Worker::spawn(move |ctx| {
                tids[i].publish();
                while ctx.sleep(Duration::MAX).is_ok() {}
            })
            .expect("spawn a worker")
        })
        .collect();
    wait_all_blocked(&tids);
    workers
}

fn join_all(workers: Vec<Worker<()>>) {
    for w in workers {
        w.join().expect("the routine does not panic");
    }
}

fn via_terminate_all(n: usize, with_joins: bool) -> Duration {
    let workers = sleeping_workers(n);
    let refs: Vec<&Worker<()>> = workers.iter().collect();
    let t0 = Instant::now();
    terminate_all(&refs, Duration::from_secs(60)).expect("every worker exits");
    let signalled = t0.elapsed();
    drop(refs);
    join_all(workers);
    if with_joins { t0.elapsed() } else { signalled }
}

fn sequential(n: usize) -> Duration {
    let workers = sleeping_workers(n);
    let t0 = Instant::now();
    for w in &workers {
        assert_eq!(w.terminate(), Terminate::First);
    }
    let d = t0.elapsed();
    join_all(workers);
    d
}

fn std_flags(n: usize) -> Duration {
    let stop = Arc::new(AtomicBool::new(false));
    let tids: Arc<Vec<Tid>> = Arc::new((0..n).map(|_| Tid::new()).collect());
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let (stop, tids) = (Arc::clone(&stop), Arc::clone(&tids));
            thread::spawn(move || {
                tids[i].publish();
                while !stop.load(Acquire) {
                    thread::park();
                }
            })
        })
        .collect();
    wait_all_blocked(&tids);
    let t0 = Instant::now();
    stop.store(true, Release);
    for h in &handles {
        h.thread().unpark();
    }
    for h in handles {
        h.join().expect("the thread does not panic");
    }
    t0.elapsed()
}

fn many(c: &mut Criterion) {
    let mut g = c.benchmark_group("many");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .measurement_time(Duration::from_secs(1));
    for n in [1usize, 8, 64] {
        g.bench_function(BenchmarkId::new("terminate_all", n), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| via_terminate_all(n, false)).sum());
        });
        g.bench_function(BenchmarkId::new("sequential_terminate", n), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| sequential(n)).sum());
        });
        g.bench_function(BenchmarkId::new("terminate_all_join", n), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| via_terminate_all(n, true)).sum());
        });
        g.bench_function(BenchmarkId::new("std_flags_join", n), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| std_flags(n)).sum());
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .nresamples(20_000)
}

fn main() {
    let mut c = config().configure_from_args();
    many(&mut c);
    c.final_summary();
}
