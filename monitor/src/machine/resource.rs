//! [`ResourceMachine`]: one resource's state, pending operation and
//! heartbeat.

use core::time::Duration;

use super::error::{ReportError, RequestError};
use super::outcome::Outcome;
use super::state::{Operation, ResourceState};
use super::timeouts::Timeouts;

/// A change of state: `from` → `to`. `from` may equal `to` where a method
/// says so (failing a resource that already failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Transition {
    /// The state before.
    pub from: ResourceState,
    /// The state after.
    pub to: ResourceState,
}

/// The pending operation of a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PendingOp {
    /// `Online` or `Offline`.
    pub operation: Operation,
    /// The checkpoint of the last valid report; 0 when the operation began.
    pub checkpoint: u32,
    /// When the operation began, or its last valid report (or pending
    /// return) arrived: the heartbeat counts from here.
    pub last_report: Duration,
}

/// What an accepted report (or entry-point return) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Report {
    /// The operation is still pending; the heartbeat was reset.
    Heartbeat {
        /// The operation's checkpoint now.
        checkpoint: u32,
    },
    /// The operation ended: the resource reached its target or failed.
    Settled(Transition),
}

/// The state machine of one resource, as pure logic: no clock (every call
/// that needs time takes `now`, on a monotonic clock of the caller's
/// choosing), no threads, no allocation.
///
/// # Rules
///
/// - A resource starts `Offline` (or in any settled state, with
///   [`with_state`](Self::with_state)).
/// - [`begin`](Self::begin): `Online` may start from `Offline`, `Failed` or
///   `Unknown`; `Offline` from `Online`, `Failed` or `Unknown`. The resource
///   goes to the operation's pending state with checkpoint 0, and the
///   heartbeat starts. Starting while an operation is pending, or towards the
///   state the resource is already in, is rejected.
/// - [`report`](Self::report) (`SetResourceStatus`): only while an operation
///   is pending; only the operation's pending state, its target or `Failed`;
///   before the heartbeat deadline. A report of the pending state must carry
///   a checkpoint greater than the last valid one, and then resets the
///   heartbeat. A report of the target or `Failed` ends the operation (its
///   checkpoint is not checked). A rejected report changes nothing and is not
///   a heartbeat.
/// - [`returned`](Self::returned): the entry point's own return; `Pending`
///   also resets the heartbeat.
/// - The heartbeat deadline is the last valid report (or start, or pending
///   return) plus [`Timeouts::pending`]; at or after it,
///   [`expire`](Self::expire) fails the resource.
/// - [`fail`](Self::fail) and [`terminated`](Self::terminated) end any
///   pending operation: `Failed` (a failed health check, a hung call),
///   `Offline` (the `Terminate` entry point returned).
///
/// # Examples
///
/// ```
/// use core::time::Duration;
/// use clusworker_monitor::machine::{
///     Operation, Outcome, Report, ReportError, ResourceMachine, ResourceState, Timeouts,
/// };
/// let s = Duration::from_secs;
/// let mut ip = ResourceMachine::new(Timeouts::default());
/// ip.begin(Operation::Online, s(0))?;
/// ip.returned(Operation::Online, Outcome::Pending, s(1)); // heartbeat from t = 1 s
/// assert_eq!(ip.deadline(), Some(s(181)));
/// // An Online operation cannot report OfflinePending.
/// assert_eq!(
///     ip.report(ResourceState::OfflinePending, 1, s(2)),
///     Err(ReportError::Unreachable {
///         operation: Operation::Online,
///         reported: ResourceState::OfflinePending,
///     })
/// );
/// let r = ip.report(ResourceState::Online, 1, s(3)).expect("before the deadline");
/// assert!(matches!(r, Report::Settled(t) if t.to == ResourceState::Online));
/// assert_eq!(ip.deadline(), None);
/// # Ok::<(), clusworker_monitor::machine::RequestError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResourceMachine {
    /// The state's index in [`ResourceState::ALL`]: one byte, where the
    /// enum's `i32` (its C values) would cost the machine 8 with padding.
    state: u8,
    /// The [`PendingOp`], kept as its three fields beside the others (24
    /// bytes for the machine, against 32 with them in a struct of their
    /// own, whose padding the others could not use): `checkpoint` and
    /// `last_report` are 0 when `operation` is `None`.
    operation: Option<Operation>,
    checkpoint: u32,
    /// In nanoseconds (saturated).
    last_report: u64,
    timeouts: Timeouts,
}

impl ResourceMachine {
    /// A resource that is `Offline`, as one is after it is opened.
    pub const fn new(timeouts: Timeouts) -> ResourceMachine {
        ResourceMachine {
            state: index(ResourceState::Offline),
            operation: None,
            checkpoint: 0,
            last_report: 0,
            timeouts,
        }
    }

    /// A resource in a settled `state`; `None` for a pending state (a
    /// pending state needs an operation: use [`begin`](Self::begin)).
    pub const fn with_state(state: ResourceState, timeouts: Timeouts) -> Option<ResourceMachine> {
        if state.is_pending() {
            return None;
        }
        Some(ResourceMachine {
            state: index(state),
            operation: None,
            checkpoint: 0,
            last_report: 0,
            timeouts,
        })
    }

    /// The state.
    #[inline]
    pub const fn state(&self) -> ResourceState {
        ResourceState::ALL[self.state as usize]
    }

    /// The pending operation, if any. `Some` exactly when the state is a
    /// pending state.
    #[inline]
    pub const fn pending(&self) -> Option<PendingOp> {
        match self.operation {
            Some(operation) => Some(PendingOp {
                operation,
                checkpoint: self.checkpoint,
                last_report: Duration::from_nanos(self.last_report),
            }),
            None => None,
        }
    }

    /// Sets (or, `None`, clears) the pending operation.
    fn set_pending(&mut self, p: Option<PendingOp>) {
        (self.operation, self.checkpoint, self.last_report) = match p {
            Some(p) => {
                let n = p.last_report.as_nanos();
                let last_report = u64::try_from(n).unwrap_or(u64::MAX);
                (Some(p.operation), p.checkpoint, last_report)
            }
            None => (None, 0, 0),
        };
    }

    /// The timeouts.
    #[inline]
    pub const fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// The heartbeat deadline: when the pending operation must report
    /// again. `None` when nothing is pending (or the deadline is beyond the
    /// range of `Duration`).
    pub const fn deadline(&self) -> Option<Duration> {
        match self.pending() {
            Some(p) => self.timeouts.heartbeat_deadline(p.last_report),
            None => None,
        }
    }

    /// Has the heartbeat deadline passed at `now`?
    pub const fn is_expired(&self, now: Duration) -> bool {
        match self.deadline() {
            Some(d) => now.as_nanos() >= d.as_nanos(),
            None => false,
        }
    }

    /// Starts `operation` at `now`: the resource goes to its pending state,
    /// with checkpoint 0, and the heartbeat starts.
    ///
    /// # Errors
    ///
    /// [`RequestError::Pending`] while an operation is pending;
    /// [`RequestError::AlreadyThere`] when the resource is already in the
    /// operation's target state. Nothing changes.
    pub fn begin(
        &mut self,
        operation: Operation,
        now: Duration,
    ) -> Result<Transition, RequestError> {
        if let Some(pending) = self.operation {
            return Err(RequestError::Pending {
                requested: operation,
                pending,
            });
        }
        if !operation.can_start_from(self.state()) {
            return Err(RequestError::AlreadyThere {
                requested: operation,
                state: self.state(),
            });
        }
        self.set_pending(Some(PendingOp {
            operation,
            checkpoint: 0,
            last_report: now,
        }));
        Ok(self.go(operation.pending_state()))
    }

    /// A status report at `now`: `SetResourceStatus(state, checkpoint)`.
    ///
    /// # Errors
    ///
    /// [`ReportError::NotPending`], [`ReportError::Unreachable`],
    /// [`ReportError::Late`] (at or after the deadline), or
    /// [`ReportError::StaleCheckpoint`], checked in that order. Nothing
    /// changes: a rejected report is not a heartbeat.
    pub fn report(
        &mut self,
        state: ResourceState,
        checkpoint: u32,
        now: Duration,
    ) -> Result<Report, ReportError> {
        let Some(mut p) = self.pending() else {
            return Err(ReportError::NotPending {
                state: self.state(),
            });
        };
        if !p.operation.can_reach(state) {
            return Err(ReportError::Unreachable {
                operation: p.operation,
                reported: state,
            });
        }
        if let Some(deadline) = self.deadline() {
            if now >= deadline {
                return Err(ReportError::Late { deadline, now });
            }
        }
        if state.is_pending() {
            if checkpoint <= p.checkpoint {
                return Err(ReportError::StaleCheckpoint {
                    previous: p.checkpoint,
                    reported: checkpoint,
                });
            }
            p.checkpoint = checkpoint;
            p.last_report = max(p.last_report, now);
            self.set_pending(Some(p));
            return Ok(Report::Heartbeat { checkpoint });
        }
        Ok(Report::Settled(self.settle(state)))
    }

    /// The `operation` entry point returned `outcome` at `now`.
    ///
    /// `Done` moves the resource to the operation's target, `Failed` to
    /// `Failed`; `Pending` resets the heartbeat (the worker has its full
    /// PendingTimeout from the return). Returns `None`, changing nothing, if
    /// `operation` is not the pending one any more: its worker may already
    /// have reported the end, or the resource was terminated meanwhile.
    pub fn returned(
        &mut self,
        operation: Operation,
        outcome: Outcome,
        now: Duration,
    ) -> Option<Report> {
        let mut p = self.pending().filter(|p| p.operation == operation)?;
        match outcome {
            Outcome::Done => Some(Report::Settled(self.settle(operation.target()))),
            Outcome::Failed(_) => Some(Report::Settled(self.settle(ResourceState::Failed))),
            Outcome::Pending => {
                p.last_report = max(p.last_report, now);
                self.set_pending(Some(p));
                Some(Report::Heartbeat {
                    checkpoint: p.checkpoint,
                })
            }
        }
    }

    /// A heartbeat of the pending operation at `checkpoint`, reported at
    /// `at`, taken elsewhere (the monitor's lock-free path) and folded in
    /// here: the checkpoint and the time move on if they are later. Returns
    /// whether anything changed; nothing changes when nothing is pending.
    pub fn observe(&mut self, checkpoint: u32, at: Duration) -> bool {
        let Some(mut p) = self.pending() else {
            return false;
        };
        if checkpoint <= p.checkpoint {
            return false;
        }
        p.checkpoint = checkpoint;
        p.last_report = max(p.last_report, at);
        self.set_pending(Some(p));
        true
    }

    /// Fails the resource if the heartbeat deadline has passed at `now`:
    /// `Some` with the transition to `Failed`, `None` (and nothing changes)
    /// if nothing is pending or there is time left.
    pub fn expire(&mut self, now: Duration) -> Option<Transition> {
        if self.is_expired(now) {
            Some(self.settle(ResourceState::Failed))
        } else {
            None
        }
    }

    /// Marks the resource `Failed`, ending any pending operation (a failed
    /// `IsAlive`, a hung entry point). `from` equals `to` if it had already
    /// failed.
    pub fn fail(&mut self) -> Transition {
        self.settle(ResourceState::Failed)
    }

    /// The `Terminate` entry point returned: the resource is `Offline`, and
    /// any pending operation has ended.
    pub fn terminated(&mut self) -> Transition {
        self.settle(ResourceState::Offline)
    }

    fn settle(&mut self, to: ResourceState) -> Transition {
        self.set_pending(None);
        self.go(to)
    }

    fn go(&mut self, to: ResourceState) -> Transition {
        let from = self.state();
        self.state = index(to);
        Transition { from, to }
    }
}

/// As it was with the fields it stands for: the state, the pending
/// operation, the timeouts.
impl core::fmt::Debug for ResourceMachine {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ResourceMachine")
            .field("state", &self.state())
            .field("pending", &self.pending())
            .field("timeouts", &self.timeouts)
            .finish()
    }
}

/// `s`'s index in [`ResourceState::ALL`].
const fn index(s: ResourceState) -> u8 {
    match s {
        ResourceState::Unknown => 0,
        ResourceState::Online => 1,
        ResourceState::Offline => 2,
        ResourceState::Failed => 3,
        ResourceState::OnlinePending => 4,
        ResourceState::OfflinePending => 5,
    }
}

fn max(a: Duration, b: Duration) -> Duration {
    if a >= b { a } else { b }
}

#[cfg(test)]
mod tests;
