//! The resource state machine's unit tests, one rule at a time: starting
//! an operation here; its reports in `reports`; how it ends (returns,
//! failure, terminate) and its deadline in `ends`.

use super::*;
use ResourceState::*;

mod ends;
mod reports;

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
