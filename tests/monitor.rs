//! The monitor's rules: states, rejected calls, reports and checkpoints, the
//! PendingTimeout heartbeat, terminate, events.

mod monitor_support;

use std::sync::Arc;
use std::time::Duration;

use clusworker::monitor::{
    Cause, EntryPoint, ExitState, Monitor, MonitorError, Operation, Outcome, ReportError,
    RequestError, ResourceState::*, StartError, StatusError, Timeouts,
};
use monitor_support::{Behaviour, Scripted, ms, path, until};

/// A monitor whose timeouts never fire during a test, and no polls.
fn quiet() -> Monitor {
    Monitor::builder()
        .pending_timeout(Duration::from_secs(3600))
        .deadlock_timeout(Duration::from_secs(3600))
        .looks_alive_interval(None)
        .is_alive_interval(None)
        .start()
        .expect("start a monitor")
}

/// PendingTimeout `pending`; DeadlockTimeout large.
fn heartbeat(pending: Duration) -> Monitor {
    Monitor::builder()
        .pending_timeout(pending)
        .deadlock_timeout(Duration::from_secs(3600))
        .looks_alive_interval(None)
        .is_alive_interval(None)
        .start()
        .expect("start a monitor")
}

#[test]
fn a_new_resource_is_offline() {
    let m = quiet();
    let id = m.add("r", Scripted::new(Behaviour::Done));
    assert_eq!(m.state(id).expect("known"), Offline);
    assert_eq!(id.index(), 0);
}

#[test]
fn online_done_goes_to_online_through_online_pending() {
    let m = quiet();
    let events = m.subscribe();
    let id = m.add("r", Scripted::new(Behaviour::Done));
    assert_eq!(m.online(id).expect("online"), Outcome::Done);
    assert_eq!(m.state(id).expect("known"), Online);
    let seen: Vec<_> = events.try_iter().collect();
    assert_eq!(
        path(&seen),
        [(Offline, OnlinePending), (OnlinePending, Online)]
    );
    assert_eq!(seen[0].cause, Cause::Requested(Operation::Online));
    assert_eq!(
        seen[1].cause,
        Cause::Returned(EntryPoint::Online, Outcome::Done)
    );
    assert!(
        seen[0].at <= seen[1].at,
        "events are in time order: {seen:#?}"
    );
    assert_eq!(&*seen[0].name, "r");
}

#[test]
fn online_failed_marks_the_resource_failed_with_its_code() {
    let m = quiet();
    let events = m.subscribe();
    let id = m.add("r", Scripted::new(Behaviour::Fail(5)));
    assert_eq!(
        m.online(id).expect("the call itself worked"),
        Outcome::Failed(5)
    );
    assert_eq!(m.state(id).expect("known"), Failed);
    let last = events.try_iter().last().expect("events");
    assert_eq!(
        last.cause,
        Cause::Returned(EntryPoint::Online, Outcome::Failed(5))
    );
    // A failed resource may be brought online again.
    assert!(m.online(id).is_ok());
}

#[test]
fn online_while_online_pending_is_rejected_and_changes_nothing() {
    let m = quiet();
    let r = Scripted::new(Behaviour::Manual);
    let id = m.add("r", Arc::clone(&r));
    assert_eq!(m.online(id).expect("online"), Outcome::Pending);
    let before = m.info(id).expect("known");
    let events = m.subscribe();
    match m.online(id) {
        Err(MonitorError::Rejected {
            resource,
            error:
                RequestError::Pending {
                    requested: Operation::Online,
                    pending: Operation::Online,
                },
        }) => assert_eq!(resource, id),
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert!(matches!(
        m.offline(id),
        Err(MonitorError::Rejected {
            error: RequestError::Pending { .. },
            ..
        })
    ));
    assert_eq!(m.info(id).expect("known"), before, "nothing changed");
    assert_eq!(
        r.count(EntryPoint::Online),
        1,
        "the entry point was not called again"
    );
    assert_eq!(events.try_iter().count(), 0, "no transition");
    // The handle still works: the rejected calls did not end the operation.
    assert_eq!(
        r.handle().set_resource_status(OnlinePending, 1),
        ExitState::Continue
    );
}

#[test]
fn online_when_online_and_offline_when_offline_are_rejected() {
    let m = quiet();
    let id = m.add("r", Scripted::new(Behaviour::Done));
    let e = m.offline(id).expect_err("offline while offline");
    assert!(matches!(
        e,
        MonitorError::Rejected {
            error: RequestError::AlreadyThere { .. },
            ..
        }
    ));
    assert!(
        e.to_string().contains("already Offline"),
        "a clear message: {e}"
    );
    m.online(id).expect("online");
    assert!(matches!(
        m.online(id),
        Err(MonitorError::Rejected {
            error: RequestError::AlreadyThere { state: Online, .. },
            ..
        })
    ));
    assert_eq!(m.state(id).expect("known"), Online);
}

#[test]
fn an_id_from_another_monitor_is_unknown() {
    let a = quiet();
    let b = quiet();
    a.add("a0", Scripted::new(Behaviour::Done));
    let a1 = a.add("a1", Scripted::new(Behaviour::Done));
    b.add("b0", Scripted::new(Behaviour::Done));
    assert!(matches!(b.online(a1), Err(MonitorError::UnknownResource(id)) if id == a1));
    assert!(matches!(b.state(a1), Err(MonitorError::UnknownResource(_))));
    assert!(matches!(
        b.terminate(a1),
        Err(MonitorError::UnknownResource(_))
    ));
}

#[test]
fn reports_with_rising_checkpoints_keep_the_operation_going_until_online() {
    let m = quiet();
    let events = m.subscribe();
    let r = Scripted::new(Behaviour::Manual);
    let id = m.add("r", Arc::clone(&r));
    assert_eq!(m.online(id).expect("online"), Outcome::Pending);
    let h = r.handle();
    for cp in [1, 2, 7] {
        assert_eq!(h.report(OnlinePending, cp), Ok(ExitState::Continue));
        assert_eq!(m.info(id).expect("known").checkpoint, Some(cp));
    }
    assert_eq!(m.state(id).expect("known"), OnlinePending);
    assert_eq!(h.report(Online, 8), Ok(ExitState::Continue));
    assert_eq!(m.state(id).expect("known"), Online);
    let seen: Vec<_> = events.try_iter().collect();
    assert_eq!(
        path(&seen),
        [(Offline, OnlinePending), (OnlinePending, Online)]
    );
    assert_eq!(seen[1].cause, Cause::Reported { checkpoint: 8 });
}

#[test]
fn a_stale_checkpoint_is_rejected_and_is_not_a_heartbeat() {
    let m = quiet();
    let r = Scripted::new(Behaviour::Manual);
    let id = m.add("r", Arc::clone(&r));
    m.online(id).expect("online");
    let h = r.handle();
    h.report(OnlinePending, 3).expect("valid");
    let before = m.info(id).expect("known");
    // So that a heartbeat would move the deadline: the heartbeat's
    // lock-free path dates reports with a coarse clock (4 ms on Linux).
    std::thread::sleep(ms(20));
    for stale in [3, 2, 0] {
        assert_eq!(
            h.report(OnlinePending, stale),
            Err(StatusError::Rejected(ReportError::StaleCheckpoint {
                previous: 3,
                reported: stale
            }))
        );
        assert_eq!(
            h.set_resource_status(OnlinePending, stale),
            ExitState::Continue
        );
    }
    assert_eq!(
        m.info(id).expect("known"),
        before,
        "deadline and checkpoint unchanged"
    );
    // A fresh checkpoint is a heartbeat: the deadline moves later.
    h.report(OnlinePending, 4).expect("valid");
    let after = m.info(id).expect("known");
    assert!(
        after.deadline > before.deadline,
        "{before:?} then {after:?}"
    );
}

#[test]
fn the_first_report_needs_a_checkpoint_above_zero() {
    let m = quiet();
    let r = Scripted::new(Behaviour::Manual);
    let id = m.add("r", Arc::clone(&r));
    m.online(id).expect("online");
    assert_eq!(
        r.handle().report(OnlinePending, 0),
        Err(StatusError::Rejected(ReportError::StaleCheckpoint {
            previous: 0,
            reported: 0
        }))
    );
}

#[test]
fn a_report_into_a_state_the_operation_cannot_reach_is_rejected() {
    let m = quiet();
    let r = Scripted::new(Behaviour::Manual);
    let id = m.add("r", Arc::clone(&r));
    m.online(id).expect("online");
    let h = r.handle();
    for s in [OfflinePending, Offline, Unknown] {
        let e = h.report(s, 1).expect_err("unreachable");
        assert_eq!(
            e,
            StatusError::Rejected(ReportError::Unreachable {
                operation: Operation::Online,
                reported: s
            })
        );
        assert!(
            e.to_string().contains("cannot lead to"),
            "a clear message: {e}"
        );
    }
    assert_eq!(m.state(id).expect("known"), OnlinePending);
    assert_eq!(m.info(id).expect("known").checkpoint, Some(0));
}

#[test]
fn a_report_when_nothing_is_pending_is_rejected_and_told_to_terminate() {
    let m = quiet();
    let r = Scripted::new(Behaviour::Manual);
    let id = m.add("r", Arc::clone(&r));
    m.online(id).expect("online");
    let h = r.handle();
    h.report(Online, 1).expect("valid");
    assert_eq!(
        h.report(OnlinePending, 2),
        Err(StatusError::Rejected(ReportError::NotPending {
            state: Online
        }))
    );
    assert_eq!(h.set_resource_status(Online, 3), ExitState::Terminate);
    assert_eq!(m.state(id).expect("known"), Online);
}

#[test]
fn a_handle_of_an_earlier_operation_is_refused() {
    let m = quiet();
    let r = Scripted::new(Behaviour::Manual).with_offline(Behaviour::Manual);
    let id = m.add("r", Arc::clone(&r));
    m.online(id).expect("online");
    let online_handle = r.handle();
    online_handle.report(Online, 1).expect("valid");
    m.offline(id).expect("offline");
    // The offline operation is pending; the online handle cannot report
    // into it, even with a state the offline operation could reach.
    assert_eq!(
        online_handle.report(OfflinePending, 5),
        Err(StatusError::Ended)
    );
    assert_eq!(
        r.handle().report(OfflinePending, 1),
        Ok(ExitState::Continue)
    );
}

#[test]
fn an_offline_operation_reports_offline_pending_then_offline() {
    let m = quiet();
    let events = m.subscribe();
    let r = Scripted::new(Behaviour::Done).with_offline(Behaviour::Manual);
    let id = m.add("r", Arc::clone(&r));
    m.online(id).expect("online");
    assert_eq!(m.offline(id).expect("offline"), Outcome::Pending);
    let h = r.handle();
    assert!(matches!(
        h.report(OnlinePending, 1),
        Err(StatusError::Rejected(ReportError::Unreachable { .. }))
    ));
    h.report(OfflinePending, 1).expect("valid");
    h.report(Offline, 2).expect("valid");
    let seen: Vec<_> = events.try_iter().collect();
    assert_eq!(
        path(&seen),
        [
            (Offline, OnlinePending),
            (OnlinePending, Online),
            (Online, OfflinePending),
            (OfflinePending, Offline)
        ]
    );
}

#[test]
fn a_worker_that_reports_in_time_keeps_its_operation_alive() {
    // Reports every 2 ms, PendingTimeout 10 s: the operation outlives no
    // heartbeat, whatever the load on the machine within reason.
    let m = heartbeat(Duration::from_secs(10));
    let events = m.subscribe();
    let r = Scripted::new(Behaviour::Steps {
        n: 20,
        every: ms(2),
    });
    let id = m.add("r", Arc::clone(&r));
    assert_eq!(m.online(id).expect("online"), Outcome::Pending);
    let seen = until(&events, |e| !e.to.is_pending());
    assert_eq!(
        path(&seen),
        [(Offline, OnlinePending), (OnlinePending, Online)]
    );
    assert_eq!(seen[1].cause, Cause::Reported { checkpoint: 21 });
    // The event is sent during the final report; the worker records the
    // answer just after. Wait for it.
    let start = std::time::Instant::now();
    while r.answers.lock().expect("not poisoned").len() < 21 {
        assert!(
            start.elapsed() < monitor_support::GUARD,
            "the worker never finished"
        );
        std::thread::sleep(ms(1));
    }
    let answers = r.answers.lock().expect("not poisoned").clone();
    assert_eq!(answers, vec![ExitState::Continue; 21]);
}

#[test]
fn silence_past_pending_timeout_fails_the_resource_and_calls_terminate() {
    let m = heartbeat(ms(30));
    let events = m.subscribe();
    let r = Scripted::new(Behaviour::Manual);
    let id = m.add("r", Arc::clone(&r));
    m.online(id).expect("online");
    let seen = until(&events, |e| e.to == Failed);
    assert_eq!(
        path(&seen),
        [(Offline, OnlinePending), (OnlinePending, Failed)]
    );
    assert_eq!(seen[1].cause, Cause::HeartbeatExpired);
    // Terminate is called (on a call thread, so wait for it).
    let start = std::time::Instant::now();
    while r.count(EntryPoint::Terminate) == 0 {
        assert!(
            start.elapsed() < monitor_support::GUARD,
            "terminate never called"
        );
        std::thread::sleep(ms(1));
    }
    assert_eq!(r.calls(), [EntryPoint::Online, EntryPoint::Terminate]);
    // The worker's next report is told to terminate, and changes nothing.
    let h = r.handle();
    assert_eq!(h.report(OnlinePending, 1), Err(StatusError::Ended));
    assert_eq!(h.set_resource_status(Online, 2), ExitState::Terminate);
    assert_eq!(m.state(id).expect("known"), Failed);
}

#[test]
fn a_silent_worker_is_terminated_by_the_heartbeat() {
    let m = heartbeat(ms(20));
    let events = m.subscribe();
    let r = Scripted::new(Behaviour::Silent);
    let id = m.add("r", Arc::clone(&r));
    m.online(id).expect("online");
    let seen = until(&events, |e| e.to == Failed);
    assert_eq!(seen.last().map(|e| e.cause), Some(Cause::HeartbeatExpired));
    // Terminate drops the worker, which terminates and joins it: the
    // resource can come online again afterwards.
    let start = std::time::Instant::now();
    while r.count(EntryPoint::Terminate) == 0 || m.stats().calls_in_flight > 0 {
        assert!(
            start.elapsed() < monitor_support::GUARD,
            "terminate never returned"
        );
        std::thread::sleep(ms(1));
    }
    *r.online.lock().expect("not poisoned") = Behaviour::Done;
    assert_eq!(m.online(id).expect("online again"), Outcome::Done);
}

#[test]
fn pending_timeout_above_deadlock_timeout_uses_deadlock_timeout() {
    let m = Monitor::builder()
        .pending_timeout(Duration::from_secs(3600))
        .deadlock_timeout(Duration::from_secs(2))
        .looks_alive_interval(None)
        .is_alive_interval(None)
        .start()
        .expect("start");
    let id = m.add("r", Scripted::new(Behaviour::Manual));
    m.online(id).expect("online");
    let now = m.elapsed();
    // The heartbeat counts from the pending return, which came before `now`:
    // with the hour-long PendingTimeout in effect it would be far later.
    let deadline = m.info(id).expect("known").deadline.expect("pending");
    assert!(
        deadline <= now + Duration::from_secs(2),
        "deadline {deadline:?} at {now:?}: PendingTimeout was not capped by DeadlockTimeout"
    );
}

#[test]
fn each_resource_may_have_its_own_timeouts() {
    let m = quiet();
    let events = m.subscribe();
    let t = Timeouts::new(ms(20), Duration::from_secs(3600)).expect("valid");
    let slow = m.add("default timeouts", Scripted::new(Behaviour::Manual));
    let fast = m.add_with_timeouts("20 ms", Scripted::new(Behaviour::Manual), t);
    m.online(slow).expect("online");
    m.online(fast).expect("online");
    let seen = until(&events, |e| e.to == Failed);
    assert_eq!(seen.last().map(|e| e.resource), Some(fast));
    assert_eq!(m.state(slow).expect("known"), OnlinePending);
}

#[test]
fn terminate_ends_the_pending_operation_and_leaves_the_resource_offline() {
    let m = quiet();
    let events = m.subscribe();
    let r = Scripted::new(Behaviour::Manual);
    let id = m.add("r", Arc::clone(&r));
    m.online(id).expect("online");
    m.terminate(id).expect("terminate");
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
}

#[test]
fn a_panicking_entry_point_fails_the_resource() {
    let m = quiet();
    let events = m.subscribe();
    let id = m.add("r", Scripted::new(Behaviour::Panic));
    match m.online(id) {
        Err(MonitorError::Panicked {
            resource,
            entry_point: EntryPoint::Online,
        }) => assert_eq!(resource, id),
        other => panic!("expected Panicked, got {other:?}"),
    }
    assert_eq!(m.state(id).expect("known"), Failed);
    assert_eq!(
        events.try_iter().last().map(|e| e.cause),
        Some(Cause::Panicked(EntryPoint::Online))
    );
    // The monitor and its call threads survived.
    let other = m.add("other", Scripted::new(Behaviour::Done));
    assert_eq!(m.online(other).expect("online"), Outcome::Done);
}

#[test]
fn a_report_from_the_entry_point_itself_before_it_returns_pending_counts() {
    // The worker may report before `online` returns: the later `Pending`
    // return must not undo the report.
    let m = quiet();
    let r = Scripted::new(Behaviour::Steps { n: 0, every: ms(0) });
    let events = m.subscribe();
    let id = m.add("r", Arc::clone(&r));
    assert_eq!(m.online(id).expect("online"), Outcome::Pending);
    until(&events, |e| e.to == Online);
    assert_eq!(m.state(id).expect("known"), Online);
}

#[test]
fn timeouts_and_intervals_below_ten_milliseconds_are_refused() {
    let e = Monitor::builder()
        .pending_timeout(ms(9))
        .start()
        .expect_err("too short");
    assert!(matches!(e, StartError::Timeouts(_)), "{e}");
    let e = Monitor::builder()
        .deadlock_timeout(ms(0))
        .start()
        .expect_err("too short");
    assert!(matches!(e, StartError::Timeouts(_)), "{e}");
    let e = Monitor::builder()
        .looks_alive_interval(Some(ms(1)))
        .start()
        .expect_err("too short");
    assert!(
        matches!(
            e,
            StartError::Interval {
                entry_point: EntryPoint::LooksAlive,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        Monitor::builder()
            .pending_timeout(ms(10))
            .deadlock_timeout(ms(10))
            .start()
            .is_ok()
    );
}

#[test]
fn reports_after_the_monitor_is_dropped_are_told_to_terminate() {
    let m = quiet();
    let r = Scripted::new(Behaviour::Manual);
    let id = m.add("r", Arc::clone(&r));
    m.online(id).expect("online");
    drop(m);
    assert_eq!(
        r.handle().report(OnlinePending, 1),
        Err(StatusError::Stopped)
    );
    assert_eq!(
        r.handle().set_resource_status(OnlinePending, 2),
        ExitState::Terminate
    );
}

#[test]
fn dropping_a_monitor_with_running_workers_does_not_hang() {
    let m = heartbeat(Duration::from_secs(3600));
    for i in 0..8 {
        let id = m.add(
            format!("r{i}"),
            Scripted::new(Behaviour::Steps {
                n: 1_000_000,
                every: ms(1),
            }),
        );
        m.online(id).expect("online");
    }
    drop(m); // the workers' next reports are answered Terminate
}
