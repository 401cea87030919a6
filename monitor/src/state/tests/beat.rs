//! Heartbeats taken by the lock-free path (the operation's word), folded
//! into the state when it decides.

use super::*;
use crate::beat::Held;

/// `Online` returned `Pending` at 2 ms; the worker's word, and the call.
fn pending(s: &mut MonitorState, id: ResourceId) -> (Held, CallSpec) {
    begin(s, id, Operation::Online, [0, 1, 2])
}

/// `id`'s operation `op` requested, its call begun and returned `Pending`
/// at the three times given (ms): a holder of its word, and the call.
fn begin(s: &mut MonitorState, id: ResourceId, op: Operation, at: [u64; 3]) -> (Held, CallSpec) {
    s.request(id, op, ms(at[0])).expect("allowed");
    let call = *starts(&s.take_effects()).last().expect("its call");
    assert!(s.call_started(&call, ms(at[1])));
    s.call_returned(&call, Some(Answer::Outcome(Outcome::Pending)), ms(at[2]));
    let _ = s.take_effects();
    // SAFETY: every test here drops its holders before its state (declared
    // before them).
    let beat = unsafe { s.hold_beat(id, call.generation) }.expect("pending: a word");
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
    // SAFETY: dropped at once.
    assert!(unsafe { s.hold_beat(id, 0) }.is_none());
}

/// `id`'s operation `op`, begun and returned `Pending` at `at` ms.
fn begin_pending(s: &mut MonitorState, id: ResourceId, op: Operation, at: u64) -> (Held, CallSpec) {
    begin(s, id, op, [at; 3])
}

#[test]
fn a_word_still_held_is_not_reopened_the_next_operation_takes_a_spare() {
    let (mut s, id) = state();
    // The online operation's handle is kept (to signal a failure later).
    let kept = online_kept(&mut s, id);
    let (offline, call) = begin_pending(&mut s, id, Operation::Offline, 3);
    assert_eq!(s.beats.spares(), 1, "the own word is held: a spare");
    assert!(
        !kept.heartbeat_at(1, 4, 4),
        "the online operation is over: its word stays closed"
    );
    assert!(offline.heartbeat_at(1, 4, 4), "the spare is the offline's");
    let info = s.info(id, ms(4)).expect("known");
    assert_eq!((info.state, info.checkpoint), (OfflinePending, Some(1)));
    assert!(
        offline.left().is_some(),
        "the spare's handle knows its deadline"
    );
    // Both handles go and the offline ends: the next operation opens the
    // own word again.
    drop((kept, offline));
    let r = s.report(id, call.generation, Offline, 2, ms(5));
    assert_eq!(r, Ok(ExitState::Continue));
    let (online, _) = begin_pending(&mut s, id, Operation::Online, 6);
    assert_eq!(s.entry(id).expect("known").spare(), None, "its own word");
    assert!(online.heartbeat_at(1, 7, 7));
    assert_eq!(s.beats.spares(), 1);
}

/// Online, with the online operation's handle kept.
fn online_kept(s: &mut MonitorState, id: ResourceId) -> Held {
    let (kept, call) = pending(s, id);
    let r = s.report(id, call.generation, Online, 1, ms(2));
    assert_eq!(r, Ok(ExitState::Continue));
    let _ = s.take_effects();
    kept
}

#[test]
fn a_spare_given_back_is_reused_once_nobody_holds_it() {
    let (mut s, id) = state();
    let kept = online_kept(&mut s, id); // holds the own word for good
    for round in 0..4 {
        let at = 10 * (round + 1);
        let op = if round % 2 == 0 {
            Operation::Offline
        } else {
            Operation::Online
        };
        let (held, call) = begin_pending(&mut s, id, op, at);
        assert!(held.heartbeat_at(1, at + 1, at + 1), "round {round}");
        assert!(!kept.heartbeat_at(round as u32 + 2, at + 1, at + 1));
        drop(held);
        // The operation ends by its report: the spare is given back.
        let target = match op {
            Operation::Online => Online,
            Operation::Offline => Offline,
        };
        let r = s.report(id, call.generation, target, 2, ms(at + 2));
        assert_eq!(r, Ok(ExitState::Continue));
        let _ = s.take_effects();
    }
    assert_eq!(s.beats.spares(), 1, "one spare, reused every round");
}
