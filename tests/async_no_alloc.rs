//! A wait allocates nothing: awaiting `Context::terminated()` (link, park,
//! wake, unlink) and the request that wakes it make no heap allocation on
//! either thread. A counting global allocator, counting per thread, shows
//! it; a `Box` slipped into the wait path fails this test.
//!
//! One-time, process-wide set-up is not a wait's cost: the portable condvar
//! parking (`--features condvar`) allocates its table of buckets on first
//! use, so a warm-up worker is parked and woken first.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::task::{Context as TaskContext, Waker};
use std::time::Duration;

use clusworker::Worker;

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to `System` unchanged; the counter is a
// const-initialised thread-local `Cell`, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: the caller's contract for `alloc`, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc`, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: the caller's contract for `realloc`, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(Cell::get)
}

#[test]
fn awaiting_terminated_and_the_request_allocate_nothing() {
    static PENDING: AtomicBool = AtomicBool::new(false);
    static ROUTINE_ALLOCS: AtomicU64 = AtomicU64::new(u64::MAX);
    // A timed wait on a running worker parks (and so touches the parking's
    // table) before it times out.
    let warm_up = Worker::spawn(|ctx| while ctx.sleep(Duration::MAX).is_ok() {}).expect("spawn");
    assert!(warm_up.wait_timeout(Duration::from_millis(5)).is_err());
    warm_up.terminate();
    warm_up.join().expect("the warm-up does not panic");
    let worker = Worker::spawn(|ctx| {
        let before = allocs();
        let ready = {
            let mut fut = pin!(ctx.terminated());
            let mut cx = TaskContext::from_waker(Waker::noop());
            assert!(fut.as_mut().poll(&mut cx).is_pending());
            PENDING.store(true, SeqCst);
            // The request unlinks the node and wakes the (no-op) waker.
            while !ctx.check_terminate() {
                std::hint::spin_loop();
            }
            fut.as_mut().poll(&mut cx).is_ready()
        };
        ROUTINE_ALLOCS.store(allocs() - before, SeqCst);
        ready
    })
    .expect("spawn");
    while !PENDING.load(SeqCst) {
        std::thread::yield_now();
    }
    let before = allocs();
    let _ = worker.request_terminate();
    let requester = allocs() - before;
    assert_eq!(worker.join().ok(), Some(true));
    assert_eq!(
        ROUTINE_ALLOCS.load(SeqCst),
        0,
        "allocations in the waiting routine"
    );
    assert_eq!(requester, 0, "allocations in the request");
}
