//! Stress: random mixes of spawn / terminate from 1–3 threads / sleep /
//! panic / timeouts / drop / detach, for a bounded time, over the `Worker`
//! API (on the build's parking: the futex, or the condvar table with
//! `--features condvar`) and over the bare core word on BOTH parkings.
//!
//! Fails (non-zero exit) on a hang (a watchdog with a generous bound), a
//! lost result, a result dropped twice or never, or a broken promise.
//!
//! ```sh
//! cargo run --release -p clusworker-verification --bin stress -- --seconds 5
//! cargo run --release -p clusworker-verification --bin stress --features condvar -- --seconds 300
//! ```

use std::process::exit;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use clusworker::{Terminate, WaitError, Worker};
use clusworker_core::{Platform, Request, Sleep, WorkerCell};
use clusworker_posix::{Condvar, Futex};

/// Results made and dropped, over the whole run.
static MADE: AtomicUsize = AtomicUsize::new(0);
static DROPPED: AtomicUsize = AtomicUsize::new(0);
/// Bumped by every finished operation; the watchdog reads it.
static PROGRESS: AtomicU64 = AtomicU64::new(0);
static DONE: AtomicBool = AtomicBool::new(false);
const INTENDED: &str = "stress: an intended panic";

/// A routine's result that counts itself, and detects a double drop.
#[derive(Debug)]
struct Counted {
    value: u64,
    alive: bool,
}

impl Counted {
    fn new(value: u64) -> Counted {
        MADE.fetch_add(1, SeqCst);
        Counted { value, alive: true }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        if !self.alive {
            eprintln!("FAIL: a result was dropped twice");
            exit(4);
        }
        self.alive = false;
        DROPPED.fetch_add(1, SeqCst);
    }
}

/// xorshift64*: enough randomness for a schedule, reproducible by seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone, Copy, Debug)]
enum Routine {
    Return,
    SleepUntilTerminate,
    SleepSteps,
    Poll,
    Panic,
    Stubborn(u64),
}

fn routine(rng: &mut Rng) -> Routine {
    match rng.below(6) {
        0 => Routine::Return,
        1 => Routine::SleepUntilTerminate,
        2 => Routine::SleepSteps,
        3 => Routine::Poll,
        4 => Routine::Panic,
        _ => Routine::Stubborn(rng.below(500)),
    }
}

fn spawn(r: Routine, tag: u64) -> Worker<Counted> {
    let spawned = Worker::spawn(move |ctx| match r {
        Routine::Return => Counted::new(tag),
        Routine::SleepUntilTerminate => {
            while ctx.sleep(Duration::MAX).is_ok() {}
            Counted::new(tag)
        }
        Routine::SleepSteps => {
            while ctx.sleep(Duration::from_micros(50)).is_ok() {}
            Counted::new(tag)
        }
        Routine::Poll => {
            while !ctx.check_terminate() {
                std::thread::yield_now();
            }
            Counted::new(tag)
        }
        Routine::Panic => std::panic::panic_any(INTENDED),
        Routine::Stubborn(us) => {
            std::thread::sleep(Duration::from_micros(us));
            Counted::new(tag)
        }
    });
    spawned.unwrap_or_else(|e| {
        eprintln!("FAIL: spawn: {e}");
        exit(5)
    })
}

fn check_join(w: Worker<Counted>, r: Routine, tag: u64) {
    match (w.join(), r) {
        (Err(p), Routine::Panic) if p.downcast_ref::<&str>() == Some(&INTENDED) => {}
        (Ok(c), r) if !matches!(r, Routine::Panic) && c.value == tag => {}
        (got, r) => {
            eprintln!("FAIL: lost or wrong result for {r:?} #{tag}: {got:?}");
            exit(6);
        }
    }
}

/// One random scenario on the public API.
fn worker_scenario(rng: &mut Rng, tag: u64) {
    let r = routine(rng);
    let w = spawn(r, tag);
    match rng.below(6) {
        // 1–3 racing terminators: at most one First, and exactly one if all
        // of them use `terminate`.
        0 | 1 => {
            let n = 1 + rng.below(3) as usize;
            let delays: Vec<u64> = (0..n).map(|_| rng.below(200)).collect();
            let firsts = AtomicUsize::new(0);
            std::thread::scope(|s| {
                for &d in &delays {
                    let (w, firsts) = (&w, &firsts);
                    s.spawn(move || {
                        std::thread::sleep(Duration::from_micros(d));
                        if w.terminate() == Terminate::First {
                            firsts.fetch_add(1, SeqCst);
                        }
                    });
                }
            });
            if firsts.load(SeqCst) != 1 {
                eprintln!("FAIL: {} First among {n} terminators", firsts.load(SeqCst));
                exit(7);
            }
            check_join(w, r, tag);
        }
        // A timed terminate, then the join gets the result anyway.
        2 => {
            let d = Duration::from_micros(rng.below(300));
            match w.terminate_timeout(d) {
                Ok(()) | Err(WaitError::TimedOut) => {}
                Err(e) => {
                    eprintln!("FAIL: terminate_timeout: {e}");
                    exit(8);
                }
            }
            if matches!(
                r,
                Routine::SleepUntilTerminate | Routine::SleepSteps | Routine::Poll
            ) {
                let _ = w.terminate();
            }
            check_join(w, r, tag);
        }
        // Waiters with timeouts, from two threads, then terminate + join.
        3 => {
            std::thread::scope(|s| {
                for _ in 0..2 {
                    let w = &w;
                    let d = Duration::from_micros(rng.below(300));
                    s.spawn(move || {
                        let _ = w.wait_timeout(d);
                    });
                }
            });
            let _ = w.terminate();
            check_join(w, r, tag);
        }
        // Drop while running (terminate + wait + join inside).
        4 => drop(w),
        // Detach: the routine runs on, its result is dropped by its thread.
        _ => {
            let _ = w.request_terminate();
            w.detach();
        }
    }
    PROGRESS.fetch_add(1, SeqCst);
}

/// One random scenario on the bare core word, on platform `P`.
fn word_scenario<P: Platform>(rng: &mut Rng) {
    let cell: WorkerCell<P, u64> = WorkerCell::new();
    let sleep_first = rng.below(2) == 0;
    let d = rng.below(100);
    std::thread::scope(|s| {
        let cell = &cell;
        s.spawn(move || {
            if sleep_first {
                while cell.word().sleep(Duration::from_micros(d)) == Sleep::Elapsed {}
            } else {
                while !cell.word().check_terminate() {
                    std::hint::spin_loop();
                }
            }
            if cell.complete(d).is_err() {
                eprintln!("FAIL: complete refused");
                exit(9);
            }
        });
        s.spawn(move || {
            if cell.word().wait_exited(None).is_err() || cell.take() != Ok(d) {
                eprintln!("FAIL: a waiter lost the result");
                exit(10);
            }
        });
        std::thread::sleep(Duration::from_micros(rng.below(100)));
        if cell.word().request_terminate() != Request::First {
            eprintln!("FAIL: the only terminator was not first");
            exit(11);
        }
    });
    PROGRESS.fetch_add(1, SeqCst);
}

fn main() {
    let mut seconds = 5u64;
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        | 1;
    let mut hang_secs = 60u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut num = |name: &str| -> u64 {
            args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
                eprintln!("{name} needs a number");
                exit(2)
            })
        };
        match a.as_str() {
            "--seconds" => seconds = num("--seconds"),
            "--seed" => seed = num("--seed").max(1),
            "--hang-seconds" => hang_secs = num("--hang-seconds").max(1),
            "--help" | "-h" => {
                println!("usage: stress [--seconds N (5)] [--seed S] [--hang-seconds N (60)]");
                return;
            }
            other => {
                eprintln!("unknown argument {other}; try --help");
                exit(2);
            }
        }
    }
    std::panic::set_hook(Box::new(|info| {
        if info.payload().downcast_ref::<&str>() != Some(&INTENDED) {
            eprintln!("{info}");
        }
    }));
    println!(
        "stress: {seconds} s, seed {seed}, watchdog {hang_secs} s, parking {}",
        park_name()
    );

    // The watchdog: no progress for `hang_secs` is a hang.
    let watchdog = std::thread::spawn(move || {
        let mut last = PROGRESS.load(SeqCst);
        let mut still = Duration::ZERO;
        let tick = Duration::from_millis(100);
        while !DONE.load(SeqCst) {
            std::thread::sleep(tick);
            let now = PROGRESS.load(SeqCst);
            still = if now == last {
                still + tick
            } else {
                Duration::ZERO
            };
            last = now;
            if still >= Duration::from_secs(hang_secs) {
                eprintln!("FAIL: no progress for {hang_secs} s: a hang");
                exit(3);
            }
        }
    });

    let end = Instant::now() + Duration::from_secs(seconds);
    let counts: Vec<Arc<AtomicU64>> = (0..3).map(|_| Arc::new(AtomicU64::new(0))).collect();
    std::thread::scope(|s| {
        for (i, count) in counts.iter().enumerate() {
            let count = count.clone();
            s.spawn(move || {
                let mut rng = Rng(seed.wrapping_add(i as u64 * 0x1234_5679) | 1);
                let mut tag = 0u64;
                while Instant::now() < end {
                    match i {
                        0 => worker_scenario(&mut rng, tag),
                        1 => word_scenario::<Futex>(&mut rng),
                        _ => word_scenario::<Condvar>(&mut rng),
                    }
                    tag += 1;
                    count.fetch_add(1, SeqCst);
                }
            });
        }
    });

    // Detached workers may still be finishing: give them a generous bound.
    let settle = Instant::now() + Duration::from_secs(hang_secs);
    while DROPPED.load(SeqCst) < MADE.load(SeqCst) && Instant::now() < settle {
        std::thread::sleep(Duration::from_millis(10));
    }
    DONE.store(true, SeqCst);
    // Joined so that a leak checker sees no thread still running.
    let _ = watchdog.join();
    let (made, dropped) = (MADE.load(SeqCst), DROPPED.load(SeqCst));
    let [w, f, c] = [0, 1, 2].map(|i| counts[i].load(SeqCst));
    println!("stress: {w} worker scenarios, {f} futex word scenarios, {c} condvar word scenarios");
    println!("stress: results made {made}, dropped {dropped}");
    if made != dropped {
        eprintln!("FAIL: {} result(s) never dropped", made - dropped);
        exit(12);
    }
    if w == 0 || f == 0 || c == 0 {
        eprintln!("FAIL: a scenario never ran");
        exit(13);
    }
    println!("{} passed, 0 failed", w + f + c);
}

fn park_name() -> &'static str {
    if cfg!(feature = "condvar") {
        "condvar"
    } else {
        "futex (Linux default)"
    }
}
