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

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::ops::Range;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use clusworker::Worker;
use clusworker::monitor::{
    Escalation, Event, ExitState, Monitor, Operation, Outcome, Resource, ResourceId, ResourceInfo,
    ResourceState, StatusHandle,
};
use crossterm::style::{self, Color};
use crossterm::{cursor, queue, terminal};

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

// ----- the resources ---------------------------------------------------------

/// How a demo resource behaves.
#[derive(Debug, Clone, Copy)]
enum Plan {
    /// `online` and `offline` return done at once.
    Immediate,
    /// A worker reports `online` (or `offline`) checkpoints, one per step,
    /// then the final state.
    Steps { online: u32, offline: u32 },
    /// The online worker reports `after` checkpoints, then hangs without
    /// reporting (until it is terminated).
    StallsAfter { after: u32 },
    /// The online worker never reports, and `terminate` hangs (until the demo
    /// releases it at the very end).
    HangsInTerminate,
}

/// A gate that a hung `terminate` waits on.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    cv: Condvar,
}

impl Gate {
    fn wait(&self) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        while !*open {
            open = self.cv.wait(open).unwrap_or_else(PoisonError::into_inner);
        }
    }
    fn open(&self) {
        *self.open.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.cv.notify_all();
    }
}

/// A demo resource: its plan, and the worker of its pending operation.
struct DemoResource {
    plan: Plan,
    step: Duration,
    worker: Mutex<Option<Worker<()>>>,
    gate: Arc<Gate>,
}

impl DemoResource {
    fn new(plan: Plan, step: Duration, gate: Arc<Gate>) -> DemoResource {
        DemoResource {
            plan,
            step,
            worker: Mutex::new(None),
            gate,
        }
    }

    /// Starts the operation's worker and answers `Pending`; `Failed` if no
    /// thread can be started.
    fn pending(&self, op: Operation, status: StatusHandle, report: u32, stall: bool) -> Outcome {
        let step = self.step;
        let spawned = Worker::spawn(move |ctx| {
            for checkpoint in 1..=report {
                if ctx.sleep(step).is_err() {
                    return; // Terminate was called.
                }
                if status.set_resource_status(op.pending_state(), checkpoint)
                    == ExitState::Terminate
                {
                    return; // The monitor gave up on this operation.
                }
            }
            if stall {
                // Stuck (waiting for a log replay that never ends): no more
                // reports, but the worker still honours terminate.
                while ctx.sleep(Duration::MAX).is_ok() {}
                return;
            }
            if ctx.sleep(step).is_ok() {
                status.set_resource_status(op.target(), report + 1);
            }
        });
        match spawned {
            Ok(worker) => {
                // The previous operation's worker has finished; dropping it
                // joins it.
                let old = self.lock_worker().replace(worker);
                drop(old);
                Outcome::Pending
            }
            Err(e) => Outcome::Failed(e.raw_os_error().map_or(1, |c| c.unsigned_abs())),
        }
    }

    fn lock_worker(&self) -> std::sync::MutexGuard<'_, Option<Worker<()>>> {
        self.worker.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Resource for DemoResource {
    fn online(&self, status: StatusHandle) -> Outcome {
        match self.plan {
            Plan::Immediate => Outcome::Done,
            Plan::Steps { online, .. } => self.pending(Operation::Online, status, online, false),
            Plan::StallsAfter { after } => self.pending(Operation::Online, status, after, true),
            Plan::HangsInTerminate => self.pending(Operation::Online, status, 0, true),
        }
    }

    fn offline(&self, status: StatusHandle) -> Outcome {
        match self.plan {
            Plan::Steps { offline, .. } => self.pending(Operation::Offline, status, offline, false),
            _ => {
                self.terminate();
                Outcome::Done
            }
        }
    }

    fn terminate(&self) {
        if let Plan::HangsInTerminate = self.plan {
            self.gate.wait(); // a stuck unmount
        }
        // Dropping the worker terminates it and waits for it.
        let worker = self.lock_worker().take();
        drop(worker);
    }
}

/// What the demo knows of each resource.
struct Row {
    id: ResourceId,
    online_steps: u32,
    offline_steps: u32,
    expected: ResourceState,
    story: &'static str,
}

// ----- the view --------------------------------------------------------------

/// One line of the log under the table.
fn event_line(e: &Event) -> String {
    format!(
        "[{:6.2}s] {:<12} {:<14} -> {:<14} {}",
        e.at.as_secs_f64(),
        e.name,
        e.from.name(),
        e.to.name(),
        e.cause
    )
}

fn escalation_line(e: &Escalation) -> String {
    format!(
        "[{:6.2}s] ESCALATION   {} — the host would recycle the process here",
        e.at.as_secs_f64(),
        e
    )
}

fn color(state: ResourceState) -> Color {
    match state {
        ResourceState::Online => Color::Green,
        ResourceState::Failed => Color::Red,
        ResourceState::OnlinePending | ResourceState::OfflinePending => Color::Yellow,
        _ => Color::DarkGrey,
    }
}

/// One line of the view: its text, and the part of it (in characters)
/// drawn in a colour on a terminal.
struct Line {
    text: String,
    color: Option<(Range<usize>, Color)>,
}

impl From<String> for Line {
    fn from(text: String) -> Line {
        Line { text, color: None }
    }
}

fn progress_bar(done: u32, total: u32) -> String {
    let width = 12usize;
    let total = total.max(1);
    let filled = (done.min(total) as usize * width) / total as usize;
    format!(
        "[{}{}] {done:>2}/{total}",
        "#".repeat(filled),
        ".".repeat(width - filled)
    )
}

/// The table, one line per resource.
fn table(infos: &[ResourceInfo], rows: &[Row], now: Duration) -> Vec<Line> {
    let mut out = vec![Line::from(format!(
        "{:<12} {:<14} {:<20} {}",
        "RESOURCE", "STATE", "PROGRESS", "NOTE"
    ))];
    for (info, row) in infos.iter().zip(rows) {
        let progress = match (info.operation, info.checkpoint) {
            (Some(Operation::Online), Some(cp)) => progress_bar(cp, row.online_steps),
            (Some(Operation::Offline), Some(cp)) => progress_bar(cp, row.offline_steps),
            _ => String::new(),
        };
        let note = if info.isolated {
            "isolated after a hung call".to_string()
        } else if let Some(d) = info.deadline {
            let left = d.saturating_sub(now).as_millis();
            format!("heartbeat due in {left} ms")
        } else {
            row.story.to_string()
        };
        let name = format!("{:<12} ", info.name);
        let state = format!("{:<14}", info.state.name());
        let at = name.chars().count()..name.chars().count() + state.chars().count();
        out.push(Line {
            text: format!("{name}{state} {progress:<20} {note}"),
            color: Some((at, color(info.state))),
        });
    }
    out
}

/// How many of the latest log lines the live view shows under the table.
const LOG_LINES: usize = 14;

/// Draws frames of the view in place on a terminal, below what was
/// printed before it, with crossterm: every line cut to the terminal's
/// width (so none wraps: a wrapped line takes two screen rows where one
/// was counted) and the frame to its height (a row scrolled off the top
/// cannot be drawn over), so the next frame starts where this one did.
/// The last frame's log lines are printed whole (nothing is drawn over
/// them), wrapped or not.
#[derive(Default)]
struct Screen {
    /// Rows of the last frame, and the terminal's size when it was drawn.
    drawn: u16,
    size: (u16, u16),
}

impl Screen {
    fn draw(
        &mut self,
        out: &mut impl Write,
        table: Vec<Line>,
        log: &[String],
        last: bool,
    ) -> std::io::Result<()> {
        let size = terminal::size()?;
        let (cols, rows) = (usize::from(size.0.max(2)), usize::from(size.1.max(2)));
        // Resized: the old frame may have been reflowed into other rows;
        // start a new one below it rather than draw over what is unknown.
        if size != self.size {
            self.drawn = 0;
            self.size = size;
        }
        // The table whole (unless the terminal is shorter), then as many
        // of the latest log lines as fit; one row stays for the cursor.
        let room = if last { usize::MAX } else { rows - 1 };
        let mut lines = table;
        lines.truncate(room);
        let table_rows = lines.len();
        if lines.len() + 1 < room {
            lines.push(Line::from(String::new()));
            let fit = (room - lines.len()).min(LOG_LINES);
            let log = &log[log.len().saturating_sub(fit)..];
            lines.extend(log.iter().cloned().map(Line::from));
        }
        if self.drawn > 0 {
            queue!(out, cursor::MoveToPreviousLine(self.drawn))?;
        }
        for (i, line) in lines.iter().enumerate() {
            // One column short of the edge: a character in the last column
            // leaves the cursor waiting to wrap. The last frame's log lines
            // are whole: nothing is drawn over them.
            let whole = last && i >= table_rows;
            print_cut(out, line, if whole { usize::MAX } else { cols - 1 })?;
            queue!(
                out,
                terminal::Clear(terminal::ClearType::UntilNewLine),
                style::Print("\r\n")
            )?;
        }
        queue!(out, terminal::Clear(terminal::ClearType::FromCursorDown))?;
        self.drawn = u16::try_from(lines.len()).unwrap_or(u16::MAX);
        out.flush()
    }
}

/// Prints `line`'s first `width` characters, its coloured part in colour.
fn print_cut(out: &mut impl Write, line: &Line, width: usize) -> std::io::Result<()> {
    let chars: Vec<char> = line.text.chars().take(width).collect();
    let text = |r: Range<usize>| -> String {
        chars[r.start.min(chars.len())..r.end.min(chars.len())]
            .iter()
            .collect()
    };
    match &line.color {
        Some((at, c)) => queue!(
            out,
            style::Print(text(0..at.start)),
            style::SetForegroundColor(*c),
            style::Print(text(at.clone())),
            style::ResetColor,
            style::Print(text(at.end..chars.len())),
        ),
        None => queue!(out, style::Print(text(0..chars.len()))),
    }
}

/// Draws the view until `stop`: on a terminal the table and the latest log
/// lines in place; otherwise each event, escalation and observed checkpoint
/// as a plain line.
struct View {
    monitor: Arc<Monitor>,
    rows: Arc<Vec<Row>>,
    events: Receiver<Event>,
    escalations: Receiver<Escalation>,
    /// Drawn in place on a terminal (`None`: plain lines).
    screen: Option<Screen>,
    log: Vec<String>,
    seen_checkpoints: HashMap<ResourceId, (Option<Operation>, Option<u32>)>,
}

impl View {
    fn drain(&mut self) -> Vec<String> {
        let mut new = Vec::new();
        // Escalations are sent by the hook after their event: take events
        // first, so the log keeps the order.
        new.extend(self.events.try_iter().map(|e| event_line(&e)));
        new.extend(self.escalations.try_iter().map(|e| escalation_line(&e)));
        new
    }

    /// Draws what changed; `last`: the final frame.
    fn tick(&mut self, out: &mut impl Write, last: bool) -> std::io::Result<()> {
        let now = self.monitor.elapsed();
        let infos = self.monitor.resources();
        let new = self.drain();
        if let Some(screen) = &mut self.screen {
            self.log.extend(new);
            let keep = self.log.len().saturating_sub(LOG_LINES);
            self.log.drain(..keep);
            screen.draw(out, table(&infos, &self.rows, now), &self.log, last)?;
        } else {
            for l in new {
                writeln!(out, "{l}")?;
            }
            for (info, row) in infos.iter().zip(self.rows.iter()) {
                let key = (info.operation, info.checkpoint);
                let before = self.seen_checkpoints.insert(info.id, key);
                if let (Some(op), Some(cp)) = key {
                    if cp > 0 && before != Some(key) {
                        let total = if op == Operation::Online {
                            row.online_steps
                        } else {
                            row.offline_steps
                        };
                        writeln!(
                            out,
                            "[{:6.2}s] {:<12} {} checkpoint {}",
                            now.as_secs_f64(),
                            info.name,
                            op,
                            progress_bar(cp, total)
                        )?;
                    }
                }
            }
        }
        out.flush()
    }
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
