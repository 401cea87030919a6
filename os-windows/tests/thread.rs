//! `clusworker_windows::thread`: spawn, join, detach, `is_current`, stack
//! reservations and their errors, and thread names; and the clock. The
//! tests of `os-posix/tests/thread.rs`, with the Windows error codes.
#![cfg(windows)]

use std::ffi::{CStr, c_void};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Barrier, Mutex};
use std::time::Duration;

use clusworker_test_support::{eventually, watchdog};
use clusworker_windows::OsError;
use clusworker_windows::thread::{self, MIN_STACK, Thread};
use windows_sys::Win32::Foundation::{
    ERROR_COMMITMENT_LIMIT, ERROR_INVALID_PARAMETER, ERROR_NOT_ENOUGH_MEMORY, ERROR_OUTOFMEMORY,
};

/// Adds one to the `AtomicUsize` that `arg` points to.
unsafe extern "system" fn bump(arg: *mut c_void) -> u32 {
    // SAFETY: every caller passes a pointer to an `AtomicUsize` that outlives
    // the thread (a `static`, or a local the caller joins the thread before
    // dropping).
    let counter = unsafe { &*arg.cast::<AtomicUsize>() };
    counter.fetch_add(1, SeqCst);
    0
}

/// Spawns `bump` on `counter`.
///
/// # Safety
///
/// `counter` must outlive the thread.
unsafe fn spawn_bump(counter: &AtomicUsize, stack: Option<usize>) -> Result<Thread, OsError> {
    let arg = ptr::from_ref(counter).cast_mut().cast::<c_void>();
    // SAFETY: `bump` only reads through `arg` as an `AtomicUsize`, which is
    // thread-safe; the caller keeps it alive for the thread's life.
    unsafe { thread::spawn(bump, arg, stack) }
}

#[test]
fn spawn_runs_the_start_function_and_join_waits_for_it() {
    let _w = watchdog("spawn_runs_the_start_function_and_join_waits_for_it");
    let counter = AtomicUsize::new(0);
    for stack in [
        None,
        Some(0),
        Some(1),
        Some(MIN_STACK),
        Some(MIN_STACK + 1),
        Some(1 << 20),
        // A reservation is address space, not memory: 1 GiB is fine.
        Some(1 << 30),
    ] {
        let before = counter.load(SeqCst);
        // SAFETY: the thread is joined below, before `counter` goes away.
        let t = unsafe { spawn_bump(&counter, stack) }
            .unwrap_or_else(|e| panic!("stack {stack:?}: {e}"));
        assert!(!t.is_current(), "the spawner is not the new thread");
        assert_ne!(t.id(), 0, "a thread id is never zero");
        t.join().unwrap_or_else(|e| panic!("stack {stack:?}: {e}"));
        assert_eq!(
            counter.load(SeqCst),
            before + 1,
            "stack {stack:?}: join returned before the thread ran"
        );
    }
}

#[test]
fn detached_thread_runs_to_its_end() {
    let _w = watchdog("detached_thread_runs_to_its_end");
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    for _ in 0..8 {
        // SAFETY: `COUNTER` is a static: it outlives every thread.
        let t = unsafe { spawn_bump(&COUNTER, None) }.expect("spawn");
        t.detach().expect("detach");
    }
    eventually("every detached thread to run", || COUNTER.load(SeqCst) == 8);
}

/// What the `is_current` check thread shares with the test.
struct Shared {
    thread: Mutex<Option<Thread>>,
    stored: Barrier,
    is_current: AtomicBool,
    checked: AtomicBool,
}

unsafe extern "system" fn check_is_current(arg: *mut c_void) -> u32 {
    // SAFETY: the test passes a `Shared` that outlives the thread (it joins
    // the thread before dropping it).
    let shared = unsafe { &*arg.cast::<Shared>() };
    shared.stored.wait();
    let me = shared.thread.lock().expect("no poison");
    let t = me.as_ref().expect("the test stored the handle");
    shared.is_current.store(t.is_current(), SeqCst);
    shared.checked.store(true, SeqCst);
    0
}

#[test]
fn is_current_is_true_only_on_the_thread_itself() {
    let _w = watchdog("is_current_is_true_only_on_the_thread_itself");
    let shared = Shared {
        thread: Mutex::new(None),
        stored: Barrier::new(2),
        is_current: AtomicBool::new(false),
        checked: AtomicBool::new(false),
    };
    let arg = ptr::from_ref(&shared).cast_mut().cast::<c_void>();
    // SAFETY: `check_is_current` only uses `Shared` through thread-safe
    // types; the thread is joined below, before `shared` is dropped.
    let t = unsafe { thread::spawn(check_is_current, arg, None) }.expect("spawn");
    assert!(!t.is_current());
    *shared.thread.lock().expect("no poison") = Some(t);
    shared.stored.wait();
    eventually("the thread to check", || shared.checked.load(SeqCst));
    assert!(
        shared.is_current.load(SeqCst),
        "is_current was false on the thread itself"
    );
    let t = shared
        .thread
        .lock()
        .expect("no poison")
        .take()
        .expect("stored");
    t.join().expect("join");
}

#[test]
fn unroundable_stack_size_is_invalid_parameter_and_nothing_runs() {
    let _w = watchdog("unroundable_stack_size_is_invalid_parameter_and_nothing_runs");
    let counter = AtomicUsize::new(0);
    for size in [usize::MAX, usize::MAX - 1, usize::MAX - MIN_STACK + 2] {
        // SAFETY: on failure no thread exists; on (unexpected) success it
        // is joined before `counter` goes away.
        match unsafe { spawn_bump(&counter, Some(size)) } {
            Ok(t) => {
                t.join().expect("join");
                panic!("stack size {size:#x} was accepted");
            }
            Err(e) => {
                assert_eq!(e.code, ERROR_INVALID_PARAMETER as i32, "{e}");
                assert_eq!(e.call, "CreateThread");
            }
        }
    }
    assert_eq!(counter.load(SeqCst), 0, "the start function ran");
}

#[test]
fn absurd_stack_reservation_fails_in_create_thread_with_its_last_error() {
    let _w = watchdog("absurd_stack_reservation_fails_in_create_thread_with_its_last_error");
    let counter = AtomicUsize::new(0);
    // Beyond the 128 TiB of a 64-bit process's user address space.
    for size in [1usize << 62, 1 << 56, 1 << 48] {
        // SAFETY: as in the test above.
        match unsafe { spawn_bump(&counter, Some(size)) } {
            Ok(t) => {
                t.join().expect("join");
                panic!("stack size {size:#x} was accepted");
            }
            Err(e) => {
                assert_eq!(e.call, "CreateThread", "{e}");
                let known = [
                    ERROR_NOT_ENOUGH_MEMORY,
                    ERROR_OUTOFMEMORY,
                    ERROR_COMMITMENT_LIMIT,
                    ERROR_INVALID_PARAMETER,
                ];
                assert!(
                    known.iter().any(|&k| k as i32 == e.code),
                    "stack size {size:#x}: unexpected GetLastError code {e}"
                );
                let shown = e.to_string();
                assert!(shown.contains("CreateThread"), "{shown}");
                assert_eq!(e.to_io().raw_os_error(), Some(e.code));
                let io: std::io::Error = e.into();
                assert_eq!(io.raw_os_error(), Some(e.code));
            }
        }
    }
    assert_eq!(counter.load(SeqCst), 0, "the start function ran");
}

/// Names a fresh thread `name` and returns what the OS reports.
fn named(name: &CStr) -> Option<String> {
    let name = name.to_owned();
    std::thread::spawn(move || {
        thread::set_current_name(&name);
        thread::current_name()
    })
    .join()
    .expect("no panic")
}

#[test]
fn set_current_name_never_fails_and_is_read_back_whole() {
    let _w = watchdog("set_current_name_never_fails_and_is_read_back_whole");
    let long = "n".repeat(300);
    let long_c = std::ffi::CString::new(long.clone()).expect("no NUL");
    let cases: [(&CStr, &str); 6] = [
        (c"worker-1", "worker-1"),
        (c"", ""),
        // No 15-byte limit, as on Linux: the whole name.
        (c"sixteen-bytes-xy", "sixteen-bytes-xy"),
        (c"\xc3\xa9t\xc3\xa9 \xf0\x9f\xa6\x80", "été 🦀"),
        // Not UTF-8: the invalid byte becomes U+FFFD, nothing fails.
        (c"bad\xffbyte", "bad\u{fffd}byte"),
        (long_c.as_c_str(), long.as_str()),
    ];
    for (name, expected) in cases {
        match named(name) {
            Some(seen) => assert_eq!(seen, expected, "name {name:?}"),
            // Only where the system lacks GetThreadDescription (before
            // Windows 10 1607); Wine and current Windows have it.
            None => println!("no thread descriptions on this system"),
        }
    }
}

#[test]
fn clock_is_monotonic() {
    let mut last = clusworker_windows::clock::now();
    for _ in 0..10_000 {
        let now = clusworker_windows::clock::now();
        assert!(now >= last, "the clock went back: {last:?} then {now:?}");
        last = now;
    }
    std::thread::sleep(Duration::from_millis(2));
    assert!(clusworker_windows::clock::now() - last >= Duration::from_millis(2));
}
