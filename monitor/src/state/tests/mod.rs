//! Deterministic scenarios of the pure state: no threads, no clock. Each
//! drives `MonitorState` with explicit times and checks the effects it
//! decided. This file holds the shared helpers.

mod beat;
mod calls;
mod check;
mod lifecycle;
mod polls;
mod signal;

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::machine::{Outcome, ResourceState::*};
use crate::types::EscalationReason;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// PendingTimeout 100 ms, DeadlockTimeout 300 ms; polls every 50 / 200 ms.
fn state() -> (MonitorState, ResourceId) {
    let polls = Polls {
        looks_alive: Some(ms(50)),
        is_alive: Some(ms(200)),
    };
    let mut s = MonitorState::new(polls);
    let timeouts = Timeouts::new(ms(100), ms(300)).expect("valid timeouts");
    let id = s.add(Arc::from("disk"), timeouts);
    (s, id)
}

/// The calls to start among `effects`.
fn starts(effects: &[Effect]) -> Vec<CallSpec> {
    let starts = effects.iter().filter_map(|e| match e {
        Effect::Start(s) => Some(*s),
        _ => None,
    });
    starts.collect()
}

/// The (from, to, cause, at) of the events among `effects`.
fn events(effects: &[Effect]) -> Vec<(ResourceState, ResourceState, Cause, Duration)> {
    let events = effects.iter().filter_map(|e| match e {
        Effect::Event(e) => Some((e.from, e.to, e.cause, e.at)),
        _ => None,
    });
    events.collect()
}

/// The reasons the events among `effects` carry.
fn reasons(effects: &[Effect]) -> Vec<Option<Reason>> {
    let events = effects.iter().filter_map(|e| match e {
        Effect::Event(e) => Some(e.reason),
        _ => None,
    });
    events.collect()
}

fn resolved(effects: &[Effect]) -> Vec<(CallId, CallEnd)> {
    let r = effects.iter().filter_map(|e| match e {
        Effect::Resolve(c, end, _) => Some((*c, *end)),
        _ => None,
    });
    r.collect()
}

/// The one call `effects` start.
#[track_caller]
fn one_start(effects: &[Effect]) -> CallSpec {
    match starts(effects).as_slice() {
        [s] => *s,
        other => panic!("expected one call to start, got {other:?}"),
    }
}

/// Brings `id` online with `Online` returning `Done` at 10 ms.
fn online(s: &mut MonitorState, id: ResourceId) {
    s.request(id, Operation::Online, ms(0)).expect("online");
    let call = one_start(&s.take_effects());
    assert!(s.call_started(&call, ms(1)));
    s.call_returned(&call, Some(Answer::Outcome(Outcome::Done)), ms(10));
    let _ = s.take_effects();
    assert_eq!(s.info(id, Duration::ZERO).expect("known").state, Online);
}
