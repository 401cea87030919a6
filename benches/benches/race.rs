//! `race`: terminate calls racing on one worker.
//!
//! Once one terminate request is made, every later call must return
//! `AlreadyRequested` at once. clusworker reads the word before its
//! read-modify-write, so late callers only share the cache line; the peer,
//! a `compare_exchange` on a `CachePadded<AtomicU32>`, takes the line
//! exclusive on every call, even when it fails, so two callers bounce it
//! between cores.
//!
//! Rows (the time is per call, on each of `threads` threads calling at once):
//!
//! - `clusworker_terminate/{1,2}t`: `Worker::terminate` on a worker whose
//!   terminate was requested (the public call: it also asks whether it runs
//!   on the worker's own thread);
//! - `core_request_terminate/{1,2}t`: the core's `WorkerWord::request_terminate`;
//! - `padded_cas/{1,2}t`: `compare_exchange(0, 1)` on a `CachePadded<AtomicU32>`
//!   already holding 1 (every call fails, as every late terminate does).

use std::hint::black_box;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::{AcqRel, Acquire};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use clusworker::{Terminate, Worker};
use clusworker_core::{Request, WorkerWord};
use clusworker_posix::Futex;
use criterion::{BenchmarkId, Criterion};
use crossbeam_utils::CachePadded;

/// Runs `f(iters)` on `threads` threads released at once; the time of the
/// slowest.
fn racing<F: Fn(u64) + Sync>(threads: usize, iters: u64, f: F) -> Duration {
    let ready = AtomicUsize::new(0);
    thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    ready.fetch_add(1, Ordering::AcqRel);
                    while ready.load(Acquire) < threads {
                        std::hint::spin_loop();
                    }
                    let t0 = Instant::now();
                    f(iters);
                    t0.elapsed()
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().expect("the loop does not panic"))
            .max()
            .unwrap_or_default()
    })
}

fn race(c: &mut Criterion) {
    let worker =
        Worker::spawn(|ctx| while ctx.sleep(Duration::MAX).is_ok() {}).expect("spawn a worker");
    assert_eq!(worker.terminate(), Terminate::First);
    let word: WorkerWord<Futex> = WorkerWord::new();
    assert_eq!(word.request_terminate(), Request::First);
    let padded = CachePadded::new(AtomicU32::new(1));

    let mut g = c.benchmark_group("race");
    for threads in [1, 2] {
        let t = format!("{threads}t");
        g.bench_function(BenchmarkId::new("clusworker_terminate", &t), |b| {
            b.iter_custom(|iters| {
                racing(threads, iters, |n| {
                    for _ in 0..n {
                        black_box(black_box(&worker).terminate());
                    }
                })
            });
        });
        g.bench_function(BenchmarkId::new("core_request_terminate", &t), |b| {
            b.iter_custom(|iters| {
                racing(threads, iters, |n| {
                    for _ in 0..n {
                        black_box(black_box(&word).request_terminate());
                    }
                })
            });
        });
        g.bench_function(BenchmarkId::new("padded_cas", &t), |b| {
            b.iter_custom(|iters| {
                racing(threads, iters, |n| {
                    for _ in 0..n {
                        let _ =
                            black_box(black_box(&padded).compare_exchange(0, 1, AcqRel, Acquire));
                    }
                })
            });
        });
    }
    g.finish();
    drop(worker);
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
    race(&mut c);
    c.final_summary();
}
