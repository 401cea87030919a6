//! `wake`: from a terminate request to every task awaiting it having
//! resumed, for 1 and 8 tasks on a tokio multi-thread runtime (2 workers).
//!
//! - `clusworker_terminated/N`: N tasks await `WorkerWord::terminated()`
//!   (what `Context::terminated()` wraps) on one word; the clock runs from
//!   `request_terminate` until every task's `JoinHandle` has resolved;
//! - `tokio_util_cancelled/N`: the same with a tokio-util
//!   `CancellationToken` (`cancelled().await`, then `cancel()`): the field's
//!   standard peer.
//!
//! Untimed setup per iteration: the tasks are spawned and each has been
//! polled once and is pending (it counts itself in), so the timed part is
//! the wake path alone: the request, the list walk, the wakers, the tasks'
//! second polls and the join.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::Poll;
use std::time::{Duration, Instant};

use clusworker_core::WorkerWord;
use clusworker_posix::Futex;
use criterion::{BenchmarkId, Criterion};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Awaits `fut`, counting itself in `pending` after a first poll that did
/// not finish.
async fn counted<F: Future<Output = ()>>(fut: F, pending: Arc<AtomicUsize>) {
    let mut fut = pin!(fut);
    let mut counted = false;
    poll_fn(|cx| match fut.as_mut().poll(cx) {
        Poll::Ready(()) => Poll::Ready(()),
        Poll::Pending => {
            if !counted {
                counted = true;
                pending.fetch_add(1, SeqCst);
            }
            Poll::Pending
        }
    })
    .await;
}

/// Spins until `n` tasks are pending.
fn until_pending(pending: &AtomicUsize, n: usize) {
    while pending.load(SeqCst) < n {
        std::thread::yield_now();
    }
}

fn join_all(rt: &Runtime, tasks: Vec<JoinHandle<()>>) {
    rt.block_on(async {
        for t in tasks {
            t.await.expect("the task does not panic");
        }
    });
}

/// One timed round: `n` tasks await `wait(source)` and are pending, then
/// the clock runs from `fire(source)` until every task has finished.
fn round<S, Fut>(rt: &Runtime, n: usize, source: S, wait: fn(S) -> Fut, fire: fn(&S)) -> Duration
where
    S: Clone + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let pending = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..n)
        .map(|_| rt.spawn(counted(wait(source.clone()), pending.clone())))
        .collect();
    until_pending(&pending, n);
    let start = Instant::now();
    fire(&source);
    join_all(rt, tasks);
    start.elapsed()
}

fn clusworker_round(rt: &Runtime, n: usize) -> Duration {
    round(
        rt,
        n,
        Arc::new(WorkerWord::<Futex>::new()),
        |word| async move { word.terminated().await },
        |word| {
            let _ = word.request_terminate();
        },
    )
}

fn tokio_util_round(rt: &Runtime, n: usize) -> Duration {
    round(
        rt,
        n,
        CancellationToken::new(),
        |token| async move { token.cancelled().await },
        CancellationToken::cancel,
    )
}

fn wake(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("a tokio runtime");
    let mut g = c.benchmark_group("wake");
    for n in [1usize, 8] {
        g.bench_with_input(BenchmarkId::new("clusworker_terminated", n), &n, |b, &n| {
            b.iter_custom(|iters| (0..iters).map(|_| clusworker_round(&rt, n)).sum());
        });
        g.bench_with_input(BenchmarkId::new("tokio_util_cancelled", n), &n, |b, &n| {
            b.iter_custom(|iters| (0..iters).map(|_| tokio_util_round(&rt, n)).sum());
        });
    }
    g.finish();
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .sample_size(40)
        .nresamples(20_000)
        .configure_from_args();
    wake(&mut c);
    c.final_summary();
}
