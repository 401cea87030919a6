//! How a pending operation ends (an offline's reports, returns, failure,
//! terminate), and how its heartbeat deadline is computed.

use super::*;

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
