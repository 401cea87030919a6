//! The demo's resources: how each behaves ([`Plan`]), and the workers of
//! their pending operations.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use clusworker::Worker;
use clusworker::monitor::{
    ExitState, Operation, Outcome, Resource, ResourceId, ResourceState, StatusHandle,
};

// ----- the resources ---------------------------------------------------------

/// How a demo resource behaves.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Plan {
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
pub(crate) struct Gate {
    pub(crate) open: Mutex<bool>,
    pub(crate) cv: Condvar,
}

impl Gate {
    pub(crate) fn wait(&self) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        while !*open {
            open = self.cv.wait(open).unwrap_or_else(PoisonError::into_inner);
        }
    }
    pub(crate) fn open(&self) {
        *self.open.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.cv.notify_all();
    }
}

/// A demo resource: its plan, and the worker of its pending operation.
pub(crate) struct DemoResource {
    pub(crate) plan: Plan,
    pub(crate) step: Duration,
    pub(crate) worker: Mutex<Option<Worker<()>>>,
    pub(crate) gate: Arc<Gate>,
}

impl DemoResource {
    pub(crate) fn new(plan: Plan, step: Duration, gate: Arc<Gate>) -> DemoResource {
        DemoResource {
            plan,
            step,
            worker: Mutex::new(None),
            gate,
        }
    }

    /// Starts the operation's worker and answers `Pending`; `Failed` if no
    /// thread can be started.
    pub(crate) fn pending(
        &self,
        op: Operation,
        status: StatusHandle,
        report: u32,
        stall: bool,
    ) -> Outcome {
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

    pub(crate) fn lock_worker(&self) -> std::sync::MutexGuard<'_, Option<Worker<()>>> {
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
pub(crate) struct Row {
    pub(crate) id: ResourceId,
    pub(crate) online_steps: u32,
    pub(crate) offline_steps: u32,
    pub(crate) expected: ResourceState,
    pub(crate) story: &'static str,
}
