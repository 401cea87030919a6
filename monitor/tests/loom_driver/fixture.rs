//! What the models share: the timeouts, the model's resources ([`Probe`],
//! [`Keeper`]), a flag to wait for, and the monitor they start.

use std::sync::Arc as StdArc;
use std::time::Duration;

use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::{Condvar, Mutex};

use clusworker_monitor::loom::Mutant;
use clusworker_monitor::{Monitor, MonitorBuilder, Outcome, Resource, StatusHandle};

/// PendingTimeout of every model.
pub(crate) const PENDING: Duration = Duration::from_secs(1);
/// DeadlockTimeout of every model (under the call threads' keep-alive of
/// 5 s: no idle call thread exits in these models).
pub(crate) const DEADLOCK: Duration = Duration::from_secs(2);
/// Half-way to the first heartbeat deadline: a report now moves it.
pub(crate) const EARLY: Duration = Duration::from_millis(500);
/// How long an idle call thread waits for work before it exits (the
/// driver's `KEEP_ALIVE`).
pub(crate) const KEEP_ALIVE: Duration = Duration::from_secs(5);
/// The `LooksAlive` interval of the model that polls.
pub(crate) const POLL: Duration = Duration::from_millis(10);

/// A flag a thread of the model waits for.
#[derive(Default)]
pub(crate) struct Signal {
    pub(crate) raised: Mutex<bool>,
    pub(crate) cv: Condvar,
}

impl Signal {
    pub(crate) fn raise(&self) {
        *self.raised.lock().unwrap() = true;
        self.cv.notify_all();
    }

    pub(crate) fn wait(&self) {
        let mut raised = self.raised.lock().unwrap();
        while !*raised {
            raised = self.cv.wait(raised).unwrap();
        }
    }
}

/// The model's resource: what `online` answers, which entry point hangs
/// until the model releases it, and what the model learns.
#[derive(Default)]
pub(crate) struct Probe {
    pub(crate) online: Option<Outcome>,
    /// `online` keeps its status handle for the model, to report with.
    pub(crate) keep_status: bool,
    pub(crate) status: Mutex<Option<StatusHandle>>,
    pub(crate) hang_online: bool,
    pub(crate) hang_looks_alive: bool,
    /// The hanging entry point began.
    pub(crate) entered: Signal,
    /// The model lets the hanging entry point return.
    pub(crate) release: Signal,
    pub(crate) terminated: Signal,
    /// How many times `is_alive` was called.
    pub(crate) is_alive_calls: AtomicUsize,
}

impl Probe {
    pub(crate) fn new(online: Outcome) -> Probe {
        Probe {
            online: Some(online),
            ..Probe::default()
        }
    }

    pub(crate) fn take_status(&self) -> StatusHandle {
        let status = self.status.lock().unwrap().take();
        status.expect("online kept its status handle")
    }

    pub(crate) fn hang(&self) {
        self.entered.raise();
        self.release.wait();
    }
}

impl Resource for Probe {
    fn online(&self, status: StatusHandle) -> Outcome {
        if self.keep_status {
            *self.status.lock().unwrap() = Some(status);
        }
        if self.hang_online {
            self.hang();
        }
        self.online.expect("the model says what online answers")
    }
    fn offline(&self, _: StatusHandle) -> Outcome {
        Outcome::Done
    }
    fn terminate(&self) {
        self.terminated.raise();
    }
    fn looks_alive(&self) -> bool {
        if self.hang_looks_alive {
            self.hang();
        }
        true
    }
    fn is_alive(&self) -> bool {
        self.is_alive_calls.fetch_add(1, Ordering::Relaxed);
        true
    }
}

/// One call thread, no `IsAlive` poll, `LooksAlive` every `looks_alive`.
pub(crate) fn builder(mutant: Option<Mutant>, looks_alive: Option<Duration>) -> MonitorBuilder {
    Monitor::builder()
        .pending_timeout(PENDING)
        .deadlock_timeout(DEADLOCK)
        .looks_alive_interval(looks_alive)
        .is_alive_interval(None)
        .max_call_threads(1)
        .loom_mutant(mutant)
}

pub(crate) fn start(mutant: Option<Mutant>, looks_alive: Option<Duration>) -> Monitor {
    builder(mutant, looks_alive)
        .start()
        .expect("the monitor starts")
}

/// A resource that keeps the status handle its `online` was given (as
/// one with a watcher does), and says when it is dropped.
pub(crate) struct Keeper {
    pub(crate) status: Mutex<Option<StatusHandle>>,
    pub(crate) dropped: StdArc<AtomicBool>,
}

impl Resource for Keeper {
    fn online(&self, status: StatusHandle) -> Outcome {
        *self.status.lock().unwrap() = Some(status);
        Outcome::Done
    }
    fn offline(&self, _: StatusHandle) -> Outcome {
        Outcome::Done
    }
    fn terminate(&self) {}
}

impl Drop for Keeper {
    fn drop(&mut self) {
        self.dropped.store(true, Ordering::SeqCst);
    }
}
