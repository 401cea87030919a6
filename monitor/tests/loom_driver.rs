//! loom models of the monitor's driver: the shipped lock, condition
//! variables, timer thread and call threads (`src/driver/`), on loom's
//! types and the model's clock (`src/sync.rs`).
//!
//! Each model starts a real [`Monitor`] inside `clusworker_monitor::loom::check`:
//! its timer thread and its call threads are loom threads, its clock stands
//! still until the model moves it (`Monitor::loom_set_clock`), and every
//! model ends by dropping the monitor. A wake-up the driver loses leaves a
//! thread blocked for ever, which loom reports as a deadlock; a thread the
//! drop does not stop, likewise.
//!
//! Each model states its preemption bound (the number of times loom may
//! switch away from a thread that could go on): the models start a
//! monitor, two or three threads of the driver and one or two of the
//! model, and every lock taken is a branch point, so unbounded searches
//! run for many minutes. `LOOM_MAX_PREEMPTIONS` overrides the bound.
//!
//! The last tests put one bug at a time into the driver
//! (`MonitorBuilder::loom_mutant`) and require that a model catches it.
//! A failing model may abort its process, so each mutant runs in a child
//! process (this test binary, filtered to one `#[ignore]`d test).
#![cfg(feature = "loom")]

use std::process::Command;
use std::sync::Arc as StdArc;
use std::time::Duration;

use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

use clusworker_monitor::loom::{Mutant, check, join_call_threads};
use clusworker_monitor::{
    Cause, EntryPoint, ExitState, Monitor, MonitorBuilder, MonitorError, Operation, Outcome,
    ReportError, Resource, ResourceState, StatusError, StatusHandle,
};

/// PendingTimeout of every model.
const PENDING: Duration = Duration::from_secs(1);
/// DeadlockTimeout of every model (under the call threads' keep-alive of
/// 5 s: no idle call thread exits in these models).
const DEADLOCK: Duration = Duration::from_secs(2);
/// Half-way to the first heartbeat deadline: a report now moves it.
const EARLY: Duration = Duration::from_millis(500);
/// How long an idle call thread waits for work before it exits (the
/// driver's `KEEP_ALIVE`).
const KEEP_ALIVE: Duration = Duration::from_secs(5);
/// The `LooksAlive` interval of the model that polls.
const POLL: Duration = Duration::from_millis(10);

/// A flag a thread of the model waits for.
#[derive(Default)]
struct Signal {
    raised: Mutex<bool>,
    cv: Condvar,
}

impl Signal {
    fn raise(&self) {
        *self.raised.lock().unwrap() = true;
        self.cv.notify_all();
    }

    fn wait(&self) {
        let mut raised = self.raised.lock().unwrap();
        while !*raised {
            raised = self.cv.wait(raised).unwrap();
        }
    }
}

/// The model's resource: what `online` answers, which entry point hangs
/// until the model releases it, and what the model learns.
#[derive(Default)]
struct Probe {
    online: Option<Outcome>,
    /// `online` keeps its status handle for the model, to report with.
    keep_status: bool,
    status: Mutex<Option<StatusHandle>>,
    hang_online: bool,
    hang_looks_alive: bool,
    /// The hanging entry point began.
    entered: Signal,
    /// The model lets the hanging entry point return.
    release: Signal,
    terminated: Signal,
}

impl Probe {
    fn new(online: Outcome) -> Probe {
        Probe {
            online: Some(online),
            ..Probe::default()
        }
    }

    fn take_status(&self) -> StatusHandle {
        let status = self.status.lock().unwrap().take();
        status.expect("online kept its status handle")
    }

    fn hang(&self) {
        self.entered.raise();
        self.release.wait();
    }
}

impl Resource for Probe {
    fn online(&self, status: StatusHandle) -> Outcome {
        if self.keep_status {
            *self.status.lock().unwrap() = Some(status);
        }
        if self.hang_online {
            self.hang();
        }
        self.online.expect("the model says what online answers")
    }
    fn offline(&self, _: StatusHandle) -> Outcome {
        Outcome::Done
    }
    fn terminate(&self) {
        self.terminated.raise();
    }
    fn looks_alive(&self) -> bool {
        if self.hang_looks_alive {
            self.hang();
        }
        true
    }
}

/// One call thread, no `IsAlive` poll, `LooksAlive` every `looks_alive`.
fn builder(mutant: Option<Mutant>, looks_alive: Option<Duration>) -> MonitorBuilder {
    Monitor::builder()
        .pending_timeout(PENDING)
        .deadlock_timeout(DEADLOCK)
        .looks_alive_interval(looks_alive)
        .is_alive_interval(None)
        .max_call_threads(1)
        .loom_mutant(mutant)
}

fn start(mutant: Option<Mutant>, looks_alive: Option<Duration>) -> Monitor {
    builder(mutant, looks_alive)
        .start()
        .expect("the monitor starts")
}

/// (a) A worker's heartbeat races the expiry of its PendingTimeout. Either
/// the report is accepted (it came before the deadline) and the resource
/// fails only at the deadline that report set, or it is refused (`Late`:
/// it came at the deadline; `Ended`: the expiry came first) and the
/// resource fails at that deadline; in both, `Terminate` is called. Never
/// accepted and failed at the same deadline.
fn report_vs_expiry() {
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
fn host_waits_for_its_call(mutant: Option<Mutant>) {
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
fn hosts_wait_for_their_calls() {
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
fn hung_call(mutant: Option<Mutant>) {
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
fn drop_while_a_call_runs(mutant: Option<Mutant>) {
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
fn keep_alive_vs_a_new_call(mutant: Option<Mutant>) {
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

/// A resource that keeps the status handle its `online` was given (as
/// one with a watcher does), and says when it is dropped.
struct Keeper {
    status: Mutex<Option<StatusHandle>>,
    dropped: StdArc<AtomicBool>,
}

impl Resource for Keeper {
    fn online(&self, status: StatusHandle) -> Outcome {
        *self.status.lock().unwrap() = Some(status);
        Outcome::Done
    }
    fn offline(&self, _: StatusHandle) -> Outcome {
        Outcome::Done
    }
    fn terminate(&self) {}
}

impl Drop for Keeper {
    fn drop(&mut self) {
        self.dropped.store(true, Ordering::SeqCst);
    }
}

/// (f) The monitor is dropped as soon as `online` returns, while the call
/// thread that made the call winds down: the resource, which holds a
/// status handle and so the driver, is dropped before the drop returns,
/// on the host's thread. Left in the driver, the two keep each other
/// alive (loom reports the driver's leak); let go of by the call thread
/// only after the host learned the call returned, it is dropped later, on
/// that thread.
fn drop_lets_go_of_a_resource_holding_its_handle(mutant: Option<Mutant>) {
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

#[test]
fn report_vs_expiry_is_accepted_or_fails_at_the_deadline_never_both() {
    report_vs_expiry();
}

#[test]
fn a_host_waiting_for_its_call_always_wakes() {
    host_waits_for_its_call(None);
}

#[test]
fn two_hosts_waiting_for_their_calls_both_wake() {
    hosts_wait_for_their_calls();
}

#[test]
fn hung_call_is_declared_by_the_timer_and_its_late_return_changes_nothing() {
    hung_call(None);
}

#[test]
fn drop_while_a_call_runs_and_a_report_comes_hangs_nothing() {
    drop_while_a_call_runs(None);
}

#[test]
fn an_idle_call_thread_timing_out_never_strands_a_new_call() {
    keep_alive_vs_a_new_call(None);
}

#[test]
fn drop_lets_go_of_a_resource_that_holds_its_status_handle() {
    drop_lets_go_of_a_resource_holding_its_handle(None);
}

// ----- the mutants ---------------------------------------------------------

/// Runs the ignored test `name` in a child process; asserts it failed and
/// that its output says `expected`.
fn assert_caught(name: &str, expected: &str) {
    let out = Command::new(std::env::current_exe().expect("own path"))
        .args([
            "--exact",
            name,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("run the child test");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !out.status.success(),
        "the model did NOT catch mutant `{name}`:\n{text}"
    );
    assert!(
        text.contains(expected),
        "mutant `{name}` failed, but not with `{expected}`:\n{text}"
    );
    println!("loom model caught mutant {name}: {expected}");
}

#[test]
fn host_waiting_without_the_lock_is_caught() {
    assert_caught("mutant_host_waits_unlocked", "deadlock");
}

#[test]
fn timer_deadline_read_outside_the_lock_is_caught() {
    assert_caught("mutant_timer_deadline_unlocked", "deadlock");
}

#[test]
fn stop_flag_set_after_the_notify_is_caught() {
    assert_caught("mutant_stop_after_notify", "deadlock");
}

#[test]
fn a_burst_that_forgets_the_stop_is_caught() {
    assert_caught("mutant_burst_forgets_the_stop", "deadlock");
}

#[test]
fn a_drop_that_keeps_the_resources_is_caught() {
    assert_caught("mutant_keeps_resources", "expected the resource dropped");
}

#[test]
fn a_call_thread_letting_go_after_the_return_is_caught() {
    assert_caught(
        "mutant_lets_go_after_return",
        "expected the resource dropped",
    );
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by a_drop_that_keeps_the_resources_is_caught"]
fn mutant_keeps_resources() {
    drop_lets_go_of_a_resource_holding_its_handle(Some(Mutant::KeepsResources));
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by a_call_thread_letting_go_after_the_return_is_caught"]
fn mutant_lets_go_after_return() {
    drop_lets_go_of_a_resource_holding_its_handle(Some(Mutant::LetsGoAfterReturn));
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by host_waiting_without_the_lock_is_caught"]
fn mutant_host_waits_unlocked() {
    host_waits_for_its_call(Some(Mutant::HostWaitsUnlocked));
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by timer_deadline_read_outside_the_lock_is_caught"]
fn mutant_timer_deadline_unlocked() {
    hung_call(Some(Mutant::TimerDeadlineUnlocked));
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by stop_flag_set_after_the_notify_is_caught"]
fn mutant_stop_after_notify() {
    drop_while_a_call_runs(Some(Mutant::StopAfterNotify));
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by a_burst_that_forgets_the_stop_is_caught"]
fn mutant_burst_forgets_the_stop() {
    keep_alive_vs_a_new_call(Some(Mutant::BurstForgetsTheStop));
}
