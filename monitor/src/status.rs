//! The worker's side: [`StatusHandle`], through which a pending
//! operation's worker reports (`SetResourceStatus`).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::beat::Held;
use crate::error::StatusError;
use crate::machine::ResourceState;
use crate::types::{ExitState, ResourceId};

/// Where a [`StatusHandle`]'s reports go: the monitor's driver. A trait, so
/// that the handle knows nothing of the driver.
pub(crate) trait ReportSink: Send + Sync {
    /// `SetResourceStatus(state, checkpoint)` for generation `generation`
    /// of `resource`.
    fn report(
        &self,
        resource: ResourceId,
        generation: u64,
        state: ResourceState,
        checkpoint: u32,
    ) -> Result<ExitState, StatusError>;

    /// `SignalFailure(code)` for generation `generation` of `resource`.
    fn signal_failure(
        &self,
        resource: ResourceId,
        generation: u64,
        code: u32,
    ) -> Result<(), StatusError>;
}

/// The status handle of one pending operation: how its worker reports
/// progress to the monitor (`SetResourceStatus`).
///
/// Given to [`Resource::online`](crate::Resource::online) and
/// [`Resource::offline`](crate::Resource::offline); clone it into the
/// operation's worker (a clusworker `Worker`). It is tied to that one operation:
/// once the operation has ended (the resource settled, was terminated, timed
/// out, or a later operation began), its reports are refused with
/// [`ExitState::Terminate`].
///
/// # Examples
///
/// ```
/// use clusworker_monitor::{ExitState, Monitor, Outcome, Resource, ResourceState, StatusHandle};
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
    /// The operation's heartbeat word: a heartbeat is taken there without
    /// the monitor's lock (see `beat/mod.rs`). Declared before `sink`, so
    /// dropped before it: the word lives in the monitor's state, which the
    /// sink keeps.
    beat: Option<Held>,
    sink: Arc<dyn ReportSink>,
    resource: ResourceId,
    generation: u64,
}

impl StatusHandle {
    pub(crate) fn new(
        sink: Arc<dyn ReportSink>,
        resource: ResourceId,
        generation: u64,
        beat: Option<Held>,
    ) -> Self {
        StatusHandle {
            sink,
            resource,
            generation,
            beat,
        }
    }

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
        // The diagnostics list's mark of the reporting thread: one load
        // while the list is off.
        clusworker_core::progress::mark(u64::from(checkpoint));
        // A heartbeat: one compare-and-swap on the operation's word, and a
        // coarse clock read. Anything else (or a heartbeat the word cannot
        // judge) decides under the monitor's lock.
        if let Some(beat) = &self.beat {
            if beat.takes(state) && beat.heartbeat(checkpoint) {
                return Ok(ExitState::Continue);
            }
        }
        self.sink
            .report(self.resource, self.generation, state, checkpoint)
    }

    /// Signals that the resource has failed on its own (Resource API 2's
    /// `SignalFailure`): a process resource whose process died, a disk that
    /// went away. Allowed from the moment `online` is called until the next
    /// operation begins, so the worker (or a watcher thread) of the online
    /// operation keeps its handle and calls this when the resource fails,
    /// without waiting for the next health poll. The resource goes `Failed`
    /// at once with [`Cause::Signalled`](crate::Cause::Signalled) carrying
    /// `code`; what happens next is the host's choice, as after a failed
    /// `IsAlive`.
    ///
    /// # Errors
    ///
    /// [`StatusError::Ended`] if the online operation is over (the resource
    /// was taken offline, terminated, had already failed, or a later
    /// operation began), [`StatusError::Isolated`], or
    /// [`StatusError::Stopped`]. Nothing changes then.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Mutex;
    /// use clusworker_monitor::{Cause, Monitor, Outcome, Resource, ResourceState, StatusHandle};
    ///
    /// /// Online at once; keeps its handle to report a failure later.
    /// #[derive(Default)]
    /// struct Service(Mutex<Option<StatusHandle>>);
    /// impl Resource for Service {
    ///     fn online(&self, status: StatusHandle) -> Outcome {
    ///         *self.0.lock().unwrap() = Some(status);
    ///         Outcome::Done
    ///     }
    ///     fn offline(&self, _: StatusHandle) -> Outcome { Outcome::Done }
    ///     fn terminate(&self) {}
    /// }
    ///
    /// let monitor = Monitor::start()?;
    /// let service = std::sync::Arc::new(Service::default());
    /// let id = monitor.add("service", service.clone());
    /// let events = monitor.subscribe();
    /// monitor.online(id)?;
    /// // Later the service dies, with exit status 3:
    /// let handle = service.0.lock().unwrap().take().unwrap();
    /// handle.signal_failure(3)?;
    /// assert_eq!(monitor.state(id)?, ResourceState::Failed);
    /// let failed = events.iter().find(|e| e.to == ResourceState::Failed).unwrap();
    /// assert_eq!(failed.cause, Cause::Signalled { code: 3 });
    /// // Once failed, the handle's operation is over:
    /// assert!(handle.signal_failure(3).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "SignalFailure")]
    pub fn signal_failure(&self, code: u32) -> Result<(), StatusError> {
        self.sink
            .signal_failure(self.resource, self.generation, code)
    }

    /// How long the worker has, from now, before its next report is due:
    /// what is left of the PendingTimeout since the last heartbeat (or
    /// since the operation began), on the early side by a few
    /// milliseconds. `None` when the operation is over, or for a handle
    /// given outside a pending operation. systemd hands its services the
    /// same thing as `WATCHDOG_USEC`; a worker that reports every half of
    /// it never expires.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Mutex;
    /// use std::time::Duration;
    /// use clusworker_monitor::{Monitor, Outcome, Resource, ResourceState, StatusHandle, Timeouts};
    ///
    /// /// Goes pending and leaves the reporting to the caller.
    /// #[derive(Default)]
    /// struct Slow(Mutex<Option<StatusHandle>>);
    /// impl Resource for Slow {
    ///     fn online(&self, status: StatusHandle) -> Outcome {
    ///         *self.0.lock().unwrap() = Some(status);
    ///         Outcome::Pending
    ///     }
    ///     fn offline(&self, _: StatusHandle) -> Outcome { Outcome::Done }
    ///     fn terminate(&self) {}
    /// }
    ///
    /// let monitor = Monitor::start()?;
    /// let slow = std::sync::Arc::new(Slow::default());
    /// let timeouts = Timeouts::new(Duration::from_secs(60), Duration::from_secs(60))?;
    /// let id = monitor.add_with_timeouts("slow", slow.clone(), timeouts);
    /// monitor.online(id)?;
    /// let status = slow.0.lock().unwrap().take().unwrap();
    /// let due = status.report_due_in().expect("pending");
    /// assert!(due <= Duration::from_secs(60));
    /// status.report(ResourceState::OnlinePending, 1)?; // a heartbeat
    /// assert!(status.report_due_in().expect("still pending") <= Duration::from_secs(60));
    /// status.report(ResourceState::Online, 2)?; // done
    /// assert_eq!(status.report_due_in(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn report_due_in(&self) -> Option<Duration> {
        self.beat.as_ref()?.left()
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
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}
