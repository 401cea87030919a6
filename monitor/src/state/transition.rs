//! Transitions: their events, the timers they start or stop, and the
//! failures and isolations that cause them.

use std::sync::Arc;
use std::time::Duration;

use clusworker_core::Reason;

use crate::machine::{ResourceState, Transition};
use crate::types::{Cause, EntryPoint, Escalation, EscalationReason, Event, ResourceId};

use super::effects::Effect;
use super::entry::Superseded;
use super::timers::TimerKind;
use super::{MonitorState, key};

impl MonitorState {
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
            self.close_beat(id);
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
        entry.isolate();
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
}
