//! The names of things: [`ResourceId`], [`EntryPoint`], [`ExitState`]; what
//! the monitor tells its host: [`Event`], [`Cause`], [`Escalation`]; and what
//! it shows: [`ResourceInfo`], [`MonitorStats`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use clusworker_core::Reason;

use crate::machine::{Operation, Outcome, ResourceState};

/// An entry point of a [`Resource`](crate::Resource).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryPoint {
    /// [`Resource::online`](crate::Resource::online).
    Online,
    /// [`Resource::offline`](crate::Resource::offline).
    Offline,
    /// [`Resource::terminate`](crate::Resource::terminate).
    Terminate,
    /// [`Resource::looks_alive`](crate::Resource::looks_alive).
    LooksAlive,
    /// [`Resource::is_alive`](crate::Resource::is_alive).
    IsAlive,
}

impl EntryPoint {
    /// The Windows name of the entry point.
    pub const fn name(self) -> &'static str {
        match self {
            EntryPoint::Online => "Online",
            EntryPoint::Offline => "Offline",
            EntryPoint::Terminate => "Terminate",
            EntryPoint::LooksAlive => "LooksAlive",
            EntryPoint::IsAlive => "IsAlive",
        }
    }
}

impl fmt::Display for EntryPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// A resource's number in its [`Monitor`](crate::Monitor), given by
/// [`Monitor::add`](crate::Monitor::add) in order from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceId(pub(crate) usize);

impl ResourceId {
    /// The number: 0 for the first resource added, and so on.
    pub const fn index(self) -> usize {
        self.0
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// What the monitor tells a worker after a status report:
/// `RESOURCE_EXIT_STATE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExitState {
    /// Keep going (`ResourceExitStateContinue`).
    #[doc(alias = "ResourceExitStateContinue")]
    Continue,
    /// Stop: the operation is over for the monitor (it timed out, was
    /// terminated, or already ended). Wind down and return
    /// (`ResourceExitStateTerminate`).
    #[doc(alias = "ResourceExitStateTerminate")]
    Terminate,
}

/// A resource changed state. Subscribe with
/// [`Monitor::subscribe`](crate::Monitor::subscribe).
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
    /// Why the `Terminate` behind the transition was requested: for
    /// [`Cause::Terminated`], the reason the terminate was asked for
    /// ([`Reason::Requested`] by [`Monitor::terminate`](crate::Monitor::terminate),
    /// whatever [`Monitor::terminate_with`](crate::Monitor::terminate_with)
    /// was given, [`Reason::MonitorShutDown`] when the monitor's drop
    /// terminated it); for [`Cause::HeartbeatExpired`],
    /// [`Reason::PendingTimeout`], with which the monitor then calls
    /// `Terminate`. `None` for every other cause.
    pub reason: Option<Reason>,
    /// When the monitor decided the transition, since it started.
    pub at: Duration,
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.at.as_secs_f64() * 1000.0;
        write!(
            f,
            "{ms:9.1} ms  {} {}: {} -> {} ({}",
            self.resource, self.name, self.from, self.to, self.cause
        )?;
        match self.reason {
            // The cause says it already.
            Some(Reason::PendingTimeout) | None => f.write_str(")"),
            Some(reason) => write!(f, ": {reason})"),
        }
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
    /// monitor marks the resource failed and calls `Terminate` (with
    /// [`Reason::PendingTimeout`], which the event's `reason` carries).
    HeartbeatExpired,
    /// The host's `Terminate` returned: the resource is offline. The
    /// event's `reason` says why it was requested.
    Terminated,
    /// `IsAlive` said the resource is not alive.
    IsAliveFailed,
    /// The resource signalled its own failure while online or coming
    /// online ([`StatusHandle::signal_failure`](crate::StatusHandle::signal_failure);
    /// Resource API 2's `SignalFailure`), for example because its process
    /// died.
    Signalled {
        /// The resource's own code (a process resource gives the exit
        /// status, or 128 + the signal's number).
        code: u32,
    },
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
            Cause::Signalled { code } => {
                write!(f, "the resource signalled a failure (code {code})")
            }
            Cause::Panicked(ep) => write!(f, "{ep} panicked"),
            Cause::Escalated(ep) => write!(f, "{ep} hung past DeadlockTimeout: escalated"),
        }
    }
}

/// An entry point hung: it did not return within DeadlockTimeout (or could
/// not be called). Given to the host's escalation hook
/// ([`MonitorBuilder::on_escalation`](crate::MonitorBuilder::on_escalation)).
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

/// A resource as the monitor sees it now.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResourceInfo {
    /// Its id.
    pub id: ResourceId,
    /// Its name.
    pub name: Arc<str>,
    /// Its state.
    pub state: ResourceState,
    /// The pending operation, if any.
    pub operation: Option<Operation>,
    /// The pending operation's last checkpoint.
    pub checkpoint: Option<u32>,
    /// The pending operation's heartbeat deadline, since the monitor
    /// started.
    pub deadline: Option<Duration>,
    /// Isolated after a hung entry point.
    pub isolated: bool,
}

/// Counters of a monitor, for diagnostics and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MonitorStats {
    /// How many times the timer thread woke up (from a deadline, a
    /// notification, or spuriously). An idle monitor's count stays put.
    pub wakeups: u64,
    /// Timers armed: at most five per resource, never a stale one.
    pub timers: usize,
    /// Resources added.
    pub resources: usize,
    /// Entry-point calls running, not yet declared hung.
    pub calls_in_flight: usize,
    /// Call threads alive (busy, hung or idle).
    pub call_threads: usize,
    /// The most call threads there ever were at once.
    pub peak_call_threads: usize,
    /// Calls queued for a call thread and not yet begun.
    pub queued_calls: usize,
}
