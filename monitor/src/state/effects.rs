//! What the state decides and the driver carries out: [`Effect`], and the
//! values it carries ([`CallSpec`], [`CallEnd`], [`Answer`]).

use std::time::Duration;

use clusworker_core::Reason;

use crate::machine::Outcome;
use crate::types::{EntryPoint, Escalation, Event, ResourceId};

/// A call's number in its monitor: unique, in order of creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct CallId(pub(crate) u64);

/// An entry-point call to make on a call thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CallSpec {
    pub(crate) resource: ResourceId,
    pub(crate) call: CallId,
    pub(crate) entry_point: EntryPoint,
    /// Why, for a `Terminate` (`Requested` for the other entry points):
    /// what [`Resource::terminate_with`](crate::Resource::terminate_with)
    /// is given.
    pub(crate) reason: Reason,
    /// The resource's generation the call belongs to: its status handle
    /// reports for this generation.
    pub(crate) generation: u64,
}

/// What an entry point answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// `Online` or `Offline` returned.
    Outcome(Outcome),
    /// `LooksAlive` or `IsAlive` returned.
    Alive(bool),
    /// `Terminate` returned.
    Terminated,
}

/// How a call the host waits for ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallEnd {
    /// The entry point returned.
    Answered(Answer),
    /// The entry point panicked; the resource is failed.
    Panicked,
    /// It ran past DeadlockTimeout (which this carries); the resource is
    /// failed and isolated.
    Hung(Duration),
    /// The operation ended (timed out, failed) before its entry point could
    /// be called; it never was.
    Ended,
    /// A `Terminate` ended the operation before its entry point could be
    /// called; it never was.
    Terminating,
    /// The resource was isolated (another call hung) before this one could
    /// be made.
    Isolated,
    /// No call thread could be started for it; the resource is failed and
    /// isolated.
    CannotCall,
}

/// One thing for the driver to do, in the order the state decided them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Send this event to the subscribers.
    Event(Event),
    /// Queue this call for a call thread.
    Start(CallSpec),
    /// The hosts waiting for this call (how many) can return.
    Resolve(CallId, CallEnd, u8),
    /// Run the host's escalation hook.
    Escalate(Escalation),
    /// A call thread is stuck in a hung call: the pool may start one more.
    CallHung,
    /// A hung call returned at last: its thread counts again.
    HungReturned,
    /// The earliest deadline moved earlier: wake the timer thread.
    EarliestChanged,
}
