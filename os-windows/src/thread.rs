//! Threads from `CreateThread`, joined with `WaitForSingleObject`.

use std::ffi::{CStr, c_void};
use std::ptr;
use std::sync::OnceLock;

use windows_sys::Win32::Foundation::{
    CloseHandle, ERROR_INVALID_PARAMETER, HANDLE, LocalFree, WAIT_OBJECT_0,
};
use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleA, GetProcAddress};
use windows_sys::Win32::System::Threading::{
    CreateThread, GetCurrentThread, GetCurrentThreadId, INFINITE,
    STACK_SIZE_PARAM_IS_A_RESERVATION, WaitForSingleObject,
};
use windows_sys::core::{HRESULT, PCWSTR, PWSTR};

use crate::error::OsError;

/// The entry point of a thread: an `LPTHREAD_START_ROUTINE` taking the
/// `arg` given to [`spawn`]. Its return value is the thread's exit code,
/// which nothing here reads.
pub type Start = unsafe extern "system" fn(*mut c_void) -> u32;

/// A joinable OS thread: its handle and its id. Must be either
/// [`join`](Thread::join)ed or [`detach`](Thread::detach)ed; dropping it
/// leaks the handle (and with it the thread object) until the process
/// exits.
///
/// Eight bytes, so that a `clusworker::Worker` stays the size of a
/// `CLUS_WORKER`: the handle is kept as its low 32 bits. Microsoft documents
/// that 64-bit Windows uses 32-bit handles ("only the lower 32 bits are
/// significant, so it is safe to truncate the handle ... or sign-extend
/// the handle"; *Interprocess Communication Between 32-bit and 64-bit
/// Applications*), and Wine allocates handles the same way.
#[derive(Debug)]
#[must_use = "a thread must be joined or detached"]
pub struct Thread {
    handle: u32,
    id: u32,
}

/// The smallest stack reservation `spawn` asks for: the allocation
/// granularity, which Windows rounds every reservation up to anyway.
pub const MIN_STACK: usize = 64 * 1024;

/// Starts a thread running `start(arg)`.
///
/// `stack_size` is a *reservation* (`STACK_SIZE_PARAM_IS_A_RESERVATION`:
/// address space, committed page by page as the stack grows), rounded up to
/// [`MIN_STACK`] and to a multiple of it; `None` takes the executable's
/// default. A size so large that it cannot be rounded is
/// `ERROR_INVALID_PARAMETER` before any call (Windows would wrap it around
/// to a small one); one the address space cannot hold fails in
/// `CreateThread` with its `GetLastError` code (`ERROR_NOT_ENOUGH_MEMORY`).
/// Nothing is allocated by this function, and nothing is leaked on failure:
/// `arg` is still the caller's.
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
    let reserve = match stack_size {
        None => 0,
        Some(size) => size
            .max(MIN_STACK)
            .checked_next_multiple_of(MIN_STACK)
            .ok_or(OsError {
                call: "CreateThread",
                code: ERROR_INVALID_PARAMETER as i32,
            })?,
    };
    let mut id = 0u32;
    // SAFETY: no security attributes (the default, not inheritable); the
    // caller vouches for `start(arg)`; `id` is writable for the call.
    let handle = unsafe {
        CreateThread(
            ptr::null(),
            reserve,
            Some(start),
            arg.cast_const(),
            STACK_SIZE_PARAM_IS_A_RESERVATION,
            &mut id,
        )
    };
    if handle.is_null() {
        return Err(OsError::last("CreateThread"));
    }
    let low = handle.addr() as u32;
    debug_assert_eq!(
        widen(low),
        handle,
        "a thread handle with significant high bits"
    );
    Ok(Thread { handle: low, id })
}

/// A handle from its low 32 bits, sign-extended (see [`Thread`]).
fn widen(low: u32) -> HANDLE {
    ptr::without_provenance_mut(low as i32 as isize as usize)
}

/// Closes `handle`.
fn close(handle: HANDLE) -> Result<(), OsError> {
    // SAFETY: the callers pass a handle this module owns and never use
    // again.
    if unsafe { CloseHandle(handle) } != 0 {
        Ok(())
    } else {
        Err(OsError::last("CloseHandle"))
    }
}

impl Thread {
    fn handle(&self) -> HANDLE {
        widen(self.handle)
    }

    /// Waits for the thread to finish and releases its handle.
    ///
    /// The handle is closed even if the wait fails (it cannot, short of a
    /// bug: the handle is ours and has `SYNCHRONIZE` access), so nothing
    /// leaks; the first failure is returned.
    pub fn join(self) -> Result<(), OsError> {
        // SAFETY: `join`, `detach` and `release_joined` consume `self`, so
        // the handle is live and waited for here only.
        let waited = unsafe { self.join_in_place() };
        // `join_in_place` read GetLastError before CloseHandle overwrites it.
        waited.and(self.release_joined())
    }

    /// Waits for the thread to finish, as [`join`](Self::join), through a
    /// shared reference: for a handle whose terminate waits with the OS
    /// wait (one sleep, where waiting on the worker word and then on the
    /// thread costs two). The handle stays open until
    /// [`release_joined`](Self::release_joined).
    ///
    /// # Safety
    ///
    /// Called at most once for the thread, and never after `join` or
    /// `detach`; once it returned `Ok`, the only call left for `self` is
    /// [`release_joined`](Self::release_joined) (the POSIX backend's
    /// contract, kept the same here).
    pub unsafe fn join_in_place(&self) -> Result<(), OsError> {
        // SAFETY: the handle is live: `join`, `detach` and `release_joined`
        // consume `self`.
        let r = unsafe { WaitForSingleObject(self.handle(), INFINITE) };
        if r == WAIT_OBJECT_0 {
            Ok(())
        } else {
            Err(OsError::last("WaitForSingleObject"))
        }
    }

    /// Closes the handle of a thread that
    /// [`join_in_place`](Self::join_in_place) waited for.
    pub fn release_joined(self) -> Result<(), OsError> {
        close(self.handle())
    }

    /// Lets the thread release its OS resources by itself when it finishes
    /// (closes our handle; the thread object goes when the thread ends).
    pub fn detach(self) -> Result<(), OsError> {
        close(self.handle())
    }

    /// Is this the calling thread?
    ///
    /// Compares thread ids. An id is only reused once the thread has ended
    /// *and* its last handle is closed; we hold a handle, so the id is this
    /// thread's for as long as `self` lives.
    #[inline]
    pub fn is_current(&self) -> bool {
        // SAFETY: GetCurrentThreadId has no preconditions.
        unsafe { GetCurrentThreadId() == self.id }
    }

    /// The OS thread id.
    pub fn id(&self) -> u32 {
        self.id
    }
}

type SetThreadDescription = unsafe extern "system" fn(HANDLE, PCWSTR) -> HRESULT;
type GetThreadDescription = unsafe extern "system" fn(HANDLE, *mut PWSTR) -> HRESULT;

/// `SetThreadDescription` and `GetThreadDescription`, if kernel32 has them
/// (Windows 10 1607 and later, Wine 4 and later). Looked up at run time, so
/// that the executable still loads on an older system.
fn descriptions() -> &'static (Option<SetThreadDescription>, Option<GetThreadDescription>) {
    static FNS: OnceLock<(Option<SetThreadDescription>, Option<GetThreadDescription>)> =
        OnceLock::new();
    FNS.get_or_init(|| {
        // SAFETY: a NUL-terminated module name; kernel32 is mapped into
        // every process and never unloaded, so the handle stays valid.
        let kernel32 = unsafe { GetModuleHandleA(c"kernel32.dll".as_ptr().cast()) };
        if kernel32.is_null() {
            return (None, None);
        }
        // SAFETY: a module handle and a NUL-terminated name. The
        // transmutes give each address the signature Microsoft documents
        // for that name (the same as `windows-sys`'s declarations).
        unsafe {
            let set = GetProcAddress(kernel32, c"SetThreadDescription".as_ptr().cast());
            let get = GetProcAddress(kernel32, c"GetThreadDescription".as_ptr().cast());
            (
                set.map(|f| std::mem::transmute::<_, SetThreadDescription>(f)),
                get.map(|f| std::mem::transmute::<_, GetThreadDescription>(f)),
            )
        }
    })
}

/// Names the calling thread (what debuggers and ETW show), if the system
/// supports thread descriptions; does nothing otherwise. The name is UTF-8
/// (invalid bytes become U+FFFD) and is not truncated.
///
/// Never fails: a name is a debugging aid, so a failure of
/// `SetThreadDescription` (an `HRESULT` of out-of-memory, or a name beyond
/// the 32 767 characters a `UNICODE_STRING` holds) leaves the thread
/// unnamed, as on a system without the call.
pub fn set_current_name(name: &CStr) {
    let Some(set) = descriptions().0 else { return };
    let wide: Vec<u16> = String::from_utf8_lossy(name.to_bytes())
        .encode_utf16()
        .chain([0])
        .collect();
    // SAFETY: `set` is SetThreadDescription; GetCurrentThread is a pseudo
    // handle with every access; `wide` is NUL-terminated and outlives the
    // call (the OS copies it).
    let hr = unsafe { set(GetCurrentThread(), wide.as_ptr()) };
    // Ignored on purpose (see above); a negative HRESULT is a failure.
    let _ = hr;
}

/// The calling thread's name as the OS reports it (`GetThreadDescription`);
/// `None` where the system lacks the call, or on failure.
pub fn current_name() -> Option<String> {
    let get = descriptions().1?;
    let mut wide: PWSTR = ptr::null_mut();
    // SAFETY: `get` is GetThreadDescription; the pseudo handle has every
    // access; `wide` is writable.
    let hr = unsafe { get(GetCurrentThread(), &mut wide) };
    if hr < 0 || wide.is_null() {
        return None;
    }
    // SAFETY: on success `wide` is a NUL-terminated UTF-16 string that the
    // OS allocated for us with LocalAlloc; we read it, then free it once.
    unsafe {
        let len = (0..).take_while(|&i| *wide.add(i) != 0).count();
        let name = String::from_utf16_lossy(std::slice::from_raw_parts(wide, len));
        let r = LocalFree(wide.cast());
        debug_assert!(r.is_null(), "LocalFree failed");
        Some(name)
    }
}
