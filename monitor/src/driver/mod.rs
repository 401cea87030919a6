//! The driver: carries out what the [`MonitorState`] decides.
//!
//! # Threads and locks
//!
//! - One lock, [`Driver::core`], guards the state, the resources, the
//!   subscribers and the hosts' results. Under it the driver only asks the
//!   state to decide (O(1) for a report's heartbeat, O(log n) for a timer)
//!   and sends the events (in the order they were decided). It never runs
//!   resource code or hooks under it, and never starts a thread: the calls
//!   decided are submitted to the [`CallThreads`] after it is released.
//! - The timer thread waits on [`Driver::timer`] until the earliest
//!   deadline, then fires the due timers in batches of [`BATCH`](timer::BATCH), with a
//!   fresh `now` for each and the lock released between batches, so a
//!   storm of expiries never holds the lock for long; the calls a burst
//!   decides are submitted when it is over. Only a timer that
//!   becomes the earliest notifies it: an idle monitor sleeps.
//! - A host thread's `online` / `offline` / `terminate` decides under the
//!   lock, then waits on [`Driver::done`] until the state resolves its call
//!   (returned, panicked, declared hung by the timer thread, or never made).
//! - A call thread tells the state when it begins a call (its
//!   DeadlockTimeout starts) and when it returns.
//!
//! The locks, condition variables, the driver's `Arc`, the threads and the
//! clock come from [`crate::sync`], so that loom model-checks this very
//! code (`tests/loom_driver.rs`). The user's values (resources, the hook)
//! are held in std's `Arc`: they take no part in the protocol. A function
//! that may start a call takes `this: &Arc<Driver>`, to give the call its
//! reference to the driver; a worker's report never starts one.
//!
//! # Files
//!
//! This file holds the shared types and the carrying out of effects
//! ([`Driver::apply`]); `host.rs` the host's side, `job.rs` the call
//! threads' side, `timer.rs` the timer thread, `report.rs` a worker's
//! reports, `later.rs` what waits for the lock's release, `pool.rs` the
//! call threads themselves.

mod host;
mod job;
mod later;
mod pool;
mod report;
mod timer;

use std::collections::HashMap;
use std::io;
use std::mem;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::PoisonError;
use std::sync::mpsc::Sender;
use std::time::Duration;

use crate::machine::Timeouts;
use crate::quiet::Quiet;
use crate::resource::Resource;
use crate::state::{CallEnd, CallId, Effect, MonitorState, Polls};
#[cfg(feature = "loom")]
use crate::sync::model::Mutant;
use crate::sync::{Arc, Condvar, Instant, Mutex, MutexGuard};
use crate::types::{Escalation, Event};
use job::EntryCall;
use later::Later;
use pool::CallThreads;

/// The host's escalation hook.
pub(crate) type Hook = std::sync::Arc<dyn Fn(&Escalation) + Send + Sync + 'static>;

/// What a monitor is started with.
pub(crate) struct Config {
    pub(crate) timeouts: Timeouts,
    pub(crate) polls: Polls,
    pub(crate) hook: Option<Hook>,
    pub(crate) call_threads: usize,
    /// The bug to put into the driver, for a model to catch.
    #[cfg(feature = "loom")]
    pub(crate) mutant: Option<Mutant>,
}

/// Everything under the lock.
struct Core {
    state: MonitorState,
    /// By resource index, as the state's entries.
    resources: Vec<Option<Quiet<std::sync::Arc<dyn Resource>>>>,
    subscribers: Vec<Sender<Event>>,
    /// Ends of calls that hosts wait for, until they take them: how each
    /// ended, and how many of its hosts have not taken it yet.
    results: HashMap<CallId, (CallEnd, u8)>,
    /// Why the last call thread could not be started.
    spawn_error: Option<(io::ErrorKind, Option<i32>)>,
    stop: bool,
    wakeups: u64,
}

/// What the monitor's handle, the status handles, the call threads and
/// the timer thread share.
pub(crate) struct Driver {
    core: Mutex<Core>,
    /// The timer thread waits here for the earliest deadline.
    timer: Condvar,
    /// Hosts wait here for their calls.
    done: Condvar,
    epoch: Instant,
    calls: Arc<CallThreads>,
    hook: Option<Hook>,
    pub(crate) timeouts: Timeouts,
    #[cfg(feature = "loom")]
    mutant: Option<Mutant>,
}

impl Driver {
    pub(crate) fn new(config: Config) -> Arc<Driver> {
        let epoch = Instant::now();
        let mut state = MonitorState::new(config.polls);
        state.set_clock_origin(crate::sync::coarse().0);
        Arc::new(Driver {
            core: Mutex::new(Core {
                state,
                resources: Vec::new(),
                subscribers: Vec::new(),
                results: HashMap::new(),
                spawn_error: None,
                stop: false,
                wakeups: 0,
            }),
            timer: Condvar::new(),
            done: Condvar::new(),
            epoch,
            calls: Arc::new(CallThreads::new(config.call_threads)),
            hook: config.hook,
            timeouts: config.timeouts,
            #[cfg(feature = "loom")]
            mutant: config.mutant,
        })
    }

    /// The monitor's clock: time since it started.
    pub(crate) fn now(&self) -> Duration {
        self.epoch.elapsed()
    }

    fn lock(&self) -> MutexGuard<'_, Core> {
        // Only the state's and the driver's own code runs under the lock.
        self.core.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Carries out what the state decided: events sent and hosts' results
    /// stored under the lock, then, released, the rest ([`Later`]). `me`
    /// is this driver, for the calls it starts: `None` only for a worker's
    /// report, which never starts a call (the state's `report` only moves
    /// the heartbeat or settles the operation: events and timers).
    fn apply(&self, core: MutexGuard<'_, Core>, me: Option<&Arc<Driver>>) {
        let mut later = Later::default();
        self.drain(core, me, &mut later);
        later.run(self);
    }

    /// The part of [`apply`](Self::apply) done under the lock: sends the
    /// events, stores the hosts' results and wakes them, and gathers what
    /// must wait for the lock's release into `later`.
    fn drain(&self, mut core: MutexGuard<'_, Core>, me: Option<&Arc<Driver>>, later: &mut Later) {
        if !core.state.has_effects() {
            return;
        }
        let mut wake_hosts = false;
        for effect in core.state.take_effects() {
            match effect {
                Effect::Event(e) => core.subscribers.retain(|s| s.send(e.clone()).is_ok()),
                Effect::Start(spec) => {
                    debug_assert!(me.is_some(), "a report started a call: {spec:?}");
                    let resource = core.resources.get(spec.resource.0);
                    if let (Some(Some(r)), Some(me)) = (resource, me) {
                        let resource = Quiet::new(std::sync::Arc::clone(r));
                        let driver = Arc::clone(me);
                        // SAFETY: the holder goes into the call's status
                        // handles (and the call, which holds `driver`
                        // too): each lets go of it before of the driver,
                        // which owns the state and so the word.
                        let beat = unsafe { core.state.hold_beat(spec.resource, spec.generation) };
                        let call = EntryCall::new(driver, spec, beat, resource);
                        later.jobs.push(Box::new(call));
                    }
                }
                Effect::Resolve(call, end, hosts) => {
                    core.results.insert(call, (end, hosts));
                    wake_hosts = true;
                }
                Effect::Escalate(e) => later.escalations.push(e),
                Effect::CallHung => later.stuck += 1,
                Effect::HungReturned => later.back += 1,
                Effect::EarliestChanged => later.wake_timer = true,
            }
        }
        drop(core);
        if wake_hosts {
            self.done.notify_all();
        }
    }

    /// Runs the host's hook, outside the lock; a panic in it is caught.
    fn escalate(&self, e: &Escalation) {
        if let Some(hook) = &self.hook {
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| hook(e))) {
                mem::forget(payload); // its `Drop` could panic too
            }
        }
    }

    // ----- the models' hooks -----------------------------------------------

    /// Moves the model's clock to `at`, under each lock whose timed waits
    /// it may end (the timer thread's, an idle call thread's), and wakes
    /// them.
    #[cfg(feature = "loom")]
    pub(crate) fn set_clock(&self, at: Duration) {
        let core = self.lock();
        crate::sync::set_clock(at);
        self.timer.clock_moved();
        drop(core);
        self.calls.clock_moved();
    }

    /// The bug `mutant`, if the model put it in: the lock let go and taken
    /// again, so that what the caller read under it may be stale.
    #[cfg(feature = "loom")]
    fn let_go_if<'a>(&'a self, mutant: Mutant, core: MutexGuard<'a, Core>) -> MutexGuard<'a, Core> {
        if self.mutant == Some(mutant) {
            drop(core);
            self.lock()
        } else {
            core
        }
    }
}
