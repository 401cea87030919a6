//! Timers firing: the heartbeat, the health polls, DeadlockTimeout.

use std::time::Duration;

use clusworker_core::Reason;

use crate::beat::LIMIT_MS;
use crate::machine::ResourceState;
use crate::types::{Cause, EntryPoint, ResourceId};

use super::MonitorState;
use super::entry::Superseded;
use super::timers::TimerKind;

impl MonitorState {
    /// Handles the earliest timer if it is due at `now`; returns whether
    /// one was. The driver calls it with a fresh `now` each time, so each
    /// event carries the instant its transition was decided.
    pub(crate) fn fire(&mut self, now: Duration) -> bool {
        let Some(timer) = self.timers.pop_due(now) else {
            return false;
        };
        let id = ResourceId(timer.resource);
        match timer.kind {
            TimerKind::Heartbeat => self.heartbeat_due(id, now),
            TimerKind::LooksAlive => self.poll_due(id, EntryPoint::LooksAlive, now),
            TimerKind::IsAlive => self.poll_due(id, EntryPoint::IsAlive, now),
            kind @ (TimerKind::CallDeadline | TimerKind::TerminateDeadline) => {
                self.call_hung(id, kind, now);
            }
        }
        true
    }

    /// The heartbeat timer of `id` fired: set again at the deadline the
    /// reports moved it to, or, past it, fail the resource and call
    /// `Terminate`. Paused while the operation's own entry point runs.
    fn heartbeat_due(&mut self, id: ResourceId, now: Duration) {
        let entry = self.entry_mut(id);
        // The operation's own entry point has not returned: DeadlockTimeout
        // watches it, not the heartbeat (which watches the worker after a
        // `Pending` return, and is set again then).
        let calls = entry.calls();
        let own_call = [calls.busy, calls.deferred].into_iter().flatten().any(|c| {
            c.generation == entry.generation
                && matches!(c.entry_point, EntryPoint::Online | EntryPoint::Offline)
        });
        if own_call {
            return;
        }
        loop {
            let seen = self.fold(id, now);
            match self.entry_mut(id).machine.deadline() {
                None => return, // the operation ended
                Some(d) if d > now => {
                    // Looked at again at least every 2^30 ms, so that the
                    // heartbeat word's wrapping times stay readable.
                    let limit = now.saturating_add(Duration::from_millis(LIMIT_MS));
                    return self.set_timer(id, TimerKind::Heartbeat, d.min(limit));
                }
                Some(_) => {
                    // Expired, unless a heartbeat lands before the word
                    // closes: then fold it and look again.
                    if seen.is_some_and(|seen| !self.beat_of(id).close_if(seen)) {
                        continue;
                    }
                    let Some(t) = self.entry_mut(id).machine.expire(now) else {
                        return;
                    };
                    self.advance(id, Superseded::Ended);
                    let reason = Reason::PendingTimeout;
                    let cause = Cause::HeartbeatExpired;
                    self.transition_because(id, t, cause, Some(reason), now);
                    if self.entry_mut(id).calls().terminate.is_none() {
                        self.make_terminate(id, reason, false);
                    }
                    return;
                }
            }
        }
    }

    /// A poll of `id` is due: made if the resource is online and nothing
    /// else runs; otherwise skipped until its next interval.
    fn poll_due(&mut self, id: ResourceId, ep: EntryPoint, now: Duration) {
        let entry = self.entry_mut(id);
        if entry.machine.state() != ResourceState::Online || entry.isolated() {
            return;
        }
        if entry.calls().busy.is_some() || entry.calls().terminate.is_some() {
            self.arm_poll(id, ep, now);
            return;
        }
        self.make_call(id, ep, false);
    }
}
