//! Why the state machine rejected a call: [`RequestError`],
//! [`ReportError`], [`TimeoutError`].

use core::fmt;
use core::time::Duration;

use super::state::{Operation, ResourceState};

/// Why an `Online` or `Offline` request was rejected. Nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestError {
    /// An operation is already pending; it must finish, fail, or be
    /// terminated first.
    Pending {
        /// The operation that was requested.
        requested: Operation,
        /// The operation that is pending.
        pending: Operation,
    },
    /// The resource is already in the state the operation leads to.
    AlreadyThere {
        /// The operation that was requested.
        requested: Operation,
        /// The resource's state.
        state: ResourceState,
    },
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::Pending { requested, pending } => write!(
                f,
                "cannot start {requested}: an {pending} operation is pending ({})",
                pending.pending_state()
            ),
            RequestError::AlreadyThere { requested, state } => {
                write!(
                    f,
                    "cannot start {requested}: the resource is already {state}"
                )
            }
        }
    }
}

impl core::error::Error for RequestError {}

/// Why a status report was rejected. Nothing changed, and a rejected report
/// is not a heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReportError {
    /// No operation is pending, so there is nothing to report on.
    NotPending {
        /// The resource's (settled) state.
        state: ResourceState,
    },
    /// The pending operation cannot lead to the reported state (an `Online`
    /// operation reporting `OfflinePending`, any report of `Unknown`).
    Unreachable {
        /// The pending operation.
        operation: Operation,
        /// The state that was reported.
        reported: ResourceState,
    },
    /// A pending report whose checkpoint does not exceed the previous one.
    StaleCheckpoint {
        /// The checkpoint of the last valid report (0 when the operation
        /// started).
        previous: u32,
        /// The checkpoint that was reported.
        reported: u32,
    },
    /// The report came at or after the heartbeat deadline: too late, the
    /// operation has timed out (even if the timeout is not processed yet).
    Late {
        /// The heartbeat deadline that passed.
        deadline: Duration,
        /// The time of the report.
        now: Duration,
    },
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportError::NotPending { state } => {
                write!(
                    f,
                    "status report rejected: nothing is pending (the resource is {state})"
                )
            }
            ReportError::Unreachable {
                operation,
                reported,
            } => write!(
                f,
                "status report rejected: a pending {operation} cannot lead to {reported}"
            ),
            ReportError::StaleCheckpoint { previous, reported } => write!(
                f,
                "status report rejected: checkpoint {reported} does not exceed the previous {previous}"
            ),
            ReportError::Late { deadline, now } => write!(
                f,
                "status report rejected: it came at {now:?}, after the heartbeat deadline {deadline:?}"
            ),
        }
    }
}

impl core::error::Error for ReportError {}

/// A timeout below the minimum of 10 ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutError {
    /// PendingTimeout below [`Timeouts::MIN`](super::Timeouts::MIN).
    PendingTooShort {
        /// The value asked for.
        requested: Duration,
    },
    /// DeadlockTimeout below [`Timeouts::MIN`](super::Timeouts::MIN).
    DeadlockTooShort {
        /// The value asked for.
        requested: Duration,
    },
}

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeoutError::PendingTooShort { requested } => write!(
                f,
                "PendingTimeout {requested:?} is below the minimum of 10ms"
            ),
            TimeoutError::DeadlockTooShort { requested } => write!(
                f,
                "DeadlockTimeout {requested:?} is below the minimum of 10ms"
            ),
        }
    }
}

impl core::error::Error for TimeoutError {}
