//! A scriptable resource for the monitor tests.
#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use clusworker::Worker;
use clusworker::monitor::{
    EntryPoint, Event, ExitState, Operation, Outcome, Resource, ResourceState, StatusHandle,
};

/// Longest any test waits for something that should happen soon: a guard
/// against hangs, never a claim about speed.
pub const GUARD: Duration = Duration::from_secs(20);

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A gate hung calls wait on; open it to let them return.
#[derive(Default)]
pub struct Gate {
    open: Mutex<bool>,
    cv: Condvar,
    waiting: AtomicUsize,
}

impl Gate {
    pub fn wait(&self) {
        self.waiting.fetch_add(1, SeqCst);
        let mut open = lock(&self.open);
        while !*open {
            open = self.cv.wait(open).unwrap_or_else(PoisonError::into_inner);
        }
    }
    pub fn open(&self) {
        *lock(&self.open) = true;
        self.cv.notify_all();
    }
    /// Spins (with sleeps) until `n` callers are waiting at the gate.
    pub fn await_waiters(&self, n: usize) {
        let start = std::time::Instant::now();
        while self.waiting.load(SeqCst) < n {
            assert!(start.elapsed() < GUARD, "nobody reached the gate");
            std::thread::sleep(ms(1));
        }
    }
}

/// What `online` or `offline` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Returns `Done`.
    Done,
    /// Returns `Failed(code)`.
    Fail(u32),
    /// Keeps the status handle for the test to report with; returns `Pending`.
    Manual,
    /// A worker reports `n` pending checkpoints, `every` apart, then the
    /// target state; returns `Pending`.
    Steps { n: u32, every: Duration },
    /// A worker that never reports and waits for terminate; returns `Pending`.
    Silent,
    /// Blocks on the gate, then returns `Done`.
    Hang,
    /// Blocks on the gate, then returns `Pending` (keeping the handle).
    HangThenPending,
    /// Panics.
    Panic,
}

/// The scriptable resource.
pub struct Scripted {
    pub online: Mutex<Behaviour>,
    pub offline: Mutex<Behaviour>,
    pub terminate_hangs: AtomicBool,
    pub looks_alive: AtomicBool,
    pub is_alive: AtomicBool,
    /// Every entry point called, in order.
    pub calls: Mutex<Vec<EntryPoint>>,
    /// The status handles given to `Manual` operations, latest last.
    pub handles: Mutex<Vec<StatusHandle>>,
    /// The exit states the `Steps` worker received.
    pub answers: Arc<Mutex<Vec<ExitState>>>,
    pub gate: Gate,
    worker: Mutex<Option<Worker<()>>>,
}

impl Scripted {
    pub fn new(online: Behaviour) -> Arc<Scripted> {
        Arc::new(Scripted {
            online: Mutex::new(online),
            offline: Mutex::new(Behaviour::Done),
            terminate_hangs: AtomicBool::new(false),
            looks_alive: AtomicBool::new(true),
            is_alive: AtomicBool::new(true),
            calls: Mutex::default(),
            handles: Mutex::default(),
            answers: Arc::default(),
            gate: Gate::default(),
            worker: Mutex::default(),
        })
    }

    pub fn with_offline(self: Arc<Self>, b: Behaviour) -> Arc<Self> {
        *lock(&self.offline) = b;
        self
    }

    pub fn calls(&self) -> Vec<EntryPoint> {
        lock(&self.calls).clone()
    }

    pub fn count(&self, ep: EntryPoint) -> usize {
        lock(&self.calls).iter().filter(|c| **c == ep).count()
    }

    /// The latest `Manual` handle.
    pub fn handle(&self) -> StatusHandle {
        lock(&self.handles)
            .last()
            .cloned()
            .expect("a Manual operation ran")
    }

    fn record(&self, ep: EntryPoint) {
        lock(&self.calls).push(ep);
    }

    fn run(&self, b: Behaviour, op: Operation, status: StatusHandle) -> Outcome {
        match b {
            Behaviour::Done => Outcome::Done,
            Behaviour::Fail(code) => Outcome::Failed(code),
            Behaviour::Manual => {
                lock(&self.handles).push(status);
                Outcome::Pending
            }
            Behaviour::Steps { n, every } => {
                let answers = Arc::clone(&self.answers);
                let w = Worker::spawn(move |ctx| {
                    for cp in 1..=n {
                        if ctx.sleep(every).is_err() {
                            return;
                        }
                        let a = status.set_resource_status(op.pending_state(), cp);
                        lock(&answers).push(a);
                        if a == ExitState::Terminate {
                            return;
                        }
                    }
                    let a = status.set_resource_status(op.target(), n + 1);
                    lock(&answers).push(a);
                })
                .expect("spawn a worker");
                *lock(&self.worker) = Some(w);
                Outcome::Pending
            }
            Behaviour::Silent => {
                let w = Worker::spawn(move |ctx| {
                    let _keep = status;
                    while ctx.sleep(Duration::MAX).is_ok() {}
                })
                .expect("spawn a worker");
                *lock(&self.worker) = Some(w);
                Outcome::Pending
            }
            Behaviour::Hang => {
                self.gate.wait();
                Outcome::Done
            }
            Behaviour::HangThenPending => {
                self.gate.wait();
                lock(&self.handles).push(status);
                Outcome::Pending
            }
            Behaviour::Panic => panic!("the resource panics on purpose"),
        }
    }
}

impl Resource for Scripted {
    fn online(&self, status: StatusHandle) -> Outcome {
        self.record(EntryPoint::Online);
        let b = *lock(&self.online);
        self.run(b, Operation::Online, status)
    }
    fn offline(&self, status: StatusHandle) -> Outcome {
        self.record(EntryPoint::Offline);
        let b = *lock(&self.offline);
        self.run(b, Operation::Offline, status)
    }
    fn terminate(&self) {
        self.record(EntryPoint::Terminate);
        if self.terminate_hangs.load(SeqCst) {
            self.gate.wait();
        }
        let w = lock(&self.worker).take();
        drop(w); // terminates and joins
    }
    fn looks_alive(&self) -> bool {
        self.record(EntryPoint::LooksAlive);
        self.looks_alive.load(SeqCst)
    }
    fn is_alive(&self) -> bool {
        self.record(EntryPoint::IsAlive);
        self.is_alive.load(SeqCst)
    }
}

/// Waits (at most [`GUARD`]) for the first event matching `f`, and returns
/// it with every event before it.
pub fn until(events: &Receiver<Event>, f: impl Fn(&Event) -> bool) -> Vec<Event> {
    let mut seen = Vec::new();
    loop {
        match events.recv_timeout(GUARD) {
            Ok(e) => {
                let done = f(&e);
                seen.push(e);
                if done {
                    return seen;
                }
            }
            Err(_) => panic!("no matching event within {GUARD:?}; saw {seen:#?}"),
        }
    }
}

/// The (from, to) pairs of `events`.
pub fn path(events: &[Event]) -> Vec<(ResourceState, ResourceState)> {
    events.iter().map(|e| (e.from, e.to)).collect()
}
