//! The monitor's bookkeeping as pure state: [`MonitorState`].
//!
//! No locks, threads or clocks: every method that needs the time takes
//! `now` (time since the monitor started), decides, and queues what the
//! driver must carry out as [`Effect`]s (calls to start, events to send,
//! hosts to wake, escalations), which the driver takes with
//! [`take_effects`](MonitorState::take_effects). A refused call returns its
//! error and queues nothing. So every scenario is a deterministic unit
//! test (`tests.rs`), and whole random sequences are checked against a
//! reference model (`clusworker-verification`).
//!
//! # The rules it keeps
//!
//! - The resource state machine ([`crate::machine`]) decides every state.
//! - No two entry points other than `Terminate` run at once for one
//!   resource: `Online` / `Offline` asked for while a health poll (or a
//!   moot earlier call) runs are *deferred* until it returns (their
//!   operation begins at once; only the call waits); a poll due while
//!   another call runs is *skipped* until its next interval.
//! - A call's DeadlockTimeout runs from when a call thread begins it, not
//!   from when it was queued.
//! - The PendingTimeout heartbeat watches the worker once the entry point
//!   returned `Pending`; while the operation's own entry point runs,
//!   DeadlockTimeout watches it instead (so a hung `Online` is a hang, not
//!   an expired heartbeat, even when PendingTimeout is the shorter).
//! - A valid report resets the heartbeat without touching the timers; the
//!   heartbeat's timer, when it fires early, is set again at the deadline
//!   the reports moved it to.

mod beats;
mod call_thread;
mod calls;
mod check;
mod effects;
mod entry;
mod fire;
#[cfg(test)]
mod model_tests;
#[cfg(test)]
mod tests;
mod timers;
mod transition;

use std::collections::HashSet;
use std::mem;
use std::sync::Arc;
use std::time::Duration;

use clusworker_core::Reason;

pub(crate) use effects::{Answer, CallEnd, CallId, CallSpec, Effect};

use crate::error::{MonitorError, StatusError};
use crate::machine::{Operation, Report, ResourceMachine, ResourceState, Timeouts};
use crate::table;
use crate::types::{Cause, EntryPoint, ExitState, ResourceId, ResourceInfo};
use entry::{Entry, Superseded};
use timers::{TimerKey, TimerKind, Timers};

/// The health-poll intervals (`None`: never polled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Polls {
    pub(crate) looks_alive: Option<Duration>,
    pub(crate) is_alive: Option<Duration>,
}

/// Every resource of one monitor, its timers and its calls in flight.
#[derive(Debug)]
pub(crate) struct MonitorState {
    /// By resource index; `None` once removed (an index is never reused).
    entries: Vec<Option<Entry>>,
    timers: Timers,
    polls: Polls,
    next_call: u64,
    /// Calls declared hung whose threads have not returned yet.
    hung: HashSet<CallId>,
    effects: Vec<Effect>,
    /// The pending operations' heartbeat words.
    beats: beats::Beats,
}

impl MonitorState {
    pub(crate) fn new(polls: Polls) -> MonitorState {
        MonitorState {
            entries: Vec::new(),
            timers: Timers::default(),
            polls,
            next_call: 0,
            hung: HashSet::new(),
            effects: Vec::new(),
            beats: beats::Beats::default(),
        }
    }

    /// Sets the coarse clock's reading at the monitor's epoch
    /// ([`crate::sync::coarse`]), before the first operation begins.
    pub(crate) fn set_clock_origin(&mut self, origin: Duration) {
        self.beats.origin = origin;
    }

    /// Closes every heartbeat word (the monitor is stopping).
    pub(crate) fn close_beats(&mut self) {
        for i in 0..self.entries.len() {
            if self.entries[i].is_some() {
                self.close_beat(ResourceId(i));
            }
        }
    }

    /// What was decided since the last call, in order.
    pub(crate) fn take_effects(&mut self) -> Vec<Effect> {
        mem::take(&mut self.effects)
    }

    /// Whether anything was decided since the last [`take_effects`](Self::take_effects).
    pub(crate) fn has_effects(&self) -> bool {
        !self.effects.is_empty()
    }

    /// The earliest deadline of any timer.
    pub(crate) fn next_deadline(&self) -> Option<Duration> {
        self.timers.next()
    }

    /// Timers armed (never more than five per resource).
    pub(crate) fn timer_count(&self) -> usize {
        self.timers.len()
    }

    /// Resources added and not removed.
    pub(crate) fn resource_count(&self) -> usize {
        self.entries.iter().flatten().count()
    }

    /// Calls made and not yet returned nor declared hung.
    pub(crate) fn calls_in_flight(&self) -> usize {
        self.entries
            .iter()
            .flatten()
            .map(Entry::calls_in_flight)
            .sum()
    }

    /// Adds a resource, `Offline`.
    pub(crate) fn add(&mut self, name: Arc<str>, timeouts: Timeouts) -> ResourceId {
        let id = ResourceId(self.entries.len());
        let entry = Entry::new(name, ResourceMachine::new(timeouts));
        table::push(&mut self.entries, Some(entry));
        self.timers.grow(self.entries.len());
        self.beats.grow(self.entries.len());
        id
    }

    /// Removes a resource that is `Offline`, `Failed` or `Unknown` with
    /// nothing pending, no `Terminate` running and no call a host waits
    /// for. Calls of it still running (a poll, a hung call) finish
    /// unobserved.
    pub(crate) fn remove(&mut self, id: ResourceId) -> Result<(), MonitorError> {
        let entry = self.entry(id)?;
        let state = entry.machine.state();
        if state.is_pending() || state == ResourceState::Online {
            return Err(MonitorError::NotRemovable {
                resource: id,
                state,
            });
        }
        if entry.calls().terminate.is_some() {
            return Err(MonitorError::Terminating(id));
        }
        // A host waits for it: it must learn how the call ended.
        let calls = entry.calls();
        if [calls.busy, calls.deferred]
            .into_iter()
            .flatten()
            .any(|c| c.hosts > 0)
        {
            return Err(MonitorError::Busy(id));
        }
        self.timers.cancel_all(id.0);
        self.close_beat(id);
        self.entries[id.0] = None;
        Ok(())
    }

    /// The host's `online` / `offline`: begins the operation and queues (or
    /// defers) its call, which the host then waits for.
    pub(crate) fn request(
        &mut self,
        id: ResourceId,
        op: Operation,
        now: Duration,
    ) -> Result<CallId, MonitorError> {
        let entry = self.callable(id)?;
        let mut machine = entry.machine;
        let t = machine
            .begin(op, now)
            .map_err(|error| MonitorError::Rejected {
                resource: id,
                error,
            })?;
        self.entry_mut(id).machine = machine;
        self.advance(id, Superseded::Ended);
        self.open_beat(id, op, now);
        self.transition(id, t, Cause::Requested(op), now);
        if let Some(deadline) = machine.deadline() {
            self.set_timer(id, TimerKind::Heartbeat, deadline);
        }
        let ep = match op {
            Operation::Online => EntryPoint::Online,
            Operation::Offline => EntryPoint::Offline,
        };
        Ok(self.make_call(id, ep, true))
    }

    /// The host's `terminate`, for `reason`: ends any pending operation
    /// (its reports are refused from now on) and queues the `Terminate`
    /// call.
    pub(crate) fn terminate_with(
        &mut self,
        id: ResourceId,
        reason: Reason,
    ) -> Result<CallId, MonitorError> {
        self.callable(id)?;
        self.advance(id, Superseded::Terminating);
        self.timers.cancel(key(id, TimerKind::Heartbeat));
        Ok(self.make_terminate(id, reason, true))
    }

    /// The resources a shut-down terminates: online or pending, callable
    /// (not isolated, no `Terminate` running).
    pub(crate) fn active(&self) -> Vec<ResourceId> {
        let active = |e: &Entry| {
            let state = e.machine.state();
            (state == ResourceState::Online || state.is_pending())
                && !e.isolated()
                && e.calls().terminate.is_none()
        };
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.as_ref().is_some_and(active))
            .map(|(i, _)| ResourceId(i))
            .collect()
    }

    /// A worker's `SetResourceStatus` for generation `generation` of `id`.
    /// A heartbeat is O(1): it touches no timer.
    pub(crate) fn report(
        &mut self,
        id: ResourceId,
        generation: u64,
        state: ResourceState,
        checkpoint: u32,
        now: Duration,
    ) -> Result<ExitState, StatusError> {
        let Some(Some(entry)) = self.entries.get(id.0) else {
            return Err(StatusError::Ended);
        };
        if entry.isolated() {
            return Err(StatusError::Isolated);
        }
        if entry.generation != generation {
            return Err(StatusError::Ended);
        }
        self.fold(id, now);
        match self.entry_mut(id).machine.report(state, checkpoint, now) {
            Ok(Report::Heartbeat { .. }) => {
                self.beat_of(id).raise(checkpoint, now);
                Ok(ExitState::Continue)
            }
            Ok(Report::Settled(t)) => {
                self.transition(id, t, Cause::Reported { checkpoint }, now);
                Ok(ExitState::Continue)
            }
            Err(e) => Err(StatusError::Rejected(e)),
        }
    }

    /// The resource signals its own failure (Resource API 2's
    /// `SignalFailure`) through the status handle of generation
    /// `generation`: allowed while that operation's `Online` is pending or
    /// has brought the resource `Online`, until the next operation begins.
    /// Fails the resource with [`Cause::Signalled`] at once.
    pub(crate) fn signal_failure(
        &mut self,
        id: ResourceId,
        generation: u64,
        code: u32,
        now: Duration,
    ) -> Result<(), StatusError> {
        let Some(Some(entry)) = self.entries.get(id.0) else {
            return Err(StatusError::Ended);
        };
        if entry.isolated() {
            return Err(StatusError::Isolated);
        }
        let online = match entry.machine.pending() {
            Some(p) => p.operation == Operation::Online,
            None => entry.machine.state() == ResourceState::Online,
        };
        if entry.generation != generation || !online {
            return Err(StatusError::Ended);
        }
        self.fail(id, Cause::Signalled { code }, now);
        Ok(())
    }

    /// What the host sees of `id` at `now` (the heartbeats taken by the
    /// lock-free path folded in).
    pub(crate) fn info(
        &mut self,
        id: ResourceId,
        now: Duration,
    ) -> Result<ResourceInfo, MonitorError> {
        self.entry(id)?;
        self.fold(id, now);
        Ok(info_of(id, self.entry_mut(id)))
    }

    /// Every resource, in the order they were added.
    pub(crate) fn infos(&mut self, now: Duration) -> Vec<ResourceInfo> {
        let mut infos = Vec::new();
        for id in (0..self.entries.len()).map(ResourceId) {
            if self.entry(id).is_ok() {
                self.fold(id, now);
                infos.push(info_of(id, self.entry_mut(id)));
            }
        }
        infos
    }

    // ----- helpers shared by the submodules --------------------------------

    fn entry(&self, id: ResourceId) -> Result<&Entry, MonitorError> {
        match self.entries.get(id.0) {
            Some(Some(entry)) => Ok(entry),
            _ => Err(MonitorError::UnknownResource(id)),
        }
    }

    /// The entry of a resource known to exist.
    fn entry_mut(&mut self, id: ResourceId) -> &mut Entry {
        match self.entries.get_mut(id.0) {
            Some(Some(entry)) => entry,
            _ => unreachable!("resource {id} was checked to exist"),
        }
    }

    /// Online, offline and terminate need a resource that is known, not
    /// isolated and not being terminated.
    fn callable(&self, id: ResourceId) -> Result<&Entry, MonitorError> {
        let entry = self.entry(id)?;
        if entry.isolated() {
            return Err(MonitorError::Isolated(id));
        }
        if entry.calls().terminate.is_some() {
            return Err(MonitorError::Terminating(id));
        }
        Ok(entry)
    }

    fn set_timer(&mut self, id: ResourceId, kind: TimerKind, at: Duration) {
        if self.timers.set(key(id, kind), at) {
            self.effects.push(Effect::EarliestChanged);
        }
    }
}

fn key(id: ResourceId, kind: TimerKind) -> TimerKey {
    TimerKey {
        resource: id.0,
        kind,
    }
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
        isolated: entry.isolated(),
    }
}
