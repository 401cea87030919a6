//! A routine that panics: nobody hangs, the payload reaches `join`, and an
//! unclaimed payload is dropped exactly once.

mod common;

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use clusworker::{State, Terminate, Worker, terminate_all};
use common::{
    Boom, Drops, GIVE_UP, bounded, eventually, join, quiet_panic, recv, unwrap_arc, wait_exit,
    watchdog, within,
};

#[test]
fn panic_after_terminate_does_not_hang_the_terminator_and_join_gets_the_payload() {
    let _w =
        watchdog("panic_after_terminate_does_not_hang_the_terminator_and_join_gets_the_payload");
    let (ready_tx, ready_rx) = mpsc::channel();
    let worker = Arc::new(
        Worker::spawn(move |ctx| -> u32 {
            ready_tx.send(()).expect("test alive");
            let _ = ctx.sleep(Duration::MAX);
            quiet_panic(7)
        })
        .expect("spawn"),
    );
    recv("the routine's start", &ready_rx);
    let w = worker.clone();
    assert_eq!(
        bounded("Worker::terminate", move || w.terminate()),
        Terminate::First
    );
    assert_eq!(worker.state(), State::Exited);
    assert_eq!(worker.wait_timeout(Duration::ZERO), Ok(()));
    let payload = join(unwrap_arc(worker)).expect_err("the routine panicked");
    assert_eq!(payload.downcast_ref::<Boom>(), Some(&Boom(7)));
}

#[test]
fn panic_before_any_request_is_an_exit_for_every_waiter() {
    let _w = watchdog("panic_before_any_request_is_an_exit_for_every_waiter");
    let worker = Arc::new(Worker::spawn(|_ctx| -> u32 { quiet_panic(1) }).expect("spawn"));
    let waiters: Vec<_> = (0..3)
        .map(|_| {
            let w = worker.clone();
            std::thread::spawn(move || w.wait_timeout(GIVE_UP))
        })
        .collect();
    for waiter in waiters {
        let r = bounded("a waiter", move || waiter.join());
        assert_eq!(r.expect("the waiter does not panic"), Ok(()));
    }
    assert_eq!(worker.state(), State::Exited);
    let w = worker.clone();
    assert_eq!(
        bounded("Worker::terminate", move || w.terminate()),
        Terminate::First
    );
    let payload = join(unwrap_arc(worker)).expect_err("the routine panicked");
    assert_eq!(payload.downcast_ref::<Boom>(), Some(&Boom(1)));
}

#[test]
fn panic_message_reaches_join() {
    let _w = watchdog("panic_message_reaches_join");
    // A real `panic!`, through the panic hook (told not to print it).
    let worker = Worker::spawn(|_ctx| -> u32 {
        common::expect_panics_on_this_thread();
        panic!("boom {}", 6 * 7)
    })
    .expect("spawn");
    let payload = join(worker).expect_err("the routine panicked");
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("boom 42")
    );
}

#[test]
fn unjoined_panic_payload_is_dropped_exactly_once() {
    let _w = watchdog("unjoined_panic_payload_is_dropped_exactly_once");
    let drops = Drops::new();

    // Handle dropped.
    let d = drops.clone();
    let worker =
        Worker::spawn(move |_ctx| -> u32 { std::panic::resume_unwind(Box::new(d.value(1))) })
            .expect("spawn");
    wait_exit(&worker);
    assert_eq!(drops.count(), 0, "the payload is kept for join");
    bounded("drop(Worker)", move || drop(worker));
    assert_eq!(
        drops.count(),
        1,
        "expected the payload dropped once with the handle"
    );

    // Handle detached before the panic.
    let d = drops.clone();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let worker = Worker::spawn(move |_ctx| -> u32 {
        let _ = go_rx.recv();
        std::panic::resume_unwind(Box::new(d.value(2)))
    })
    .expect("spawn");
    worker.detach();
    drop(go_tx);
    eventually("the detached payload to be dropped", || drops.count() == 2);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(
        drops.count(),
        2,
        "expected the detached payload dropped once"
    );
}

#[test]
fn joined_panic_payload_is_moved_out_not_dropped() {
    let _w = watchdog("joined_panic_payload_is_moved_out_not_dropped");
    let drops = Drops::new();
    let d = drops.clone();
    let worker =
        Worker::spawn(move |_ctx| -> u32 { std::panic::resume_unwind(Box::new(d.value(5))) })
            .expect("spawn");
    let payload = join(worker).expect_err("the routine panicked");
    assert_eq!(drops.count(), 0);
    let value = payload
        .downcast::<common::Counted>()
        .expect("the payload is the value the routine panicked with");
    assert_eq!(value.id, 5);
    drop(value);
    assert_eq!(drops.count(), 1);
}

#[test]
fn panicking_workers_do_not_hang_terminate_all_or_drop() {
    let _w = watchdog("panicking_workers_do_not_hang_terminate_all_or_drop");
    let workers: Vec<Worker<u32>> = (0..4)
        .map(|i| {
            Worker::spawn(move |ctx| {
                if i % 2 == 0 {
                    let _ = ctx.sleep(Duration::MAX);
                }
                quiet_panic(i)
            })
            .expect("spawn")
        })
        .collect();
    let workers = bounded("terminate_all", move || {
        let refs: Vec<&Worker<u32>> = workers.iter().collect();
        assert_eq!(
            within("terminate_all", || terminate_all(&refs, GIVE_UP)),
            Ok(())
        );
        workers
    });
    for (i, w) in workers.into_iter().enumerate() {
        if i == 3 {
            bounded("drop(Worker)", move || drop(w));
            continue;
        }
        let payload = join(w).expect_err("every routine panicked");
        assert_eq!(payload.downcast_ref::<Boom>(), Some(&Boom(i as u32)));
    }
}
