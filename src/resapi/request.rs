//! Requests without waiting, and the reason of a request: the slot's side
//! of [`Worker::request_terminate_with`](crate::Worker::request_terminate_with)
//! and [`Worker::reason`](crate::Worker::reason).

use clusworker_core::{Reason, Request};

use super::slot::ClusWorker;

/// Requests terminate of the slot's worker and returns at once, without
/// waiting or reaping: `ClusWorkerTerminate` without its wait. `None` if the
/// slot holds no worker; otherwise which case it was, as
/// [`Worker::request_terminate`](crate::Worker::request_terminate) says.
/// The slot's `Terminate` flag is set either way. Reap the worker later
/// with [`clus_worker_terminate_ex`](super::clus_worker_terminate_ex) (a zero timeout only checks).
///
/// # Examples
///
/// ```
/// use clusworker::{Reason, Request};
/// use clusworker::resapi::*;
/// let slot = ClusWorker::new();
/// assert_eq!(clus_worker_request_terminate(&slot), None);
/// let r = clus_worker_create(&slot, |ctx, ()| {
///     while ctx.sleep(std::time::Duration::MAX).is_ok() {}
///     0
/// }, ());
/// assert_eq!(r, ERROR_SUCCESS);
/// assert_eq!(clus_worker_request_terminate(&slot), Some(Request::First));
/// assert_eq!(
///     clus_worker_request_terminate(&slot),
///     Some(Request::AlreadyRequested(Reason::Requested)),
/// );
/// assert!(clus_worker_check_terminate(&slot));
/// assert_eq!(clus_worker_terminate_ex(&slot, INFINITE, true), ERROR_SUCCESS);
/// assert!(slot.is_empty());
/// ```
#[doc(alias = "request_stop")]
pub fn clus_worker_request_terminate(slot: &ClusWorker) -> Option<Request> {
    clus_worker_request_terminate_with(slot, Reason::Requested)
}

/// [`clus_worker_request_terminate`] with a [`Reason`]: `None` if the slot
/// holds no worker; otherwise which case it was, a later request learning
/// the first one's reason ([`Request::AlreadyRequested`]).
///
/// # Examples
///
/// ```
/// use clusworker::{Reason, Request};
/// use clusworker::resapi::*;
/// let slot = ClusWorker::new();
/// let r = clus_worker_create(&slot, |ctx, ()| {
///     while ctx.sleep(std::time::Duration::MAX).is_ok() {}
///     0
/// }, ());
/// assert_eq!(r, ERROR_SUCCESS);
/// assert_eq!(
///     clus_worker_request_terminate_with(&slot, Reason::PendingTimeout),
///     Some(Request::First),
/// );
/// assert_eq!(
///     clus_worker_request_terminate_with(&slot, Reason::User(1)),
///     Some(Request::AlreadyRequested(Reason::PendingTimeout)),
/// );
/// assert_eq!(clus_worker_terminate_reason(&slot), Some(Reason::PendingTimeout));
/// assert_eq!(clus_worker_terminate_ex(&slot, INFINITE, true), ERROR_SUCCESS);
/// assert_eq!(clus_worker_terminate_reason(&slot), None); // reaped: an empty slot
/// ```
pub fn clus_worker_request_terminate_with(slot: &ClusWorker, reason: Reason) -> Option<Request> {
    let target = {
        let mut locked = slot.lock();
        let target = locked.target()?;
        locked.set_mirror(true);
        target
    };
    Some(target.worker.request_terminate_with(reason))
}

/// Why terminate was requested of the slot's worker: the first request's
/// [`Reason`], or `None` if the slot is empty or no request was made.
pub fn clus_worker_terminate_reason(slot: &ClusWorker) -> Option<Reason> {
    let target = slot.lock().target()?;
    target.worker.reason()
}
