//! `latency`: time from a terminate request to knowing that a *sleeping*
//! thread is done.
//!
//! clusworker (a worker blocked in `Context::sleep`; clock stopped when
//! `terminate` returns, and separately when `join` returns too) against the
//! floor (raw pthread in `FUTEX_WAIT`, store + `FUTEX_WAKE` + `pthread_join`),
//! `std::thread::park`/`unpark`, `Mutex` + `Condvar::wait_timeout`, and a
//! 10 ms sleep-and-poll loop. Probes live in `clusworker_benches::latency`.
//!
//! Two measurements of the same probes:
//!
//! 1. criterion, with `iter_custom` (only the request-to-done part of each
//!    iteration is timed): the `latency/*` figures in criterion's report;
//! 2. a custom sampler (after criterion) that records every iteration and
//!    prints min / median / p99 / max, with ratios to the futex floor, and
//!    writes them to `<target>/clusworker-samples/latency.json` for
//!    `benches/plot.py`. The rows are interleaved (one run of each per
//!    round, in a rotating order) so that load changes hit all alike.
//!    `LATENCY_SAMPLES` sets the sample count (default 1500; a tenth for the
//!    poll loop; 5 under `--test`).

use std::time::Duration;

use clusworker_benches::latency::{ROWS, sample_interleaved};
use clusworker_benches::stats::{print_table, write_json};
use clusworker_benches::{selected, test_mode};
use criterion::{Criterion, SamplingMode};

fn criterion_group(c: &mut Criterion) {
    let mut g = c.benchmark_group("latency");
    // Every iteration starts a thread and waits for it to sleep (untimed):
    // flat sampling keeps the iteration count, hence the wall time, small.
    g.sampling_mode(SamplingMode::Flat);
    for &(name, probe) in ROWS {
        if name == "poll_10ms" {
            g.sample_size(10).measurement_time(Duration::from_secs(1));
        } else {
            g.sample_size(30)
                .measurement_time(Duration::from_millis(600));
        }
        g.bench_function(name, |b| {
            b.iter_custom(|iters| (0..iters).map(|_| probe()).sum::<Duration>());
        });
    }
    g.finish();
}

fn sampler() {
    let n: usize = std::env::var("LATENCY_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1500);
    let (n, n_poll) = if test_mode() {
        (5, 5)
    } else {
        (n, (n / 10).max(20))
    };
    let rows = sample_interleaved(n, n_poll, |name| selected(&format!("latency/{name}")));
    if rows.is_empty() {
        return;
    }
    print_table("latency", &rows, "futex_wake_join_floor");
    if !test_mode() {
        write_json("latency", &rows);
    }
}

fn main() {
    // `LATENCY_SAMPLER_ONLY=1`: skip criterion, run the sampler alone (for
    // quick comparisons while tuning).
    if std::env::var_os("LATENCY_SAMPLER_ONLY").is_none() {
        let mut c = Criterion::default()
            .warm_up_time(Duration::from_millis(200))
            .nresamples(20_000)
            .configure_from_args();
        criterion_group(&mut c);
        c.final_summary();
    }
    sampler();
}
