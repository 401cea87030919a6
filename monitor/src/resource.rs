//! What a resource implements: [`Resource`].

use std::sync::Arc;

use clusworker_core::Reason;

use crate::machine::Outcome;
use crate::status::StatusHandle;

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
/// [`Outcome::Pending`] after starting a `Worker` that does
/// the work and reports through the [`StatusHandle`] it was given.
///
/// # Examples
///
/// ```
/// use std::sync::Mutex;
/// use std::time::Duration;
/// use clusworker::Worker;
/// use clusworker_monitor::{ExitState, Outcome, Resource, ResourceState, StatusHandle};
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
pub trait Resource: shared::Shared + Send + Sync + 'static {
    /// Brings the resource online: done, pending (a worker reports through
    /// `status`), or failed.
    #[doc(alias = "ONLINE_ROUTINE")]
    fn online(&self, status: StatusHandle) -> Outcome;

    /// Takes the resource offline, gracefully: done, pending, or failed.
    #[doc(alias = "OFFLINE_ROUTINE")]
    fn offline(&self, status: StatusHandle) -> Outcome;

    /// Takes the resource offline at once: stop any pending operation's
    /// worker (for example with `Worker::terminate`)
    /// and release everything. May run concurrently with the other entry
    /// points.
    #[doc(alias = "TERMINATE_ROUTINE")]
    fn terminate(&self);

    /// [`terminate`](Self::terminate), told why: the monitor calls this,
    /// with [`Reason::Requested`] for the host's
    /// [`Monitor::terminate`](crate::Monitor::terminate) (or the reason it
    /// gave [`Monitor::terminate_with`](crate::Monitor::terminate_with)),
    /// [`Reason::PendingTimeout`] when the pending operation's heartbeat
    /// expired, and [`Reason::MonitorShutDown`] when the monitor is dropped
    /// while the resource is online or pending. The default calls
    /// `terminate`; a resource whose worker wants to know overrides it and
    /// passes the reason on (`Worker::terminate_with(reason)`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Mutex;
    /// use clusworker::{Reason, Worker};
    /// use clusworker_monitor::{Outcome, Resource, StatusHandle};
    ///
    /// #[derive(Default)]
    /// struct Service(Mutex<Option<Worker<()>>>);
    ///
    /// impl Resource for Service {
    ///     # fn online(&self, _: StatusHandle) -> Outcome { Outcome::Done }
    ///     # fn offline(&self, _: StatusHandle) -> Outcome { Outcome::Done }
    ///     // ...
    ///     fn terminate(&self) {
    ///         self.terminate_with(Reason::Requested);
    ///     }
    ///     fn terminate_with(&self, reason: Reason) {
    ///         let worker = self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
    ///         if let Some(worker) = worker {
    ///             // Its routine reads `reason` from its `Context`.
    ///             let _ = worker.terminate_with(reason);
    ///         }
    ///     }
    /// }
    /// ```
    #[doc(alias = "TERMINATE_ROUTINE")]
    fn terminate_with(&self, reason: Reason) {
        let _ = reason;
        self.terminate();
    }

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

    /// The thorough health check a host asked for now
    /// ([`Monitor::is_alive`](crate::Monitor::is_alive): a cluster's
    /// on-demand monitor), where [`is_alive`](Self::is_alive) is the one
    /// polled on a schedule. The default calls `is_alive`. A resource that
    /// answers its scheduled polls from what it keeps between them (a
    /// cache, a pace of its own) overrides this one to look for real.
    fn is_alive_now(&self) -> bool {
        self.is_alive()
    }

    /// The resource as the monitor keeps it: `self` in an `Arc`; an `Arc`
    /// given is kept as it is, not in a second one (not an API: the
    /// monitor's `add` calls it).
    #[doc(hidden)]
    fn into_shared(self) -> Arc<dyn Resource>
    where
        Self: Sized,
    {
        Arc::new(self)
    }
}

/// The conversion behind [`Resource::into_shared`] for an `Arc` of any
/// resource, `dyn Resource` too: a supertrait, so that it is in every
/// resource's vtable.
mod shared {
    use std::sync::Arc;

    use super::Resource;

    /// An `Arc` of the resource, as `Arc<dyn Resource>` (sealed: every
    /// resource has it, none can implement it).
    #[allow(unreachable_pub)] // a supertrait of a public trait, sealed
    pub trait Shared {
        fn into_dyn(self: Arc<Self>) -> Arc<dyn Resource>;
    }

    impl<T: Resource> Shared for T {
        fn into_dyn(self: Arc<Self>) -> Arc<dyn Resource> {
            self
        }
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
    fn terminate_with(&self, reason: Reason) {
        (**self).terminate_with(reason)
    }
    fn looks_alive(&self) -> bool {
        (**self).looks_alive()
    }
    fn is_alive(&self) -> bool {
        (**self).is_alive()
    }
    fn is_alive_now(&self) -> bool {
        (**self).is_alive_now()
    }
    fn into_shared(self) -> Arc<dyn Resource> {
        R::into_dyn(self)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::Resource;
    use crate::machine::Outcome;
    use crate::status::StatusHandle;

    struct Idle;
    impl Resource for Idle {
        fn online(&self, _: StatusHandle) -> Outcome {
            Outcome::Done
        }
        fn offline(&self, _: StatusHandle) -> Outcome {
            Outcome::Done
        }
        fn terminate(&self) {}
    }

    #[test]
    fn an_arc_given_is_kept_as_it_is_not_in_a_second_one() {
        let r = Arc::new(Idle);
        let kept = Arc::clone(&r).into_shared();
        assert!(std::ptr::addr_eq(Arc::as_ptr(&kept), Arc::as_ptr(&r)));
        drop(kept);
        let dyn_r: Arc<dyn Resource> = r;
        let kept = Arc::clone(&dyn_r).into_shared();
        assert!(std::ptr::addr_eq(Arc::as_ptr(&kept), Arc::as_ptr(&dyn_r)));
        assert_eq!(Arc::strong_count(&dyn_r), 2, "one Arc, two references");
    }
}
