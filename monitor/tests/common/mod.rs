//! What the monitor's integration tests share: a monitor where nothing
//! fires by itself, and the `online` of a resource that starts a worker.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use clusworker::Worker;
use clusworker_monitor::{Monitor, MonitorBuilder, Outcome};

/// Longest a test waits for what should come soon: a guard against a hang,
/// never a claim about speed.
pub(crate) const GUARD: Duration = Duration::from_secs(20);

/// `m` locked, poisoned or not.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A monitor on which no timeout fires during a test, and no poll runs.
pub(crate) fn quiet() -> MonitorBuilder {
    Monitor::builder()
        .pending_timeout(Duration::from_secs(3600))
        .deadlock_timeout(Duration::from_secs(3600))
        .looks_alive_interval(None)
        .is_alive_interval(None)
}

/// What an `online` that started `spawned` answers: the worker kept in
/// `slot` (for `terminate` to take), and `Pending` or `Done` as `pending`
/// says; `Failed(8)` (`ERROR_NOT_ENOUGH_MEMORY`) if it could not be
/// started.
pub(crate) fn keep_worker<T, E>(
    slot: &Mutex<Option<Worker<T>>>,
    spawned: Result<Worker<T>, E>,
    pending: bool,
) -> Outcome {
    let Ok(worker) = spawned else {
        return Outcome::Failed(8);
    };
    *lock(slot) = Some(worker);
    if pending {
        Outcome::Pending
    } else {
        Outcome::Done
    }
}
