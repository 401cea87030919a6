//! LooksAlive / IsAlive polls while a resource is online.

mod monitor_support;

use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

use clusworker::monitor::{Cause, EntryPoint, Monitor, ResourceState::*};
use monitor_support::{Behaviour, GUARD, Scripted, ms, until};

fn polling(looks: Option<Duration>, is: Option<Duration>) -> Monitor {
    Monitor::builder()
        .pending_timeout(Duration::from_secs(3600))
        .deadlock_timeout(Duration::from_secs(3600))
        .looks_alive_interval(looks)
        .is_alive_interval(is)
        .start()
        .expect("start a monitor")
}

fn wait_for(what: &str, f: impl Fn() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < GUARD,
            "{what} did not happen within {GUARD:?}"
        );
        std::thread::sleep(ms(1));
    }
}

#[test]
fn an_online_resource_is_polled_and_an_offline_one_is_not() {
    let m = polling(Some(ms(10)), Some(ms(15)));
    let r = Scripted::new(Behaviour::Done);
    let id = m.add("r", Arc::clone(&r));
    std::thread::sleep(ms(30));
    assert_eq!(r.calls(), [], "not polled while offline");
    m.online(id).expect("online");
    wait_for("three LooksAlive and two IsAlive polls", || {
        r.count(EntryPoint::LooksAlive) >= 3 && r.count(EntryPoint::IsAlive) >= 2
    });
    assert_eq!(m.state(id).expect("known"), Online);
    m.offline(id).expect("offline");
    // A poll already started when offline began may still finish; then no
    // more start.
    wait_for("the polls in flight to return", || {
        m.stats().calls_in_flight == 0
    });
    let after = r.calls().len();
    std::thread::sleep(ms(60));
    assert_eq!(
        r.calls().len(),
        after,
        "polled after offline: {:?}",
        r.calls()
    );
}

#[test]
fn a_failed_is_alive_marks_the_resource_failed() {
    let m = polling(None, Some(ms(10)));
    let events = m.subscribe();
    let r = Scripted::new(Behaviour::Done);
    let id = m.add("r", Arc::clone(&r));
    m.online(id).expect("online");
    wait_for("an IsAlive poll", || r.count(EntryPoint::IsAlive) >= 1);
    r.is_alive.store(false, SeqCst);
    let seen = until(&events, |e| e.to == Failed);
    let last = seen.last().expect("an event");
    assert_eq!((last.from, last.cause), (Online, Cause::IsAliveFailed));
    // No more polls once failed.
    let polls = r.count(EntryPoint::IsAlive);
    std::thread::sleep(ms(50));
    assert_eq!(r.count(EntryPoint::IsAlive), polls);
}

#[test]
fn a_failed_looks_alive_asks_is_alive_at_once() {
    // IsAlive is polled once an hour; a failed LooksAlive asks it now.
    let m = polling(Some(ms(10)), Some(Duration::from_secs(3600)));
    let events = m.subscribe();
    let r = Scripted::new(Behaviour::Done);
    r.looks_alive.store(false, SeqCst);
    r.is_alive.store(false, SeqCst);
    let id = m.add("r", Arc::clone(&r));
    m.online(id).expect("online");
    let seen = until(&events, |e| e.to == Failed);
    assert_eq!(seen.last().map(|e| e.cause), Some(Cause::IsAliveFailed));
    let calls = r.calls();
    assert_eq!(
        &calls[..3],
        [
            EntryPoint::Online,
            EntryPoint::LooksAlive,
            EntryPoint::IsAlive
        ]
    );
}

#[test]
fn a_failed_looks_alive_with_a_healthy_is_alive_stays_online() {
    let m = polling(Some(ms(10)), Some(Duration::from_secs(3600)));
    let r = Scripted::new(Behaviour::Done);
    r.looks_alive.store(false, SeqCst);
    let id = m.add("r", Arc::clone(&r));
    m.online(id).expect("online");
    wait_for("two IsAlive calls", || r.count(EntryPoint::IsAlive) >= 2);
    assert_eq!(m.state(id).expect("known"), Online);
}
