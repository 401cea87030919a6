//! A pending operation's reports: checkpoints, deadlines, late and
//! rejected reports, final reports.

use super::*;

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
