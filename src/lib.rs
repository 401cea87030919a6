#![doc = include_str!("../README.md")]
//!
//! # Items
//!
//! - [`Worker`]: the handle (`CLUS_WORKER`), with [`Worker::spawn`],
//!   [`Worker::terminate`], [`Worker::terminate_timeout`],
//!   [`Worker::wait_timeout`], [`Worker::wait`], [`Worker::join`],
//!   [`Worker::detach`], [`Worker::state`].
//! - [`Builder`]: name, stack size, and a deadline on the worker itself
//!   ([`Builder::deadline`], [`Builder::timeout`]: .NET `CancelAfter`, Go
//!   `WithDeadline`; read by [`Context::deadline`]); [`SpawnError`].
//! - [`Context`]: the routine's side: [`Context::check_terminate`],
//!   [`Context::sleep`], [`Context::sleep_until`]; [`Terminated`].
//! - [`terminate_all`] and [`wait_all`] (`ClusWorkersTerminate`);
//!   [`NotExited`].
//! - [`Reason`]: why terminate was requested ([`Worker::terminate_with`],
//!   [`Worker::request_terminate_with`], [`Context::reason`]).
//! - [`OnTerminate`]: a callback run once when terminate is requested
//!   (C++ `stop_callback`), removable, allocation-free
//!   ([`Context::on_terminate`], [`Worker::on_terminate`]); [`Registered`].
//! - [`Terminate`], [`Request`], [`State`], [`WaitError`], [`JoinOwnThread`].
//! - [`Exited`] and [`TerminateRequested`]: await a worker's exit, or a
//!   terminate request ([`Context::terminated`]), from async code
//!   ([`Worker::exited`], [`pool::PoolWorker::exited`]).
//! - [`scope`](fn@scope): workers that borrow from the caller and stop together
//!   ([`Scope`], [`ScopedWorker`], [`Builder::spawn_scoped`]); children
//!   of a routine, terminated with it ([`Context::scope`]).
//! - [`diagnostics`]: the live workers of the process, where they were
//!   spawned, how long they have been asked to terminate, their last
//!   [`Context::progress`] mark; [`Worker::name`].
//! - [`pool`]: worker routines on a fixed pool of threads.
//! - [`monitor`]: the Resource Monitor (pending operations, the
//!   PendingTimeout heartbeat, DeadlockTimeout escalation, events).
//! - [`resapi`]: the Windows names (`ClusWorkerCreate`, …) over a
//!   zero-initialisable `CLUS_WORKER` slot (their C ABI is the
//!   `clusworker-capi` crate).

mod all;
mod backoff;
mod builder;
mod callback;
mod context;
mod deadline;
pub mod diagnostics;
mod error;
mod future;
mod handle;
mod packet;
mod quiet;
mod scope;
mod sys;
mod wait;
mod worker;

pub use all::{NotExited, terminate_all, wait_all};
pub use builder::{Builder, SpawnError};
pub use callback::OnTerminate;
pub use clusworker_core::{Reason, Registered, Request, State};
pub use context::{Context, Terminated};
pub use error::{JoinOwnThread, WaitError};
pub use future::{Exited, TerminateRequested};
pub use scope::{Scope, ScopedWorker, scope};
pub use wait::Terminate;
pub use worker::Worker;

/// Compile-time checks that the public handles are thread-safe.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Worker<()>>();
    send_sync::<Context>();
    send_sync::<Builder>();
    send_sync::<SpawnError>();
    send_sync::<WaitError>();
    send_sync::<Scope<'static, 'static>>();
    send_sync::<ScopedWorker<'static, ()>>();
};

/// The Resource Monitor: the `clusworker-monitor` crate (the default
/// `monitor` feature).
#[cfg(feature = "monitor")]
pub use clusworker_monitor as monitor;

pub mod resapi;

pub mod pool;
