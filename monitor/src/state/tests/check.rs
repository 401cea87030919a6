//! The host's health check (`is_alive_now`): one `IsAlive` call, however
//! many hosts ask; never beside another entry point; refused unless
//! `Online`; and the scheduled poll put off by it.

use super::*;

fn is_alive_timer(s: &MonitorState, id: ResourceId) -> Option<Duration> {
    s.timers.get(key(id, TimerKind::IsAlive))
}

/// Fires the polls (each LooksAlive answering yes) until the scheduled
/// IsAlive, at 210 ms, is queued: it, not begun, and when.
fn scheduled_is_alive(s: &mut MonitorState) -> (CallSpec, Duration) {
    loop {
        let now = s.next_deadline().expect("polls armed");
        assert!(s.fire(now));
        let spec = one_start(&s.take_effects());
        if spec.entry_point == EntryPoint::IsAlive {
            return (spec, now);
        }
        assert!(s.call_started(&spec, now));
        s.call_returned(&spec, Some(Answer::Alive(true)), now);
        let _ = s.take_effects();
    }
}

#[test]
fn a_check_is_refused_unless_online_and_changes_nothing() {
    let (mut s, id) = state();
    let e = s.is_alive_now(id).expect_err("offline");
    assert!(
        matches!(e, MonitorError::NotOnline { state: Offline, .. }),
        "{e}"
    );
    s.request(id, Operation::Online, ms(0)).expect("online");
    let _ = s.take_effects();
    let e = s.is_alive_now(id).expect_err("pending");
    assert!(
        matches!(
            e,
            MonitorError::NotOnline {
                state: OnlinePending,
                ..
            }
        ),
        "{e}"
    );
    assert!(!s.has_effects(), "a refused check decides nothing");
    assert!(matches!(
        s.is_alive_now(ResourceId(9)),
        Err(MonitorError::UnknownResource(_))
    ));
}

#[test]
fn a_check_calls_is_alive_at_once_and_puts_the_scheduled_poll_off() {
    let (mut s, id) = state();
    online(&mut s, id);
    assert_eq!(
        is_alive_timer(&s, id),
        Some(ms(210)),
        "scheduled at 10 + 200 ms"
    );
    let call = s.is_alive_now(id).expect("online");
    let spec = one_start(&s.take_effects());
    assert_eq!((spec.call, spec.entry_point), (call, EntryPoint::IsAlive));
    assert_eq!(is_alive_timer(&s, id), None, "no scheduled poll beside it");
    assert!(s.call_started(&spec, ms(20)));
    s.call_returned(&spec, Some(Answer::Alive(true)), ms(30));
    let fx = s.take_effects();
    assert_eq!(
        resolved(&fx),
        [(call, CallEnd::Answered(Answer::Alive(true)))]
    );
    assert!(events(&fx).is_empty(), "alive: nothing changes");
    assert_eq!(
        is_alive_timer(&s, id),
        Some(ms(230)),
        "one interval after the answer"
    );
}

#[test]
fn checks_asked_together_make_one_call_that_answers_every_host() {
    let (mut s, id) = state();
    online(&mut s, id);
    let first = s.is_alive_now(id).expect("online");
    let spec = one_start(&s.take_effects());
    assert!(s.call_started(&spec, ms(20)));
    let second = s.is_alive_now(id).expect("online");
    assert_eq!(first, second, "the running call answers the second host");
    assert!(starts(&s.take_effects()).is_empty());
    s.call_returned(&spec, Some(Answer::Alive(false)), ms(30));
    let fx = s.take_effects();
    let hosts: Vec<_> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Resolve(c, end, hosts) => Some((*c, *end, *hosts)),
            _ => None,
        })
        .collect();
    assert_eq!(hosts, [(first, CallEnd::Answered(Answer::Alive(false)), 2)]);
    assert_eq!(
        events(&fx),
        [(Online, Failed, Cause::IsAliveFailed, ms(30))]
    );
}

#[test]
fn a_check_takes_over_the_scheduled_is_alive_already_queued() {
    let (mut s, id) = state();
    online(&mut s, id);
    let (scheduled, now) = scheduled_is_alive(&mut s);
    assert!(!s.asked(&scheduled), "not begun yet");
    assert_eq!(s.is_alive_now(id).expect("online"), scheduled.call);
    assert!(s.call_started(&scheduled, now));
    assert!(
        s.asked(&scheduled),
        "begun with a host waiting: made as a check"
    );
    s.call_returned(&scheduled, Some(Answer::Alive(true)), now);
    let fx = s.take_effects();
    assert_eq!(
        resolved(&fx),
        [(scheduled.call, CallEnd::Answered(Answer::Alive(true)))],
        "the host learns the scheduled call's answer"
    );
}

#[test]
fn a_check_asked_while_looks_alive_runs_waits_for_it() {
    let (mut s, id) = state();
    online(&mut s, id);
    assert!(s.fire(ms(60)));
    let looks = one_start(&s.take_effects());
    assert!(s.call_started(&looks, ms(60)));
    let call = s.is_alive_now(id).expect("online");
    assert!(
        starts(&s.take_effects()).is_empty(),
        "never two entry points at once"
    );
    s.call_returned(&looks, Some(Answer::Alive(false)), ms(61));
    let spec = one_start(&s.take_effects());
    assert_eq!(
        (spec.call, spec.entry_point),
        (call, EntryPoint::IsAlive),
        "the looks-dead IsAlive is the host's check: one call, not two"
    );
}

#[test]
fn a_queued_check_ends_with_the_terminate_that_overtakes_it() {
    let (mut s, id) = state();
    online(&mut s, id);
    assert!(s.fire(ms(60)));
    let looks = one_start(&s.take_effects());
    assert!(s.call_started(&looks, ms(60)));
    let call = s.is_alive_now(id).expect("online");
    s.terminate_with(id, Reason::Requested).expect("callable");
    let fx = s.take_effects();
    assert_eq!(resolved(&fx), [(call, CallEnd::Terminating)]);
    assert!(matches!(
        s.is_alive_now(id),
        Err(MonitorError::Terminating(_))
    ));
    assert!(!s.has_effects());
}

#[test]
fn a_check_asked_while_a_scheduled_is_alive_runs_makes_its_own_call_after_it() {
    let (mut s, id) = state();
    online(&mut s, id);
    let (scheduled, now) = scheduled_is_alive(&mut s);
    assert!(s.call_started(&scheduled, now));
    assert!(!s.asked(&scheduled), "a scheduled poll");
    // It may answer from what the resource keeps between polls: the check
    // waits for it, then makes its own.
    let call = s.is_alive_now(id).expect("online");
    assert_ne!(call, scheduled.call);
    assert!(starts(&s.take_effects()).is_empty(), "never two at once");
    assert_eq!(
        s.is_alive_now(id).expect("online"),
        call,
        "a second host joins it"
    );
    s.call_returned(&scheduled, Some(Answer::Alive(true)), now);
    let spec = one_start(&s.take_effects());
    assert_eq!(spec.call, call);
    assert!(s.call_started(&spec, now));
    assert!(s.asked(&spec));
}
