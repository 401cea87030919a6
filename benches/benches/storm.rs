//! `storm`: the monitor at scale, each figure beside its floor in the same
//! run (issue 13).
//!
//! - **Expiry burst**: N resources (1 000, 10 000) whose PendingTimeouts
//!   run out within ~1 ms of each other, while a bystander resource
//!   heartbeats every 1 ms with a 100 ms PendingTimeout. Figures: peak call
//!   threads; p99 / max delay of the bystander's reports; whether the
//!   bystander was failed (it must not be); p99 lateness of the `Failed`
//!   events *as a subscriber receives them* (receive time minus the
//!   deadline). Floor: the same N deadlines fired by a plain `BinaryHeap`
//!   timer loop sending to a channel, lateness measured the same way.
//! - **Report cost** with N = 1, 16, 4096 resources pending: one
//!   heartbeat `StatusHandle::report`, against one increment under a
//!   global `Mutex` (criterion).
//! - **Stale timers**: timers armed after 10 000 online/offline cycles of
//!   one resource (polls on).
//! - **Bytes per resource**: heap bytes per resource added and brought
//!   online (pending), against a bare registry entry (name + resource in
//!   a `Vec`), by a counting global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use clusworker::monitor::{
    Cause, ExitState, Monitor, Outcome, Resource, ResourceId, ResourceState, StatusHandle, Timeouts,
};
use clusworker_benches::pending::Pending;
use clusworker_benches::stats::{human, quantile};
use clusworker_benches::{selected, test_mode};
use criterion::Criterion;

/// Counts live heap bytes, for the bytes-per-resource figure.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: defers to `System`, and only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Relaxed);
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const HOUR: Duration = Duration::from_secs(3600);

fn monitor() -> Monitor {
    Monitor::builder()
        .pending_timeout(HOUR)
        .deadlock_timeout(HOUR)
        .looks_alive_interval(None)
        .is_alive_interval(None)
        .start()
        .expect("start a monitor")
}

/// Adds `n` resources of `r` with `timeouts`, each brought to
/// `OnlinePending`.
fn pending(m: &Monitor, r: &Arc<Pending>, n: usize, timeouts: Timeouts) -> Vec<ResourceId> {
    (0..n)
        .map(|i| {
            let id = m.add_with_timeouts(format!("r{i}"), Arc::clone(r), timeouts);
            assert_eq!(m.online(id).expect("online"), Outcome::Pending);
            id
        })
        .collect()
}

struct Burst {
    peak_threads: usize,
    bystander_p99: Duration,
    bystander_max: Duration,
    bystander_failed: bool,
    events_p99: Duration,
    events: usize,
    /// Each deadline minus the earliest: the floor fires the same spread.
    offsets: Vec<Duration>,
}

/// The expiry burst of `n` resources; see the module docs.
fn burst(n: usize) -> Burst {
    let m = monitor();
    let r = Arc::new(Pending::default());
    let p = Duration::from_millis(if n > 2000 { 800 } else { 300 });
    let ids = pending(&m, &r, n, Timeouts::new(p, HOUR).expect("valid"));
    let handles = r.handles();
    // The bystander: 100 ms PendingTimeout, a report every 1 ms.
    let b = Arc::new(Pending::default());
    let short = Timeouts::new(Duration::from_millis(100), HOUR).expect("valid");
    let by = pending(&m, &b, 1, short)[0];
    let by_handle = b.handles()[0].clone();
    let events = m.subscribe();
    // Every storm resource reports once, now: their deadlines fall within
    // the time this loop takes.
    for h in &handles {
        assert_eq!(
            h.report(ResourceState::OnlinePending, 1),
            Ok(ExitState::Continue)
        );
    }
    let deadlines: Vec<Duration> = ids
        .iter()
        .map(|&id| m.info(id).expect("known").deadline.expect("pending"))
        .collect();
    let last = *deadlines.iter().max().expect("n > 0");
    let first = *deadlines.iter().min().expect("n > 0");
    let offsets = deadlines.iter().map(|d| *d - first).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let reporter = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            let mut delays = Vec::new();
            let mut cp = 0;
            let mut failed = false;
            while !stop.load(Relaxed) {
                cp += 1;
                let t0 = Instant::now();
                let r = by_handle.report(ResourceState::OnlinePending, cp);
                delays.push(t0.elapsed());
                failed |= r != Ok(ExitState::Continue);
                thread::sleep(Duration::from_millis(1));
            }
            (delays, failed)
        })
    };
    let mut late = Vec::with_capacity(n);
    let give_up = Instant::now() + p + Duration::from_secs(30);
    while late.len() < n && Instant::now() < give_up {
        let Ok(e) = events.recv_timeout(Duration::from_secs(1)) else {
            continue;
        };
        let at = m.elapsed();
        if e.cause == Cause::HeartbeatExpired && e.resource != by {
            late.push(at.saturating_sub(deadlines[e.resource.index()]));
        }
    }
    // Keep the bystander going a little past the burst.
    while m.elapsed() < last + Duration::from_millis(200) {
        thread::sleep(Duration::from_millis(5));
    }
    stop.store(true, Relaxed);
    let (mut delays, failed) = reporter.join().expect("the reporter does not panic");
    let failed = failed || m.state(by).expect("known") != ResourceState::OnlinePending;
    delays.sort_unstable();
    late.sort_unstable();
    let stats = m.stats();
    Burst {
        peak_threads: stats.peak_call_threads,
        bystander_p99: quantile(&delays, 0.99),
        bystander_max: delays.last().copied().unwrap_or_default(),
        bystander_failed: failed,
        events_p99: quantile(&late, 0.99),
        events: late.len(),
        offsets,
    }
}

/// The floor: the burst's deadlines (`offsets` from the earliest), fired
/// by a plain `BinaryHeap` loop on its own thread that sends each to a
/// channel; p99 lateness as the receiver sees it.
fn heap_floor(offsets: &[Duration]) -> Duration {
    let epoch = Instant::now();
    let start = Duration::from_millis(50);
    let deadlines: Vec<Duration> = offsets.iter().map(|o| start + *o).collect();
    let mut heap: BinaryHeap<Reverse<(Duration, usize)>> = deadlines
        .iter()
        .enumerate()
        .map(|(i, d)| Reverse((*d, i)))
        .collect();
    let (tx, rx) = mpsc::channel();
    let timer = thread::spawn(move || {
        while let Some(&Reverse((at, _))) = heap.peek() {
            let now = epoch.elapsed();
            if at > now {
                thread::sleep(at - now);
                continue;
            }
            while let Some(Reverse((at, i))) = heap.peek().copied() {
                if at > epoch.elapsed() {
                    break;
                }
                heap.pop();
                let _ = tx.send(i);
            }
        }
    });
    let mut late: Vec<Duration> = rx
        .iter()
        .map(|i| epoch.elapsed().saturating_sub(deadlines[i]))
        .collect();
    timer.join().expect("the loop does not panic");
    late.sort_unstable();
    quantile(&late, 0.99)
}

/// Timers armed after `cycles` online/offline cycles of one resource.
fn stale_timers(cycles: usize) -> usize {
    let m = Monitor::builder().start().expect("start"); // polls on: 5 s / 60 s
    struct Quick;
    impl Resource for Quick {
        fn online(&self, _: StatusHandle) -> Outcome {
            Outcome::Done
        }
        fn offline(&self, _: StatusHandle) -> Outcome {
            Outcome::Done
        }
        fn terminate(&self) {}
    }
    let id = m.add("quick", Quick);
    for _ in 0..cycles {
        m.online(id).expect("online");
        m.offline(id).expect("offline");
    }
    m.online(id).expect("online");
    m.stats().timers
}

/// Heap bytes per resource: the monitor's, and a bare registry entry's.
fn bytes_per_resource(n: usize) -> (usize, usize) {
    let r = Arc::new(Pending::default());
    let names: Vec<String> = (0..n).map(|i| format!("resource-{i:06}")).collect();
    let m = monitor();
    let _ = pending(&m, &r, 1, Timeouts::new(HOUR, HOUR).expect("valid")); // warm-up
    thread::sleep(Duration::from_millis(50));
    let before = LIVE.load(Relaxed);
    for name in &names {
        let id = m.add_with_timeouts(
            name.as_str(),
            Arc::clone(&r),
            Timeouts::new(HOUR, HOUR).expect("valid"),
        );
        m.online(id).expect("online");
    }
    // The status handles the resource keeps are the bench's, not the
    // monitor's: not counted.
    let handles = r.take_handles();
    let kept = handles.capacity() * size_of::<StatusHandle>();
    let monitor_bytes = LIVE.load(Relaxed).saturating_sub(before + kept);
    drop(handles);
    let before = LIVE.load(Relaxed);
    // Grown by push, as a registry grows (the monitor's tables too).
    let mut bare: Vec<(Arc<str>, Arc<dyn Resource>)> = Vec::new();
    for n in &names {
        bare.push((Arc::from(n.as_str()), Arc::clone(&r) as Arc<dyn Resource>));
    }
    let bare_bytes = LIVE.load(Relaxed) - before;
    black_box(&bare);
    drop(m);
    (monitor_bytes / n, bare_bytes / n)
}

fn criterion_group(c: &mut Criterion) {
    let mut g = c.benchmark_group("storm");
    g.measurement_time(Duration::from_secs(1));
    let counter = Mutex::new(0u64);
    g.bench_function("mutex_increment", |b| {
        b.iter(|| *counter.lock().unwrap_or_else(PoisonError::into_inner) += 1);
    });
    let sizes: &[usize] = if test_mode() { &[1] } else { &[1, 16, 4096] };
    for &n in sizes {
        let m = monitor();
        let r = Arc::new(Pending::default());
        pending(&m, &r, n, Timeouts::new(HOUR, HOUR).expect("valid"));
        let handles = r.handles();
        let mut cp = 0u32;
        g.bench_function(format!("report_{n}"), |b| {
            b.iter_custom(|iters| {
                // Round the handles without a division in the loop (one
                // costs more than the mutex increment it is compared with).
                let mut k = 0;
                let t0 = Instant::now();
                for _ in 0..iters {
                    if k == 0 {
                        cp += 1;
                    }
                    let r = handles[k].report(ResourceState::OnlinePending, cp);
                    debug_assert!(r.is_ok(), "{r:?}");
                    k += 1;
                    if k == handles.len() {
                        k = 0;
                    }
                }
                t0.elapsed()
            });
        });
    }
    g.finish();
}

fn sampler() {
    if selected("storm/burst") {
        let sizes: &[usize] = if test_mode() { &[100] } else { &[1000, 10_000] };
        println!(
            "\nstorm/burst: N PendingTimeouts expire within ~1 ms; a bystander reports every 1 ms"
        );
        println!(
            "  {:>6} {:>8} {:>12} {:>12} {:>9} {:>13} {:>13} {:>7}",
            "N", "threads", "bystander p99", "max", "failed", "events p99", "floor p99", "ratio"
        );
        for &n in sizes {
            let b = burst(n);
            let floor = heap_floor(&b.offsets);
            assert_eq!(b.events, n, "every storm resource expired");
            let ratio = b.events_p99.as_secs_f64() / floor.as_secs_f64().max(1e-9);
            println!(
                "  {n:>6} {:>8} {:>12} {:>12} {:>9} {:>13} {:>13} {ratio:>6.1}x",
                b.peak_threads,
                human(b.bystander_p99),
                human(b.bystander_max),
                b.bystander_failed,
                human(b.events_p99),
                human(floor),
            );
        }
    }
    if selected("storm/stale_timers") {
        let cycles = if test_mode() { 100 } else { 10_000 };
        println!(
            "\nstorm/stale_timers: {} timers armed after {cycles} online/offline cycles (then online: its two polls)",
            stale_timers(cycles)
        );
    }
    if selected("storm/bytes") {
        let n = if test_mode() { 100 } else { 10_000 };
        let (monitor, bare) = bytes_per_resource(n);
        println!(
            "\nstorm/bytes: {monitor} B per resource added and pending, {bare} B per bare registry entry ({:.2}x), N = {n}",
            monitor as f64 / bare as f64
        );
    }
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .configure_from_args();
    criterion_group(&mut c);
    c.final_summary();
    sampler();
}
