//! Errors of the host's calls: [`MonitorError`], [`StartError`].

use std::fmt;
use std::time::Duration;

use clusworker_core::resource::{RequestError, TimeoutError};

use super::resource::{EntryPoint, ResourceId};
use crate::builder::SpawnError;

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
    /// No thread could be started to make the call. Nothing changed.
    Spawn(SpawnError),
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
            MonitorError::Spawn(e) => write!(f, "cannot call the entry point: {e}"),
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
    /// The monitor's thread could not be started.
    Spawn(SpawnError),
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
            StartError::Spawn(e) => write!(f, "cannot start the monitor: {e}"),
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
