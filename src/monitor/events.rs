//! What the monitor tells its host: [`Event`], [`Cause`], [`Escalation`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use clusworker_core::resource::{Operation, ResourceState};

use super::resource::{EntryPoint, Outcome, ResourceId};

/// A resource changed state. Subscribe with
/// [`Monitor::subscribe`](super::Monitor::subscribe).
///
/// Events of one monitor are sent in the order the transitions happened.
/// There is one for every transition, and one for every escalation even when
/// the resource had already failed (then `from == to`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Which resource.
    pub resource: ResourceId,
    /// Its name.
    pub name: Arc<str>,
    /// The state before.
    pub from: ResourceState,
    /// The state after.
    pub to: ResourceState,
    /// Why.
    pub cause: Cause,
    /// When, since the monitor started.
    pub at: Duration,
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.at.as_secs_f64() * 1000.0;
        write!(
            f,
            "{ms:9.1} ms  {} {}: {} -> {} ({})",
            self.resource, self.name, self.from, self.to, self.cause
        )
    }
}

/// Why a resource changed state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cause {
    /// The host asked for the operation; the entry point is being called.
    Requested(Operation),
    /// The entry point returned `Done` or `Failed`.
    Returned(EntryPoint, Outcome),
    /// The operation's worker reported the final state.
    Reported {
        /// The report's checkpoint.
        checkpoint: u32,
    },
    /// No valid report came within PendingTimeout of the last one: the
    /// monitor marks the resource failed and calls `Terminate`.
    HeartbeatExpired,
    /// The host's `Terminate` returned: the resource is offline.
    Terminated,
    /// `IsAlive` said the resource is not alive.
    IsAliveFailed,
    /// The entry point panicked; the resource is failed.
    Panicked(EntryPoint),
    /// The entry point did not return within DeadlockTimeout (or could not
    /// be called at all): the resource is failed and isolated, and the
    /// escalation hook was called.
    Escalated(EntryPoint),
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Requested(op) => write!(f, "{op} requested"),
            Cause::Returned(ep, outcome) => write!(f, "{ep} returned {outcome}"),
            Cause::Reported { checkpoint } => write!(f, "reported at checkpoint {checkpoint}"),
            Cause::HeartbeatExpired => f.write_str("PendingTimeout expired"),
            Cause::Terminated => f.write_str("Terminate returned"),
            Cause::IsAliveFailed => f.write_str("IsAlive failed"),
            Cause::Panicked(ep) => write!(f, "{ep} panicked"),
            Cause::Escalated(ep) => write!(f, "{ep} hung past DeadlockTimeout: escalated"),
        }
    }
}

/// An entry point hung: it did not return within DeadlockTimeout (or could
/// not be called). Given to the host's escalation hook
/// ([`MonitorBuilder::on_escalation`](super::MonitorBuilder::on_escalation)).
///
/// The resource is `Failed` and isolated: the monitor makes no further call
/// to it and refuses its reports, and goes on serving every other resource.
/// Windows would recycle the whole resource host process here; Pacemaker
/// would fence the node. The hook decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    /// Which resource.
    pub resource: ResourceId,
    /// Its name.
    pub name: Arc<str>,
    /// The entry point that hung.
    pub entry_point: EntryPoint,
    /// Why.
    pub reason: EscalationReason,
    /// When, since the monitor started.
    pub at: Duration,
}

/// Why an [`Escalation`] happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EscalationReason {
    /// The call ran past DeadlockTimeout (which it carries) and is still
    /// running.
    Deadlock(Duration),
    /// The monitor could not start a thread to make the call.
    CannotCall,
}

impl fmt::Display for Escalation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reason {
            EscalationReason::Deadlock(d) => write!(
                f,
                "resource {} {}: {} did not return within DeadlockTimeout ({d:?}); isolated",
                self.resource, self.name, self.entry_point
            ),
            EscalationReason::CannotCall => write!(
                f,
                "resource {} {}: {} could not be called (no thread); isolated",
                self.resource, self.name, self.entry_point
            ),
        }
    }
}
