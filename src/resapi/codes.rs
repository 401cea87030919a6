//! The Windows codes the `resapi` functions return, and `INFINITE`.
//!
//! The values are Windows' own (`winerror.h`, `winbase.h`), so code ported
//! from a resource DLL keeps comparing against the same numbers. A failed
//! thread start returns the OS code instead: on Unix that is the `errno` of
//! the failed `pthread_*` call (for example `EAGAIN`, 11), not a Windows
//! code.

/// The operation succeeded (0).
pub const ERROR_SUCCESS: u32 = 0;

/// A parameter was invalid (87): a null pointer given to the C ABI, or a
/// thread name with a NUL byte given to
/// [`clus_worker_create_with`](super::clus_worker_create_with).
pub const ERROR_INVALID_PARAMETER: u32 = 87;

/// The worker did not exit before the timeout (258). Nothing was lost: the
/// worker stays in its slot and can be waited for or terminated again.
pub const WAIT_TIMEOUT: u32 = 258;

/// The wait would deadlock (1131): the worker's own thread asked to wait
/// for its own exit. The terminate request, if the call makes one, was made.
pub const ERROR_POSSIBLE_DEADLOCK: u32 = 1131;

/// The slot is in use (5023): a create on a slot whose worker is still
/// running, or while a terminate of it is in progress. The slot is
/// unchanged.
pub const ERROR_INVALID_STATE: u32 = 5023;

/// A timeout that never expires (`0xFFFF_FFFF` milliseconds).
pub const INFINITE: u32 = 0xFFFF_FFFF;
