//! [`Pending`]: the resource the monitor benches drive.

use std::sync::{Mutex, PoisonError};

use clusworker::monitor::{Outcome, Resource, StatusHandle};

/// A resource whose `online` returns `Pending` and keeps the status handle;
/// nothing ever reports unless the bench does.
#[derive(Debug, Default)]
pub struct Pending {
    handles: Mutex<Vec<StatusHandle>>,
}

impl Pending {
    /// The status handles of every `online` so far, in order.
    pub fn handles(&self) -> Vec<StatusHandle> {
        self.lock().clone()
    }

    /// Takes the status handles (they are the bench's, not the monitor's).
    pub fn take_handles(&self) -> Vec<StatusHandle> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<StatusHandle>> {
        self.handles.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Resource for Pending {
    fn online(&self, status: StatusHandle) -> Outcome {
        self.lock().push(status);
        Outcome::Pending
    }
    fn offline(&self, _: StatusHandle) -> Outcome {
        Outcome::Done
    }
    fn terminate(&self) {}
}
