//! Whole random sequences of host calls, reports, call threads and time,
//! played on the pure state, with the rules checked after every step:
//!
//! - no two entry points other than `Terminate` ever run at once for one
//!   resource (a call declared hung still runs until it returns), and no
//!   call at all is begun for an isolated resource;
//! - every call a host waits for is resolved exactly once, for as many
//!   hosts as wait for it (health checks asked together share a call);
//! - a health check is taken only while the resource is `Online`, and is
//!   never answered by a scheduled poll that had begun without it;
//! - the events of each resource chain (each `from` is the previous `to`,
//!   from `Offline`), and the last one's `to` is the state the monitor
//!   shows;
//! - never more than five timers per resource, and none once a resource
//!   is settled with nothing running;
//! - a refused host call decides nothing;
//! - a heartbeat through a kept handle is taken only while its own
//!   operation is the one pending: a word still held is never reopened for
//!   a later operation (which then takes a spare).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;

use super::*;
use crate::machine::Outcome;

const RESOURCES: usize = 2;

#[derive(Debug, Clone)]
enum Step {
    Request(usize, Operation),
    Terminate(usize),
    /// The host's health check (`is_alive_now`).
    Check(usize),
    Remove(usize),
    /// A worker reports for the latest operation of the resource.
    Report(usize, ResourceState, u32),
    /// A worker's heartbeat through the lock-free path (the word).
    Beat(usize, u32),
    /// A worker keeps the latest operation's handle (its hold on the word)
    /// to the end of the test, as one kept to signal a failure does.
    Keep(usize),
    /// A heartbeat through the `k`-th kept handle, whatever operation of
    /// its resource is current by then.
    KeptBeat(usize, u32),
    /// The resource signals its own failure through the latest operation's
    /// handle.
    Signal(usize),
    /// A call thread begins the `k`-th queued call.
    Begin(usize),
    /// The `k`-th running call returns (`None`: panics).
    Return(usize, Option<bool>),
    /// Time passes; every due timer fires.
    Advance(u64),
}

fn step() -> impl Strategy<Value = Step> {
    let id = 0..RESOURCES;
    let op = prop_oneof![Just(Operation::Online), Just(Operation::Offline)];
    let state = prop_oneof![
        Just(ResourceState::OnlinePending),
        Just(ResourceState::OfflinePending),
        Just(ResourceState::Online),
        Just(ResourceState::Offline),
        Just(ResourceState::Failed),
    ];
    prop_oneof![
        3 => (id.clone(), op).prop_map(|(i, o)| Step::Request(i, o)),
        1 => id.clone().prop_map(Step::Terminate),
        2 => id.clone().prop_map(Step::Check),
        1 => id.clone().prop_map(Step::Remove),
        3 => (id.clone(), state, 0u32..6).prop_map(|(i, s, c)| Step::Report(i, s, c)),
        2 => (id.clone(), 0u32..6).prop_map(|(i, c)| Step::Beat(i, c)),
        1 => id.clone().prop_map(Step::Keep),
        2 => (0usize..4, 0u32..6).prop_map(|(k, c)| Step::KeptBeat(k, c)),
        1 => id.prop_map(Step::Signal),
        4 => (0usize..4).prop_map(Step::Begin),
        4 => (0usize..4, proptest::option::weighted(0.9, any::<bool>()))
            .prop_map(|(k, a)| Step::Return(k, a)),
        3 => (1u64..400).prop_map(Step::Advance),
    ]
}

/// What the test, playing driver and call threads, knows.
#[derive(Default)]
struct World {
    queued: Vec<CallSpec>,
    running: Vec<CallSpec>,
    /// Waited calls not resolved yet: how many hosts wait for each.
    waiting: HashMap<CallId, u8>,
    resolved: HashSet<CallId>,
    /// Handles kept: resource, generation, hold on the word. Dropped with
    /// the world, before the state (declared after it).
    kept: Vec<(usize, u64, crate::beat::Held)>,
    /// By resource: the last event's `to`.
    last: HashMap<usize, ResourceState>,
    /// By resource: the generation of its latest Online/Offline call.
    generation: HashMap<usize, u64>,
    isolated: HashSet<usize>,
    removed: HashSet<usize>,
}

impl World {
    fn absorb(&mut self, s: &mut MonitorState) -> Result<(), TestCaseError> {
        for e in s.take_effects() {
            match e {
                Effect::Start(spec) => {
                    if matches!(spec.entry_point, EntryPoint::Online | EntryPoint::Offline) {
                        self.generation.insert(spec.resource.0, spec.generation);
                    }
                    self.queued.push(spec);
                }
                Effect::Event(ev) => {
                    let i = ev.resource.0;
                    let before = self.last.get(&i).copied().unwrap_or(ResourceState::Offline);
                    prop_assert_eq!(ev.from, before, "events of {} chain", i);
                    self.last.insert(i, ev.to);
                    if matches!(ev.cause, Cause::Escalated(_)) {
                        self.isolated.insert(i);
                    }
                }
                Effect::Resolve(call, _, hosts) => {
                    prop_assert_eq!(
                        self.waiting.remove(&call),
                        Some(hosts),
                        "{:?} resolved once, for every host that waits",
                        call
                    );
                    prop_assert!(self.resolved.insert(call));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn check(&self, s: &mut MonitorState) -> Result<(), TestCaseError> {
        for i in 0..RESOURCES {
            let others = self
                .running
                .iter()
                .filter(|c| c.resource.0 == i && c.entry_point != EntryPoint::Terminate)
                .count();
            prop_assert!(others <= 1, "resource {i}: {others} entry points at once");
            if self.removed.contains(&i) {
                continue;
            }
            let info = s.info(ResourceId(i), Duration::ZERO);
            let state = info
                .map(|i| i.state)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let last = self.last.get(&i).copied().unwrap_or(ResourceState::Offline);
            prop_assert_eq!(state, last, "resource {}: the state is the last event's", i);
        }
        prop_assert!(s.timer_count() <= 5 * RESOURCES);
        Ok(())
    }
}

fn answer_for(ep: EntryPoint, a: bool) -> Answer {
    match ep {
        EntryPoint::Online | EntryPoint::Offline => {
            Answer::Outcome(if a { Outcome::Pending } else { Outcome::Done })
        }
        EntryPoint::Terminate => Answer::Terminated,
        EntryPoint::LooksAlive | EntryPoint::IsAlive => Answer::Alive(a),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(500)
    ))]

    #[test]
    fn random_sequences_keep_every_rule(steps in proptest::collection::vec(step(), 1..80)) {
        let polls = Polls { looks_alive: Some(Duration::from_millis(50)), is_alive: Some(Duration::from_millis(120)) };
        let mut s = MonitorState::new(polls);
        let timeouts = Timeouts::new(Duration::from_millis(100), Duration::from_millis(300))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        for i in 0..RESOURCES {
            s.add(Arc::from(format!("r{i}")), timeouts);
        }
        let mut w = World::default();
        let mut now = Duration::ZERO;
        for step in steps {
            match step {
                Step::Request(i, op) => match s.request(ResourceId(i), op, now) {
                    Ok(call) => prop_assert!(w.waiting.insert(call, 1).is_none(), "a new call"),
                    Err(_) => prop_assert!(!s.has_effects(), "a refused request decides nothing"),
                },
                Step::Terminate(i) => match s.terminate_with(ResourceId(i), Reason::Requested) {
                    Ok(call) => prop_assert!(w.waiting.insert(call, 1).is_none(), "a new call"),
                    Err(_) => prop_assert!(!s.has_effects()),
                },
                Step::Check(i) => {
                    let before = s.info(ResourceId(i), now).map(|r| r.state);
                    match s.is_alive_now(ResourceId(i)) {
                        Ok(call) => {
                            prop_assert_eq!(before.ok(), Some(ResourceState::Online), "checked while not online");
                            if let Some(spec) = w.running.iter().find(|c| c.call == call) {
                                prop_assert!(s.asked(spec), "a check answered by a scheduled poll already begun");
                            }
                            *w.waiting.entry(call).or_insert(0) += 1;
                        }
                        Err(_) => prop_assert!(!s.has_effects(), "a refused check decides nothing"),
                    }
                }
                Step::Remove(i) => {
                    if s.remove(ResourceId(i)).is_ok() {
                        w.removed.insert(i);
                    }
                    prop_assert!(!s.has_effects());
                }
                Step::Report(i, state, cp) => {
                    let g = w.generation.get(&i).copied().unwrap_or(0);
                    let _ = s.report(ResourceId(i), g, state, cp, now);
                }
                Step::Beat(i, cp) => {
                    let g = w.generation.get(&i).copied().unwrap_or(0);
                    // SAFETY: dropped at the end of this block, before `s`.
                    if let Some(beat) = unsafe { s.hold_beat(ResourceId(i), g) } {
                        let ms = now.as_millis() as u64;
                        let taken = beat.heartbeat_at(cp, ms, ms);
                        let state = s.info(ResourceId(i), now).map(|r| r.state);
                        prop_assert!(!taken || matches!(state, Ok(ResourceState::OnlinePending | ResourceState::OfflinePending)),
                            "a heartbeat taken while {state:?}");
                    }
                    prop_assert!(!s.has_effects(), "a lock-free heartbeat decides nothing");
                }
                Step::Keep(i) => {
                    let g = w.generation.get(&i).copied().unwrap_or(0);
                    // SAFETY: kept in `w`, which drops before `s`.
                    if let Some(held) = unsafe { s.hold_beat(ResourceId(i), g) } {
                        w.kept.push((i, g, held));
                    }
                }
                Step::KeptBeat(k, cp) if !w.kept.is_empty() => {
                    let (i, g, ref held) = w.kept[k % w.kept.len()];
                    let ms = now.as_millis() as u64;
                    if held.heartbeat_at(cp, ms, ms) {
                        // SAFETY: dropped at once, before `s`.
                        let current = unsafe { s.hold_beat(ResourceId(i), g) };
                        prop_assert!(current.is_some(),
                            "a heartbeat of resource {i}'s generation {g} taken by a later operation");
                    }
                    prop_assert!(!s.has_effects(), "a lock-free heartbeat decides nothing");
                }
                Step::KeptBeat(..) => {}
                Step::Signal(i) => {
                    let g = w.generation.get(&i).copied().unwrap_or(0);
                    let before = s.info(ResourceId(i), Duration::ZERO).map(|r| r.state);
                    let r = s.signal_failure(ResourceId(i), g, 1, now);
                    if r.is_err() {
                        prop_assert!(!s.has_effects(), "a refused signal decides nothing");
                    } else {
                        prop_assert!(matches!(before, Ok(ResourceState::Online | ResourceState::OnlinePending)),
                            "only an online or onlining resource can signal, was {before:?}");
                    }
                }
                Step::Begin(k) if !w.queued.is_empty() => {
                    let spec = w.queued.remove(k % w.queued.len());
                    if s.call_started(&spec, now) {
                        prop_assert!(!w.isolated.contains(&spec.resource.0) || spec.entry_point == EntryPoint::Terminate,
                            "no call begins for an isolated resource");
                        w.running.push(spec);
                    }
                }
                Step::Return(k, a) if !w.running.is_empty() => {
                    let spec = w.running.remove(k % w.running.len());
                    let answer = a.map(|a| answer_for(spec.entry_point, a));
                    s.call_returned(&spec, answer, now);
                }
                Step::Begin(_) | Step::Return(..) => {}
                Step::Advance(d) => {
                    now += Duration::from_millis(d);
                    while s.fire(now) {}
                }
            }
            w.absorb(&mut s)?;
            w.check(&mut s)?;
        }
        // Every call returns: then every waited call is resolved, and no
        // timer is left but those of the resources still pending or online.
        loop {
            while let Some(spec) = w.queued.pop() {
                if s.call_started(&spec, now) {
                    w.running.push(spec);
                }
                w.absorb(&mut s)?;
            }
            let Some(spec) = w.running.pop() else { break };
            s.call_returned(&spec, Some(answer_for(spec.entry_point, false)), now);
            w.absorb(&mut s)?;
            w.check(&mut s)?;
        }
        prop_assert!(w.waiting.is_empty(), "hosts never resolved: {:?}", w.waiting);
    }
}
