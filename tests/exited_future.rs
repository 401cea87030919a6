//! The `Exited` future (`Worker::exited`, `PoolWorker::exited`) under
//! tokio's current-thread and multi-thread runtimes: awaiting a worker's exit
//! never blocks a runtime thread, and never misses the exit.

mod common;

use std::sync::mpsc;
use std::time::Duration;

use clusworker::pool::Pool;
use clusworker::{State, Worker};
use common::{GIVE_UP, recv, watchdog};
use tokio::runtime::{Builder, Runtime};

fn current_thread() -> Runtime {
    Builder::new_current_thread().build().expect("a runtime")
}

fn multi_thread() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("a runtime")
}

#[test]
fn current_thread_runtime_awaits_a_terminated_worker_while_other_tasks_run() {
    let _w = watchdog("current_thread_runtime_awaits_a_terminated_worker_while_other_tasks_run");
    let rt = current_thread();
    rt.block_on(async {
        let worker = Worker::spawn(|ctx| {
            let mut rounds = 0u32;
            while ctx.sleep(Duration::MAX).is_ok() {
                rounds += 1;
            }
            rounds
        })
        .expect("spawn");
        // Another task on the same (only) runtime thread makes progress
        // while the first awaits: the wait does not block the thread.
        let other = tokio::spawn(async { 40 + 2 });
        let _ = worker.request_terminate();
        worker.exited().await;
        assert_eq!(worker.state(), State::Exited);
        assert_eq!(other.await.expect("the other task ran"), 42);
        assert_eq!(worker.join().ok(), Some(0));
    });
}

#[test]
fn current_thread_runtime_awaits_a_routine_that_returns_by_itself() {
    let _w = watchdog("current_thread_runtime_awaits_a_routine_that_returns_by_itself");
    let rt = current_thread();
    let (tx, rx) = mpsc::channel::<()>();
    rt.block_on(async move {
        let worker = Worker::spawn(move |_ctx| {
            // Returns when the test's helper thread says so, after the
            // future is (very likely) pending.
            rx.recv_timeout(GIVE_UP).is_ok()
        })
        .expect("spawn");
        let helper = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(5));
            let _ = tx.send(());
        });
        worker.exited().await;
        assert!(!worker.is_terminate_requested());
        assert_eq!(worker.join().ok(), Some(true));
        helper.join().expect("helper");
    });
}

#[test]
fn multi_thread_runtime_awaits_many_pool_jobs() {
    let _w = watchdog("multi_thread_runtime_awaits_many_pool_jobs");
    let rt = multi_thread();
    let pool = Pool::new(4).expect("pool");
    let (started_tx, started_rx) = mpsc::channel();
    let jobs: Vec<_> = (0..16u32)
        .map(|i| {
            let started = started_tx.clone();
            pool.spawn(move |ctx| {
                let _ = started.send(());
                while ctx.sleep(Duration::MAX).is_ok() {}
                i
            })
        })
        .collect();
    recv("a job started", &started_rx);
    let tasks: Vec<_> = jobs
        .into_iter()
        .map(|job| {
            rt.spawn(async move {
                // Request without blocking, then await without blocking.
                let _ = job.request_terminate();
                job.exited().await;
                job.join().expect("the routine does not panic")
            })
        })
        .collect();
    let sum: u32 = rt.block_on(async {
        let mut sum = 0;
        for t in tasks {
            sum += t.await.expect("the task does not panic");
        }
        sum
    });
    assert_eq!(sum, (0..16).sum::<u32>());
    assert!(pool.shutdown(GIVE_UP).is_clean());
}

#[test]
fn multi_thread_runtime_exit_racing_the_first_poll_is_never_missed() {
    let _w = watchdog("multi_thread_runtime_exit_racing_the_first_poll_is_never_missed");
    let rt = multi_thread();
    for round in 0..200u32 {
        let (tx, rx) = mpsc::channel::<()>();
        let worker = Worker::spawn(move |_ctx| {
            let _ = rx.recv_timeout(GIVE_UP);
            round
        })
        .expect("spawn");
        // The exit races the future's first poll and its registration.
        let releaser = std::thread::spawn(move || {
            let _ = tx.send(());
        });
        rt.block_on(async { worker.exited().await });
        releaser.join().expect("releaser");
        assert_eq!(worker.state(), State::Exited);
        assert_eq!(worker.join().ok(), Some(round));
    }
}
