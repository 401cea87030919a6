//! The host's side of the driver: resources added and removed, calls made
//! and waited for, the monitor's views, and its stop.

use std::io;
use std::mem;
use std::sync::PoisonError;
use std::sync::mpsc::Sender;
use std::time::Duration;

use clusworker_core::Reason;

use crate::error::MonitorError;
use crate::machine::Timeouts;
use crate::quiet::Quiet;
use crate::resource::Resource;
use crate::state::{CallEnd, CallId, MonitorState};
use crate::sync::Arc;
#[cfg(feature = "loom")]
use crate::sync::model::Mutant;
use crate::table;
use crate::types::{Event, MonitorStats, ResourceId, ResourceInfo};

use super::Driver;

impl Driver {
    pub(crate) fn add(
        &self,
        name: std::sync::Arc<str>,
        resource: std::sync::Arc<dyn Resource>,
        timeouts: Timeouts,
    ) -> ResourceId {
        let mut core = self.lock();
        let id = core.state.add(name, timeouts);
        table::push(&mut core.resources, Some(Quiet::new(resource)));
        id
    }

    pub(crate) fn remove(&self, id: ResourceId) -> Result<(), MonitorError> {
        let mut core = self.lock();
        core.state.remove(id)?;
        let resource = core.resources.get_mut(id.0).and_then(Option::take);
        drop(core);
        drop(resource); // quietly, outside the lock
        Ok(())
    }

    /// Decides a host call with `decide`, then waits until the state
    /// resolves it.
    pub(crate) fn call(
        this: &Arc<Self>,
        decide: impl FnOnce(&mut MonitorState, Duration) -> Result<CallId, MonitorError>,
    ) -> Result<CallEnd, MonitorError> {
        let now = this.now();
        let mut core = this.lock();
        let call = decide(&mut core.state, now)?;
        this.apply(core, Some(this));
        Ok(Driver::wait_for(this, call))
    }

    /// Terminates every resource online or pending with `reason`, and
    /// waits for each `Terminate` (each bounded by DeadlockTimeout).
    pub(crate) fn shut_down(this: &Arc<Self>, reason: Reason) -> Vec<(ResourceId, CallEnd)> {
        let mut core = this.lock();
        let mut calls = Vec::new();
        for id in core.state.active() {
            if let Ok(call) = core.state.terminate_with(id, reason) {
                calls.push((id, call));
            }
        }
        this.apply(core, Some(this));
        let ends = calls.into_iter();
        ends.map(|(id, call)| (id, Driver::wait_for(this, call)))
            .collect()
    }

    /// Waits until the state resolves `call`.
    fn wait_for(this: &Arc<Self>, call: CallId) -> CallEnd {
        let mut core = this.lock();
        loop {
            if let Some((end, hosts)) = core.results.get_mut(&call) {
                let end = *end;
                *hosts -= 1;
                #[cfg(feature = "loom")]
                if this.mutant == Some(Mutant::FirstHostTakesTheResult) {
                    *hosts = 0;
                }
                if *hosts == 0 {
                    core.results.remove(&call);
                }
                return end;
            }
            #[cfg(feature = "loom")]
            {
                core = this.let_go_if(Mutant::HostWaitsUnlocked, core);
            }
            core = this.done.wait(core).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Why the last call thread could not be started.
    pub(crate) fn spawn_error(&self) -> io::Error {
        match self.lock().spawn_error {
            Some((_, Some(code))) => io::Error::from_raw_os_error(code),
            Some((kind, None)) => io::Error::from(kind),
            None => io::Error::other("no call thread could be started"),
        }
    }

    pub(crate) fn subscribe(&self, tx: Sender<Event>) {
        self.lock().subscribers.push(tx);
    }

    pub(crate) fn info(&self, id: ResourceId) -> Result<ResourceInfo, MonitorError> {
        let now = self.now();
        self.lock().state.info(id, now)
    }

    pub(crate) fn infos(&self) -> Vec<ResourceInfo> {
        let now = self.now();
        self.lock().state.infos(now)
    }

    pub(crate) fn stats(&self) -> MonitorStats {
        let (call_threads, peak_call_threads) = self.calls.threads();
        let queued_calls = self.calls.queued();
        let core = self.lock();
        MonitorStats {
            wakeups: core.wakeups,
            timers: core.state.timer_count(),
            resources: core.state.resource_count(),
            calls_in_flight: core.state.calls_in_flight(),
            call_threads,
            peak_call_threads,
            queued_calls,
        }
    }

    /// Stops the timer thread and the call threads; reports are refused
    /// from now on.
    pub(crate) fn stop(&self) {
        #[cfg(feature = "loom")]
        if self.mutant == Some(Mutant::StopAfterNotify) {
            self.timer.notify_all();
            self.halt();
            self.calls.stop();
            return;
        }
        self.halt();
        self.timer.notify_all();
        self.calls.stop();
    }

    /// Lets go of the user's values once stopped: the resources and the
    /// subscribers' senders, dropped on the caller's thread, outside the
    /// lock.
    ///
    /// A resource may hold a status handle, which holds this driver: left
    /// in the core, the two would keep each other alive for ever (and the
    /// resource's threads with them). A resource a call still runs on is
    /// dropped when that call returns (the call holds it); a subscriber's
    /// receiver ends here, even if a status handle outlives the monitor.
    pub(crate) fn release(&self) {
        #[cfg(feature = "loom")]
        if self.mutant == Some(Mutant::KeepsResources) {
            return;
        }
        let (resources, subscribers) = {
            let mut core = self.lock();
            debug_assert!(core.stop, "released before it stopped");
            let resources = mem::take(&mut core.resources);
            (resources, mem::take(&mut core.subscribers))
        };
        drop(subscribers);
        drop(resources); // each quietly (`Quiet`)
    }

    /// Sets the stop flag, and closes every heartbeat word: from now on a
    /// worker's every report takes the locked path, which says `Stopped`.
    fn halt(&self) {
        let mut core = self.lock();
        core.stop = true;
        core.state.close_beats();
    }
}
