//! The tests of a [`Platform`] on real threads: the core protocol
//! (`WorkerWord`, `WorkerCell`) and the platform's own `wait` / `wake_all`
//! and clock. Each test is written once here, generic over the platform;
//! [`park_tests!`](crate::park_tests) instantiates all of them as `#[test]`s
//! for one platform of a backend (`clusworker-posix`: `Futex`, `Condvar`;
//! `clusworker-windows`: `WaitOnAddress`).
//!
//! Every wait that a wake-up must end runs on a thread of its own, with no
//! timeout or one ([`GIVE_UP`]) that outlasts the test's bound ([`LONG`]):
//! a lost wake-up fails the test, rather than hanging it or passing slowly
//! when the wait re-checks at its own timeout.

use std::hint::spin_loop;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use clusworker_core::word::{EXIT_WAITER, EXITED, SLEEPER, TERMINATE};
use clusworker_core::{
    Last, Platform, Request, Sleep, State, TakeError, TimedOut, WorkerCell, WorkerWord,
};

use crate::{Counted, Drops, GIVE_UP, LONG, Rng, StartLine, eventually};

/// Instantiates every test of [`park`](crate::park) as a `#[test]` for the
/// platform type given, each under its own watchdog named `PREFIX::test`.
/// Use it inside a module named after the platform.
///
/// # Examples
///
/// In `tests/park.rs` of a backend:
///
/// ```ignore
/// mod futex {
///     clusworker_test_support::park_tests!("futex", clusworker_posix::Futex);
/// }
/// ```
#[macro_export]
macro_rules! park_tests {
    ($prefix:literal, $platform:ty) => {
        $crate::park_tests!(
            @each $prefix, $platform,
            sleep_is_always_woken_by_terminate,
            sleep_elapses_without_terminate_and_ends_at_once_after_it,
            sleepers_on_many_words_each_wake_on_their_own_terminate,
            exactly_one_request_is_first,
            several_waiters_all_see_complete_and_exactly_one_takes,
            timed_wait_times_out_when_nothing_completes,
            complete_twice_gives_the_second_value_back,
            take_before_exit_is_not_exited_and_twice_is_already_taken,
            unclaimed_result_is_dropped_exactly_once_with_the_cell,
            release_racing_complete_makes_exactly_one_side_last,
            release_and_complete_in_sequence_say_who_is_last,
            state_goes_running_terminating_exited,
            platform_wait_returns_on_change_timeout_and_wake,
            platform_clock_is_monotonic,
        );
    };
    (@each $prefix:literal, $platform:ty, $($test:ident,)*) => {
        $(
            #[test]
            fn $test() {
                let _w = $crate::watchdog(concat!($prefix, "::", stringify!($test)));
                $crate::park::$test::<$platform>();
            }
        )*
    };
}

/// Runs `f` on a thread of its own; its value comes back through
/// [`report`]. Not scoped, so that a thread stuck forever fails the test
/// (and is leaked) rather than hanging it.
fn reporting<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Receiver<T> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx
}

/// The value of a [`reporting`] thread; fails the test if it panicked or
/// has not returned within [`LONG`].
#[track_caller]
fn report<T>(what: &str, rx: &Receiver<T>) -> T {
    match rx.recv_timeout(LONG) {
        Ok(v) => v,
        Err(RecvTimeoutError::Disconnected) => panic!("{what}: panicked"),
        Err(RecvTimeoutError::Timeout) => panic!("{what}: did not return within {LONG:?}"),
    }
}

/// Spins for a random short while, yields, or sleeps a little (long
/// enough for the other side to park, most of the time).
fn jitter(rng: &mut Rng) {
    match rng.below(4) {
        0 => {}
        1 => thread::yield_now(),
        2 => thread::sleep(Duration::from_micros(100 + rng.below(200))),
        _ => {
            for _ in 0..rng.below(2000) {
                spin_loop();
            }
        }
    }
}

/// A sleep (timed or not, one or two sleepers) always ends on a terminate
/// request, wherever the request lands: before the sleep, racing its start, or
/// after the sleeper announced itself.
pub fn sleep_is_always_woken_by_terminate<P: Platform>() {
    let mut rng = Rng::new(0x51EE_9000);
    for round in 0..400 {
        let word: Arc<WorkerWord<P>> = Arc::new(WorkerWord::new());
        let sleepers = 1 + (round % 3 == 2) as usize;
        let mode = round % 4;
        if mode == 0 {
            // The request lands before the sleep starts.
            assert_eq!(word.request_terminate(), Request::First);
        }
        let handles: Vec<_> = (0..sleepers)
            .map(|i| {
                let word = word.clone();
                // With no timeout, or one that outlasts the test's bound.
                let timeout = if i == 0 { Duration::MAX } else { GIVE_UP };
                reporting(move || word.sleep(timeout))
            })
            .collect();
        match mode {
            0 => {}
            // The request races the start of the sleep.
            1 => assert_eq!(word.request_terminate(), Request::First),
            2 => {
                jitter(&mut rng);
                assert_eq!(word.request_terminate(), Request::First);
            }
            // The request lands after a sleeper announced itself (it is
            // parked, or between its announcement and the park).
            _ => {
                eventually("a sleeper to announce itself", || {
                    word.bits() & SLEEPER != 0
                });
                jitter(&mut rng);
                assert_eq!(word.request_terminate(), Request::First);
            }
        }
        for h in &handles {
            assert_eq!(
                report(
                    &format!("round {round} (mode {mode}): a sleeper, after the request"),
                    h
                ),
                Sleep::Terminated,
                "round {round} (mode {mode})"
            );
        }
        assert!(word.check_terminate());
        assert_eq!(
            word.request_terminate(),
            Request::AlreadyRequested(clusworker_core::Reason::Requested)
        );
    }
}

/// Without a request a sleep elapses; after one, every sleep, even
/// `Duration::MAX`, ends at once.
pub fn sleep_elapses_without_terminate_and_ends_at_once_after_it<P: Platform>() {
    let word: WorkerWord<P> = WorkerWord::new();
    for d in [
        Duration::ZERO,
        Duration::from_nanos(1),
        Duration::from_micros(50),
        Duration::from_millis(2),
    ] {
        assert_eq!(word.sleep(d), Sleep::Elapsed, "sleep({d:?})");
    }
    assert!(!word.check_terminate());
    assert_eq!(word.bits() & TERMINATE, 0);
    assert_eq!(word.request_terminate(), Request::First);
    for d in [
        Duration::ZERO,
        Duration::from_millis(2),
        LONG,
        Duration::MAX,
    ] {
        assert_eq!(
            word.sleep(d),
            Sleep::Terminated,
            "sleep({d:?}) after the request"
        );
    }
}

/// Sleepers on many words at once each wake on their own word's request,
/// and a word not terminated sleeps on through a neighbour's wake-up (on the
/// condvar table, words share buckets).
pub fn sleepers_on_many_words_each_wake_on_their_own_terminate<P: Platform>() {
    // Many words at once: each wake-up must reach its own word's sleeper
    // (on the condvar table, words share buckets, so wake-ups cross between
    // words).
    const WORDS: usize = 24;
    let words: Vec<Arc<WorkerWord<P>>> = (0..WORDS).map(|_| Arc::new(WorkerWord::new())).collect();
    let mut rng = Rng::new(0xB0C4E7);
    let mut order: Vec<usize> = (0..WORDS).collect();
    for i in (1..WORDS).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let handles: Vec<_> = words
        .iter()
        .map(|w| {
            let w = w.clone();
            reporting(move || w.sleep(Duration::MAX))
        })
        .collect();
    for &i in &order {
        // The others stay asleep through the wake-ups of their neighbours.
        assert_eq!(words[i].request_terminate(), Request::First);
    }
    for (i, h) in handles.iter().enumerate() {
        assert_eq!(
            report(&format!("the sleeper on word {i}"), h),
            Sleep::Terminated,
            "word {i}"
        );
    }

    // A word not terminated keeps sleeping until its timeout even while a
    // neighbour is woken.
    let quiet: Arc<WorkerWord<P>> = Arc::new(WorkerWord::new());
    let loud: Arc<WorkerWord<P>> = Arc::new(WorkerWord::new());
    let q = {
        let quiet = quiet.clone();
        reporting(move || quiet.sleep(Duration::from_millis(30)))
    };
    let l = {
        let loud = loud.clone();
        reporting(move || loud.sleep(Duration::MAX))
    };
    eventually("the loud sleeper to announce itself", || {
        loud.bits() & SLEEPER != 0
    });
    assert_eq!(loud.request_terminate(), Request::First);
    assert_eq!(report("the loud sleeper", &l), Sleep::Terminated);
    assert_eq!(report("the quiet sleeper", &q), Sleep::Elapsed);
}

/// Of racing terminate requests exactly one wins (`First`, or
/// `AlreadyExited` after the exit); the others are `AlreadyRequested`.
pub fn exactly_one_request_is_first<P: Platform>() {
    const THREADS: usize = 4;
    for round in 0..200 {
        let cell: WorkerCell<P, usize> = WorkerCell::new();
        let exited_first = round % 2 == 1;
        if exited_first {
            assert!(cell.complete(round).is_ok());
        }
        let start = StartLine::new(THREADS);
        let outcomes: Vec<Request> = thread::scope(|s| {
            let handles: Vec<_> = (0..THREADS)
                .map(|_| {
                    s.spawn(|| {
                        start.wait();
                        cell.word().request_terminate()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("no panic"))
                .collect()
        });
        let winner = if exited_first {
            Request::AlreadyExited
        } else {
            Request::First
        };
        let winners = outcomes.iter().filter(|&&o| o == winner).count();
        let later = outcomes
            .iter()
            .filter(|&&o| o == Request::AlreadyRequested(clusworker_core::Reason::Requested))
            .count();
        assert_eq!(
            (winners, later),
            (1, THREADS - 1),
            "round {round}: expected one {winner:?}, got {outcomes:?}"
        );
    }
}

/// Several waiters all see the completion; exactly one of them takes the
/// result.
pub fn several_waiters_all_see_complete_and_exactly_one_takes<P: Platform>() {
    const WAITERS: usize = 3;
    let mut rng = Rng::new(0x0EA1_7E25);
    for round in 0..200 {
        let cell: Arc<WorkerCell<P, Vec<usize>>> = Arc::new(WorkerCell::new());
        let mode = round % 3;
        // Not scoped: a waiter that missed the exit (one has no timeout at
        // all) must fail the test, not hang it.
        let waiters: Vec<_> = (0..WAITERS)
            .map(|i| {
                let cell = cell.clone();
                reporting(move || {
                    let timeout = if i == 0 { None } else { Some(GIVE_UP) };
                    assert_eq!(
                        cell.word().wait_exited(timeout),
                        Ok(()),
                        "round {round}: waiter {i} missed the exit"
                    );
                    assert!(cell.word().is_exited());
                    assert_eq!(cell.word().state(), State::Exited);
                    match cell.take() {
                        Ok(v) => Some(v),
                        Err(TakeError::AlreadyTaken) => None,
                        Err(e) => panic!("round {round}: waiter {i}: {e:?} after the exit"),
                    }
                })
            })
            .collect();
        match mode {
            0 => {}
            1 => jitter(&mut rng),
            _ => eventually("a waiter to announce itself", || {
                cell.word().bits() & EXIT_WAITER != 0
            }),
        }
        // The value is written before the exit is published: whoever takes
        // it after an `Ok` wait must see all of it.
        assert_eq!(cell.complete(vec![round; 64]), Ok(Last::No));
        let values: Vec<Vec<usize>> = waiters
            .iter()
            .filter_map(|w| report(&format!("round {round}: a waiter"), w))
            .collect();
        assert_eq!(
            values,
            vec![vec![round; 64]],
            "round {round}: exactly one take"
        );
        assert_eq!(cell.take(), Err(TakeError::AlreadyTaken));
    }
}

/// A timed wait for the exit times out when nothing completes.
pub fn timed_wait_times_out_when_nothing_completes<P: Platform>() {
    let cell: WorkerCell<P, u8> = WorkerCell::new();
    let timeouts = [
        Some(Duration::ZERO),
        Some(Duration::from_nanos(1)),
        Some(Duration::from_micros(100)),
        Some(Duration::from_millis(5)),
    ];
    for t in timeouts {
        assert_eq!(cell.word().wait_exited(t), Err(TimedOut), "{t:?}, running");
    }
    assert_eq!(cell.word().request_terminate(), Request::First);
    for t in timeouts {
        assert_eq!(
            cell.word().wait_exited(t),
            Err(TimedOut),
            "{t:?}, terminating"
        );
    }
    assert_eq!(
        cell.take(),
        Err(TakeError::NotExited),
        "a timeout consumes nothing"
    );
    // A timed waiter on another thread sees a completion that comes later,
    // well before its own timeout.
    let cell = Arc::new(cell);
    let waiter = {
        let cell = cell.clone();
        reporting(move || cell.word().wait_exited(Some(GIVE_UP)))
    };
    eventually("the waiter to announce itself", || {
        cell.word().bits() & EXIT_WAITER != 0
    });
    // Most likely parked by now: the completion must wake it.
    thread::sleep(Duration::from_millis(5));
    assert_eq!(cell.complete(9), Ok(Last::No));
    assert_eq!(report("the timed waiter, after the exit", &waiter), Ok(()));
    for t in [None, Some(Duration::ZERO), Some(Duration::MAX)] {
        assert_eq!(cell.word().wait_exited(t), Ok(()), "{t:?}, exited");
    }
    assert_eq!(cell.take(), Ok(9));
}

/// A second `complete` is refused and gives its value back; the first value
/// stays. Of racing completers, exactly one stores.
pub fn complete_twice_gives_the_second_value_back<P: Platform>() {
    let drops = Drops::new();
    let cell: WorkerCell<P, Counted> = WorkerCell::new();
    assert!(matches!(cell.complete(drops.value(1)), Ok(Last::No)));
    let second = cell
        .complete(drops.value(2))
        .expect_err("a second complete must be refused");
    assert_eq!(second.id, 2, "the refused value comes back");
    assert_eq!(drops.count(), 0, "nothing dropped by the refusal");
    drop(second);
    assert_eq!(drops.count(), 1);
    assert_eq!(cell.take().map(|v| v.id), Ok(1), "the first value stays");
    assert_eq!(drops.count(), 2);
    drop(cell);
    assert_eq!(
        drops.count(),
        2,
        "a taken result is not dropped again by the cell"
    );

    // Racing completers: exactly one stores, the others get theirs back.
    for round in 0..100 {
        let cell: WorkerCell<P, usize> = WorkerCell::new();
        let start = StartLine::new(3);
        let refused: Vec<usize> = thread::scope(|s| {
            let handles: Vec<_> = (0..3)
                .map(|i| {
                    let (cell, start) = (&cell, &start);
                    s.spawn(move || {
                        start.wait();
                        cell.complete(i).err()
                    })
                })
                .collect();
            handles
                .into_iter()
                .filter_map(|h| h.join().expect("no panic"))
                .collect()
        });
        let stored = cell.take().expect("one completer stored");
        let mut all = refused.clone();
        all.push(stored);
        all.sort_unstable();
        assert_eq!(
            all,
            [0, 1, 2],
            "round {round}: stored {stored}, refused {refused:?}"
        );
    }
}

/// `take` is `NotExited` before the exit (even after a request), then gives the
/// result once; later `take`s are `AlreadyTaken`.
pub fn take_before_exit_is_not_exited_and_twice_is_already_taken<P: Platform>() {
    let cell: WorkerCell<P, String> = WorkerCell::new();
    assert_eq!(cell.take(), Err(TakeError::NotExited));
    assert_eq!(cell.word().request_terminate(), Request::First);
    assert_eq!(cell.take(), Err(TakeError::NotExited));
    assert_eq!(cell.complete("done".to_string()), Ok(Last::No));
    assert_eq!(cell.take().as_deref(), Ok("done"));
    assert_eq!(cell.take(), Err(TakeError::AlreadyTaken));
    assert_eq!(cell.take(), Err(TakeError::AlreadyTaken));
    assert_eq!(cell.word().bits() & EXITED, EXITED);
    assert!(!TakeError::NotExited.to_string().is_empty());
    assert_ne!(
        TakeError::NotExited.to_string(),
        TakeError::AlreadyTaken.to_string()
    );
}

/// A result nobody takes is dropped exactly once, with the cell.
pub fn unclaimed_result_is_dropped_exactly_once_with_the_cell<P: Platform>() {
    let drops = Drops::new();

    // Never completed: nothing to drop.
    drop(WorkerCell::<P, Counted>::new());
    assert_eq!(drops.count(), 0);

    // Completed on another thread, never taken: the cell drops it.
    let cell: WorkerCell<P, Counted> = WorkerCell::new();
    thread::scope(|s| {
        s.spawn(|| assert!(matches!(cell.complete(drops.value(1)), Ok(Last::No))));
    });
    assert_eq!(drops.count(), 0, "the result lives as long as the cell");
    drop(cell);
    assert_eq!(
        drops.count(),
        1,
        "expected the unclaimed result dropped once"
    );

    // Released and completed (the detached case): still dropped once.
    let cell: WorkerCell<P, Counted> = WorkerCell::new();
    assert_eq!(cell.release(), Last::No);
    assert!(matches!(cell.complete(drops.value(2)), Ok(Last::Yes)));
    drop(cell);
    assert_eq!(drops.count(), 2);

    // Taken: the cell does not drop it again.
    let cell: WorkerCell<P, Counted> = WorkerCell::new();
    assert!(cell.complete(drops.value(3)).is_ok());
    let v = cell.take().expect("exited");
    drop(cell);
    assert_eq!(drops.count(), 2);
    drop(v);
    assert_eq!(drops.count(), 3);
}

/// `release` racing `complete`: exactly one side is `Last::Yes`.
pub fn release_racing_complete_makes_exactly_one_side_last<P: Platform>() {
    let drops = Drops::new();
    const ROUNDS: usize = 1000;
    let mut handle_last = 0;
    for round in 0..ROUNDS {
        let cell: WorkerCell<P, Counted> = WorkerCell::new();
        let start = StartLine::new(2);
        let (released, completed) = thread::scope(|s| {
            let r = s.spawn(|| {
                start.wait();
                cell.release()
            });
            let c = s.spawn(|| {
                start.wait();
                match cell.complete(drops.value(round)) {
                    Ok(last) => last,
                    Err(_) => panic!("round {round}: the only complete was refused"),
                }
            });
            (r.join().expect("no panic"), c.join().expect("no panic"))
        });
        assert!(
            matches!(
                (released, completed),
                (Last::Yes, Last::No) | (Last::No, Last::Yes)
            ),
            "round {round}: expected exactly one side last, got release {released:?}, \
             complete {completed:?}"
        );
        handle_last += (released == Last::Yes) as usize;
        assert_eq!(drops.count(), round, "round {round}: dropped early");
        drop(cell);
        assert_eq!(drops.count(), round + 1, "round {round}: expected one drop");
    }
    // Not an assert on timing: both outcomes are correct, this only reports.
    println!("release was last in {handle_last} of {ROUNDS} rounds");
}

/// `release` and `complete` in either order: the later one is last, and a
/// second `release` never is.
pub fn release_and_complete_in_sequence_say_who_is_last<P: Platform>() {
    let cell: WorkerCell<P, u8> = WorkerCell::new();
    assert_eq!(cell.complete(1), Ok(Last::No));
    assert_eq!(
        cell.release(),
        Last::Yes,
        "released after the exit: the handle is last"
    );
    assert_eq!(cell.release(), Last::No, "a second release is never last");

    let cell: WorkerCell<P, u8> = WorkerCell::new();
    assert_eq!(
        cell.release(),
        Last::No,
        "released before the exit: the worker is last"
    );
    assert_eq!(cell.release(), Last::No);
    assert_eq!(cell.complete(1), Ok(Last::Yes));
    assert_eq!(cell.complete(2), Err(2));
}

/// The state goes `Running` → `Terminating` → `Exited`.
pub fn state_goes_running_terminating_exited<P: Platform>() {
    let cell: WorkerCell<P, ()> = WorkerCell::new();
    let word = cell.word();
    assert_eq!(word.state(), State::Running);
    assert!(format!("{cell:?}").contains("Running"), "{cell:?}");
    assert_eq!(word.request_terminate(), Request::First);
    assert_eq!(word.state(), State::Terminating);
    assert!(format!("{word:?}").contains("Terminating"), "{word:?}");
    assert_eq!(cell.complete(()), Ok(Last::No));
    assert_eq!(word.state(), State::Exited);
    assert!(word.is_exited());

    // Running → Exited directly.
    let cell: WorkerCell<P, ()> = WorkerCell::new();
    assert_eq!(cell.complete(()), Ok(Last::No));
    assert_eq!(cell.word().state(), State::Exited);
    assert!(!cell.word().check_terminate());
    assert_eq!(cell.word().request_terminate(), Request::AlreadyExited);
    assert_eq!(cell.word().state(), State::Exited);
}

/// `Platform::wait` returns at once when the word differs, at a short timeout,
/// and on `wake_all` whatever its timeout (up to `Duration::MAX`).
pub fn platform_wait_returns_on_change_timeout_and_wake<P: Platform<Word = AtomicU32>>() {
    // Every blocking call runs on a reporting thread: if one never returns,
    // the test fails instead of hanging.
    let word = Arc::new(AtomicU32::new(5));
    let w = word.clone();
    let quick = reporting(move || {
        // The word does not hold the expected value: no block at all.
        P::wait(&w, 4, None);
        // Timeouts, down to zero and up to absurd (clamped by the platform).
        P::wait(&w, 5, Some(Duration::ZERO));
        P::wait(&w, 5, Some(Duration::from_millis(1)));
    });
    report("waits that must return by themselves", &quick);
    for huge in [
        Duration::from_secs(1 << 31),
        Duration::from_secs(u64::MAX),
        Duration::MAX,
    ] {
        word.store(5, SeqCst);
        let w = word.clone();
        let waiter = reporting(move || {
            // Spurious returns are allowed: loop until the change.
            while w.load(SeqCst) == 5 {
                P::wait(&w, 5, Some(huge));
            }
        });
        thread::sleep(Duration::from_millis(1));
        word.store(6, SeqCst);
        P::wake_all(&word);
        report(&format!("a wait with timeout {huge:?}, woken"), &waiter);
    }
    // wake_all with nobody waiting is fine.
    P::wake_all(&word);
}

/// The platform's clock never goes back, and a 2 ms sleep advances it by 2 ms
/// at least.
pub fn platform_clock_is_monotonic<P: Platform>() {
    let mut last = P::now();
    for _ in 0..10_000 {
        let now = P::now();
        assert!(now >= last, "the clock went back: {last:?} then {now:?}");
        last = now;
    }
    thread::sleep(Duration::from_millis(2));
    let later = P::now();
    // A lower bound only: a sleep can take longer, never shorter.
    assert!(
        later - last >= Duration::from_millis(2),
        "a 2 ms sleep advanced the clock by {:?}",
        later - last
    );
}
