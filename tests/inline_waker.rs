//! Wakers that run user code inline, on the worker's own thread, while the
//! exit wakes them: the code may drop the last handle to the worker there.
//! The block the exit is still using must outlive that (the entry point
//! frees it after `complete` returns, not the handle in the middle of it).
//!
//! The setup: exactly one full batch of exit waiters (8), each a task that
//! owns an `Arc<Worker>` and awaits `exited()`; their waker polls the task
//! inline. The last task to finish drops the last `Arc`, so the `Worker` is
//! dropped on its own thread inside the exit's wake-up. Run under valgrind
//! or a sanitizer this shows a use-after-free if the block is freed there;
//! here it checks that nothing hangs or panics and that the result is
//! dropped exactly once.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context as TaskContext, Poll, Wake, Waker};

use clusworker::Worker;

mod common;
use common::{recv, watchdog};

type Task = Mutex<Option<Pin<Box<dyn Future<Output = ()> + Send>>>>;

/// A task whose waker polls it at once, on the waking thread.
struct Inline(Task);

impl Inline {
    fn poll(self: &Arc<Self>) {
        let waker = Waker::from(self.clone());
        let mut slot = self.0.lock().expect("not poisoned");
        if let Some(fut) = slot.as_mut()
            && fut.as_mut().poll(&mut TaskContext::from_waker(&waker)) == Poll::Ready(())
        {
            // Dropped here, inside the wake-up: with it, its `Arc<Worker>`.
            *slot = None;
        }
    }
}

impl Wake for Inline {
    fn wake(self: Arc<Self>) {
        self.poll();
    }
}

static DROPS: AtomicUsize = AtomicUsize::new(0);

struct Tracked;

impl Drop for Tracked {
    fn drop(&mut self) {
        DROPS.fetch_add(1, SeqCst);
    }
}

#[test]
fn the_last_handle_dropped_by_an_inline_waker_on_the_worker_thread() {
    let _w = watchdog("the_last_handle_dropped_by_an_inline_waker_on_the_worker_thread");
    const TASKS: usize = 8; // one full batch of the exit's wake-up
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let worker = Arc::new(
        Worker::spawn(move |_ctx| {
            recv("go", &go_rx);
            Tracked
        })
        .expect("spawn"),
    );
    let tasks: Vec<Arc<Inline>> = (0..TASKS)
        .map(|_| {
            let worker = worker.clone();
            let fut: Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(async move {
                worker.exited().await;
                drop(worker);
            });
            Arc::new(Inline(Mutex::new(Some(fut))))
        })
        .collect();
    for task in &tasks {
        task.poll(); // registers: pending until the exit
    }
    drop(worker); // the tasks hold the last handles now
    go_tx.send(()).expect("the routine waits for go");
    // The routine returns; its exit wakes the tasks inline, on its thread,
    // and the last one drops the worker there (detached, freed once).
    while !tasks
        .iter()
        .all(|t| t.0.lock().expect("not poisoned").is_none())
    {
        std::thread::yield_now();
    }
    while DROPS.load(SeqCst) == 0 {
        std::thread::yield_now();
    }
    assert_eq!(DROPS.load(SeqCst), 1, "the result is dropped exactly once");
}
