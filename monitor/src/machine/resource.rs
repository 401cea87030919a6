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
mod tests {
    use super::*;
    use ResourceState::*;

    #[test]
    fn every_state_is_kept_as_its_index() {
        for state in ResourceState::ALL {
            let m = ResourceMachine::with_state(state, Timeouts::default());
            if let Some(m) = m {
                assert_eq!(m.state(), state);
            }
            assert_eq!(ResourceState::ALL[usize::from(super::index(state))], state);
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// PendingTimeout 100 ms, DeadlockTimeout 300 ms.
    fn machine() -> ResourceMachine {
        ResourceMachine::new(Timeouts::new(ms(100), ms(300)).expect("valid timeouts"))
    }

    fn pending_online_at(t: u64) -> ResourceMachine {
        let mut m = machine();
        m.begin(Operation::Online, ms(t))
            .expect("online from offline");
        m
    }

    #[test]
    fn a_new_resource_is_offline_with_nothing_pending() {
        let m = machine();
        assert_eq!(
            (m.state(), m.pending(), m.deadline()),
            (Offline, None, None)
        );
    }

    #[test]
    fn with_state_refuses_pending_states() {
        let t = Timeouts::default();
        assert!(ResourceMachine::with_state(OnlinePending, t).is_none());
        assert!(ResourceMachine::with_state(OfflinePending, t).is_none());
        let m = ResourceMachine::with_state(Unknown, t).expect("settled");
        assert_eq!(m.state(), Unknown);
    }

    #[test]
    fn online_goes_pending_with_checkpoint_zero_and_starts_the_heartbeat() {
        let m = pending_online_at(5);
        assert_eq!(m.state(), OnlinePending);
        let p = m.pending().expect("pending");
        assert_eq!(
            (p.operation, p.checkpoint, p.last_report),
            (Operation::Online, 0, ms(5))
        );
        assert_eq!(m.deadline(), Some(ms(105)));
    }

    #[test]
    fn online_while_online_pending_is_rejected_and_changes_nothing() {
        let mut m = pending_online_at(0);
        let before = m;
        assert_eq!(
            m.begin(Operation::Online, ms(1)),
            Err(RequestError::Pending {
                requested: Operation::Online,
                pending: Operation::Online
            })
        );
        assert_eq!(
            m.begin(Operation::Offline, ms(1)),
            Err(RequestError::Pending {
                requested: Operation::Offline,
                pending: Operation::Online
            })
        );
        assert_eq!(m, before);
    }

    #[test]
    fn online_when_online_and_offline_when_offline_are_rejected() {
        let mut m = machine();
        assert_eq!(
            m.begin(Operation::Offline, ms(0)),
            Err(RequestError::AlreadyThere {
                requested: Operation::Offline,
                state: Offline
            })
        );
        let mut m = ResourceMachine::with_state(Online, Timeouts::default()).expect("settled");
        assert_eq!(
            m.begin(Operation::Online, ms(0)),
            Err(RequestError::AlreadyThere {
                requested: Operation::Online,
                state: Online
            })
        );
    }

    #[test]
    fn both_operations_may_start_from_failed_and_unknown() {
        for start in [Failed, Unknown] {
            for op in [Operation::Online, Operation::Offline] {
                let mut m =
                    ResourceMachine::with_state(start, Timeouts::default()).expect("settled");
                let t = m.begin(op, ms(0)).expect("allowed");
                assert_eq!((t.from, t.to), (start, op.pending_state()));
            }
        }
    }

    #[test]
    fn each_pending_report_must_raise_the_checkpoint() {
        let mut m = pending_online_at(0);
        assert_eq!(
            m.report(OnlinePending, 1, ms(10)),
            Ok(Report::Heartbeat { checkpoint: 1 })
        );
        assert_eq!(
            m.report(OnlinePending, 5, ms(20)),
            Ok(Report::Heartbeat { checkpoint: 5 })
        );
        let before = m;
        assert_eq!(
            m.report(OnlinePending, 5, ms(30)),
            Err(ReportError::StaleCheckpoint {
                previous: 5,
                reported: 5
            })
        );
        assert_eq!(
            m.report(OnlinePending, 4, ms(30)),
            Err(ReportError::StaleCheckpoint {
                previous: 5,
                reported: 4
            })
        );
        assert_eq!(m, before, "a stale report changes nothing");
    }

    #[test]
    fn the_first_report_needs_a_checkpoint_above_zero() {
        let mut m = pending_online_at(0);
        assert_eq!(
            m.report(OnlinePending, 0, ms(1)),
            Err(ReportError::StaleCheckpoint {
                previous: 0,
                reported: 0
            })
        );
    }

    #[test]
    fn a_valid_report_moves_the_deadline_and_a_stale_one_does_not() {
        let mut m = pending_online_at(0);
        m.report(OnlinePending, 1, ms(60)).expect("valid");
        assert_eq!(m.deadline(), Some(ms(160)));
        let _ = m.report(OnlinePending, 1, ms(90));
        assert_eq!(
            m.deadline(),
            Some(ms(160)),
            "a stale report is not a heartbeat"
        );
        assert_eq!(m.expire(ms(159)), None);
        assert_eq!(
            m.expire(ms(160)),
            Some(Transition {
                from: OnlinePending,
                to: Failed
            })
        );
        assert_eq!(m.pending(), None);
    }

    #[test]
    fn a_report_at_or_after_the_deadline_is_late() {
        let mut m = pending_online_at(0);
        let before = m;
        assert_eq!(
            m.report(OnlinePending, 1, ms(100)),
            Err(ReportError::Late {
                deadline: ms(100),
                now: ms(100)
            })
        );
        assert_eq!(
            m.report(Online, 1, ms(150)),
            Err(ReportError::Late {
                deadline: ms(100),
                now: ms(150)
            })
        );
        assert_eq!(m, before);
    }

    #[test]
    fn a_report_when_nothing_is_pending_is_rejected() {
        let mut m = machine();
        assert_eq!(
            m.report(OnlinePending, 1, ms(0)),
            Err(ReportError::NotPending { state: Offline })
        );
        let mut m = pending_online_at(0);
        m.report(Online, 1, ms(1)).expect("valid");
        assert_eq!(
            m.report(Online, 2, ms(2)),
            Err(ReportError::NotPending { state: Online })
        );
    }

    #[test]
    fn a_report_into_a_state_the_operation_cannot_reach_is_rejected() {
        let mut m = pending_online_at(0);
        let before = m;
        for s in [OfflinePending, Offline, Unknown] {
            assert_eq!(
                m.report(s, 1, ms(1)),
                Err(ReportError::Unreachable {
                    operation: Operation::Online,
                    reported: s
                })
            );
        }
        assert_eq!(m, before);
    }

    #[test]
    fn a_final_report_ends_the_operation_whatever_its_checkpoint() {
        let mut m = pending_online_at(0);
        m.report(OnlinePending, 3, ms(1)).expect("valid");
        assert_eq!(
            m.report(Online, 0, ms(2)),
            Ok(Report::Settled(Transition {
                from: OnlinePending,
                to: Online
            }))
        );
        assert_eq!((m.pending(), m.deadline()), (None, None));
    }

    #[test]
    fn an_offline_operation_reports_offline_pending_then_offline_or_failed() {
        let mut m =
            ResourceMachine::with_state(Online, Timeouts::new(ms(100), ms(300)).expect("valid"))
                .expect("settled");
        m.begin(Operation::Offline, ms(0))
            .expect("offline from online");
        assert_eq!(
            m.report(OnlinePending, 1, ms(1)),
            Err(ReportError::Unreachable {
                operation: Operation::Offline,
                reported: OnlinePending
            })
        );
        m.report(OfflinePending, 1, ms(1)).expect("valid");
        assert_eq!(
            m.report(Failed, 2, ms(2)),
            Ok(Report::Settled(Transition {
                from: OfflinePending,
                to: Failed
            }))
        );
    }

    #[test]
    fn returning_done_or_failed_settles_and_pending_resets_the_heartbeat() {
        let mut m = pending_online_at(0);
        assert_eq!(
            m.returned(Operation::Online, Outcome::Pending, ms(50)),
            Some(Report::Heartbeat { checkpoint: 0 })
        );
        assert_eq!(m.deadline(), Some(ms(150)));
        assert_eq!(
            m.returned(Operation::Online, Outcome::Done, ms(60)),
            Some(Report::Settled(Transition {
                from: OnlinePending,
                to: Online
            }))
        );
        let mut m = pending_online_at(0);
        assert_eq!(
            m.returned(Operation::Online, Outcome::Failed(5), ms(1)),
            Some(Report::Settled(Transition {
                from: OnlinePending,
                to: Failed
            }))
        );
    }

    #[test]
    fn a_return_for_an_operation_that_is_not_pending_is_ignored() {
        let mut m = pending_online_at(0);
        m.report(Online, 1, ms(1)).expect("valid");
        let before = m;
        assert_eq!(m.returned(Operation::Online, Outcome::Pending, ms(2)), None);
        assert_eq!(m.returned(Operation::Offline, Outcome::Done, ms(2)), None);
        assert_eq!(m, before);
    }

    #[test]
    fn fail_and_terminated_end_the_pending_operation() {
        let mut m = pending_online_at(0);
        assert_eq!(
            m.fail(),
            Transition {
                from: OnlinePending,
                to: Failed
            }
        );
        assert_eq!(
            m.fail(),
            Transition {
                from: Failed,
                to: Failed
            }
        );
        assert_eq!(m.pending(), None);
        let mut m = pending_online_at(0);
        assert_eq!(
            m.terminated(),
            Transition {
                from: OnlinePending,
                to: Offline
            }
        );
        assert_eq!(m.deadline(), None);
    }

    #[test]
    fn time_going_backwards_never_shortens_the_heartbeat() {
        let mut m = pending_online_at(50);
        m.report(OnlinePending, 1, ms(10)).expect("valid");
        assert_eq!(m.deadline(), Some(ms(150)));
    }

    #[test]
    fn the_deadline_uses_the_lower_of_pending_and_deadlock_timeout() {
        let t = Timeouts::new(ms(500), ms(200)).expect("valid");
        let mut m = ResourceMachine::new(t);
        m.begin(Operation::Online, ms(0)).expect("valid");
        assert_eq!(m.deadline(), Some(ms(200)));
    }
}
