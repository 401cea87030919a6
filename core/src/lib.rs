//! `clusworker-core`: the worker word of [clusworker], `#![no_std]` and
//! allocation-free.
//!
//! A worker is a routine running somewhere (an OS thread, a pool thread, a
//! task) that can be asked to terminate. Windows cluster resource DLLs know
//! it as `CLUS_WORKER`. This crate holds the part that must be right: one
//! 32-bit atomic word per worker whose phases are
//! `Running → Terminating → Exited` (or `Running → Exited` when the routine
//! returns by itself), with
//!
//! - [`WorkerWord::check_terminate`]: one `Acquire` load;
//! - [`WorkerWord::request_terminate`]: tells its caller whether it was
//!   first; exactly one caller ever is; [`WorkerWord::request_terminate_with`]
//!   gives a [`Reason`], which [`WorkerWord::reason`] reads back (always
//!   the first request's, published with the flag);
//! - [`WorkerWord::sleep`]: an interruptible sleep that cannot miss a
//!   terminate request;
//! - [`WorkerWord::wait_exited`]: any number of waiters for the exit, with or
//!   without a timeout (and [`WorkerWord::park_exited`], the same without
//!   the spin phase, for an embedder that spins its own way first);
//! - [`WorkerWord::terminated`] / [`WorkerWord::exited`]: the same waits
//!   for async code, as futures ([`Until`]): any number of tasks at once,
//!   no allocation per wait (each future carries its own node of an
//!   intrusive list beside the word); `check_terminate` stays one load;
//! - [`WorkerWord::on_terminate`]: a callback that runs once when terminate
//!   is requested, on the requesting thread (or at once, if it already
//!   was), removable by dropping it ([`OnTerminate`]): C++
//!   `stop_callback`, a node of the same intrusive list, no allocation;
//! - [`registry::Registry`]: an intrusive list of live things, for
//!   clusworker's diagnostics (the live workers of a process);
//! - [`WorkerCell`]: the word plus the routine's result, written once
//!   ([`WorkerCell::complete`]), taken once ([`WorkerCell::take`]), dropped
//!   exactly once otherwise, and the ownership hand-off for a detached
//!   worker ([`WorkerCell::release`]).
//!
//! The crate never calls the OS. Blocking and time come from a
//! [`Platform`]: `clusworker-posix` supplies a futex and a condvar platform,
//! `clusworker-windows` a `WaitOnAddress` one, and the `verification` crate a
//! loom one, which is how this exact code is model-checked.
//!
//! To embed the core elsewhere (bare metal, an RTOS, a runtime that owns its
//! threads), read the [`guide`]: the platform contract method by method, and
//! pointers to a spin/yield platform, the no_std build and the thread pool.
//!
//! # Memory-ordering contract
//!
//! In the words of C++'s `stop_token`: a [`request_terminate`] that returns
//! [`Request::First`] *synchronises with* a [`check_terminate`] (or a
//! [`sleep`] returning [`Sleep::Terminated`]) that observes it; a
//! [`WorkerCell::complete`] synchronises with every [`wait_exited`] that
//! returns `Ok`, every [`WorkerCell::take`] that returns `Ok`, and every
//! [`WorkerWord::state`] that returns [`State::Exited`]. The notes in the
//! `word` module say why each ordering is enough.
//!
//! # Example
//!
//! A platform that spins (enough for a test, or a single-core bare-metal
//! system with preemption):
//!
//! ```
//! use core::sync::atomic::AtomicU32;
//! use core::cell::UnsafeCell;
//! use core::time::Duration;
//! use clusworker_core::{Platform, Reason, Request, Sleep, State, WorkerCell};
//!
//! struct Spin;
//! impl Platform for Spin {
//!     type Word = AtomicU32;
//!     type Cell<T> = UnsafeCell<T>;
//!     fn wait(_: &AtomicU32, _: u32, _: Option<Duration>) {
//!         core::hint::spin_loop(); // a spurious wake-up is always allowed
//!     }
//!     fn wake_all(_: &AtomicU32) {}
//!     fn now() -> Duration {
//!         # static T: AtomicU32 = AtomicU32::new(0);
//!         // a real platform reads a monotonic clock
//!         Duration::from_micros(T.fetch_add(1, core::sync::atomic::Ordering::Relaxed).into())
//!     }
//! }
//!
//! let cell: WorkerCell<Spin, u32> = WorkerCell::new();
//! assert_eq!(cell.word().sleep(Duration::from_micros(10)), Sleep::Elapsed);
//! assert_eq!(cell.word().request_terminate(), Request::First);
//! assert_eq!(cell.word().request_terminate(), Request::AlreadyRequested(Reason::Requested));
//! assert!(cell.word().check_terminate());
//! assert_eq!(cell.word().sleep(Duration::MAX), Sleep::Terminated);
//! assert_eq!(cell.word().state(), State::Terminating);
//! assert!(cell.complete(7).is_ok());
//! assert_eq!(cell.word().wait_exited(None), Ok(()));
//! assert_eq!(cell.take(), Ok(7));
//! ```
//!
//! [clusworker]: https://docs.rs/clusworker
//! [`request_terminate`]: WorkerWord::request_terminate
//! [`check_terminate`]: WorkerWord::check_terminate
//! [`sleep`]: WorkerWord::sleep
//! [`wait_exited`]: WorkerWord::wait_exited
#![no_std]
#![warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core)]

mod callback;
mod cell;
mod deadline;
pub mod guide;
mod hooks;
mod lock;
mod platform;
pub mod progress;
mod reason;
pub mod registry;
mod until;
mod waiters;
pub mod word;

pub use callback::{OnTerminate, Registered};
pub use cell::{Last, TakeError, WorkerCell};
pub use hooks::CallbackHooks;
pub use platform::{AtomicWord, Platform, SlotCell};
pub use reason::Reason;
pub use until::Until;
pub use word::{Request, Sleep, State, TimedOut, WorkerWord};
