//! What the protocol shows of the monitor's values: [`ResourceView`],
//! [`EventView`], [`CauseView`], [`OutcomeView`]. States are written by
//! their Windows names (`"OnlinePending"`).

use clusworker_monitor::{Cause, Event, Outcome, Reason, ResourceInfo, ResourceState};
use serde::{Deserialize, Serialize};

/// A resource as a response shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceView {
    /// Its name.
    pub name: String,
    /// Its number in the host's monitor.
    pub id: usize,
    /// Its type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Its state: `Unknown`, `Online`, `Offline`, `Failed`,
    /// `OnlinePending`, `OfflinePending`.
    pub state: String,
    /// The state's Windows value (2 for Online, 129 for OnlinePending, ...).
    pub state_value: i32,
    /// The pending operation: `"online"`, `"offline"`, or null.
    pub operation: Option<String>,
    /// The pending operation's last checkpoint.
    pub checkpoint: Option<u32>,
    /// Isolated after a hung entry point: no more calls are made to it.
    pub isolated: bool,
    /// Why it is in its state: the cause of its last event (null before
    /// its first).
    pub last_cause: Option<CauseView>,
    /// When that event happened, in ms since the host started.
    pub last_change_ms: Option<f64>,
    /// `info` only: its timeouts and parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl ResourceView {
    /// The view of `info`, of type `type_name`, whose last event is `last`.
    pub fn new(info: &ResourceInfo, type_name: &str, last: Option<&Event>) -> ResourceView {
        ResourceView {
            name: info.name.to_string(),
            id: info.id.index(),
            type_name: type_name.to_owned(),
            state: info.state.name().to_owned(),
            state_value: info.state.value(),
            operation: info.operation.map(|o| o.name().to_owned()),
            checkpoint: info.checkpoint,
            isolated: info.isolated,
            last_cause: last.map(|e| CauseView::new(&e.cause, e.reason)),
            last_change_ms: last.map(|e| ms(e.at)),
            details: None,
        }
    }
}

/// An event, as the `events` stream shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventView {
    /// The resource's name.
    pub resource: String,
    /// Its number.
    pub id: usize,
    /// The state before.
    pub from: String,
    /// The state after.
    pub to: String,
    /// Why.
    pub cause: CauseView,
    /// Why the monitor's `Terminate` behind the transition was requested
    /// (a `terminated` or `heartbeat_expired` cause): `requested`,
    /// `monitor_shut_down`, `pending_timeout`, `user` (with
    /// `reason_code`), or another word; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `reason` `user`: the user's code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<u32>,
    /// When, in ms since the host started.
    pub at_ms: f64,
}

impl EventView {
    /// The view of `event`.
    pub fn new(event: &Event) -> EventView {
        EventView {
            resource: event.name.to_string(),
            id: event.resource.index(),
            from: event.from.name().to_owned(),
            to: event.to.name().to_owned(),
            cause: CauseView::new(&event.cause, event.reason),
            reason: event.reason.map(|r| reason_word(r).to_owned()),
            reason_code: event.reason.and_then(Reason::code),
            at_ms: ms(event.at),
        }
    }
}

/// Why a resource changed state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CauseView {
    /// `requested`, `returned`, `reported`, `heartbeat_expired`,
    /// `terminated`, `is_alive_failed`, `signalled`, `panicked`,
    /// `escalated` (or another word, from a newer monitor).
    pub kind: String,
    /// `requested`: the operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// `returned`, `panicked`, `escalated`: the entry point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_point: Option<String>,
    /// `returned`: what it returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<OutcomeView>,
    /// `reported`: the checkpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<u32>,
    /// `signalled`: the resource's code (a process: its exit status, or
    /// 128 + the signal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<u32>,
    /// The cause in words (and the event's reason, if it adds anything:
    /// "Terminate returned: the monitor is shutting down").
    pub text: String,
}

/// The word for `reason`.
fn reason_word(reason: Reason) -> &'static str {
    match reason {
        Reason::Requested => "requested",
        Reason::HandleDropped => "handle_dropped",
        Reason::DeadlinePassed => "deadline_passed",
        Reason::ParentTerminated => "parent_terminated",
        Reason::SiblingFailed => "sibling_failed",
        Reason::PoolShutDown => "pool_shut_down",
        Reason::MonitorShutDown => "monitor_shut_down",
        Reason::PendingTimeout => "pending_timeout",
        Reason::User(_) => "user",
        // A reason this host does not know yet: its words say it.
        _ => "other",
    }
}

impl CauseView {
    /// The view of `cause`, and the reason of the `Terminate` behind it
    /// ([`Event::reason`]).
    pub fn new(cause: &Cause, reason: Option<Reason>) -> CauseView {
        let text = match reason {
            Some(r) if r != Reason::PendingTimeout => format!("{cause}: {r}"),
            _ => cause.to_string(),
        };
        let mut v = CauseView {
            kind: String::new(),
            operation: None,
            entry_point: None,
            outcome: None,
            checkpoint: None,
            code: None,
            text,
        };
        v.kind = match *cause {
            Cause::Requested(op) => {
                v.operation = Some(op.name().to_owned());
                "requested"
            }
            Cause::Returned(ep, outcome) => {
                v.entry_point = Some(ep.name().to_owned());
                v.outcome = Some(OutcomeView::new(outcome));
                "returned"
            }
            Cause::Reported { checkpoint } => {
                v.checkpoint = Some(checkpoint);
                "reported"
            }
            Cause::HeartbeatExpired => "heartbeat_expired",
            Cause::Terminated => "terminated",
            Cause::IsAliveFailed => "is_alive_failed",
            Cause::Signalled { code } => {
                v.code = Some(code);
                "signalled"
            }
            Cause::Panicked(ep) => {
                v.entry_point = Some(ep.name().to_owned());
                "panicked"
            }
            Cause::Escalated(ep) => {
                v.entry_point = Some(ep.name().to_owned());
                "escalated"
            }
            // A cause this host does not know yet: its words say it.
            _ => "other",
        }
        .to_owned();
        v
    }
}

/// What an `Online` or `Offline` entry point returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeView {
    /// `done`, `pending` or `failed`.
    pub result: OutcomeResult,
    /// Its Windows code: 0, 997 (`ERROR_IO_PENDING`), or the failure's.
    pub code: u32,
}

/// [`OutcomeView::result`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeResult {
    /// Finished.
    Done,
    /// A worker finishes it and reports.
    Pending,
    /// Failed, with `code`.
    Failed,
}

impl OutcomeView {
    /// The view of `outcome`.
    pub fn new(outcome: Outcome) -> OutcomeView {
        let result = match outcome {
            Outcome::Done => OutcomeResult::Done,
            Outcome::Pending => OutcomeResult::Pending,
            Outcome::Failed(_) => OutcomeResult::Failed,
        };
        OutcomeView {
            result,
            code: outcome.code(),
        }
    }
}

/// A state from its name, in any case (`"online"`, `"OnlinePending"`).
pub fn parse_state(name: &str) -> Option<ResourceState> {
    ResourceState::ALL
        .into_iter()
        .find(|s| s.name().eq_ignore_ascii_case(name))
}

fn ms(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1e4).round() / 10.0
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use clusworker_monitor::{
        Cause, Event, Monitor, Outcome, Reason, Resource, ResourceState, StatusHandle,
    };

    use super::{CauseView, EventView};

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

    fn event(cause: Cause, reason: Option<Reason>) -> Event {
        let monitor = Monitor::start().expect("a monitor");
        let id = monitor.add("web", Nothing);
        Event {
            resource: id,
            name: Arc::from("web"),
            from: ResourceState::Online,
            to: ResourceState::Offline,
            cause,
            reason,
            at: Duration::from_millis(5),
        }
    }

    #[test]
    fn a_shut_down_event_says_so() {
        let monitor = Monitor::start().expect("a monitor");
        let events = monitor.subscribe();
        let id = monitor.add("web", Nothing);
        monitor.online(id).expect("online");
        assert_eq!(monitor.shut_down().len(), 1);
        let last = events.try_iter().last().expect("events");
        let view = EventView::new(&last);
        assert_eq!(
            (view.cause.kind.as_str(), view.reason.as_deref()),
            ("terminated", Some("monitor_shut_down")),
            "{view:?}"
        );
    }

    #[test]
    fn a_terminated_event_shows_why_the_terminate_was_requested() {
        let e = event(Cause::Terminated, Some(Reason::MonitorShutDown));
        let json = serde_json::to_value(EventView::new(&e)).expect("serialises");
        assert_eq!(json["cause"]["kind"], "terminated", "{json}");
        assert_eq!(json["reason"], "monitor_shut_down", "{json}");
        assert!(json.get("reason_code").is_none(), "{json}");
        assert_eq!(
            json["cause"]["text"], "Terminate returned: the monitor is shutting down",
            "{json}"
        );
        let user = EventView::new(&event(Cause::Terminated, Some(Reason::User(7))));
        assert_eq!(
            (user.reason.as_deref(), user.reason_code),
            (Some("user"), Some(7))
        );
    }

    #[test]
    fn an_expiry_shows_pending_timeout_once_in_words() {
        let e = event(Cause::HeartbeatExpired, Some(Reason::PendingTimeout));
        let v = EventView::new(&e);
        assert_eq!(v.reason.as_deref(), Some("pending_timeout"));
        assert_eq!(v.cause.text, "PendingTimeout expired");
    }

    #[test]
    fn a_cause_without_a_terminate_has_no_reason() {
        let v = EventView::new(&event(Cause::IsAliveFailed, None));
        let json = serde_json::to_value(&v).expect("serialises");
        assert!(json.get("reason").is_none(), "{json}");
        assert_eq!(
            CauseView::new(&Cause::IsAliveFailed, None).text,
            "IsAlive failed"
        );
    }
}
