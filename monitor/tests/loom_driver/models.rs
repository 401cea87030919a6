//! The models, (a) to (f): each explores one race of the driver, with or
//! without a mutant put in.

use std::sync::Arc as StdArc;
use std::time::Duration;

use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::{Arc, Mutex};
use loom::thread;

use clusworker_monitor::loom::{Mutant, check, join_call_threads};
use clusworker_monitor::{
    Cause, EntryPoint, ExitState, MonitorError, Operation, Outcome, ReportError, ResourceState,
    StatusError,
};

use super::fixture::{DEADLOCK, EARLY, KEEP_ALIVE, Keeper, PENDING, POLL, Probe, builder, start};

/// (a) A worker's heartbeat races the expiry of its PendingTimeout. Either
/// the report is accepted (it came before the deadline) and the resource
/// fails only at the deadline that report set, or it is refused (`Late`:
/// it came at the deadline; `Ended`: the expiry came first) and the
/// resource fails at that deadline; in both, `Terminate` is called. Never
/// accepted and failed at the same deadline.
pub(crate) fn report_vs_expiry() {
    check(Some(2), || {
        let probe = StdArc::new(Probe {
            keep_status: true,
            ..Probe::new(Outcome::Pending)
        });
        let monitor = start(None, None);
        let events = monitor.subscribe();
        let id = monitor.add("r", StdArc::clone(&probe));
        let online = monitor.online(id);
        assert!(
            matches!(online, Ok(Outcome::Pending)),
            "online: expected Ok(Pending), got {online:?}"
        );
        let status = probe.take_status();
        monitor.loom_set_clock(EARLY);
        let worker = thread::spawn(move || status.report(ResourceState::OnlinePending, 1));
        monitor.loom_set_clock(PENDING);
        let report = worker.join().expect("the worker returns");
        let failed_at = match report {
            Ok(ExitState::Continue) => {
                // The deadline moved to EARLY + PENDING: not failed before.
                monitor.loom_set_clock(EARLY + PENDING);
                EARLY + PENDING
            }
            Err(StatusError::Rejected(ReportError::Late { .. }) | StatusError::Ended) => PENDING,
            other => panic!("the report: expected Continue, Late or Ended, got {other:?}"),
        };
        probe.terminated.wait();
        drop(monitor);
        let seen: Vec<_> = events.try_iter().map(|e| (e.to, e.cause, e.at)).collect();
        let online = Cause::Requested(Operation::Online);
        let expected = [
            (ResourceState::OnlinePending, online, Duration::ZERO),
            (ResourceState::Failed, Cause::HeartbeatExpired, failed_at),
        ];
        assert_eq!(
            seen, expected,
            "events after the report answered {report:?}: expected {expected:?}, got {seen:?}"
        );
    });
}

/// (b) A host waits on the driver's `done` for its call while the call
/// thread returns: `online`, then `offline`. Each wakes with its call's
/// end.
pub(crate) fn host_waits_for_its_call(mutant: Option<Mutant>) {
    check(Some(3), move || {
        let probe = StdArc::new(Probe::new(Outcome::Done));
        let monitor = start(mutant, None);
        let id = monitor.add("r", StdArc::clone(&probe));
        for (op, got) in [
            ("online", monitor.online(id)),
            ("offline", monitor.offline(id)),
        ] {
            assert!(
                matches!(got, Ok(Outcome::Done)),
                "{op}: expected Ok(Done), got {got:?}"
            );
        }
    });
}

/// (b') Two hosts wait on `done` at once for different calls: `online`
/// racing another host's `terminate`. Each wakes with its own call's end,
/// and the state agrees with the events: `Offline` (the terminate's) unless
/// the online call was made after the terminate returned.
pub(crate) fn hosts_wait_for_their_calls() {
    check(Some(2), move || {
        let probe = StdArc::new(Probe::new(Outcome::Done));
        let monitor = Arc::new(start(None, None));
        let events = monitor.subscribe();
        let id = monitor.add("r", StdArc::clone(&probe));
        let other = Arc::clone(&monitor);
        let terminator = thread::spawn(move || other.terminate(id));
        let online = monitor.online(id);
        let terminated = terminator.join().expect("the terminating host returns");
        assert!(
            terminated.is_ok(),
            "terminate: expected Ok, got {terminated:?}"
        );
        let state = monitor.state(id).expect("the resource is known");
        // No event at all: the terminate came first, and left it `Offline`.
        let last = events
            .try_iter()
            .last()
            .map_or(ResourceState::Offline, |e| e.to);
        match online {
            Ok(Outcome::Done) => assert!(
                matches!(state, ResourceState::Online | ResourceState::Offline),
                "online answered Done: expected Online or Offline, got {state:?}"
            ),
            Err(MonitorError::Terminating(_)) => assert_eq!(
                state,
                ResourceState::Offline,
                "online ended by terminate: expected Offline, got {state:?}"
            ),
            other => panic!("online racing terminate: expected Done or Terminating, got {other:?}"),
        }
        assert_eq!(
            last, state,
            "the last event's state: expected the resource's, {state:?}, got {last:?}"
        );
    });
}

/// (c) An `Online` call hangs: when the model's clock reaches
/// DeadlockTimeout, the timer thread declares it hung, the waiting host
/// returns `Hung`, the resource is failed and isolated, and the escalation
/// hook runs once. The call's late return changes nothing: no event after
/// the escalation's.
pub(crate) fn hung_call(mutant: Option<Mutant>) {
    check(Some(3), move || {
        let probe = StdArc::new(Probe {
            hang_online: true,
            ..Probe::new(Outcome::Done)
        });
        let escalations = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&escalations);
        let monitor = builder(mutant, None)
            .on_escalation(move |_| {
                counted.fetch_add(1, Ordering::SeqCst);
            })
            .start()
            .expect("the monitor starts");
        let monitor = Arc::new(monitor);
        let events = monitor.subscribe();
        let id = monitor.add("r", StdArc::clone(&probe));
        let host = Arc::clone(&monitor);
        let host = thread::spawn(move || host.online(id));
        probe.entered.wait();
        monitor.loom_set_clock(DEADLOCK);
        let online = host.join().expect("the host returns");
        assert!(
            matches!(
                online,
                Err(MonitorError::Hung { resource, entry_point: EntryPoint::Online, waited })
                    if resource == id && waited == DEADLOCK
            ),
            "online past DeadlockTimeout: expected Hung, got {online:?}"
        );
        let info = monitor.info(id).expect("the resource is known");
        assert_eq!(
            (info.state, info.isolated),
            (ResourceState::Failed, true),
            "after the hang: expected Failed and isolated, got {info:?}"
        );
        probe.release.raise(); // the late return
        drop(monitor); // the last reference: the host's went with it
        join_call_threads();
        let escalated = escalations.load(Ordering::SeqCst);
        assert_eq!(escalated, 1, "escalations: expected 1, got {escalated}");
        let seen: Vec<_> = events.try_iter().map(|e| (e.to, e.cause)).collect();
        let expected = [
            (
                ResourceState::OnlinePending,
                Cause::Requested(Operation::Online),
            ),
            (ResourceState::Failed, Cause::Escalated(EntryPoint::Online)),
        ];
        assert_eq!(
            seen, expected,
            "events: expected {expected:?} and nothing after the late return, got {seen:?}"
        );
    });
}

/// (d) The monitor is dropped while a `LooksAlive` poll runs and a worker
/// reports. The drop returns (the timer thread stops), the poll's thread
/// exits once the poll returns, the report racing the drop is answered
/// as before it (`NotPending`: the resource is online) or `Stopped`, and a
/// report after the drop is `Stopped`.
pub(crate) fn drop_while_a_call_runs(mutant: Option<Mutant>) {
    check(Some(2), move || {
        let probe = StdArc::new(Probe {
            keep_status: true,
            hang_looks_alive: true,
            ..Probe::new(Outcome::Done)
        });
        let monitor = start(mutant, Some(POLL));
        let id = monitor.add("r", StdArc::clone(&probe));
        let online = monitor.online(id);
        assert!(
            matches!(online, Ok(Outcome::Done)),
            "online: expected Ok(Done), got {online:?}"
        );
        let status = probe.take_status();
        let late = status.clone();
        monitor.loom_set_clock(POLL);
        probe.entered.wait(); // the poll runs
        let worker = thread::spawn(move || status.report(ResourceState::OnlinePending, 1));
        drop(monitor);
        let after = late.report(ResourceState::OnlinePending, 2);
        assert_eq!(
            after,
            Err(StatusError::Stopped),
            "a report after the drop: expected Stopped, got {after:?}"
        );
        probe.release.raise();
        let racing = worker.join().expect("the worker returns");
        assert!(
            matches!(
                racing,
                Err(StatusError::Stopped | StatusError::Rejected(ReportError::NotPending { .. }))
            ),
            "a report racing the drop: expected Stopped or NotPending, got {racing:?}"
        );
        drop(late);
        join_call_threads();
    });
}

/// (e) The only call thread's keep-alive runs out (the model's clock
/// reaches it) while a host submits a call: the idle thread either takes
/// the call or exits and a new one is started for it. The host always
/// gets its answer. The clock's leap also fires the offline's heartbeat
/// while its own call is queued (a burst that decides nothing), which may
/// race the drop: the drop still stops the timer thread (the bug fixed in
/// 54e67a6 was a deadlock here).
pub(crate) fn keep_alive_vs_a_new_call(mutant: Option<Mutant>) {
    check(Some(2), move || {
        let probe = StdArc::new(Probe::new(Outcome::Done));
        // A call's DeadlockTimeout past the jump of the clock: the call is
        // not declared hung when the model's time leaps over it.
        let monitor = builder(mutant, None)
            .deadlock_timeout(2 * KEEP_ALIVE)
            .start()
            .expect("the monitor starts");
        let monitor = Arc::new(monitor);
        let id = monitor.add("r", StdArc::clone(&probe));
        let online = monitor.online(id); // starts the call thread, then idle
        assert!(
            matches!(online, Ok(Outcome::Done)),
            "online: expected Ok(Done), got {online:?}"
        );
        let clock = Arc::clone(&monitor);
        let clock = thread::spawn(move || clock.loom_set_clock(KEEP_ALIVE));
        let offline = monitor.offline(id);
        assert!(
            matches!(offline, Ok(Outcome::Done)),
            "offline as the keep-alive ran out: expected Ok(Done), got {offline:?}"
        );
        clock.join().expect("the clock moves");
    });
}

/// (f) The monitor is dropped as soon as `online` returns, while the call
/// thread that made the call winds down: the resource, which holds a
/// status handle and so the driver, is dropped before the drop returns,
/// on the host's thread. Left in the driver, the two keep each other
/// alive (loom reports the driver's leak); let go of by the call thread
/// only after the host learned the call returned, it is dropped later, on
/// that thread.
pub(crate) fn drop_lets_go_of_a_resource_holding_its_handle(mutant: Option<Mutant>) {
    check(Some(2), move || {
        let dropped = StdArc::new(AtomicBool::new(false));
        let monitor = start(mutant, None);
        let resource = Keeper {
            status: Mutex::new(None),
            dropped: StdArc::clone(&dropped),
        };
        let id = monitor.add("r", resource);
        let online = monitor.online(id);
        assert!(
            matches!(online, Ok(Outcome::Done)),
            "online: expected Ok(Done), got {online:?}"
        );
        drop(monitor);
        assert!(
            dropped.load(Ordering::SeqCst),
            "expected the resource dropped when the monitor's drop returned; it was not"
        );
        join_call_threads();
    });
}

/// (g) Two hosts ask for a health check of one online resource at once:
/// both wake, each with `IsAlive`'s answer, from one call when the second
/// asked while the first's was queued or running, else from two.
///
/// Bound 1: the race that matters (the second host asking while the
/// first's call is queued or running) takes one preemption; the model
/// requires that some execution reached it.
pub(crate) fn hosts_check_together(mutant: Option<Mutant>) {
    static SHARED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    check(Some(1), move || {
        let probe = StdArc::new(Probe::new(Outcome::Done));
        let monitor = Arc::new(start(mutant, None));
        let id = monitor.add("r", StdArc::clone(&probe));
        monitor.online(id).expect("the resource comes online");
        let other = Arc::clone(&monitor);
        let checker = thread::spawn(move || other.is_alive(id));
        let mine = monitor.is_alive(id);
        let theirs = checker.join().expect("the other host returns");
        assert!(
            matches!(mine, Ok(true)),
            "this host: expected Ok(true), got {mine:?}"
        );
        assert!(
            matches!(theirs, Ok(true)),
            "the other host: expected Ok(true), got {theirs:?}"
        );
        let calls = probe.is_alive_calls.load(Ordering::Relaxed);
        assert!(
            (1..=2).contains(&calls),
            "expected one or two IsAlive calls, got {calls}"
        );
        if calls == 1 {
            SHARED.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    });
    assert!(
        SHARED.load(std::sync::atomic::Ordering::Relaxed),
        "no execution had the two hosts share one call"
    );
}
