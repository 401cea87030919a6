//! `callback`: a callback on terminate (issue 16, item 3).
//!
//! - `register_remove`: register a callback and remove it again, the
//!   terminate never requested (the common case: a guard around a blocking
//!   call). clusworker's `OnTerminate` (pinned on the stack, no allocation)
//!   against a `Mutex<Vec<Box<dyn FnOnce() + Send>>>` list (push a boxed
//!   closure, then find and remove it) and tokio-util's
//!   `CancellationToken::child_token` + drop.
//! - `request_to_callback`: from a request to its callback running (on
//!   the requesting thread), one registered callback, a fresh sleeping
//!   worker per iteration (not timed); against a mutex list drained by its
//!   requester. tokio-util has no callback, so no row of its own here.
//!
//! Both closures are zero-sized: a `Box` of one allocates nothing, so the
//! list's rows carry no `malloc`; a capturing callback would add one
//! allocation and free to them, and nothing to clusworker's.

use std::hint::black_box;
use std::pin::pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use clusworker::Worker;
use criterion::Criterion;
use tokio_util::sync::CancellationToken;

type Boxed = Box<dyn FnOnce() + Send>;

fn register_remove(c: &mut Criterion) {
    let mut g = c.benchmark_group("callback/register_remove");
    let worker = Worker::spawn(|ctx| while ctx.sleep(Duration::MAX).is_ok() {}).expect("spawn");
    g.bench_function("clusworker OnTerminate (stack, pinned)", |b| {
        b.iter(|| {
            let mut cb = pin!(worker.on_terminate(|| {
                black_box(());
            }));
            black_box(cb.as_mut().register());
        })
    });
    let list: Mutex<Vec<(u64, Boxed)>> = Mutex::new(Vec::new());
    let next = AtomicU64::new(0);
    g.bench_function("Mutex<Vec<Box<dyn FnOnce>>>", |b| {
        b.iter(|| {
            let id = next.fetch_add(1, Relaxed);
            list.lock().unwrap().push((
                id,
                Box::new(|| {
                    black_box(());
                }),
            ));
            let mut l = list.lock().unwrap();
            if let Some(i) = l.iter().position(|(k, _)| *k == id) {
                drop(l.swap_remove(i));
            }
        })
    });
    let token = CancellationToken::new();
    g.bench_function("tokio-util child_token + drop", |b| {
        b.iter(|| drop(black_box(token.child_token())))
    });
    g.finish();
    drop(worker);
}

fn request_to_callback(c: &mut Criterion) {
    let mut g = c.benchmark_group("callback/request_to_callback");
    g.bench_function("clusworker request_terminate -> OnTerminate", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let worker =
                    Worker::spawn(|ctx| while ctx.sleep(Duration::MAX).is_ok() {}).expect("spawn");
                let at = std::sync::Arc::new(Mutex::new(None));
                let seen = at.clone();
                {
                    let mut cb = pin!(worker.on_terminate(move || {
                        *seen.lock().unwrap() = Some(Instant::now());
                    }));
                    cb.as_mut().register();
                    let t0 = Instant::now();
                    let _ = worker.request_terminate();
                    let t1 = at.lock().unwrap().expect("ran");
                    total += t1 - t0;
                }
                drop(worker);
            }
            total
        })
    });
    g.bench_function(
        "Mutex<Vec<Box<dyn FnOnce>>> drained by the requester",
        |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let list: Mutex<Vec<Boxed>> = Mutex::new(Vec::new());
                    let at = std::sync::Arc::new(Mutex::new(None));
                    let seen = at.clone();
                    list.lock().unwrap().push(Box::new(move || {
                        *seen.lock().unwrap() = Some(Instant::now());
                    }));
                    let t0 = Instant::now();
                    for f in std::mem::take(&mut *list.lock().unwrap()) {
                        f();
                    }
                    let t1 = at.lock().unwrap().expect("ran");
                    total += t1 - t0;
                }
                total
            })
        },
    );
    g.finish();
}

fn main() {
    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    register_remove(&mut c);
    request_to_callback(&mut c);
    c.final_summary();
}
