//! The resource state machine of a cluster Resource Monitor, as pure logic.
//!
//! A cluster resource (a disk, an IP address, a service) is brought online
//! and taken offline through entry points. An entry point that needs time
//! returns *pending* at once and lets a worker finish the job; the worker
//! reports progress with `SetResourceStatus(state, checkpoint)`. The Resource
//! Monitor treats those reports as a heartbeat: if none arrives within
//! *PendingTimeout* of the last one, it calls the resource's `Terminate`
//! entry point and marks the resource failed.
//!
//! This module holds the rules and nothing else: no threads, no clock, no
//! allocation. Time is a [`Duration`](core::time::Duration) on any monotonic
//! clock the caller chooses, passed in as `now`. The monitor's state and driver drive
//! it with real threads and a timer heap.
//!
//! - [`ResourceState`]: the states, with their Windows values.
//! - [`Operation`]: `Online` or `Offline`, and which states each can reach.
//! - [`Timeouts`]: PendingTimeout and DeadlockTimeout, with their minimum,
//!   defaults, and the rule that the lower of the two is used.
//! - [`ResourceMachine`]: one resource's state, pending operation, last
//!   checkpoint and heartbeat deadline.
//! - [`RequestError`], [`ReportError`], [`TimeoutError`]: why a call was
//!   rejected. A rejected call changes nothing.
//!
//! # Examples
//!
//! ```
//! use core::time::Duration;
//! use clusworker_monitor::machine::{
//!     Operation, Report, ReportError, ResourceMachine, ResourceState, Timeouts,
//! };
//!
//! let ms = Duration::from_millis;
//! let timeouts = Timeouts::new(ms(100), ms(300)).expect("valid timeouts");
//! let mut disk = ResourceMachine::new(timeouts);
//!
//! // Online returns pending at t = 0.
//! disk.begin(Operation::Online, ms(0)).expect("offline, so online is allowed");
//! assert_eq!(disk.state(), ResourceState::OnlinePending);
//! assert_eq!(disk.deadline(), Some(ms(100)));
//!
//! // A report with a new checkpoint is a heartbeat: the deadline moves.
//! assert_eq!(
//!     disk.report(ResourceState::OnlinePending, 1, ms(60)),
//!     Ok(Report::Heartbeat { checkpoint: 1 })
//! );
//! assert_eq!(disk.deadline(), Some(ms(160)));
//!
//! // A stale checkpoint is rejected, and is not a heartbeat.
//! assert_eq!(
//!     disk.report(ResourceState::OnlinePending, 1, ms(90)),
//!     Err(ReportError::StaleCheckpoint { previous: 1, reported: 1 })
//! );
//! assert_eq!(disk.deadline(), Some(ms(160)));
//!
//! // Silence past the deadline: the resource fails.
//! assert_eq!(disk.expire(ms(159)), None);
//! let failed = disk.expire(ms(160)).expect("the heartbeat expired");
//! assert_eq!((failed.from, failed.to), (ResourceState::OnlinePending, ResourceState::Failed));
//! ```

// This module is the monitor's no_std part: core only, no allocation.
#![deny(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::alloc_instead_of_core
)]

mod error;
mod outcome;
mod resource;
mod state;
mod timeouts;

pub use error::{ReportError, RequestError, TimeoutError};
pub use outcome::Outcome;
pub use resource::{PendingOp, Report, ResourceMachine, Transition};
pub use state::{InvalidStateValue, Operation, ResourceState};
pub use timeouts::Timeouts;
