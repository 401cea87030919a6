//! `cycle`: spawn → terminate → join of a thread that polls its terminate
//! flag, the whole life of a short worker.
//!
//! clusworker (`Worker::spawn`, `terminate`, `join`) against a raw
//! `pthread_create` + `AtomicBool` + `pthread_join` (the floor: clusworker is
//! built on exactly these calls), `std::thread::spawn` + `Arc<AtomicBool>` +
//! `join`, and `std::thread::scope` with a borrowed `AtomicBool`.
//!
//! `clusworker_diagnostics` is the same cycle with the list of live
//! workers on (`clusworker::diagnostics`: the entry linked and unlinked,
//! the request's time recorded by a callback); `raw_pthread_named` is the
//! floor plus the one `pthread_setname_np` every clusworker thread makes
//! (an unnamed one is named `clusworker`).

use std::ffi::c_void;
use std::hint::spin_loop;
use std::ptr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::{Acquire, Release};
use std::thread;
use std::time::{Duration, Instant};

use clusworker::{Terminate, Worker};
use clusworker_benches::raw::RawThread;
use clusworker_benches::stats::{Summary, print_table};
use clusworker_benches::{selected, test_mode};
use criterion::Criterion;

extern "C" fn poll_flag(arg: *mut c_void) -> *mut c_void {
    // SAFETY: `arg` is the `AtomicBool` on `raw_pthread`'s stack, alive until
    // this thread is joined there.
    let flag = unsafe { &*arg.cast::<AtomicBool>() };
    while !flag.load(Acquire) {
        spin_loop();
    }
    ptr::null_mut()
}

extern "C" fn poll_flag_named(arg: *mut c_void) -> *mut c_void {
    clusworker_posix::thread::set_current_name(c"raw");
    poll_flag(arg)
}

fn raw_cycle(start: extern "C" fn(*mut c_void) -> *mut c_void) {
    let flag = AtomicBool::new(false);
    let arg = ptr::from_ref(&flag).cast_mut().cast::<c_void>();
    // SAFETY: `flag` outlives the thread, which is joined before it drops.
    let th = unsafe { RawThread::spawn(start, arg) };
    flag.store(true, Release);
    th.join();
}

fn raw_pthread() {
    raw_cycle(poll_flag);
}

fn raw_pthread_named() {
    raw_cycle(poll_flag_named);
}

fn clusworker() {
    let worker = Worker::spawn(|ctx| {
        while !ctx.check_terminate() {
            spin_loop();
        }
    })
    .expect("spawn a worker");
    assert_eq!(worker.terminate(), Terminate::First);
    worker.join().expect("the routine does not panic");
}

/// The cycle with the diagnostics list on for this worker (it is read
/// when the worker's thread starts, so turning it off after the join
/// leaves the other rows unlisted).
fn clusworker_diagnostics() {
    clusworker::diagnostics::enable();
    clusworker();
    clusworker::diagnostics::disable();
}

/// The cycle of a routine that registers a callback on terminate (no
/// list): what the list's own callback costs, or saves, on its own.
fn clusworker_on_terminate() {
    let worker = Worker::spawn(|ctx| {
        let mut cb = std::pin::pin!(ctx.on_terminate(|| {}));
        cb.as_mut().register();
        while !ctx.check_terminate() {
            spin_loop();
        }
    })
    .expect("spawn a worker");
    assert_eq!(worker.terminate(), Terminate::First);
    worker.join().expect("the routine does not panic");
}

fn std_spawn() {
    let flag = Arc::new(AtomicBool::new(false));
    let f = Arc::clone(&flag);
    let h = thread::spawn(move || {
        while !f.load(Acquire) {
            spin_loop();
        }
    });
    flag.store(true, Release);
    h.join().expect("the thread does not panic");
}

fn std_scope() {
    let flag = AtomicBool::new(false);
    thread::scope(|s| {
        s.spawn(|| {
            while !flag.load(Acquire) {
                spin_loop();
            }
        });
        flag.store(true, Release);
    });
}

/// The rows, in the order of the tables.
const ROWS: &[(&str, fn())] = &[
    ("clusworker", clusworker),
    ("clusworker_diagnostics", clusworker_diagnostics),
    ("clusworker_on_terminate", clusworker_on_terminate),
    ("raw_pthread", raw_pthread),
    ("raw_pthread_named", raw_pthread_named),
    ("std_thread_spawn", std_spawn),
    ("std_thread_scope", std_scope),
];

fn cycle(c: &mut Criterion) {
    let mut g = c.benchmark_group("cycle");
    for &(name, row) in ROWS {
        g.bench_function(name, |b| b.iter(row));
    }
    g.finish();
}

/// The interleaved per-iteration sampler (module docs).
fn sampler() {
    let n: usize = std::env::var("CYCLE_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let n = if test_mode() { 5 } else { n };
    let rows: Vec<(&str, fn())> = ROWS
        .iter()
        .copied()
        .filter(|(name, _)| selected(&format!("cycle/{name}")))
        .collect();
    if rows.is_empty() {
        return;
    }
    let mut samples = vec![Vec::with_capacity(n); rows.len()];
    let warm_up = n / 10 + 1;
    for round in 0..warm_up + n {
        for step in 0..rows.len() {
            let i = (round + step) % rows.len();
            let t0 = Instant::now();
            (rows[i].1)();
            let d = t0.elapsed();
            if round >= warm_up {
                samples[i].push(d);
            }
        }
    }
    let summaries: Vec<Summary> = rows
        .iter()
        .zip(samples)
        .map(|((name, _), s)| Summary::of(name, s))
        .collect();
    print_table("cycle", &summaries, "raw_pthread");
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
        .nresamples(20_000)
}

fn main() {
    if std::env::var_os("CYCLE_SAMPLER_ONLY").is_none() {
        let mut c = config().configure_from_args();
        cycle(&mut c);
        c.final_summary();
    }
    sampler();
}
