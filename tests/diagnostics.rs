//! Diagnostics of stuck work: the list of live workers (`diagnostics`),
//! `Worker::name`, progress marks, and the names Unix threads get.
//!
//! The list is process-wide and on/off for the whole process, so every
//! test here takes `SERIAL` first, and tells its workers apart by name.

mod common;

use std::sync::Mutex;
use std::sync::mpsc;
use std::time::Duration;

use clusworker::diagnostics::{self, WorkerInfo};
use clusworker::{Builder, Reason, State, Worker};
use common::{eventually, gate, join, watchdog};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The listed workers named `name`.
fn listed(name: &str) -> Vec<WorkerInfo> {
    diagnostics::workers()
        .into_iter()
        .filter(|w| w.name.as_deref() == Some(name))
        .collect()
}

#[test]
fn a_worker_is_listed_with_its_name_site_state_and_progress_while_it_runs() {
    let _w = watchdog("a_worker_is_listed_with_its_name_site_state_and_progress_while_it_runs");
    let _s = serial();
    diagnostics::enable();
    let (started_tx, started) = mpsc::channel();
    let line = line!() + 1;
    let worker = Builder::new().name("listed-one".into()).spawn(move |ctx| {
        ctx.progress(41);
        ctx.progress(42);
        started_tx.send(()).unwrap();
        while ctx.sleep(Duration::MAX).is_ok() {}
    });
    let worker = worker.expect("spawn");
    started.recv().expect("the routine started");
    let seen = listed("listed-one");
    assert_eq!(seen.len(), 1, "expected the worker listed once: {seen:?}");
    let info = &seen[0];
    assert_eq!(info.site.file(), file!(), "the spawn site is the caller's");
    assert_eq!(info.site.line(), line, "the line of the `spawn` call");
    assert_eq!(info.state, State::Running);
    assert_eq!(info.terminating, None, "nobody asked it to terminate");
    assert_eq!(info.progress, 42, "the last mark");
    let shown = info.to_string();
    assert!(
        shown.contains("listed-one") && shown.contains(file!()),
        "{shown}"
    );
    worker.terminate();
    join(worker).expect("the routine does not panic");
    assert_eq!(listed("listed-one"), [], "unlisted once it returned");
}

#[test]
fn stuck_lists_a_worker_that_ignores_terminate_with_the_reason_until_it_returns() {
    let _w =
        watchdog("stuck_lists_a_worker_that_ignores_terminate_with_the_reason_until_it_returns");
    let _s = serial();
    diagnostics::enable();
    let (started_tx, started) = mpsc::channel();
    let (open, pass) = gate();
    let worker = Builder::new()
        .name("deaf".into())
        .spawn(move |_ctx| {
            started_tx.send(()).unwrap();
            assert!(pass.wait(), "the test opens the gate");
        })
        .expect("spawn");
    started.recv().expect("the routine started");
    assert!(
        !diagnostics::stuck(Duration::ZERO)
            .iter()
            .any(|w| w.name.as_deref() == Some("deaf")),
        "not stuck before a request"
    );
    assert_eq!(
        worker.request_terminate_with(Reason::User(9)),
        clusworker::Request::First
    );
    let stuck: Vec<_> = diagnostics::stuck(Duration::ZERO)
        .into_iter()
        .filter(|w| w.name.as_deref() == Some("deaf"))
        .collect();
    assert_eq!(stuck.len(), 1, "expected it stuck: {stuck:?}");
    assert_eq!(stuck[0].state, State::Terminating);
    let t = stuck[0].terminating.expect("terminating");
    assert_eq!(t.reason, Reason::User(9), "the first request's reason");
    assert!(t.since <= stuck[0].age, "asked after it started: {t:?}");
    // The time of the request is kept: asked at least as long ago as this
    // thread has slept since (a bound from below, never too tight).
    std::thread::sleep(Duration::from_millis(20));
    assert!(
        diagnostics::stuck(Duration::from_millis(20))
            .iter()
            .any(|w| w.name.as_deref() == Some("deaf")),
        "asked at least 20 ms ago"
    );
    // Nothing can have been asked an hour ago in this test.
    assert!(
        !diagnostics::stuck(Duration::from_secs(3600))
            .iter()
            .any(|w| w.name.as_deref() == Some("deaf")),
        "not stuck past a threshold it has not reached"
    );
    open.open();
    join(worker).expect("the routine does not panic");
    assert_eq!(listed("deaf"), []);
}

#[test]
fn detached_and_panicking_workers_leave_no_entry_behind() {
    let _w = watchdog("detached_and_panicking_workers_leave_no_entry_behind");
    let _s = serial();
    diagnostics::enable();
    let (open, pass) = gate();
    let detached = Builder::new()
        .name("detached".into())
        .spawn(move |_ctx| {
            let _ = pass.wait();
        })
        .expect("spawn");
    eventually("the detached worker listed", || {
        listed("detached").len() == 1
    });
    detached.detach();
    open.open();
    eventually("the detached worker unlisted", || {
        listed("detached").is_empty()
    });

    let panicking = Builder::new()
        .name("panicking".into())
        .spawn(|_ctx| -> () { common::quiet_panic(1) })
        .expect("spawn");
    assert!(join(panicking).is_err(), "the panic is the result");
    assert_eq!(listed("panicking"), []);
}

#[test]
fn a_worker_spawned_while_the_list_is_off_is_never_listed() {
    let _w = watchdog("a_worker_spawned_while_the_list_is_off_is_never_listed");
    let _s = serial();
    diagnostics::disable();
    assert!(!diagnostics::is_enabled());
    let (started_tx, started) = mpsc::channel();
    let worker = Builder::new()
        .name("unlisted".into())
        .spawn(move |ctx| {
            started_tx.send(()).unwrap();
            while ctx.sleep(Duration::MAX).is_ok() {}
        })
        .expect("spawn");
    started.recv().expect("the routine started");
    diagnostics::enable();
    assert_eq!(listed("unlisted"), [], "spawned while off: not listed");
    worker.terminate();
    join(worker).expect("the routine does not panic");
}

#[test]
fn walks_racing_many_spawns_and_exits_see_only_live_workers() {
    let _w = watchdog("walks_racing_many_spawns_and_exits_see_only_live_workers");
    let _s = serial();
    diagnostics::enable();
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let walker = s.spawn(|| {
            let mut walks = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) || walks == 0 {
                for w in diagnostics::workers() {
                    assert_ne!(w.state, State::Exited, "an exited worker listed: {w}");
                }
                walks += 1;
            }
            walks
        });
        for round in 0..50u64 {
            let workers: Vec<Worker<u64>> = (0..4)
                .map(|i| {
                    Builder::new()
                        .name(format!("churn-{i}"))
                        .spawn(move |ctx| {
                            ctx.progress(round);
                            round
                        })
                        .expect("spawn")
                })
                .collect();
            for w in workers {
                assert_eq!(join(w).ok(), Some(round));
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(walker.join().expect("the walker does not panic") > 0);
    });
    for i in 0..4 {
        assert_eq!(
            listed(&format!("churn-{i}")),
            [],
            "every churned worker unlisted"
        );
    }
}

#[test]
fn a_scoped_worker_is_listed_with_its_callers_spawn_site() {
    let _w = watchdog("a_scoped_worker_is_listed_with_its_callers_spawn_site");
    let _s = serial();
    diagnostics::enable();
    let (started_tx, started) = mpsc::channel();
    clusworker::scope(|s| {
        let line = line!() + 3;
        let worker = Builder::new()
            .name("scoped-one".into())
            .spawn_scoped(s, move |ctx| {
                started_tx.send(()).unwrap();
                while ctx.sleep(Duration::MAX).is_ok() {}
            });
        let worker = worker.expect("spawn");
        started.recv().expect("the routine started");
        let seen = listed("scoped-one");
        assert_eq!(seen.len(), 1, "expected the worker listed once: {seen:?}");
        assert_eq!(
            seen[0].site.file(),
            file!(),
            "the spawn site is the caller's"
        );
        assert_eq!(
            seen[0].site.line(),
            line,
            "the line of the `spawn_scoped` call"
        );
        let _ = worker.request_terminate();
        worker.join().expect("the routine does not panic");
    });
}

/// A resource whose online is a named worker that reports checkpoint 7,
/// then waits until it is told to finish.
struct Reporting {
    worker: Mutex<Option<Worker<()>>>,
    started: Mutex<Option<mpsc::Sender<()>>>,
}

impl clusworker::monitor::Resource for Reporting {
    fn online(&self, status: clusworker::monitor::StatusHandle) -> clusworker::monitor::Outcome {
        let started = self.started.lock().unwrap().take().expect("one online");
        let worker = Builder::new()
            .name("monitored-one".into())
            .spawn(move |ctx| {
                let _ = status.report(clusworker::monitor::ResourceState::OnlinePending, 7);
                started.send(()).unwrap();
                while ctx.sleep(Duration::MAX).is_ok() {}
            })
            .expect("spawn");
        *self.worker.lock().unwrap() = Some(worker);
        clusworker::monitor::Outcome::Pending
    }
    fn offline(&self, _: clusworker::monitor::StatusHandle) -> clusworker::monitor::Outcome {
        clusworker::monitor::Outcome::Done
    }
    fn terminate(&self) {
        drop(self.worker.lock().unwrap().take());
    }
}

#[test]
fn a_monitor_workers_last_checkpoint_is_its_progress_mark() {
    let _w = watchdog("a_monitor_workers_last_checkpoint_is_its_progress_mark");
    let _s = serial();
    diagnostics::enable();
    let (started_tx, started) = mpsc::channel();
    let resource = std::sync::Arc::new(Reporting {
        worker: Mutex::new(None),
        started: Mutex::new(Some(started_tx)),
    });
    let monitor = clusworker::monitor::Monitor::start().expect("a monitor");
    let id = monitor.add("reporting", std::sync::Arc::clone(&resource));
    monitor.online(id).expect("online");
    started.recv().expect("the worker reported");
    let seen = listed("monitored-one");
    assert_eq!(seen.len(), 1, "expected the worker listed once: {seen:?}");
    assert_eq!(seen[0].progress, 7, "the checkpoint it reported");
    monitor.terminate(id).expect("terminate");
    assert_eq!(listed("monitored-one"), [], "unlisted once terminated");
}
