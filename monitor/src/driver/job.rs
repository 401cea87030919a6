//! [`EntryCall`]: one entry-point call, as a call thread makes it.

use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use crate::quiet::{Quiet, drop_quietly};
use crate::resource::Resource;
use crate::state::{Answer, CallSpec};
use crate::status::{ReportSink, StatusHandle};
use crate::types::EntryPoint;

use super::Driver;
use super::pool::CallJob;

/// A call of one entry point of one resource.
pub(super) struct EntryCall {
    driver: Arc<Driver>,
    spec: CallSpec,
    /// The user's: if the monitor went meanwhile, this may be the last
    /// reference, and the resource's `Drop` runs here, quietly.
    resource: Quiet<Arc<dyn Resource>>,
}

impl EntryCall {
    pub(super) fn new(
        driver: Arc<Driver>,
        spec: CallSpec,
        resource: Quiet<Arc<dyn Resource>>,
    ) -> Self {
        EntryCall {
            driver,
            spec,
            resource,
        }
    }

    fn status(&self) -> StatusHandle {
        let sink: Arc<dyn ReportSink> = self.driver.clone();
        StatusHandle::new(sink, self.spec.resource, self.spec.generation)
    }

    fn answer(&self) -> Answer {
        let r = &self.resource;
        match self.spec.entry_point {
            EntryPoint::Online => Answer::Outcome(r.online(self.status())),
            EntryPoint::Offline => Answer::Outcome(r.offline(self.status())),
            EntryPoint::Terminate => {
                r.terminate();
                Answer::Terminated
            }
            EntryPoint::LooksAlive => Answer::Alive(r.looks_alive()),
            EntryPoint::IsAlive => Answer::Alive(r.is_alive()),
        }
    }
}

impl CallJob for EntryCall {
    fn run(self: Box<Self>) {
        if !self.driver.started(&self.spec) {
            return;
        }
        let answer = catch_unwind(AssertUnwindSafe(|| self.answer()));
        // The panic's payload is the resource's value: dropped quietly, or
        // one whose `Drop` panics would unwind past `returned` and leave
        // the call in flight for ever.
        let answer = answer.map_err(drop_quietly).ok();
        self.driver.returned(&self.spec, answer);
    }

    fn cannot_run(self: Box<Self>, error: &io::Error) {
        self.driver.cannot_call(&self.spec, error);
    }
}
