//! What a model of the driver uses: the model runner, the join of the call
//! threads, and the mutants (re-exported as `clusworker_monitor::loom`;
//! not an API).

use std::panic::resume_unwind;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::dual::{CLOCK, DETACHED, IN_MODEL, in_model};

/// A bug to put into the driver, for a model to catch (a monitor is
/// given one with `MonitorBuilder::loom_mutant`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mutant {
    /// A host looks for its call's result, lets the lock go, takes it
    /// again and waits on `done`: a result stored and notified in
    /// between is missed.
    HostWaitsUnlocked,
    /// The timer thread reads the earliest deadline, lets the lock go,
    /// takes it again and waits until that deadline: a timer armed in
    /// between, and its notification, are missed.
    TimerDeadlineUnlocked,
    /// `stop` notifies the timer thread before it sets the stop flag:
    /// a timer thread woken in between waits again, for ever.
    StopAfterNotify,
    /// The timer thread, stopped during a burst that decided nothing
    /// to carry out, waits (the bug fixed in 54e67a6): the stop's
    /// notification came while it had let the lock go.
    BurstForgetsTheStop,
    /// The monitor's drop leaves the resources in the driver: a resource
    /// that keeps its status handle keeps the driver alive, and the
    /// driver the resource, for ever.
    KeepsResources,
    /// A call thread lets go of its resource only after it told the
    /// state that the call returned: a host that drops the monitor as
    /// soon as its call returns finds the resource still held, and it is
    /// dropped later, on the call thread.
    LetsGoAfterReturn,
    /// The first host to take a call's result removes it, as if it were
    /// the only one waiting: a second host whose health check shares the
    /// call waits for ever.
    FirstHostTakesTheResult,
}

/// Runs a loom model of the driver: explores `f` with at most `bound`
/// preemptions per execution (`None`: every interleaving) unless
/// `LOOM_MAX_PREEMPTIONS` says otherwise, and prints how many
/// executions it explored (the `loom model <test>: N interleavings`
/// lines CI counts). Every monitor made in `f` runs on loom's types
/// and the model's clock, which starts at zero in each execution.
#[track_caller]
pub fn check(bound: Option<usize>, f: impl Fn() + Sync + Send + 'static) {
    /// Clears the flag however `check` ends.
    struct InModel;
    impl Drop for InModel {
        fn drop(&mut self) {
            IN_MODEL.with(|m| m.set(false));
        }
    }
    let mut b = loom::model::Builder::new();
    if b.preemption_bound.is_none() {
        b.preemption_bound = bound;
    }
    let runs = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&runs);
    IN_MODEL.with(|m| m.set(true));
    let reset = InModel;
    b.check(move || {
        assert!(in_model(), "loom ran the model on another thread");
        counter.fetch_add(1, Ordering::Relaxed);
        CLOCK.with(|c| c.set(Duration::ZERO));
        DETACHED.with(|d| d.borrow_mut().clear());
        f();
    });
    drop(reset);
    let name = std::thread::current().name().unwrap_or("?").to_owned();
    println!(
        "loom model {name}: {} interleavings explored (preemption bound: {:?})",
        runs.load(Ordering::Relaxed),
        b.preemption_bound
    );
}

/// Joins every call thread started so far in this execution, and those
/// they start meanwhile. Call it after the monitor is dropped (an idle
/// call thread exits only then): it returns once every call the monitor
/// made has returned, and the driver has handled its return.
pub fn join_call_threads() {
    assert!(in_model(), "call threads are joined only in a model");
    while let Some(h) = DETACHED.with(|d| d.borrow_mut().pop()) {
        if let Err(panic) = h.join() {
            resume_unwind(panic);
        }
    }
}
