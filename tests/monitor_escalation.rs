//! DeadlockTimeout: a hung entry point is isolated and escalated, and every
//! other resource keeps being served.

mod monitor_support;

use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::Duration;

use clusworker::monitor::{
    Cause, EntryPoint, Escalation, EscalationReason, ExitState, Monitor, MonitorError, Outcome,
    ResourceState::*, StatusError,
};
use monitor_support::{Behaviour, GUARD, Scripted, ms, until};

/// DeadlockTimeout `deadlock`, PendingTimeout `pending`, no polls; the
/// escalations go to the returned receiver.
fn monitor(pending: Duration, deadlock: Duration) -> (Monitor, mpsc::Receiver<Escalation>) {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let m = Monitor::builder()
        .pending_timeout(pending)
        .deadlock_timeout(deadlock)
        .looks_alive_interval(None)
        .is_alive_interval(None)
        .on_escalation(move |e| {
            let _ = tx.lock().map(|tx| tx.send(e.clone()));
        })
        .start()
        .expect("start a monitor");
    (m, rx)
}

#[test]
fn a_hung_online_returns_hung_isolates_the_resource_and_escalates_once() {
    let (m, escalations) = monitor(Duration::from_secs(3600), ms(40));
    let events = m.subscribe();
    let r = Scripted::new(Behaviour::Hang);
    let id = m.add("stuck", Arc::clone(&r));
    match m.online(id) {
        Err(MonitorError::Hung {
            resource,
            entry_point: EntryPoint::Online,
            waited,
        }) => {
            assert_eq!((resource, waited), (id, ms(40)));
        }
        other => panic!("expected Hung, got {other:?}"),
    }
    let e = escalations
        .recv_timeout(GUARD)
        .expect("the hook was called");
    assert_eq!(
        (e.resource, e.entry_point, e.reason),
        (id, EntryPoint::Online, EscalationReason::Deadlock(ms(40)))
    );
    assert_eq!(&*e.name, "stuck");
    let seen = until(&events, |e| e.cause == Cause::Escalated(EntryPoint::Online));
    assert_eq!(
        seen.last().map(|e| (e.from, e.to)),
        Some((OnlinePending, Failed))
    );
    let info = m.info(id).expect("known");
    assert!(info.isolated && info.state == Failed, "{info:?}");
    // No further calls are made to it.
    assert!(matches!(m.online(id), Err(MonitorError::Isolated(_))));
    assert!(matches!(m.terminate(id), Err(MonitorError::Isolated(_))));
    // Releasing the hung call changes nothing, and escalates nothing more.
    r.gate.open();
    let start = std::time::Instant::now();
    while m.stats().call_threads > 1 && start.elapsed() < ms(200) {
        thread::sleep(ms(1));
    }
    assert_eq!(m.state(id).expect("known"), Failed);
    assert!(escalations.try_recv().is_err(), "escalated once");
    assert_eq!(r.calls(), [EntryPoint::Online]);
}

#[test]
fn a_hung_terminate_after_an_expired_heartbeat_is_escalated_by_the_monitor() {
    // DeadlockTimeout is generous: `online` itself must not be taken for a
    // hang on a loaded machine; only the terminate really hangs.
    let (m, escalations) = monitor(ms(20), ms(1000));
    let events = m.subscribe();
    let r = Scripted::new(Behaviour::Manual);
    r.terminate_hangs.store(true, SeqCst);
    let id = m.add("hangs in terminate", Arc::clone(&r));
    m.online(id).expect("online");
    let e = escalations.recv_timeout(GUARD).expect("escalated");
    assert_eq!((e.resource, e.entry_point), (id, EntryPoint::Terminate));
    let seen = until(&events, |e| matches!(e.cause, Cause::Escalated(_)));
    let causes: Vec<_> = seen.iter().map(|e| e.cause).collect();
    assert_eq!(
        causes,
        [
            Cause::Requested(clusworker::monitor::Operation::Online),
            Cause::HeartbeatExpired,
            Cause::Escalated(EntryPoint::Terminate)
        ]
    );
    // Already failed: the escalation event is Failed -> Failed.
    assert_eq!(seen.last().map(|e| (e.from, e.to)), Some((Failed, Failed)));
    assert_eq!(
        r.handle().report(OnlinePending, 1),
        Err(StatusError::Isolated)
    );
    r.gate.open();
}

#[test]
fn a_host_terminate_that_hangs_returns_hung() {
    let (m, escalations) = monitor(Duration::from_secs(3600), ms(1000));
    let r = Scripted::new(Behaviour::Done);
    r.terminate_hangs.store(true, SeqCst);
    let id = m.add("r", Arc::clone(&r));
    m.online(id).expect("online");
    assert!(matches!(
        m.terminate(id),
        Err(MonitorError::Hung {
            entry_point: EntryPoint::Terminate,
            ..
        })
    ));
    assert_eq!(
        escalations.recv_timeout(GUARD).map(|e| e.entry_point),
        Ok(EntryPoint::Terminate)
    );
    assert_eq!(m.state(id).expect("known"), Failed);
    r.gate.open();
}

#[test]
fn other_resources_are_served_while_one_call_hangs() {
    // Generous: the quick calls must not be taken for hangs under load.
    let (m, escalations) = monitor(ms(30), ms(1500));
    let events = m.subscribe();
    let stuck = Scripted::new(Behaviour::Hang);
    let stuck_id = m.add("stuck", Arc::clone(&stuck));
    // A host thread is stuck in the hung call until DeadlockTimeout.
    let m = Arc::new(m);
    let host = {
        let m = Arc::clone(&m);
        thread::spawn(move || m.online(stuck_id))
    };
    stuck.gate.await_waiters(1);
    // Meanwhile: a quick resource comes online, a pending one times out.
    let quick = m.add("quick", Scripted::new(Behaviour::Done));
    assert_eq!(m.online(quick).expect("online"), Outcome::Done);
    let silent = m.add("silent", Scripted::new(Behaviour::Manual));
    m.online(silent).expect("online");
    until(&events, |e| {
        e.resource == silent && e.cause == Cause::HeartbeatExpired
    });
    let r = host.join().expect("the host thread did not panic");
    assert!(matches!(r, Err(MonitorError::Hung { .. })), "{r:?}");
    assert_eq!(
        escalations.recv_timeout(GUARD).map(|e| e.resource),
        Ok(stuck_id)
    );
    // And still afterwards.
    let late = m.add("late", Scripted::new(Behaviour::Done));
    assert_eq!(m.online(late).expect("online"), Outcome::Done);
    stuck.gate.open();
}

#[test]
fn a_hung_resource_keeps_its_reports_refused() {
    let (m, _escalations) = monitor(Duration::from_secs(3600), ms(30));
    let r = Scripted::new(Behaviour::HangThenPending);
    let id = m.add("r", Arc::clone(&r));
    assert!(matches!(m.online(id), Err(MonitorError::Hung { .. })));
    r.gate.open();
    // The call returns Pending late, with a handle: its reports are refused.
    let start = std::time::Instant::now();
    while r.handles.lock().expect("not poisoned").is_empty() {
        assert!(start.elapsed() < GUARD);
        thread::sleep(ms(1));
    }
    assert_eq!(
        r.handle().set_resource_status(Online, 1),
        ExitState::Terminate
    );
    assert_eq!(m.state(id).expect("known"), Failed);
}

#[test]
fn a_panicking_hook_does_not_stop_the_monitor() {
    let m = Monitor::builder()
        .pending_timeout(ms(20))
        .deadlock_timeout(ms(1000))
        .looks_alive_interval(None)
        .is_alive_interval(None)
        .on_escalation(|_| panic!("the hook panics on purpose"))
        .start()
        .expect("start");
    let events = m.subscribe();
    let a = Scripted::new(Behaviour::Manual);
    a.terminate_hangs.store(true, SeqCst);
    let a_id = m.add("a", Arc::clone(&a));
    m.online(a_id).expect("online");
    until(&events, |e| {
        e.cause == Cause::Escalated(EntryPoint::Terminate)
    });
    // The monitor thread still runs timers: another heartbeat expires.
    let b = m.add("b", Scripted::new(Behaviour::Manual));
    m.online(b).expect("online");
    until(&events, |e| {
        e.resource == b && e.cause == Cause::HeartbeatExpired
    });
    a.gate.open();
}
