//! The monitor's shared state, its thread, and the calls it makes.
//!
//! # Threads and locks
//!
//! - One lock, [`Shared::inner`], guards every resource's state machine, the
//!   timer heap, the call table and the subscribers. No resource code ever
//!   runs under it, and no hook: entry points run on the call [`Pool`]'s
//!   threads, hooks after the lock is released.
//! - The monitor thread (a [`Worker`](crate::Worker)) handles the timers
//!   that are due, then waits on [`Shared::wake`] until the earliest
//!   deadline. Arming a timer that becomes the earliest notifies it; nothing
//!   else does, so a monitor whose deadlines are far away sleeps.
//! - A host thread that calls an entry point (`online`, `offline`,
//!   `terminate`) waits on [`Shared::done`] for the call's result, at most
//!   until the call's DeadlockTimeout; whoever sees the deadline first (the
//!   host or the monitor thread), under the lock, declares the call hung,
//!   exactly once.
//! - Reports from workers ([`StatusHandle`]) take the lock briefly and never
//!   wake the monitor: a heartbeat only moves a deadline later, and the
//!   heartbeat timer, when it fires early, re-arms itself at the new
//!   deadline.
//!
//! # Generations
//!
//! Each resource counts its operations (`Entry::op`). Starting an operation,
//! terminating, expiring, failing a health check or isolating the resource
//! moves the count on; status handles, heartbeat and poll timers, and call
//! results carry the count they were made for, and are moot once it moved.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use clusworker_core::resource::{
    Operation, Report, ResourceMachine, ResourceState, Return, Timeouts, Transition,
};

use super::builder::Hook;
use super::error::MonitorError;
use super::events::{Cause, Escalation, EscalationReason, Event};
use super::handle::{MonitorStats, ResourceInfo};
use super::pool::Pool;
use super::resource::{EntryPoint, Outcome, Resource, ResourceId};
use super::status::{ExitState, StatusError, StatusHandle};
use super::timers::{Timer, TimerHeap, TimerKind};
use crate::builder::SpawnError;
use crate::context::Context;
use crate::quiet::{Quiet, drop_quietly};

/// What an entry point returned.
#[derive(Debug, Clone, Copy)]
enum Ret {
    Outcome(Outcome),
    Terminated,
    Alive(bool),
}

/// A call's result, for the host waiting for it.
#[derive(Debug, Clone, Copy)]
enum CallResult {
    Returned(Ret),
    Panicked,
    /// Declared hung after this DeadlockTimeout.
    Hung(Duration),
}

/// An entry-point call in flight.
#[derive(Debug, Clone, Copy)]
struct Call {
    id: u64,
    entry_point: EntryPoint,
    /// The operation count the call belongs to.
    op: u64,
    /// A host thread waits for the result.
    waited: bool,
    /// The monitor made the call (a `Terminate` after the heartbeat expired,
    /// a health poll).
    by_monitor: bool,
}

/// One resource.
struct Entry {
    name: Arc<str>,
    /// The user's: dropped quietly (a `Drop` that panics does not unwind
    /// out of the monitor's drop).
    resource: Quiet<Arc<dyn Resource>>,
    machine: ResourceMachine,
    /// The operation count (see the module notes).
    op: u64,
    calls: Vec<Call>,
    isolated: bool,
}

/// Everything under the lock.
#[derive(Default)]
pub(crate) struct Inner {
    entries: Vec<Entry>,
    timers: TimerHeap,
    results: HashMap<u64, CallResult>,
    next_call: u64,
    subscribers: Vec<Sender<Event>>,
    stop: bool,
    wakeups: u64,
}

/// What the [`Monitor`](super::Monitor) handle, the status handles, the
/// call threads and the monitor thread share.
pub(crate) struct Shared {
    inner: Mutex<Inner>,
    /// The monitor thread waits here for the next deadline.
    wake: Condvar,
    /// Hosts wait here for their calls' results.
    done: Condvar,
    epoch: Instant,
    pool: Arc<Pool>,
    hook: Option<Hook>,
    pub(crate) timeouts: Timeouts,
    looks_alive: Option<Duration>,
    is_alive: Option<Duration>,
}

impl Shared {
    pub(crate) fn new(
        timeouts: Timeouts,
        looks_alive: Option<Duration>,
        is_alive: Option<Duration>,
        hook: Option<Hook>,
    ) -> Shared {
        Shared {
            inner: Mutex::default(),
            wake: Condvar::new(),
            done: Condvar::new(),
            epoch: Instant::now(),
            pool: Arc::default(),
            hook,
            timeouts,
            looks_alive,
            is_alive,
        }
    }

    /// The monitor's clock: time since it started.
    pub(crate) fn now(&self) -> Duration {
        self.epoch.elapsed()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Nothing but this module's code runs under the lock; recover from a
        // poisoning (a bug of ours) rather than propagate it to every caller.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // ----- the host's side -------------------------------------------------

    pub(crate) fn add(
        &self,
        name: Arc<str>,
        resource: Arc<dyn Resource>,
        timeouts: Timeouts,
    ) -> ResourceId {
        let mut inner = self.lock();
        inner.entries.push(Entry {
            name,
            resource: Quiet::new(resource),
            machine: ResourceMachine::new(timeouts),
            op: 0,
            calls: Vec::new(),
            isolated: false,
        });
        ResourceId(inner.entries.len() - 1)
    }

    pub(crate) fn subscribe(&self, tx: Sender<Event>) {
        self.lock().subscribers.push(tx);
    }

    pub(crate) fn info(&self, id: ResourceId) -> Result<ResourceInfo, MonitorError> {
        let inner = self.lock();
        let entry = inner
            .entries
            .get(id.0)
            .ok_or(MonitorError::UnknownResource(id))?;
        Ok(info_of(id, entry))
    }

    pub(crate) fn infos(&self) -> Vec<ResourceInfo> {
        let inner = self.lock();
        let entries = inner.entries.iter().enumerate();
        entries.map(|(i, e)| info_of(ResourceId(i), e)).collect()
    }

    pub(crate) fn stats(&self) -> MonitorStats {
        let inner = self.lock();
        MonitorStats {
            wakeups: inner.wakeups,
            timers: inner.timers.len(),
            resources: inner.entries.len(),
            calls_in_flight: inner.entries.iter().map(|e| e.calls.len()).sum(),
            call_threads: self.pool.threads(),
        }
    }

    /// The host's `online` / `offline`.
    pub(crate) fn operate(
        self: &Arc<Self>,
        id: ResourceId,
        op: Operation,
    ) -> Result<Outcome, MonitorError> {
        let mut inner = self.lock();
        let now = self.now();
        let entry = inner
            .entries
            .get(id.0)
            .ok_or(MonitorError::UnknownResource(id))?;
        check_callable(id, entry)?;
        // Try the transition on a copy: nothing changes unless the call starts.
        let mut machine = entry.machine;
        let t = machine
            .begin(op, now)
            .map_err(|error| MonitorError::Rejected {
                resource: id,
                error,
            })?;
        let op_no = entry.op + 1;
        let ep = match op {
            Operation::Online => EntryPoint::Online,
            Operation::Offline => EntryPoint::Offline,
        };
        let call = self
            .start_call(&mut inner, id, ep, op_no, true, now)
            .map_err(MonitorError::Spawn)?;
        let entry = &mut inner.entries[id.0];
        entry.machine = machine;
        entry.op = op_no;
        self.emit(&mut inner, id, t, Cause::Requested(op), now);
        if let Some(deadline) = machine.deadline() {
            self.arm(&mut inner, deadline, id, TimerKind::Heartbeat, op_no);
        }
        match self.wait_call(inner, id, call) {
            CallResult::Returned(Ret::Outcome(o)) => Ok(o),
            // An online or offline call returns an outcome; nothing else.
            CallResult::Returned(_) => Ok(Outcome::Done),
            CallResult::Panicked => Err(MonitorError::Panicked {
                resource: id,
                entry_point: ep,
            }),
            CallResult::Hung(waited) => Err(MonitorError::Hung {
                resource: id,
                entry_point: ep,
                waited,
            }),
        }
    }

    /// The host's `terminate`.
    pub(crate) fn terminate(self: &Arc<Self>, id: ResourceId) -> Result<(), MonitorError> {
        let mut inner = self.lock();
        let now = self.now();
        let entry = inner
            .entries
            .get(id.0)
            .ok_or(MonitorError::UnknownResource(id))?;
        check_callable(id, entry)?;
        let op_no = entry.op + 1;
        let call = self
            .start_call(&mut inner, id, EntryPoint::Terminate, op_no, true, now)
            .map_err(MonitorError::Spawn)?;
        // Ends the pending operation, if any: its worker's next report is
        // answered `Terminate`, and its heartbeat timer is moot.
        inner.entries[id.0].op = op_no;
        match self.wait_call(inner, id, call) {
            CallResult::Returned(_) => Ok(()),
            CallResult::Panicked => Err(MonitorError::Panicked {
                resource: id,
                entry_point: EntryPoint::Terminate,
            }),
            CallResult::Hung(waited) => Err(MonitorError::Hung {
                resource: id,
                entry_point: EntryPoint::Terminate,
                waited,
            }),
        }
    }

    /// Waits for call `call` of `id` to return, or declares it hung at its
    /// deadline.
    fn wait_call(&self, mut inner: MutexGuard<'_, Inner>, id: ResourceId, call: u64) -> CallResult {
        let deadlock = inner.entries[id.0].machine.timeouts().deadlock();
        let deadline = self.now().saturating_add(deadlock);
        loop {
            if let Some(r) = inner.results.remove(&call) {
                return r;
            }
            let now = self.now();
            if now >= deadline {
                let escalation = self.declare_hung(&mut inner, id, call, now);
                let r = inner
                    .results
                    .remove(&call)
                    .unwrap_or(CallResult::Hung(deadlock));
                drop(inner);
                if let Some(e) = escalation {
                    self.escalate(&e);
                }
                return r;
            }
            inner = self
                .done
                .wait_timeout(inner, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Sets the stop flag and wakes the monitor thread.
    pub(crate) fn stop(&self) {
        self.lock().stop = true;
        self.wake.notify_all();
        self.done.notify_all();
        self.pool.stop();
    }

    // ----- the worker's side -----------------------------------------------

    pub(crate) fn report(
        &self,
        handle: &StatusHandle,
        state: ResourceState,
        checkpoint: u32,
    ) -> Result<ExitState, StatusError> {
        let mut inner = self.lock();
        if inner.stop {
            return Err(StatusError::Stopped);
        }
        let now = self.now();
        let id = handle.resource;
        let entry = inner.entries.get_mut(id.0).ok_or(StatusError::Stopped)?;
        if entry.isolated {
            return Err(StatusError::Isolated);
        }
        if entry.op != handle.op {
            return Err(StatusError::Ended);
        }
        match entry.machine.report(state, checkpoint, now) {
            // The deadline moved later: the heartbeat timer re-arms itself
            // when it fires, so the monitor thread is not disturbed.
            Ok(Report::Heartbeat { .. }) => Ok(ExitState::Continue),
            Ok(Report::Settled(t)) => {
                self.emit(&mut inner, id, t, Cause::Reported { checkpoint }, now);
                Ok(ExitState::Continue)
            }
            Err(e) => Err(StatusError::Rejected(e)),
        }
    }

    // ----- calls -----------------------------------------------------------

    /// Starts entry point `ep` of `id` on a call thread, for operation
    /// count `op`, and arms its DeadlockTimeout. Changes nothing if no
    /// thread can be started.
    fn start_call(
        self: &Arc<Self>,
        inner: &mut Inner,
        id: ResourceId,
        ep: EntryPoint,
        op: u64,
        waited: bool,
        now: Duration,
    ) -> Result<u64, SpawnError> {
        let entry = &inner.entries[id.0];
        let call = inner.next_call;
        // Quiet: the call may hold the last reference, if the monitor went
        // meanwhile; the resource's `Drop` then runs on the call thread.
        let resource = Quiet::new(Arc::clone(&entry.resource));
        let deadline = now.saturating_add(entry.machine.timeouts().deadlock());
        let status = StatusHandle {
            shared: Arc::clone(self),
            resource: id,
            op,
        };
        let shared = Arc::clone(self);
        self.pool.submit(Box::new(move || {
            let r = catch_unwind(AssertUnwindSafe(|| match ep {
                EntryPoint::Online => Ret::Outcome(resource.online(status)),
                EntryPoint::Offline => Ret::Outcome(resource.offline(status)),
                EntryPoint::Terminate => {
                    drop(status);
                    resource.terminate();
                    Ret::Terminated
                }
                EntryPoint::LooksAlive => Ret::Alive(resource.looks_alive()),
                EntryPoint::IsAlive => Ret::Alive(resource.is_alive()),
            }));
            // The panic's payload is the resource's value: dropped quietly,
            // or a payload whose `Drop` panics would unwind past
            // `finish_call` and leave the call in flight for ever.
            let r = r.map_err(drop_quietly).ok();
            shared.finish_call(id, call, r);
        }))?;
        inner.next_call += 1;
        inner.entries[id.0].calls.push(Call {
            id: call,
            entry_point: ep,
            op,
            waited,
            by_monitor: !waited,
        });
        self.arm(inner, deadline, id, TimerKind::Deadlock, call);
        Ok(call)
    }

    /// A call the monitor makes by itself; isolates the resource if no
    /// thread can be started for it.
    fn call_by_monitor(
        self: &Arc<Self>,
        inner: &mut Inner,
        id: ResourceId,
        ep: EntryPoint,
        op: u64,
        now: Duration,
        escalations: &mut Vec<Escalation>,
    ) {
        if self.start_call(inner, id, ep, op, false, now).is_err() {
            escalations.push(self.isolate(inner, id, ep, EscalationReason::CannotCall, now));
        }
    }

    /// Call `call` of `id` returned (`None`: it panicked).
    fn finish_call(self: &Arc<Self>, id: ResourceId, call: u64, ret: Option<Ret>) {
        let mut escalations = Vec::new();
        let mut inner = self.lock();
        let now = self.now();
        let Some(entry) = inner.entries.get_mut(id.0) else {
            return;
        };
        let Some(pos) = entry.calls.iter().position(|c| c.id == call) else {
            // Declared hung already: a late return changes nothing.
            return;
        };
        let c = entry.calls.swap_remove(pos);
        let current = c.op == entry.op && !entry.isolated;
        let online = entry.machine.state() == ResourceState::Online;
        match ret {
            _ if !current => {}
            None => {
                entry.op += 1;
                let t = entry.machine.fail();
                self.emit(&mut inner, id, t, Cause::Panicked(c.entry_point), now);
            }
            Some(Ret::Outcome(o)) => {
                let op = match c.entry_point {
                    EntryPoint::Offline => Operation::Offline,
                    _ => Operation::Online,
                };
                let r = match o {
                    Outcome::Done => Return::Done,
                    Outcome::Pending => Return::Pending,
                    Outcome::Failed(_) => Return::Failed,
                };
                if let Some(Report::Settled(t)) = entry.machine.returned(op, r, now) {
                    self.emit(&mut inner, id, t, Cause::Returned(c.entry_point, o), now);
                }
            }
            Some(Ret::Terminated) => {
                // After an expired heartbeat the resource stays Failed.
                if !c.by_monitor {
                    let t = entry.machine.terminated();
                    self.emit(&mut inner, id, t, Cause::Terminated, now);
                }
            }
            Some(Ret::Alive(_)) if !online => {}
            Some(Ret::Alive(true)) => self.arm_poll(&mut inner, id, c.entry_point, c.op, now),
            Some(Ret::Alive(false)) if c.entry_point == EntryPoint::LooksAlive => {
                // Looks dead: ask IsAlive now, unless it is being asked.
                self.arm_poll(&mut inner, id, EntryPoint::LooksAlive, c.op, now);
                let asking = inner.entries[id.0]
                    .calls
                    .iter()
                    .any(|x| x.entry_point == EntryPoint::IsAlive);
                if !asking {
                    self.call_by_monitor(
                        &mut inner,
                        id,
                        EntryPoint::IsAlive,
                        c.op,
                        now,
                        &mut escalations,
                    );
                }
            }
            Some(Ret::Alive(false)) => {
                let entry = &mut inner.entries[id.0];
                entry.op += 1;
                let t = entry.machine.fail();
                self.emit(&mut inner, id, t, Cause::IsAliveFailed, now);
            }
        }
        if c.waited {
            let r = ret.map_or(CallResult::Panicked, CallResult::Returned);
            inner.results.insert(call, r);
            self.done.notify_all();
        }
        drop(inner);
        for e in &escalations {
            self.escalate(e);
        }
    }

    /// Declares call `call` of `id` hung, if it is still running: fails and
    /// isolates the resource (unless it already was). Says what to escalate.
    fn declare_hung(
        &self,
        inner: &mut Inner,
        id: ResourceId,
        call: u64,
        now: Duration,
    ) -> Option<Escalation> {
        let entry = inner.entries.get_mut(id.0)?;
        let pos = entry.calls.iter().position(|c| c.id == call)?;
        let c = entry.calls.swap_remove(pos);
        let deadlock = entry.machine.timeouts().deadlock();
        let already = entry.isolated;
        if c.waited {
            inner.results.insert(call, CallResult::Hung(deadlock));
            self.done.notify_all();
        }
        if already {
            return None;
        }
        let reason = EscalationReason::Deadlock(deadlock);
        Some(self.isolate(inner, id, c.entry_point, reason, now))
    }

    /// Fails and isolates `id`: no more calls, reports refused.
    fn isolate(
        &self,
        inner: &mut Inner,
        id: ResourceId,
        entry_point: EntryPoint,
        reason: EscalationReason,
        now: Duration,
    ) -> Escalation {
        let entry = &mut inner.entries[id.0];
        entry.isolated = true;
        entry.op += 1;
        let t = entry.machine.fail();
        let name = Arc::clone(&entry.name);
        self.emit(inner, id, t, Cause::Escalated(entry_point), now);
        Escalation {
            resource: id,
            name,
            entry_point,
            reason,
            at: now,
        }
    }

    /// Runs the host's hook, outside the lock.
    fn escalate(&self, e: &Escalation) {
        if let Some(hook) = &self.hook {
            // A panicking hook must not take the monitor down with it.
            let _ = catch_unwind(AssertUnwindSafe(|| hook(e)));
        }
    }

    // ----- events and timers -----------------------------------------------

    /// Sends the event of transition `t`, and starts the health polls when
    /// the resource came online.
    fn emit(&self, inner: &mut Inner, id: ResourceId, t: Transition, cause: Cause, now: Duration) {
        let entry = &inner.entries[id.0];
        if t.from != t.to || matches!(cause, Cause::Escalated(_)) {
            let event = Event {
                resource: id,
                name: Arc::clone(&entry.name),
                from: t.from,
                to: t.to,
                cause,
                at: now,
            };
            inner.subscribers.retain(|s| s.send(event.clone()).is_ok());
        }
        if t.to == ResourceState::Online && t.from != ResourceState::Online {
            let op = entry.op;
            self.arm_poll(inner, id, EntryPoint::LooksAlive, op, now);
            self.arm_poll(inner, id, EntryPoint::IsAlive, op, now);
        }
    }

    /// Arms the next `LooksAlive` or `IsAlive` poll, if it is enabled.
    fn arm_poll(&self, inner: &mut Inner, id: ResourceId, ep: EntryPoint, op: u64, now: Duration) {
        let (interval, kind) = match ep {
            EntryPoint::LooksAlive => (self.looks_alive, TimerKind::LooksAlive),
            _ => (self.is_alive, TimerKind::IsAlive),
        };
        if let Some(i) = interval {
            self.arm(inner, now.saturating_add(i), id, kind, op);
        }
    }

    /// Arms a timer; wakes the monitor thread if it is the new earliest.
    fn arm(
        &self,
        inner: &mut Inner,
        at: Duration,
        id: ResourceId,
        kind: TimerKind,
        generation: u64,
    ) {
        if inner.timers.push(at, id, kind, generation) {
            self.wake.notify_one();
        }
    }

    // ----- the monitor thread ----------------------------------------------

    /// The monitor thread's routine: handle what is due, sleep until the
    /// next deadline, until stopped.
    pub(crate) fn run(self: &Arc<Self>, ctx: &Context) {
        let mut inner = self.lock();
        loop {
            if inner.stop || ctx.check_terminate() {
                return;
            }
            let now = self.now();
            let mut escalations = Vec::new();
            while let Some(timer) = inner.timers.pop_due(now) {
                self.fire(&mut inner, timer, now, &mut escalations);
            }
            if !escalations.is_empty() {
                drop(inner);
                for e in &escalations {
                    self.escalate(e);
                }
                inner = self.lock();
                continue;
            }
            inner = match inner.timers.next() {
                Some(at) => {
                    let wait = self.wake.wait_timeout(inner, at.saturating_sub(now));
                    wait.unwrap_or_else(PoisonError::into_inner).0
                }
                None => self
                    .wake
                    .wait(inner)
                    .unwrap_or_else(PoisonError::into_inner),
            };
            inner.wakeups += 1;
        }
    }

    /// A timer is due.
    fn fire(
        self: &Arc<Self>,
        inner: &mut Inner,
        timer: Timer,
        now: Duration,
        escalations: &mut Vec<Escalation>,
    ) {
        let id = timer.resource;
        if timer.kind == TimerKind::Deadlock {
            escalations.extend(self.declare_hung(inner, id, timer.generation, now));
            return;
        }
        let Some(entry) = inner.entries.get_mut(id.0) else {
            return;
        };
        if entry.isolated || entry.op != timer.generation {
            return; // moot
        }
        match timer.kind {
            TimerKind::Heartbeat => match entry.machine.deadline() {
                None => {} // the operation ended
                Some(d) if d > now => {
                    self.arm(inner, d, id, TimerKind::Heartbeat, timer.generation)
                }
                Some(_) => {
                    if let Some(t) = entry.machine.expire(now) {
                        entry.op += 1;
                        let op = entry.op;
                        self.emit(inner, id, t, Cause::HeartbeatExpired, now);
                        self.call_by_monitor(
                            inner,
                            id,
                            EntryPoint::Terminate,
                            op,
                            now,
                            escalations,
                        );
                    }
                }
            },
            TimerKind::LooksAlive | TimerKind::IsAlive => {
                let ep = if timer.kind == TimerKind::LooksAlive {
                    EntryPoint::LooksAlive
                } else {
                    EntryPoint::IsAlive
                };
                // A poll still running re-arms itself when it returns.
                let busy = entry.calls.iter().any(|c| c.entry_point == ep);
                if entry.machine.state() == ResourceState::Online && !busy {
                    self.call_by_monitor(inner, id, ep, timer.generation, now, escalations);
                }
            }
            TimerKind::Deadlock => {}
        }
    }
}

/// Online, offline and terminate need a resource that is not isolated and
/// not being terminated.
fn check_callable(id: ResourceId, entry: &Entry) -> Result<(), MonitorError> {
    if entry.isolated {
        return Err(MonitorError::Isolated(id));
    }
    if entry
        .calls
        .iter()
        .any(|c| c.entry_point == EntryPoint::Terminate)
    {
        return Err(MonitorError::Terminating(id));
    }
    Ok(())
}

fn info_of(id: ResourceId, entry: &Entry) -> ResourceInfo {
    let pending = entry.machine.pending();
    ResourceInfo {
        id,
        name: Arc::clone(&entry.name),
        state: entry.machine.state(),
        operation: pending.map(|p| p.operation),
        checkpoint: pending.map(|p| p.checkpoint),
        deadline: entry.machine.deadline(),
        isolated: entry.isolated,
    }
}
