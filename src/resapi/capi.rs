//! The C ABI: `ClusWorkerCreate` and friends with the `resapi.h`
//! prototypes, for resource DLLs ported from C and C++ (the `capi`
//! feature).
//!
//! Build a library with
//! `cargo rustc -p clusworker --release --features capi --crate-type staticlib`
//! (or `--crate-type cdylib`) and include `include/clusworker.h`. The
//! `CLUS_WORKER` there is a [`ClusWorker`]: zero it before the first
//! create, never write its fields, and terminate its worker before freeing
//! it. A null pointer is never undefined behaviour: the functions that
//! return a code return [`ERROR_INVALID_PARAMETER`], the others do nothing
//! (`ClusWorkerCheckTerminate` returns `FALSE`).
//!
//! Every function is `extern "system"`: `WINAPI` (`__stdcall`) on 32-bit
//! Windows, the C convention everywhere else.

use std::ffi::c_void;

use crate::context::Context;

use super::codes::{ERROR_INVALID_PARAMETER, ERROR_SUCCESS};
use super::ops;
use super::slot::ClusWorker;

/// `PWORKER_START_ROUTINE`: the routine gets its slot and the parameter
/// given to [`ClusWorkerCreate`], and returns its exit code.
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
/// `start(worker, parameter)`. See [`clus_worker_create`](super::clus_worker_create).
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
    ops::clus_worker_create(slot, run_c_routine, param)
}

/// `ClusWorkerCheckTerminate`: `TRUE` (1) if terminate was requested
/// through `*worker` since its worker was created. One load; `FALSE` for a
/// null pointer. See [`clus_worker_check_terminate`](super::clus_worker_check_terminate).
///
/// # Safety
///
/// `worker` is null or points to a valid `CLUS_WORKER` (see
/// [`ClusWorkerCreate`]).
#[allow(non_snake_case)]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ClusWorkerCheckTerminate(worker: *mut ClusWorker) -> i32 {
    // SAFETY: `worker` is null or valid for the call (caller's contract).
    match unsafe { worker.as_ref() } {
        Some(slot) => i32::from(ops::clus_worker_check_terminate(slot)),
        None => 0,
    }
}

/// `ClusWorkerTerminate`: the first call requests terminate and waits for
/// the worker to exit; later calls, meanwhile, return at once. Nothing for
/// a null pointer. See [`clus_worker_terminate`](super::clus_worker_terminate).
///
/// # Safety
///
/// `worker` is null or points to a valid `CLUS_WORKER` (see
/// [`ClusWorkerCreate`]).
#[allow(non_snake_case)]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ClusWorkerTerminate(worker: *mut ClusWorker) {
    // SAFETY: `worker` is null or valid for the call (caller's contract).
    if let Some(slot) = unsafe { worker.as_ref() } {
        ops::clus_worker_terminate(slot);
    }
}

/// `ClusWorkerTerminateEx`: requests terminate unless `wait_only` is
/// nonzero, then waits up to `timeout_ms` (`INFINITE`: no limit). Returns
/// `ERROR_SUCCESS`, `WAIT_TIMEOUT`, `ERROR_POSSIBLE_DEADLOCK` (called on the
/// worker's own thread) or `ERROR_INVALID_PARAMETER` (null). See
/// [`clus_worker_terminate_ex`](super::clus_worker_terminate_ex).
///
/// # Safety
///
/// `worker` is null or points to a valid `CLUS_WORKER` (see
/// [`ClusWorkerCreate`]).
#[allow(non_snake_case)]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ClusWorkerTerminateEx(
    worker: *mut ClusWorker,
    timeout_ms: u32,
    wait_only: i32,
) -> u32 {
    // SAFETY: `worker` is null or valid for the call (caller's contract).
    match unsafe { worker.as_ref() } {
        Some(slot) => ops::clus_worker_terminate_ex(slot, timeout_ms, wait_only != 0),
        None => ERROR_INVALID_PARAMETER,
    }
}

/// `ClusWorkersTerminate`: requests terminate of every worker first (unless
/// `wait_only` is nonzero), then waits for all under one deadline,
/// `timeout_ms` from the call. `workers` is an array of `count` pointers to
/// `CLUS_WORKER`s, as the prototype says (`PCLUS_WORKER *`). Returns as
/// [`clus_workers_terminate`](super::clus_workers_terminate), or
/// `ERROR_INVALID_PARAMETER`, having done nothing, if `workers` or one of
/// its entries is null (a null `workers` with `count` 0 is `ERROR_SUCCESS`).
///
/// # Safety
///
/// `workers` is null or points to `count` readable pointers, each null or
/// pointing to a valid `CLUS_WORKER` (see [`ClusWorkerCreate`]).
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
    ops::clus_workers_terminate(&slots, timeout_ms, wait_only != 0)
}
