//! [`Later`]: what the state decided that waits for the lock's release.

use crate::types::Escalation;

use super::Driver;
use super::pool::{CallJob, CallThreads};

/// What the state decided that is carried out after the lock's release.
#[derive(Default)]
pub(super) struct Later {
    pub(super) jobs: Vec<Box<dyn CallJob>>,
    pub(super) escalations: Vec<Escalation>,
    /// Calls declared hung, and hung calls that came back.
    pub(super) stuck: usize,
    pub(super) back: usize,
    pub(super) wake_timer: bool,
}

impl Later {
    pub(super) fn is_empty(&self) -> bool {
        self.jobs.is_empty()
            && self.escalations.is_empty()
            && self.stuck + self.back == 0
            && !self.wake_timer
    }

    pub(super) fn run(self, driver: &Driver) {
        if self.wake_timer {
            driver.timer.notify_one();
        }
        if self.stuck + self.back > 0 {
            CallThreads::hung(&driver.calls, self.stuck, self.back);
        }
        CallThreads::submit(&driver.calls, self.jobs);
        for e in &self.escalations {
            driver.escalate(e);
        }
    }
}
