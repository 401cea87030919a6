//! The worker's side: [`StatusHandle`], [`ExitState`], [`StatusError`].

use std::fmt;
use std::sync::Arc;

use clusworker_core::resource::{self, ResourceState};

use super::resource::ResourceId;
use super::supervisor::Shared;

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

/// The status handle of one pending operation: how its worker reports
/// progress to the monitor (`SetResourceStatus`).
///
/// Given to [`Resource::online`](super::Resource::online) and
/// [`Resource::offline`](super::Resource::offline); clone it into the
/// operation's [`Worker`](crate::Worker). It is tied to that one operation:
/// once the operation has ended (the resource settled, was terminated, timed
/// out, or a later operation began), its reports are refused with
/// [`ExitState::Terminate`].
///
/// # Examples
///
/// ```
/// use clusworker::monitor::{ExitState, Monitor, Outcome, Resource, ResourceState, StatusHandle};
///
/// struct Quick;
/// impl Resource for Quick {
///     fn online(&self, status: StatusHandle) -> Outcome {
///         // Report from the entry point itself (a worker would do the same).
///         assert_eq!(status.set_resource_status(ResourceState::OnlinePending, 1), ExitState::Continue);
///         assert_eq!(status.set_resource_status(ResourceState::Online, 2), ExitState::Continue);
///         Outcome::Pending
///     }
///     fn offline(&self, _: StatusHandle) -> Outcome { Outcome::Done }
///     fn terminate(&self) {}
/// }
///
/// let monitor = Monitor::start()?;
/// let id = monitor.add("quick", Quick);
/// assert_eq!(monitor.online(id)?, Outcome::Pending);
/// assert_eq!(monitor.state(id)?, ResourceState::Online);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct StatusHandle {
    pub(crate) shared: Arc<Shared>,
    pub(crate) resource: ResourceId,
    pub(crate) op: u64,
}

impl StatusHandle {
    /// Reports `state` with `checkpoint`: `SetResourceStatus`.
    ///
    /// A report of the pending state (`OnlinePending`, `OfflinePending`)
    /// with a checkpoint above the last one is a heartbeat: the monitor
    /// resets the PendingTimeout. A report of the target state (or `Failed`)
    /// ends the operation. Returns [`ExitState::Terminate`] when the worker
    /// should stop; a rejected report is not a heartbeat (see
    /// [`report`](Self::report) for the reason).
    #[doc(alias = "SetResourceStatus")]
    pub fn set_resource_status(&self, state: ResourceState, checkpoint: u32) -> ExitState {
        self.report(state, checkpoint)
            .unwrap_or_else(|e| e.exit_state())
    }

    /// As [`set_resource_status`](Self::set_resource_status), and says why a
    /// report was refused.
    ///
    /// # Errors
    ///
    /// [`StatusError`]: the report broke a rule (nothing changed), or the
    /// operation is over. [`StatusError::exit_state`] says whether to go on.
    pub fn report(&self, state: ResourceState, checkpoint: u32) -> Result<ExitState, StatusError> {
        self.shared.report(self, state, checkpoint)
    }

    /// The resource this handle reports for.
    pub fn resource(&self) -> ResourceId {
        self.resource
    }
}

impl fmt::Debug for StatusHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatusHandle")
            .field("resource", &self.resource)
            .field("operation", &self.op)
            .finish_non_exhaustive()
    }
}

/// Why a status report was refused. Nothing changed, and the report was not
/// a heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatusError {
    /// The report broke a rule of the state machine: a stale checkpoint, a
    /// state the operation cannot reach, nothing pending, or too late.
    Rejected(resource::ReportError),
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
    /// What [`StatusHandle::set_resource_status`] answers for this error:
    /// [`ExitState::Continue`] for a stale checkpoint or an unreachable
    /// state (the worker may report again correctly), otherwise
    /// [`ExitState::Terminate`].
    pub fn exit_state(&self) -> ExitState {
        match self {
            StatusError::Rejected(
                resource::ReportError::StaleCheckpoint { .. }
                | resource::ReportError::Unreachable { .. },
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
