//! Why the monitor terminates: the `Reason` its `Terminate` call is given
//! (and that a resource passes on to its worker), and the one its events
//! carry.

mod common;

use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clusworker::{Reason, Terminate, Worker};
use clusworker_monitor::{Cause, Event, Outcome, Resource, ResourceState, StatusHandle};

use common::{GUARD, keep_worker, lock, quiet as builder};

/// A resource whose `online` starts a worker that never reports (pending
/// for ever, until terminated) or returns `Done` at once; its
/// `terminate_with` passes the reason on to the worker, which records the
/// reason it read from its `Context`.
#[derive(Default)]
struct Service {
    pending: bool,
    worker: Mutex<Option<Worker<Option<Reason>>>>,
    /// What `terminate_with` was given, and what the worker read.
    given: Mutex<Vec<Reason>>,
    read: Mutex<Vec<Option<Reason>>>,
}

impl Resource for Service {
    fn online(&self, _: StatusHandle) -> Outcome {
        let worker = Worker::spawn(|ctx| {
            while ctx.sleep(Duration::from_secs(3600)).is_ok() {}
            ctx.reason()
        });
        keep_worker(&self.worker, worker, self.pending)
    }

    fn offline(&self, _: StatusHandle) -> Outcome {
        self.terminate();
        Outcome::Done
    }

    fn terminate(&self) {
        self.terminate_with(Reason::Requested);
    }

    fn terminate_with(&self, reason: Reason) {
        lock(&self.given).push(reason);
        let worker = lock(&self.worker).take();
        if let Some(worker) = worker {
            let first = worker.terminate_with(reason) == Terminate::First;
            if let (true, Ok(read)) = (first, worker.join()) {
                lock(&self.read).push(read);
            }
        }
    }
}

/// The next event of `events` that satisfies `f`.
#[track_caller]
fn next(events: &Receiver<Event>, f: impl Fn(&Event) -> bool) -> Event {
    loop {
        match events.recv_timeout(GUARD) {
            Ok(e) if f(&e) => return e,
            Ok(_) => {}
            Err(e) => panic!("expected an event, got {e:?}"),
        }
    }
}

/// Waits until `service`'s `terminate_with` has returned once.
fn read_once(service: &Service) -> Vec<Option<Reason>> {
    // The monitor's Terminate after an expiry is nobody's call to wait
    // for: look until its record is there.
    let start = std::time::Instant::now();
    while lock(&service.read).is_empty() && start.elapsed() < GUARD {
        std::thread::sleep(Duration::from_millis(1));
    }
    lock(&service.read).clone()
}

#[test]
fn an_expired_heartbeat_terminates_with_pending_timeout() {
    let monitor = builder()
        .pending_timeout(Duration::from_millis(20))
        .start()
        .expect("start");
    let events = monitor.subscribe();
    let service = Arc::new(Service {
        pending: true,
        ..Service::default()
    });
    let id = monitor.add("silent", Arc::clone(&service));
    assert_eq!(monitor.online(id).expect("online"), Outcome::Pending);
    let failed = next(&events, |e| e.to == ResourceState::Failed);
    assert_eq!(
        (failed.cause, failed.reason),
        (Cause::HeartbeatExpired, Some(Reason::PendingTimeout)),
        "{failed}"
    );
    assert_eq!(
        read_once(&service),
        [Some(Reason::PendingTimeout)],
        "the worker reads the reason its resource was terminated with"
    );
    assert_eq!(*lock(&service.given), [Reason::PendingTimeout]);
    assert!(
        failed.to_string().contains("PendingTimeout expired"),
        "{failed}"
    );
}

#[test]
fn a_host_terminate_says_requested_or_the_reason_given() {
    let monitor = builder().start().expect("start");
    let events = monitor.subscribe();
    let service = Arc::new(Service::default());
    let id = monitor.add("svc", Arc::clone(&service));
    for (reason, terminate) in [
        (Reason::Requested, None),
        (Reason::User(0x8007_0005), Some(Reason::User(0x8007_0005))),
    ] {
        monitor.online(id).expect("online");
        match terminate {
            None => monitor.terminate(id),
            Some(r) => monitor.terminate_with(id, r),
        }
        .expect("terminate");
        let offline = next(&events, |e| e.to == ResourceState::Offline);
        assert_eq!(
            (offline.cause, offline.reason),
            (Cause::Terminated, Some(reason)),
            "{offline}"
        );
        assert_eq!(lock(&service.given).last(), Some(&reason));
        assert_eq!(lock(&service.read).last(), Some(&Some(reason)));
        if reason != Reason::Requested {
            assert!(
                offline
                    .to_string()
                    .ends_with("(Terminate returned: user code 0x80070005)"),
                "{offline}"
            );
        }
    }
}

#[test]
fn shut_down_terminates_the_online_and_pending_with_monitor_shut_down() {
    let monitor = builder().start().expect("start");
    let events = monitor.subscribe();
    let online = Arc::new(Service::default());
    let pending = Arc::new(Service {
        pending: true,
        ..Service::default()
    });
    let offline = Arc::new(Service::default());
    let a = monitor.add("online", Arc::clone(&online));
    let b = monitor.add("pending", Arc::clone(&pending));
    let c = monitor.add("offline", Arc::clone(&offline));
    monitor.online(a).expect("online");
    assert_eq!(monitor.online(b).expect("online"), Outcome::Pending);
    let ended = monitor.shut_down();
    let ids: Vec<_> = ended.iter().map(|(id, r)| (*id, r.is_ok())).collect();
    assert_eq!(ids, [(a, true), (b, true)], "not {c:?}, which is offline");
    for (service, id) in [(&online, a), (&pending, b)] {
        assert_eq!(*lock(&service.given), [Reason::MonitorShutDown]);
        assert_eq!(*lock(&service.read), [Some(Reason::MonitorShutDown)]);
        assert_eq!(monitor.state(id).expect("known"), ResourceState::Offline);
    }
    assert!(
        lock(&offline.given).is_empty(),
        "an offline one is left alone"
    );
    // The two Terminates run at once: their events come in either order.
    let mut seen: Vec<_> = events
        .try_iter()
        .filter(|e| e.cause == Cause::Terminated)
        .map(|e| (e.resource, e.reason))
        .collect();
    seen.sort_by_key(|(id, _)| *id);
    let shut = Some(Reason::MonitorShutDown);
    assert_eq!(seen, [(a, shut), (b, shut)]);
    assert!(
        monitor.shut_down().is_empty(),
        "nothing is left to terminate"
    );
}

/// A resource that does not override `terminate_with`: its `terminate`
/// is called, whatever the reason.
#[test]
fn a_resource_without_terminate_with_gets_terminate() {
    #[derive(Default)]
    struct Plain(Mutex<usize>);
    impl Resource for Plain {
        fn online(&self, _: StatusHandle) -> Outcome {
            Outcome::Done
        }
        fn offline(&self, _: StatusHandle) -> Outcome {
            Outcome::Done
        }
        fn terminate(&self) {
            *lock(&self.0) += 1;
        }
    }
    let monitor = builder().start().expect("start");
    let plain = Arc::new(Plain::default());
    let id = monitor.add("plain", Arc::clone(&plain));
    monitor.online(id).expect("online");
    assert_eq!(monitor.shut_down().len(), 1);
    assert_eq!(*lock(&plain.0), 1, "terminate called once");
}
