//! The ways the host ends: every online resource offlined under one
//! deadline, then whatever is left terminated.

use std::sync::Arc;
use std::thread;
use std::time::Instant;

use clusworker::Reason;
use clusworker_monitor::{ResourceId, ResourceState};

use super::host::Host;

/// How the offlines ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Offlined {
    /// Every resource is offline (or failed).
    All,
    /// The deadline passed first.
    TimedOut,
    /// A second signal came first.
    Interrupted,
}

/// Offlines every online resource at once and waits for all of them until
/// `deadline`, or until `interrupted` says a second signal came (it is
/// asked every few milliseconds, and may wait that long). A resource whose
/// online is pending cannot be offlined: it is terminated.
pub(crate) fn offline_all(
    host: &Arc<Host>,
    deadline: Instant,
    mut interrupted: impl FnMut(Instant) -> bool,
) -> Offlined {
    for id in host.ids() {
        let call = match host.monitor.state(id) {
            Ok(ResourceState::Online) => Call::Offline,
            Ok(ResourceState::OnlinePending) => Call::Terminate,
            _ => continue,
        };
        let h = Arc::clone(host);
        let spawned = thread::Builder::new()
            .name("clusworker-stop".into())
            .spawn(move || call.make(&h, id));
        if spawned.is_err() {
            call.make(host, id);
        }
    }
    loop {
        let busy = host.ids().into_iter().any(|id| {
            host.monitor
                .state(id)
                .is_ok_and(|s| s == ResourceState::Online || s.is_pending())
        });
        if !busy {
            return Offlined::All;
        }
        if Instant::now() >= deadline {
            return Offlined::TimedOut;
        }
        if interrupted(deadline) {
            return Offlined::Interrupted;
        }
    }
}

/// Terminates every resource that is online or pending and not isolated
/// ([`Monitor::shut_down`](clusworker_monitor::Monitor::shut_down): all at
/// once, with the reason `monitor_shut_down` in their events), and waits
/// for the calls (each bounded by its DeadlockTimeout).
pub(crate) fn terminate_rest(host: &Host) {
    for (id, ended) in host.monitor.shut_down() {
        if let Err(e) = ended {
            tracing::warn!(id = id.index(), error = %e, "shutdown: Terminate ended badly");
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Call {
    Offline,
    Terminate,
}

impl Call {
    fn make(self, host: &Host, id: ResourceId) {
        let result = match self {
            Call::Offline => host.monitor.offline(id).map(drop),
            Call::Terminate => host.monitor.terminate_with(id, Reason::MonitorShutDown),
        };
        if let Err(e) = result {
            tracing::warn!(id = id.index(), error = %e, "shutdown: {self:?} refused");
        }
    }
}
