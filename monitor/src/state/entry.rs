//! One resource's bookkeeping: [`Entry`], and its calls ([`Call`]).

use std::sync::Arc;

use crate::machine::ResourceMachine;
use crate::types::EntryPoint;

use super::effects::{CallEnd, CallId};

/// A call made (or to make) to one of the resource's entry points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Call {
    pub(crate) id: CallId,
    pub(crate) entry_point: EntryPoint,
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

/// One resource.
///
/// At most one entry point other than `Terminate` runs at a time
/// ([`busy`](Self::busy)), and at most one `Terminate`
/// ([`terminate`](Self::terminate)); an `Online` or `Offline` asked for
/// while `busy` is taken waits in [`deferred`](Self::deferred) and starts
/// when `busy` frees.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) name: Arc<str>,
    pub(crate) machine: ResourceMachine,
    /// Moves on whenever an operation begins or ends by force (terminate,
    /// expiry, failure, isolation): status handles, calls and their results
    /// carry the generation they were made for, and are moot once it moved.
    pub(crate) generation: u64,
    pub(crate) busy: Option<Call>,
    pub(crate) terminate: Option<Call>,
    pub(crate) deferred: Option<Call>,
    /// An entry point hung: no further calls, reports refused.
    pub(crate) isolated: bool,
}

impl Entry {
    pub(crate) fn new(name: Arc<str>, machine: ResourceMachine) -> Entry {
        Entry {
            name,
            machine,
            generation: 0,
            busy: None,
            terminate: None,
            deferred: None,
            isolated: false,
        }
    }

    /// The slot holding call `id`, if any.
    pub(crate) fn slot_of(&mut self, id: CallId) -> Option<&mut Option<Call>> {
        if self.busy.is_some_and(|c| c.id == id) {
            Some(&mut self.busy)
        } else if self.terminate.is_some_and(|c| c.id == id) {
            Some(&mut self.terminate)
        } else if self.deferred.is_some_and(|c| c.id == id) {
            Some(&mut self.deferred)
        } else {
            None
        }
    }

    /// Calls made and not returned (nor declared hung).
    pub(crate) fn calls_in_flight(&self) -> usize {
        usize::from(self.busy.is_some()) + usize::from(self.terminate.is_some())
    }
}
