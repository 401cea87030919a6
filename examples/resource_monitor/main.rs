//! The Resource Monitor demo: five cluster resources, every path of a
//! pending operation.
//!
//! ```sh
//! cargo run --release --example resource_monitor
//! cargo run --release --example resource_monitor -- --help
//! ```
//!
//! - `ip-address` comes online at once (`Online` returns done).
//! - `disk` goes pending and its worker reports progress, checkpoint by
//!   checkpoint, until `Online`.
//! - `web-service` does the same, more quickly.
//! - `database` reports a few checkpoints, then hangs: no report arrives
//!   within PendingTimeout, so the monitor marks it `Failed` and calls its
//!   `Terminate`, which stops the worker.
//! - `file-share` never reports, and its `Terminate` hangs too: past
//!   DeadlockTimeout the monitor isolates it and calls the escalation hook
//!   (Windows would recycle the resource host process here).
//! - Then an orderly offline of the rest: `ip-address` at once, `disk` and
//!   `web-service` pending with checkpoints.
//!
//! On a terminal the view is a table updated in place, drawn with
//! crossterm with every line cut to the terminal's width (so a long line
//! never wraps and throws the redraw off, however narrow the terminal);
//! otherwise (piped into a file or `cat`, or with `--plain`) it is plain
//! lines. Exits 0 when every resource ended where it should.

mod resources;
mod screen;
mod view;

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use clusworker::monitor::{Escalation, Monitor, ResourceId, ResourceInfo, ResourceState};
use crossterm::{cursor, queue};

use resources::{DemoResource, Gate, Plan, Row};
use screen::Screen;
use view::View;

// ----- options ---------------------------------------------------------------

/// The demo's settings; every one a flag.
#[derive(Debug, Clone)]
struct Options {
    pending_timeout: Duration,
    deadlock_timeout: Duration,
    step: Duration,
    plain: bool,
}

const USAGE: &str = "\
resource_monitor: the clusworker Resource Monitor demo

USAGE:
    cargo run --release --example resource_monitor -- [OPTIONS]

OPTIONS:
    --pending-timeout-ms <MS>    PendingTimeout, the heartbeat of pending operations
                                 (default 800; at least 10)
    --deadlock-timeout-ms <MS>   DeadlockTimeout, the bound on every entry-point call
                                 (default 2000; at least 10)
    --step-ms <MS>               time between two checkpoints of a worker (default 200);
                                 keep it well below PendingTimeout
    --plain                      plain lines even on a terminal
    -h, --help                   print this help
";

fn parse_options() -> Result<Option<Options>, String> {
    let mut o = Options {
        pending_timeout: Duration::from_millis(800),
        deadlock_timeout: Duration::from_millis(2000),
        step: Duration::from_millis(200),
        plain: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        let mut millis = |name: &str| -> Result<Duration, String> {
            let v = inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value in milliseconds"))?;
            let n: u64 = v
                .parse()
                .map_err(|_| format!("{name}: `{v}` is not a number of milliseconds"))?;
            Ok(Duration::from_millis(n))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--pending-timeout-ms" => o.pending_timeout = millis("--pending-timeout-ms")?,
            "--deadlock-timeout-ms" => o.deadlock_timeout = millis("--deadlock-timeout-ms")?,
            "--step-ms" => o.step = millis("--step-ms")?,
            "--plain" => o.plain = true,
            _ => return Err(format!("unknown argument `{arg}`")),
        }
    }
    Ok(Some(o))
}

// ----- the demo --------------------------------------------------------------

/// Waits until `done` holds for the monitor's resources, at most `guard`.
fn wait_until(monitor: &Monitor, guard: Duration, done: impl Fn(&[ResourceInfo]) -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < guard {
        if done(&monitor.resources()) {
            return true;
        }
        thread::sleep(Duration::from_millis(10));
    }
    false
}

/// `println!` that does not panic when stdout is gone (`| head` closed the
/// pipe): the demo still runs to its end, and ends its threads.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(Some(o)) => o,
        Ok(None) => {
            let _ = write!(std::io::stdout(), "{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(o: &Options) -> Result<bool, Box<dyn std::error::Error>> {
    let started = Instant::now();
    let live = !o.plain && std::io::stdout().is_terminal();
    let (esc_tx, esc_rx): (Sender<Escalation>, _) = mpsc::channel();
    let esc_tx = Mutex::new(esc_tx);
    let monitor = Arc::new(
        Monitor::builder()
            .pending_timeout(o.pending_timeout)
            .deadlock_timeout(o.deadlock_timeout)
            .on_escalation(move |e| {
                if let Ok(tx) = esc_tx.lock() {
                    let _ = tx.send(e.clone());
                }
            })
            .start()?,
    );
    let events = monitor.subscribe();

    say!(
        "clusworker Resource Monitor demo: PendingTimeout {} ms, DeadlockTimeout {} ms, a checkpoint every {} ms",
        o.pending_timeout.as_millis(),
        o.deadlock_timeout.as_millis(),
        o.step.as_millis()
    );
    say!();

    // The resources.
    let gate = Arc::new(Gate::default());
    let mut rows = Vec::new();
    let mut add = |name: &str, plan: Plan, expected, story| {
        let (online_steps, offline_steps) = match plan {
            Plan::Steps { online, offline } => (online, offline),
            Plan::StallsAfter { after } => (after + 5, 0),
            _ => (0, 0),
        };
        let id = monitor.add(name, DemoResource::new(plan, o.step, Arc::clone(&gate)));
        rows.push(Row {
            id,
            online_steps,
            offline_steps,
            expected,
            story,
        });
        id
    };
    use ResourceState::{Failed, Offline, Online};
    let ip = add(
        "ip-address",
        Plan::Immediate,
        Offline,
        "online at once; offline at once",
    );
    let disk = add(
        "disk",
        Plan::Steps {
            online: 12,
            offline: 5,
        },
        Offline,
        "pending with checkpoints",
    );
    let web = add(
        "web-service",
        Plan::Steps {
            online: 5,
            offline: 3,
        },
        Offline,
        "pending with checkpoints",
    );
    let db = add(
        "database",
        Plan::StallsAfter { after: 3 },
        Failed,
        "stalled: PendingTimeout fired",
    );
    let share = add(
        "file-share",
        Plan::HangsInTerminate,
        Failed,
        "Terminate hung: escalated",
    );
    let rows = Arc::new(rows);

    // The view, on its own thread.
    let stop = Arc::new(AtomicBool::new(false));
    let mut view = View {
        monitor: Arc::clone(&monitor),
        rows: Arc::clone(&rows),
        events,
        escalations: esc_rx,
        screen: live.then(Screen::default),
        log: Vec::new(),
        seen_checkpoints: HashMap::new(),
    };
    let viewer = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            let mut out = std::io::stdout().lock();
            if view.screen.is_some() {
                let _ = queue!(out, cursor::Hide);
            }
            while !stop.load(Ordering::Acquire) {
                let _ = view.tick(&mut out, false);
                thread::sleep(Duration::from_millis(50));
            }
            let _ = view.tick(&mut out, true);
            if view.screen.is_some() {
                let _ = queue!(out, cursor::Show);
            }
            let _ = out.flush();
        })
    };

    // Phase 1: everything online.
    let mut problems = Vec::new();
    for id in [ip, disk, web, db, share] {
        if let Err(e) = monitor.online(id) {
            problems.push(format!("online {id}: {e}"));
        }
    }
    // Long enough for every path, with room to spare on a loaded machine.
    let guard = (o.step * 20 + o.pending_timeout + o.deadlock_timeout) * 3;
    let settled = wait_until(&monitor, guard, |infos| {
        let s = |id: ResourceId| infos[id.index()].state;
        s(disk) == Online && s(web) == Online && s(db) == Failed && infos[share.index()].isolated
    });
    if !settled {
        problems.push("phase 1 did not settle in time".to_string());
    }

    // Phase 2: an orderly offline of what is online.
    for id in [ip, disk, web] {
        if let Err(e) = monitor.offline(id) {
            problems.push(format!("offline {id}: {e}"));
        }
    }
    let settled = wait_until(&monitor, guard, |infos| {
        [ip, disk, web]
            .iter()
            .all(|id| infos[id.index()].state == Offline)
    });
    if !settled {
        problems.push("phase 2 did not settle in time".to_string());
    }
    thread::sleep(Duration::from_millis(120)); // a last frame with everything settled
    stop.store(true, Ordering::Release);
    let _ = viewer.join();
    // Let the hung Terminate of file-share return, so that its thread ends.
    gate.open();

    // The summary.
    let infos = monitor.resources();
    say!();
    say!("Summary after {:.2} s:", started.elapsed().as_secs_f64());
    let mut ok = problems.is_empty();
    for (info, row) in infos.iter().zip(rows.iter()) {
        let good = info.state == row.expected;
        ok &= good;
        say!(
            "  {:<12} {:<8} (expected {:<8}) {}  {}",
            info.name,
            info.state.name(),
            row.expected.name(),
            if good { "ok" } else { "MISMATCH" },
            row.story
        );
    }
    let stats = monitor.stats();
    say!(
        "  monitor thread woke {} times; {} call threads still alive",
        stats.wakeups,
        stats.call_threads
    );
    for p in &problems {
        say!("  problem: {p}");
    }
    say!(
        "{}",
        if ok {
            "Every resource ended where expected."
        } else {
            "Some resources did not end where expected."
        }
    );
    debug_assert_eq!(
        rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        [ip, disk, web, db, share]
    );
    Ok(ok)
}
