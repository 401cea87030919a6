//! Terminate running concurrently with other entry points, and many host
//! threads at once.

mod monitor_support;

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use clusworker::monitor::{
    Cause, EntryPoint, ExitState, Monitor, MonitorError, Outcome, ResourceState::*,
};
use monitor_support::{Behaviour, Scripted, ms, path};

fn quiet() -> Arc<Monitor> {
    Arc::new(
        Monitor::builder()
            .pending_timeout(Duration::from_secs(3600))
            .deadlock_timeout(Duration::from_secs(3600))
            .looks_alive_interval(None)
            .is_alive_interval(None)
            .start()
            .expect("start a monitor"),
    )
}

#[test]
fn terminate_runs_while_online_is_still_running() {
    let m = quiet();
    let events = m.subscribe();
    let r = Scripted::new(Behaviour::HangThenPending);
    let id = m.add("r", Arc::clone(&r));
    let host = {
        let m = Arc::clone(&m);
        thread::spawn(move || m.online(id))
    };
    r.gate.await_waiters(1);
    // Online is blocked inside the resource; terminate is called anyway.
    m.terminate(id).expect("terminate");
    assert_eq!(m.state(id).expect("known"), Offline);
    r.gate.open();
    let online = host.join().expect("no panic");
    assert_eq!(online.expect("the call returned"), Outcome::Pending);
    // The late Pending return does not revive the terminated operation.
    assert_eq!(m.state(id).expect("known"), Offline);
    assert_eq!(
        r.handle().set_resource_status(OnlinePending, 1),
        ExitState::Terminate
    );
    let seen: Vec<_> = events.try_iter().collect();
    assert_eq!(
        path(&seen),
        [(Offline, OnlinePending), (OnlinePending, Offline)]
    );
    assert_eq!(seen[1].cause, Cause::Terminated);
    assert_eq!(r.calls(), [EntryPoint::Online, EntryPoint::Terminate]);
}

#[test]
fn nothing_else_starts_while_terminate_runs() {
    let m = quiet();
    let r = Scripted::new(Behaviour::Done);
    r.terminate_hangs
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let id = m.add("r", Arc::clone(&r));
    let host = {
        let m = Arc::clone(&m);
        thread::spawn(move || m.terminate(id))
    };
    r.gate.await_waiters(1);
    assert!(matches!(m.terminate(id), Err(MonitorError::Terminating(_))));
    assert!(matches!(m.online(id), Err(MonitorError::Terminating(_))));
    r.gate.open();
    host.join().expect("no panic").expect("terminate returned");
    assert_eq!(m.online(id).expect("online after terminate"), Outcome::Done);
}

#[test]
fn many_hosts_and_workers_race_without_hangs_or_inconsistency() {
    let m = quiet();
    let resources: Vec<_> = (0..16)
        .map(|i| {
            let r = Scripted::new(Behaviour::Steps { n: 5, every: ms(1) });
            (m.add(format!("r{i}"), Arc::clone(&r)), r)
        })
        .collect();
    let ids: Vec<_> = resources.iter().map(|(id, _)| *id).collect();
    let hosts: Vec<_> = (0..4)
        .map(|h| {
            let m = Arc::clone(&m);
            let ids = ids.clone();
            thread::spawn(move || {
                for round in 0..20 {
                    for (k, &id) in ids.iter().enumerate() {
                        let r = match (h + round + k) % 3 {
                            0 => m.online(id).map(|_| ()),
                            1 => m.offline(id).map(|_| ()),
                            _ => m.terminate(id),
                        };
                        match r {
                            Ok(())
                            | Err(MonitorError::Rejected { .. } | MonitorError::Terminating(_)) => {
                            }
                            Err(e) => panic!("unexpected error: {e}"),
                        }
                    }
                }
            })
        })
        .collect();
    for h in hosts {
        h.join().expect("a host thread panicked");
    }
    // Settle everything: terminate each resource; it ends Offline.
    for &id in &ids {
        loop {
            match m.terminate(id) {
                Ok(()) => break,
                Err(MonitorError::Terminating(_)) => thread::sleep(ms(1)),
                Err(e) => panic!("unexpected error: {e}"),
            }
        }
        assert_eq!(m.state(id).expect("known"), Offline);
    }
}
