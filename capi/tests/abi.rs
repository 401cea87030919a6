//! The C ABI called from Rust as C calls it: null pointers, the routine's
//! arguments, and the array of `ClusWorkersTerminate`. (The C side, the
//! header and the two libraries, is `capi/tests/clipbook.c`, run by
//! `capi/run.sh`.)

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use clusworker::resapi::{
    ClusWorker, ERROR_INVALID_PARAMETER, ERROR_INVALID_STATE, ERROR_SUCCESS, INFINITE, WAIT_TIMEOUT,
};
use clusworker_capi::{
    ClusWorkerCheckTerminate, ClusWorkerCreate, ClusWorkerTerminate, ClusWorkerTerminateEx,
    ClusWorkersTerminate,
};

/// What a routine saw: the slot and parameter pointers it was given.
#[derive(Default)]
struct Seen {
    slot: AtomicUsize,
    param: AtomicUsize,
}

/// Records its arguments in the `Seen` its parameter points to, then runs
/// until terminated.
unsafe extern "system" fn record_then_wait(worker: *mut ClusWorker, param: *mut c_void) -> u32 {
    // SAFETY: every test passes a `Seen` that outlives the worker.
    let seen = unsafe { &*param.cast::<Seen>() };
    seen.slot.store(worker as usize, SeqCst);
    seen.param.store(param as usize, SeqCst);
    // SAFETY: `worker` is the routine's own slot, valid while it runs.
    while unsafe { ClusWorkerCheckTerminate(worker) } == 0 {
        std::thread::yield_now();
    }
    ERROR_SUCCESS
}

/// Runs until terminated; uses no parameter.
unsafe extern "system" fn until_terminated(worker: *mut ClusWorker, _param: *mut c_void) -> u32 {
    // SAFETY: `worker` is the routine's own slot, valid while it runs.
    while unsafe { ClusWorkerCheckTerminate(worker) } == 0 {
        std::thread::yield_now();
    }
    ERROR_SUCCESS
}

#[test]
fn null_pointers_are_invalid_parameters_and_do_nothing() {
    let mut slot = ClusWorker::new();
    let w: *mut ClusWorker = &mut slot;
    // SAFETY: every pointer is null or points to `slot`, which outlives the
    // calls.
    unsafe {
        assert_eq!(
            ClusWorkerCreate(ptr::null_mut(), Some(until_terminated), ptr::null_mut()),
            ERROR_INVALID_PARAMETER
        );
        assert_eq!(
            ClusWorkerCreate(w, None, ptr::null_mut()),
            ERROR_INVALID_PARAMETER
        );
        assert_eq!(ClusWorkerCheckTerminate(ptr::null_mut()), 0);
        ClusWorkerTerminate(ptr::null_mut());
        assert_eq!(
            ClusWorkerTerminateEx(ptr::null_mut(), 0, 0),
            ERROR_INVALID_PARAMETER
        );
        assert_eq!(
            ClusWorkersTerminate(ptr::null_mut(), 1, 0, 0),
            ERROR_INVALID_PARAMETER
        );
        assert_eq!(
            ClusWorkersTerminate(ptr::null_mut(), 0, 0, 0),
            ERROR_SUCCESS,
            "an empty array may be null"
        );
    }
    assert!(
        slot.is_empty(),
        "a create with a null routine started a worker"
    );
}

#[test]
fn the_routine_gets_its_own_slot_and_the_parameter() {
    let seen = Seen::default();
    let mut slot = ClusWorker::new();
    let w: *mut ClusWorker = &mut slot;
    let param = ptr::from_ref(&seen).cast_mut().cast::<c_void>();
    // SAFETY: `slot` and `seen` outlive the worker, terminated below.
    unsafe {
        assert_eq!(
            ClusWorkerCreate(w, Some(record_then_wait), param),
            ERROR_SUCCESS
        );
        assert_eq!(
            ClusWorkerCreate(w, Some(record_then_wait), param),
            ERROR_INVALID_STATE,
            "a second create on a running worker's slot"
        );
        assert_eq!(ClusWorkerTerminateEx(w, INFINITE, 0), ERROR_SUCCESS);
    }
    assert_eq!(seen.slot.load(SeqCst), w as usize, "the routine's slot");
    assert_eq!(
        seen.param.load(SeqCst),
        param as usize,
        "the routine's parameter"
    );
    assert!(slot.is_empty(), "the terminated worker was not reaped");
}

#[test]
fn workers_terminate_with_a_null_entry_does_nothing() {
    let mut a = ClusWorker::new();
    let mut b = ClusWorker::new();
    let (pa, pb): (*mut ClusWorker, *mut ClusWorker) = (&mut a, &mut b);
    // SAFETY: `a` and `b` outlive their workers, terminated below; the
    // arrays hold valid or null pointers.
    unsafe {
        assert_eq!(
            ClusWorkerCreate(pa, Some(until_terminated), ptr::null_mut()),
            ERROR_SUCCESS
        );
        assert_eq!(
            ClusWorkerCreate(pb, Some(until_terminated), ptr::null_mut()),
            ERROR_SUCCESS
        );
        let mut with_null = [pa, ptr::null_mut(), pb];
        assert_eq!(
            ClusWorkersTerminate(with_null.as_mut_ptr(), with_null.len(), 0, 0),
            ERROR_INVALID_PARAMETER
        );
        assert_eq!(
            ClusWorkerCheckTerminate(pa),
            0,
            "a rejected array's first worker was told to terminate"
        );
        let mut both = [pa, pb];
        assert_eq!(
            ClusWorkersTerminate(both.as_mut_ptr(), both.len(), 0, 1),
            WAIT_TIMEOUT,
            "wait-only: neither worker was asked to terminate"
        );
        assert_eq!(
            ClusWorkersTerminate(both.as_mut_ptr(), both.len(), INFINITE, 0),
            ERROR_SUCCESS
        );
    }
    assert!(a.is_empty() && b.is_empty(), "the workers were not reaped");
}
