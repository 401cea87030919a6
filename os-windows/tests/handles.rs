//! No handle leaks: the process's handle count after a burst of 200 threads
//! or workers is what it was before.
//!
//! The count is `GetProcessHandleCount`, except under Wine (8.0), which
//! answers 0 to it: there the test counts the handles itself, by asking
//! `GetHandleInformation` about every handle value in the low range that
//! Wine hands out. Either way, the test first checks that its counter sees
//! one event handle open and close, so that a counter stuck at zero cannot
//! make it pass.
//!
//! One test in its own binary, so that no other test spawns threads (and
//! holds their handles) while it counts: the count is process-wide.
#![cfg(windows)]

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use clusworker::{Builder, Terminate, Worker};
use clusworker_test_support::{eventually, watchdog};
use clusworker_windows::thread;
use windows_sys::Win32::Foundation::{CloseHandle, GetHandleInformation, HANDLE};
use windows_sys::Win32::System::Threading::{
    CreateEventW, GetCurrentProcess, GetProcessHandleCount,
};

const BURST: usize = 200;

/// How many handles the process has open, and how that was counted.
fn handle_count() -> (u32, &'static str) {
    let mut n = 0u32;
    // SAFETY: GetCurrentProcess is a pseudo handle with every access; `n`
    // is writable for the call.
    let ok = unsafe { GetProcessHandleCount(GetCurrentProcess(), &mut n) };
    assert_ne!(
        ok,
        0,
        "GetProcessHandleCount failed: {}",
        std::io::Error::last_os_error()
    );
    if n > 0 {
        return (n, "GetProcessHandleCount");
    }
    // A live process always has handles open (its console, its current
    // directory): 0 is Wine's unimplemented ProcessHandleCount.
    let mut live = 0;
    let mut highest = 0;
    for value in (4..PROBE_LIMIT).step_by(4) {
        let mut flags = 0u32;
        let handle: HANDLE = ptr::without_provenance_mut(value);
        // SAFETY: GetHandleInformation only looks the value up in the
        // process's handle table; an unused value fails with
        // ERROR_INVALID_HANDLE. `flags` is writable for the call.
        if unsafe { GetHandleInformation(handle, &mut flags) } != 0 {
            live += 1;
            highest = value;
        }
    }
    assert!(
        highest < PROBE_LIMIT / 2,
        "handle values reach {highest:#x}: probe beyond {PROBE_LIMIT:#x}"
    );
    (live, "GetHandleInformation probes")
}

/// Handle values the fallback counter probes, from 4 up to this.
const PROBE_LIMIT: usize = 0x8000;

/// The counter sees a handle open and close: it is not stuck.
fn counter_works() -> &'static str {
    let (before, how) = handle_count();
    // SAFETY: default security, auto-reset, not signalled, no name.
    let event = unsafe { CreateEventW(ptr::null(), 0, 0, ptr::null()) };
    assert!(!event.is_null(), "CreateEventW failed");
    let (open, _) = handle_count();
    // SAFETY: the event handle is ours and not used again.
    assert_ne!(unsafe { CloseHandle(event) }, 0, "CloseHandle failed");
    let (closed, _) = handle_count();
    assert_eq!(
        (open, closed),
        (before + 1, before),
        "the counter ({how}) missed an event handle: {before} before, \
         {open} open, {closed} closed"
    );
    how
}

/// Runs `burst` and checks that it left the handle count where it was.
#[track_caller]
fn no_leak(what: &str, burst: impl FnOnce()) {
    let (before, how) = handle_count();
    burst();
    let (after, _) = handle_count();
    assert!(
        after <= before,
        "{what}: {BURST} threads left {} handles open ({before} before, {after} after)",
        after - before
    );
    println!("{what}: {before} handles before, {after} after ({how})");
}

unsafe extern "system" fn bump(arg: *mut c_void) -> u32 {
    // SAFETY: the callers pass a `static` `AtomicUsize`.
    let counter = unsafe { &*arg.cast::<AtomicUsize>() };
    counter.fetch_add(1, SeqCst);
    0
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Starts `bump` on [`COUNTER`].
fn spawn_bump() -> thread::Thread {
    let arg = ptr::from_ref(&COUNTER).cast_mut().cast::<c_void>();
    // SAFETY: `bump` only touches a static atomic.
    unsafe { thread::spawn(bump, arg, Some(64 * 1024)) }.expect("spawn")
}

#[test]
fn bursts_of_threads_and_workers_leak_no_handle() {
    let _w = watchdog("bursts_of_threads_and_workers_leak_no_handle");
    // Warm up: whatever the runtime opens once (std's keyed event, the
    // console, the watchdog's channel) is opened before the first count.
    spawn_bump().join().expect("join");
    let warm = Worker::spawn(|ctx| ctx.sleep(Duration::from_millis(1)).is_ok()).expect("spawn");
    let _ = warm.join();
    let _ = Builder::new().stack_size(usize::MAX).spawn(|_ctx| ());
    let _ = Builder::new().stack_size(1 << 62).spawn(|_ctx| ());
    println!("handles counted with {}", counter_works());

    no_leak("raw threads, spawned and joined", || {
        for _ in 0..BURST {
            spawn_bump().join().expect("join");
        }
    });

    no_leak("raw threads, spawned and detached", || {
        let start = COUNTER.load(SeqCst);
        for _ in 0..BURST {
            spawn_bump().detach().expect("detach");
        }
        eventually("every detached thread to run", || {
            COUNTER.load(SeqCst) == start + BURST
        });
    });

    no_leak("workers, terminated then joined", || {
        let workers: Vec<Worker<u32>> = (0..BURST)
            .map(|i| {
                Builder::new()
                    .name(format!("burst-{i}"))
                    .spawn(move |ctx| {
                        while ctx.sleep(Duration::MAX).is_ok() {}
                        i as u32
                    })
                    .expect("spawn")
            })
            .collect();
        for (i, w) in workers.into_iter().enumerate() {
            assert_eq!(w.terminate(), Terminate::First);
            assert_eq!(w.join().ok(), Some(i as u32));
        }
    });

    no_leak("workers, dropped while sleeping", || {
        let workers: Vec<Worker<()>> = (0..BURST)
            .map(|_| Worker::spawn(|ctx| while ctx.sleep(Duration::MAX).is_ok() {}).expect("spawn"))
            .collect();
        drop(workers);
    });

    no_leak("workers, detached", || {
        static DONE: AtomicUsize = AtomicUsize::new(0);
        for _ in 0..BURST {
            Worker::spawn(|_ctx| {
                DONE.fetch_add(1, SeqCst);
            })
            .expect("spawn")
            .detach();
        }
        eventually("every detached worker to run", || {
            DONE.load(SeqCst) == BURST
        });
        // A detached worker's thread may still be between its routine and
        // its end, holding its thread object (not one of our handles).
    });

    no_leak("spawns that fail", || {
        for _ in 0..BURST {
            assert!(Builder::new().stack_size(1 << 62).spawn(|_ctx| ()).is_err());
        }
    });
}
