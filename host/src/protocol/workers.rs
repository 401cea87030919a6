//! [`WorkerView`]: a live worker of the host process, as `workers` shows
//! it (`clusworker::diagnostics`).

use clusworker::diagnostics::WorkerInfo;
use serde::{Deserialize, Serialize};

/// One live worker of the host: a resource's pending operation, a health
/// poll's, the host's own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerView {
    /// Its name, or null for an unnamed worker.
    pub name: Option<String>,
    /// Where in the host's source it was spawned (`file:line:column`).
    pub site: String,
    /// `Running` or `Terminating`.
    pub state: String,
    /// How long it has been running, in ms.
    pub age_ms: f64,
    /// Once terminate was requested: why, and how long ago.
    pub terminating: Option<TerminatingView>,
    /// Its last progress mark (for a resource's worker, the last
    /// checkpoint it reported; 0 before its first).
    pub progress: u64,
}

/// A terminate request a worker has not yet obeyed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TerminatingView {
    /// Its reason, in words (`"PendingTimeout expired"`).
    pub reason: String,
    /// How long ago it was requested, in ms.
    pub since_ms: f64,
}

impl WorkerView {
    /// The view of `info`.
    pub fn new(info: &WorkerInfo) -> WorkerView {
        WorkerView {
            name: info.name.clone(),
            site: info.site.to_string(),
            state: format!("{:?}", info.state),
            age_ms: info.age.as_secs_f64() * 1e3,
            terminating: info.terminating.map(|t| TerminatingView {
                reason: t.reason.to_string(),
                since_ms: t.since.as_secs_f64() * 1e3,
            }),
            progress: info.progress,
        }
    }
}
