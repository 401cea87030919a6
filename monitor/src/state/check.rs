//! A health check the host asks for: the resource's `IsAlive`, now.

use crate::error::MonitorError;
use crate::machine::ResourceState;
use crate::types::{EntryPoint, ResourceId};

use super::effects::{CallId, CallSpec};
use super::entry::Call;
use super::timers::TimerKind;
use super::{MonitorState, key};

/// Most hosts that wait for one check (the count is a `u8` in [`Call`]).
const MOST_HOSTS: u8 = u8::MAX;

impl MonitorState {
    /// The host's `is_alive`: an `IsAlive` call that the host waits for.
    ///
    /// - One already queued, or running for another host's check, answers
    ///   this host too: checks asked for together make one call. A
    ///   scheduled poll already running does not (it was made through
    ///   `is_alive`, which may answer from what the resource keeps between
    ///   polls): a new call waits for it.
    /// - Otherwise a new call is made. While another poll runs, it waits
    ///   for it, as `Online` and `Offline` do: never two entry points at
    ///   once.
    /// - The scheduled `IsAlive` poll is put off: the answer sets it again,
    ///   one interval later (a check is a poll).
    ///
    /// Refused, and nothing changed, unless the resource is `Online`, not
    /// isolated, and no `Terminate` runs.
    pub(crate) fn is_alive_now(&mut self, id: ResourceId) -> Result<CallId, MonitorError> {
        let entry = self.callable(id)?;
        let state = entry.machine.state();
        if state != ResourceState::Online {
            return Err(MonitorError::NotOnline {
                resource: id,
                state,
            });
        }
        let generation = entry.generation;
        let same = |c: &Call| {
            c.entry_point == EntryPoint::IsAlive
                && c.generation == generation
                && c.superseded.is_none()
                && c.hosts < MOST_HOSTS
                // A scheduled poll already begun may answer from what the
                // resource keeps between polls: not an answer to "now".
                && (!c.started || c.asked)
        };
        let calls = entry.calls();
        if let Some(c) = calls.busy.filter(same).or(calls.deferred.filter(same)) {
            let calls = self.entry_mut(id).calls_mut();
            for slot in [&mut calls.busy, &mut calls.deferred] {
                if slot.is_some_and(|s| s.id == c.id) {
                    *slot = Some(Call {
                        hosts: c.hosts + 1,
                        ..c
                    });
                }
            }
            return Ok(c.id);
        }
        if calls.deferred.is_some() {
            // Online, a call already waits for the busy one: only an
            // `IsAlive` does, and `same` took it, unless 255 hosts wait.
            return Err(MonitorError::Busy(id));
        }
        self.timers.cancel(key(id, TimerKind::IsAlive));
        Ok(self.make_call(id, EntryPoint::IsAlive, true))
    }
}

impl MonitorState {
    /// Is `spec`'s call, begun, an `IsAlive` a host asked for (to be made
    /// through `Resource::is_alive_now`)?
    pub(crate) fn asked(&self, spec: &CallSpec) -> bool {
        let Some(Some(entry)) = self.entries.get(spec.resource.0) else {
            return false;
        };
        entry.find(spec.call).is_some_and(|c| c.asked)
    }
}
