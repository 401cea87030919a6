//! Deterministic checks of the slot internals: the interleavings the
//! integration tests (`tests/resapi.rs`) can only hope to hit.

use std::sync::mpsc;
use std::time::Duration;

use super::ops::{reap, signal};
use super::*;

const LONG: Duration = Duration::from_secs(60);

#[test]
fn a_late_reap_aimed_at_generation_1_leaves_generation_2_in_the_slot() {
    let slot = ClusWorker::new();
    let (release, gate) = mpsc::channel::<()>();
    // Generation 1 ignores terminate until released.
    let r = clus_worker_create(
        &slot,
        |_ctx, gate: mpsc::Receiver<()>| {
            let _ = gate.recv();
            1
        },
        gate,
    );
    assert_eq!(r, ERROR_SUCCESS);
    // A TerminateEx of generation 1 signals, then waits...
    let late = signal(&slot, true).expect("the slot holds generation 1");
    assert_eq!(late.generation, 1);
    drop(release);
    assert_eq!(late.worker.wait_timeout(LONG), Ok(()));
    // ...and before it locks the slot again, a create reaps generation 1
    // and starts generation 2.
    let r = clus_worker_create(
        &slot,
        |ctx, ()| {
            while ctx.sleep(LONG).is_ok() {}
            2
        },
        (),
    );
    assert_eq!(r, ERROR_SUCCESS);
    assert_eq!(slot.generation(), 2);
    // The late terminator now tries to reap: nothing happens.
    reap(&slot, &late);
    assert!(
        !slot.is_empty(),
        "generation 2 was reaped by a late terminator of generation 1"
    );
    assert!(
        !clus_worker_check_terminate(&slot),
        "generation 2's Terminate flag was set"
    );
    let current = slot.lock().target().expect("generation 2 is in the slot");
    assert_eq!(current.generation, 2);
    assert!(
        !current.worker.is_terminate_requested(),
        "a terminate aimed at generation 1 reached generation 2"
    );
    drop(current);
    drop(late);
    assert_eq!(
        clus_worker_terminate_ex(&slot, INFINITE, false),
        ERROR_SUCCESS
    );
    assert!(slot.is_empty());
}

#[test]
fn the_stripe_is_released_on_every_path() {
    // Each call below locks the slot's stripe; a leaked guard would hang
    // the next one.
    let slot = ClusWorker::new();
    clus_worker_terminate(&slot);
    assert_eq!(clus_worker_terminate_ex(&slot, 0, false), ERROR_SUCCESS);
    assert_eq!(clus_workers_terminate(&[&slot], 0, false), ERROR_SUCCESS);
    let r = clus_worker_create_with(
        &slot,
        crate::Builder::new().stack_size(usize::MAX),
        |_, ()| 0,
        (),
    );
    assert_ne!(r, ERROR_SUCCESS);
    assert_eq!(clus_worker_create(&slot, |_, ()| 0, ()), ERROR_SUCCESS);
    assert_eq!(
        clus_worker_terminate_ex(&slot, INFINITE, true),
        ERROR_SUCCESS
    );
    assert!(slot.is_empty());
    let debug = format!("{slot:?}");
    assert!(
        debug.contains("generation: 1"),
        "unexpected Debug output: {debug}"
    );
}
