//! The bridge from the monitor's [`Event`]s and [`Escalation`]s to
//! `tracing`: one record per transition, with the fields `resource`, `id`,
//! `from`, `to`, `cause` and `at_ms`.
//!
//! Levels: a transition to `Failed` is a warning, an escalation an error,
//! the rest info.

use clusworker_monitor::{Cause, Escalation, Event, ResourceState};

/// Logs one event.
pub fn event(e: &Event) {
    let at_ms = (e.at.as_secs_f64() * 1e4).round() / 10.0;
    let resource = &*e.name;
    let id = e.resource.index();
    let (from, to) = (e.from.name(), e.to.name());
    match (e.to, e.cause) {
        (_, Cause::Escalated(_)) => {
            tracing::error!(resource, id, from, to, cause = %e.cause, at_ms, "escalated")
        }
        (ResourceState::Failed, _) => {
            tracing::warn!(resource, id, from, to, cause = %e.cause, at_ms, "failed")
        }
        _ => tracing::info!(resource, id, from, to, cause = %e.cause, at_ms, "transition"),
    }
}

/// Logs an escalation, and what the host does about it.
pub fn escalation(e: &Escalation, exiting: bool) {
    let resource = &*e.name;
    let entry_point = e.entry_point.name();
    if exiting {
        tracing::error!(resource, entry_point, what = %e, "escalation: the host terminates the rest and exits");
    } else {
        tracing::error!(resource, entry_point, what = %e, "escalation: the resource is isolated; the host goes on");
    }
}
