//! A resource's life around its calls: reports against expiries,
//! removal, shut-down, the timers left behind, the events' instants.

use super::*;

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
