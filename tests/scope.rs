//! Scoped workers (`clusworker::scope`): borrowing, failures stopping the
//! siblings, results given once, terminating the whole scope. How a scope
//! ends (no thread left behind, races, deadlines) is in `scope_ending.rs`,
//! children (`Context::scope`) in `scope_children.rs`.

mod common;

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

use clusworker::{Builder, Reason, Request, SpawnError, State, scope};
use common::{Boom, Drops, GIVE_UP, eventually, quiet_panic, until_terminated, watchdog};

#[test]
fn workers_borrow_from_the_caller_and_are_joined_before_scope_returns() {
    let _w = watchdog("workers_borrow_from_the_caller_and_are_joined_before_scope_returns");
    let input: Vec<u64> = (1..=100).collect();
    let mut sums = [0u64; 4];
    scope(|s| {
        for (chunk, sum) in input.chunks(25).zip(sums.iter_mut()) {
            s.spawn(move |_| *sum = chunk.iter().sum()).expect("spawn");
        }
    });
    assert_eq!(sums, [325, 950, 1575, 2200], "every worker wrote its sum");
}

#[test]
fn a_panic_terminates_every_sibling_with_sibling_failed_once() {
    let _w = watchdog("a_panic_terminates_every_sibling_with_sibling_failed_once");
    let calls: Vec<Arc<AtomicU32>> = (0..3).map(|_| Arc::new(AtomicU32::new(0))).collect();
    let reasons = scope(|s| {
        let siblings: Vec<_> = calls
            .iter()
            .map(|n| {
                let (n, m) = (n.clone(), n.clone());
                s.spawn(move |ctx| {
                    let mut cb = pin!(ctx.on_terminate(move || {
                        n.fetch_add(1, SeqCst);
                    }));
                    cb.as_mut().register();
                    let reason = until_terminated(ctx);
                    // The requester may still be on its way to the
                    // callback: dropping it now would cancel it.
                    eventually("the callback ran", || m.load(SeqCst) == 1);
                    reason
                })
                .expect("spawn")
            })
            .collect();
        let failing = s.spawn(|_| -> u32 { quiet_panic(1) }).expect("spawn");
        let payload = failing.join().expect_err("the routine panics");
        assert_eq!(payload.downcast_ref::<Boom>(), Some(&Boom(1)));
        siblings
            .into_iter()
            .map(|w| w.join().expect("no panic"))
            .collect::<Vec<_>>()
    });
    assert_eq!(reasons, vec![Some(Reason::SiblingFailed); 3]);
    for n in &calls {
        assert_eq!(n.load(SeqCst), 1, "each sibling's callback ran once");
    }
}

#[test]
fn an_err_terminates_the_siblings_and_is_the_joined_value() {
    let _w = watchdog("an_err_terminates_the_siblings_and_is_the_joined_value");
    scope(|s| {
        let sibling = s.spawn(until_terminated).expect("spawn");
        let ok = s.spawn_fallible(|_| Ok::<u32, String>(1)).expect("spawn");
        assert_eq!(ok.join().expect("no panic"), Ok(1));
        assert_eq!(s.reason(), None, "an Ok is no failure");
        let err = s
            .spawn_fallible(|_| Err::<u32, String>("no disk".into()))
            .expect("spawn");
        assert_eq!(err.wait_timeout(GIVE_UP), Ok(()));
        assert_eq!(err.reason(), None, "the failed worker is not requested");
        assert_eq!(err.join().expect("no panic"), Err("no disk".to_string()));
        assert_eq!(
            sibling.join().expect("no panic"),
            Some(Reason::SiblingFailed)
        );
        assert_eq!(s.reason(), Some(Reason::SiblingFailed));
    });
}

#[test]
fn a_plain_spawn_does_not_count_an_err_as_a_failure() {
    let _w = watchdog("a_plain_spawn_does_not_count_an_err_as_a_failure");
    scope(|s| {
        let w = s.spawn(|_| Err::<(), u32>(5)).expect("spawn");
        assert_eq!(w.join().expect("no panic"), Err(5));
        assert_eq!(s.reason(), None, "spawn: only panics are failures");
    });
}

#[test]
fn an_unjoined_panic_is_re_raised_by_scope_with_its_own_payload() {
    let _w = watchdog("an_unjoined_panic_is_re_raised_by_scope_with_its_own_payload");
    let body_returned = Cell::new(false);
    let payload = catch_unwind(AssertUnwindSafe(|| {
        scope(|s| {
            let _ = s.spawn(|_| quiet_panic(4)).expect("spawn");
            body_returned.set(true);
        })
    }))
    .expect_err("the un-joined panic is re-raised");
    assert!(body_returned.get());
    assert_eq!(payload.downcast_ref::<Boom>(), Some(&Boom(4)));
}

#[test]
fn the_panic_that_terminated_the_scope_wins_over_the_ones_it_caused() {
    let _w = watchdog("the_panic_that_terminated_the_scope_wins_over_the_ones_it_caused");
    let payload = catch_unwind(|| {
        scope(|s| {
            // Spawned first, so first in spawn order: each panics when
            // terminated.
            for _ in 0..3 {
                let _ = s
                    .spawn(|ctx| {
                        until_terminated(ctx);
                        quiet_panic(2)
                    })
                    .expect("spawn");
            }
            let _ = s.spawn(|_| quiet_panic(1)).expect("spawn");
        })
    })
    .expect_err("re-raised");
    assert_eq!(payload.downcast_ref::<Boom>(), Some(&Boom(1)));
}

#[test]
fn a_body_panic_terminates_the_workers_and_is_re_raised() {
    let _w = watchdog("a_body_panic_terminates_the_workers_and_is_re_raised");
    let seen = AtomicU32::new(0);
    let payload = catch_unwind(AssertUnwindSafe(|| {
        scope(|s| {
            for _ in 0..3 {
                let _ = s
                    .spawn(|ctx| {
                        if until_terminated(ctx) == Some(Reason::SiblingFailed) {
                            seen.fetch_add(1, SeqCst);
                        }
                    })
                    .expect("spawn");
            }
            quiet_panic(7)
        })
    }))
    .expect_err("re-raised");
    assert_eq!(payload.downcast_ref::<Boom>(), Some(&Boom(7)));
    assert_eq!(seen.load(SeqCst), 3, "every worker saw SiblingFailed");
}

#[test]
fn every_result_is_dropped_exactly_once_joined_or_not() {
    let _w = watchdog("every_result_is_dropped_exactly_once_joined_or_not");
    let drops = Drops::new();
    scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let v = drops.value(i);
                s.spawn(move |_| v).expect("spawn")
            })
            .collect();
        for (i, h) in handles.into_iter().enumerate() {
            if i % 2 == 0 {
                assert_eq!(h.join().expect("no panic").id, i);
            } // odd ones: dropped un-joined
        }
        assert_eq!(drops.count(), 4, "the joined values, dropped by the test");
    });
    assert_eq!(
        drops.count(),
        8,
        "the scope dropped the 4 others, once each"
    );
}

#[test]
fn terminating_the_scope_reaches_present_and_later_workers() {
    let _w = watchdog("terminating_the_scope_reaches_present_and_later_workers");
    scope(|s| {
        let early = s.spawn(until_terminated).expect("spawn");
        assert_eq!(s.request_terminate_with(Reason::User(3)), Request::First);
        assert_eq!(
            s.request_terminate(),
            Request::AlreadyRequested(Reason::User(3))
        );
        let late = s.spawn(until_terminated).expect("spawn");
        assert_eq!(early.join().expect("no panic"), Some(Reason::User(3)));
        assert_eq!(late.join().expect("no panic"), Some(Reason::User(3)));
    });
}

#[test]
fn a_worker_can_spawn_into_its_own_scope() {
    let _w = watchdog("a_worker_can_spawn_into_its_own_scope");
    let n = AtomicU32::new(0);
    scope(|s| {
        s.spawn(|_| {
            for _ in 0..4 {
                s.spawn(|_| n.fetch_add(1, SeqCst)).expect("spawn");
            }
        })
        .expect("spawn");
    });
    assert_eq!(n.load(SeqCst), 4, "the grandchildren were joined too");
}

#[test]
fn the_builder_names_a_scoped_worker_and_refuses_a_nul() {
    let _w = watchdog("the_builder_names_a_scoped_worker_and_refuses_a_nul");
    scope(|s| {
        let w = Builder::new()
            .name("scoped".into())
            .stack_size(128 * 1024)
            .spawn_scoped(s, |_| 5)
            .expect("spawn");
        assert_eq!(w.join().expect("no panic"), 5);
        let bad = Builder::new().name("a\0b".into()).spawn_scoped(s, |_| ());
        assert!(matches!(bad, Err(SpawnError::InvalidName)), "{bad:?}");
        let bad = Builder::new()
            .name("a\0b".into())
            .spawn_scoped_fallible(s, |_| Ok::<(), ()>(()));
        assert!(matches!(bad, Err(SpawnError::InvalidName)), "{bad:?}");
    });
}

#[test]
fn a_join_from_the_workers_own_thread_errs_and_the_scope_keeps_the_result() {
    let _w = watchdog("a_join_from_the_workers_own_thread_errs_and_the_scope_keeps_the_result");
    let drops = Drops::new();
    scope(|s| {
        let (tx, rx) = std::sync::mpsc::channel();
        let v = drops.value(0);
        let w = s
            .spawn(move |_| {
                let me: clusworker::ScopedWorker<'_, _> = rx.recv().expect("the handle");
                let r = me.join();
                assert!(r.is_err_and(|p| p.is::<clusworker::JoinOwnThread>()));
                v
            })
            .expect("spawn");
        assert_eq!(w.state(), State::Running);
        tx.send(w).expect("send");
    });
    assert_eq!(drops.count(), 1, "the un-joined result was dropped once");
}
