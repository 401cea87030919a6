//! What a resource implements: [`Resource`], [`Outcome`]; and the names of
//! things: [`EntryPoint`], [`ResourceId`].

use std::fmt;
use std::sync::Arc;

use super::status::StatusHandle;

/// A cluster resource, as its resource DLL presents it to the Resource
/// Monitor: the entry points `Online`, `Offline`, `Terminate`, and the
/// health polls `LooksAlive` and `IsAlive`.
///
/// The monitor calls each entry point on one of its call threads, never on
/// the caller's thread and never under a lock, and bounds each call by
/// DeadlockTimeout. `terminate` may run at the same time as any other entry
/// point of the same resource (as in Windows); the others are never called
/// concurrently with each other for one resource, except that the health
/// polls may overlap a pending operation's worker.
///
/// An entry point that needs more than a moment returns
/// [`Outcome::Pending`] after starting a [`Worker`](crate::Worker) that does
/// the work and reports through the [`StatusHandle`] it was given.
///
/// # Examples
///
/// ```
/// use std::sync::Mutex;
/// use std::time::Duration;
/// use clusworker::Worker;
/// use clusworker::monitor::{ExitState, Outcome, Resource, ResourceState, StatusHandle};
///
/// /// A disk that takes a few steps to come online.
/// #[derive(Default)]
/// struct Disk {
///     worker: Mutex<Option<Worker<()>>>,
/// }
///
/// impl Resource for Disk {
///     fn online(&self, status: StatusHandle) -> Outcome {
///         let spawned = Worker::spawn(move |ctx| {
///             for checkpoint in 1..=3 {
///                 if ctx.sleep(Duration::from_millis(10)).is_err() {
///                     return; // Terminate was called
///                 }
///                 let s = status.set_resource_status(ResourceState::OnlinePending, checkpoint);
///                 if s == ExitState::Terminate {
///                     return; // the monitor gave up on us
///                 }
///             }
///             status.set_resource_status(ResourceState::Online, 4);
///         });
///         match spawned {
///             Ok(w) => {
///                 *self.worker.lock().unwrap_or_else(|e| e.into_inner()) = Some(w);
///                 Outcome::Pending
///             }
///             Err(e) => Outcome::Failed(e.raw_os_error().unwrap_or(1) as u32),
///         }
///     }
///     fn offline(&self, _status: StatusHandle) -> Outcome {
///         self.terminate();
///         Outcome::Done
///     }
///     fn terminate(&self) {
///         // Dropping the worker terminates and joins it.
///         drop(self.worker.lock().unwrap_or_else(|e| e.into_inner()).take());
///     }
/// }
/// ```
pub trait Resource: Send + Sync + 'static {
    /// Brings the resource online: done, pending (a worker reports through
    /// `status`), or failed.
    #[doc(alias = "ONLINE_ROUTINE")]
    fn online(&self, status: StatusHandle) -> Outcome;

    /// Takes the resource offline, gracefully: done, pending, or failed.
    #[doc(alias = "OFFLINE_ROUTINE")]
    fn offline(&self, status: StatusHandle) -> Outcome;

    /// Takes the resource offline at once: stop any pending operation's
    /// worker (for example with [`Worker::terminate`](crate::Worker::terminate))
    /// and release everything. May run concurrently with the other entry
    /// points.
    #[doc(alias = "TERMINATE_ROUTINE")]
    fn terminate(&self);

    /// A quick, cheap health check, polled every `looks_alive_interval`
    /// (5 s by default) while the resource is online. `false` makes the
    /// monitor call [`is_alive`](Self::is_alive) at once. The default says
    /// `true`.
    #[doc(alias = "LOOKS_ALIVE_ROUTINE")]
    fn looks_alive(&self) -> bool {
        true
    }

    /// A thorough health check, polled every `is_alive_interval` (60 s by
    /// default) while the resource is online. `false` marks the resource
    /// `Failed`. The default says `true`.
    #[doc(alias = "IS_ALIVE_ROUTINE")]
    fn is_alive(&self) -> bool {
        true
    }
}

impl<R: Resource + ?Sized> Resource for Arc<R> {
    fn online(&self, status: StatusHandle) -> Outcome {
        (**self).online(status)
    }
    fn offline(&self, status: StatusHandle) -> Outcome {
        (**self).offline(status)
    }
    fn terminate(&self) {
        (**self).terminate()
    }
    fn looks_alive(&self) -> bool {
        (**self).looks_alive()
    }
    fn is_alive(&self) -> bool {
        (**self).is_alive()
    }
}

/// What `online` or `offline` returned.
///
/// # Examples
///
/// ```
/// use clusworker::monitor::Outcome;
/// assert_eq!(Outcome::from_code(0), Outcome::Done);
/// assert_eq!(Outcome::from_code(997), Outcome::Pending); // ERROR_IO_PENDING
/// assert_eq!(Outcome::from_code(5).code(), 5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Done: the resource is online (or offline): `ERROR_SUCCESS`.
    #[doc(alias = "ERROR_SUCCESS")]
    Done,
    /// A worker was started and will report with
    /// [`StatusHandle::set_resource_status`]: `ERROR_IO_PENDING`.
    #[doc(alias = "ERROR_IO_PENDING")]
    Pending,
    /// The operation failed with this (Windows-style) error code; the
    /// resource is `Failed`.
    Failed(u32),
}

impl Outcome {
    /// `ERROR_IO_PENDING`.
    pub const IO_PENDING: u32 = 997;

    /// The outcome a Windows return code stands for: 0 is `Done`, 997
    /// (`ERROR_IO_PENDING`) `Pending`, anything else `Failed`.
    pub const fn from_code(code: u32) -> Outcome {
        match code {
            0 => Outcome::Done,
            Self::IO_PENDING => Outcome::Pending,
            c => Outcome::Failed(c),
        }
    }

    /// The Windows return code.
    pub const fn code(self) -> u32 {
        match self {
            Outcome::Done => 0,
            Outcome::Pending => Self::IO_PENDING,
            Outcome::Failed(c) => c,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Done => f.write_str("done"),
            Outcome::Pending => f.write_str("pending"),
            Outcome::Failed(c) => write!(f, "failed with code {c}"),
        }
    }
}

/// An entry point of a [`Resource`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryPoint {
    /// [`Resource::online`].
    Online,
    /// [`Resource::offline`].
    Offline,
    /// [`Resource::terminate`].
    Terminate,
    /// [`Resource::looks_alive`].
    LooksAlive,
    /// [`Resource::is_alive`].
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

/// A resource's number in its [`Monitor`](super::Monitor), given by
/// [`Monitor::add`](super::Monitor::add) in order from 0.
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
