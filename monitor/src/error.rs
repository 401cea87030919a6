//! Why a call was refused: [`MonitorError`] (the host's calls),
//! [`StartError`] (starting a monitor), [`StatusError`] (a worker's report).
//! Each refused call changes nothing, unless its variant says otherwise.

use std::fmt;
use std::io;
use std::time::Duration;

use crate::machine::{ReportError, RequestError, ResourceState, TimeoutError};
use crate::types::{EntryPoint, ExitState, ResourceId};

/// Why a host call on a [`Monitor`](super::Monitor) failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum MonitorError {
    /// No resource has this id in this monitor.
    UnknownResource(ResourceId),
    /// The request makes no sense in the resource's state (online while
    /// `OnlinePending`, offline while `Offline`, ...). Nothing changed.
    Rejected {
        /// Which resource.
        resource: ResourceId,
        /// Why.
        error: RequestError,
    },
    /// A `Terminate` of this resource is running; wait for it. Nothing
    /// changed.
    Terminating(ResourceId),
    /// The resource was isolated after one of its entry points hung; the
    /// monitor makes no further calls to it.
    Isolated(ResourceId),
    /// The entry point did not return within DeadlockTimeout: the resource
    /// is now failed and isolated, and the escalation hook was called.
    Hung {
        /// Which resource.
        resource: ResourceId,
        /// The entry point that hung.
        entry_point: EntryPoint,
        /// DeadlockTimeout.
        waited: Duration,
    },
    /// The entry point panicked: the resource is failed.
    Panicked {
        /// Which resource.
        resource: ResourceId,
        /// The entry point that panicked.
        entry_point: EntryPoint,
    },
    /// No thread could be started to make the call, and no call thread
    /// is left to make it. Nothing changed. (The OS error carries its code:
    /// [`io::Error::raw_os_error`].)
    Spawn(io::Error),
    /// The operation ended (a `Terminate`, an expired heartbeat, a failed
    /// health check) while its call waited for another call of the
    /// resource to return: its entry point was never called.
    Ended(ResourceId),
    /// [`Monitor::remove`](crate::Monitor::remove): a call of the resource
    /// that a host waits for has not returned yet (an `Online` or
    /// `Offline` still running after a `Terminate`, or queued). Nothing
    /// changed; remove it once that call has returned. Also
    /// [`Monitor::is_alive`](crate::Monitor::is_alive) when two checks
    /// already wait (one running, one queued after it).
    Busy(ResourceId),
    /// [`Monitor::is_alive`](crate::Monitor::is_alive): a health check
    /// runs only while the resource is `Online`. Nothing changed.
    NotOnline {
        /// Which resource.
        resource: ResourceId,
        /// Its state.
        state: ResourceState,
    },
    /// [`Monitor::remove`](crate::Monitor::remove): a resource is removed
    /// only when it is `Offline`, `Failed` or `Unknown`, with no operation
    /// pending. Nothing changed.
    NotRemovable {
        /// Which resource.
        resource: ResourceId,
        /// Its state.
        state: ResourceState,
    },
}

impl fmt::Display for MonitorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MonitorError::UnknownResource(r) => write!(f, "no resource {r} in this monitor"),
            MonitorError::Rejected { resource, error } => write!(f, "resource {resource}: {error}"),
            MonitorError::Terminating(r) => {
                write!(
                    f,
                    "resource {r}: a Terminate is running; nothing else can start"
                )
            }
            MonitorError::Isolated(r) => write!(
                f,
                "resource {r} is isolated after a hung entry point; no more calls are made to it"
            ),
            MonitorError::Hung {
                resource,
                entry_point,
                waited,
            } => write!(
                f,
                "resource {resource}: {entry_point} did not return within DeadlockTimeout ({waited:?}); \
                 the resource is failed and isolated"
            ),
            MonitorError::Panicked {
                resource,
                entry_point,
            } => write!(
                f,
                "resource {resource}: {entry_point} panicked; the resource is failed"
            ),
            MonitorError::Spawn(e) => {
                write!(
                    f,
                    "cannot call the entry point: no call thread could be started: {e}"
                )
            }
            MonitorError::Ended(r) => write!(
                f,
                "resource {r}: the operation ended before its entry point could be called"
            ),
            MonitorError::Busy(r) => write!(
                f,
                "resource {r}: a call that a host waits for has not returned yet; ask again once it has"
            ),
            MonitorError::NotRemovable { resource, state } => write!(
                f,
                "resource {resource} is {state}: take it offline (or terminate it) before removing it"
            ),
            MonitorError::NotOnline { resource, state } => write!(
                f,
                "resource {resource} is {state}: IsAlive is only called while it is Online"
            ),
        }
    }
}

impl std::error::Error for MonitorError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MonitorError::Rejected { error, .. } => Some(error),
            MonitorError::Spawn(e) => Some(e),
            _ => None,
        }
    }
}

/// Why a monitor could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// A timeout below its minimum.
    Timeouts(TimeoutError),
    /// A health-poll interval below the 10 ms minimum.
    Interval {
        /// `LooksAlive` or `IsAlive`.
        entry_point: EntryPoint,
        /// The interval asked for.
        requested: Duration,
    },
    /// The monitor's timer thread could not be started.
    Spawn(io::Error),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Timeouts(e) => write!(f, "cannot start the monitor: {e}"),
            StartError::Interval {
                entry_point,
                requested,
            } => write!(
                f,
                "cannot start the monitor: the {entry_point} interval {requested:?} is below the minimum of 10ms"
            ),
            StartError::Spawn(e) => write!(f, "cannot start the monitor's thread: {e}"),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Timeouts(e) => Some(e),
            StartError::Spawn(e) => Some(e),
            StartError::Interval { .. } => None,
        }
    }
}

/// Why a status report was refused. Nothing changed, and the report was not
/// a heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatusError {
    /// The report broke a rule of the state machine: a stale checkpoint, a
    /// state the operation cannot reach, nothing pending, or too late.
    Rejected(ReportError),
    /// The operation this handle belongs to is over: terminated (by the
    /// host, or by the monitor when its heartbeat expired), or a later
    /// operation began.
    Ended,
    /// The resource was isolated after an entry point hung.
    Isolated,
    /// The monitor has shut down.
    Stopped,
}

impl StatusError {
    /// What [`StatusHandle::set_resource_status`](crate::StatusHandle::set_resource_status) answers for this error:
    /// [`ExitState::Continue`] for a stale checkpoint or an unreachable
    /// state (the worker may report again correctly), otherwise
    /// [`ExitState::Terminate`].
    pub fn exit_state(&self) -> ExitState {
        match self {
            StatusError::Rejected(
                ReportError::StaleCheckpoint { .. } | ReportError::Unreachable { .. },
            ) => ExitState::Continue,
            _ => ExitState::Terminate,
        }
    }
}

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusError::Rejected(e) => fmt::Display::fmt(e, f),
            StatusError::Ended => f.write_str("status report refused: the operation is over"),
            StatusError::Isolated => {
                f.write_str("status report refused: the resource was isolated after a hung call")
            }
            StatusError::Stopped => f.write_str("status report refused: the monitor has shut down"),
        }
    }
}

impl std::error::Error for StatusError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StatusError::Rejected(e) => Some(e),
            _ => None,
        }
    }
}
