//! Dropping the monitor leaks nothing: not a resource that keeps the
//! status handle its entry point was given (a handle points back at the
//! monitor), not the threads such a resource owns, not a subscriber left
//! waiting for ever.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clusworker::Worker;
use clusworker_monitor::{
    ExitState, Monitor, Outcome, Resource, ResourceState, StatusError, StatusHandle,
};

use common::{GUARD, keep_worker, lock};

/// What a test sees of a [`Watcher`] once the monitor holds it.
#[derive(Default)]
struct Seen {
    /// How many times a `Watcher` was dropped.
    drops: AtomicUsize,
    /// Its worker's routine returned.
    worker_ended: AtomicBool,
}

/// A resource with a background worker, as a process resource has: online
/// (at once, or pending until its worker reports) keeps the status handle
/// it was given, and its worker holds a clone to report with
/// (`signal_failure` when what it watches dies, or the pending
/// operation's heartbeats).
struct Watcher {
    pending: bool,
    handle: Mutex<Option<StatusHandle>>,
    worker: Mutex<Option<Worker<()>>>,
    seen: Arc<Seen>,
}

impl Watcher {
    fn new(pending: bool, seen: &Arc<Seen>) -> Watcher {
        Watcher {
            pending,
            handle: Mutex::new(None),
            worker: Mutex::new(None),
            seen: Arc::clone(seen),
        }
    }
}

impl Resource for Watcher {
    fn online(&self, status: StatusHandle) -> Outcome {
        let (pending, seen, report) = (self.pending, Arc::clone(&self.seen), status.clone());
        let spawned = Worker::spawn(move |ctx| {
            let mut checkpoint = 0;
            // Heartbeats while pending; then watches, until terminated.
            loop {
                let tick = if pending {
                    Duration::from_millis(1)
                } else {
                    Duration::from_secs(3600)
                };
                if ctx.sleep(tick).is_err() {
                    break;
                }
                checkpoint += 1;
                let state = ResourceState::OnlinePending;
                if pending && report.set_resource_status(state, checkpoint) == ExitState::Terminate
                {
                    break;
                }
            }
            seen.worker_ended.store(true, SeqCst);
        });
        *lock(&self.handle) = Some(status);
        keep_worker(&self.worker, spawned, self.pending)
    }

    fn offline(&self, _: StatusHandle) -> Outcome {
        self.terminate();
        Outcome::Done
    }

    fn terminate(&self) {
        drop(lock(&self.worker).take());
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.seen.drops.fetch_add(1, SeqCst);
    }
}

/// No timeout fires during a test, and no polls.
fn quiet() -> Monitor {
    common::quiet().start().expect("start a monitor")
}

impl Seen {
    /// Drops `monitor`, and checks that the resource went with it: dropped
    /// once, its worker ended (its `Worker` joined) by then.
    #[track_caller]
    fn dropped_with(&self, monitor: Monitor) {
        drop(monitor);
        assert_eq!(
            self.drops.load(SeqCst),
            1,
            "expected the resource dropped once when the monitor was dropped"
        );
        assert!(
            self.worker_ended.load(SeqCst),
            "expected the resource's worker ended (its Worker joined) by then"
        );
    }
}

#[test]
fn an_online_resource_keeping_its_status_handle_is_dropped_with_the_monitor() {
    let seen = Arc::new(Seen::default());
    let monitor = quiet();
    let id = monitor.add("watcher", Watcher::new(false, &seen));
    assert_eq!(monitor.online(id).expect("online"), Outcome::Done);
    assert_eq!(monitor.state(id).expect("known"), ResourceState::Online);
    seen.dropped_with(monitor);
}

#[test]
fn a_pending_resource_whose_worker_reports_is_dropped_with_the_monitor() {
    let seen = Arc::new(Seen::default());
    let monitor = quiet();
    let events = monitor.subscribe();
    let id = monitor.add("watcher", Watcher::new(true, &seen));
    assert_eq!(monitor.online(id).expect("online"), Outcome::Pending);
    // Wait for a heartbeat, so that the worker is reporting.
    while monitor.info(id).expect("known").checkpoint == Some(0) {
        std::thread::yield_now();
    }
    assert_eq!(events.try_iter().count(), 1, "only OnlinePending so far");
    seen.dropped_with(monitor);
}

#[test]
fn a_subscriber_sees_the_end_even_while_a_status_handle_lives_on() {
    let seen = Arc::new(Seen::default());
    let monitor = quiet();
    let watcher = Arc::new(Watcher::new(false, &seen));
    let id = monitor.add("watcher", Arc::clone(&watcher));
    let events = monitor.subscribe();
    monitor.online(id).expect("online");
    drop(monitor);
    // The host still holds the resource, and so its status handle.
    let handle = watcher.handle.lock().expect("unpoisoned").clone();
    let handle = handle.expect("online kept its handle");
    assert_eq!(handle.signal_failure(1), Err(StatusError::Stopped));
    let after: Vec<_> = events.try_iter().collect();
    assert_eq!(after.len(), 2, "the two events of online: {after:?}");
    // A guard against a hang, not a claim about speed: the end is there
    // at once.
    assert_eq!(
        events.recv_timeout(GUARD),
        Err(RecvTimeoutError::Disconnected),
        "expected the stream to end with the monitor"
    );
    assert_eq!(seen.drops.load(SeqCst), 0, "the host still holds it");
    drop(watcher);
    assert_eq!(seen.drops.load(SeqCst), 1);
    assert!(seen.worker_ended.load(SeqCst));
}
