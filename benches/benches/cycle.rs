//! `cycle`: spawn → terminate → join of a thread that polls its terminate
//! flag, the whole life of a short worker.
//!
//! clusworker (`Worker::spawn`, `terminate`, `join`) against a raw
//! `pthread_create` + `AtomicBool` + `pthread_join` (the floor: clusworker is
//! built on exactly these calls), `std::thread::spawn` + `Arc<AtomicBool>` +
//! `join`, and `std::thread::scope` with a borrowed `AtomicBool`.

use std::ffi::c_void;
use std::hint::spin_loop;
use std::ptr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::{Acquire, Release};
use std::thread;
use std::time::Duration;

use clusworker::{Terminate, Worker};
use clusworker_benches::raw::RawThread;
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

fn raw_pthread() {
    let flag = AtomicBool::new(false);
    let arg = ptr::from_ref(&flag).cast_mut().cast::<c_void>();
    // SAFETY: `flag` outlives the thread, which is joined before it drops.
    let th = unsafe { RawThread::spawn(poll_flag, arg) };
    flag.store(true, Release);
    th.join();
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

fn cycle(c: &mut Criterion) {
    let mut g = c.benchmark_group("cycle");
    g.bench_function("clusworker", |b| b.iter(clusworker));
    g.bench_function("raw_pthread", |b| b.iter(raw_pthread));
    g.bench_function("std_thread_spawn", |b| b.iter(std_spawn));
    g.bench_function("std_thread_scope", |b| b.iter(std_scope));
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
        .nresamples(20_000)
}

fn main() {
    let mut c = config().configure_from_args();
    cycle(&mut c);
    c.final_summary();
}
