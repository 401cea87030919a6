//! [`MonitorBuilder`]: timeouts, poll intervals, the escalation hook.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use clusworker_core::resource::Timeouts;

use super::error::StartError;
use super::events::Escalation;
use super::handle::Monitor;
use super::resource::EntryPoint;

/// The host's escalation hook.
pub(crate) type Hook = Arc<dyn Fn(&Escalation) + Send + Sync + 'static>;

/// Configures a [`Monitor`] before it starts.
///
/// Defaults are those of Windows: PendingTimeout 180 s, DeadlockTimeout
/// 300 s, `LooksAlive` every 5 s, `IsAlive` every 60 s, and an escalation
/// hook that does nothing (the escalation is still an [`Event`](super::Event)).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use clusworker::monitor::Monitor;
///
/// let monitor = Monitor::builder()
///     .pending_timeout(Duration::from_secs(3))
///     .deadlock_timeout(Duration::from_secs(10))
///     .looks_alive_interval(Some(Duration::from_millis(500)))
///     .is_alive_interval(None) // never poll IsAlive
///     .on_escalation(|e| eprintln!("escalating: {e}"))
///     .start()?;
/// # drop(monitor);
/// # Ok::<(), clusworker::monitor::StartError>(())
/// ```
#[derive(Clone)]
#[must_use = "a MonitorBuilder does nothing until `start` is called"]
pub struct MonitorBuilder {
    pub(crate) pending: Duration,
    pub(crate) deadlock: Duration,
    pub(crate) looks_alive: Option<Duration>,
    pub(crate) is_alive: Option<Duration>,
    pub(crate) hook: Option<Hook>,
}

impl Default for MonitorBuilder {
    fn default() -> Self {
        MonitorBuilder {
            pending: Timeouts::DEFAULT_PENDING,
            deadlock: Timeouts::DEFAULT_DEADLOCK,
            looks_alive: Some(MonitorBuilder::DEFAULT_LOOKS_ALIVE),
            is_alive: Some(MonitorBuilder::DEFAULT_IS_ALIVE),
            hook: None,
        }
    }
}

impl MonitorBuilder {
    /// The default `LooksAlive` interval: 5 s.
    pub const DEFAULT_LOOKS_ALIVE: Duration = Duration::from_secs(5);
    /// The default `IsAlive` interval: 60 s.
    pub const DEFAULT_IS_ALIVE: Duration = Duration::from_secs(60);

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
        self.hook = Some(Arc::new(hook));
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
        Monitor::from_builder(self, timeouts)
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
            .finish()
    }
}
