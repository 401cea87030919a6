//! A call as its call thread lives it: begun (or skipped), returned,
//! declared hung by its DeadlockTimeout, or never made for want of a
//! thread.

use std::time::Duration;

use crate::machine::{Operation, Report, ResourceState};
use crate::types::{Cause, EntryPoint, EscalationReason, ResourceId};

use super::effects::{Answer, CallEnd, CallSpec, Effect};
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
        let isolated = entry.isolated();
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
        call.asked = call.entry_point == EntryPoint::IsAlive && call.hosts > 0;
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
        let current = call.generation == entry.generation && !entry.isolated();
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
            Some(Answer::Terminated) if call.hosts > 0 => {
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
        let already = entry.isolated();
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
        let already = entry.isolated();
        self.resolve(call, CallEnd::CannotCall);
        if !already {
            self.isolate(id, call.entry_point, EscalationReason::CannotCall, now);
        }
    }
}
