//! Callbacks on terminate (`on_terminate`): where and how often they run,
//! removal, removal from inside, panics, nested requests, visibility.

mod common;

use std::any::Any;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::SeqCst};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::Duration;

use clusworker::{Reason, Registered, Request, Worker};
use common::{counting_callback, sleeping_worker};

#[test]
fn a_callback_runs_once_on_the_requesting_thread() {
    let w = sleeping_worker();
    let ran_on = Arc::new(Mutex::new(None));
    let slot = ran_on.clone();
    let mut cb = pin!(w.on_terminate(move || {
        *slot.lock().unwrap() = Some(thread::current().id());
    }));
    assert_eq!(cb.as_mut().register(), Registered::Waiting);
    assert_eq!(*ran_on.lock().unwrap(), None, "not before the request");
    let requester = thread::scope(|s| {
        s.spawn(|| {
            assert_eq!(w.request_terminate(), Request::First);
            thread::current().id()
        })
        .join()
        .unwrap()
    });
    assert_eq!(
        *ran_on.lock().unwrap(),
        Some(requester),
        "the callback runs on the requesting thread, by the time the request returns"
    );
}

#[test]
fn a_callback_registered_after_the_request_runs_at_once_on_the_registering_thread() {
    let w = sleeping_worker();
    let _ = w.request_terminate_with(Reason::User(3));
    let here = thread::current().id();
    let ran_on = Arc::new(Mutex::new(None));
    let slot = ran_on.clone();
    let mut cb = pin!(w.on_terminate(move || {
        *slot.lock().unwrap() = Some(thread::current().id());
    }));
    assert_eq!(cb.as_mut().register(), Registered::Ran);
    assert_eq!(*ran_on.lock().unwrap(), Some(here));
    assert_eq!(
        cb.as_mut().register(),
        Registered::Ran,
        "a second register: nothing"
    );
}

#[test]
fn a_removed_callback_never_runs_and_is_dropped_by_the_removal() {
    let w = sleeping_worker();
    let (n, f) = counting_callback();
    let witness = Arc::new(());
    let held = witness.clone();
    {
        let mut cb = pin!(w.on_terminate(move || {
            let _held = &held;
            f();
        }));
        cb.as_mut().register();
        assert_eq!(
            Arc::strong_count(&witness),
            2,
            "the registration holds the callback"
        );
    }
    assert_eq!(
        Arc::strong_count(&witness),
        1,
        "removal dropped the callback"
    );
    let _ = w.request_terminate();
    assert_eq!(n.load(SeqCst), 0, "a removed callback never runs");
}

#[test]
fn an_unregistered_callback_never_runs() {
    let w = sleeping_worker();
    let (n, f) = counting_callback();
    let cb = w.on_terminate(f);
    let _ = w.request_terminate();
    drop(cb);
    assert_eq!(n.load(SeqCst), 0);
}

#[test]
fn many_callbacks_and_futures_all_run_once() {
    let w = sleeping_worker();
    let (n, _) = counting_callback();
    let mut guards: Vec<_> = (0..20)
        .map(|_| {
            let m = n.clone();
            Box::pin(w.on_terminate(move || {
                m.fetch_add(1, SeqCst);
            }))
        })
        .collect();
    for g in &mut guards {
        assert_eq!(g.as_mut().register(), Registered::Waiting);
    }
    // Drop every third before the request: those never run.
    let mut kept = Vec::new();
    for (i, g) in guards.into_iter().enumerate() {
        if i % 3 != 0 {
            kept.push(g);
        }
    }
    let _ = w.request_terminate();
    assert_eq!(n.load(SeqCst), kept.len() as u32);
    drop(kept);
    let _ = w.request_terminate();
    assert_eq!(n.load(SeqCst), 13);
}

#[test]
fn removal_on_another_thread_waits_for_the_running_callback() {
    // The routine registers a callback that blocks until released; a
    // requester runs it; the routine removes it meanwhile and must
    // not return from the removal before the callback returned.
    let entered = Arc::new(Barrier::new(2));
    let registered = Arc::new(Barrier::new(2));
    let finished = Arc::new(AtomicBool::new(false));
    let (e, f, reg) = (entered.clone(), finished.clone(), registered.clone());
    let w = Worker::spawn(move |ctx| {
        {
            let (e2, f2) = (e.clone(), f.clone());
            let mut cb = pin!(ctx.on_terminate(move || {
                e2.wait(); // the callback is running
                thread::sleep(Duration::from_millis(50));
                f2.store(true, SeqCst);
            }));
            cb.as_mut().register();
            reg.wait(); // requested only now: it runs on the requester
            while !ctx.check_terminate() {
                thread::yield_now();
            }
            e.wait(); // now it runs on the requester
        } // removal: waits for it
        f.load(SeqCst)
    })
    .expect("spawn");
    registered.wait();
    let _ = w.request_terminate();
    assert!(
        w.join().unwrap(),
        "the removal returned only after the callback had finished"
    );
    assert!(finished.load(SeqCst));
}

#[test]
fn a_callback_that_removes_its_own_registration_does_not_deadlock() {
    // 'static registration: the worker lives behind a raw pointer, so that
    // the callback can own (a slot holding) its own registration; it is
    // taken back and joined at the end (a thread never joined is a leak,
    // which ThreadSanitizer reports).
    let raw = Box::into_raw(Box::new(sleeping_worker()));
    // SAFETY: `raw` is a live Box's pointer, freed only by the
    // `Box::from_raw` at the end of this test, after every borrow is gone.
    let w: &'static Worker<()> = unsafe { &*raw };
    type Slot = Arc<Mutex<Option<Box<dyn Any + Send>>>>;
    let slot: Slot = Arc::new(Mutex::new(None));
    let ran = Arc::new(AtomicBool::new(false));
    let (s, r) = (slot.clone(), ran.clone());
    let mut cb = Box::pin(w.on_terminate(move || {
        let mine = s.lock().unwrap().take();
        drop(mine); // removal from inside: returns at once
        r.store(true, SeqCst);
    }));
    assert_eq!(cb.as_mut().register(), Registered::Waiting);
    *slot.lock().unwrap() = Some(Box::new(cb));
    let _ = w.request_terminate();
    assert!(ran.load(SeqCst), "the callback ran to its end");
    assert!(
        slot.lock().unwrap().is_none(),
        "and dropped its registration"
    );
    assert_eq!(w.wait(), Ok(()));
    // SAFETY: the registration was dropped from inside the callback (the
    // slot is empty), the callback has run (its closure is gone), and `w`
    // is not used again: nothing borrows the worker any more.
    let worker = unsafe { Box::from_raw(raw) };
    assert_eq!(worker.join().ok(), Some(()));
}

#[test]
fn a_callback_may_request_another_workers_terminate() {
    // The outer callback is 'static and names the inner worker: it lives
    // behind a raw pointer, taken back and joined at the end.
    let raw = Box::into_raw(Box::new(sleeping_worker()));
    // SAFETY: `raw` is a live Box's pointer, freed only by the
    // `Box::from_raw` below, once the block that borrows it has ended.
    let inner: &'static Worker<()> = unsafe { &*raw };
    {
        let outer = sleeping_worker();
        let (n, f) = counting_callback();
        let mut gi = pin!(inner.on_terminate(f));
        gi.as_mut().register();
        let mut go = pin!(outer.on_terminate(move || {
            let _ = inner.request_terminate_with(Reason::ParentTerminated);
        }));
        go.as_mut().register();
        let _ = outer.request_terminate();
        assert_eq!(
            n.load(SeqCst),
            1,
            "the nested request ran the inner callback"
        );
        assert_eq!(inner.reason(), Some(Reason::ParentTerminated));
    }
    // SAFETY: the registrations and the outer worker are gone with the
    // block, the outer callback ran (its closure is gone), and `inner` is
    // not used again.
    let worker = unsafe { Box::from_raw(raw) };
    assert_eq!(worker.join().ok(), Some(()));
}

#[test]
fn a_callback_on_the_context_sees_the_requesters_writes() {
    let note = Arc::new(AtomicU32::new(0));
    let seen = Arc::new(AtomicU32::new(u32::MAX));
    let (n, s, s2) = (note.clone(), seen.clone(), seen.clone());
    let w = Worker::spawn(move |ctx| {
        let mut g = pin!(ctx.on_terminate(move || s.store(n.load(SeqCst), SeqCst)));
        g.as_mut().register();
        let _ = ctx.sleep(Duration::MAX);
        // Removing it now could come before the requester reaches it
        // (then it never runs, as specified): wait for it first.
        while s2.load(SeqCst) == u32::MAX {
            thread::yield_now();
        }
    })
    .expect("spawn");
    thread::sleep(Duration::from_millis(5));
    note.store(7, SeqCst);
    let _ = w.request_terminate();
    assert_eq!(
        seen.load(SeqCst),
        7,
        "the callback (on the requester, or at once on the routine) ran and saw the write"
    );
    w.join().unwrap();
}

#[test]
fn a_removal_that_wins_the_race_with_the_request_means_the_callback_never_runs() {
    // The routine removes its callback as soon as it sees the request:
    // either the requester ran it first, or it never runs; never after
    // the removal returned.
    for _ in 0..50 {
        let ran = Arc::new(AtomicBool::new(false));
        let after = Arc::new(AtomicBool::new(false));
        let (r, a) = (ran.clone(), after.clone());
        let w = Worker::spawn(move |ctx| {
            let a2 = a.clone();
            {
                let mut g = pin!(ctx.on_terminate(move || {
                    r.store(true, SeqCst);
                    assert!(!a2.load(SeqCst), "ran after its removal returned");
                }));
                g.as_mut().register();
                let _ = ctx.sleep(Duration::MAX);
            }
            a.store(true, SeqCst);
        })
        .expect("spawn");
        let _ = w.request_terminate();
        w.join().expect("the callback never runs after its removal");
        let _ = ran.load(SeqCst);
    }
}
