//! `Worker::terminate` waits with the OS join itself (one sleep, where
//! waiting on the word and then joining cost two): what the handle does
//! after such a terminate (join, detach, drop), several terminators at
//! once, and the one thing a user can see change: when `terminate`
//! returns, the thread has ended, its thread-local destructors included.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::SeqCst};
use std::thread;
use std::time::Duration;

use clusworker::{Reason, Terminate, Worker};
use clusworker_test_support::{Drops, watchdog};

fn sleeper() -> Worker<u32> {
    Worker::spawn(|ctx| {
        while ctx.sleep(Duration::MAX).is_ok() {}
        7
    })
    .expect("spawn")
}

#[test]
fn join_after_terminate_gives_the_result() {
    let _w = watchdog("join_after_terminate_gives_the_result");
    let w = sleeper();
    assert_eq!(w.terminate(), Terminate::First);
    assert_eq!(
        w.terminate(),
        Terminate::AlreadyRequested(Reason::Requested)
    );
    assert_eq!(w.join().expect("no panic"), 7);
}

#[test]
fn detach_and_drop_after_terminate_free_the_result_once() {
    let _w = watchdog("detach_and_drop_after_terminate_free_the_result_once");
    for detach in [true, false] {
        let drops = Drops::new();
        let value = drops.value(1);
        let w = Worker::spawn(move |ctx| {
            while ctx.sleep(Duration::MAX).is_ok() {}
            value
        })
        .expect("spawn");
        assert_eq!(w.terminate(), Terminate::First);
        if detach {
            w.detach();
        } else {
            drop(w);
        }
        assert_eq!(drops.count(), 1, "detach: {detach}");
    }
}

#[test]
fn a_terminate_after_the_routine_returned_joins_too() {
    let _w = watchdog("a_terminate_after_the_routine_returned_joins_too");
    let w = Worker::spawn(|_| 3_u32).expect("spawn");
    w.wait().expect("not its own thread");
    assert_eq!(w.terminate(), Terminate::First);
    assert_eq!(w.join().expect("no panic"), 3);
}

#[test]
fn of_many_terminators_one_joins_and_the_others_return_at_once() {
    let _w = watchdog("of_many_terminators_one_joins_and_the_others_return_at_once");
    for _ in 0..50 {
        let w = Arc::new(sleeper());
        let firsts = Arc::new(AtomicU32::new(0));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (w, firsts) = (Arc::clone(&w), Arc::clone(&firsts));
                thread::spawn(move || {
                    if w.terminate() == Terminate::First {
                        firsts.fetch_add(1, SeqCst);
                    }
                    // Every waiter, not only the first, sees the exit.
                    w.wait().expect("not its own thread");
                })
            })
            .collect();
        for t in threads {
            t.join().expect("no panic");
        }
        assert_eq!(firsts.load(SeqCst), 1);
        let w = Arc::into_inner(w).expect("the only handle left");
        assert_eq!(w.join().expect("no panic"), 7);
    }
}

#[test]
fn terminate_returns_after_the_threads_own_destructors() {
    let _w = watchdog("terminate_returns_after_the_threads_own_destructors");
    static DONE: AtomicBool = AtomicBool::new(false);
    struct Late;
    impl Drop for Late {
        fn drop(&mut self) {
            thread::sleep(Duration::from_millis(50));
            DONE.store(true, SeqCst);
        }
    }
    thread_local!(static LATE: Cell<Option<Late>> = const { Cell::new(None) });
    let w = Worker::spawn(|ctx| {
        LATE.with(|l| l.set(Some(Late)));
        while ctx.sleep(Duration::MAX).is_ok() {}
    })
    .expect("spawn");
    assert_eq!(w.terminate(), Terminate::First);
    assert!(
        DONE.load(SeqCst),
        "the first terminator joined the thread: its destructors ran"
    );
    w.join().expect("no panic");
}
