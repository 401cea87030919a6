//! `pool`: spawn → terminate → join of a short worker on a pool of threads
//! that already exist, against a worker on a fresh thread.
//!
//! - `clusworker_pool`: `Pool::spawn`, `PoolWorker::terminate`, `join` on a
//!   pool of 4 threads (started once, outside the measurement);
//! - `clusworker_fresh_thread`: `Worker::spawn`, `terminate`, `join` (a
//!   `pthread_create` + `pthread_join` per cycle);
//! - `tokio_spawn_blocking`: tokio's blocking pool (multi-thread runtime, 4
//!   workers) running a closure that polls a tokio-util `CancellationToken`;
//!   `cancel`, then `block_on` the `JoinHandle`.
//!
//! Every routine polls its terminate flag in a `spin_loop`, as in `cycle`.

use std::hint::spin_loop;
use std::time::Duration;

use clusworker::pool::Pool;
use clusworker::{Terminate, Worker};
use criterion::Criterion;
use tokio_util::sync::CancellationToken;

fn pool_cycle(pool: &Pool) {
    let job = pool.spawn(|ctx| {
        while !ctx.check_terminate() {
            spin_loop();
        }
    });
    assert_eq!(job.terminate(), Terminate::First);
    job.join().expect("the routine does not panic");
}

fn fresh_thread_cycle() {
    let worker = Worker::spawn(|ctx| {
        while !ctx.check_terminate() {
            spin_loop();
        }
    })
    .expect("spawn a worker");
    assert_eq!(worker.terminate(), Terminate::First);
    worker.join().expect("the routine does not panic");
}

fn tokio_cycle(rt: &tokio::runtime::Runtime) {
    let token = CancellationToken::new();
    let child = token.clone();
    let handle = rt.spawn_blocking(move || {
        while !child.is_cancelled() {
            spin_loop();
        }
    });
    token.cancel();
    rt.block_on(handle).expect("the closure does not panic");
}

fn pool(c: &mut Criterion) {
    let pool = Pool::new(4).expect("start the pool");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .expect("a tokio runtime");
    let mut g = c.benchmark_group("pool");
    g.bench_function("clusworker_pool", |b| b.iter(|| pool_cycle(&pool)));
    g.bench_function("clusworker_fresh_thread", |b| b.iter(fresh_thread_cycle));
    g.bench_function("tokio_spawn_blocking", |b| b.iter(|| tokio_cycle(&rt)));
    g.finish();
    assert!(pool.shutdown(Duration::from_secs(10)).is_clean());
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
        .nresamples(20_000)
}

fn main() {
    let mut c = config().configure_from_args();
    pool(&mut c);
    c.final_summary();
}
