//! [`Response`]: one line of the host's answer, and [`ErrorKind`], every
//! way a request can be refused.

use std::fmt;

use clusworker_monitor::MonitorError;
use serde::{Deserialize, Serialize};

use super::view::{EventView, OutcomeView, ResourceView};
use super::workers::WorkerView;

/// One line the host sends: the answer to a request, or (after `events`)
/// one event. `ok` says which of `error` and the rest to read; fields that
/// do not apply are left out.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Response {
    /// The request was carried out.
    pub ok: bool,
    /// Why not, when `ok` is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorView>,
    /// The resource the request named, as it is now (also on most errors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceView>,
    /// `list`: every resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Vec<ResourceView>>,
    /// `workers`: the host's live workers, the longest-running first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workers: Option<Vec<WorkerView>>,
    /// `online`, `offline`: what the entry point returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<OutcomeView>,
    /// `check`: what the resource's `IsAlive` answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alive: Option<bool>,
    /// `wait`: the state reached (the one waited for, or `Failed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reached: Option<String>,
    /// `events`: one event (every line after the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventView>,
}

impl Response {
    /// A success, with nothing yet.
    pub fn ok() -> Response {
        Response {
            ok: true,
            ..Response::default()
        }
    }

    /// A refusal of kind `kind`.
    pub fn error(kind: ErrorKind, message: impl Into<String>) -> Response {
        Response::refusal(ErrorView::new(kind, message))
    }

    /// A refusal.
    pub fn refusal(error: ErrorView) -> Response {
        Response {
            ok: false,
            error: Some(error),
            ..Response::default()
        }
    }

    /// This response, showing `resource`.
    pub fn with_resource(mut self, resource: Option<ResourceView>) -> Response {
        self.resource = resource;
        self
    }

    /// The response as one line, newline included.
    pub fn to_line(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        let mut line = serde_json::to_string(self).unwrap_or_else(|_| {
            r#"{"ok":false,"error":{"kind":"internal","message":"unserialisable"}}"#.to_owned()
        });
        line.push('\n');
        line
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorView {
    /// The kind, for programs.
    pub kind: ErrorKind,
    /// The reason, for people.
    pub message: String,
}

impl ErrorView {
    /// A refusal of kind `kind`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> ErrorView {
        ErrorView {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for ErrorView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.name(), self.message)
    }
}

/// Every way a request can be refused. Only the monitor's own refusals
/// after a call began (`hung`, `panicked`) change anything; the others
/// change nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The line is not JSON, not an object, or its fields are wrong for
    /// its `op`.
    Malformed,
    /// No such `op`.
    UnknownOp,
    /// The line is longer than [`MAX_LINE`](super::MAX_LINE); the host
    /// closes the connection after this answer.
    LineTooLong,
    /// The host serves its config's `host.max_clients` clients already;
    /// it closes this connection after this answer.
    TooManyClients,
    /// The host is shutting down: it takes no more requests that change
    /// anything.
    ShuttingDown,
    /// No resource of that name.
    UnknownResource,
    /// `add`: a resource of that name exists.
    DuplicateName,
    /// `add`: no such type.
    UnknownType,
    /// `add`: the type refused the parameters, or a timeout is wrong.
    BadParams,
    /// `wait`: not a state's name.
    BadState,
    /// The request makes no sense in the resource's state (online while
    /// online or pending, offline while offline).
    Rejected,
    /// A `Terminate` of the resource is running.
    Terminating,
    /// The resource is isolated after a hung entry point.
    Isolated,
    /// The entry point hung past DeadlockTimeout: the resource is failed
    /// and isolated.
    Hung,
    /// The entry point panicked: the resource is failed.
    Panicked,
    /// `remove`: the resource is not Offline or Failed.
    NotRemovable,
    /// `remove`: a call of the resource has not returned yet (`check`:
    /// two checks of it wait already).
    Busy,
    /// `check`: the resource is not `Online`.
    NotOnline,
    /// The operation ended before its entry point was called.
    Ended,
    /// The monitor could not start a thread for the call.
    Spawn,
    /// `wait`: the time ran out first.
    Timeout,
}

impl ErrorKind {
    /// The kind of a monitor's refusal.
    pub fn of(error: &MonitorError) -> ErrorKind {
        match error {
            MonitorError::UnknownResource(_) => ErrorKind::UnknownResource,
            MonitorError::Rejected { .. } => ErrorKind::Rejected,
            MonitorError::Terminating(_) => ErrorKind::Terminating,
            MonitorError::Isolated(_) => ErrorKind::Isolated,
            MonitorError::Hung { .. } => ErrorKind::Hung,
            MonitorError::Panicked { .. } => ErrorKind::Panicked,
            MonitorError::Spawn(_) => ErrorKind::Spawn,
            MonitorError::Ended(_) => ErrorKind::Ended,
            MonitorError::Busy(_) => ErrorKind::Busy,
            MonitorError::NotRemovable { .. } => ErrorKind::NotRemovable,
            MonitorError::NotOnline { .. } => ErrorKind::NotOnline,
            // A refusal this host does not know yet: its message says it.
            _ => ErrorKind::Rejected,
        }
    }

    /// The kind's name, as the JSON writes it.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Malformed => "malformed",
            ErrorKind::UnknownOp => "unknown_op",
            ErrorKind::LineTooLong => "line_too_long",
            ErrorKind::TooManyClients => "too_many_clients",
            ErrorKind::ShuttingDown => "shutting_down",
            ErrorKind::UnknownResource => "unknown_resource",
            ErrorKind::DuplicateName => "duplicate_name",
            ErrorKind::UnknownType => "unknown_type",
            ErrorKind::BadParams => "bad_params",
            ErrorKind::BadState => "bad_state",
            ErrorKind::Rejected => "rejected",
            ErrorKind::Terminating => "terminating",
            ErrorKind::Isolated => "isolated",
            ErrorKind::Hung => "hung",
            ErrorKind::Panicked => "panicked",
            ErrorKind::NotRemovable => "not_removable",
            ErrorKind::Busy => "busy",
            ErrorKind::NotOnline => "not_online",
            ErrorKind::Ended => "ended",
            ErrorKind::Spawn => "spawn",
            ErrorKind::Timeout => "timeout",
        }
    }
}
