//! Many workers with random timing: every result arrives, exactly once,
//! whatever the mix of terminate, timeouts, join, drop and detach.

mod common;

use std::collections::VecDeque;
use std::thread;
use std::time::Duration;

use clusworker::{Context, State, Terminate, WaitError, Worker, terminate_all};
use common::{Counted, Drops, GIVE_UP, Rng, bounded, eventually, terminate_exit, watchdog, within};

/// What a stress routine does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Sleeps in short steps until terminated.
    Polite,
    /// Returns by itself after a few short sleeps (or earlier, if terminated).
    Brief,
    /// Like `Brief`, then panics with its value as the payload.
    Panics,
    /// Ignores terminate for a short while, then returns.
    Deaf,
}

impl Kind {
    fn exits_by_itself(self) -> bool {
        self != Kind::Polite
    }
}

fn routine(
    kind: Kind,
    steps: u64,
    step: Duration,
    value: Counted,
) -> impl FnOnce(&Context) -> Counted {
    move |ctx| match kind {
        Kind::Polite => {
            while ctx.sleep(step).is_ok() {}
            value
        }
        Kind::Brief | Kind::Panics => {
            for _ in 0..steps {
                if ctx.sleep(step).is_err() {
                    break;
                }
            }
            if kind == Kind::Panics {
                std::panic::resume_unwind(Box::new(value));
            }
            value
        }
        Kind::Deaf => {
            thread::sleep(step);
            value
        }
    }
}

/// Joins and checks that the value (or the panic payload) is worker `id`'s.
#[track_caller]
fn join_and_check(id: usize, kind: Kind, worker: Worker<Counted>) {
    match common::join(worker) {
        Ok(v) => {
            assert_ne!(kind, Kind::Panics, "worker {id}: expected its panic");
            assert_eq!(v.id, id, "worker {id}: got another worker's result");
        }
        Err(payload) => {
            assert_eq!(
                kind,
                Kind::Panics,
                "worker {id} ({kind:?}) panicked unexpectedly"
            );
            let v = payload
                .downcast::<Counted>()
                .unwrap_or_else(|_| panic!("worker {id}: a foreign panic payload"));
            assert_eq!(v.id, id, "worker {id}: got another worker's payload");
        }
    }
}

/// Ends one worker with a random action.
fn finish(rng: &mut Rng, id: usize, kind: Kind, worker: Worker<Counted>) {
    match rng.below(6) {
        0 => {
            assert_eq!(worker.terminate(), Terminate::First, "worker {id}");
            assert_eq!(worker.state(), State::Exited, "worker {id}");
            join_and_check(id, kind, worker);
        }
        1 => {
            terminate_exit(&worker);
            join_and_check(id, kind, worker);
        }
        2 => {
            // Zero timeouts lose nothing, whatever they return.
            let r = worker.terminate_timeout(Duration::ZERO);
            assert!(
                matches!(r, Ok(()) | Err(WaitError::TimedOut)),
                "worker {id}: {r:?}"
            );
            let r = worker.wait_timeout(Duration::ZERO);
            assert!(
                matches!(r, Ok(()) | Err(WaitError::TimedOut)),
                "worker {id}: {r:?}"
            );
            join_and_check(id, kind, worker);
        }
        3 if kind.exits_by_itself() => join_and_check(id, kind, worker),
        // Nothing would ever terminate a detached polite worker.
        5 if kind.exits_by_itself() => worker.detach(),
        _ => bounded("drop(Worker)", move || drop(worker)),
    }
}

fn seed() -> u64 {
    std::env::var("CLUSWORKER_STRESS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0xC1D5_0000_2024)
}

#[test]
fn five_hundred_workers_with_random_timing_deliver_every_result_exactly_once() {
    let _w = watchdog("five_hundred_workers_with_random_timing_deliver_every_result_exactly_once");
    const WORKERS: usize = 500;
    const IN_FLIGHT: usize = 6;
    let seed = seed();
    println!("seed {seed} (set CLUSWORKER_STRESS_SEED to repeat the mix)");
    let mut rng = Rng::new(seed);
    let drops = Drops::new();
    let mut live: VecDeque<(usize, Kind, Worker<Counted>)> = VecDeque::new();
    for id in 0..WORKERS {
        let kind = [Kind::Polite, Kind::Brief, Kind::Panics, Kind::Deaf][rng.below(4) as usize];
        let step = Duration::from_micros(rng.below(400));
        let steps = rng.below(4);
        let worker = Worker::spawn(routine(kind, steps, step, drops.value(id)))
            .unwrap_or_else(|e| panic!("worker {id}: spawn failed: {e}"));
        live.push_back((id, kind, worker));
        if rng.below(3) == 0 {
            thread::sleep(Duration::from_micros(rng.below(300)));
        }
        while live.len() > IN_FLIGHT || (!live.is_empty() && rng.below(4) == 0) {
            let at = rng.below(live.len() as u64) as usize;
            let (id, kind, worker) = live.remove(at).expect("in range");
            finish(&mut rng, id, kind, worker);
        }
    }
    while let Some((id, kind, worker)) = live.pop_front() {
        finish(&mut rng, id, kind, worker);
    }
    // Detached workers drop their results when they return.
    eventually("every result to be dropped", || drops.count() >= WORKERS);
    thread::sleep(Duration::from_millis(20));
    assert_eq!(
        drops.count(),
        WORKERS,
        "expected every result dropped exactly once"
    );
}

#[test]
fn terminate_all_over_a_random_mix_returns_every_result() {
    let _w = watchdog("terminate_all_over_a_random_mix_returns_every_result");
    let mut rng = Rng::new(seed() ^ 0xA11);
    let drops = Drops::new();
    for round in 0..10 {
        let mixed: Vec<(Kind, Worker<Counted>)> = (0..24)
            .map(|id| {
                let kind =
                    [Kind::Polite, Kind::Brief, Kind::Panics, Kind::Deaf][rng.below(4) as usize];
                let step = Duration::from_micros(rng.below(300));
                let w = Worker::spawn(routine(kind, rng.below(3), step, drops.value(id)))
                    .expect("spawn");
                (kind, w)
            })
            .collect();
        let mixed = bounded("terminate_all", move || {
            let refs: Vec<&Worker<Counted>> = mixed.iter().map(|(_, w)| w).collect();
            assert_eq!(
                within("terminate_all", || terminate_all(&refs, GIVE_UP)),
                Ok(())
            );
            mixed
        });
        for (id, (kind, w)) in mixed.into_iter().enumerate() {
            assert_eq!(w.state(), State::Exited, "round {round}, worker {id}");
            join_and_check(id, kind, w);
        }
        assert_eq!(drops.count(), 24 * (round + 1), "round {round}");
    }
}
