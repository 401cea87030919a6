//! Property test of the public `Worker` API from real threads: random
//! routines (returning, sleeping until terminate, polling, panicking,
//! ignoring terminate for a while), 1–3 threads calling random operations
//! after random delays, and the promises that must hold whatever the
//! interleaving: at most one `First`, exactly one when only `terminate` is
//! used, no hang, the result or panic always delivered by `join`.
//! `PROPTEST_CASES` sets the number of cases (CI: 10 000).

use std::sync::Arc;
use std::time::Duration;

use clusworker::{State, Terminate, WaitError, Worker};
use proptest::prelude::*;

#[derive(Debug, Clone, Copy)]
enum Routine {
    Return,
    SleepUntilTerminate,
    Poll,
    Panic,
    /// Ignores terminate for this many microseconds, then returns.
    Stubborn(u64),
}

#[derive(Debug, Clone, Copy)]
enum Call {
    Terminate,
    TerminateTimeout(u64),
    WaitTimeout(u64),
    State,
}

fn routine() -> impl Strategy<Value = Routine> {
    prop_oneof![
        Just(Routine::Return),
        Just(Routine::SleepUntilTerminate),
        Just(Routine::Poll),
        Just(Routine::Panic),
        (0u64..300).prop_map(Routine::Stubborn),
    ]
}

fn call() -> impl Strategy<Value = Call> {
    prop_oneof![
        3 => Just(Call::Terminate),
        1 => (0u64..200).prop_map(Call::TerminateTimeout),
        1 => (0u64..200).prop_map(Call::WaitTimeout),
        1 => Just(Call::State),
    ]
}

fn spawn(r: Routine) -> Worker<u32> {
    Worker::spawn(move |ctx| match r {
        Routine::Return => 1,
        Routine::SleepUntilTerminate => {
            while ctx.sleep(Duration::MAX).is_ok() {}
            2
        }
        Routine::Poll => {
            while !ctx.check_terminate() {
                std::thread::yield_now();
            }
            3
        }
        // `resume_unwind` unwinds without the panic hook: no noise in the log.
        Routine::Panic => std::panic::resume_unwind(Box::new("routine panicked on purpose")),
        Routine::Stubborn(us) => {
            std::thread::sleep(Duration::from_micros(us));
            4
        }
    })
    .expect("spawn")
}

fn expected(r: Routine) -> Option<u32> {
    match r {
        Routine::Return => Some(1),
        Routine::SleepUntilTerminate => Some(2),
        Routine::Poll => Some(3),
        Routine::Panic => None,
        Routine::Stubborn(_) => Some(4),
    }
}

proptest! {
    // Real threads are slow: 64 cases unless PROPTEST_CASES says otherwise.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64),
    ))]

    #[test]
    fn worker_keeps_its_promises_under_random_calls(
        r in routine(),
        calls in proptest::collection::vec((0u64..300, call()), 1..=3),
    ) {
        let w = Arc::new(spawn(r));
        let callers: Vec<_> = calls
            .iter()
            .map(|&(delay, c)| {
                let w = w.clone();
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_micros(delay));
                    match c {
                        Call::Terminate => Some(w.terminate()),
                        Call::TerminateTimeout(us) => {
                            let res = w.terminate_timeout(Duration::from_micros(us));
                            assert!(matches!(res, Ok(()) | Err(WaitError::TimedOut)), "{res:?}");
                            if res.is_ok() {
                                assert_eq!(w.state(), State::Exited);
                            }
                            None
                        }
                        Call::WaitTimeout(us) => {
                            let res = w.wait_timeout(Duration::from_micros(us));
                            if res.is_ok() {
                                assert_eq!(w.state(), State::Exited);
                            }
                            None
                        }
                        Call::State => {
                            let _ = w.state();
                            None
                        }
                    }
                })
            })
            .collect();
        let results: Vec<Option<Terminate>> = callers
            .into_iter()
            .map(|h| h.join().expect("a caller panicked"))
            .collect();
        let firsts = results.iter().filter(|r| **r == Some(Terminate::First)).count();
        prop_assert!(firsts <= 1, "more than one First: {results:?}");
        let only_terminate = calls.iter().all(|(_, c)| matches!(c, Call::Terminate));
        if only_terminate {
            prop_assert_eq!(firsts, 1, "one terminate must be First: {:?}", results);
        }
        let w = Arc::try_unwrap(w).expect("callers are gone");
        // A terminated routine that polls or sleeps exits; so does every other.
        let joined = if matches!(r, Routine::SleepUntilTerminate | Routine::Poll) {
            let _ = w.terminate();
            w.join()
        } else {
            w.join()
        };
        match expected(r) {
            Some(v) => prop_assert_eq!(joined.ok(), Some(v)),
            None => prop_assert!(joined.is_err(), "the panic must reach join"),
        }
    }
}
