//! An idle monitor sleeps: 10 000 pending resources, and the monitor thread
//! does not wake up (counted in wake-ups, not in time).

mod monitor_support;

use std::sync::Arc;
use std::time::Duration;

use clusworker::monitor::{Monitor, Outcome, ResourceState};
use monitor_support::{Behaviour, Scripted, ms};

#[test]
fn an_idle_monitor_with_ten_thousand_pending_resources_does_not_wake() {
    let m = Monitor::builder()
        .pending_timeout(Duration::from_secs(3600))
        .deadlock_timeout(Duration::from_secs(3600))
        .start()
        .expect("start a monitor");
    let r = Scripted::new(Behaviour::Manual);
    let ids: Vec<_> = (0..10_000)
        .map(|i| m.add(format!("r{i}"), Arc::clone(&r)))
        .collect();
    for &id in &ids {
        assert_eq!(m.online(id).expect("online"), Outcome::Pending);
    }
    // Every resource is pending, with a heartbeat timer and a (moot)
    // deadlock timer each.
    let states = m.resources();
    assert!(
        states
            .iter()
            .all(|i| i.state == ResourceState::OnlinePending)
    );
    let before = m.stats();
    assert!(before.timers >= 10_000, "{before:?}");
    // Setting up woke the monitor at most a few times (only a timer earlier
    // than all others wakes it).
    assert!(before.wakeups <= 5, "{before:?}");
    // Heartbeats from every resource do not wake it either.
    let handles = r.handles.lock().expect("not poisoned").clone();
    for h in &handles {
        h.report(ResourceState::OnlinePending, 1)
            .expect("a valid heartbeat");
    }
    std::thread::sleep(ms(300));
    let after = m.stats();
    assert_eq!(
        after.wakeups, before.wakeups,
        "the idle monitor woke up: {before:?} then {after:?}"
    );
    assert_eq!(after.calls_in_flight, 0);
}
