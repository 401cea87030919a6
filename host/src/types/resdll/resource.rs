//! One opened resource of a library ([`Core`]), the registry that turns a
//! `RESOURCE_HANDLE` back into it, and [`ResDllResource`], which the
//! monitor drives.
//!
//! A `RESOURCE_HANDLE` is a number, never a pointer: the registry maps it
//! to a weak reference, so a handle that was never given out, or whose
//! resource was closed, is found to be so, never dereferenced. Numbers are
//! not reused.

use std::collections::BTreeMap;
use std::ffi::c_void;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once, PoisonError, RwLock, Weak};

use clusworker_monitor::{Outcome, Resource, StatusHandle};

use super::ffi::{Resid, ResourceHandle};
use super::library::Library;
use super::params::{Block, wide};

/// The open resources, by handle number.
struct Registry {
    next: usize,
    open: BTreeMap<usize, Weak<Core>>,
}

static REGISTRY: RwLock<Registry> = RwLock::new(Registry {
    next: 1,
    open: BTreeMap::new(),
});

/// The resource of `handle`, if it is one of this host's open resources.
pub(crate) fn lookup(handle: ResourceHandle) -> Option<Arc<Core>> {
    let registry = REGISTRY.read().unwrap_or_else(PoisonError::into_inner);
    registry
        .open
        .get(&(handle as usize))
        .and_then(Weak::upgrade)
}

/// One resource of a library: what the callbacks and the monitor share.
pub(crate) struct Core {
    /// The resource's name (as given to `Open`).
    pub(crate) name: String,
    lib: Arc<Library>,
    handle: usize,
    /// `Open`'s result; null until it returned.
    resid: AtomicPtr<c_void>,
    /// The status handle of the latest Online or Offline; the monitor
    /// refuses its reports once that operation is over.
    status: Mutex<Option<StatusHandle>>,
    /// Entry-point calls running now (Close waits for none at exit).
    calls: AtomicUsize,
    closed: AtomicBool,
    /// The parameters given to Open: valid until Close returns.
    _params: Block,
}

impl Core {
    /// The latest operation's status handle.
    pub(crate) fn status(&self) -> Option<StatusHandle> {
        self.status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn resid(&self) -> Resid {
        // Acquire: pairs with the Release store after Open returned.
        self.resid.load(Ordering::Acquire)
    }

    /// Runs `f` as an entry-point call, counted in `calls`.
    fn call<T>(&self, f: impl FnOnce(Resid) -> T) -> T {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let r = f(self.resid());
        self.calls.fetch_sub(1, Ordering::SeqCst);
        r
    }

    /// Calls Close, once, and forgets the handle. `at_exit`: skipped (and
    /// said so, on stderr: no tracing at exit) if another entry point is still running.
    fn close(&self, at_exit: bool) {
        if at_exit && self.calls.load(Ordering::SeqCst) > 0 {
            super::exiting::write_stderr(
                "WARN",
                &self.name,
                "not closed at exit: one of its entry points is still running",
            );
            return;
        }
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        let resid = self.resid();
        if !resid.is_null() {
            // SAFETY: resid is Open's result for this resource, closed only
            // here, once (the swap above); the monitor no longer calls the
            // resource (it dropped it, or the host is exiting with no call
            // running).
            unsafe { (self.lib.entry.close)(resid) };
        }
        // Forgotten after Close returned: Close may still log with the
        // handle; any use after this is refused as unknown.
        REGISTRY
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .open
            .remove(&self.handle);
    }
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Core")
            .field("name", &self.name)
            .field("handle", &self.handle)
            .field("library", &self.lib.path)
            .field("resource_type", &self.lib.resource_type)
            .finish_non_exhaustive()
    }
}

/// Closes every resource still open when the process exits (the daemon
/// exits without dropping its monitor): registered with `atexit` at the
/// first Open.
extern "C" fn close_all_at_exit() {
    super::exiting::EXITING.store(true, Ordering::SeqCst);
    let open: Vec<Arc<Core>> = {
        let registry = REGISTRY.read().unwrap_or_else(PoisonError::into_inner);
        registry.open.values().filter_map(Weak::upgrade).collect()
    };
    for core in open {
        core.close(true);
    }
}

/// A resource of a resource library: the monitor's [`Resource`], calling
/// the library's entry points. Dropping it calls `Close`.
pub struct ResDllResource {
    core: Arc<Core>,
}

impl ResDllResource {
    /// Opens the resource `name` of `lib` with `params`.
    ///
    /// # Errors
    ///
    /// `Open` returned NULL: the message says so, with `errno` if the
    /// library set it.
    pub(crate) fn open(lib: Arc<Library>, name: &str, params: Block) -> Result<Self, String> {
        static AT_EXIT: Once = Once::new();
        AT_EXIT.call_once(|| {
            // SAFETY: registers a function with no preconditions; atexit
            // runs it on the thread that calls exit.
            let r = unsafe { libc::atexit(close_all_at_exit) };
            if r != 0 {
                tracing::warn!("cannot register the resource libraries' Close at exit");
            }
        });
        let core = {
            let mut registry = REGISTRY.write().unwrap_or_else(PoisonError::into_inner);
            let handle = registry.next;
            registry.next += 1;
            let core = Arc::new(Core {
                name: name.to_owned(),
                lib: Arc::clone(&lib),
                handle,
                resid: AtomicPtr::new(std::ptr::null_mut()),
                status: Mutex::new(None),
                calls: AtomicUsize::new(0),
                closed: AtomicBool::new(false),
                _params: params,
            });
            registry.open.insert(handle, Arc::downgrade(&core));
            core
        };
        let wide_name = wide(name);
        // SAFETY: errno is this thread's; clearing it lets the host tell an
        // Open that set it from one that did not.
        unsafe { *libc::__errno_location() = 0 };
        // SAFETY: the name is NUL-terminated UTF-16 living across the call;
        // the parameters block lives as long as `core` (until Close
        // returns); the handle is a number the callbacks look up.
        let resid = unsafe {
            (lib.entry.open)(
                wide_name.as_ptr(),
                core._params.as_ptr(),
                core.handle as ResourceHandle,
            )
        };
        if resid.is_null() {
            let errno = std::io::Error::last_os_error();
            core.closed.store(true, Ordering::SeqCst);
            REGISTRY
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .open
                .remove(&core.handle);
            let why = match errno.raw_os_error() {
                Some(0) | None => String::new(),
                Some(_) => format!(" (errno: {errno})"),
            };
            return Err(format!(
                "{}: Open(\"{name}\") returned NULL{why}",
                lib.path.display()
            ));
        }
        // Release: a thread that loads the resid sees what Open wrote.
        core.resid.store(resid, Ordering::Release);
        Ok(ResDllResource { core })
    }

    fn pending(&self, status: StatusHandle, call: impl FnOnce(Resid) -> u32) -> Outcome {
        // Stored before the call: the library may report from inside it.
        *self
            .core
            .status
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(status);
        Outcome::from_code(self.core.call(call))
    }
}

impl Resource for ResDllResource {
    fn online(&self, status: StatusHandle) -> Outcome {
        let online = self.core.lib.entry.online;
        self.pending(status, |resid| {
            let mut event: *mut c_void = std::ptr::null_mut();
            // SAFETY: resid is Open's result and Close has not run (the
            // monitor holds this resource); the event out-pointer is a
            // local the host ignores.
            unsafe { online(resid, &mut event) }
        })
    }

    fn offline(&self, status: StatusHandle) -> Outcome {
        let offline = self.core.lib.entry.offline;
        // SAFETY: as for online.
        self.pending(status, |resid| unsafe { offline(resid) })
    }

    fn terminate(&self) {
        let terminate = self.core.lib.entry.terminate;
        // SAFETY: as for online; the library must allow Terminate to run
        // while another entry point runs, as on Windows.
        self.core.call(|resid| unsafe { terminate(resid) })
    }

    fn looks_alive(&self) -> bool {
        let f = self.core.lib.entry.looks_alive;
        // SAFETY: as for online.
        self.core.call(|resid| unsafe { f(resid) }) != 0
    }

    fn is_alive(&self) -> bool {
        let f = self.core.lib.entry.is_alive;
        // SAFETY: as for online.
        self.core.call(|resid| unsafe { f(resid) }) != 0
    }
}

impl Drop for ResDllResource {
    fn drop(&mut self) {
        self.core.close(false);
    }
}

impl fmt::Debug for ResDllResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResDllResource")
            .field("core", &self.core)
            .finish()
    }
}
