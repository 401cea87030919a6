//! Threads from `pthread_create`, joined with `pthread_join`.

use std::ffi::{CStr, c_void};
use std::mem::MaybeUninit;

use crate::error::OsError;

/// The entry point of a thread: a C function taking the `arg` given to
/// [`spawn`].
pub type Start = extern "C" fn(*mut c_void) -> *mut c_void;

/// A joinable OS thread. Must be either [`join`](Thread::join)ed or
/// [`detach`](Thread::detach)ed; dropping it leaks the thread's OS resources
/// until the process exits (as a `pthread_t` does).
#[derive(Debug)]
#[must_use = "a thread must be joined or detached"]
pub struct Thread(libc::pthread_t);

/// The smallest stack `spawn` asks for.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub const MIN_STACK: usize = libc::PTHREAD_STACK_MIN;
/// The smallest stack `spawn` asks for.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub const MIN_STACK: usize = 16 * 1024;

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 { p as usize } else { 4096 }
}

/// Starts a thread running `start(arg)`.
///
/// `stack_size` is rounded up to [`MIN_STACK`] and to a whole page, as
/// Windows rounds a stack reservation; a size so large that it cannot be
/// rounded is `EINVAL`, and one the system cannot map fails in
/// `pthread_create` with its error code. Nothing is allocated by this
/// function, and nothing is leaked on failure: `arg` is still the caller's.
///
/// # Safety
///
/// `start(arg)` will run on the new thread, concurrently with the caller:
/// whatever `arg` points to must stay valid until `start` stops using it,
/// and must be safe to use from another thread.
pub unsafe fn spawn(
    start: Start,
    arg: *mut c_void,
    stack_size: Option<usize>,
) -> Result<Thread, OsError> {
    let mut attr = MaybeUninit::<libc::pthread_attr_t>::uninit();
    // SAFETY: `attr` is writable storage for an attribute object.
    let r = unsafe { libc::pthread_attr_init(attr.as_mut_ptr()) };
    if r != 0 {
        return Err(OsError {
            call: "pthread_attr_init",
            code: r,
        });
    }
    let result = (|| {
        if let Some(size) = stack_size {
            let size = size
                .max(MIN_STACK)
                .checked_next_multiple_of(page_size())
                .ok_or(OsError {
                    call: "pthread_attr_setstacksize",
                    code: libc::EINVAL,
                })?;
            // SAFETY: `attr` was initialised above.
            let r = unsafe { libc::pthread_attr_setstacksize(attr.as_mut_ptr(), size) };
            if r != 0 {
                return Err(OsError {
                    call: "pthread_attr_setstacksize",
                    code: r,
                });
            }
        }
        let mut id = MaybeUninit::<libc::pthread_t>::uninit();
        // SAFETY: `attr` is initialised; the caller vouches for `start(arg)`.
        let r = unsafe { libc::pthread_create(id.as_mut_ptr(), attr.as_ptr(), start, arg) };
        if r != 0 {
            return Err(OsError {
                call: "pthread_create",
                code: r,
            });
        }
        // SAFETY: pthread_create succeeded, so it wrote the id.
        Ok(Thread(unsafe { id.assume_init() }))
    })();
    // SAFETY: `attr` was initialised and is no longer used.
    let r = unsafe { libc::pthread_attr_destroy(attr.as_mut_ptr()) };
    debug_assert_eq!(r, 0, "pthread_attr_destroy: {r}");
    result
}

impl Thread {
    /// Waits for the thread to finish and releases its OS resources.
    pub fn join(self) -> Result<(), OsError> {
        // SAFETY: `join` and `detach` consume `self`, so the thread was not
        // joined or detached before, and is used no more after.
        unsafe { self.join_in_place() }
    }

    /// Waits for the thread to finish and releases its OS resources, as
    /// [`join`](Self::join), through a shared reference: for a handle whose
    /// terminate waits with the OS join (one sleep, where waiting on the
    /// worker word and then joining costs two).
    ///
    /// # Safety
    ///
    /// Called at most once for the thread, and never after `join` or
    /// `detach`; once it returned `Ok`, the thread is released: the only
    /// call left for `self` is [`release_joined`](Self::release_joined).
    pub unsafe fn join_in_place(&self) -> Result<(), OsError> {
        // SAFETY: `self.0` is joinable (not yet joined or detached: the
        // caller's contract).
        let r = unsafe { libc::pthread_join(self.0, std::ptr::null_mut()) };
        if r == 0 {
            Ok(())
        } else {
            Err(OsError {
                call: "pthread_join",
                code: r,
            })
        }
    }

    /// Lets go of a thread that [`join_in_place`](Self::join_in_place)
    /// joined: nothing is left to release here (`pthread_join` did it).
    pub fn release_joined(self) -> Result<(), OsError> {
        Ok(())
    }

    /// Lets the thread release its OS resources by itself when it finishes.
    pub fn detach(self) -> Result<(), OsError> {
        // SAFETY: as in `join`.
        let r = unsafe { libc::pthread_detach(self.0) };
        if r == 0 {
            Ok(())
        } else {
            Err(OsError {
                call: "pthread_detach",
                code: r,
            })
        }
    }

    /// Is this the calling thread?
    #[inline]
    pub fn is_current(&self) -> bool {
        // SAFETY: pthread_self and pthread_equal have no preconditions.
        unsafe { libc::pthread_equal(self.0, libc::pthread_self()) != 0 }
    }
}

/// The longest name the OS keeps, in bytes, without the terminating NUL.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub const MAX_NAME: usize = 15;
/// The longest name the OS keeps, in bytes, without the terminating NUL.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub const MAX_NAME: usize = 63;

/// Names the calling thread, truncated to [`MAX_NAME`] bytes on a UTF-8
/// boundary. Where the OS has no thread names, does nothing.
pub fn set_current_name(name: &CStr) {
    let bytes = name.to_bytes();
    let mut buf = [0u8; MAX_NAME + 1];
    let mut n = bytes.len().min(MAX_NAME);
    while n > 0 && n < bytes.len() && (bytes[n] & 0xC0) == 0x80 {
        n -= 1;
    }
    buf[..n].copy_from_slice(&bytes[..n]);
    set_name_raw(&buf);
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn set_name_raw(buf: &[u8]) {
    // SAFETY: `buf` is NUL-terminated and at most 16 bytes, the limit.
    let r = unsafe { libc::pthread_setname_np(libc::pthread_self(), buf.as_ptr().cast()) };
    debug_assert_eq!(r, 0, "pthread_setname_np: {r}");
}

#[cfg(target_vendor = "apple")]
fn set_name_raw(buf: &[u8]) {
    // SAFETY: `buf` is NUL-terminated.
    let r = unsafe { libc::pthread_setname_np(buf.as_ptr().cast()) };
    debug_assert_eq!(r, 0, "pthread_setname_np: {r}");
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
fn set_name_raw(_buf: &[u8]) {}

/// The calling thread's name as the OS reports it (Linux only; `None`
/// elsewhere or on failure).
pub fn current_name() -> Option<String> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let mut buf = [0u8; 64];
        // SAFETY: `buf` is writable for its whole length, which we pass.
        let r = unsafe {
            libc::pthread_getname_np(libc::pthread_self(), buf.as_mut_ptr().cast(), buf.len())
        };
        if r != 0 {
            return None;
        }
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        Some(String::from_utf8_lossy(&buf[..end]).into_owned())
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    None
}
