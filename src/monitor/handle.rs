//! The host's handle: [`Monitor`], with [`ResourceInfo`] and
//! [`MonitorStats`].

use std::fmt;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use clusworker_core::resource::{Operation, ResourceState, Timeouts};

use super::builder::MonitorBuilder;
use super::error::{MonitorError, StartError};
use super::events::Event;
use super::resource::{Outcome, Resource, ResourceId};
use super::supervisor::Shared;
use crate::builder::Builder;
use crate::worker::Worker;

/// The Resource Monitor: supervises resources' entry points, pending
/// operations and health, on its own [`Worker`].
///
/// Start one with [`Monitor::start`] (Windows' defaults) or
/// [`Monitor::builder`]; add resources with [`add`](Self::add); drive them
/// with [`online`](Self::online), [`offline`](Self::offline) and
/// [`terminate`](Self::terminate); watch them with
/// [`subscribe`](Self::subscribe), [`info`](Self::info) and
/// [`resources`](Self::resources). `Monitor` is `Send + Sync`: any number of
/// host threads may call it at once.
///
/// Each entry-point call runs on a call thread of the monitor, and the
/// calling host thread waits for it at most DeadlockTimeout: past that, the
/// call is declared hung, the resource is failed and isolated, and the
/// escalation hook runs. Every other resource keeps being served.
///
/// Dropping the monitor stops its thread. It does not take resources
/// offline: do that first. Reports that come afterwards are answered
/// [`ExitState::Terminate`](super::ExitState::Terminate); calls still
/// running on call threads finish there, unobserved.
///
/// # Examples
///
/// ```
/// use clusworker::monitor::{Cause, Monitor, Outcome, Resource, ResourceState, StatusHandle};
///
/// struct Address;
/// impl Resource for Address {
///     fn online(&self, _: StatusHandle) -> Outcome { Outcome::Done }
///     fn offline(&self, _: StatusHandle) -> Outcome { Outcome::Done }
///     fn terminate(&self) {}
/// }
///
/// let monitor = Monitor::start()?;
/// let events = monitor.subscribe();
/// let ip = monitor.add("ip", Address);
/// assert_eq!(monitor.online(ip)?, Outcome::Done);
/// assert_eq!(monitor.state(ip)?, ResourceState::Online);
/// // Online while online makes no sense: rejected, nothing changes.
/// assert!(monitor.online(ip).is_err());
/// monitor.offline(ip)?;
///
/// let seen: Vec<_> = events.try_iter().map(|e| (e.to, e.cause)).collect();
/// assert_eq!(seen.len(), 4);
/// assert_eq!(seen[1].0, ResourceState::Online);
/// assert!(matches!(seen[3], (ResourceState::Offline, Cause::Returned(..))));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Monitor {
    shared: Arc<Shared>,
    thread: Option<Worker<()>>,
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
    /// How many times the monitor thread woke up (from a deadline, a
    /// notification, or spuriously). An idle monitor's count stays put.
    pub wakeups: u64,
    /// Timers in the heap, moot ones included.
    pub timers: usize,
    /// Resources added.
    pub resources: usize,
    /// Entry-point calls running, not yet declared hung.
    pub calls_in_flight: usize,
    /// Call threads alive (busy, hung or idle).
    pub call_threads: usize,
}

impl Monitor {
    /// Starts a monitor with Windows' defaults: PendingTimeout 180 s,
    /// DeadlockTimeout 300 s, `LooksAlive` every 5 s, `IsAlive` every 60 s.
    ///
    /// # Errors
    ///
    /// [`StartError::Spawn`] if its thread cannot start.
    pub fn start() -> Result<Monitor, StartError> {
        MonitorBuilder::new().start()
    }

    /// A [`MonitorBuilder`] to set timeouts, intervals and the escalation
    /// hook.
    pub fn builder() -> MonitorBuilder {
        MonitorBuilder::new()
    }

    pub(crate) fn from_builder(
        b: MonitorBuilder,
        timeouts: Timeouts,
    ) -> Result<Monitor, StartError> {
        let shared = Arc::new(Shared::new(timeouts, b.looks_alive, b.is_alive, b.hook));
        let on_thread = Arc::clone(&shared);
        let thread = Builder::new()
            .name("clusworker-monitor".to_string())
            .spawn(move |ctx| on_thread.run(ctx))
            .map_err(StartError::Spawn)?;
        Ok(Monitor {
            shared,
            thread: Some(thread),
        })
    }

    /// Adds a resource, `Offline`, with the monitor's timeouts.
    ///
    /// Pass an `Arc<R>` to keep a handle on the resource yourself.
    pub fn add(&self, name: impl Into<String>, resource: impl Resource) -> ResourceId {
        self.add_with_timeouts(name, resource, self.shared.timeouts)
    }

    /// Adds a resource, `Offline`, with its own PendingTimeout and
    /// DeadlockTimeout (Windows sets them per resource too).
    pub fn add_with_timeouts(
        &self,
        name: impl Into<String>,
        resource: impl Resource,
        timeouts: Timeouts,
    ) -> ResourceId {
        let name: String = name.into();
        self.shared.add(name.into(), Arc::new(resource), timeouts)
    }

    /// Brings a resource online: calls its `Online` entry point and returns
    /// what it returned. On [`Outcome::Pending`] the resource stays
    /// `OnlinePending` until its worker reports, under the PendingTimeout
    /// heartbeat.
    ///
    /// # Errors
    ///
    /// [`MonitorError::Rejected`] when the resource is not in a state to come
    /// online (it is online, or an operation is pending), and
    /// [`MonitorError::Terminating`] or [`MonitorError::Isolated`]: nothing
    /// changed. [`MonitorError::Hung`] when the entry point ran past
    /// DeadlockTimeout, [`MonitorError::Panicked`]: the resource is failed.
    pub fn online(&self, id: ResourceId) -> Result<Outcome, MonitorError> {
        self.shared.operate(id, Operation::Online)
    }

    /// Takes a resource offline: calls its `Offline` entry point; as
    /// [`online`](Self::online).
    ///
    /// # Errors
    ///
    /// As [`online`](Self::online).
    pub fn offline(&self, id: ResourceId) -> Result<Outcome, MonitorError> {
        self.shared.operate(id, Operation::Offline)
    }

    /// Calls the resource's `Terminate` entry point and marks it `Offline`
    /// when it returns. Ends any pending operation: its worker's next report
    /// is answered [`ExitState::Terminate`](super::ExitState::Terminate).
    /// May run while another entry point of the resource is running.
    ///
    /// # Errors
    ///
    /// [`MonitorError::Terminating`] if a `Terminate` is already running,
    /// [`MonitorError::Isolated`]; [`MonitorError::Hung`] or
    /// [`MonitorError::Panicked`] (the resource is failed).
    pub fn terminate(&self, id: ResourceId) -> Result<(), MonitorError> {
        self.shared.terminate(id)
    }

    /// The resource's state.
    ///
    /// # Errors
    ///
    /// [`MonitorError::UnknownResource`].
    pub fn state(&self, id: ResourceId) -> Result<ResourceState, MonitorError> {
        self.shared.info(id).map(|i| i.state)
    }

    /// The resource's state, pending operation and checkpoint.
    ///
    /// # Errors
    ///
    /// [`MonitorError::UnknownResource`].
    pub fn info(&self, id: ResourceId) -> Result<ResourceInfo, MonitorError> {
        self.shared.info(id)
    }

    /// Every resource, in the order they were added.
    pub fn resources(&self) -> Vec<ResourceInfo> {
        self.shared.infos()
    }

    /// A receiver of every [`Event`] from now on, in order. Dropping the
    /// receiver unsubscribes.
    pub fn subscribe(&self) -> mpsc::Receiver<Event> {
        let (tx, rx) = mpsc::channel();
        self.shared.subscribe(tx);
        rx
    }

    /// Counters: wake-ups of the monitor thread, timers, calls in flight.
    pub fn stats(&self) -> MonitorStats {
        self.shared.stats()
    }

    /// Time since the monitor started: the clock of [`Event::at`].
    pub fn elapsed(&self) -> Duration {
        self.shared.now()
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.shared.stop();
        if let Some(thread) = self.thread.take() {
            // The loop sees the stop flag as soon as it wakes: a short wait.
            let _ = thread.terminate();
            let _ = thread.join();
        }
    }
}

impl fmt::Debug for Monitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Monitor")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}
