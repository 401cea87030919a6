//! Criterion benchmarks of clusworker against its peers; see `benches/` and
//! `BENCHMARKS.md` at the workspace root.
//!
//! This library holds what several benches share:
//!
//! - [`raw`]: the peers written by hand: a thread from `pthread_create`, and
//!   wait/wake with the `futex` system call;
//! - [`blocked`]: waits until a thread is really asleep in the kernel, so
//!   that a latency probe starts from a parked thread, not a running one;
//! - [`latency`]: one probe per peer: time from a terminate request until
//!   the requester knows the thread is done;
//! - [`stats`]: medians and percentiles of per-iteration samples, and where
//!   the benches write them ([`stats::out_dir`]) for `benches/plot.py`.

pub mod blocked;
pub mod latency;
pub mod pending;
pub mod raw;
pub mod stats;

/// Was the bench binary started by `cargo bench -- --test` (run each bench
/// once, measure nothing)? The custom samplers use it to shrink to a few
/// samples.
pub fn test_mode() -> bool {
    std::env::args().any(|a| a == "--test")
}

/// Was the bench binary asked only to list its benches (`--list`)? The
/// custom samplers then run nothing.
pub fn list_mode() -> bool {
    std::env::args().any(|a| a == "--list")
}

/// Criterion's options that take a value (`--sample-size 10`): their value
/// is not a filter.
const OPTIONS_WITH_VALUE: &[&str] = &[
    "--baseline",
    "--baseline-lenient",
    "--color",
    "--confidence-level",
    "--format",
    "--load-baseline",
    "--measurement-time",
    "--noise-threshold",
    "--nresamples",
    "--output-format",
    "--plotting-backend",
    "--profile-time",
    "--sample-size",
    "--save-baseline",
    "--significance-level",
    "--warm-up-time",
];

/// The filter given on the command line (`cargo bench -- latency/futex`), if
/// any: the first argument that is neither an option nor an option's value.
pub fn filter() -> Option<String> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if OPTIONS_WITH_VALUE.contains(&a.as_str()) {
            let _ = args.next();
        } else if !a.starts_with('-') {
            return Some(a);
        }
    }
    None
}

/// Whether a custom-sampler row named `name` should run: not under
/// `--list`, and matching the command line's filter if there is one
/// (substring match; criterion's own filter is a regex, which for plain
/// names such as `latency/futex` selects the same rows).
pub fn selected(name: &str) -> bool {
    !list_mode() && filter().is_none_or(|f| name.contains(&f))
}
