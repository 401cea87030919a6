//! Model-based property test: random sequences of operations on the worker
//! word and its result cell (`clusworker-core` on the Linux futex platform,
//! single-threaded) against a small reference model of the Windows
//! semantics. `PROPTEST_CASES` sets the number of cases (CI: 10 000).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use clusworker_core::{Last, Reason, Request, Sleep, State, TakeError, TimedOut, WorkerCell};
use clusworker_posix::{Condvar, Futex};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    RequestTerminate,
    /// `request_terminate_with`: only the first request's reason counts.
    RequestTerminateWith(Reason),
    /// `reason()`: `None` before any request, then the first one's.
    Reason,
    CheckTerminate,
    SleepZero,
    WaitExitedZero,
    Complete(u32),
    Take,
    Release,
    State,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => Just(Op::RequestTerminate),
        2 => reason().prop_map(Op::RequestTerminateWith),
        2 => Just(Op::Reason),
        2 => Just(Op::CheckTerminate),
        1 => Just(Op::SleepZero),
        1 => Just(Op::WaitExitedZero),
        3 => any::<u32>().prop_map(Op::Complete),
        2 => Just(Op::Take),
        1 => Just(Op::Release),
        1 => Just(Op::State),
    ]
}

/// Every kind of reason, and user codes from the edges of `u32` and the
/// middle.
fn reason() -> impl Strategy<Value = Reason> {
    prop_oneof![
        Just(Reason::Requested),
        Just(Reason::HandleDropped),
        Just(Reason::DeadlinePassed),
        Just(Reason::ParentTerminated),
        Just(Reason::SiblingFailed),
        Just(Reason::PoolShutDown),
        Just(Reason::MonitorShutDown),
        Just(Reason::PendingTimeout),
        prop_oneof![Just(0u32), Just(u32::MAX), any::<u32>()].prop_map(Reason::User),
    ]
}

/// The reference: what `ClusWorker*` and our extensions promise.
#[derive(Debug, Default)]
struct Model {
    /// The first request's reason, once there was one.
    reason: Option<Reason>,
    requested: bool,
    exited: bool,
    taken: bool,
    released: bool,
    value: Option<u32>,
}

/// A result value that counts its drops.
#[derive(Debug)]
struct Counted(u32, Arc<AtomicUsize>);
impl Drop for Counted {
    fn drop(&mut self) {
        self.1.fetch_add(1, SeqCst);
    }
}

fn run<P: clusworker_core::Platform>(ops: &[Op]) -> Result<(), TestCaseError> {
    let drops = Arc::new(AtomicUsize::new(0));
    let mut made = 0usize;
    let cell: WorkerCell<P, Counted> = WorkerCell::new();
    let mut m = Model::default();
    for op in ops {
        match *op {
            Op::RequestTerminate | Op::RequestTerminateWith(_) => {
                let given = match *op {
                    Op::RequestTerminateWith(r) => r,
                    _ => Reason::Requested,
                };
                let want = match m.reason {
                    Some(first) => Request::AlreadyRequested(first),
                    None if m.exited => Request::AlreadyExited,
                    None => Request::First,
                };
                m.requested = true;
                let first = *m.reason.get_or_insert(given);
                let got = match *op {
                    Op::RequestTerminateWith(r) => cell.word().request_terminate_with(r),
                    _ => cell.word().request_terminate(),
                };
                prop_assert_eq!(got, want);
                prop_assert_eq!(cell.word().reason(), Some(first));
            }
            Op::Reason => prop_assert_eq!(cell.word().reason(), m.reason),
            Op::CheckTerminate => prop_assert_eq!(cell.word().check_terminate(), m.requested),
            Op::SleepZero => {
                let want = if m.requested {
                    Sleep::Terminated
                } else {
                    Sleep::Elapsed
                };
                prop_assert_eq!(cell.word().sleep(Duration::ZERO), want);
            }
            Op::WaitExitedZero => {
                let want = if m.exited { Ok(()) } else { Err(TimedOut) };
                prop_assert_eq!(cell.word().wait_exited(Some(Duration::ZERO)), want);
            }
            Op::Complete(v) => {
                made += 1;
                let got = cell.complete(Counted(v, drops.clone()));
                if m.exited {
                    prop_assert!(
                        matches!(&got, Err(Counted(x, _)) if *x == v),
                        "second complete must hand the value back: {got:?}"
                    );
                } else {
                    let want = if m.released { Last::Yes } else { Last::No };
                    prop_assert!(
                        matches!(got, Ok(l) if l == want),
                        "complete: want {want:?}, got {got:?}"
                    );
                    m.exited = true;
                    m.value = Some(v);
                }
            }
            Op::Take => {
                let got = cell.take().map(|c| c.0);
                let want = if !m.exited {
                    Err(TakeError::NotExited)
                } else if m.taken {
                    Err(TakeError::AlreadyTaken)
                } else {
                    m.taken = true;
                    Ok(m.value.expect("exited means a value"))
                };
                prop_assert_eq!(got, want);
            }
            Op::Release => {
                let want = if !m.released && m.exited {
                    Last::Yes
                } else {
                    Last::No
                };
                m.released = true;
                prop_assert_eq!(cell.release(), want);
            }
            Op::State => {
                let want = if m.exited {
                    State::Exited
                } else if m.requested {
                    State::Terminating
                } else {
                    State::Running
                };
                prop_assert_eq!(cell.word().state(), want);
            }
        }
    }
    drop(cell);
    // Every value made was dropped exactly once: returned ones by the test,
    // taken ones by the test, the unclaimed one by the cell.
    prop_assert_eq!(drops.load(SeqCst), made);
    Ok(())
}

proptest! {
    #[test]
    fn word_matches_the_reference_model_on_the_futex(ops in proptest::collection::vec(op(), 0..40)) {
        run::<Futex>(&ops)?;
    }

    #[test]
    fn word_matches_the_reference_model_on_the_condvar(ops in proptest::collection::vec(op(), 0..40)) {
        run::<Condvar>(&ops)?;
    }
}
