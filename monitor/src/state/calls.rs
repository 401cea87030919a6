//! Calls: made (queued at once or deferred behind the running one),
//! superseded when a generation moves on, and resolved for the host that
//! waits for them.

use clusworker_core::Reason;

use crate::types::{EntryPoint, ResourceId};

use super::MonitorState;
use super::effects::{CallEnd, CallId, CallSpec, Effect};
use super::entry::{Call, Superseded};

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
            hosts: u8::from(waited),
            started: false,
            asked: false,
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
        self.close_beat(id);
        let entry = self.entry_mut(id);
        entry.generation += 1;
        let end = if entry.isolated() {
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

    /// Tells the host waiting for `call` (if any) how it ended.
    pub(super) fn resolve(&mut self, call: Call, end: CallEnd) {
        if call.hosts > 0 {
            self.effects.push(Effect::Resolve(call.id, end, call.hosts));
        }
    }

    /// The busy slot of `id` is free: the deferred call, if any, goes.
    pub(super) fn busy_freed(&mut self, id: ResourceId) {
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
}
