//! OCF exit codes, and what the agent answers for each state the host
//! shows a resource in.
//!
//! OCF's codes are not Windows' (5 is "not installed" here, "access
//! denied" there): the agent never passes a Windows code through as its
//! exit status; it puts it in the reason.

use std::fmt;

use clusworker_host::protocol::ResourceView;

/// An OCF return code (OCF 1.1, "Return codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Code {
    /// `OCF_SUCCESS`: done; for monitor, running.
    Success = 0,
    /// `OCF_ERR_GENERIC`: failed; for monitor, failed (a soft error).
    Generic = 1,
    /// `OCF_ERR_ARGS`: the agent was called wrongly (no action, no
    /// instance name).
    Args = 2,
    /// `OCF_ERR_UNIMPLEMENTED`: no such action.
    Unimplemented = 3,
    /// `OCF_ERR_PERM`: the host's socket refused us.
    Perm = 4,
    /// `OCF_ERR_INSTALLED`: the host (or the command) is not installed.
    Installed = 5,
    /// `OCF_ERR_CONFIGURED`: a parameter is wrong.
    Configured = 6,
    /// `OCF_NOT_RUNNING`: cleanly stopped (monitor only).
    NotRunning = 7,
}

impl Code {
    /// The process exit status.
    pub(crate) fn status(self) -> i32 {
        self as i32
    }

    /// The OCF name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Code::Success => "OCF_SUCCESS",
            Code::Generic => "OCF_ERR_GENERIC",
            Code::Args => "OCF_ERR_ARGS",
            Code::Unimplemented => "OCF_ERR_UNIMPLEMENTED",
            Code::Perm => "OCF_ERR_PERM",
            Code::Installed => "OCF_ERR_INSTALLED",
            Code::Configured => "OCF_ERR_CONFIGURED",
            Code::NotRunning => "OCF_NOT_RUNNING",
        }
    }
}

/// How an action ends: its code, and for anything but plain success or a
/// plain "not running", the reason Pacemaker shows (`ocf-exit-reason:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Exit {
    pub(crate) code: Code,
    pub(crate) reason: Option<String>,
}

impl Exit {
    /// Success, nothing to say.
    pub(crate) const OK: Exit = Exit {
        code: Code::Success,
        reason: None,
    };

    /// `code`, with `reason`.
    pub(crate) fn new(code: Code, reason: impl Into<String>) -> Exit {
        Exit {
            code,
            reason: Some(reason.into()),
        }
    }

    /// `code`, without a reason.
    pub(crate) fn bare(code: Code) -> Exit {
        Exit { code, reason: None }
    }
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.code.name(), self.code.status())?;
        if let Some(r) = &self.reason {
            write!(f, ": {r}")?;
        }
        Ok(())
    }
}

/// Why a resource is in its state, in words: its last cause and
/// checkpoint (`PendingTimeout expired at checkpoint 7`).
pub(crate) fn why(view: &ResourceView) -> String {
    because(view, view.checkpoint)
}

/// As [`why`], with the last checkpoint the agent saw (a resource that
/// failed shows none).
pub(crate) fn because(view: &ResourceView, checkpoint: Option<u32>) -> String {
    let cause = view
        .last_cause
        .as_ref()
        .map_or("no event yet", |c| c.text.as_str());
    let mut text = format!("{} is {}: {cause}", view.name, view.state);
    if let Some(cp) = view.checkpoint.or(checkpoint) {
        text.push_str(&format!(" at checkpoint {cp}"));
    }
    if view.isolated {
        text.push_str(" (isolated after a hung entry point)");
    }
    text
}

/// The monitor action's answer for the resource as the host shows it
/// (`None`: the host has no resource of that name, or no host runs).
///
/// | host state | OCF code |
/// |---|---|
/// | absent (or no host) | 7 `OCF_NOT_RUNNING` |
/// | `Offline` | 7 `OCF_NOT_RUNNING` |
/// | `Online` | 0 `OCF_SUCCESS` |
/// | `Online`, isolated | 1 `OCF_ERR_GENERIC` |
/// | `Failed` | 1 `OCF_ERR_GENERIC` |
/// | `OnlinePending`, `OfflinePending`, `Unknown` | 1 `OCF_ERR_GENERIC` |
pub(crate) fn monitor(view: Option<&ResourceView>) -> Exit {
    let Some(v) = view else {
        return Exit::bare(Code::NotRunning);
    };
    match v.state.as_str() {
        "Online" if !v.isolated => Exit::OK,
        "Offline" if !v.isolated => Exit::bare(Code::NotRunning),
        _ => Exit::new(Code::Generic, why(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clusworker_host::protocol::CauseView;

    fn view(state: &str, isolated: bool) -> ResourceView {
        ResourceView {
            name: "r".into(),
            id: 0,
            type_name: "process".into(),
            state: state.into(),
            state_value: 0,
            operation: None,
            checkpoint: Some(7),
            isolated,
            last_cause: Some(CauseView {
                kind: "heartbeat_expired".into(),
                operation: None,
                entry_point: None,
                outcome: None,
                checkpoint: None,
                code: None,
                text: "PendingTimeout expired".into(),
            }),
            last_change_ms: Some(1.0),
            details: None,
        }
    }

    #[test]
    fn every_state_maps_to_its_ocf_code() {
        for (state, isolated, want) in [
            ("Online", false, Code::Success),
            ("Online", true, Code::Generic),
            ("Offline", false, Code::NotRunning),
            ("Offline", true, Code::Generic),
            ("Failed", false, Code::Generic),
            ("OnlinePending", false, Code::Generic),
            ("OfflinePending", false, Code::Generic),
            ("Unknown", false, Code::Generic),
            ("SomethingNewer", false, Code::Generic),
        ] {
            let got = monitor(Some(&view(state, isolated)));
            assert_eq!(got.code, want, "{state} isolated={isolated}: got {got}");
        }
        assert_eq!(monitor(None).code, Code::NotRunning, "an absent resource");
    }

    #[test]
    fn a_failure_says_its_cause_and_checkpoint() {
        let e = monitor(Some(&view("Failed", false)));
        assert_eq!(
            e.reason.as_deref(),
            Some("r is Failed: PendingTimeout expired at checkpoint 7")
        );
        assert!(why(&view("Online", true)).contains("isolated"));
    }

    #[test]
    fn codes_are_ocfs_not_windows() {
        let all = [
            (Code::Success, 0),
            (Code::Generic, 1),
            (Code::Args, 2),
            (Code::Unimplemented, 3),
            (Code::Perm, 4),
            (Code::Installed, 5),
            (Code::Configured, 6),
            (Code::NotRunning, 7),
        ];
        for (code, status) in all {
            assert_eq!(code.status(), status, "{}", code.name());
        }
    }
}
