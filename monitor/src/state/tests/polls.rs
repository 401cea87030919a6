//! Health polls: never overlapping another call, skipped when due
//! while one runs, and what a failed poll leads to.

use super::*;

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
