//! The resource state machine's unit tests: its transitions, reports and
//! deadlines, one rule at a time.

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
            let mut m = ResourceMachine::with_state(start, Timeouts::default()).expect("settled");
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
