//! Calls: made, begun on a call thread, returned, declared hung; and the
//! transitions and generations they move.

use std::sync::Arc;
use std::time::Duration;

use clusworker_core::Reason;

use crate::machine::{Operation, Report, ResourceState, Transition};
use crate::types::{Cause, EntryPoint, Escalation, EscalationReason, Event, ResourceId};

use super::effects::{Answer, CallEnd, CallId, CallSpec, Effect};
use super::entry::{Call, Superseded};
use super::timers::TimerKind;
use super::{MonitorState, key};

/// The timer bounding a call of `ep`.
fn deadline_timer(ep: EntryPoint) -> TimerKind {
    match ep {
        EntryPoint::Terminate => TimerKind::TerminateDeadline,
        _ => TimerKind::CallDeadline,
    }
}

impl MonitorState {
    /// Makes a call of `ep` for the current generation of `id`: queued at
    /// once (a `Terminate`, or when no other call runs) or deferred until
    /// the running one returns. Returns its number.
    pub(super) fn make_call(&mut self, id: ResourceId, ep: EntryPoint, waited: bool) -> CallId {
        self.make_call_because(id, ep, Reason::Requested, waited)
    }

    /// [`make_call`](Self::make_call), for a `Terminate`: with its reason.
    pub(super) fn make_terminate(
        &mut self,
        id: ResourceId,
        reason: Reason,
        waited: bool,
    ) -> CallId {
        self.make_call_because(id, EntryPoint::Terminate, reason, waited)
    }

    fn make_call_because(
        &mut self,
        id: ResourceId,
        ep: EntryPoint,
        reason: Reason,
        waited: bool,
    ) -> CallId {
        let call_id = CallId(self.next_call);
        self.next_call += 1;
        let entry = self.entry_mut(id);
        let call = Call {
            id: call_id,
            entry_point: ep,
            reason,
            generation: entry.generation,
            waited,
            started: false,
            superseded: None,
        };
        let calls = entry.calls_mut();
        if ep == EntryPoint::Terminate {
            calls.terminate = Some(call);
        } else if calls.busy.is_none() {
            calls.busy = Some(call);
        } else {
            debug_assert!(calls.deferred.is_none(), "two deferred calls");
            calls.deferred = Some(call);
            return call_id;
        }
        self.effects.push(Effect::Start(CallSpec {
            resource: id,
            call: call_id,
            entry_point: ep,
            reason,
            generation: call.generation,
        }));
        call_id
    }

    /// Moves the generation of `id` on: the pending operation's handles,
    /// timers and calls are moot. A deferred call is dropped, and a queued
    /// one will not be made; their hosts learn `end`.
    pub(super) fn advance(&mut self, id: ResourceId, end: Superseded) {
        let entry = self.entry_mut(id);
        entry.generation += 1;
        entry.close_beat();
        let end = if entry.isolated {
            Superseded::Isolated
        } else {
            end
        };
        if let Some(c) = entry.calls().busy {
            let queued = !c.started && c.entry_point != EntryPoint::Terminate;
            if queued && c.superseded.is_none() {
                entry.calls_mut().busy = Some(Call {
                    superseded: Some(end),
                    ..c
                });
            }
        }
        if let Some(c) = entry.calls().deferred {
            entry.take(c.id);
            self.resolve(c, end.into());
        }
    }

    /// Applies transition `t` of `id`, decided at `now`: its event, and the
    /// timers it starts or stops (the polls while `Online`, the heartbeat
    /// while pending).
    pub(super) fn transition(
        &mut self,
        id: ResourceId,
        t: Transition,
        cause: Cause,
        now: Duration,
    ) {
        self.transition_because(id, t, cause, None, now);
    }

    /// [`transition`](Self::transition), caused by (or, after an expiry,
    /// followed by) a `Terminate` requested for `reason`: its event says so.
    pub(super) fn transition_because(
        &mut self,
        id: ResourceId,
        t: Transition,
        cause: Cause,
        reason: Option<Reason>,
        now: Duration,
    ) {
        let entry = self.entry_mut(id);
        let name = Arc::clone(&entry.name);
        if t.from != t.to || matches!(cause, Cause::Escalated(_)) {
            self.effects.push(Effect::Event(Event {
                resource: id,
                name,
                from: t.from,
                to: t.to,
                cause,
                reason,
                at: now,
            }));
        }
        if !t.to.is_pending() {
            self.timers.cancel(key(id, TimerKind::Heartbeat));
            self.entry_mut(id).close_beat();
        }
        let online = ResourceState::Online;
        if t.to == online && t.from != online {
            self.arm_poll(id, EntryPoint::LooksAlive, now);
            self.arm_poll(id, EntryPoint::IsAlive, now);
        } else if t.from == online && t.to != online {
            self.timers.cancel(key(id, TimerKind::LooksAlive));
            self.timers.cancel(key(id, TimerKind::IsAlive));
        }
    }

    /// Sets the next `LooksAlive` or `IsAlive` poll, if it is enabled.
    pub(super) fn arm_poll(&mut self, id: ResourceId, ep: EntryPoint, now: Duration) {
        let (interval, kind) = match ep {
            EntryPoint::LooksAlive => (self.polls.looks_alive, TimerKind::LooksAlive),
            _ => (self.polls.is_alive, TimerKind::IsAlive),
        };
        if let Some(i) = interval {
            self.set_timer(id, kind, now.saturating_add(i));
        }
    }

    /// Fails `id` (if it is not already), moving its generation on.
    pub(super) fn fail(&mut self, id: ResourceId, cause: Cause, now: Duration) {
        self.advance(id, Superseded::Ended);
        let t = self.entry_mut(id).machine.fail();
        self.transition(id, t, cause, now);
    }

    /// Fails and isolates `id`: no more calls, reports refused, no timers
    /// but those of calls still running.
    pub(super) fn isolate(
        &mut self,
        id: ResourceId,
        entry_point: EntryPoint,
        reason: EscalationReason,
        now: Duration,
    ) {
        let entry = self.entry_mut(id);
        entry.isolated = true;
        let name = Arc::clone(&entry.name);
        self.fail(id, Cause::Escalated(entry_point), now);
        for kind in [
            TimerKind::Heartbeat,
            TimerKind::LooksAlive,
            TimerKind::IsAlive,
        ] {
            self.timers.cancel(key(id, kind));
        }
        self.effects.push(Effect::Escalate(Escalation {
            resource: id,
            name,
            entry_point,
            reason,
            at: now,
        }));
    }

    /// Tells the host waiting for `call` (if any) how it ended.
    pub(super) fn resolve(&mut self, call: Call, end: CallEnd) {
        if call.waited {
            self.effects.push(Effect::Resolve(call.id, end));
        }
    }

    /// The busy slot of `id` is free: the deferred call, if any, goes.
    fn busy_freed(&mut self, id: ResourceId) {
        let entry = self.entry_mut(id);
        if let Some(c) = entry.calls().deferred {
            let calls = entry.calls_mut();
            calls.deferred = None;
            calls.busy = Some(c);
            self.effects.push(Effect::Start(CallSpec {
                resource: id,
                call: c.id,
                entry_point: c.entry_point,
                reason: c.reason,
                generation: c.generation,
            }));
        }
    }

    /// A call thread is about to make `spec`'s call at `now`. Returns
    /// whether to make it, and starts its DeadlockTimeout if so. Not made:
    /// any call of an isolated resource (or one removed), an `Online` or
    /// `Offline` whose operation ended while it was queued, a poll that no
    /// longer matters (a `Terminate` is always made).
    pub(crate) fn call_started(&mut self, spec: &CallSpec, now: Duration) -> bool {
        let Some(Some(entry)) = self.entries.get_mut(spec.resource.0) else {
            return false;
        };
        let generation = entry.generation;
        let isolated = entry.isolated;
        let online = entry.machine.state() == ResourceState::Online;
        let deadlock = entry.machine.timeouts().deadlock();
        let Some(mut call) = entry.find(spec.call) else {
            return false;
        };
        let skip = match call.entry_point {
            EntryPoint::Terminate => None,
            _ if isolated => Some(CallEnd::Isolated),
            EntryPoint::Online | EntryPoint::Offline => call.superseded.map(CallEnd::from),
            EntryPoint::LooksAlive | EntryPoint::IsAlive => {
                (call.generation != generation || !online).then_some(CallEnd::Ended)
            }
        };
        if let Some(end) = skip {
            entry.take(call.id);
            self.resolve(call, end);
            let poll = matches!(
                call.entry_point,
                EntryPoint::LooksAlive | EntryPoint::IsAlive
            );
            if poll && online && !isolated {
                self.arm_poll(spec.resource, call.entry_point, now);
            }
            self.busy_freed(spec.resource);
            return false;
        }
        call.started = true;
        let calls = entry.calls_mut();
        for slot in [&mut calls.busy, &mut calls.terminate] {
            if slot.is_some_and(|c| c.id == call.id) {
                *slot = Some(call);
            }
        }
        let at = now.saturating_add(deadlock);
        self.set_timer(spec.resource, deadline_timer(call.entry_point), at);
        true
    }

    /// `spec`'s call returned at `now` with `answer` (`None`: it panicked).
    pub(crate) fn call_returned(&mut self, spec: &CallSpec, answer: Option<Answer>, now: Duration) {
        if self.hung.remove(&spec.call) {
            // Declared hung already: a late return changes nothing, but
            // its thread is free again.
            self.effects.push(Effect::HungReturned);
            return;
        }
        let id = spec.resource;
        let Some(Some(entry)) = self.entries.get_mut(id.0) else {
            return; // removed meanwhile
        };
        let Some(call) = entry.take(spec.call) else {
            return;
        };
        let current = call.generation == entry.generation && !entry.isolated;
        let online = entry.machine.state() == ResourceState::Online;
        self.timers
            .cancel(key(id, deadline_timer(call.entry_point)));
        match answer {
            _ if !current => {}
            None => self.fail(id, Cause::Panicked(call.entry_point), now),
            Some(Answer::Outcome(o)) => {
                let op = match call.entry_point {
                    EntryPoint::Offline => Operation::Offline,
                    _ => Operation::Online,
                };
                let machine = &mut self.entry_mut(id).machine;
                match machine.returned(op, o, now) {
                    Some(Report::Settled(t)) => {
                        let cause = Cause::Returned(call.entry_point, o);
                        self.transition(id, t, cause, now);
                    }
                    // Pending: the heartbeat runs from now (it was paused
                    // while the entry point ran).
                    Some(Report::Heartbeat { .. }) => {
                        if let Some(d) = machine.deadline() {
                            self.set_timer(id, TimerKind::Heartbeat, d);
                        }
                    }
                    None => {}
                }
            }
            // The host's Terminate leaves the resource Offline; the one the
            // monitor makes after an expired heartbeat leaves it Failed.
            Some(Answer::Terminated) if call.waited => {
                let t = self.entry_mut(id).machine.terminated();
                let reason = Some(call.reason);
                self.transition_because(id, t, Cause::Terminated, reason, now);
            }
            Some(Answer::Terminated) => {}
            Some(Answer::Alive(_)) if !online => {}
            Some(Answer::Alive(true)) => self.arm_poll(id, call.entry_point, now),
            Some(Answer::Alive(false)) if call.entry_point == EntryPoint::LooksAlive => {
                // Looks dead: ask IsAlive at once (nothing else runs now).
                self.arm_poll(id, EntryPoint::LooksAlive, now);
                if self.entry_mut(id).calls().deferred.is_none() {
                    self.make_call(id, EntryPoint::IsAlive, false);
                }
            }
            Some(Answer::Alive(false)) => self.fail(id, Cause::IsAliveFailed, now),
        }
        let end = answer.map_or(CallEnd::Panicked, CallEnd::Answered);
        self.resolve(call, end);
        if call.entry_point != EntryPoint::Terminate && self.entry_mut(id).calls().busy.is_none() {
            self.busy_freed(id);
        }
    }

    /// `spec`'s call is past its DeadlockTimeout at `now`: declares it
    /// hung, and fails and isolates its resource (once).
    pub(super) fn call_hung(&mut self, id: ResourceId, kind: TimerKind, now: Duration) {
        let entry = self.entry_mut(id);
        let deadlock = entry.machine.timeouts().deadlock();
        let calls = entry.calls();
        let slot = match kind {
            TimerKind::TerminateDeadline => calls.terminate,
            _ => calls.busy,
        };
        let Some(call) = slot.and_then(|c| entry.take(c.id)) else {
            return;
        };
        let already = entry.isolated;
        self.hung.insert(call.id);
        self.effects.push(Effect::CallHung);
        self.resolve(call, CallEnd::Hung(deadlock));
        if !already {
            let reason = EscalationReason::Deadlock(deadlock);
            self.isolate(id, call.entry_point, reason, now);
        }
    }

    /// No thread could be found for `spec`'s call: fails and isolates its
    /// resource, as a call that hung before it began.
    pub(crate) fn cannot_call(&mut self, spec: &CallSpec, now: Duration) {
        let id = spec.resource;
        let Some(Some(entry)) = self.entries.get_mut(id.0) else {
            return;
        };
        let Some(call) = entry.take(spec.call) else {
            return;
        };
        let already = entry.isolated;
        self.resolve(call, CallEnd::CannotCall);
        if !already {
            self.isolate(id, call.entry_point, EscalationReason::CannotCall, now);
        }
    }
}
