//! The Resource Monitor: pending operations, the PendingTimeout heartbeat,
//! DeadlockTimeout escalation, health polls and events.
//!
//! Windows Failover Cluster loads each resource DLL into a Resource Monitor
//! process that calls its entry points and watches it. This module plays
//! that part for resources written in Rust:
//!
//! - A [`Resource`] implements `online`, `offline`, `terminate`, and
//!   optionally `looks_alive` / `is_alive`. `online` and `offline` return an
//!   [`Outcome`]: done, pending, or failed with a code.
//! - A pending operation is finished by a worker (a clusworker `Worker`)
//!   that reports through its [`StatusHandle`]:
//!   [`set_resource_status(state, checkpoint)`](StatusHandle::set_resource_status)
//!   answers [`ExitState::Continue`] or [`ExitState::Terminate`].
//! - The [`Monitor`] keeps every resource's [`ResourceState`] and refuses
//!   calls that make no sense in it ([`MonitorError`], [`StatusError`]),
//!   changing nothing. It enforces PendingTimeout as a heartbeat: each valid
//!   report (a pending state with a higher checkpoint) resets it; when it
//!   runs out, the monitor marks the resource `Failed`, calls `terminate`,
//!   and answers the worker's next report with `Terminate`.
//! - Every entry-point call runs on one of a bounded set of call threads,
//!   fed by a queue, and is bounded by DeadlockTimeout from when it
//!   begins. No two entry points other than `Terminate` run at once for one
//!   resource: `online` / `offline` asked for while a health poll runs wait
//!   for it; a poll due while another call runs is skipped until its next
//!   interval. A call that hangs gets its resource failed and
//!   isolated, and is reported to the host's escalation hook
//!   ([`MonitorBuilder::on_escalation`], an [`Escalation`]); the monitor goes
//!   on serving every other resource.
//! - While a resource is online the monitor polls `looks_alive` and
//!   `is_alive` at their intervals; a failed `is_alive` marks it `Failed`.
//! - Every transition is an [`Event`] (resource, from, to, [`Cause`], time),
//!   sent to each [`Monitor::subscribe`] receiver.
//! - Every `Terminate` the monitor calls says why, with a [`Reason`]
//!   ([`Resource::terminate_with`]): `Requested` for the host's
//!   [`Monitor::terminate`] (or what it gave [`Monitor::terminate_with`]),
//!   `PendingTimeout` after an expired heartbeat, `MonitorShutDown` from
//!   [`Monitor::shut_down`]; the event it causes carries it
//!   ([`Event::reason`]).
//! - The monitor's timer thread sleeps until the next deadline of an
//!   indexed timer heap: an idle monitor uses no CPU, however many resources
//!   it watches ([`Monitor::stats`] counts its wake-ups), and a timer that no
//!   longer matters is removed, not left to fire.
//!
//! # Pure state, thin driver
//!
//! The crate is a one-way chain of modules:
//!
//! 1. [`machine`]: one resource's state machine, pure logic with no
//!    allocation (no `std`, no clock: it takes `now`).
//! 2. `types`, `error`: the names, events and errors.
//! 3. `state`: every resource's bookkeeping, generations, timers and calls
//!    in flight, as a plain struct whose methods take `now` and return the
//!    effects to carry out: testable without threads or clocks.
//! 4. `status`, `resource`: what a resource sees ([`StatusHandle`],
//!    [`Resource`]).
//! 5. `driver`: the one lock, the timer thread and the call threads, which
//!    carry out the state's effects.
//! 6. `handle`: [`Monitor`] and [`MonitorBuilder`].
//!
//! `clusworker` re-exports this crate as `clusworker::monitor` (its
//! default `monitor` feature).
//!
//! # Examples
//!
//! A resource whose online takes a few steps, reported with checkpoints:
//!
//! ```
//! use std::sync::Mutex;
//! use std::time::Duration;
//! use clusworker::Worker;
//! use clusworker_monitor::{
//!     Cause, ExitState, Monitor, Outcome, Resource, ResourceState, StatusHandle,
//! };
//!
//! #[derive(Default)]
//! struct Service(Mutex<Option<Worker<()>>>);
//!
//! impl Resource for Service {
//!     fn online(&self, status: StatusHandle) -> Outcome {
//!         let Ok(worker) = Worker::spawn(move |ctx| {
//!             for checkpoint in 1..=3 {
//!                 if ctx.sleep(Duration::from_millis(5)).is_err()
//!                     || status.set_resource_status(ResourceState::OnlinePending, checkpoint)
//!                         == ExitState::Terminate
//!                 {
//!                     return;
//!                 }
//!             }
//!             status.set_resource_status(ResourceState::Online, 4);
//!         }) else {
//!             return Outcome::Failed(8); // ERROR_NOT_ENOUGH_MEMORY
//!         };
//!         *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(worker);
//!         Outcome::Pending
//!     }
//!     fn offline(&self, _: StatusHandle) -> Outcome {
//!         self.terminate();
//!         Outcome::Done
//!     }
//!     fn terminate(&self) {
//!         drop(self.0.lock().unwrap_or_else(|e| e.into_inner()).take());
//!     }
//! }
//!
//! let monitor = Monitor::builder()
//!     .pending_timeout(Duration::from_secs(5))
//!     .start()?;
//! let events = monitor.subscribe();
//! let svc = monitor.add("service", Service::default());
//! assert_eq!(monitor.online(svc)?, Outcome::Pending);
//!
//! // Wait for the worker's final report.
//! let online = events
//!     .iter()
//!     .find(|e| e.to == ResourceState::Online)
//!     .expect("the monitor is alive");
//! assert_eq!(online.cause, Cause::Reported { checkpoint: 4 });
//! monitor.offline(svc)?;
//! assert_eq!(monitor.state(svc)?, ResourceState::Offline);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod beat;
mod driver;
mod error;
mod handle;
pub mod machine;
mod quiet;
mod resource;
mod state;
mod status;
mod sync;
mod table;
mod types;

/// Why a terminate was requested: what [`Resource::terminate_with`] is
/// given and [`Event::reason`] carries (the worker word's own type,
/// `clusworker::Reason`).
pub use clusworker_core::Reason;
pub use error::{MonitorError, StartError, StatusError};
pub use handle::{Monitor, MonitorBuilder};
pub use machine::{Operation, Outcome, ReportError, RequestError, ResourceState, Timeouts};
pub use resource::Resource;
pub use status::StatusHandle;
pub use types::{
    Cause, EntryPoint, Escalation, EscalationReason, Event, ExitState, MonitorStats, ResourceId,
    ResourceInfo,
};

/// The hooks of the driver's loom models (`tests/loom_driver.rs`): not an
/// API.
#[cfg(feature = "loom")]
#[doc(hidden)]
pub use sync::model as loom;

/// Compile-time checks that the public handles are thread-safe.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Monitor>();
    send_sync::<StatusHandle>();
    send_sync::<MonitorError>();
    send_sync::<Event>();
};
