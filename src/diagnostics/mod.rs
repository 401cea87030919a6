//! Diagnostics of stuck work: the live workers of the process, where they
//! were spawned, how long they have been asked to terminate, and how far
//! they got.
//!
//! Off until [`enable`] is called: while it is off a spawn pays one
//! `Relaxed` load for it and nothing else. While it is on, every worker
//! spawned ([`Worker::spawn`](crate::Worker::spawn),
//! [`Builder::spawn`](crate::Builder::spawn)) is listed from the moment
//! its routine starts until it returns, by an entry on its own thread's
//! stack (no allocation) linked into one process-wide list; the entry is
//! unlinked before the exit is published, so the list never holds an
//! exited worker, and a snapshot never reads freed memory (the loom model
//! `loom_diagnostics` checks it).
//!
//! - [`workers`]: a snapshot of every listed worker ([`WorkerInfo`]).
//! - [`stuck`]: the ones asked to terminate at least a given time ago.
//! - [`Context::progress`](crate::Context::progress): the routine's last
//!   progress mark, one `Relaxed` store.
//!
//! Pool jobs ([`pool`](crate::pool)) are not listed (their threads are,
//! by name, in the OS's own tools).
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use clusworker::{Builder, Reason, State, diagnostics};
//!
//! diagnostics::enable();
//! let (ready_tx, ready) = std::sync::mpsc::channel();
//! let (release, released) = std::sync::mpsc::channel::<()>();
//! let worker = Builder::new().name("disk-online".into()).spawn(move |ctx| {
//!     ctx.progress(3);
//!     ready_tx.send(()).unwrap();
//!     // Blocked in a call that does not check for terminate: the kind of
//!     // worker this finds.
//!     let _ = released.recv();
//! })?;
//! ready.recv().unwrap();
//! let _ = worker.request_terminate_with(Reason::User(1));
//!
//! let stuck = diagnostics::stuck(Duration::ZERO);
//! let info = stuck.iter().find(|w| w.name.as_deref() == Some("disk-online")).unwrap();
//! assert_eq!(info.state, State::Terminating);
//! assert_eq!(info.terminating.unwrap().reason, Reason::User(1));
//! assert_eq!(info.progress, 3);
//! assert_eq!(info.site.file(), file!()); // spawned here
//! println!("{info}"); // disk-online, spawned at src/…, Terminating for …
//! drop(release); // unblocks it
//! worker.join().unwrap();
//! # Ok::<(), clusworker::SpawnError>(())
//! ```

mod list;
pub(crate) mod name;
mod progress;

use std::fmt;
use std::panic::Location;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use clusworker_core::{Reason, State};

pub(crate) use list::listed;
use list::{ENABLED, LIST, Listed, requested_after};

/// Turns the list on: every worker spawned from now on is listed while
/// its routine runs. Workers spawned before are not.
pub fn enable() {
    // The monitor's reports mark the worker's checkpoint through it.
    clusworker_core::progress::set_hook(progress::mark_this_thread);
    ENABLED.store(true, Relaxed);
}

/// Turns the list off: workers spawned from now on are not listed; those
/// listed stay listed until they return.
pub fn disable() {
    ENABLED.store(false, Relaxed);
}

/// Is the list on?
pub fn is_enabled() -> bool {
    ENABLED.load(Relaxed)
}

/// One listed worker, as [`workers`] saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerInfo {
    /// Its name ([`Builder::name`](crate::Builder::name)), if it was given
    /// one.
    pub name: Option<String>,
    /// Where it was spawned: the caller of `Worker::spawn` or
    /// `Builder::spawn`.
    pub site: &'static Location<'static>,
    /// `Running` or `Terminating` (a listed worker has not exited).
    pub state: State,
    /// How long its routine has been running.
    pub age: Duration,
    /// Set once terminate was requested.
    pub terminating: Option<Terminating>,
    /// Its last [`Context::progress`](crate::Context::progress) mark (0
    /// until it made one).
    pub progress: u64,
}

/// A terminate request, as [`workers`] saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Terminating {
    /// The first request's reason.
    pub reason: Reason,
    /// How long ago it was made (zero for a request made so recently that
    /// its time was not yet recorded).
    pub since: Duration,
}

/// A snapshot of every listed worker, the longest-running first. Empty
/// while the list was never [enabled](enable).
///
/// # Examples
///
/// ```
/// use clusworker::{Builder, diagnostics};
/// diagnostics::enable();
/// let w = Builder::new()
///     .name("listed".into())
///     .spawn(|ctx| while ctx.sleep(std::time::Duration::MAX).is_ok() {})?;
/// while !diagnostics::workers().iter().any(|i| i.name.as_deref() == Some("listed")) {
///     std::thread::yield_now(); // listed once its routine has started
/// }
/// w.terminate();
/// w.join().unwrap();
/// // Gone from the list once it returned.
/// assert!(!diagnostics::workers().iter().any(|i| i.name.as_deref() == Some("listed")));
/// # Ok::<(), clusworker::SpawnError>(())
/// ```
pub fn workers() -> Vec<WorkerInfo> {
    let mut out = Vec::new();
    let now = Instant::now();
    LIST.for_each(|e| out.push(snapshot(e, now)));
    out.sort_by_key(|w| std::cmp::Reverse(w.age));
    out
}

/// The listed workers asked to terminate at least `threshold` ago (and
/// still running), the longest-asked first.
pub fn stuck(threshold: Duration) -> Vec<WorkerInfo> {
    let mut out: Vec<WorkerInfo> = workers()
        .into_iter()
        .filter(|w| w.terminating.is_some_and(|t| t.since >= threshold))
        .collect();
    out.sort_by_key(|w| std::cmp::Reverse(w.terminating.map(|t| t.since)));
    out
}

fn snapshot(e: &Listed, now: Instant) -> WorkerInfo {
    // SAFETY: the word and the name live in the worker's block, which is
    // freed only after the entry is unlinked, and we are inside a walk,
    // which the unlink waits for (`list`'s module docs).
    let (word, name) = unsafe { (&*e.word, &*e.name) };
    // SAFETY: the mark is the worker thread's thread-local, alive while
    // the thread runs, which it does until after the unlink.
    let progress = unsafe { &*e.mark }.load(Relaxed);
    let age = now.saturating_duration_since(e.started);
    let terminating = word.reason().map(|reason| Terminating {
        reason,
        since: requested_after(e).map_or(Duration::ZERO, |at| age.saturating_sub(at)),
    });
    WorkerInfo {
        name: name.as_str().map(str::to_owned),
        site: e.site,
        state: word.state(),
        age,
        terminating,
        progress,
    }
}

impl fmt::Display for WorkerInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, spawned at {}, {:?} for {:.1?}",
            self.name.as_deref().unwrap_or("(unnamed)"),
            self.site,
            self.state,
            self.age
        )?;
        if let Some(t) = self.terminating {
            write!(
                f,
                ", terminate requested {:.1?} ago ({})",
                t.since, t.reason
            )?;
        }
        write!(f, ", progress {}", self.progress)
    }
}
