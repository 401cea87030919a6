//! Children (`Context::scope`): a parent's terminate reaches them at once,
//! in workers and pool routines, through nested scopes; the parent cannot
//! return before them.

mod common;

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::mpsc;
use std::time::Duration;

use clusworker::pool::Pool;
use clusworker::{Reason, Worker, scope};
use common::{GIVE_UP, recv, until_terminated, watchdog};

#[test]
fn a_parents_terminate_reaches_its_children_with_parent_terminated() {
    let _w = watchdog("a_parents_terminate_reaches_its_children_with_parent_terminated");
    let (tx, rx) = mpsc::channel();
    let parent = Worker::spawn(move |ctx| {
        ctx.scope(|s| {
            let kids: Vec<_> = (0..3)
                .map(|_| s.spawn(until_terminated).expect("spawn"))
                .collect();
            tx.send(()).expect("started");
            // The parent itself waits for nothing: blocked in a join.
            kids.into_iter()
                .map(|k| k.join().expect("no panic"))
                .collect::<Vec<_>>()
        })
    })
    .expect("spawn");
    recv("the children started", &rx);
    let _ = parent.request_terminate_with(Reason::User(1));
    let reasons = parent.join().expect("no panic");
    assert_eq!(reasons, vec![Some(Reason::ParentTerminated); 3]);
}

#[test]
fn children_of_a_terminated_parent_start_terminated() {
    let _w = watchdog("children_of_a_terminated_parent_start_terminated");
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let parent = Worker::spawn(move |ctx| {
        let _ = go_rx.recv();
        ctx.scope(|s| s.spawn(|c| c.reason()).expect("spawn").join())
    })
    .expect("spawn");
    let _ = parent.request_terminate();
    go_tx.send(()).expect("go");
    let child = parent.join().expect("no panic").expect("no panic");
    assert_eq!(child, Some(Reason::ParentTerminated));
}

#[test]
fn the_parent_cannot_return_before_its_children_exit() {
    let _w = watchdog("the_parent_cannot_return_before_its_children_exit");
    static CHILD_DONE: AtomicBool = AtomicBool::new(false);
    let parent = Worker::spawn(|ctx| {
        ctx.scope(|s| {
            // Not joined: the scope's end waits for it.
            let _ = s
                .spawn(|c| {
                    until_terminated(c);
                    // Cleanup after the request, still part of the child.
                    std::thread::sleep(Duration::from_millis(20));
                    CHILD_DONE.store(true, SeqCst);
                })
                .expect("spawn");
        });
        CHILD_DONE.load(SeqCst)
    })
    .expect("spawn");
    parent.terminate();
    assert!(
        parent.join().expect("no panic"),
        "the parent returned first"
    );
}

#[test]
fn a_failing_child_stops_its_siblings_not_the_parent() {
    let _w = watchdog("a_failing_child_stops_its_siblings_not_the_parent");
    let parent = Worker::spawn(|ctx| {
        let sibling = ctx.scope(|s| {
            let sib = s.spawn(until_terminated).expect("spawn");
            let _ = s.spawn_fallible(|_| Err::<(), ()>(())).expect("spawn");
            sib.join().expect("no panic")
        });
        (sibling, ctx.check_terminate())
    })
    .expect("spawn");
    let (sibling, parent_terminated) = parent.join().expect("no panic");
    assert_eq!(sibling, Some(Reason::SiblingFailed));
    assert!(!parent_terminated, "the parent was not terminated");
}

#[test]
fn terminate_reaches_grandchildren_through_nested_scopes() {
    let _w = watchdog("terminate_reaches_grandchildren_through_nested_scopes");
    let (tx, rx) = mpsc::channel();
    let parent = Worker::spawn(move |ctx| {
        ctx.scope(|s| {
            let child = s
                .spawn(|c| {
                    c.scope(|g| {
                        let grandchild = g.spawn(until_terminated).expect("spawn");
                        tx.send(()).expect("started");
                        grandchild.join().expect("no panic")
                    })
                })
                .expect("spawn");
            child.join().expect("no panic")
        })
    })
    .expect("spawn");
    recv("the grandchild started", &rx);
    parent.terminate();
    assert_eq!(
        parent.join().expect("no panic"),
        Some(Reason::ParentTerminated)
    );
}

#[test]
fn a_plain_scope_failure_terminates_a_members_children() {
    let _w = watchdog("a_plain_scope_failure_terminates_a_members_children");
    scope(|s| {
        let member = s
            .spawn(|ctx| ctx.scope(|c| c.spawn(until_terminated).expect("spawn").join()))
            .expect("spawn");
        let failing = s.spawn(|_| common::quiet_panic(1)).expect("spawn");
        assert!(failing.join().is_err(), "joined: not re-raised by scope");
        let grandchild = member.join().expect("no panic").expect("no panic");
        assert_eq!(grandchild, Some(Reason::ParentTerminated));
    })
}

#[test]
fn a_pool_routines_children_are_terminated_with_its_job() {
    let _w = watchdog("a_pool_routines_children_are_terminated_with_its_job");
    let pool = Pool::new(1).expect("pool");
    let (tx, rx) = mpsc::channel();
    let job = pool.spawn(move |ctx| {
        ctx.scope(|s| {
            let child = s.spawn(until_terminated).expect("spawn");
            tx.send(()).expect("started");
            child.join().expect("no panic")
        })
    });
    recv("the child started", &rx);
    job.terminate();
    assert_eq!(
        job.join().expect("no panic"),
        Some(Reason::ParentTerminated)
    );
    let report = pool.shutdown(GIVE_UP);
    assert!(report.abandoned.is_empty());
}

#[test]
fn children_borrow_the_parents_locals() {
    let _w = watchdog("children_borrow_the_parents_locals");
    let parent = Worker::spawn(|ctx| {
        let mut halves = [0u32; 2];
        let input: Vec<u32> = (1..=10).collect();
        ctx.scope(|s| {
            let (a, b) = halves.split_at_mut(1);
            let (x, y) = input.split_at(5);
            s.spawn(move |_| a[0] = x.iter().sum()).expect("spawn");
            s.spawn(move |_| b[0] = y.iter().sum()).expect("spawn");
        });
        halves
    })
    .expect("spawn");
    assert_eq!(parent.join().expect("no panic"), [15, 40]);
}
