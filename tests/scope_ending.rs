//! How a scope ends: no thread left behind, a failure racing the others'
//! exits, a worker that ignores terminate, the siblings' callbacks outside
//! the scope's lock, and deadlines (a builder's, the scope's).

mod common;

use std::panic::catch_unwind;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use clusworker::{Builder, Reason, scope};
use common::{Drops, eventually, quiet_panic, until_terminated, watchdog};

thread_local! {
    static ENDED: Ended = const { Ended };
}
static THREADS_ENDED: AtomicUsize = AtomicUsize::new(0);
struct Ended;
impl Drop for Ended {
    fn drop(&mut self) {
        THREADS_ENDED.fetch_add(1, SeqCst);
    }
}

#[test]
fn no_thread_is_left_behind_even_when_one_fails() {
    let _w = watchdog("no_thread_is_left_behind_even_when_one_fails");
    // A thread-local's destructor runs when its thread ends, before a join
    // of that thread returns: counted here, every member's thread ended
    // before `scope` returned.
    let before = THREADS_ENDED.load(SeqCst);
    let _ = catch_unwind(|| {
        scope(|s| {
            for i in 0..8 {
                let _ = s
                    .spawn(move |ctx| {
                        ENDED.with(|_| {});
                        if i == 5 {
                            quiet_panic(5);
                        }
                        until_terminated(ctx);
                    })
                    .expect("spawn");
            }
        })
    });
    assert_eq!(THREADS_ENDED.load(SeqCst) - before, 8);
}

#[test]
fn a_failure_racing_the_others_exits_loses_no_result() {
    let _w = watchdog("a_failure_racing_the_others_exits_loses_no_result");
    // Siblings that return by themselves at once race a failure: each
    // result comes back once, by join or by the scope's drop.
    for round in 0..50 {
        let drops = Drops::new();
        let got = scope(|s| {
            let hs: Vec<_> = (0..6)
                .map(|i| {
                    let v = drops.value(i);
                    s.spawn_fallible(move |_| if i == round % 6 { Err(v) } else { Ok(v) })
                        .expect("spawn")
                })
                .collect();
            hs.into_iter()
                .step_by(2)
                .map(|h| match h.join().expect("no panic") {
                    Ok(v) | Err(v) => v.id,
                })
                .collect::<Vec<_>>()
        });
        assert_eq!(got, vec![0, 2, 4]);
        assert_eq!(drops.count(), 6, "round {round}: every value dropped once");
    }
}

#[test]
fn scope_waits_for_a_worker_that_ignores_terminate() {
    let _w = watchdog("scope_waits_for_a_worker_that_ignores_terminate");
    let done = AtomicU32::new(0);
    scope(|s| {
        s.spawn(|ctx| {
            // Deaf to terminate for a while: keeps stepping.
            for _ in 0..20 {
                let _ = ctx.check_terminate();
                std::thread::sleep(Duration::from_millis(1));
            }
            done.store(1, SeqCst);
        })
        .expect("spawn");
        let _ = s.request_terminate();
    });
    assert_eq!(done.load(SeqCst), 1, "scope returned before the worker");
}

#[test]
fn the_siblings_callbacks_run_outside_the_scopes_lock() {
    let _w = watchdog("the_siblings_callbacks_run_outside_the_scopes_lock");
    use std::sync::mpsc;
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (registered_tx, registered_rx) = mpsc::channel::<()>();
    let got_go = Arc::new(AtomicU32::new(0));
    let (flag, seen) = (got_go.clone(), got_go.clone());
    scope(|s| {
        let _ = s
            .spawn(move |ctx| {
                // Runs on the failing worker's thread, inside its walk over
                // the scope; it waits for the body to spawn meanwhile.
                let mut cb = pin!(ctx.on_terminate(move || {
                    let _ = started_tx.send(());
                    if go_rx.recv_timeout(common::LONG).is_ok() {
                        flag.store(1, SeqCst);
                    }
                }));
                cb.as_mut().register();
                registered_tx.send(()).expect("registered");
                until_terminated(ctx);
                eventually("the callback returned", || seen.load(SeqCst) == 1);
            })
            .expect("spawn");
        common::recv("the callback registered", &registered_rx);
        let failing = s.spawn_fallible(|_| Err::<(), ()>(())).expect("spawn");
        common::recv("the callback started", &started_rx);
        // Needs the scope's lock: the walk must not hold it.
        let late = s.spawn(until_terminated).expect("spawn while a walk runs");
        go_tx.send(()).expect("go");
        assert_eq!(late.join().expect("no panic"), Some(Reason::SiblingFailed));
        assert!(failing.join().expect("no panic").is_err());
    });
    assert_eq!(got_go.load(SeqCst), 1);
}

#[test]
fn a_scoped_worker_takes_a_builders_deadline() {
    let _w = watchdog("a_scoped_worker_takes_a_builders_deadline");
    let borrowed = String::from("sda");
    scope(|s| {
        let w = Builder::new()
            .timeout(Duration::from_millis(1))
            .spawn_scoped(s, |ctx| (until_terminated(ctx), borrowed.len()))
            .expect("spawn");
        assert_eq!(
            w.join().expect("no panic"),
            (Some(Reason::DeadlinePassed), 3)
        );
        assert_eq!(s.reason(), None, "a deadline is no failure");
    });
}

#[test]
fn a_scope_deadline_terminates_present_and_later_workers() {
    let _w = watchdog("a_scope_deadline_terminates_present_and_later_workers");
    scope(|s| {
        let early = s.spawn(until_terminated).expect("spawn");
        s.terminate_at(std::time::Instant::now() + Duration::from_millis(5))
            .expect("the clock");
        assert_eq!(
            early.join().expect("no panic"),
            Some(Reason::DeadlinePassed)
        );
        assert_eq!(s.reason(), Some(Reason::DeadlinePassed));
        let late = s.spawn(until_terminated).expect("spawn");
        assert_eq!(late.join().expect("no panic"), Some(Reason::DeadlinePassed));
    });
}

#[test]
fn a_scope_deadline_still_counts_for_workers_running_after_the_body() {
    let _w = watchdog("a_scope_deadline_still_counts_for_workers_running_after_the_body");
    let (tx, rx) = std::sync::mpsc::channel();
    scope(|s| {
        let _ = s
            .spawn(move |ctx| tx.send(until_terminated(ctx)).expect("send"))
            .expect("spawn");
        s.terminate_at(std::time::Instant::now() + Duration::from_millis(5))
            .expect("the clock");
        // The body returns at once; the worker is still asleep.
    });
    assert_eq!(rx.recv().expect("its reason"), Some(Reason::DeadlinePassed));
}

#[test]
fn a_scope_ends_without_waiting_for_its_deadline() {
    let _w = watchdog("a_scope_ends_without_waiting_for_its_deadline");
    // An hour away: were the clock waited for, the watchdog would fail
    // the test.
    let n = AtomicU32::new(0);
    scope(|s| {
        s.terminate_at(std::time::Instant::now() + Duration::from_secs(3600))
            .expect("the clock");
        let _ = s.spawn(|_| n.fetch_add(1, SeqCst)).expect("spawn");
    });
    assert_eq!(n.load(SeqCst), 1);
}
