//! `scope`: a scope of 64 workers stopped by one failure (issue 17, item 5).
//!
//! Every iteration starts 63 workers that wait until told to stop, and a
//! 64th that waits on a gate and then fails; once all 63 are asleep (in
//! the kernel, for the threads; polled once, for the tasks), the clock
//! starts, the gate opens, and it stops when the caller knows that all 64
//! are done:
//!
//! - `clusworker`: `clusworker::scope`, workers asleep in
//!   `Context::sleep(Duration::MAX)`, the failer a `spawn_fallible` that
//!   returns `Err`: the scope terminates the 63 siblings by itself and
//!   `scope` returns after joining all;
//! - `std_scope_flag`: `std::thread::scope`, threads parked on one
//!   `AtomicBool`; the caller joins the failer, sees its `Err`, sets the
//!   flag and unparks each thread; the scope joins all (what a user
//!   writes without clusworker);
//! - `tokio_joinset_abort_all`: a `JoinSet` of 64 tasks on a 2-thread
//!   runtime (made once), 63 of them pending for ever; the caller's
//!   `join_next` sees the failer's `Err`, calls `abort_all`, and drains
//!   the set. Tasks, not threads: the cost of 64 OS threads is not in it.
//!
//! The gate of the two thread rows is a std channel (a futex wake of the
//! failer); tokio's failer is spawned when the clock starts (no channel of
//! tokio's without its `sync` feature): a spawn on a runtime costs about
//! what that wake does.

use std::cell::Cell;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::{Acquire, Release, SeqCst};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use clusworker_benches::blocked::{Tid, wait_all_blocked};
use criterion::{Criterion, SamplingMode};
use tokio::task::JoinSet;

const N: usize = 64;

fn clusworker_scope() -> Duration {
    let tids: Vec<Tid> = (0..N - 1).map(|_| Tid::new()).collect();
    let t0 = Cell::new(None);
    clusworker::scope(|s| {
        for tid in &tids {
            let _ = s
                .spawn(move |ctx| {
                    tid.publish();
                    while ctx.sleep(Duration::MAX).is_ok() {}
                })
                .expect("spawn");
        }
        let (gate, wait) = mpsc::channel::<()>();
        let _ = s
            .spawn_fallible(move |_| {
                wait.recv()
                    .map_err(|_| "the gate")
                    .and(Err::<(), _>("failed"))
            })
            .expect("spawn");
        wait_all_blocked(&tids);
        t0.set(Some(Instant::now()));
        gate.send(()).expect("open the gate");
    });
    t0.get().expect("started").elapsed()
}

fn std_scope_flag() -> Duration {
    let tids: Vec<Tid> = (0..N - 1).map(|_| Tid::new()).collect();
    let stop = AtomicBool::new(false);
    let t0 = Cell::new(None);
    thread::scope(|s| {
        let sleepers: Vec<_> = tids
            .iter()
            .map(|tid| {
                let stop = &stop;
                s.spawn(move || {
                    tid.publish();
                    while !stop.load(Acquire) {
                        thread::park();
                    }
                })
            })
            .collect();
        let (gate, wait) = mpsc::channel::<()>();
        let failer = s.spawn(move || {
            wait.recv()
                .map_err(|_| "the gate")
                .and(Err::<(), _>("failed"))
        });
        wait_all_blocked(&tids);
        t0.set(Some(Instant::now()));
        gate.send(()).expect("open the gate");
        assert!(failer.join().expect("no panic").is_err());
        stop.store(true, Release);
        for h in &sleepers {
            h.thread().unpark();
        }
    });
    t0.get().expect("started").elapsed()
}

fn tokio_joinset(rt: &tokio::runtime::Runtime) -> Duration {
    rt.block_on(async {
        let started = std::sync::Arc::new(AtomicUsize::new(0));
        let mut set: JoinSet<Result<(), &'static str>> = JoinSet::new();
        for _ in 0..N - 1 {
            let started = started.clone();
            set.spawn(async move {
                started.fetch_add(1, SeqCst);
                std::future::pending::<Result<(), &'static str>>().await
            });
        }
        while started.load(SeqCst) < N - 1 {
            tokio::task::yield_now().await;
        }
        let t0 = Instant::now();
        set.spawn(async { Err("failed") });
        let mut failed = false;
        while let Some(r) = set.join_next().await {
            if matches!(r, Ok(Err(_))) && !failed {
                failed = true;
                set.abort_all();
            }
        }
        assert!(failed, "the failer's Err was seen");
        t0.elapsed()
    })
}

fn scope(c: &mut Criterion) {
    let mut g = c.benchmark_group("scope/64_stopped_by_one_failure");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .measurement_time(Duration::from_secs(1));
    g.bench_function("clusworker", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| clusworker_scope()).sum());
    });
    g.bench_function("std_scope_flag", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| std_scope_flag()).sum());
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("a runtime");
    g.bench_function("tokio_joinset_abort_all", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| tokio_joinset(&rt)).sum());
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .nresamples(20_000)
        .configure_from_args();
    scope(&mut c);
    c.final_summary();
}
