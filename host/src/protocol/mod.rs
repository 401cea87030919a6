//! The control socket's protocol: line-delimited JSON, one [`Request`] a
//! line, one [`Response`] a line (and for `events`, a line per event).
//!
//! `host/README.md` documents every request, response and error; this
//! module is the one definition both the host and `clusworker-hostctl`
//! use. A request is an object whose `op` names it:
//!
//! ```
//! use clusworker_host::protocol::Request;
//!
//! let r: Request = serde_json::from_str(r#"{"op":"online","name":"web"}"#)?;
//! assert_eq!(r, Request::Online { name: "web".into() });
//! assert_eq!(serde_json::to_string(&Request::List)?, r#"{"op":"list"}"#);
//! # Ok::<(), serde_json::Error>(())
//! ```

mod parse;
mod response;
mod view;
mod workers;

use serde::{Deserialize, Serialize};

pub use parse::parse_request;
pub use response::{ErrorKind, ErrorView, Response};
pub use view::{CauseView, EventView, OutcomeResult, OutcomeView, ResourceView, parse_state};
pub use workers::{TerminatingView, WorkerView};

/// The longest request line the host reads, newline included: 64 KiB.
/// A longer one is answered [`ErrorKind::LineTooLong`] and the connection
/// is closed.
pub const MAX_LINE: usize = 64 * 1024;

/// A request: one JSON object on one line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Request {
    /// Bring a resource online (its `Online` entry point).
    Online {
        /// The resource.
        name: String,
    },
    /// Take a resource offline (its `Offline` entry point).
    Offline {
        /// The resource.
        name: String,
    },
    /// Call a resource's `Terminate`: offline at once.
    Terminate {
        /// The resource.
        name: String,
    },
    /// Call a resource's `IsAlive` now (the deep health check) and answer
    /// with what it said; `false` fails the resource.
    Check {
        /// The resource.
        name: String,
    },
    /// A resource's state, checkpoint and last cause.
    State {
        /// The resource.
        name: String,
    },
    /// As `state`, with its type, timeouts and parameters.
    Info {
        /// The resource.
        name: String,
    },
    /// Every resource.
    List,
    /// The host process's live workers (`clusworker::diagnostics`): the
    /// ones that do not stop show here.
    Workers,
    /// Subscribe: the answer is followed by one line per event until the
    /// client closes the connection.
    Events,
    /// Add a resource (Offline), and bring it online if `online`.
    Add {
        /// Its name: unique, not empty.
        name: String,
        /// Its type.
        #[serde(rename = "type")]
        type_name: String,
        /// The type's parameters, as `[resource.params]` would give them.
        #[serde(default)]
        params: serde_json::Map<String, serde_json::Value>,
        /// Any of `pending_timeout`, `deadlock_timeout`,
        /// `looks_alive_interval`, `is_alive_interval`, written as in the
        /// config (`"30s"`); the host's `[defaults]` otherwise.
        #[serde(default)]
        timeouts: serde_json::Map<String, serde_json::Value>,
        /// Bring it online once added (default false).
        #[serde(default)]
        online: bool,
    },
    /// Remove a resource that is Offline or Failed.
    Remove {
        /// The resource.
        name: String,
    },
    /// Block until the resource is in `state`, or Failed, or `timeout_ms`
    /// passed.
    Wait {
        /// The resource.
        name: String,
        /// The state to wait for (`"Online"`, `"Offline"`, ...).
        state: String,
        /// How long to wait, at most.
        timeout_ms: u64,
    },
}

impl Request {
    /// Every `op` the host knows.
    pub const OPS: [&'static str; 12] = [
        "online",
        "offline",
        "terminate",
        "check",
        "state",
        "info",
        "list",
        "workers",
        "events",
        "add",
        "remove",
        "wait",
    ];

    /// The resource a request names, if it names one.
    pub fn name(&self) -> Option<&str> {
        match self {
            Request::Online { name }
            | Request::Offline { name }
            | Request::Terminate { name }
            | Request::Check { name }
            | Request::State { name }
            | Request::Info { name }
            | Request::Add { name, .. }
            | Request::Remove { name }
            | Request::Wait { name, .. } => Some(name),
            Request::List | Request::Workers | Request::Events => None,
        }
    }
}
