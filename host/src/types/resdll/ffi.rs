//! The C interface of `include/clusworker_resapi.h`, as Rust types: the
//! entry points' signatures, `RESOURCE_STATUS`, `CLRES_FUNCTION_TABLE` and
//! the parameters block. The layouts are asserted at compile time below,
//! as the header asserts them in C.

use std::ffi::c_void;
use std::mem::{offset_of, size_of};

/// `WCHAR`: one UTF-16 code unit.
pub(crate) type Wchar = u16;
/// `RESID`: the library's pointer for one resource, returned by `Open`.
pub(crate) type Resid = *mut c_void;
/// `RESOURCE_HANDLE`: the host's opaque token for one resource.
pub(crate) type ResourceHandle = *mut c_void;

/// `CLRES_VERSION_V1_00`.
pub(crate) const CLRES_VERSION_V1_00: u32 = 0x100;
/// `ResourceExitStateContinue`.
pub(crate) const EXIT_CONTINUE: u32 = 0;
/// `ResourceExitStateTerminate`.
pub(crate) const EXIT_TERMINATE: u32 = 1;
/// `REG_SZ`.
pub(crate) const REG_SZ: u32 = 1;
/// `REG_DWORD`.
pub(crate) const REG_DWORD: u32 = 4;

/// `RESOURCE_STATUS`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct ResourceStatus {
    /// `ResourceState`: a `CLUSTER_RESOURCE_STATE`.
    pub(crate) resource_state: i32,
    /// `CheckPoint`.
    pub(crate) check_point: u32,
    /// `WaitHint` (ignored).
    pub(crate) wait_hint: u32,
    /// `EventHandle` (ignored).
    pub(crate) event_handle: *mut c_void,
}

/// `PSET_RESOURCE_STATUS_ROUTINE`.
pub(crate) type SetResourceStatusFn =
    unsafe extern "C" fn(ResourceHandle, *mut ResourceStatus) -> u32;
/// `PLOG_EVENT_ROUTINE` (not variadic: the header's LINUX (3)).
pub(crate) type LogEventFn = unsafe extern "C" fn(ResourceHandle, i32, *const Wchar);

/// `POPEN_ROUTINE`.
pub(crate) type OpenFn =
    unsafe extern "C" fn(*const Wchar, *const Parameters, ResourceHandle) -> Resid;
/// `PCLOSE_ROUTINE`, `PTERMINATE_ROUTINE`.
pub(crate) type VoidFn = unsafe extern "C" fn(Resid);
/// `PONLINE_ROUTINE`.
pub(crate) type OnlineFn = unsafe extern "C" fn(Resid, *mut *mut c_void) -> u32;
/// `POFFLINE_ROUTINE`.
pub(crate) type OfflineFn = unsafe extern "C" fn(Resid) -> u32;
/// `PLOOKS_ALIVE_ROUTINE`, `PIS_ALIVE_ROUTINE`.
pub(crate) type AliveFn = unsafe extern "C" fn(Resid) -> i32;
/// The four entry points the host never calls (`Arbitrate`, `Release`,
/// `ResourceControl`, `ResourceTypeControl`): only their size matters.
pub(crate) type Unused = Option<unsafe extern "C" fn()>;

/// `PSTARTUP_ROUTINE`.
pub(crate) type StartupFn = unsafe extern "C" fn(
    *const Wchar,
    u32,
    u32,
    SetResourceStatusFn,
    LogEventFn,
    *mut *const FunctionTable,
) -> u32;

/// `CLRES_V1_FUNCTIONS`: every entry point as the library filled it in,
/// each possibly NULL.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct V1Functions {
    pub(crate) open: Option<OpenFn>,
    pub(crate) close: Option<VoidFn>,
    pub(crate) online: Option<OnlineFn>,
    pub(crate) offline: Option<OfflineFn>,
    pub(crate) terminate: Option<VoidFn>,
    pub(crate) looks_alive: Option<AliveFn>,
    pub(crate) is_alive: Option<AliveFn>,
    pub(crate) arbitrate: Unused,
    pub(crate) release: Unused,
    pub(crate) resource_control: Unused,
    pub(crate) resource_type_control: Unused,
}

/// `CLRES_FUNCTION_TABLE` with its version-1 member.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct FunctionTable {
    pub(crate) table_size: u32,
    pub(crate) version: u32,
    pub(crate) v1: V1Functions,
}

/// `CLRES_V1_FUNCTION_SIZE`.
pub(crate) const CLRES_V1_FUNCTION_SIZE: usize = 2 * size_of::<u32>() + size_of::<V1Functions>();

/// `CLUSRES_PARAMETER`.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct Parameter {
    pub(crate) name: *const Wchar,
    pub(crate) kind: u32,
    pub(crate) dword: u32,
    pub(crate) string: *const Wchar,
}

/// `CLUSRES_PARAMETERS`.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct Parameters {
    pub(crate) size: u32,
    pub(crate) count: u32,
    pub(crate) parameters: *const Parameter,
}

const _: () = {
    assert!(offset_of!(ResourceStatus, check_point) == 4);
    assert!(offset_of!(ResourceStatus, wait_hint) == 8);
    assert!(
        offset_of!(ResourceStatus, event_handle) == if size_of::<usize>() == 8 { 16 } else { 12 }
    );
    assert!(offset_of!(FunctionTable, v1) == 8);
    assert!(size_of::<FunctionTable>() == CLRES_V1_FUNCTION_SIZE);
    assert!(size_of::<V1Functions>() == 11 * size_of::<usize>());
    assert!(size_of::<Parameters>() == 8 + size_of::<usize>());
    assert!(size_of::<Parameter>() == 8 + 2 * size_of::<usize>());
};
