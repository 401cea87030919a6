//! The host's calls: made, deferred, superseded, hung.

use super::*;

#[test]
fn online_done_starts_one_call_and_settles_online_with_polls_armed() {
    let (mut s, id) = state();
    let call_id = s.request(id, Operation::Online, ms(0)).expect("offline");
    let fx = s.take_effects();
    let call = one_start(&fx);
    assert_eq!((call.call, call.entry_point), (call_id, EntryPoint::Online));
    assert_eq!(
        events(&fx),
        [(
            Offline,
            OnlinePending,
            Cause::Requested(Operation::Online),
            ms(0)
        )]
    );
    assert_eq!(s.timer_count(), 1, "the heartbeat");
    assert!(s.call_started(&call, ms(2)));
    assert_eq!(s.timer_count(), 2, "the heartbeat and the call's deadline");
    s.call_returned(&call, Some(Answer::Outcome(Outcome::Done)), ms(7));
    let fx = s.take_effects();
    let cause = Cause::Returned(EntryPoint::Online, Outcome::Done);
    assert_eq!(events(&fx), [(OnlinePending, Online, cause, ms(7))]);
    let end = CallEnd::Answered(Answer::Outcome(Outcome::Done));
    assert_eq!(resolved(&fx), [(call_id, end)]);
    assert_eq!(s.timer_count(), 2, "the two polls, nothing stale");
    assert_eq!(s.next_deadline(), Some(ms(57)), "LooksAlive 50 ms after");
}

#[test]
fn a_rejected_request_changes_nothing_and_decides_nothing() {
    let (mut s, id) = state();
    s.request(id, Operation::Online, ms(0)).expect("online");
    let _ = s.take_effects();
    let before = s.info(id, Duration::ZERO).expect("known");
    for op in [Operation::Online, Operation::Offline] {
        let r = s.request(id, op, ms(5));
        assert!(
            matches!(r, Err(MonitorError::Rejected { .. })),
            "{op} during a pending online: {r:?}"
        );
    }
    assert!(!s.has_effects());
    assert_eq!(s.info(id, Duration::ZERO).expect("known"), before);
    let unknown = ResourceId(7);
    assert!(matches!(
        s.request(unknown, Operation::Online, ms(5)),
        Err(MonitorError::UnknownResource(_))
    ));
}

#[test]
fn a_hung_call_is_declared_once_isolates_and_its_late_return_changes_nothing() {
    let (mut s, id) = state();
    let call_id = s.request(id, Operation::Online, ms(0)).expect("online");
    let call = one_start(&s.take_effects());
    assert!(s.call_started(&call, ms(10)));
    // The heartbeat (100 ms) is paused while Online itself runs: its
    // DeadlockTimeout (300 ms from 10 ms) decides.
    assert!(s.fire(ms(100)));
    assert!(!s.has_effects(), "no expiry while the entry point runs");
    assert!(s.fire(ms(310)), "the online call's DeadlockTimeout");
    let fx = s.take_effects();
    assert_eq!(resolved(&fx), [(call_id, CallEnd::Hung(ms(300)))]);
    assert!(fx.contains(&Effect::CallHung));
    let escalations: Vec<_> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Escalate(e) => Some((e.entry_point, e.reason)),
            _ => None,
        })
        .collect();
    let reason = EscalationReason::Deadlock(ms(300));
    assert_eq!(escalations, [(EntryPoint::Online, reason)]);
    let cause = Cause::Escalated(EntryPoint::Online);
    assert_eq!(events(&fx), [(OnlinePending, Failed, cause, ms(310))]);
    assert!(s.info(id, Duration::ZERO).expect("known").isolated);
    assert!(starts(&fx).is_empty(), "an isolated resource gets no call");
    // The late return: its thread counts again, nothing else.
    s.call_returned(&call, Some(Answer::Outcome(Outcome::Done)), ms(500));
    assert_eq!(s.take_effects(), [Effect::HungReturned]);
    assert!(matches!(
        s.request(id, Operation::Online, ms(600)),
        Err(MonitorError::Isolated(_))
    ));
    assert!(matches!(
        s.terminate_with(id, Reason::Requested),
        Err(MonitorError::Isolated(_))
    ));
    assert_eq!(s.timer_count(), 0);
}

#[test]
fn a_hung_terminate_after_an_expiry_is_escalated_once_from_failed() {
    let (mut s, id) = state();
    s.request(id, Operation::Online, ms(0)).expect("online");
    let call = one_start(&s.take_effects());
    assert!(s.call_started(&call, ms(0)));
    s.call_returned(&call, Some(Answer::Outcome(Outcome::Pending)), ms(1));
    let _ = s.take_effects();
    assert!(s.fire(ms(101)), "the heartbeat expires");
    let terminate = one_start(&s.take_effects());
    assert!(s.call_started(&terminate, ms(101)));
    assert!(s.fire(ms(401)), "the terminate's DeadlockTimeout");
    let fx = s.take_effects();
    let cause = Cause::Escalated(EntryPoint::Terminate);
    assert_eq!(events(&fx), [(Failed, Failed, cause, ms(401))]);
    assert!(fx.contains(&Effect::CallHung));
    s.call_returned(&terminate, Some(Answer::Terminated), ms(402));
    assert_eq!(s.take_effects(), [Effect::HungReturned]);
    assert_eq!(s.info(id, Duration::ZERO).expect("known").state, Failed);
}

#[test]
fn terminate_during_a_running_online_ends_it_and_the_late_return_is_moot() {
    let (mut s, id) = state();
    let online = s.request(id, Operation::Online, ms(0)).expect("online");
    let call = one_start(&s.take_effects());
    assert!(s.call_started(&call, ms(1)));
    let term = s.terminate_with(id, Reason::User(7)).expect("terminate");
    let t = one_start(&s.take_effects());
    assert_eq!(t.entry_point, EntryPoint::Terminate);
    assert_eq!(
        t.reason,
        Reason::User(7),
        "the call carries the host's reason"
    );
    assert!(matches!(
        s.terminate_with(id, Reason::Requested),
        Err(MonitorError::Terminating(_))
    ));
    assert!(matches!(
        s.request(id, Operation::Online, ms(2)),
        Err(MonitorError::Terminating(_))
    ));
    assert!(s.call_started(&t, ms(2)));
    s.call_returned(&t, Some(Answer::Terminated), ms(3));
    let fx = s.take_effects();
    assert_eq!(
        events(&fx),
        [(OnlinePending, Offline, Cause::Terminated, ms(3))]
    );
    assert_eq!(reasons(&fx), [Some(Reason::User(7))]);
    assert_eq!(
        resolved(&fx),
        [(term, CallEnd::Answered(Answer::Terminated))]
    );
    // A new online waits for the old (moot) call to return.
    let again = s
        .request(id, Operation::Online, ms(4))
        .expect("offline now");
    assert!(starts(&s.take_effects()).is_empty());
    let pending = CallEnd::Answered(Answer::Outcome(Outcome::Pending));
    s.call_returned(&call, Some(Answer::Outcome(Outcome::Pending)), ms(5));
    let fx = s.take_effects();
    assert_eq!(resolved(&fx), [(online, pending)]);
    assert_eq!(one_start(&fx).call, again);
    assert_eq!(
        s.info(id, Duration::ZERO).expect("known").state,
        OnlinePending
    );
}

#[test]
fn a_deferred_call_whose_operation_ends_first_is_never_made() {
    let (mut s, id) = state();
    online(&mut s, id);
    assert!(s.fire(ms(60)));
    let poll = one_start(&s.take_effects());
    assert!(s.call_started(&poll, ms(60)));
    let offline = s.request(id, Operation::Offline, ms(61)).expect("online");
    let _ = s.take_effects();
    s.terminate_with(id, Reason::Requested).expect("terminate");
    let fx = s.take_effects();
    assert_eq!(resolved(&fx), [(offline, CallEnd::Terminating)]);
    assert_eq!(one_start(&fx).entry_point, EntryPoint::Terminate);
}

#[test]
fn a_queued_call_whose_operation_ended_before_it_began_is_not_made() {
    let (mut s, id) = state();
    let online = s.request(id, Operation::Online, ms(0)).expect("online");
    let call = one_start(&s.take_effects());
    s.terminate_with(id, Reason::Requested).expect("terminate");
    let _ = s.take_effects();
    assert!(!s.call_started(&call, ms(1)), "terminated before it began");
    assert_eq!(
        resolved(&s.take_effects()),
        [(online, CallEnd::Terminating)]
    );
}
