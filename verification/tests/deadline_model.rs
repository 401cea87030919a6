//! Model-based property test of deadlines on real threads: random
//! workers (a deadline already passed, one that never comes within the
//! test, or none; a routine that sleeps until terminate or returns at
//! once), random requests with random reasons from the test thread, and a
//! small reference model of what the routine must see:
//!
//! - no request and a passed deadline: `DeadlinePassed`;
//! - a request and no passed deadline: the first request's reason;
//! - both: whichever was first, and the request's own result says which
//!   (`First`: its reason; `AlreadyRequested(r)`: `r` is `DeadlinePassed`);
//! - a routine that returns at once with a far deadline is never
//!   terminated, and `Context::deadline` is the deadline given;
//! - a passed deadline is seen by the routine's first look (it is
//!   requested before the routine starts, unless a request came first).
//!
//! Each case runs on a worker of its own or as a pool's job
//! (`Pool::spawn_with_deadline`), against the same reference.
//!
//! `PROPTEST_CASES` sets the number of cases.

use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use clusworker::pool::{Pool, PoolWorker};
use clusworker::{Builder, Reason, Request, Worker};
use proptest::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Limit {
    None,
    /// Already passed at the spawn.
    Passed,
    /// An hour away: never within the test.
    Far,
}

#[derive(Debug, Clone, Copy)]
struct Case {
    limit: Limit,
    /// The routine returns at once instead of sleeping until terminate.
    returns: bool,
    /// Requests with these codes, in order, before the join.
    requests: [Option<u32>; 2],
    /// A pool's job instead of a worker.
    pooled: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop_oneof![Just(Limit::None), Just(Limit::Passed), Just(Limit::Far)],
        any::<bool>(),
        [
            proptest::option::of(any::<u32>()),
            proptest::option::of(any::<u32>()),
        ],
        any::<bool>(),
    )
        .prop_map(|(limit, returns, requests, pooled)| Case {
            limit,
            returns,
            requests,
            pooled,
        })
}

/// What the routine saw: its deadline, and its reason when it returned.
type Seen = (Option<Instant>, Option<Reason>);

/// A worker or a pool's job, as the case says.
enum Handle {
    Worker(Worker<Seen>),
    Job(PoolWorker<Seen>),
}

impl Handle {
    fn request_terminate_with(&self, reason: Reason) -> Request {
        match self {
            Handle::Worker(w) => w.request_terminate_with(reason),
            Handle::Job(j) => j.request_terminate_with(reason),
        }
    }

    fn request_terminate(&self) -> Request {
        match self {
            Handle::Worker(w) => w.request_terminate(),
            Handle::Job(j) => j.request_terminate(),
        }
    }

    fn join(self) -> thread::Result<Seen> {
        match self {
            Handle::Worker(w) => w.join(),
            Handle::Job(j) => j.join(),
        }
    }
}

/// One pool for every pooled case (its threads live for the test).
fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool::new(2).expect("a pool"))
}

fn spawn(c: Case, at: Instant) -> Handle {
    let routine = move |ctx: &clusworker::Context| {
        if !c.returns {
            while ctx.sleep(Duration::MAX).is_ok() {}
        }
        (ctx.deadline(), ctx.reason())
    };
    match (c.pooled, c.limit) {
        (false, Limit::None) => Handle::Worker(Builder::new().spawn(routine).expect("spawn")),
        (false, Limit::Passed | Limit::Far) => {
            Handle::Worker(Builder::new().deadline(at).spawn(routine).expect("spawn"))
        }
        (true, Limit::None) => Handle::Job(pool().spawn(routine)),
        (true, Limit::Passed | Limit::Far) => {
            Handle::Job(pool().spawn_with_deadline(at, routine).expect("spawn"))
        }
    }
}

fn check(c: Case) -> Result<(), TestCaseError> {
    let now = Instant::now();
    let at = match c.limit {
        Limit::Far => now + Duration::from_secs(3600),
        Limit::None | Limit::Passed => now,
    };
    let w = spawn(c, at);
    let mut first: Option<Request> = None;
    let mut first_code = None;
    for code in c.requests.into_iter().flatten() {
        let r = w.request_terminate_with(Reason::User(code));
        if first.is_none() {
            first = Some(r);
            first_code = Some(code);
        }
    }
    let sleeping = !c.returns;
    // A sleeping routine with no request and no passed deadline would never
    // return: the model's one request that must come, as `Drop` would.
    if sleeping && first.is_none() && c.limit != Limit::Passed {
        first = Some(w.request_terminate());
    }
    let (deadline, reason) = w.join().expect("no panic");
    let given = (c.limit != Limit::None).then_some(at);
    prop_assert_eq!(deadline, given, "Context::deadline is the one given");
    let deadline_won = match first {
        None => true,
        Some(Request::First | Request::AlreadyExited) => false,
        Some(Request::AlreadyRequested(r)) => {
            prop_assert_eq!(r, Reason::DeadlinePassed, "only the deadline comes before");
            prop_assert_eq!(c.limit, Limit::Passed);
            true
        }
    };
    if c.returns {
        if c.limit == Limit::Passed {
            prop_assert!(reason.is_some(), "a passed deadline is seen at once");
        }
        // Read before the routine returned: a request may come after it.
        if let Some(r) = reason {
            if deadline_won {
                prop_assert_eq!(r, Reason::DeadlinePassed);
            } else {
                prop_assert_ne!(r, Reason::DeadlinePassed);
            }
        }
        if c.limit == Limit::Far && first.is_none() {
            prop_assert_eq!(reason, None, "a far deadline never fires");
        }
        if c.limit == Limit::Far {
            prop_assert_ne!(reason, Some(Reason::DeadlinePassed));
        }
        return Ok(());
    }
    let expected = if deadline_won {
        Reason::DeadlinePassed
    } else {
        match first_code {
            Some(code) => Reason::User(code),
            None => Reason::Requested,
        }
    };
    prop_assert_eq!(reason, Some(expected), "the first one's reason");
    Ok(())
}

proptest! {
    #[test]
    fn deadlines_and_requests_against_the_reference(c in case()) {
        check(c)?;
    }
}
