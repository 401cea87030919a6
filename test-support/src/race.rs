//! Races: a [`StartLine`], the [`Rng`] that varies them reproducibly, and
//! the rule of a deadline racing a request.

use std::hint::spin_loop;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::thread;
use std::time::Instant;

use clusworker_core::{Reason, Request};

use crate::bounds::LONG;

/// A small deterministic generator (xorshift64*), for reproducible mixes.
///
/// # Examples
///
/// ```
/// use clusworker_test_support::Rng;
/// let (mut a, mut b) = (Rng::new(7), Rng::new(7));
/// assert_eq!(a.next(), b.next());
/// assert!(a.below(10) < 10);
/// ```
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator whose sequence `seed` decides.
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    /// The next number.
    #[allow(clippy::should_implement_trait)] // not an iterator: never ends
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A start line for racing threads: each one spins (it does not park) until
/// all have arrived, so that they leave together and really race. A
/// `Barrier` wakes its waiters one after another, microseconds apart, which
/// hides narrow races.
///
/// # Examples
///
/// ```
/// use clusworker_test_support::StartLine;
/// let line = StartLine::new(2);
/// std::thread::scope(|s| {
///     s.spawn(|| line.wait());
///     line.wait();
/// });
/// ```
#[derive(Debug)]
pub struct StartLine {
    arrived: AtomicUsize,
    runners: usize,
}

impl StartLine {
    /// A start line for `runners` threads.
    pub fn new(runners: usize) -> StartLine {
        StartLine {
            arrived: AtomicUsize::new(0),
            runners,
        }
    }

    /// Arrives, and returns once every runner has.
    #[track_caller]
    pub fn wait(&self) {
        self.arrived.fetch_add(1, SeqCst);
        let start = Instant::now();
        let mut spins = 0u32;
        while self.arrived.load(SeqCst) < self.runners {
            spin_loop();
            spins = spins.wrapping_add(1);
            if spins % 1024 == 0 {
                // Let the runners that are not on a CPU arrive.
                thread::yield_now();
                assert!(start.elapsed() < LONG, "the other runners never arrived");
            }
        }
    }
}

/// Checks one round of a deadline racing a request with
/// `Reason::User(round)` (a worker's or a pool job's, whose routine only
/// polls): `mine` is the request's result, `seen` the reason the routine
/// read. Exactly one was first, and the routine saw that one's reason.
///
/// # Panics
///
/// When the round breaks that rule, naming it.
pub fn assert_first_of_deadline_and_request(mine: Request, seen: Option<Reason>, round: u32) {
    match mine {
        Request::First => assert_eq!(seen, Some(Reason::User(round)), "round {round}"),
        Request::AlreadyRequested(first) => {
            assert_eq!(first, Reason::DeadlinePassed, "round {round}");
            assert_eq!(seen, Some(Reason::DeadlinePassed), "round {round}");
        }
        Request::AlreadyExited => panic!("round {round}: the poller exits only when asked"),
    }
}
