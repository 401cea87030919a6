//! The `scripted` type: the demo's timer resource, for demos and tests. It
//! runs nothing; it reports checkpoints on a schedule.
//!
//! | key | value | default |
//! |---|---|---|
//! | `steps` | checkpoints a pending operation reports before its final state | `3` |
//! | `step` | duration between two checkpoints | `"200ms"` |
//! | `online` | `"pending"`: checkpoints, then `Online`; `"done"`: online at once; `"fail"`: Online returns failed (code 31, `ERROR_GEN_FAILURE`); `{ hang_after = N }`: N checkpoints, then silence until terminated (PendingTimeout fires) | `"pending"` |
//! | `offline` | `"pending"`: checkpoints, then `Offline`; `"done"`: offline at once | `"pending"` |
//! | `terminate_hangs` | `true`: Terminate never returns (until the resource is released), so DeadlockTimeout escalates | `false` |

use std::fmt;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use clusworker::Worker;
use clusworker_monitor::{ExitState, Operation, Outcome, Resource, StatusHandle};
use serde::Deserialize;

/// `ERROR_GEN_FAILURE`: what a scripted Online set to `"fail"` returns.
const GEN_FAILURE: u32 = 31;

/// The parameters of a `scripted` resource; see the [module](self).
///
/// # Examples
///
/// ```
/// use clusworker_host::types::scripted::{OnlineScript, ScriptedParams};
///
/// let p: ScriptedParams = toml::from_str(r#"
///     steps = 5
///     step = "50ms"
///     online = { hang_after = 2 }
/// "#)?;
/// assert_eq!(p.online, OnlineScript::HangAfter(2));
/// assert!(!p.terminate_hangs);
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ScriptedParams {
    /// Checkpoints a pending operation reports before its final state.
    #[serde(default = "default_steps", deserialize_with = "steps")]
    pub steps: u32,
    /// Time between two checkpoints.
    #[serde(default = "default_step", deserialize_with = "step")]
    pub step: Duration,
    /// What Online does.
    #[serde(default, deserialize_with = "online")]
    pub online: OnlineScript,
    /// What Offline does.
    #[serde(default, deserialize_with = "offline")]
    pub offline: OfflineScript,
    /// Terminate hangs (until [`ScriptedResource::release`]).
    #[serde(default, deserialize_with = "terminate_hangs")]
    pub terminate_hangs: bool,
}

impl Default for ScriptedParams {
    fn default() -> ScriptedParams {
        ScriptedParams {
            steps: default_steps(),
            step: default_step(),
            online: OnlineScript::default(),
            offline: OfflineScript::default(),
            terminate_hangs: false,
        }
    }
}

keyed! {
    steps: u32 = "steps" by u32::deserialize;
    step: Duration = "step" by crate::duration::deserialize;
    online: OnlineScript = "online" by OnlineScript::deserialize;
    offline: OfflineScript = "offline" by OfflineScript::deserialize;
    terminate_hangs: bool = "terminate_hangs" by bool::deserialize;
}

fn default_steps() -> u32 {
    3
}
fn default_step() -> Duration {
    Duration::from_millis(200)
}

/// What a scripted Online does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum OnlineScript {
    /// `steps` checkpoints, then `Online`.
    #[default]
    Pending,
    /// `Done` at once.
    Done,
    /// Returns `Failed(31)`.
    Fail,
    /// `N` checkpoints, then no report until terminated.
    HangAfter(u32),
}

/// What a scripted Offline does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OfflineScript {
    /// `steps` checkpoints, then `Offline`.
    #[default]
    Pending,
    /// `Done` at once.
    Done,
}

/// A `scripted` resource.
pub struct ScriptedResource {
    params: ScriptedParams,
    worker: Mutex<Option<Worker<()>>>,
    released: Mutex<bool>,
    release: Condvar,
}

impl ScriptedResource {
    /// A resource that follows `params`.
    pub fn new(params: ScriptedParams) -> ScriptedResource {
        ScriptedResource {
            params,
            worker: Mutex::new(None),
            released: Mutex::new(false),
            release: Condvar::new(),
        }
    }

    /// Lets a hung Terminate (`terminate_hangs`) return, now and for ever.
    pub fn release(&self) {
        *self.released.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.release.notify_all();
    }

    fn lock_worker(&self) -> MutexGuard<'_, Option<Worker<()>>> {
        self.worker.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A worker that reports `steps` checkpoints one `step` apart, then the
    /// target unless `hang`.
    fn pending(&self, op: Operation, status: StatusHandle, steps: u32, hang: bool) -> Outcome {
        let step = self.params.step;
        let spawned = Worker::spawn(move |ctx| {
            for checkpoint in 1..=steps {
                if ctx.sleep(step).is_err()
                    || status.set_resource_status(op.pending_state(), checkpoint)
                        == ExitState::Terminate
                {
                    return;
                }
                // The last checkpoint reported: `clusworker-hostctl workers`.
                ctx.progress(checkpoint.into());
            }
            if hang {
                while ctx.sleep(Duration::MAX).is_ok() {}
            } else if ctx.sleep(step).is_ok() {
                status.set_resource_status(op.target(), steps + 1);
            }
        });
        match spawned {
            Ok(worker) => {
                let old = self.lock_worker().replace(worker);
                drop(old);
                Outcome::Pending
            }
            Err(e) => Outcome::Failed(e.raw_os_error().map_or(8, |c| c.unsigned_abs())),
        }
    }
}

impl Resource for ScriptedResource {
    fn online(&self, status: StatusHandle) -> Outcome {
        let steps = self.params.steps;
        match self.params.online {
            OnlineScript::Done => Outcome::Done,
            OnlineScript::Fail => Outcome::Failed(GEN_FAILURE),
            OnlineScript::Pending => self.pending(Operation::Online, status, steps, false),
            OnlineScript::HangAfter(n) => self.pending(Operation::Online, status, n, true),
        }
    }

    fn offline(&self, status: StatusHandle) -> Outcome {
        match self.params.offline {
            OfflineScript::Done => {
                drop(self.lock_worker().take());
                Outcome::Done
            }
            OfflineScript::Pending => {
                self.pending(Operation::Offline, status, self.params.steps, false)
            }
        }
    }

    fn terminate(&self) {
        if self.params.terminate_hangs {
            let mut released = self.released.lock().unwrap_or_else(PoisonError::into_inner);
            while !*released {
                released = self
                    .release
                    .wait(released)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        }
        let worker = self.lock_worker().take();
        drop(worker);
    }
}

impl fmt::Debug for ScriptedResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScriptedResource")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}
