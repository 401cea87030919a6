//! A resource signalling its own failure (`SignalFailure`).

use super::*;

/// Online (returned `Done`) at 10 ms, through the call of generation `g`.
fn online_gen(s: &mut MonitorState, id: ResourceId) -> u64 {
    s.request(id, Operation::Online, ms(0)).expect("online");
    let call = one_start(&s.take_effects());
    assert!(s.call_started(&call, ms(1)));
    s.call_returned(&call, Some(Answer::Outcome(Outcome::Done)), ms(10));
    let _ = s.take_effects();
    call.generation
}

#[test]
fn an_online_resource_that_signals_fails_at_once_and_its_polls_stop() {
    let (mut s, id) = state();
    let g = online_gen(&mut s, id);
    assert_eq!(s.timer_count(), 2, "the two polls");
    assert_eq!(s.signal_failure(id, g, 137, ms(20)), Ok(()));
    let fx = s.take_effects();
    let cause = Cause::Signalled { code: 137 };
    assert_eq!(events(&fx), [(Online, Failed, cause, ms(20))]);
    assert!(starts(&fx).is_empty(), "the host decides what comes next");
    assert_eq!(s.timer_count(), 0, "no poll of a failed resource");
    assert_eq!(s.info(id, Duration::ZERO).expect("known").state, Failed);
}

#[test]
fn a_second_signal_or_a_report_after_it_is_refused_and_decides_nothing() {
    let (mut s, id) = state();
    let g = online_gen(&mut s, id);
    s.signal_failure(id, g, 1, ms(20)).expect("first");
    let _ = s.take_effects();
    assert_eq!(s.signal_failure(id, g, 2, ms(21)), Err(StatusError::Ended));
    assert_eq!(
        s.report(id, g, OnlinePending, 5, ms(22)),
        Err(StatusError::Ended)
    );
    assert!(!s.has_effects());
}

#[test]
fn a_signal_while_coming_online_ends_the_pending_operation() {
    let (mut s, id) = state();
    s.request(id, Operation::Online, ms(0)).expect("online");
    let call = one_start(&s.take_effects());
    assert!(s.call_started(&call, ms(1)));
    s.call_returned(&call, Some(Answer::Outcome(Outcome::Pending)), ms(2));
    let _ = s.take_effects();
    assert_eq!(s.signal_failure(id, call.generation, 9, ms(30)), Ok(()));
    let fx = s.take_effects();
    let cause = Cause::Signalled { code: 9 };
    assert_eq!(events(&fx), [(OnlinePending, Failed, cause, ms(30))]);
    assert_eq!(
        s.timer_count(),
        0,
        "the heartbeat is gone with the operation"
    );
    let late = s.report(id, call.generation, Online, 3, ms(31));
    assert_eq!(late, Err(StatusError::Ended), "the operation is over");
}

#[test]
fn a_signal_from_an_earlier_operation_or_while_going_offline_is_refused() {
    let (mut s, id) = state();
    let g = online_gen(&mut s, id);
    s.request(id, Operation::Offline, ms(20)).expect("offline");
    let off = one_start(&s.take_effects());
    assert_eq!(s.signal_failure(id, g, 1, ms(21)), Err(StatusError::Ended));
    let current = off.generation;
    let r = s.signal_failure(id, current, 1, ms(22));
    assert_eq!(r, Err(StatusError::Ended), "offline is not online");
    assert!(!s.has_effects());
    assert_eq!(
        s.info(id, Duration::ZERO).expect("known").state,
        OfflinePending
    );
}

#[test]
fn an_unknown_or_removed_resource_cannot_signal() {
    let (mut s, id) = state();
    let r = s.signal_failure(ResourceId(7), 0, 1, ms(1));
    assert_eq!(r, Err(StatusError::Ended));
    s.remove(id).expect("offline: removable");
    assert_eq!(s.signal_failure(id, 0, 1, ms(2)), Err(StatusError::Ended));
    assert!(!s.has_effects());
}
