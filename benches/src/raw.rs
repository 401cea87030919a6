//! The hand-written peers: raw `pthread_create` / `pthread_join`, and raw
//! `FUTEX_WAIT` / `FUTEX_WAKE` on an `AtomicU32`.

use std::ffi::c_void;
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::atomic::AtomicU32;

/// A thread's entry point, as `pthread_create` wants it.
pub type Start = extern "C" fn(*mut c_void) -> *mut c_void;

/// A joinable thread from `pthread_create` with default attributes.
#[derive(Debug)]
#[must_use = "a raw thread must be joined"]
pub struct RawThread(libc::pthread_t);

impl RawThread {
    /// Starts `start(arg)` on a new thread (default attributes: the
    /// system's default stack, as clusworker uses without a `Builder`).
    ///
    /// # Safety
    ///
    /// What `arg` points to must stay valid, and be safe to use from the new
    /// thread, until the thread is joined.
    pub unsafe fn spawn(start: Start, arg: *mut c_void) -> RawThread {
        let mut id = MaybeUninit::<libc::pthread_t>::uninit();
        // SAFETY: `id` is writable; a null attribute means the defaults; the
        // caller vouches for `start(arg)`.
        let r = unsafe { libc::pthread_create(id.as_mut_ptr(), ptr::null(), start, arg) };
        assert_eq!(r, 0, "pthread_create failed: {r}");
        // SAFETY: pthread_create succeeded, so it wrote the id.
        RawThread(unsafe { id.assume_init() })
    }

    /// Waits for the thread to finish (`pthread_join`).
    pub fn join(self) {
        // SAFETY: `self.0` is joinable and joined once (`self` is consumed).
        let r = unsafe { libc::pthread_join(self.0, ptr::null_mut()) };
        assert_eq!(r, 0, "pthread_join failed: {r}");
    }
}

/// Blocks while `*word == expected` (`FUTEX_WAIT_PRIVATE`, no timeout). May
/// return spuriously: callers loop.
pub fn futex_wait(word: &AtomicU32, expected: u32) {
    // SAFETY: `word` is a live, aligned u32 for the whole call; a null
    // timeout means no timeout.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
            expected,
            ptr::null::<libc::timespec>(),
        );
    }
}

/// Wakes every thread blocked in [`futex_wait`] on `word`.
pub fn futex_wake_all(word: &AtomicU32) {
    // SAFETY: `word` is a live, aligned u32; FUTEX_WAKE only uses its address.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
            i32::MAX,
        );
    }
}

/// The calling thread's kernel id (`gettid`).
pub fn gettid() -> i32 {
    // SAFETY: gettid has no preconditions and cannot fail.
    unsafe { libc::gettid() }
}
