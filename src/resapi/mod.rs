//! The Windows names and semantics, for porting resource DLLs:
//! `CLUS_WORKER` and the `ClusWorker*` functions of `resapi.h`.
//!
//! | Windows (`resapi.h`) | here |
//! |---|---|
//! | `CLUS_WORKER` (zeroed) | [`ClusWorker`] ([`ClusWorker::new`], `Default`, usable in a `static`) |
//! | `ClusWorkerCreate(w, routine, param)` | [`clus_worker_create`]`(&w, routine, param)`, [`clus_worker_create_with`] |
//! | `ClusWorkerCheckTerminate(w)` | [`clus_worker_check_terminate`]`(&w)`, or [`Context::check_terminate`](crate::Context::check_terminate) in the routine |
//! | `ClusWorkerTerminate(w)` | [`clus_worker_terminate`]`(&w)` |
//! | `ClusWorkerTerminateEx(w, ms, wait_only)` | [`clus_worker_terminate_ex`]`(&w, ms, wait_only)` |
//! | `ClusWorkersTerminate(ws, n, ms, wait_only)` | [`clus_workers_terminate`]`(&[&w..], ms, wait_only)` |
//! | — (request without waiting) | [`clus_worker_request_terminate`]`(&w)` → which case it was |
//! | — (a reason: Go's `context.Cause`) | [`clus_worker_terminate_with`]`(&w, reason)`, [`clus_worker_request_terminate_with`], [`clus_worker_terminate_reason`]`(&w)`; the routine reads [`Context::reason`](crate::Context::reason) |
//! | `ERROR_SUCCESS`, `WAIT_TIMEOUT`, `ERROR_INVALID_STATE`, `INFINITE` | the same names, as `u32` |
//!
//! The crate `clusworker-capi` (in `capi/`) exports the same functions to
//! C with the `resapi.h` prototypes (`include/clusworker.h`), as a static
//! and a shared library.
//!
//! The Rust routine is a `fn(&Context, P) -> u32`: it gets the worker's
//! [`Context`](crate::Context) (to check terminate, or to sleep
//! interruptibly) instead of the `CLUS_WORKER` pointer, and its parameter
//! by value.
//!
//! # Rules
//!
//! - **Re-creation.** A slot whose worker exited (terminated or not) takes
//!   a new worker: create reaps the old one. Each create advances the
//!   slot's [generation](ClusWorker::generation). A terminate aimed at one
//!   worker never reaches, or reaps, the next one created in the slot.
//! - **Create on a busy slot** (its worker still running, or a
//!   [`clus_worker_terminate`] in progress) returns
//!   [`ERROR_INVALID_STATE`] and changes nothing.
//! - **`ClusWorkerTerminate`**: the first caller waits for the exit; later
//!   callers, while it waits, return at once, as Microsoft documents.
//! - **Self-terminate**: on the worker's own thread, terminate requests and
//!   returns at once; [`clus_worker_terminate_ex`] and
//!   [`clus_workers_terminate`] return [`ERROR_POSSIBLE_DEADLOCK`] instead
//!   of waiting for themselves.
//! - **`ClusWorkersTerminate`** signals every worker first, then waits
//!   for all under one deadline.
//! - **Timeouts lose nothing**: after [`WAIT_TIMEOUT`] the worker stays in
//!   its slot.
//!
//! # How it is built
//!
//! A slot holds a shared reference to a [`Worker<u32>`](crate::Worker),
//! which owns all the waiting and terminate logic. Every change to a slot's
//! fields happens under a global table of 64 striped mutexes, chosen by the
//! slot's address, held only for a few field updates (and the thread spawn
//! of a create), never while waiting. So the slot adds no lock-free
//! protocol of its own and no loom model: the one lock-free access is the
//! `Acquire` load of the `Terminate` flag. Operations take a reference to
//! the worker under the lock and wait outside it.
//!
//! # Examples
//!
//! The ClipBook pattern: every Online terminates the previous pending
//! worker and starts a new one on the same slot.
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicU32, Ordering};
//! use std::time::Duration;
//! use clusworker::resapi::*;
//!
//! struct Resource {
//!     pending: ClusWorker,
//!     checkpoint: AtomicU32,
//! }
//!
//! fn online_thread(ctx: &clusworker::Context, res: Arc<Resource>) -> u32 {
//!     while !ctx.check_terminate() {
//!         res.checkpoint.fetch_add(1, Ordering::Relaxed); // report progress
//!         if ctx.sleep(Duration::from_millis(10)).is_err() {
//!             break;
//!         }
//!     }
//!     ERROR_SUCCESS
//! }
//!
//! fn online(res: &Arc<Resource>) -> u32 {
//!     clus_worker_terminate(&res.pending);
//!     clus_worker_create(&res.pending, online_thread, Arc::clone(res))
//! }
//!
//! let res = Arc::new(Resource { pending: ClusWorker::new(), checkpoint: AtomicU32::new(0) });
//! for _ in 0..3 {
//!     assert_eq!(online(&res), ERROR_SUCCESS);
//! }
//! assert_eq!(res.pending.generation(), 3);
//! // The Terminate entry point.
//! assert_eq!(clus_worker_terminate_ex(&res.pending, 10_000, false), ERROR_SUCCESS);
//! ```

mod codes;
mod ops;
mod request;
mod slot;
mod stripes;

#[cfg(test)]
mod tests;

pub use codes::{
    ERROR_INVALID_PARAMETER, ERROR_INVALID_STATE, ERROR_POSSIBLE_DEADLOCK, ERROR_SUCCESS, INFINITE,
    WAIT_TIMEOUT,
};
pub use ops::{
    clus_worker_check_terminate, clus_worker_create, clus_worker_create_with,
    clus_worker_terminate, clus_worker_terminate_ex, clus_worker_terminate_with,
    clus_workers_terminate,
};
pub use request::{
    clus_worker_request_terminate, clus_worker_request_terminate_with, clus_worker_terminate_reason,
};
pub use slot::ClusWorker;

/// Compile-time check that a slot may be shared between threads.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<ClusWorker>();
};
