//! `clusworker-capi`: the C ABI of [`clusworker::resapi`]:
//! `ClusWorkerCreate` and friends with the `resapi.h` prototypes, for
//! resource DLLs ported from C and C++.
//!
//! `cargo build -p clusworker-capi --release` builds
//! `target/release/libclusworker_capi.a` (link it with `-pthread -ldl -lm`)
//! and `libclusworker_capi.so`; include `include/clusworker.h`. `bash
//! capi/run.sh` builds both, checks the exports, and runs a C port of the
//! ClipBook sample (`capi/tests/clipbook.c`) against each.
//!
//! - [`ClusWorkerCreate`], [`ClusWorkerCheckTerminate`],
//!   [`ClusWorkerTerminate`], [`ClusWorkerTerminateEx`],
//!   [`ClusWorkersTerminate`]: the functions, each over its
//!   [`clusworker::resapi`] namesake.
//! - [`WorkerStartRoutine`] (`PWORKER_START_ROUTINE`): the routine's type.
//!
//! The `CLUS_WORKER` of the header is a [`ClusWorker`]: zero it before the
//! first create, never write its fields, and terminate its worker before
//! freeing it. A null pointer is never undefined behaviour: the functions
//! that return a code return [`ERROR_INVALID_PARAMETER`], the others do
//! nothing (`ClusWorkerCheckTerminate` returns `FALSE`).
//!
//! Every function is `extern "system"`: `WINAPI` (`__stdcall`) on 32-bit
//! Windows, the C convention everywhere else.
//!
//! # Examples
//!
//! The functions called from Rust as C calls them: a routine that polls
//! `ClusWorkerCheckTerminate`, and the Terminate entry point.
//!
//! ```
//! use std::ffi::c_void;
//! use std::ptr;
//! use clusworker::resapi::{ClusWorker, ERROR_SUCCESS, INFINITE};
//! use clusworker_capi::{ClusWorkerCheckTerminate, ClusWorkerCreate, ClusWorkerTerminateEx};
//!
//! unsafe extern "system" fn online_thread(worker: *mut ClusWorker, _param: *mut c_void) -> u32 {
//!     // SAFETY: `worker` is the slot the routine was created on; it
//!     // outlives the routine.
//!     while unsafe { ClusWorkerCheckTerminate(worker) } == 0 {
//!         std::thread::yield_now(); // a step of the pending operation
//!     }
//!     ERROR_SUCCESS
//! }
//!
//! let mut pending = ClusWorker::new(); // CLUS_WORKER pending = {0};
//! let w: *mut ClusWorker = &mut pending;
//! // SAFETY: `pending` is zeroed, stays in place, and is terminated below;
//! // the routine uses no parameter.
//! unsafe {
//!     assert_eq!(ClusWorkerCreate(w, Some(online_thread), ptr::null_mut()), ERROR_SUCCESS);
//!     assert_eq!(ClusWorkerTerminateEx(w, INFINITE, 0), ERROR_SUCCESS);
//! }
//! assert!(pending.is_empty());
//! ```

use std::ffi::c_void;

use clusworker::Context;
use clusworker::resapi::{self, ClusWorker, ERROR_INVALID_PARAMETER, ERROR_SUCCESS};

// The header's `CLUS_WORKER` (its field offsets are asserted beside the
// fields, in `clusworker::resapi`): a pointer and two 32-bit words, 16
// bytes and pointer-aligned on 64-bit targets.
const _: () = assert!(size_of::<ClusWorker>() == size_of::<usize>() + 8);
const _: () = assert!(align_of::<ClusWorker>() == align_of::<usize>());

/// `PWORKER_START_ROUTINE`: the routine gets its slot and the parameter
/// given to [`ClusWorkerCreate`], and returns its exit code.
///
/// A Rust routine of this type is an `unsafe extern "system" fn`; see the
/// [crate example](crate#examples).
pub type WorkerStartRoutine = unsafe extern "system" fn(*mut ClusWorker, *mut c_void) -> u32;

/// A pointer that may cross to the worker thread.
#[derive(Clone, Copy)]
struct SendPtr<T>(*mut T);

// SAFETY: `SendPtr` only carries the slot and parameter pointers of
// `ClusWorkerCreate` to the new thread, as `CreateThread` carries its
// parameter: the C caller vouches that the routine may use them there (the
// contract of `ClusWorkerCreate`, stated in its `# Safety`).
unsafe impl<T> Send for SendPtr<T> {}

/// What the Rust side of the worker runs: the C routine, with its slot and
/// parameter.
type Start = (SendPtr<ClusWorker>, WorkerStartRoutine, SendPtr<c_void>);

fn run_c_routine(_ctx: &Context, (slot, routine, param): Start) -> u32 {
    // SAFETY: `ClusWorkerCreate`'s caller promised that `routine` may be
    // called on a new thread with this slot and parameter.
    unsafe { routine(slot.0, param.0) }
}

/// `ClusWorkerCreate`: starts a worker in `*worker` running
/// `start(worker, parameter)`. See [`clus_worker_create`](clusworker::resapi::clus_worker_create).
///
/// Returns `ERROR_SUCCESS`, `ERROR_INVALID_STATE` (the slot's worker is
/// still running, or being terminated), `ERROR_INVALID_PARAMETER` (a null
/// `worker` or `start`), or the OS error code of a failed thread start.
///
/// # Safety
///
/// `worker` is null, or points to a `CLUS_WORKER` that is zeroed or was
/// only ever changed by these functions, and that stays valid (not moved or
/// freed) until its worker was terminated. `start` is null or a function
/// that may run on another thread with `worker` and `parameter`, which the
/// caller must keep valid for as long as the routine uses them.
///
/// # Examples
///
/// ```
/// use std::ptr;
/// use clusworker::resapi::{ClusWorker, ERROR_INVALID_STATE, ERROR_SUCCESS, INFINITE};
/// use clusworker_capi::{ClusWorkerCheckTerminate, ClusWorkerCreate, ClusWorkerTerminateEx};
/// # use std::ffi::c_void;
/// # unsafe extern "system" fn until_terminated(w: *mut ClusWorker, _: *mut c_void) -> u32 {
/// #     // SAFETY: `w` is the routine's own slot.
/// #     while unsafe { ClusWorkerCheckTerminate(w) } == 0 { std::thread::yield_now() }
/// #     0
/// # }
///
/// let mut slot = ClusWorker::new();
/// let w: *mut ClusWorker = &mut slot;
/// // SAFETY: `slot` outlives its workers, each terminated before the next.
/// unsafe {
///     assert_eq!(ClusWorkerCreate(w, Some(until_terminated), ptr::null_mut()), ERROR_SUCCESS);
///     // Busy: the struct is unchanged.
///     assert_eq!(ClusWorkerCreate(w, Some(until_terminated), ptr::null_mut()), ERROR_INVALID_STATE);
///     assert_eq!(ClusWorkerTerminateEx(w, INFINITE, 0), ERROR_SUCCESS);
///     // Re-created on the same struct, as the ClipBook sample does.
///     assert_eq!(ClusWorkerCreate(w, Some(until_terminated), ptr::null_mut()), ERROR_SUCCESS);
///     assert_eq!(ClusWorkerTerminateEx(w, INFINITE, 0), ERROR_SUCCESS);
/// }
/// assert_eq!(slot.generation(), 2);
/// ```
#[allow(non_snake_case)]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ClusWorkerCreate(
    worker: *mut ClusWorker,
    start: Option<WorkerStartRoutine>,
    parameter: *mut c_void,
) -> u32 {
    // SAFETY: `worker` is null or valid for the call (caller's contract).
    let (Some(slot), Some(start)) = (unsafe { worker.as_ref() }, start) else {
        return ERROR_INVALID_PARAMETER;
    };
    let param = (SendPtr(worker), start, SendPtr(parameter));
    resapi::clus_worker_create(slot, run_c_routine, param)
}

/// `ClusWorkerCheckTerminate`: `TRUE` (1) if terminate was requested
/// through `*worker` since its worker was created. One load; `FALSE` for a
/// null pointer. See [`clus_worker_check_terminate`](clusworker::resapi::clus_worker_check_terminate).
///
/// # Safety
///
/// `worker` is null or points to a valid `CLUS_WORKER` (see
/// [`ClusWorkerCreate`]).
///
/// # Examples
///
/// ```
/// use std::ptr;
/// use clusworker::resapi::ClusWorker;
/// use clusworker_capi::ClusWorkerCheckTerminate;
///
/// let mut empty = ClusWorker::new();
/// // SAFETY: a valid struct, and a null pointer.
/// unsafe {
///     assert_eq!(ClusWorkerCheckTerminate(&mut empty), 0);
///     assert_eq!(ClusWorkerCheckTerminate(ptr::null_mut()), 0);
/// }
/// ```
#[allow(non_snake_case)]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ClusWorkerCheckTerminate(worker: *mut ClusWorker) -> i32 {
    // SAFETY: `worker` is null or valid for the call (caller's contract).
    match unsafe { worker.as_ref() } {
        Some(slot) => i32::from(resapi::clus_worker_check_terminate(slot)),
        None => 0,
    }
}

/// `ClusWorkerTerminate`: the first call requests terminate and waits for
/// the worker to exit; later calls, meanwhile, return at once. Nothing for
/// a null pointer. See [`clus_worker_terminate`](clusworker::resapi::clus_worker_terminate).
///
/// # Safety
///
/// `worker` is null or points to a valid `CLUS_WORKER` (see
/// [`ClusWorkerCreate`]).
///
/// # Examples
///
/// ```
/// use std::ptr;
/// use clusworker::resapi::{ClusWorker, ERROR_SUCCESS};
/// use clusworker_capi::{ClusWorkerCheckTerminate, ClusWorkerCreate, ClusWorkerTerminate};
/// # use std::ffi::c_void;
/// # unsafe extern "system" fn until_terminated(w: *mut ClusWorker, _: *mut c_void) -> u32 {
/// #     // SAFETY: `w` is the routine's own slot.
/// #     while unsafe { ClusWorkerCheckTerminate(w) } == 0 { std::thread::yield_now() }
/// #     0
/// # }
///
/// let mut slot = ClusWorker::new();
/// let w: *mut ClusWorker = &mut slot;
/// // SAFETY: `slot` outlives its worker, terminated here.
/// unsafe {
///     assert_eq!(ClusWorkerCreate(w, Some(until_terminated), ptr::null_mut()), ERROR_SUCCESS);
///     ClusWorkerTerminate(w); // requests, and waits for the exit
/// }
/// assert!(slot.is_empty());
/// ```
#[allow(non_snake_case)]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ClusWorkerTerminate(worker: *mut ClusWorker) {
    // SAFETY: `worker` is null or valid for the call (caller's contract).
    if let Some(slot) = unsafe { worker.as_ref() } {
        resapi::clus_worker_terminate(slot);
    }
}

/// `ClusWorkerTerminateEx`: requests terminate unless `wait_only` is
/// nonzero, then waits up to `timeout_ms` (`INFINITE`: no limit). Returns
/// `ERROR_SUCCESS`, `WAIT_TIMEOUT`, `ERROR_POSSIBLE_DEADLOCK` (called on the
/// worker's own thread) or `ERROR_INVALID_PARAMETER` (null). See
/// [`clus_worker_terminate_ex`](clusworker::resapi::clus_worker_terminate_ex).
///
/// # Safety
///
/// `worker` is null or points to a valid `CLUS_WORKER` (see
/// [`ClusWorkerCreate`]).
///
/// # Examples
///
/// ```
/// use std::ptr;
/// use clusworker::resapi::{ClusWorker, ERROR_SUCCESS, INFINITE, WAIT_TIMEOUT};
/// use clusworker_capi::{ClusWorkerCheckTerminate, ClusWorkerCreate, ClusWorkerTerminateEx};
/// # use std::ffi::c_void;
/// # unsafe extern "system" fn until_terminated(w: *mut ClusWorker, _: *mut c_void) -> u32 {
/// #     // SAFETY: `w` is the routine's own slot.
/// #     while unsafe { ClusWorkerCheckTerminate(w) } == 0 { std::thread::yield_now() }
/// #     0
/// # }
///
/// let mut slot = ClusWorker::new();
/// let w: *mut ClusWorker = &mut slot;
/// // SAFETY: `slot` outlives its worker, terminated below.
/// unsafe {
///     assert_eq!(ClusWorkerCreate(w, Some(until_terminated), ptr::null_mut()), ERROR_SUCCESS);
///     // Wait only, for 0 ms: the worker runs on; nothing is lost.
///     assert_eq!(ClusWorkerTerminateEx(w, 0, 1), WAIT_TIMEOUT);
///     assert_eq!(ClusWorkerTerminateEx(w, INFINITE, 0), ERROR_SUCCESS);
/// }
/// assert!(slot.is_empty());
/// ```
#[allow(non_snake_case)]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ClusWorkerTerminateEx(
    worker: *mut ClusWorker,
    timeout_ms: u32,
    wait_only: i32,
) -> u32 {
    // SAFETY: `worker` is null or valid for the call (caller's contract).
    match unsafe { worker.as_ref() } {
        Some(slot) => resapi::clus_worker_terminate_ex(slot, timeout_ms, wait_only != 0),
        None => ERROR_INVALID_PARAMETER,
    }
}

/// `ClusWorkersTerminate`: requests terminate of every worker first (unless
/// `wait_only` is nonzero), then waits for all under one deadline,
/// `timeout_ms` from the call. `workers` is an array of `count` pointers to
/// `CLUS_WORKER`s, as the prototype says (`PCLUS_WORKER *`). Returns as
/// [`clus_workers_terminate`](clusworker::resapi::clus_workers_terminate), or
/// `ERROR_INVALID_PARAMETER`, having done nothing, if `workers` or one of
/// its entries is null (a null `workers` with `count` 0 is `ERROR_SUCCESS`).
///
/// # Safety
///
/// `workers` is null or points to `count` readable pointers, each null or
/// pointing to a valid `CLUS_WORKER` (see [`ClusWorkerCreate`]).
///
/// # Examples
///
/// ```
/// use std::ptr;
/// use clusworker::resapi::{ClusWorker, ERROR_SUCCESS, INFINITE};
/// use clusworker_capi::{ClusWorkerCheckTerminate, ClusWorkerCreate, ClusWorkersTerminate};
/// # use std::ffi::c_void;
/// # unsafe extern "system" fn until_terminated(w: *mut ClusWorker, _: *mut c_void) -> u32 {
/// #     // SAFETY: `w` is the routine's own slot.
/// #     while unsafe { ClusWorkerCheckTerminate(w) } == 0 { std::thread::yield_now() }
/// #     0
/// # }
///
/// let mut slots = [ClusWorker::new(), ClusWorker::new()];
/// let mut workers: Vec<*mut ClusWorker> = slots.iter_mut().map(|s| s as *mut _).collect();
/// // SAFETY: the slots outlive their workers, all terminated here.
/// unsafe {
///     for &w in &workers {
///         assert_eq!(ClusWorkerCreate(w, Some(until_terminated), ptr::null_mut()), ERROR_SUCCESS);
///     }
///     assert_eq!(ClusWorkersTerminate(workers.as_mut_ptr(), workers.len(), INFINITE, 0), ERROR_SUCCESS);
/// }
/// assert!(slots.iter().all(ClusWorker::is_empty));
/// ```
#[allow(non_snake_case)]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ClusWorkersTerminate(
    workers: *mut *mut ClusWorker,
    count: usize,
    timeout_ms: u32,
    wait_only: i32,
) -> u32 {
    if count == 0 {
        return ERROR_SUCCESS;
    }
    if workers.is_null() {
        return ERROR_INVALID_PARAMETER;
    }
    // SAFETY: `workers` is non-null and points to `count` pointers (caller's
    // contract); we only read them.
    let ptrs = unsafe { std::slice::from_raw_parts(workers.cast_const(), count) };
    let mut slots = Vec::with_capacity(count);
    for &p in ptrs {
        // SAFETY: each entry is null or valid for the call (caller's
        // contract).
        match unsafe { p.as_ref() } {
            Some(slot) => slots.push(slot),
            None => return ERROR_INVALID_PARAMETER,
        }
    }
    resapi::clus_workers_terminate(&slots, timeout_ms, wait_only != 0)
}
