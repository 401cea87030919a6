//! One resource's bookkeeping: [`Entry`], and its calls ([`Call`]).

use std::sync::Arc;

use crate::machine::ResourceMachine;
use clusworker_core::Reason;

use crate::types::EntryPoint;

use super::effects::{CallEnd, CallId};

/// A call made (or to make) to one of the resource's entry points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Call {
    pub(crate) id: CallId,
    pub(crate) entry_point: EntryPoint,
    /// Why, for a `Terminate` (`Requested` for the other entry points).
    pub(crate) reason: Reason,
    /// The resource's generation when the call was made.
    pub(crate) generation: u64,
    /// How many host threads wait for it (more than one only for a health
    /// check two hosts asked for: [`MonitorState::is_alive_now`](super::MonitorState::is_alive_now)).
    pub(crate) hosts: u8,
    /// A call thread has begun it (its DeadlockTimeout runs).
    pub(crate) started: bool,
    /// An `IsAlive` begun with a host waiting for it: made through
    /// [`Resource::is_alive_now`](crate::Resource::is_alive_now).
    pub(crate) asked: bool,
    /// Its operation ended before a call thread began it, thus: it will not
    /// be made.
    pub(crate) superseded: Option<Superseded>,
}

/// Why a call will not be made after all: what its host learns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Superseded {
    /// The operation ended (timed out, failed).
    Ended,
    /// A `Terminate` ended it.
    Terminating,
    /// Another call of the resource hung.
    Isolated,
}

impl From<Superseded> for CallEnd {
    fn from(s: Superseded) -> CallEnd {
        match s {
            Superseded::Ended => CallEnd::Ended,
            Superseded::Terminating => CallEnd::Terminating,
            Superseded::Isolated => CallEnd::Isolated,
        }
    }
}

/// The calls of one resource in flight: at most one entry point other
/// than `Terminate` ([`busy`](Self::busy)), at most one `Terminate`, and an
/// `Online` or `Offline` asked for while `busy` is taken, which starts when
/// it frees ([`deferred`](Self::deferred)).
#[derive(Debug, Default)]
pub(crate) struct Calls {
    pub(crate) busy: Option<Call>,
    pub(crate) terminate: Option<Call>,
    pub(crate) deferred: Option<Call>,
}

impl Calls {
    const NONE: Calls = Calls {
        busy: None,
        terminate: None,
        deferred: None,
    };

    fn none(&self) -> bool {
        self.busy.is_none() && self.terminate.is_none() && self.deferred.is_none()
    }
}

/// What most resources most of the time do not have: calls in flight, a
/// spare heartbeat word, isolation. Boxed in the entry only while there is
/// some.
#[derive(Debug, Default)]
struct Rare {
    calls: Calls,
    /// The pending operation's spare word ([`super::beats::Beats`]), when
    /// its own was still held at its beginning.
    spare: Option<u32>,
    /// An entry point hung: no further calls, reports refused.
    isolated: bool,
}

/// One resource.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) name: Arc<str>,
    pub(crate) machine: ResourceMachine,
    /// Moves on whenever an operation begins or ends by force (terminate,
    /// expiry, failure, isolation): status handles, calls and their results
    /// carry the generation they were made for, and are moot once it moved.
    pub(crate) generation: u64,
    /// Boxed, and only while there is some: a resource's footprint is what
    /// a monitor of 10 000 pays 10 000 times. (The pending operation's
    /// heartbeat word is in [`super::beats::Beats`], by the resource's
    /// index or this box's spare.)
    rare: Option<Box<Rare>>,
}

impl Entry {
    pub(crate) fn new(name: Arc<str>, machine: ResourceMachine) -> Entry {
        Entry {
            name,
            machine,
            generation: 0,
            rare: None,
        }
    }

    fn rare_mut(&mut self) -> &mut Rare {
        self.rare.get_or_insert_with(Box::default)
    }

    /// The calls in flight.
    pub(crate) fn calls(&self) -> &Calls {
        self.rare.as_deref().map_or(&Calls::NONE, |r| &r.calls)
    }

    /// The calls in flight, to change; [`tidy`](Self::tidy) after.
    pub(crate) fn calls_mut(&mut self) -> &mut Calls {
        &mut self.rare_mut().calls
    }

    /// Has an entry point of it hung?
    pub(crate) fn isolated(&self) -> bool {
        self.rare.as_deref().is_some_and(|r| r.isolated)
    }

    /// An entry point of it hung: for good.
    pub(crate) fn isolate(&mut self) {
        self.rare_mut().isolated = true;
    }

    /// The pending operation's spare word, if it has one.
    pub(crate) fn spare(&self) -> Option<u32> {
        self.rare.as_deref().and_then(|r| r.spare)
    }

    /// Sets (or clears) the pending operation's spare word;
    /// [`tidy`](Self::tidy) after.
    pub(crate) fn set_spare(&mut self, spare: Option<u32>) {
        if spare.is_some() || self.rare.is_some() {
            self.rare_mut().spare = spare;
        }
    }

    /// Frees the box once there is nothing in it.
    pub(crate) fn tidy(&mut self) {
        if self
            .rare
            .as_deref()
            .is_some_and(|r| r.calls.none() && r.spare.is_none() && !r.isolated)
        {
            self.rare = None;
        }
    }

    /// Takes call `id` out of its slot, if it is there.
    pub(crate) fn take(&mut self, id: CallId) -> Option<Call> {
        let calls = &mut self.rare.as_deref_mut()?.calls;
        let call = [&mut calls.busy, &mut calls.terminate, &mut calls.deferred]
            .into_iter()
            .find(|slot| slot.is_some_and(|c| c.id == id))?
            .take();
        self.tidy();
        call
    }

    /// Call `id`, if it is in flight.
    pub(crate) fn find(&self, id: CallId) -> Option<Call> {
        let c = self.calls();
        [c.busy, c.terminate, c.deferred]
            .into_iter()
            .flatten()
            .find(|c| c.id == id)
    }

    /// Calls made and not returned (nor declared hung).
    pub(crate) fn calls_in_flight(&self) -> usize {
        let c = self.calls();
        usize::from(c.busy.is_some()) + usize::from(c.terminate.is_some())
    }
}

#[cfg(test)]
mod tests {
    /// A monitor of 10 000 resources pays an entry 10 000 times.
    #[test]
    fn an_entry_is_at_most_56_bytes() {
        let (entry, machine) = (
            size_of::<super::Entry>(),
            size_of::<crate::machine::ResourceMachine>(),
        );
        assert!(
            entry <= 56 && machine <= 24,
            "expected an entry of at most 56 bytes (its machine 24); got {entry} ({machine})"
        );
    }
}
