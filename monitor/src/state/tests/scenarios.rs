//! The host's calls, reports, expiries, hung calls and polls.

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
fn a_report_in_time_beats_the_expiry_and_moves_the_heartbeat_without_touching_timers() {
    let (mut s, id) = state();
    s.request(id, Operation::Online, ms(0)).expect("online");
    let call = one_start(&s.take_effects());
    assert!(s.call_started(&call, ms(0)));
    s.call_returned(&call, Some(Answer::Outcome(Outcome::Pending)), ms(0));
    let _ = s.take_effects();
    let g = call.generation;
    // Reports at 99 ms: just in time. The heap is not touched.
    let timers = s.timer_count();
    assert_eq!(
        s.report(id, g, OnlinePending, 1, ms(99)),
        Ok(ExitState::Continue)
    );
    assert!(!s.has_effects(), "a heartbeat decides nothing");
    assert_eq!(s.timer_count(), timers);
    // The old deadline fires: nothing expires, it is set again.
    assert!(s.fire(ms(100)));
    assert_eq!(
        s.info(id, Duration::ZERO).expect("known").state,
        OnlinePending
    );
    assert_eq!(s.next_deadline(), Some(ms(199)));
    // At the new deadline a report is late, and the expiry fails it.
    let late = s.report(id, g, OnlinePending, 2, ms(199));
    assert!(matches!(
        late,
        Err(StatusError::Rejected(
            crate::machine::ReportError::Late { .. }
        ))
    ));
    assert!(s.fire(ms(199)));
    let fx = s.take_effects();
    assert_eq!(
        events(&fx),
        [(OnlinePending, Failed, Cause::HeartbeatExpired, ms(199))]
    );
    assert_eq!(
        reasons(&fx),
        [Some(Reason::PendingTimeout)],
        "the expiry's event says why Terminate is called"
    );
    let terminate = one_start(&fx);
    assert_eq!(terminate.entry_point, EntryPoint::Terminate);
    assert_eq!(terminate.reason, Reason::PendingTimeout);
    // The worker's next report is told to stop.
    assert_eq!(
        s.report(id, g, OnlinePending, 3, ms(200)),
        Err(StatusError::Ended)
    );
    // The monitor's Terminate leaves it Failed.
    assert!(s.call_started(&terminate, ms(201)));
    s.call_returned(&terminate, Some(Answer::Terminated), ms(202));
    assert!(events(&s.take_effects()).is_empty());
    assert_eq!(s.info(id, Duration::ZERO).expect("known").state, Failed);
    assert_eq!(s.timer_count(), 0);
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
fn offline_asked_while_a_poll_runs_waits_for_it_and_never_overlaps() {
    let (mut s, id) = state();
    online(&mut s, id);
    assert!(s.fire(ms(60)), "LooksAlive is due");
    let poll = one_start(&s.take_effects());
    assert_eq!(poll.entry_point, EntryPoint::LooksAlive);
    assert!(s.call_started(&poll, ms(60)));
    // Offline while LooksAlive runs: the operation begins, the call waits.
    let offline = s.request(id, Operation::Offline, ms(61)).expect("online");
    let fx = s.take_effects();
    assert!(starts(&fx).is_empty(), "no call while the poll runs");
    let cause = Cause::Requested(Operation::Offline);
    assert_eq!(events(&fx), [(Online, OfflinePending, cause, ms(61))]);
    // The poll returns: its answer is moot, and Offline starts now.
    s.call_returned(&poll, Some(Answer::Alive(false)), ms(70));
    let fx = s.take_effects();
    let call = one_start(&fx);
    assert_eq!(
        (call.call, call.entry_point),
        (offline, EntryPoint::Offline)
    );
    assert!(events(&fx).is_empty(), "a moot poll fails nothing");
}

#[test]
fn a_poll_due_while_another_call_runs_is_skipped_until_its_next_interval() {
    let (mut s, id) = state();
    online(&mut s, id);
    assert!(s.fire(ms(60)));
    let looks = one_start(&s.take_effects());
    assert!(s.call_started(&looks, ms(60)));
    // IsAlive is due at 210 ms while LooksAlive still runs: skipped.
    while s.next_deadline().is_some_and(|d| d <= ms(210)) {
        assert!(s.fire(ms(210)));
    }
    assert!(starts(&s.take_effects()).is_empty());
    assert_eq!(s.next_deadline(), Some(ms(360)), "IsAlive re-armed");
}

#[test]
fn a_failed_looks_alive_asks_is_alive_at_once_and_a_failed_is_alive_fails() {
    let (mut s, id) = state();
    online(&mut s, id);
    assert!(s.fire(ms(60)));
    let looks = one_start(&s.take_effects());
    assert!(s.call_started(&looks, ms(60)));
    s.call_returned(&looks, Some(Answer::Alive(false)), ms(61));
    let is = one_start(&s.take_effects());
    assert_eq!(is.entry_point, EntryPoint::IsAlive);
    assert!(s.call_started(&is, ms(61)));
    s.call_returned(&is, Some(Answer::Alive(false)), ms(62));
    let fx = s.take_effects();
    assert_eq!(
        events(&fx),
        [(Online, Failed, Cause::IsAliveFailed, ms(62))]
    );
    assert_eq!(s.timer_count(), 0, "no polls once it left Online");
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

#[test]
fn remove_refuses_an_online_resource_and_ignores_calls_that_return_afterwards() {
    let (mut s, id) = state();
    online(&mut s, id);
    assert!(matches!(
        s.remove(id),
        Err(MonitorError::NotRemovable { state: Online, .. })
    ));
    s.request(id, Operation::Offline, ms(20)).expect("online");
    let off = one_start(&s.take_effects());
    assert!(s.call_started(&off, ms(20)));
    s.call_returned(&off, Some(Answer::Outcome(Outcome::Done)), ms(21));
    let _ = s.take_effects();
    s.remove(id).expect("offline: removable");
    assert_eq!(s.timer_count(), 0);
    assert_eq!(s.resource_count(), 0);
    assert!(matches!(
        s.info(id, Duration::ZERO),
        Err(MonitorError::UnknownResource(_))
    ));
    assert_eq!(
        s.report(id, off.generation, OfflinePending, 1, ms(22)),
        Err(StatusError::Ended)
    );
    // A call of it returning late is ignored.
    s.call_returned(&off, Some(Answer::Outcome(Outcome::Done)), ms(23));
    assert!(!s.has_effects());
}

#[test]
fn ten_thousand_online_offline_cycles_leave_no_stale_timer() {
    let (mut s, id) = state();
    let mut now = ms(0);
    for _ in 0..10_000 {
        for op in [Operation::Online, Operation::Offline] {
            s.request(id, op, now).expect("alternating");
            let call = one_start(&s.take_effects());
            assert!(s.call_started(&call, now));
            s.call_returned(&call, Some(Answer::Outcome(Outcome::Done)), now);
            let _ = s.take_effects();
            now += Duration::from_micros(10);
        }
        assert!(s.timer_count() <= 2, "{} timers", s.timer_count());
    }
    assert_eq!(s.timer_count(), 0, "offline: nothing armed");
}

#[test]
fn each_event_carries_the_instant_its_transition_was_decided() {
    let polls = Polls::default();
    let mut s = MonitorState::new(polls);
    let timeouts = Timeouts::new(ms(100), ms(300)).expect("valid timeouts");
    let ids: Vec<_> = (0..3)
        .map(|i| s.add(Arc::from(format!("r{i}")), timeouts))
        .collect();
    for &id in &ids {
        s.request(id, Operation::Online, ms(0)).expect("online");
        let call = one_start(&s.take_effects());
        assert!(s.call_started(&call, ms(0)));
        s.call_returned(&call, Some(Answer::Outcome(Outcome::Pending)), ms(0));
    }
    let _ = s.take_effects();
    // The three expire together; the driver fires them at 100, 101, 102.
    for (k, _) in ids.iter().enumerate() {
        assert!(s.fire(ms(100 + k as u64)));
    }
    let at: Vec<_> = events(&s.take_effects()).iter().map(|e| e.3).collect();
    assert_eq!(at, [ms(100), ms(101), ms(102)]);
}

/// Found by the property test: a `Terminate` that panicked leaves the
/// resource `Failed` while the host still waits for a queued `Online`;
/// removing it then would have left that host waiting for ever.
#[test]
fn remove_is_refused_while_a_host_waits_for_a_call_of_the_resource() {
    let (mut s, id) = state();
    let online = s.request(id, Operation::Online, ms(0)).expect("online");
    let call = one_start(&s.take_effects());
    s.terminate_with(id, Reason::Requested).expect("terminate");
    let terminate = one_start(&s.take_effects());
    assert!(s.call_started(&terminate, ms(1)));
    s.call_returned(&terminate, None, ms(2));
    let _ = s.take_effects();
    assert_eq!(s.info(id, Duration::ZERO).expect("known").state, Failed);
    assert!(matches!(s.remove(id), Err(MonitorError::Busy(_))));
    assert!(!s.call_started(&call, ms(3)), "superseded by the terminate");
    assert_eq!(
        resolved(&s.take_effects()),
        [(online, CallEnd::Terminating)]
    );
    s.remove(id).expect("nothing waited for any more");
}

#[test]
fn a_shut_down_terminates_the_online_and_the_pending_only() {
    let (mut s, online_one) = state();
    let timeouts = Timeouts::new(ms(100), ms(300)).expect("valid timeouts");
    let pending = s.add(Arc::from("pending"), timeouts);
    let offline = s.add(Arc::from("offline"), timeouts);
    let terminating = s.add(Arc::from("terminating"), timeouts);
    online(&mut s, online_one);
    online(&mut s, terminating);
    s.request(pending, Operation::Online, ms(20))
        .expect("online");
    let _ = s.take_effects();
    s.terminate_with(terminating, Reason::Requested)
        .expect("terminate");
    let _ = s.take_effects();
    assert_eq!(
        s.active(),
        [online_one, pending],
        "expected the online and the pending, not {offline:?} (offline) nor \
         {terminating:?} (a Terminate runs)"
    );
    s.terminate_with(online_one, Reason::MonitorShutDown)
        .expect("terminate");
    let t = one_start(&s.take_effects());
    assert_eq!(t.reason, Reason::MonitorShutDown);
    assert!(s.call_started(&t, ms(30)));
    s.call_returned(&t, Some(Answer::Terminated), ms(31));
    let fx = s.take_effects();
    assert_eq!(events(&fx), [(Online, Offline, Cause::Terminated, ms(31))]);
    assert_eq!(reasons(&fx), [Some(Reason::MonitorShutDown)]);
    assert_eq!(s.active(), [pending]);
}
