//! `clusworker_posix::thread`: spawn, join, detach, `is_current`, stack
//! sizes and their errors, and thread names; and the clock.
#![cfg(unix)]

use std::ffi::{CStr, c_void};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Barrier, Mutex};
use std::time::Duration;

use clusworker_posix::OsError;
use clusworker_posix::thread::{self, MAX_NAME, MIN_STACK, Thread};
use clusworker_test_support::{eventually, watchdog};

/// Adds one to the `AtomicUsize` that `arg` points to.
extern "C" fn bump(arg: *mut c_void) -> *mut c_void {
    // SAFETY: every caller passes a pointer to an `AtomicUsize` that outlives
    // the thread (a `static`, or a local the caller joins the thread before
    // dropping).
    let counter = unsafe { &*arg.cast::<AtomicUsize>() };
    counter.fetch_add(1, SeqCst);
    ptr::null_mut()
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
    for stack in [None, Some(0), Some(1), Some(MIN_STACK), Some(1 << 20)] {
        let before = counter.load(SeqCst);
        // SAFETY: the thread is joined below, before `counter` goes away.
        let t = unsafe { spawn_bump(&counter, stack) }
            .unwrap_or_else(|e| panic!("stack {stack:?}: {e}"));
        assert!(!t.is_current(), "the spawner is not the new thread");
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

extern "C" fn check_is_current(arg: *mut c_void) -> *mut c_void {
    // SAFETY: the test passes a `Shared` that outlives the thread (it joins
    // the thread before dropping it).
    let shared = unsafe { &*arg.cast::<Shared>() };
    shared.stored.wait();
    let me = shared.thread.lock().expect("no poison");
    let t = me.as_ref().expect("the test stored the handle");
    shared.is_current.store(t.is_current(), SeqCst);
    shared.checked.store(true, SeqCst);
    ptr::null_mut()
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
fn unroundable_stack_size_is_einval_and_nothing_runs() {
    let _w = watchdog("unroundable_stack_size_is_einval_and_nothing_runs");
    let counter = AtomicUsize::new(0);
    for size in [usize::MAX, usize::MAX - 1] {
        // SAFETY: on failure no thread exists; on (unexpected) success it
        // is joined before `counter` goes away.
        match unsafe { spawn_bump(&counter, Some(size)) } {
            Ok(t) => {
                t.join().expect("join");
                panic!("stack size {size:#x} was accepted");
            }
            Err(e) => {
                assert_eq!(e.code, libc::EINVAL, "{e}");
                assert_eq!(e.call, "pthread_attr_setstacksize");
            }
        }
    }
    assert_eq!(counter.load(SeqCst), 0, "the start function ran");
}

#[cfg(target_pointer_width = "64")]
#[test]
fn unmappable_stack_size_fails_in_pthread_create_and_nothing_runs() {
    let _w = watchdog("unmappable_stack_size_fails_in_pthread_create_and_nothing_runs");
    let counter = AtomicUsize::new(0);
    for size in [1usize << 62, 1 << 56] {
        // SAFETY: as in the test above.
        match unsafe { spawn_bump(&counter, Some(size)) } {
            Ok(t) => {
                t.join().expect("join");
                panic!("stack size {size:#x} was accepted");
            }
            Err(e) => {
                assert_eq!(e.call, "pthread_create", "{e}");
                assert!(
                    matches!(e.code, libc::EAGAIN | libc::ENOMEM | libc::EINVAL),
                    "unexpected code {e}"
                );
                let shown = e.to_string();
                assert!(shown.contains("pthread_create"), "{shown}");
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

#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
fn set_current_name_is_read_back_truncated_on_a_char_boundary() {
    let _w = watchdog("set_current_name_is_read_back_truncated_on_a_char_boundary");
    assert_eq!(MAX_NAME, 15);
    let cases: [(&CStr, &str); 7] = [
        (c"worker-1", "worker-1"),
        (c"", ""),
        (c"fifteen-bytes-x", "fifteen-bytes-x"),
        (c"sixteen-bytes-xy", "sixteen-bytes-x"),
        (
            c"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
            "ééééééé",
        ),
        (c"abcdefghijkl\xe2\x82\xac", "abcdefghijkl€"),
        (c"abcdefghijklm\xe2\x82\xac", "abcdefghijklm"),
    ];
    for (name, expected) in cases {
        assert_eq!(named(name).as_deref(), Some(expected), "name {name:?}");
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
#[test]
fn current_name_is_none_where_unsupported() {
    assert_eq!(named(c"worker-1"), None);
}

#[test]
fn clock_is_monotonic() {
    let mut last = clusworker_posix::clock::now();
    for _ in 0..10_000 {
        let now = clusworker_posix::clock::now();
        assert!(now >= last, "the clock went back: {last:?} then {now:?}");
        last = now;
    }
    std::thread::sleep(Duration::from_millis(2));
    assert!(clusworker_posix::clock::now() - last >= Duration::from_millis(2));
}
