//! Loading a resource library: `dlopen`, `Startup`, and the checks of the
//! function table it returns ([`Library::load`]). One [`Library`] per
//! library and resource type for the host's whole life: `Startup` runs
//! once for each, as Windows' resource monitor calls it once per type, and
//! the library is never unloaded (its threads or its table may outlive any
//! one resource).

use std::collections::BTreeMap;
use std::ffi::{CStr, CString, c_void};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::ffi::{
    self, AliveFn, FunctionTable, LogEventFn, OfflineFn, OnlineFn, OpenFn, SetResourceStatusFn,
    StartupFn, VoidFn,
};
use super::params::wide;

/// The version range the host passes to `Startup`: version 1 only.
pub(crate) const VERSIONS: (u32, u32) = (ffi::CLRES_VERSION_V1_00, ffi::CLRES_VERSION_V1_00);

/// Why a resource library could not be used. Nothing of it is called after
/// one of these (except `Startup`, which ran and returned).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadError {
    /// `dlopen` failed: `dlerror`'s text.
    Open {
        /// The library.
        library: PathBuf,
        /// What `dlerror` said.
        reason: String,
    },
    /// The library exports no `Startup`.
    NoStartup {
        /// The library.
        library: PathBuf,
    },
    /// `Startup` returned an error code.
    Startup {
        /// The library.
        library: PathBuf,
        /// The resource type it was asked for.
        resource_type: String,
        /// The code (1306, `ERROR_REVISION_MISMATCH`: the version ranges do
        /// not overlap; 126, `ERROR_MOD_NOT_FOUND`: not its type).
        code: u32,
    },
    /// `Startup` succeeded but gave no table.
    NoTable {
        /// The library.
        library: PathBuf,
    },
    /// The table's `Version` is outside the range the host offered.
    TableVersion {
        /// The library.
        library: PathBuf,
        /// The table's version.
        version: u32,
    },
    /// The table's `TableSize` is not `CLRES_V1_FUNCTION_SIZE`.
    TableSize {
        /// The library.
        library: PathBuf,
        /// The table's size.
        size: u32,
    },
    /// A required entry point is NULL.
    NullEntryPoint {
        /// The library.
        library: PathBuf,
        /// Its name in the table (`Open`, `IsAlive`, ...).
        entry_point: &'static str,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (min, max) = VERSIONS;
        match self {
            LoadError::Open { library, reason } => {
                write!(f, "cannot load {}: {reason}", library.display())
            }
            LoadError::NoStartup { library } => write!(
                f,
                "{} is not a resource library: it exports no `Startup`",
                library.display()
            ),
            LoadError::Startup {
                library,
                resource_type,
                code,
            } => {
                write!(
                    f,
                    "{}: Startup(\"{resource_type}\", {min:#x}, {max:#x}) returned {code}",
                    library.display()
                )?;
                match *code {
                    1306 => write!(
                        f,
                        " (ERROR_REVISION_MISMATCH): the library supports no version from {min:#x} to {max:#x}, the only ones this host offers"
                    ),
                    126 => f.write_str(
                        " (ERROR_MOD_NOT_FOUND): the library does not implement this resource type",
                    ),
                    _ => Ok(()),
                }
            }
            LoadError::NoTable { library } => write!(
                f,
                "{}: Startup returned ERROR_SUCCESS but no function table",
                library.display()
            ),
            LoadError::TableVersion { library, version } => write!(
                f,
                "{}: the function table's Version is {version:#x}, outside the {min:#x} to {max:#x} this host offered",
                library.display()
            ),
            LoadError::TableSize { library, size } => write!(
                f,
                "{}: the function table's TableSize is {size}, not CLRES_V1_FUNCTION_SIZE ({})",
                library.display(),
                ffi::CLRES_V1_FUNCTION_SIZE
            ),
            LoadError::NullEntryPoint {
                library,
                entry_point,
            } => write!(
                f,
                "{}: the function table's {entry_point} is NULL",
                library.display()
            ),
        }
    }
}

impl std::error::Error for LoadError {}

/// The entry points of one resource type, checked: none is NULL.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EntryPoints {
    pub(crate) open: OpenFn,
    pub(crate) close: VoidFn,
    pub(crate) online: OnlineFn,
    pub(crate) offline: OfflineFn,
    pub(crate) terminate: VoidFn,
    pub(crate) looks_alive: AliveFn,
    pub(crate) is_alive: AliveFn,
}

/// A loaded library, started for one resource type.
#[derive(Debug)]
pub(crate) struct Library {
    /// The path it was loaded from, as configured.
    pub(crate) path: PathBuf,
    /// The resource type its `Startup` was given.
    pub(crate) resource_type: String,
    /// Its table's entry points.
    pub(crate) entry: EntryPoints,
}

/// Libraries started, by file (canonical path) and resource type.
type Started = BTreeMap<(PathBuf, String), Arc<Library>>;

/// Every library started so far.
static STARTED: Mutex<Started> = Mutex::new(BTreeMap::new());

/// The host's two callbacks that `Startup` is given (`SetResourceStatus`,
/// `LogEvent`): passed in, so that this module does not depend on the one
/// that implements them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HostCallbacks {
    /// `SetResourceStatus`.
    pub(crate) set_resource_status: SetResourceStatusFn,
    /// `LogEvent`.
    pub(crate) log_event: LogEventFn,
}

impl Library {
    /// The library at `path`, started for `resource_type`: loaded and
    /// started the first time, the same one afterwards. A failure is not
    /// remembered: a later call tries again (the file may have changed).
    ///
    /// # Errors
    ///
    /// [`LoadError`], naming the library and what is wrong.
    pub(crate) fn load(
        path: &Path,
        resource_type: &str,
        host: HostCallbacks,
    ) -> Result<Arc<Library>, LoadError> {
        let mut started = STARTED.lock().unwrap_or_else(PoisonError::into_inner);
        // Two spellings of one file are one library (dlopen would return
        // the same handle): Startup still runs once.
        let file = if path.as_os_str().as_encoded_bytes().contains(&b'/') {
            std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
        } else {
            path.to_owned()
        };
        let key = (file, resource_type.to_owned());
        if let Some(lib) = started.get(&key) {
            return Ok(Arc::clone(lib));
        }
        // Startup runs under the lock: once per library and type, even when
        // two resources of it are added at once.
        let lib = Arc::new(start(path, resource_type, host)?);
        started.insert(key, Arc::clone(&lib));
        Ok(lib)
    }
}

/// `dlerror()`'s text.
fn dlerror() -> String {
    // SAFETY: dlerror returns null or a NUL-terminated string that stays
    // valid until the next dl* call on this thread; it is copied at once.
    // (Calls are serialised by STARTED, so no other thread's dlopen of ours
    // overwrites it.)
    let p = unsafe { libc::dlerror() };
    if p.is_null() {
        return "unknown dlopen error".to_owned();
    }
    // SAFETY: non-null: NUL-terminated, valid until the next dl* call.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

fn start(path: &Path, resource_type: &str, host: HostCallbacks) -> Result<Library, LoadError> {
    let library = path.to_owned();
    let c_path =
        CString::new(path.as_os_str().as_encoded_bytes()).map_err(|_| LoadError::Open {
            library: library.clone(),
            reason: "the path holds a NUL".to_owned(),
        })?;
    // SAFETY: c_path is a NUL-terminated path. dlopen runs the library's
    // constructors: loading a library is trusting it, as Windows' resource
    // monitor trusts a resource DLL.
    let handle = unsafe { libc::dlopen(c_path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if handle.is_null() {
        return Err(LoadError::Open {
            library,
            reason: dlerror(),
        });
    }
    // SAFETY: handle is a live dlopen handle; the name is NUL-terminated.
    let sym = unsafe { libc::dlsym(handle, c"Startup".as_ptr()) };
    if sym.is_null() {
        // Nothing of the library ran but its constructors: unload it. (Once
        // Startup has run, it stays loaded, whatever Startup returned: it
        // may have kept the callbacks or started threads.)
        // SAFETY: handle is live and nothing of the library is in use.
        unsafe { libc::dlclose(handle) };
        return Err(LoadError::NoStartup { library });
    }
    // SAFETY: a library's exported `Startup` has the header's
    // PSTARTUP_ROUTINE signature: that is the contract of a resource
    // library, which the host cannot check further.
    let startup: StartupFn = unsafe { std::mem::transmute::<*mut c_void, StartupFn>(sym) };
    let type_name = wide(resource_type);
    let mut table: *const FunctionTable = std::ptr::null();
    let (min, max) = VERSIONS;
    // SAFETY: the arguments are what the header documents: a NUL-terminated
    // UTF-16 type name that lives across the call, the version range, the
    // host's two callbacks (valid for the process's life), and a pointer to
    // a writable table pointer.
    let code = unsafe {
        startup(
            type_name.as_ptr(),
            min,
            max,
            host.set_resource_status,
            host.log_event,
            &mut table,
        )
    };
    if code != 0 {
        return Err(LoadError::Startup {
            library,
            resource_type: resource_type.to_owned(),
            code,
        });
    }
    if table.is_null() {
        return Err(LoadError::NoTable { library });
    }
    // Only the two leading DWORDs are read before the size is known to be
    // right: a table of another version may be shorter.
    // SAFETY: a non-null table from Startup points to at least its
    // TableSize and Version members (every version of the table starts with
    // them), and stays valid while the library is loaded (for ever).
    let [size, version] = unsafe { table.cast::<[u32; 2]>().read_unaligned() };
    if version < min || version > max {
        return Err(LoadError::TableVersion { library, version });
    }
    if size as usize != ffi::CLRES_V1_FUNCTION_SIZE {
        return Err(LoadError::TableSize { library, size });
    }
    // SAFETY: the table says it is a version-1 table of the version-1 size,
    // which is this struct's layout (asserted in ffi.rs and in the header).
    let v1 = unsafe { (*table).v1 };
    macro_rules! need {
        ($f:ident, $name:literal) => {
            v1.$f.ok_or_else(|| LoadError::NullEntryPoint {
                library: library.clone(),
                entry_point: $name,
            })?
        };
    }
    let entry = EntryPoints {
        open: need!(open, "Open"),
        close: need!(close, "Close"),
        online: need!(online, "Online"),
        offline: need!(offline, "Offline"),
        terminate: need!(terminate, "Terminate"),
        looks_alive: need!(looks_alive, "LooksAlive"),
        is_alive: need!(is_alive, "IsAlive"),
    };
    // Never dlclose: the table's functions are called for the rest of the
    // host's life.
    Ok(Library {
        path: library,
        resource_type: resource_type.to_owned(),
        entry,
    })
}
