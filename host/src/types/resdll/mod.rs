//! The `resdll` type: a resource of a resource library, a shared object
//! written in C against `include/clusworker_resapi.h` (Windows' resource
//! DLL, ported): the host loads the library, calls its `Startup`, checks
//! the function table, `Open`s the resource, and drives it through the
//! monitor.
//!
//! | key | value | default |
//! |---|---|---|
//! | `library` | the library's path (`dlopen`'s rules: a path with a `/` is used as is, relative to the host's working directory; a bare name is searched for) | — |
//! | `resource_type` | the resource type's name, passed to `Startup` (a library may implement several) | — |
//! | `parameters` | the resource's parameters, given to `Open` as its `PCLUSRES_PARAMETERS` (the registry key's values on Windows): each a string (`REG_SZ`), an integer from 0 to 4294967295 or a boolean (`REG_DWORD`) | `{}` |
//!
//! ```toml
//! [[resource]]
//! name = "clip"
//! type = "resdll"
//! pending_timeout = "5s"
//! [resource.params]
//! library = "/usr/local/lib/clusworker/libclipbook.so"
//! resource_type = "ClipBook Server"
//! parameters = { Steps = 3, StepMs = 50 }
//! ```
//!
//! # What the host does
//!
//! - **Loading** (when the resource is built: at the config's check, at
//!   start, or on the socket's `add`): `dlopen` the library, look up
//!   `Startup`, call it with the type's name, the versions
//!   `CLRES_VERSION_V1_00` to `CLRES_VERSION_V1_00`, and the host's
//!   `SetResourceStatus` and `LogEvent`. A library without `Startup`, a
//!   `Startup` that fails (`ERROR_REVISION_MISMATCH` when the version
//!   ranges do not overlap), a table whose `Version` is outside the range
//!   or whose `TableSize` is not `CLRES_V1_FUNCTION_SIZE`, or a NULL
//!   required entry point is refused, naming the library and the fault
//!   ([`LoadError`]); the config is then refused (exit 2), or the `add`
//!   answered `bad_params`. `Startup` runs once per library and type; the
//!   library is never unloaded.
//! - **Open** each resource with its name, its parameters block and its
//!   `RESOURCE_HANDLE`; a NULL result refuses the resource (with `errno` if
//!   the library set it). `--check` opens each resource too, and closes it.
//! - **Online / Offline**: the entry point's code is the
//!   [`Outcome`](clusworker_monitor::Outcome):
//!   `ERROR_SUCCESS` done, `ERROR_IO_PENDING` (997) a pending operation,
//!   anything else failed with that code. A pending operation's heartbeat
//!   is `SetResourceStatus`: a report with the pending state and a greater
//!   checkpoint restarts PendingTimeout; the target state or
//!   `ClusterResourceFailed` ends it. When PendingTimeout passes, the
//!   monitor fails the resource and calls `Terminate`.
//! - **Terminate** may be called while Online or Offline still runs, as on
//!   Windows. **LooksAlive** / **IsAlive** are the health polls.
//! - **Close** when the resource is removed, and at exit for every resource
//!   still open (except one whose entry point is still running, after a
//!   hang).
//! - **Bad reports** are refused with a logged reason and change nothing:
//!   a handle that is no open resource's, a NULL status, an unknown state
//!   value, a report when nothing is pending (or after the operation
//!   ended), a checkpoint that does not increase, a state the operation
//!   cannot reach. `SetResourceStatus(ClusterResourceFailed)` while online
//!   fails the resource (`ERROR_RESOURCE_FAILED`, 5038).
//!
//! # Crash isolation
//!
//! A library runs inside the host process: a crash in it takes down that
//! host and every resource in it, as a crash in a resource DLL takes down
//! its Windows resource monitor process. The default is one host for all
//! (one config). To isolate a library, run a separate `clusworker-host` for
//! it, with its own config and control socket (Windows' separate resource
//! monitors): under systemd, a second unit with another config and
//! `--socket`; under Pacemaker, a resource of the OCF agent per host.

mod callbacks;
mod exiting;
mod ffi;
mod library;
mod params;
mod resource;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

pub use self::library::LoadError;
pub use self::params::ParamValue;
pub use self::resource::ResDllResource;

use self::library::Library;
use self::params::Block;

/// The parameters of a `resdll` resource; see the [module](self).
///
/// # Examples
///
/// ```
/// use clusworker_host::types::resdll::{ParamValue, ResDllParams};
///
/// let p: ResDllParams = toml::from_str(r#"
///     library = "/opt/lib/libclipbook.so"
///     resource_type = "ClipBook Server"
///     parameters = { Steps = 5, Share = "clip" }
/// "#)?;
/// assert_eq!(p.parameters["Steps"], ParamValue::Dword(5));
/// assert_eq!(p.parameters["Share"], ParamValue::Sz("clip".into()));
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ResDllParams {
    /// The library's path.
    #[serde(deserialize_with = "library")]
    pub library: PathBuf,
    /// The resource type's name, for `Startup`.
    #[serde(deserialize_with = "resource_type")]
    pub resource_type: String,
    /// The parameters given to `Open`.
    #[serde(default, deserialize_with = "parameters")]
    pub parameters: BTreeMap<String, ParamValue>,
}

keyed! {
    library: PathBuf = "library" by PathBuf::deserialize;
    resource_type: String = "resource_type" by non_empty;
    parameters: BTreeMap<String, ParamValue> = "parameters" by BTreeMap::deserialize;
}

fn non_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    if s.is_empty() || s.contains('\0') {
        return Err(serde::de::Error::custom(
            "the resource type's name is empty or holds a NUL",
        ));
    }
    Ok(s)
}

impl ResDllParams {
    /// Loads the library (once), starts it for the resource type (once),
    /// and opens the resource `name`.
    ///
    /// # Errors
    ///
    /// What is wrong with the library ([`LoadError`]'s text) or `Open`'s
    /// failure.
    pub fn open(&self, name: &str) -> Result<ResDllResource, String> {
        let host = library::HostCallbacks {
            set_resource_status: callbacks::set_resource_status,
            log_event: callbacks::log_event,
        };
        let lib =
            Library::load(&self.library, &self.resource_type, host).map_err(|e| e.to_string())?;
        ResDllResource::open(lib, name, Block::new(&self.parameters))
    }
}
