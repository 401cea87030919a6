//! The `process` type, Failover Cluster's *Generic Application*: a command
//! in its own process group, online when its health check passes.
//!
//! - **Online** starts the command (stdin on `/dev/null`, stdout and stderr
//!   the host's, so they land in its journal) as the leader of a new
//!   process group; a spawn error fails Online at once with its `errno`.
//!   Without a health check the resource is online as soon as the process
//!   is started (`Done`). With one, Online is `Pending`: a worker makes one
//!   attempt per `check_interval`, each bounded by `check_timeout`, and
//!   reports `OnlinePending` with checkpoint 1, 2, 3, ... per failed
//!   attempt (the PendingTimeout heartbeat: an attempt that hangs longer
//!   than PendingTimeout fails the resource), then `Online` when one
//!   passes, or `Failed` after `max_attempts`.
//! - **A process that exits** while online or coming online fails the
//!   resource at once: its watcher thread, woken by the leader's exit
//!   (`waitid`, no polling), calls `signal_failure` with the exit status,
//!   or 128 + the signal's number.
//! - **LooksAlive**: the leader has not exited. **IsAlive**: it has not,
//!   and one health attempt passes (bounded by `check_timeout`; keep that
//!   below DeadlockTimeout).
//! - **Offline**: SIGTERM to the group, then `OfflinePending` checkpoints
//!   every 250 ms while it stops, SIGKILL to the group after `stop_grace`,
//!   `Offline` once the leader is reaped and the group is empty. Done at
//!   once when the process is gone already.
//! - **Terminate**: stops the pending worker, SIGKILLs the group, and
//!   returns once the leader is reaped and the group is empty. Safe at any
//!   time, concurrently and repeatedly. Dropping the resource does the same.
//!
//! - **The host dies** (killed, crashed): the kernel SIGKILLs the leader,
//!   and a health check's command in flight (`PR_SET_PDEATHSIG`; see
//!   `deathsig.rs` for which thread forks each).
//!
//! When the leader exits, whatever is left of its group is SIGKILLed, so
//! the group never outlives its leader; every process the host starts is
//! reaped. The first process resource to start a command makes the host a
//! child subreaper (`PR_SET_CHILD_SUBREAPER`), so that a command's
//! orphaned children come back to the host, which reaps them, instead of
//! going to an init that may never reap them (as in many containers). A
//! process that leaves its group (`setsid`) is beyond this: it becomes
//! the host's child, unwatched. See `child.rs` for how a pid or group id
//! is never reused under a signal.

mod child;
mod deathsig;
mod group;
mod health;
mod http;
mod params;
mod pidfd;
mod user;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use clusworker::{Context, Worker};
use clusworker_monitor::{ExitState, Outcome, Resource, ResourceState, StatusHandle};

use self::child::Child;
pub use self::http::HttpUrl;
pub use self::params::{Argv, Env, HealthCheck, ProcessParams};
pub use self::user::User;

/// How often Offline reports a checkpoint while the process stops.
const STOP_BEAT: Duration = Duration::from_millis(250);

/// How long Offline waits, before it goes pending, for the watcher to
/// finish with a process that has exited already.
const DRAIN_WAIT: Duration = Duration::from_millis(200);

/// A `process` resource. See the [module](self) for what each entry point
/// does.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use clusworker_host::types::process::{Argv, ProcessParams, ProcessResource};
/// use clusworker_monitor::{Monitor, Outcome, ResourceState};
///
/// let params = ProcessParams::new(Argv::try_from(["sleep", "60"])?);
/// let monitor = Monitor::start()?;
/// let id = monitor.add("sleeper", ProcessResource::new("sleeper", params)?);
/// assert_eq!(monitor.online(id)?, Outcome::Done); // no health check
/// assert_eq!(monitor.state(id)?, ResourceState::Online);
/// monitor.terminate(id)?; // SIGKILL to the group
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ProcessResource {
    name: Arc<str>,
    params: Arc<ProcessParams>,
    /// The pending operation's worker.
    worker: Mutex<Option<Worker<()>>>,
    /// The process group started by the last Online.
    child: Arc<Mutex<Option<Arc<Child>>>>,
}

impl ProcessResource {
    /// A resource that runs `params.command` when brought online.
    ///
    /// # Errors
    ///
    /// A message when the parameters break a rule their types cannot hold
    /// (a zero `check_interval` or `check_timeout`).
    pub fn new(name: &str, params: ProcessParams) -> Result<ProcessResource, String> {
        params.validate()?;
        Ok(ProcessResource {
            name: Arc::from(name),
            params: Arc::new(params),
            worker: Mutex::new(None),
            child: Arc::new(Mutex::new(None)),
        })
    }

    /// The parameters.
    pub fn params(&self) -> &ProcessParams {
        &self.params
    }

    /// The pid of the process group's leader (also the group's id), while
    /// the process started by the last Online has not exited.
    pub fn pid(&self) -> Option<u32> {
        let child = lock(&self.child).clone()?;
        (!child.has_exited()).then(|| child.pid())
    }

    /// Takes the pending worker out and terminates it (dropping joins it).
    fn stop_worker(&self) {
        let worker = lock(&self.worker).take();
        drop(worker);
    }

    fn current_child(&self) -> Option<Arc<Child>> {
        lock(&self.child).clone()
    }

    /// Forgets `child` if it is still the current one.
    fn forget(&self, child: &Arc<Child>) {
        let mut slot = lock(&self.child);
        if slot.as_ref().is_some_and(|c| Arc::ptr_eq(c, child)) {
            *slot = None;
        }
    }

    fn start_worker<F>(&self, routine: F) -> Outcome
    where
        F: FnOnce(&Context) + Send + 'static,
    {
        match Worker::spawn(move |ctx| routine(ctx)) {
            Ok(worker) => {
                let old = lock(&self.worker).replace(worker);
                drop(old);
                Outcome::Pending
            }
            Err(e) => Outcome::Failed(e.raw_os_error().map_or(8, |c| c.unsigned_abs())),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Resource for ProcessResource {
    fn online(&self, status: StatusHandle) -> Outcome {
        // Whatever an earlier run left (after a failure) goes first.
        self.terminate();
        let child = match Child::spawn(&self.name, &self.params) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(resource = %self.name, "cannot start {:?}: {e}", self.params.command.program());
                return Outcome::Failed(e.raw_os_error().map_or(1, |c| c.unsigned_abs()));
            }
        };
        *lock(&self.child) = Some(Arc::clone(&child));
        child.arm(status.clone());
        let Some(check) = self.params.health.clone() else {
            return Outcome::Done;
        };
        let params = Arc::clone(&self.params);
        let name = Arc::clone(&self.name);
        self.start_worker(move |ctx| come_online(ctx, &name, &params, &check, &child, &status))
    }

    fn offline(&self, status: StatusHandle) -> Outcome {
        self.stop_worker();
        let Some(child) = self.current_child() else {
            return Outcome::Done;
        };
        child.disarm();
        // A process that is gone already: its watcher reaps what is left
        // in a moment.
        let reaped = if child.has_exited() {
            DRAIN_WAIT
        } else {
            Duration::ZERO
        };
        if child.wait(Some(reaped)).is_some() {
            self.forget(&child);
            return Outcome::Done; // it had exited already
        }
        child.signal(libc::SIGTERM);
        let grace = self.params.stop_grace;
        let slot = Arc::clone(&self.child);
        self.start_worker(move |_ctx| {
            let killed_at = Instant::now() + grace;
            let mut checkpoint = 0;
            let mut killed = false;
            loop {
                let now = Instant::now();
                if !killed && now >= killed_at {
                    child.signal(libc::SIGKILL);
                    killed = true;
                }
                let beat = if killed {
                    STOP_BEAT
                } else {
                    STOP_BEAT.min(killed_at - now)
                };
                if child.wait(Some(beat)).is_some() {
                    break;
                }
                checkpoint += 1;
                if status.set_resource_status(ResourceState::OfflinePending, checkpoint)
                    == ExitState::Terminate
                {
                    return; // the monitor gave up; Terminate kills the group
                }
            }
            let mut slot = lock(&slot);
            if slot.as_ref().is_some_and(|c| Arc::ptr_eq(c, &child)) {
                *slot = None;
            }
            drop(slot);
            status.set_resource_status(ResourceState::Offline, checkpoint + 1);
        })
    }

    fn terminate(&self) {
        self.stop_worker();
        if let Some(child) = self.current_child() {
            child.disarm();
            child.signal(libc::SIGKILL);
            child.wait(None);
            self.forget(&child);
        }
    }

    fn looks_alive(&self) -> bool {
        self.current_child().is_some_and(|c| !c.has_exited())
    }

    fn is_alive(&self) -> bool {
        let Some(child) = self.current_child() else {
            return false;
        };
        let Some(check) = &self.params.health else {
            return !child.has_exited();
        };
        let stop = || child.has_exited();
        match health::attempt(check, self.params.check_timeout, &stop) {
            Ok(()) => !child.has_exited(),
            Err(why) => {
                tracing::warn!(resource = %self.name, "IsAlive: {why}");
                false
            }
        }
    }
}

/// The online worker: one health attempt per interval, a checkpoint per
/// failed attempt.
fn come_online(
    ctx: &Context,
    name: &str,
    params: &ProcessParams,
    check: &HealthCheck,
    child: &Child,
    status: &StatusHandle,
) {
    let stop = || ctx.check_terminate() || child.has_exited();
    for attempt in 1u32.. {
        if stop() {
            break;
        }
        match health::attempt(check, params.check_timeout, &stop) {
            Ok(()) if !child.has_exited() => {
                status.set_resource_status(ResourceState::Online, attempt);
                return;
            }
            Ok(()) => break,
            Err(why) => tracing::debug!(resource = name, attempt, "health check: {why}"),
        }
        if params.max_attempts.is_some_and(|max| attempt >= max.get()) {
            tracing::warn!(
                resource = name,
                "the health check failed {attempt} times: Online fails"
            );
            child.disarm();
            child.signal(libc::SIGKILL);
            status.set_resource_status(ResourceState::Failed, attempt);
            return;
        }
        if status.set_resource_status(ResourceState::OnlinePending, attempt) == ExitState::Terminate
            || ctx.sleep(params.check_interval).is_err()
        {
            return;
        }
    }
    if child.has_exited() && !ctx.check_terminate() {
        // The watcher has signalled the failure with the exit status; this
        // report is refused then, and only matters if that one was.
        status.set_resource_status(ResourceState::Failed, u32::MAX);
    }
}

impl fmt::Debug for ProcessResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessResource")
            .field("name", &self.name)
            .field("command", &self.params.command)
            .field("pid", &self.pid())
            .finish_non_exhaustive()
    }
}

impl Drop for ProcessResource {
    fn drop(&mut self) {
        self.terminate();
    }
}
