//! One resource's bookkeeping: [`Entry`], and its calls ([`Call`]).

use std::sync::Arc;
use std::time::Duration;

use crate::beat::{Beat, Seen};
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
    /// A host thread waits for it.
    pub(crate) waited: bool,
    /// A call thread has begun it (its DeadlockTimeout runs).
    pub(crate) started: bool,
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
    /// Boxed, and only while a call is in flight: most resources most of
    /// the time have none, and a resource's footprint is what a monitor of
    /// 10 000 pays 10 000 times.
    calls: Option<Box<Calls>>,
    /// An entry point hung: no further calls, reports refused.
    pub(crate) isolated: bool,
    /// The pending operation's heartbeat word (its lock-free path), while
    /// one is pending.
    pub(crate) beat: Option<Arc<Beat>>,
}

impl Entry {
    pub(crate) fn new(name: Arc<str>, machine: ResourceMachine) -> Entry {
        Entry {
            name,
            machine,
            generation: 0,
            calls: None,
            isolated: false,
            beat: None,
        }
    }

    /// The calls in flight.
    pub(crate) fn calls(&self) -> &Calls {
        self.calls.as_deref().unwrap_or(&Calls::NONE)
    }

    /// The calls in flight, to change; [`tidy`](Self::tidy) after.
    pub(crate) fn calls_mut(&mut self) -> &mut Calls {
        self.calls.get_or_insert_with(Box::default)
    }

    /// Frees the calls' box once nothing is in flight.
    pub(crate) fn tidy(&mut self) {
        if self
            .calls
            .as_deref()
            .is_some_and(|c| c.busy.is_none() && c.terminate.is_none() && c.deferred.is_none())
        {
            self.calls = None;
        }
    }

    /// Takes call `id` out of its slot, if it is there.
    pub(crate) fn take(&mut self, id: CallId) -> Option<Call> {
        let calls = self.calls.as_deref_mut()?;
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

    /// Folds the heartbeats taken by the lock-free path into the state
    /// machine (`now` dates them); returns what was read, `None` if no
    /// operation's word is open.
    pub(crate) fn fold(&mut self, now: Duration) -> Option<Seen> {
        let seen = self.beat.as_deref()?.read()?;
        self.machine.observe(seen.checkpoint, seen.at(now));
        Some(seen)
    }

    /// Ends the pending operation's word: its heartbeats take the locked
    /// path from now on, which refuses them.
    pub(crate) fn close_beat(&mut self) {
        if let Some(beat) = self.beat.take() {
            beat.close();
        }
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
    fn an_entry_is_at_most_72_bytes() {
        let (entry, machine) = (
            size_of::<super::Entry>(),
            size_of::<crate::machine::ResourceMachine>(),
        );
        assert!(
            entry <= 72 && machine <= 24,
            "expected an entry of at most 72 bytes (its machine 24); got {entry} ({machine})"
        );
    }
}
