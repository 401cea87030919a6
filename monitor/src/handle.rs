//! The host's handle: [`Monitor`], and [`MonitorBuilder`] to start one.

use std::fmt;
use std::sync::mpsc;
use std::time::Duration;

use clusworker_core::Reason;

use crate::driver::{Config, Driver, Hook};
use crate::error::{MonitorError, StartError};
use crate::machine::{Operation, Outcome, ResourceState, Timeouts};
use crate::resource::Resource;
use crate::state::{Answer, CallEnd, Polls};
#[cfg(feature = "loom")]
use crate::sync::model::Mutant;
use crate::sync::{self, Arc, JoinHandle};
use crate::types::{EntryPoint, Escalation, Event, MonitorStats, ResourceId, ResourceInfo};

/// The Resource Monitor: supervises resources' entry points, pending
/// operations and health.
///
/// Start one with [`Monitor::start`] (Windows' defaults) or
/// [`Monitor::builder`]; add resources with [`add`](Self::add); drive them
/// with [`online`](Self::online), [`offline`](Self::offline) and
/// [`terminate`](Self::terminate); watch them with
/// [`subscribe`](Self::subscribe), [`info`](Self::info) and
/// [`resources`](Self::resources). `Monitor` is `Send + Sync`: any number of
/// host threads may call it at once.
///
/// Each entry-point call runs on one of the monitor's call threads (at
/// most [`MonitorBuilder::max_call_threads`] at once, plus one for each
/// call declared hung), and the calling host thread waits for it: at most
/// DeadlockTimeout from when a call thread begins it. Past that, the call
/// is declared hung, the resource is failed and isolated, and the
/// escalation hook runs. Every other resource keeps being served.
///
/// Dropping the monitor stops its thread. It does not take resources
/// offline: do that first ([`offline`](Self::offline), or
/// [`shut_down`](Self::shut_down) to terminate them all). Reports that come afterwards are answered
/// [`ExitState::Terminate`](crate::ExitState::Terminate); calls still
/// running on call threads finish there, unobserved, and calls still queued
/// are not made. Then it lets go of its resources: each is dropped on the
/// dropping thread before the drop returns (one a call still runs on, when
/// that call returns), even one that keeps a [`StatusHandle`](crate::StatusHandle)
/// (which points back at the monitor), and every [`subscribe`](Self::subscribe)
/// receiver's stream ends.
///
/// # Examples
///
/// ```
/// use clusworker_monitor::{Cause, Monitor, Outcome, Resource, ResourceState, StatusHandle};
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
    driver: Arc<Driver>,
    thread: Option<JoinHandle<()>>,
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

    fn from_config(config: Config) -> Result<Monitor, StartError> {
        let driver = Driver::new(config);
        let on_thread = Arc::clone(&driver);
        let thread = sync::spawn("clusworker-monitor", move || Driver::run_timers(&on_thread))
            .map_err(StartError::Spawn)?;
        Ok(Monitor {
            driver,
            thread: Some(thread),
        })
    }

    /// Adds a resource, `Offline`, with the monitor's timeouts.
    ///
    /// Pass an `Arc<R>` to keep a handle on the resource yourself.
    pub fn add(&self, name: impl Into<String>, resource: impl Resource) -> ResourceId {
        self.add_with_timeouts(name, resource, self.driver.timeouts)
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
        self.driver
            .add(name.into(), resource.into_shared(), timeouts)
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
        self.operate(id, Operation::Online)
    }

    /// Takes a resource offline: calls its `Offline` entry point; as
    /// [`online`](Self::online).
    ///
    /// # Errors
    ///
    /// As [`online`](Self::online).
    pub fn offline(&self, id: ResourceId) -> Result<Outcome, MonitorError> {
        self.operate(id, Operation::Offline)
    }

    /// Calls the resource's `Terminate` entry point and marks it `Offline`
    /// when it returns. Ends any pending operation: its worker's next report
    /// is answered [`ExitState::Terminate`](crate::ExitState::Terminate).
    /// May run while another entry point of the resource is running.
    ///
    /// # Errors
    ///
    /// [`MonitorError::Terminating`] if a `Terminate` is already running,
    /// [`MonitorError::Isolated`]; [`MonitorError::Hung`] or
    /// [`MonitorError::Panicked`] (the resource is failed).
    pub fn terminate(&self, id: ResourceId) -> Result<(), MonitorError> {
        self.terminate_with(id, Reason::Requested)
    }

    /// [`terminate`](Self::terminate), for `reason`: the resource's
    /// [`Resource::terminate_with`] is given it, and the `Offline` event's
    /// [`reason`](Event::reason) carries it.
    ///
    /// # Errors
    ///
    /// As [`terminate`](Self::terminate).
    ///
    /// # Examples
    ///
    /// ```
    /// use clusworker::Reason;
    /// use clusworker_monitor::{Cause, Monitor, Outcome, Resource, StatusHandle};
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
    /// monitor.online(ip)?;
    /// monitor.terminate_with(ip, Reason::User(7))?;
    /// let last = events.try_iter().last().unwrap();
    /// assert_eq!((last.cause, last.reason), (Cause::Terminated, Some(Reason::User(7))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "ClusWorkerTerminateEx")]
    pub fn terminate_with(&self, id: ResourceId, reason: Reason) -> Result<(), MonitorError> {
        let end = Driver::call(&self.driver, |state, _now| state.terminate_with(id, reason))?;
        ended(id, EntryPoint::Terminate, end, &self.driver).map(|_| ())
    }

    /// Calls the resource's `IsAlive` now, the deep health check, and
    /// returns its answer: what a cluster's on-demand monitor (Pacemaker's
    /// depth-10 `monitor`) asks, where the scheduled polls only say what the
    /// last one saw. `false` fails the resource
    /// ([`Cause::IsAliveFailed`](crate::Cause::IsAliveFailed)), as a failed
    /// scheduled poll does.
    ///
    /// Checks asked for together make one call; one asked for while a
    /// scheduled poll runs waits for it (two entry points of a resource
    /// never run at once). The next scheduled `IsAlive` comes one interval
    /// after this answer.
    ///
    /// # Errors
    ///
    /// [`MonitorError::NotOnline`] unless the resource is `Online`,
    /// [`MonitorError::Terminating`], [`MonitorError::Isolated`]: nothing
    /// changed. [`MonitorError::Ended`] when the resource left `Online`
    /// before the queued call could be made; [`MonitorError::Hung`] or
    /// [`MonitorError::Panicked`] (the resource is failed).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    /// use clusworker_monitor::{Cause, Monitor, MonitorError, Outcome, Resource, ResourceState, StatusHandle};
    ///
    /// struct Disk(AtomicBool);
    /// impl Resource for Disk {
    ///     fn online(&self, _: StatusHandle) -> Outcome { Outcome::Done }
    ///     fn offline(&self, _: StatusHandle) -> Outcome { Outcome::Done }
    ///     fn terminate(&self) {}
    ///     fn is_alive(&self) -> bool { self.0.load(SeqCst) }
    /// }
    ///
    /// let monitor = Monitor::start()?;
    /// let events = monitor.subscribe();
    /// let disk = std::sync::Arc::new(Disk(AtomicBool::new(true)));
    /// let id = monitor.add("disk", std::sync::Arc::clone(&disk));
    /// assert!(matches!(monitor.is_alive(id), Err(MonitorError::NotOnline { .. })));
    /// monitor.online(id)?;
    /// assert!(monitor.is_alive(id)?);
    /// disk.0.store(false, SeqCst);
    /// assert!(!monitor.is_alive(id)?);
    /// assert_eq!(monitor.state(id)?, ResourceState::Failed);
    /// let last = events.try_iter().last().unwrap();
    /// assert_eq!(last.cause, Cause::IsAliveFailed);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "IsAlive")]
    pub fn is_alive(&self, id: ResourceId) -> Result<bool, MonitorError> {
        let end = Driver::call(&self.driver, |state, _now| state.is_alive_now(id))?;
        match end {
            CallEnd::Answered(Answer::Alive(alive)) => Ok(alive),
            end => ended(id, EntryPoint::IsAlive, end, &self.driver).map(|_| true),
        }
    }

    /// Terminates every resource that is online or pending (and not
    /// isolated, and not already terminating) with
    /// [`Reason::MonitorShutDown`], and waits for each `Terminate`: each
    /// is bounded by DeadlockTimeout, as any call. Their `Offline` events
    /// carry the reason. Returns each such resource with how its
    /// `Terminate` ended. Call it before dropping the monitor, which does
    /// not take resources offline by itself.
    ///
    /// # Examples
    ///
    /// ```
    /// use clusworker::Reason;
    /// use clusworker_monitor::{Monitor, Outcome, Resource, ResourceState, StatusHandle};
    ///
    /// struct Address;
    /// impl Resource for Address {
    ///     fn online(&self, _: StatusHandle) -> Outcome { Outcome::Done }
    ///     fn offline(&self, _: StatusHandle) -> Outcome { Outcome::Done }
    ///     fn terminate(&self) {}
    /// }
    ///
    /// let monitor = Monitor::start()?;
    /// let (a, b) = (monitor.add("a", Address), monitor.add("b", Address));
    /// monitor.online(a)?;
    /// let ended = monitor.shut_down();
    /// assert_eq!(ended.len(), 1, "only the online one");
    /// assert!(ended[0].1.is_ok());
    /// assert_eq!(monitor.state(a)?, ResourceState::Offline);
    /// # let _ = b;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shut_down(&self) -> Vec<(ResourceId, Result<(), MonitorError>)> {
        let ends = Driver::shut_down(&self.driver, Reason::MonitorShutDown);
        ends.into_iter()
            .map(|(id, end)| {
                let r = ended(id, EntryPoint::Terminate, end, &self.driver);
                (id, r.map(|_| ()))
            })
            .collect()
    }

    /// Removes a resource that is `Offline`, `Failed` or `Unknown`, with no
    /// operation pending, no `Terminate` running and no call a host waits
    /// for; its id is never given again. A call of it still running (one that hung, or a health poll)
    /// finishes on its thread, unobserved; the resource is dropped after
    /// the last one.
    ///
    /// # Errors
    ///
    /// [`MonitorError::UnknownResource`], [`MonitorError::NotRemovable`]
    /// (take it offline first), [`MonitorError::Terminating`],
    /// [`MonitorError::Busy`]. Nothing changed.
    ///
    /// # Examples
    ///
    /// ```
    /// use clusworker_monitor::{Monitor, MonitorError, Outcome, Resource, StatusHandle};
    /// # struct Quick;
    /// # impl Resource for Quick {
    /// #     fn online(&self, _: StatusHandle) -> Outcome { Outcome::Done }
    /// #     fn offline(&self, _: StatusHandle) -> Outcome { Outcome::Done }
    /// #     fn terminate(&self) {}
    /// # }
    /// let monitor = Monitor::start()?;
    /// let id = monitor.add("quick", Quick);
    /// monitor.online(id)?;
    /// assert!(matches!(monitor.remove(id), Err(MonitorError::NotRemovable { .. })));
    /// monitor.offline(id)?;
    /// monitor.remove(id)?;
    /// assert!(matches!(monitor.state(id), Err(MonitorError::UnknownResource(_))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn remove(&self, id: ResourceId) -> Result<(), MonitorError> {
        self.driver.remove(id)
    }

    fn operate(&self, id: ResourceId, op: Operation) -> Result<Outcome, MonitorError> {
        let end = Driver::call(&self.driver, |state, now| state.request(id, op, now))?;
        let ep = match op {
            Operation::Online => EntryPoint::Online,
            Operation::Offline => EntryPoint::Offline,
        };
        ended(id, ep, end, &self.driver)
    }

    /// The resource's state.
    ///
    /// # Errors
    ///
    /// [`MonitorError::UnknownResource`].
    pub fn state(&self, id: ResourceId) -> Result<ResourceState, MonitorError> {
        self.driver.info(id).map(|i| i.state)
    }

    /// The resource's state, pending operation and checkpoint.
    ///
    /// # Errors
    ///
    /// [`MonitorError::UnknownResource`].
    pub fn info(&self, id: ResourceId) -> Result<ResourceInfo, MonitorError> {
        self.driver.info(id)
    }

    /// Every resource, in the order they were added.
    pub fn resources(&self) -> Vec<ResourceInfo> {
        self.driver.infos()
    }

    /// A receiver of every [`Event`] from now on, in order. Dropping the
    /// receiver unsubscribes.
    pub fn subscribe(&self) -> mpsc::Receiver<Event> {
        let (tx, rx) = mpsc::channel();
        self.driver.subscribe(tx);
        rx
    }

    /// Counters: wake-ups of the monitor thread, timers, calls in flight.
    pub fn stats(&self) -> MonitorStats {
        self.driver.stats()
    }

    /// Time since the monitor started: the clock of [`Event::at`].
    pub fn elapsed(&self) -> Duration {
        self.driver.now()
    }

    /// In a loom model (`clusworker_monitor::loom::check`): moves the
    /// model's clock, which stands still otherwise, to `at`, and wakes the
    /// timed waits it ends. Not an API.
    ///
    /// # Panics
    ///
    /// Outside a model, or if `at` is earlier than the clock.
    #[cfg(feature = "loom")]
    #[doc(hidden)]
    pub fn loom_set_clock(&self, at: Duration) {
        self.driver.set_clock(at);
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.driver.stop();
        if let Some(thread) = self.thread.take() {
            // The timer thread sees the stop flag as soon as it wakes.
            let _ = thread.join();
        }
        self.driver.release();
    }
}

impl fmt::Debug for Monitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Monitor")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// What a host call's end means for the host: the one place where a
/// call's end becomes a result or a [`MonitorError`].
fn ended(
    id: ResourceId,
    entry_point: EntryPoint,
    end: CallEnd,
    driver: &Driver,
) -> Result<Outcome, MonitorError> {
    match end {
        CallEnd::Answered(Answer::Outcome(o)) => Ok(o),
        CallEnd::Answered(_) => Ok(Outcome::Done),
        CallEnd::Panicked => Err(MonitorError::Panicked {
            resource: id,
            entry_point,
        }),
        CallEnd::Hung(waited) => Err(MonitorError::Hung {
            resource: id,
            entry_point,
            waited,
        }),
        CallEnd::Ended => Err(MonitorError::Ended(id)),
        CallEnd::Terminating => Err(MonitorError::Terminating(id)),
        CallEnd::Isolated => Err(MonitorError::Isolated(id)),
        CallEnd::CannotCall => Err(MonitorError::Spawn(driver.spawn_error())),
    }
}

/// Configures a [`Monitor`] before it starts.
///
/// Defaults are those of Windows: PendingTimeout 180 s, DeadlockTimeout
/// 300 s, `LooksAlive` every 5 s, `IsAlive` every 60 s, and an escalation
/// hook that does nothing (the escalation is still an [`Event`]).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use clusworker_monitor::Monitor;
///
/// let monitor = Monitor::builder()
///     .pending_timeout(Duration::from_secs(3))
///     .deadlock_timeout(Duration::from_secs(10))
///     .looks_alive_interval(Some(Duration::from_millis(500)))
///     .is_alive_interval(None) // never poll IsAlive
///     .on_escalation(|e| eprintln!("escalating: {e}"))
///     .start()?;
/// # drop(monitor);
/// # Ok::<(), clusworker_monitor::StartError>(())
/// ```
#[derive(Clone)]
#[must_use = "a MonitorBuilder does nothing until `start` is called"]
pub struct MonitorBuilder {
    pending: Duration,
    deadlock: Duration,
    looks_alive: Option<Duration>,
    is_alive: Option<Duration>,
    hook: Option<Hook>,
    call_threads: usize,
    #[cfg(feature = "loom")]
    mutant: Option<Mutant>,
}

impl Default for MonitorBuilder {
    fn default() -> Self {
        MonitorBuilder {
            pending: Timeouts::DEFAULT_PENDING,
            deadlock: Timeouts::DEFAULT_DEADLOCK,
            looks_alive: Some(MonitorBuilder::DEFAULT_LOOKS_ALIVE),
            is_alive: Some(MonitorBuilder::DEFAULT_IS_ALIVE),
            hook: None,
            call_threads: MonitorBuilder::DEFAULT_CALL_THREADS,
            #[cfg(feature = "loom")]
            mutant: None,
        }
    }
}

impl MonitorBuilder {
    /// The default `LooksAlive` interval: 5 s.
    pub const DEFAULT_LOOKS_ALIVE: Duration = Duration::from_secs(5);
    /// The default `IsAlive` interval: 60 s.
    pub const DEFAULT_IS_ALIVE: Duration = Duration::from_secs(60);

    /// The default bound on call threads working at once: 32.
    pub const DEFAULT_CALL_THREADS: usize = 32;

    /// A builder with the defaults.
    pub fn new() -> MonitorBuilder {
        MonitorBuilder::default()
    }

    /// PendingTimeout, the heartbeat of pending operations (at least
    /// 10 ms; never more than DeadlockTimeout in effect).
    pub fn pending_timeout(mut self, timeout: Duration) -> MonitorBuilder {
        self.pending = timeout;
        self
    }

    /// DeadlockTimeout, the bound on every entry-point call (at least
    /// 10 ms).
    pub fn deadlock_timeout(mut self, timeout: Duration) -> MonitorBuilder {
        self.deadlock = timeout;
        self
    }

    /// How often to poll `LooksAlive` while a resource is online; `None`
    /// never polls it. At least 10 ms.
    pub fn looks_alive_interval(mut self, interval: Option<Duration>) -> MonitorBuilder {
        self.looks_alive = interval;
        self
    }

    /// How often to poll `IsAlive` while a resource is online; `None` never
    /// polls it. At least 10 ms.
    pub fn is_alive_interval(mut self, interval: Option<Duration>) -> MonitorBuilder {
        self.is_alive = interval;
        self
    }

    /// The host's decision when an entry point hangs past DeadlockTimeout:
    /// log, restart the process, abort. Runs on the monitor's thread (or the
    /// host thread that was waiting for the call), outside every lock; it
    /// should return quickly. A panic in it is caught and ignored.
    pub fn on_escalation<F>(mut self, hook: F) -> MonitorBuilder
    where
        F: Fn(&Escalation) + Send + Sync + 'static,
    {
        self.hook = Some(std::sync::Arc::new(hook));
        self
    }

    /// The most call threads working at once (at least 1; 32 by default).
    /// Calls beyond it wait in a queue; a thread stuck in a call declared
    /// hung does not count, so hung calls never starve the others.
    pub fn max_call_threads(mut self, threads: usize) -> MonitorBuilder {
        self.call_threads = threads.max(1);
        self
    }

    /// For a loom model: the bug to put into the monitor's driver (`None`:
    /// the shipped driver). Not an API.
    #[cfg(feature = "loom")]
    #[doc(hidden)]
    pub fn loom_mutant(mut self, mutant: Option<Mutant>) -> MonitorBuilder {
        self.mutant = mutant;
        self
    }

    /// Starts the monitor's thread.
    ///
    /// # Errors
    ///
    /// [`StartError::Timeouts`] or [`StartError::Interval`] for a value
    /// below its minimum, [`StartError::Spawn`] if the thread cannot start.
    pub fn start(self) -> Result<Monitor, StartError> {
        let timeouts = Timeouts::new(self.pending, self.deadlock).map_err(StartError::Timeouts)?;
        for (entry_point, interval) in [
            (EntryPoint::LooksAlive, self.looks_alive),
            (EntryPoint::IsAlive, self.is_alive),
        ] {
            if let Some(requested) = interval.filter(|i| *i < Timeouts::MIN) {
                return Err(StartError::Interval {
                    entry_point,
                    requested,
                });
            }
        }
        Monitor::from_config(Config {
            timeouts,
            polls: Polls {
                looks_alive: self.looks_alive,
                is_alive: self.is_alive,
            },
            hook: self.hook,
            call_threads: self.call_threads,
            #[cfg(feature = "loom")]
            mutant: self.mutant,
        })
    }
}

impl fmt::Debug for MonitorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MonitorBuilder")
            .field("pending_timeout", &self.pending)
            .field("deadlock_timeout", &self.deadlock)
            .field("looks_alive_interval", &self.looks_alive)
            .field("is_alive_interval", &self.is_alive)
            .field("on_escalation", &self.hook.is_some())
            .field("max_call_threads", &self.call_threads)
            .finish()
    }
}
