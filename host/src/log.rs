//! The bridge from the monitor's [`Event`]s and [`Escalation`]s to
//! `tracing`: one record per transition, with the fields `resource`, `id`,
//! `from`, `to`, `cause`, `reason` (why the monitor's `Terminate` was
//! requested, for a transition one caused or an expiry; absent otherwise)
//! and `at_ms`.
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
    let reason = e.reason.map(tracing::field::display);
    match (e.to, e.cause) {
        (_, Cause::Escalated(_)) => {
            tracing::error!(resource, id, from, to, cause = %e.cause, reason, at_ms, "escalated")
        }
        (ResourceState::Failed, _) => {
            tracing::warn!(resource, id, from, to, cause = %e.cause, reason, at_ms, "failed")
        }
        _ => {
            tracing::info!(resource, id, from, to, cause = %e.cause, reason, at_ms, "transition")
        }
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

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex, PoisonError};

    use clusworker_monitor::{Cause, Monitor, Outcome, Reason, Resource, StatusHandle};

    /// Where the test's subscriber writes.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            let mut b = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            b.extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    struct Nothing;
    impl Resource for Nothing {
        fn online(&self, _: StatusHandle) -> Outcome {
            Outcome::Done
        }
        fn offline(&self, _: StatusHandle) -> Outcome {
            Outcome::Done
        }
        fn terminate(&self) {}
    }

    /// What [`super::event`] logs of each event of `run`'s monitor.
    fn logged(run: impl FnOnce(&Monitor)) -> String {
        let monitor = Monitor::start().expect("a monitor");
        let events = monitor.subscribe();
        run(&monitor);
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            events.try_iter().for_each(|e| super::event(&e))
        });
        let bytes = buffer
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        String::from_utf8(bytes).expect("utf-8")
    }

    #[test]
    fn a_terminate_is_logged_with_its_reason() {
        let text = logged(|m| {
            let id = m.add("web", Nothing);
            m.online(id).expect("online");
            m.terminate_with(id, Reason::User(9)).expect("terminate");
            assert_eq!(m.shut_down().len(), 0);
            m.online(id).expect("online");
            assert_eq!(m.shut_down().len(), 1);
        });
        let terminated: Vec<&str> = text
            .lines()
            .filter(|l| l.contains(&format!("cause={}", Cause::Terminated)))
            .collect();
        assert_eq!(terminated.len(), 2, "{text}");
        assert!(
            terminated[0].contains("reason=user code 0x00000009"),
            "{text}"
        );
        assert!(
            terminated[1].contains("reason=the monitor is shutting down"),
            "{text}"
        );
        let online = text
            .lines()
            .find(|l| l.contains("to=\"Online\"") || l.contains("to=Online"));
        let online = online.expect("an Online transition");
        assert!(!online.contains("reason="), "{online}");
    }
}
