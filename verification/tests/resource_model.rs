//! Model-based property test of the resource state machine
//! (`clusworker_monitor::machine::ResourceMachine`): random sequences of
//! requests, status reports, entry-point returns, health failures,
//! terminations and the passing of time, run against a small reference
//! model of the rules written independently of the implementation.
//!
//! The number of cases is `PROPTEST_CASES` (default 256).

use core::time::Duration;

use clusworker_monitor::machine::{
    Operation, Outcome, Report, ReportError, RequestError, ResourceMachine, ResourceState, Timeouts,
};
use proptest::prelude::*;

/// One step of a sequence.
#[derive(Debug, Clone, Copy)]
enum Step {
    Begin(Operation),
    Report(ResourceState, u32),
    Returned(Operation, Outcome),
    Advance(u64),
    Expire,
    Fail,
    Terminated,
}

/// The reference model: the rules of DESIGN.md §1 as plainly as possible.
#[derive(Debug, Clone, Copy)]
struct Model {
    state: ResourceState,
    /// (operation, last checkpoint, time of the last heartbeat)
    op: Option<(Operation, u32, u64)>,
    /// The effective heartbeat, in ms: min(pending, deadlock).
    heartbeat: u64,
}

/// What the model says a step gives: `Ok(true)` accepted with a state
/// change or heartbeat, `Ok(false)` accepted with no effect, `Err(name)` the
/// rule that rejects it.
type Verdict = Result<bool, &'static str>;

impl Model {
    fn pending_state(op: Operation) -> ResourceState {
        match op {
            Operation::Online => ResourceState::OnlinePending,
            Operation::Offline => ResourceState::OfflinePending,
        }
    }
    fn target(op: Operation) -> ResourceState {
        match op {
            Operation::Online => ResourceState::Online,
            Operation::Offline => ResourceState::Offline,
        }
    }

    fn deadline(&self) -> Option<u64> {
        self.op.map(|(_, _, last)| last + self.heartbeat)
    }

    fn step(&mut self, step: Step, now: u64) -> Verdict {
        use ResourceState::*;
        match step {
            Step::Begin(op) => {
                if self.op.is_some() {
                    return Err("pending");
                }
                let allowed = match op {
                    Operation::Online => matches!(self.state, Offline | Failed | Unknown),
                    Operation::Offline => matches!(self.state, Online | Failed | Unknown),
                };
                if !allowed {
                    return Err("already there");
                }
                self.state = Self::pending_state(op);
                self.op = Some((op, 0, now));
                Ok(true)
            }
            Step::Report(state, cp) => {
                let Some((op, last_cp, _)) = self.op else {
                    return Err("not pending");
                };
                let reachable = state == Failed
                    || state == Self::pending_state(op)
                    || state == Self::target(op);
                if !reachable {
                    return Err("unreachable");
                }
                if self.deadline().is_some_and(|d| now >= d) {
                    return Err("late");
                }
                if state == Self::pending_state(op) {
                    if cp <= last_cp {
                        return Err("stale");
                    }
                    self.op = Some((op, cp, now));
                } else {
                    self.state = state;
                    self.op = None;
                }
                Ok(true)
            }
            Step::Returned(op, ret) => {
                let Some((pending, cp, _)) = self.op else {
                    return Ok(false);
                };
                if pending != op {
                    return Ok(false);
                }
                match ret {
                    Outcome::Done => {
                        self.state = Self::target(op);
                        self.op = None;
                    }
                    Outcome::Failed(_) => {
                        self.state = Failed;
                        self.op = None;
                    }
                    Outcome::Pending => self.op = Some((op, cp, now)),
                }
                Ok(true)
            }
            Step::Advance(_) => Ok(false),
            Step::Expire => {
                if self.deadline().is_some_and(|d| now >= d) {
                    self.state = Failed;
                    self.op = None;
                    Ok(true)
                } else {
                    Ok(false)
                }
            }
            Step::Fail => {
                self.state = Failed;
                self.op = None;
                Ok(true)
            }
            Step::Terminated => {
                self.state = Offline;
                self.op = None;
                Ok(true)
            }
        }
    }
}

fn state() -> impl Strategy<Value = ResourceState> {
    prop::sample::select(ResourceState::ALL.to_vec())
}

fn operation() -> impl Strategy<Value = Operation> {
    prop_oneof![Just(Operation::Online), Just(Operation::Offline)]
}

fn ret() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        Just(Outcome::Done),
        Just(Outcome::Pending),
        Just(Outcome::Failed(5))
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => operation().prop_map(Step::Begin),
        // Mostly pending states with small checkpoints, so that rising,
        // equal and stale checkpoints all happen often.
        6 => (state(), 0u32..8).prop_map(|(s, cp)| Step::Report(s, cp)),
        2 => (operation(), ret()).prop_map(|(o, r)| Step::Returned(o, r)),
        4 => (0u64..120).prop_map(Step::Advance),
        2 => Just(Step::Expire),
        1 => Just(Step::Fail),
        1 => Just(Step::Terminated),
    ]
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

fn rule_of_request(e: RequestError) -> &'static str {
    match e {
        RequestError::Pending { .. } => "pending",
        RequestError::AlreadyThere { .. } => "already there",
        _ => "unknown request error",
    }
}

fn rule_of_report(e: ReportError) -> &'static str {
    match e {
        ReportError::NotPending { .. } => "not pending",
        ReportError::Unreachable { .. } => "unreachable",
        ReportError::StaleCheckpoint { .. } => "stale",
        ReportError::Late { .. } => "late",
        _ => "unknown report error",
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_machine_follows_the_reference_model(
        pending_ms in 10u64..150,
        deadlock_ms in 10u64..150,
        steps in prop::collection::vec(step(), 1..80),
    ) {
        let ms = Duration::from_millis;
        let timeouts = Timeouts::new(ms(pending_ms), ms(deadlock_ms)).expect("both at least 10 ms");
        let mut machine = ResourceMachine::new(timeouts);
        let mut model = Model {
            state: ResourceState::Offline,
            op: None,
            heartbeat: pending_ms.min(deadlock_ms),
        };
        let mut now = 0u64;
        for (i, step) in steps.into_iter().enumerate() {
            if let Step::Advance(dt) = step {
                now += dt;
            }
            let before = machine;
            let expected = model.step(step, now);
            let got: Verdict = match step {
                Step::Begin(op) => machine.begin(op, ms(now)).map(|_| true).map_err(rule_of_request),
                Step::Report(s, cp) => machine.report(s, cp, ms(now)).map(|_| true).map_err(rule_of_report),
                Step::Returned(op, r) => Ok(machine.returned(op, r, ms(now)).is_some()),
                Step::Advance(_) => Ok(false),
                Step::Expire => Ok(machine.expire(ms(now)).is_some()),
                Step::Fail => { machine.fail(); Ok(true) }
                Step::Terminated => { machine.terminated(); Ok(true) }
            };
            prop_assert_eq!(got, expected, "step {} {:?} at {} ms", i, step, now);
            prop_assert_eq!(machine.state(), model.state, "state after step {} {:?}", i, step);
            prop_assert_eq!(machine.deadline(), model.deadline().map(ms), "deadline after step {} {:?}", i, step);
            prop_assert_eq!(
                machine.pending().map(|p| (p.operation, p.checkpoint)),
                model.op.map(|(o, cp, _)| (o, cp))
            );
            // Invariants of the machine itself.
            prop_assert_eq!(machine.state().is_pending(), machine.pending().is_some());
            if got.is_err() {
                prop_assert_eq!(machine, before, "a rejected step changed the machine");
            }
            if let (Some(a), Some(b)) = (before.pending(), machine.pending()) {
                if a.operation == b.operation && before.state() == machine.state() {
                    prop_assert!(machine.deadline() >= before.deadline(), "the heartbeat deadline went back");
                    prop_assert!(b.checkpoint >= a.checkpoint, "the checkpoint went back");
                }
            }
        }
    }

    #[test]
    fn a_report_settles_only_into_what_its_operation_can_reach(
        op in operation(),
        reports in prop::collection::vec((state(), 0u32..5), 1..20),
    ) {
        let mut m = ResourceMachine::new(Timeouts::default());
        if op == Operation::Offline {
            m = ResourceMachine::with_state(ResourceState::Online, Timeouts::default()).expect("settled");
        }
        m.begin(op, Duration::ZERO).expect("allowed");
        for (s, cp) in reports {
            if let Ok(Report::Settled(t)) = m.report(s, cp, Duration::from_millis(1)) {
                prop_assert!(t.to == op.target() || t.to == ResourceState::Failed, "{:?}", t);
            }
        }
    }
}
