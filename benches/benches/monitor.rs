//! `monitor`: the Resource Monitor's absolute figures (it has no peer).
//!
//! criterion:
//! - `online_1000_pending`: add 1000 resources and bring each to
//!   `OnlinePending` (each `online` runs on a call thread of the monitor);
//! - `heartbeat_report`: one `StatusHandle::report` heartbeat (a pending
//!   state with a higher checkpoint) while 1000 resources are pending.
//!
//! A custom sampler then measures:
//! - PendingTimeout precision: a resource that never reports, with a 20 ms
//!   PendingTimeout, while 1000 other resources are pending; lateness =
//!   when the monitor declared the heartbeat expired (the event's time) minus
//!   the heartbeat deadline (`ResourceInfo::deadline`); min / median / p99;
//! - idle cost: process CPU time and monitor wake-ups during 1 s with 1000
//!   and with 10 000 pending resources and nothing else happening.

use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use clusworker::monitor::{Cause, Event, Monitor, Outcome, ResourceId, ResourceState, Timeouts};
use clusworker_benches::pending::Pending;
use clusworker_benches::stats::{Summary, human, print_table, write_json};
use clusworker_benches::{selected, test_mode};
use criterion::{Criterion, SamplingMode};

const HOUR: Duration = Duration::from_secs(3600);

fn quiet_monitor(pending: Duration) -> Monitor {
    Monitor::builder()
        .pending_timeout(pending)
        .deadlock_timeout(HOUR)
        .looks_alive_interval(None)
        .is_alive_interval(None)
        .start()
        .expect("start a monitor")
}

/// Adds `n` resources with hour-long timeouts and brings them to
/// `OnlinePending`.
fn add_pending(m: &Monitor, r: &Arc<Pending>, n: usize) {
    let long = Timeouts::new(HOUR, HOUR).expect("valid timeouts");
    for i in 0..n {
        let id = m.add_with_timeouts(format!("r{i}"), Arc::clone(r), long);
        assert_eq!(m.online(id).expect("online"), Outcome::Pending);
    }
}

fn criterion_group(c: &mut Criterion) {
    let mut g = c.benchmark_group("monitor");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .measurement_time(Duration::from_secs(2));
    g.bench_function("online_1000_pending", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    let m = quiet_monitor(HOUR);
                    let r = Arc::new(Pending::default());
                    let t0 = Instant::now();
                    add_pending(&m, &r, 1000);
                    t0.elapsed()
                })
                .sum()
        });
    });
    g.sampling_mode(SamplingMode::Auto).sample_size(30);
    g.measurement_time(Duration::from_secs(1));
    {
        let m = quiet_monitor(HOUR);
        let r = Arc::new(Pending::default());
        add_pending(&m, &r, 1000);
        let handles = r.handles();
        let mut checkpoint = 0u32;
        g.bench_function("heartbeat_report", |b| {
            b.iter_custom(|iters| {
                let t0 = Instant::now();
                for i in 0..iters {
                    let h = &handles[i as usize % handles.len()];
                    if i as usize % handles.len() == 0 {
                        checkpoint += 1;
                    }
                    let s = h.report(ResourceState::OnlinePending, checkpoint);
                    debug_assert!(s.is_ok(), "{s:?}");
                }
                t0.elapsed()
            });
        });
    }
    g.finish();
}

/// Waits for the heartbeat expiry of `id`; its lateness past the deadline.
fn lateness(m: &Monitor, events: &Receiver<Event>, id: ResourceId) -> Duration {
    let deadline = m
        .info(id)
        .expect("known resource")
        .deadline
        .expect("a pending resource has a heartbeat deadline");
    loop {
        let e = events
            .recv_timeout(Duration::from_secs(10))
            .expect("the heartbeat expires");
        if e.resource == id && e.cause == Cause::HeartbeatExpired {
            return e.at.saturating_sub(deadline);
        }
    }
}

fn precision(samples: usize) -> Summary {
    let pending = Duration::from_millis(20);
    let m = quiet_monitor(pending);
    let r = Arc::new(Pending::default());
    add_pending(&m, &r, 1000);
    let events = m.subscribe();
    let mut i = 0;
    Summary::sample("pending_timeout_lateness", samples, || {
        i += 1;
        let id = m.add(format!("late{i}"), Arc::clone(&r));
        assert_eq!(m.online(id).expect("online"), Outcome::Pending);
        lateness(&m, &events, id)
    })
}

/// CPU time of the whole process (user + system).
fn process_cpu() -> Duration {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: `ru` is writable storage for one `rusage`.
    let r = unsafe { libc::getrusage(libc::RUSAGE_SELF, ru.as_mut_ptr()) };
    assert_eq!(r, 0, "getrusage failed");
    // SAFETY: getrusage succeeded, so it filled `ru`.
    let ru = unsafe { ru.assume_init() };
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// (CPU time, monitor wake-ups) over `window` with `n` pending resources.
fn idle(n: usize, window: Duration) -> (Duration, u64) {
    let m = quiet_monitor(HOUR);
    let r = Arc::new(Pending::default());
    add_pending(&m, &r, n);
    // Let the call threads that served the `online`s settle.
    std::thread::sleep(Duration::from_millis(100));
    let (cpu0, w0) = (process_cpu(), m.stats().wakeups);
    std::thread::sleep(window);
    let (cpu1, w1) = (process_cpu(), m.stats().wakeups);
    (cpu1.saturating_sub(cpu0), w1 - w0)
}

fn sampler() {
    if selected("monitor/pending_timeout_lateness") {
        let n = if test_mode() { 3 } else { 100 };
        let rows = vec![precision(n)];
        println!("\nmonitor: PendingTimeout = 20 ms, 1000 other resources pending");
        print_table("monitor", &rows, "pending_timeout_lateness");
        if !test_mode() {
            write_json("monitor", &rows);
        }
    }
    if selected("monitor/idle") {
        let window = if test_mode() {
            Duration::from_millis(50)
        } else {
            Duration::from_secs(1)
        };
        let sizes: &[usize] = if test_mode() { &[10] } else { &[1000, 10_000] };
        println!("\nmonitor/idle: CPU time of the whole process while nothing happens");
        for &n in sizes {
            let (cpu, wakeups) = idle(n, window);
            println!(
                "  {n:>6} pending resources: {} CPU in {}, {wakeups} monitor wake-ups",
                human(cpu),
                human(window)
            );
        }
    }
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .nresamples(20_000)
        .configure_from_args();
    criterion_group(&mut c);
    c.final_summary();
    sampler();
}
