//! `clusworker-windows`: the Windows backend of clusworker.
//!
//! - [`thread`]: threads from `CreateThread` (the stack size a reservation),
//!   joined with `WaitForSingleObject` and `CloseHandle`, named with
//!   `SetThreadDescription` where the system has it; nothing allocated by
//!   the backend.
//! - [`WaitOnAddress`]: the [`Platform`](clusworker_core::Platform) that
//!   parks on the worker word itself with `WaitOnAddress` /
//!   `WakeByAddressAll` (Windows 8 and later), the Windows futex.
//! - [`Park`]: the one `clusworker` parks on, [`WaitOnAddress`].
//! - [`clock::now`][]: `QueryPerformanceCounter`.
//!
//! The names and shapes are those of `clusworker-posix`, so that
//! `clusworker` switches backends by `cfg` alone. Every OS return code is
//! checked: failures that a caller can cause come back as [`OsError`], with
//! the `GetLastError()` code; the ones that would mean a bug in this crate
//! are `debug_assert!`ed. Off Windows this crate is empty.
//!
//! # The loader lock: never wait for a worker from `DllMain`
//!
//! Windows runs `DllMain` with the process's *loader lock* held, and every
//! thread takes that same lock when it starts (`DLL_THREAD_ATTACH`) and
//! when it exits (`DLL_THREAD_DETACH`), before its handle is signalled. So
//! a thread that waits in `DllMain` for another thread to start or to exit
//! deadlocks. For clusworker this means: from `DllMain` (and from anything
//! it calls, such as the constructors and destructors of a DLL's statics),
//! **never block on a worker**: no `Worker::terminate`, `join`, `wait`,
//! `terminate_timeout` or `wait_timeout` with a non-zero timeout,
//! `terminate_all` / `wait_all`, no drop of a `Worker` (it terminates and
//! joins), and no drop of a `Monitor` (it joins its own worker). A worker
//! spawned from `DllMain` does not even start running its routine until
//! `DllMain` returns.
//!
//! At `DLL_PROCESS_DETACH` during process exit, the other threads have
//! already been killed without running the rest of their routines: a wait
//! would never end. Terminate and join workers from an explicit shutdown
//! call of the DLL's own (a resource DLL's `Close` or `Terminate` entry
//! point) instead; if a `Worker` must go away inside `DllMain`, `detach` it
//! (never blocks) or `std::mem::forget` it.
//!
//! # Example
//!
//! ```
//! # #[cfg(windows)] {
//! use std::time::Duration;
//! use clusworker_core::{Request, Sleep, WorkerWord};
//! use clusworker_windows::Park;
//!
//! let word: WorkerWord<Park> = WorkerWord::new();
//! std::thread::scope(|s| {
//!     s.spawn(|| assert_eq!(word.sleep(Duration::from_secs(60)), Sleep::Terminated));
//!     assert_eq!(word.request_terminate(), Request::First);
//! });
//! # }
//! ```
// Off Windows the crate is empty, so the links above have nothing to point to.
#![cfg_attr(not(windows), allow(rustdoc::broken_intra_doc_links))]
#![cfg(windows)]

pub mod clock;
mod error;
pub mod thread;
mod wait_on_address;

pub use error::OsError;
pub use wait_on_address::WaitOnAddress;

/// The platform `clusworker` parks on: [`WaitOnAddress`].
pub type Park = WaitOnAddress;
