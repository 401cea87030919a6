//! `clusworker-posix`: the POSIX backend of clusworker.
//!
//! - [`thread`]: threads from `pthread_create` / `pthread_join`, with a name
//!   and a stack size, and nothing allocated by the backend.
//! - Two [`Platform`](clusworker_core::Platform)s that park on the worker
//!   word itself:
//!   - [`Futex`] (Linux): `FUTEX_WAIT_PRIVATE` / `FUTEX_WAKE_PRIVATE` on the
//!     word, the cheapest possible;
//!   - [`Condvar`] (every Unix): a fixed table of pthread mutex/condvar pairs
//!     hashed by the word's address, the portable fallback.
//! - [`Park`]: the one `clusworker` parks on: `Futex` on Linux unless the
//!   `condvar` feature is on, `Condvar` elsewhere.
//! - [`clock::now`][]: `CLOCK_MONOTONIC`.
//!
//! Every OS return code is checked: failures that a caller can cause come
//! back as [`OsError`]; the ones that would mean a bug in this crate (an
//! `EINVAL` from a mutex we initialised) are `debug_assert!`ed.
//!
//! # Example
//!
//! ```
//! # #[cfg(unix)] {
//! use std::time::Duration;
//! use clusworker_core::{Request, Sleep, WorkerWord};
//! use clusworker_posix::Park;
//!
//! let word: WorkerWord<Park> = WorkerWord::new();
//! std::thread::scope(|s| {
//!     s.spawn(|| assert_eq!(word.sleep(Duration::from_secs(60)), Sleep::Terminated));
//!     assert_eq!(word.request_terminate(), Request::First);
//! });
//! # }
//! ```
#![cfg(unix)]

pub mod clock;
mod condvar;
mod error;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod futex;
pub mod thread;

pub use condvar::Condvar;
pub use error::OsError;
#[cfg(any(target_os = "linux", target_os = "android"))]
pub use futex::Futex;

/// The platform `clusworker` parks on: [`Futex`] on Linux, [`Condvar`] on
/// other Unix systems or when the `condvar` feature is enabled.
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    not(feature = "condvar")
))]
pub type Park = Futex;
/// The platform `clusworker` parks on: [`Futex`] on Linux, [`Condvar`] on
/// other Unix systems or when the `condvar` feature is enabled.
#[cfg(not(all(
    any(target_os = "linux", target_os = "android"),
    not(feature = "condvar")
)))]
pub type Park = Condvar;
