//! Per-iteration samples: median and percentiles, a printed table, and a
//! JSON file for `benches/plot.py`.
//!
//! Criterion reports means and medians of *batches*; a latency needs the
//! distribution of single iterations, which is what [`Summary`] holds.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

/// The distribution of one row's samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The row's name (`clusworker/terminate`, `futex_floor`, ...).
    pub name: String,
    /// How many samples.
    pub n: usize,
    /// The smallest sample.
    pub min: Duration,
    /// The median (50th percentile, nearest rank).
    pub median: Duration,
    /// The 99th percentile (nearest rank).
    pub p99: Duration,
    /// The largest sample.
    pub max: Duration,
}

/// The `p`-quantile (0 < p ≤ 1) of sorted samples, by nearest rank.
pub fn quantile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

impl Summary {
    /// Summarises `samples` (in any order).
    pub fn of(name: &str, mut samples: Vec<Duration>) -> Summary {
        samples.sort_unstable();
        Summary {
            name: name.to_string(),
            n: samples.len(),
            min: samples.first().copied().unwrap_or_default(),
            median: quantile(&samples, 0.5),
            p99: quantile(&samples, 0.99),
            max: samples.last().copied().unwrap_or_default(),
        }
    }

    /// Runs `probe` `n` times (after `n / 10 + 1` unrecorded warm-up runs)
    /// and summarises what it returned.
    pub fn sample(name: &str, n: usize, mut probe: impl FnMut() -> Duration) -> Summary {
        for _ in 0..n / 10 + 1 {
            let _ = probe();
        }
        let samples = (0..n).map(|_| probe()).collect();
        Summary::of(name, samples)
    }
}

/// A duration in the unit that reads best: ns, µs or ms.
pub fn human(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    if ns < 1e3 {
        format!("{ns:.1} ns")
    } else if ns < 1e6 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}

/// Prints a group's rows with their ratio (of medians, and of p99s) to the
/// row named `baseline`.
pub fn print_table(group: &str, rows: &[Summary], baseline: &str) {
    let base = rows.iter().find(|r| r.name == baseline);
    println!("\n{group}: per-iteration samples (ratios against {baseline})");
    println!(
        "  {:<34} {:>6} {:>11} {:>11} {:>11} {:>11} {:>9} {:>9}",
        "row", "n", "min", "median", "p99", "max", "×median", "×p99"
    );
    for r in rows {
        let (rm, rp) = match base {
            Some(b) if !b.median.is_zero() && !b.p99.is_zero() => (
                format!("{:.2}", r.median.as_secs_f64() / b.median.as_secs_f64()),
                format!("{:.2}", r.p99.as_secs_f64() / b.p99.as_secs_f64()),
            ),
            _ => ("-".into(), "-".into()),
        };
        println!(
            "  {:<34} {:>6} {:>11} {:>11} {:>11} {:>11} {:>9} {:>9}",
            r.name,
            r.n,
            human(r.min),
            human(r.median),
            human(r.p99),
            human(r.max),
            rm,
            rp
        );
    }
}

/// Where the samplers write their JSON: `$CARGO_TARGET_DIR/clusworker-samples`,
/// or `clusworker-samples` in the target directory the bench binary runs
/// from (`target/release/deps/<bench>` → `target/`).
pub fn out_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            let exe = std::env::current_exe().ok()?;
            exe.ancestors().nth(3).map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from("target"));
    target.join("clusworker-samples")
}

/// Writes a group's rows to `out_dir()/<group>.json` (nanoseconds), for
/// `benches/plot.py`. Failures are printed, never fatal.
pub fn write_json(group: &str, rows: &[Summary]) {
    let mut s = format!("{{\"group\": \"{group}\", \"rows\": [");
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(
            s,
            "\n  {{\"name\": \"{}\", \"n\": {}, \"min_ns\": {}, \"median_ns\": {}, \"p99_ns\": {}, \"max_ns\": {}}}",
            r.name,
            r.n,
            r.min.as_nanos(),
            r.median.as_nanos(),
            r.p99.as_nanos(),
            r.max.as_nanos()
        );
    }
    s.push_str("\n]}\n");
    let dir = out_dir();
    let path = dir.join(format!("{group}.json"));
    match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, s)) {
        Ok(()) => println!("  (samples written to {})", path.display()),
        Err(e) => eprintln!("  cannot write {}: {e}", path.display()),
    }
}
