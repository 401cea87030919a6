//! [`EntryCall`]: one entry-point call, as a call thread makes it, and
//! the driver's side of it (begun, returned, or no thread for it).

use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::beat::Held;
use crate::quiet::{Quiet, drop_quietly};
use crate::resource::Resource;
use crate::state::{Answer, CallSpec};
use crate::status::{ReportSink, StatusHandle};
use crate::sync::Arc;
use crate::types::EntryPoint;
#[cfg(feature = "loom")]
use crate::{error::StatusError, machine::ResourceState, types::ExitState, types::ResourceId};

use super::Driver;
use super::pool::CallJob;

/// A call of one entry point of one resource.
pub(super) struct EntryCall {
    /// The operation's heartbeat word, for the status handle. Declared
    /// first, so dropped first: the word lives in the driver's state.
    beat: Option<Held>,
    driver: Arc<Driver>,
    spec: CallSpec,
    /// The user's: if the monitor went meanwhile, this may be the last
    /// reference, and the resource's `Drop` runs here, quietly.
    resource: Quiet<std::sync::Arc<dyn Resource>>,
}

impl EntryCall {
    pub(super) fn new(
        driver: Arc<Driver>,
        spec: CallSpec,
        beat: Option<Held>,
        resource: Quiet<std::sync::Arc<dyn Resource>>,
    ) -> Self {
        EntryCall {
            beat,
            driver,
            spec,
            resource,
        }
    }

    fn status(&self) -> StatusHandle {
        let sink = sink(&self.driver);
        let beat = self.beat.clone();
        StatusHandle::new(sink, self.spec.resource, self.spec.generation, beat)
    }

    /// Makes the call; `asked`: an `IsAlive` a host waits for.
    fn answer(&self, asked: bool) -> Answer {
        let r = &self.resource;
        match self.spec.entry_point {
            EntryPoint::Online => Answer::Outcome(r.online(self.status())),
            EntryPoint::Offline => Answer::Outcome(r.offline(self.status())),
            EntryPoint::Terminate => {
                r.terminate_with(self.spec.reason);
                Answer::Terminated
            }
            EntryPoint::LooksAlive => Answer::Alive(r.looks_alive()),
            EntryPoint::IsAlive if asked => Answer::Alive(r.is_alive_now()),
            EntryPoint::IsAlive => Answer::Alive(r.is_alive()),
        }
    }
}

impl CallJob for EntryCall {
    fn run(self: Box<Self>) {
        let Some(asked) = Driver::started(&self.driver, &self.spec) else {
            return;
        };
        let answer = catch_unwind(AssertUnwindSafe(|| self.answer(asked)));
        // The panic's payload is the resource's value: dropped quietly, or
        // one whose `Drop` panics would unwind past `returned` and leave
        // the call in flight for ever.
        let answer = answer.map_err(drop_quietly).ok();
        // Let go of the resource before anyone learns that the call
        // returned: a host that then drops the monitor (or the resource)
        // finds no reference left here, and the resource is dropped on its
        // thread, not later on this one.
        let EntryCall {
            beat,
            driver,
            spec,
            resource,
        } = *self;
        #[cfg(feature = "loom")]
        if driver.mutant == Some(crate::sync::model::Mutant::LetsGoAfterReturn) {
            // As it was: the job dropped whole after `returned`, its
            // fields in their order (the word's holder, which must go
            // before the driver, first).
            Driver::returned(&driver, &spec, answer);
            drop(beat);
            drop(driver);
            drop(resource);
            return;
        }
        drop((beat, resource));
        Driver::returned(&driver, &spec, answer);
    }

    fn cannot_run(self: Box<Self>, error: &io::Error) {
        Driver::cannot_call(&self.driver, &self.spec, error);
    }
}

/// The call threads' side of the driver.
impl Driver {
    /// A call thread is about to make `spec`'s call: `None` not to make
    /// it, else whether it is an `IsAlive` a host asked for.
    fn started(this: &Arc<Self>, spec: &CallSpec) -> Option<bool> {
        let now = this.now();
        let mut core = this.lock();
        if core.stop {
            return None;
        }
        let go = core.state.call_started(spec, now);
        let asked = core.state.asked(spec);
        this.apply(core, Some(this));
        go.then_some(asked)
    }

    /// `spec`'s call returned (`None`: it panicked).
    fn returned(this: &Arc<Self>, spec: &CallSpec, answer: Option<Answer>) {
        let now = this.now();
        let mut core = this.lock();
        core.state.call_returned(spec, answer, now);
        this.apply(core, Some(this));
    }

    /// No thread could be started for `spec`'s call.
    fn cannot_call(this: &Arc<Self>, spec: &CallSpec, error: &io::Error) {
        let now = this.now();
        let mut core = this.lock();
        core.spawn_error = Some((error.kind(), error.raw_os_error()));
        core.state.cannot_call(spec, now);
        this.apply(core, Some(this));
    }
}

/// The driver, as where a status handle's reports go.
#[cfg(not(feature = "loom"))]
fn sink(driver: &Arc<Driver>) -> std::sync::Arc<dyn ReportSink> {
    Arc::<Driver>::clone(driver)
}

/// The driver, as where a status handle's reports go. The facade's `Arc`
/// cannot be made an `Arc<dyn ReportSink>` (loom's cannot be unsized), so
/// the handle holds a std `Arc` of one.
#[cfg(feature = "loom")]
fn sink(driver: &Arc<Driver>) -> std::sync::Arc<dyn ReportSink> {
    std::sync::Arc::new(Shared(Arc::clone(driver)))
}

/// A driver shared through the facade's `Arc`.
#[cfg(feature = "loom")]
struct Shared(Arc<Driver>);

#[cfg(feature = "loom")]
impl ReportSink for Shared {
    fn report(
        &self,
        resource: ResourceId,
        generation: u64,
        state: ResourceState,
        checkpoint: u32,
    ) -> Result<ExitState, StatusError> {
        self.0.report(resource, generation, state, checkpoint)
    }

    fn signal_failure(
        &self,
        resource: ResourceId,
        generation: u64,
        code: u32,
    ) -> Result<(), StatusError> {
        self.0.signal_failure(resource, generation, code)
    }
}
