//! `Context::terminated()` (the routine's side) and many tasks awaiting one
//! worker (`Worker::exited()` from several tasks), under tokio's
//! current-thread and multi-thread runtimes: a request wakes every waiting
//! task, a dropped waiter leaves the others intact, and nothing is missed
//! when the request races the first poll.

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc;
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::Duration;

use clusworker::{State, Worker};
use common::{recv, watchdog};
use tokio::runtime::{Builder, Runtime};

fn current_thread() -> Runtime {
    Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime")
}

fn multi_thread() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("a runtime")
}

#[test]
fn a_routine_selecting_on_terminated_is_woken_by_the_request() {
    let _w = watchdog("a_routine_selecting_on_terminated_is_woken_by_the_request");
    let (ticked_tx, ticked_rx) = mpsc::channel();
    let worker = Worker::spawn(move |ctx| {
        current_thread().block_on(async {
            let mut ticks = 0u32;
            loop {
                tokio::select! {
                    _ = ctx.terminated() => return ticks,
                    // Each tick drops a pending `terminated()` future
                    // (the branch that lost) and makes a new one.
                    _ = tokio::time::sleep(Duration::from_millis(1)) => {
                        ticks += 1;
                        let _ = ticked_tx.send(());
                    }
                }
            }
        })
    })
    .expect("spawn");
    for _ in 0..3 {
        recv("a tick", &ticked_rx);
    }
    worker.terminate();
    let ticks = worker.join().expect("the routine does not panic");
    assert!(ticks >= 3, "{ticks}");
}

#[test]
fn terminated_is_ready_at_once_after_the_request_and_stays_ready() {
    let _w = watchdog("terminated_is_ready_at_once_after_the_request_and_stays_ready");
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let worker = Worker::spawn(move |ctx| {
        recv("go", &go_rx);
        let mut fut = pin!(ctx.terminated());
        let mut cx = TaskContext::from_waker(Waker::noop());
        let first = fut.as_mut().poll(&mut cx).is_ready();
        // Polled again after `Ready`: still `Ready`, no panic.
        let again = fut.as_mut().poll(&mut cx).is_ready();
        (first, again)
    })
    .expect("spawn");
    let _ = worker.request_terminate();
    go_tx.send(()).expect("the routine waits for go");
    assert_eq!(worker.join().ok(), Some((true, true)));
}

#[test]
fn a_pending_terminated_future_stays_pending_until_the_request() {
    let _w = watchdog("a_pending_terminated_future_stays_pending_until_the_request");
    let (polled_tx, polled_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let worker = Worker::spawn(move |ctx| {
        let mut fut = pin!(ctx.terminated());
        let mut cx = TaskContext::from_waker(Waker::noop());
        let before = fut.as_mut().poll(&mut cx).is_pending();
        let _ = polled_tx.send(before);
        recv("go", &go_rx);
        // The request came between the polls: now `Ready`.
        fut.as_mut().poll(&mut cx).is_ready()
    })
    .expect("spawn");
    assert!(
        recv("the first poll", &polled_rx),
        "pending before the request"
    );
    let _ = worker.request_terminate();
    go_tx.send(()).expect("the routine waits for go");
    assert_eq!(worker.join().ok(), Some(true));
}

#[test]
fn many_threads_awaiting_terminated_are_all_woken() {
    // More waiters than the core wakes per turn of its lock (8), each on its
    // own thread and runtime, all sharing the routine's `&Context`.
    let _w = watchdog("many_threads_awaiting_terminated_are_all_woken");
    const WAITERS: usize = 20;
    let (ready_tx, ready_rx) = mpsc::channel();
    let worker = Worker::spawn(move |ctx| {
        let woken = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..WAITERS {
                let ready = ready_tx.clone();
                let woken = &woken;
                s.spawn(move || {
                    current_thread().block_on(async {
                        let mut fut = pin!(ctx.terminated());
                        // Poll once (registering), say so, then await.
                        let first = std::future::poll_fn(|cx| {
                            Poll::Ready(fut.as_mut().poll(cx).is_ready())
                        })
                        .await;
                        let _ = ready.send(());
                        if !first {
                            fut.await;
                        }
                        woken.fetch_add(1, SeqCst);
                    });
                });
            }
        });
        woken.load(SeqCst)
    })
    .expect("spawn");
    for _ in 0..WAITERS {
        recv("a waiter registered", &ready_rx);
    }
    worker.terminate();
    assert_eq!(worker.join().ok(), Some(WAITERS));
}

#[test]
fn the_request_racing_the_first_poll_is_never_missed() {
    let _w = watchdog("the_request_racing_the_first_poll_is_never_missed");
    let rt = Arc::new(multi_thread());
    for round in 0..200u32 {
        let rt = rt.clone();
        let worker = Worker::spawn(move |ctx| {
            rt.block_on(async { ctx.terminated().await });
            round
        })
        .expect("spawn");
        // No hand-shake: the request races the future's first poll.
        worker.terminate();
        assert_eq!(worker.join().ok(), Some(round));
    }
}

#[test]
fn several_tasks_await_one_workers_exit() {
    let _w = watchdog("several_tasks_await_one_workers_exit");
    let rt = multi_thread();
    let worker = Arc::new(
        Worker::spawn(|ctx| {
            while ctx.sleep(Duration::MAX).is_ok() {}
            7u32
        })
        .expect("spawn"),
    );
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let worker = worker.clone();
            rt.spawn(async move {
                worker.exited().await;
                worker.state()
            })
        })
        .collect();
    let _ = worker.request_terminate();
    let states = rt.block_on(async {
        let mut states = Vec::new();
        for t in tasks {
            states.push(t.await.expect("the task does not panic"));
        }
        states
    });
    assert!(states.iter().all(|s| *s == State::Exited), "{states:?}");
    let worker = Arc::into_inner(worker).expect("the tasks are gone");
    assert_eq!(worker.join().ok(), Some(7));
}
