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
//!   deadline, then fires the due timers in batches of [`BATCH`], with a
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

mod job;
mod pool;

use std::collections::HashMap;
use std::io;
use std::mem;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::PoisonError;
use std::sync::mpsc::Sender;
use std::time::Duration;

use clusworker_core::Reason;

use crate::error::{MonitorError, StatusError};
use crate::machine::{ResourceState, Timeouts};
use crate::quiet::Quiet;
use crate::resource::Resource;
use crate::state::{Answer, CallEnd, CallId, CallSpec, Effect, MonitorState, Polls};
use crate::status::ReportSink;
#[cfg(feature = "loom")]
use crate::sync::model::Mutant;
use crate::sync::{Arc, Condvar, Instant, Mutex, MutexGuard};
use crate::types::{Escalation, Event, ExitState, MonitorStats, ResourceId, ResourceInfo};
use job::EntryCall;
use pool::{CallJob, CallThreads};

/// The host's escalation hook.
pub(crate) type Hook = std::sync::Arc<dyn Fn(&Escalation) + Send + Sync + 'static>;

/// How many due timers the timer thread handles per turn of the lock.
const BATCH: usize = 64;

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
    /// Ends of calls that hosts wait for, until they take them.
    results: HashMap<CallId, CallEnd>,
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
                        let beat = core.state.beat(spec.resource, spec.generation);
                        let call = EntryCall::new(driver, spec, beat, resource);
                        later.jobs.push(Box::new(call));
                    }
                }
                Effect::Resolve(call, end) => {
                    core.results.insert(call, end);
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

    // ----- the host's side -------------------------------------------------

    pub(crate) fn add(
        &self,
        name: std::sync::Arc<str>,
        resource: std::sync::Arc<dyn Resource>,
        timeouts: Timeouts,
    ) -> ResourceId {
        let mut core = self.lock();
        let id = core.state.add(name, timeouts);
        core.resources.push(Some(Quiet::new(resource)));
        id
    }

    pub(crate) fn remove(&self, id: ResourceId) -> Result<(), MonitorError> {
        let mut core = self.lock();
        core.state.remove(id)?;
        let resource = core.resources.get_mut(id.0).and_then(Option::take);
        drop(core);
        drop(resource); // quietly, outside the lock
        Ok(())
    }

    /// Decides a host call with `decide`, then waits until the state
    /// resolves it.
    pub(crate) fn call(
        this: &Arc<Self>,
        decide: impl FnOnce(&mut MonitorState, Duration) -> Result<CallId, MonitorError>,
    ) -> Result<CallEnd, MonitorError> {
        let now = this.now();
        let mut core = this.lock();
        let call = decide(&mut core.state, now)?;
        this.apply(core, Some(this));
        Ok(Driver::wait_for(this, call))
    }

    /// Terminates every resource online or pending with `reason`, and
    /// waits for each `Terminate` (each bounded by DeadlockTimeout).
    pub(crate) fn shut_down(this: &Arc<Self>, reason: Reason) -> Vec<(ResourceId, CallEnd)> {
        let mut core = this.lock();
        let mut calls = Vec::new();
        for id in core.state.active() {
            if let Ok(call) = core.state.terminate_with(id, reason) {
                calls.push((id, call));
            }
        }
        this.apply(core, Some(this));
        let ends = calls.into_iter();
        ends.map(|(id, call)| (id, Driver::wait_for(this, call)))
            .collect()
    }

    /// Waits until the state resolves `call`.
    fn wait_for(this: &Arc<Self>, call: CallId) -> CallEnd {
        let mut core = this.lock();
        loop {
            if let Some(end) = core.results.remove(&call) {
                return end;
            }
            #[cfg(feature = "loom")]
            {
                core = this.let_go_if(Mutant::HostWaitsUnlocked, core);
            }
            core = this.done.wait(core).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Why the last call thread could not be started.
    pub(crate) fn spawn_error(&self) -> io::Error {
        match self.lock().spawn_error {
            Some((_, Some(code))) => io::Error::from_raw_os_error(code),
            Some((kind, None)) => io::Error::from(kind),
            None => io::Error::other("no call thread could be started"),
        }
    }

    pub(crate) fn subscribe(&self, tx: Sender<Event>) {
        self.lock().subscribers.push(tx);
    }

    pub(crate) fn info(&self, id: ResourceId) -> Result<ResourceInfo, MonitorError> {
        let now = self.now();
        self.lock().state.info(id, now)
    }

    pub(crate) fn infos(&self) -> Vec<ResourceInfo> {
        let now = self.now();
        self.lock().state.infos(now)
    }

    pub(crate) fn stats(&self) -> MonitorStats {
        let (call_threads, peak_call_threads) = self.calls.threads();
        let queued_calls = self.calls.queued();
        let core = self.lock();
        MonitorStats {
            wakeups: core.wakeups,
            timers: core.state.timer_count(),
            resources: core.state.resource_count(),
            calls_in_flight: core.state.calls_in_flight(),
            call_threads,
            peak_call_threads,
            queued_calls,
        }
    }

    /// Stops the timer thread and the call threads; reports are refused
    /// from now on.
    pub(crate) fn stop(&self) {
        #[cfg(feature = "loom")]
        if self.mutant == Some(Mutant::StopAfterNotify) {
            self.timer.notify_all();
            self.halt();
            self.calls.stop();
            return;
        }
        self.halt();
        self.timer.notify_all();
        self.calls.stop();
    }

    /// Lets go of the user's values once stopped: the resources and the
    /// subscribers' senders, dropped on the caller's thread, outside the
    /// lock.
    ///
    /// A resource may hold a status handle, which holds this driver: left
    /// in the core, the two would keep each other alive for ever (and the
    /// resource's threads with them). A resource a call still runs on is
    /// dropped when that call returns (the call holds it); a subscriber's
    /// receiver ends here, even if a status handle outlives the monitor.
    pub(crate) fn release(&self) {
        #[cfg(feature = "loom")]
        if self.mutant == Some(Mutant::KeepsResources) {
            return;
        }
        let (resources, subscribers) = {
            let mut core = self.lock();
            debug_assert!(core.stop, "released before it stopped");
            let resources = mem::take(&mut core.resources);
            (resources, mem::take(&mut core.subscribers))
        };
        drop(subscribers);
        drop(resources); // each quietly (`Quiet`)
    }

    /// Sets the stop flag, and closes every heartbeat word: from now on a
    /// worker's every report takes the locked path, which says `Stopped`.
    fn halt(&self) {
        let mut core = self.lock();
        core.stop = true;
        core.state.close_beats();
    }

    // ----- the call threads' side ------------------------------------------

    /// A call thread is about to make `spec`'s call: whether to make it.
    fn started(this: &Arc<Self>, spec: &CallSpec) -> bool {
        let now = this.now();
        let mut core = this.lock();
        if core.stop {
            return false;
        }
        let go = core.state.call_started(spec, now);
        this.apply(core, Some(this));
        go
    }

    /// `spec`'s call returned (`None`: it panicked).
    fn returned(this: &Arc<Self>, spec: &CallSpec, answer: Option<Answer>) {
        let now = this.now();
        let mut core = this.lock();
        core.state.call_returned(spec, answer, now);
        this.apply(core, Some(this));
    }

    /// No thread could be started for `spec`'s call.
    fn cannot_call(this: &Arc<Self>, spec: &CallSpec, error: &io::Error) {
        let now = this.now();
        let mut core = this.lock();
        core.spawn_error = Some((error.kind(), error.raw_os_error()));
        core.state.cannot_call(spec, now);
        this.apply(core, Some(this));
    }

    // ----- the timer thread ------------------------------------------------

    /// The timer thread: fires what is due, sleeps until the next deadline,
    /// until stopped.
    pub(crate) fn run_timers(this: &Arc<Self>) {
        let mut core = this.lock();
        loop {
            if core.stop {
                return;
            }
            // A burst is fired batch by batch, the lock released between
            // batches (reports get through); the calls it decides are
            // submitted once it is over, so that the call threads do not
            // take the CPU from the timer thread while events are due.
            let mut later = Later::default();
            loop {
                let mut fired = 0;
                while fired < BATCH && core.state.fire(this.now()) {
                    fired += 1;
                }
                if fired == 0 {
                    break;
                }
                this.drain(core, Some(this), &mut later);
                core = this.lock();
                if core.stop {
                    break;
                }
            }
            if !later.is_empty() {
                drop(core);
                later.run(this);
                core = this.lock();
                continue;
            }
            // Stopped during the burst, which decided nothing to carry out:
            // the stop's notification came while the lock was released, so
            // waiting now would wait for ever.
            #[cfg(feature = "loom")]
            let stopped = core.stop && this.mutant != Some(Mutant::BurstForgetsTheStop);
            #[cfg(not(feature = "loom"))]
            let stopped = core.stop;
            if stopped {
                return;
            }
            core = match core.state.next_deadline() {
                Some(at) => {
                    let now = this.now();
                    if at <= now {
                        continue;
                    }
                    #[cfg(feature = "loom")]
                    {
                        core = this.let_go_if(Mutant::TimerDeadlineUnlocked, core);
                    }
                    let wait = this.timer.wait_timeout(core, at - now);
                    wait.unwrap_or_else(PoisonError::into_inner).0
                }
                None => {
                    #[cfg(feature = "loom")]
                    {
                        core = this.let_go_if(Mutant::TimerDeadlineUnlocked, core);
                    }
                    this.timer
                        .wait(core)
                        .unwrap_or_else(PoisonError::into_inner)
                }
            };
            core.wakeups += 1;
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

/// What the state decided that is carried out after the lock's release.
#[derive(Default)]
struct Later {
    jobs: Vec<Box<dyn CallJob>>,
    escalations: Vec<Escalation>,
    /// Calls declared hung, and hung calls that came back.
    stuck: usize,
    back: usize,
    wake_timer: bool,
}

impl Later {
    fn is_empty(&self) -> bool {
        self.jobs.is_empty()
            && self.escalations.is_empty()
            && self.stuck + self.back == 0
            && !self.wake_timer
    }

    fn run(self, driver: &Driver) {
        if self.wake_timer {
            driver.timer.notify_one();
        }
        if self.stuck + self.back > 0 {
            CallThreads::hung(&driver.calls, self.stuck, self.back);
        }
        CallThreads::submit(&driver.calls, self.jobs);
        for e in &self.escalations {
            driver.escalate(e);
        }
    }
}

impl ReportSink for Driver {
    fn report(
        &self,
        resource: ResourceId,
        generation: u64,
        state: ResourceState,
        checkpoint: u32,
    ) -> Result<ExitState, StatusError> {
        let now = self.now();
        let mut core = self.lock();
        if core.stop {
            return Err(StatusError::Stopped);
        }
        let r = core
            .state
            .report(resource, generation, state, checkpoint, now);
        self.apply(core, None);
        r
    }

    fn signal_failure(
        &self,
        resource: ResourceId,
        generation: u64,
        code: u32,
    ) -> Result<(), StatusError> {
        let now = self.now();
        let mut core = self.lock();
        if core.stop {
            return Err(StatusError::Stopped);
        }
        let r = core.state.signal_failure(resource, generation, code, now);
        self.apply(core, None);
        r
    }
}
