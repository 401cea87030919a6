//! Heartbeats taken by the lock-free path (the operation's word), folded
//! into the state when it decides.

use super::*;

/// `Online` returned `Pending` at 2 ms; the worker's word, and the call.
fn pending(s: &mut MonitorState, id: ResourceId) -> (Arc<Beat>, CallSpec) {
    s.request(id, Operation::Online, ms(0)).expect("online");
    let call = one_start(&s.take_effects());
    assert!(s.call_started(&call, ms(1)));
    s.call_returned(&call, Some(Answer::Outcome(Outcome::Pending)), ms(2));
    let _ = s.take_effects();
    let beat = s
        .beat(id, call.generation)
        .expect("a pending operation has a word");
    (beat, call)
}

#[test]
fn a_lock_free_heartbeat_moves_the_deadline_the_timer_then_honours() {
    let (mut s, id) = state();
    let (beat, _) = pending(&mut s, id);
    assert!(beat.heartbeat_at(1, 60, 60), "taken");
    assert!(!s.has_effects(), "no lock, no decision");
    // The heartbeat timer was set for 102 ms by the `Pending` return: it
    // fires, folds, and is set again at the deadline the heartbeat moved
    // it to.
    assert_eq!(s.next_deadline(), Some(ms(102)));
    while s.fire(ms(102)) {}
    assert!(events(&s.take_effects()).is_empty(), "not expired");
    let info = s.info(id, ms(102)).expect("known");
    assert_eq!((info.state, info.checkpoint), (OnlinePending, Some(1)));
    assert_eq!(info.deadline, Some(ms(160)));
    assert_eq!(s.next_deadline(), Some(ms(160)));
}

#[test]
fn an_expiry_closes_the_word_and_a_later_heartbeat_is_refused_by_the_locked_path() {
    let (mut s, id) = state();
    let (beat, call) = pending(&mut s, id);
    while s.fire(ms(102)) {}
    let fx = s.take_effects();
    let cause = Cause::HeartbeatExpired;
    assert_eq!(events(&fx), [(OnlinePending, Failed, cause, ms(102))]);
    assert!(!beat.heartbeat_at(1, 103, 103), "closed: not taken");
    let r = s.report(id, call.generation, OnlinePending, 1, ms(103));
    assert_eq!(r, Err(StatusError::Ended));
}

#[test]
fn near_its_deadline_a_heartbeat_is_left_to_the_locked_path() {
    let (mut s, id) = state();
    let (beat, call) = pending(&mut s, id);
    // Stamped 0 ms at the start; PendingTimeout 100 ms, reset at 2 ms.
    assert!(
        !beat.heartbeat_at(1, 99, 99),
        "perhaps late: not judged here"
    );
    // The locked path knows the deadline exactly (2 + 100 ms) and takes it,
    // and the word learns it.
    let r = s.report(id, call.generation, OnlinePending, 1, ms(99));
    assert_eq!(r, Ok(ExitState::Continue));
    assert!(
        !beat.heartbeat_at(1, 100, 100),
        "a stale checkpoint, for both paths"
    );
    assert!(
        beat.heartbeat_at(2, 100, 100),
        "from the new stamp: in time"
    );
}

#[test]
fn a_heartbeat_of_an_ended_operation_or_a_stale_checkpoint_is_not_taken() {
    let (mut s, id) = state();
    let (beat, _) = pending(&mut s, id);
    assert!(beat.heartbeat_at(3, 10, 10));
    assert!(!beat.heartbeat_at(3, 11, 11), "not above the last");
    assert!(!beat.heartbeat_at(2, 11, 11));
    s.terminate_with(id, Reason::Requested).expect("terminate");
    assert!(
        !beat.heartbeat_at(4, 12, 12),
        "terminated: the word is closed"
    );
    assert!(s.beat(id, 0).is_none());
}
