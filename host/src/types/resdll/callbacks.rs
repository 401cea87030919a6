//! The two callbacks the host gives every library's `Startup`:
//! `SetResourceStatus` ([`set_resource_status`]) and `LogEvent`
//! ([`log_event`]). Both are called from the library's threads, in C: they
//! never unwind, never dereference a handle, and refuse bad input with a
//! logged reason ([`Refusal`]).

use std::fmt;
use std::sync::atomic::Ordering;

use clusworker_monitor::{ExitState, ReportError, ResourceState, StatusError};

use super::exiting::{EXITING, write_stderr};
use super::ffi::{self, ResourceHandle, ResourceStatus, Wchar};
use super::params::read_wide;
use super::resource::lookup;

/// `ERROR_RESOURCE_FAILED`: the code of a failure an online resource
/// reports with `SetResourceStatus(ClusterResourceFailed)`.
const ERROR_RESOURCE_FAILED: u32 = 5038;
/// The longest `LogEvent` message read, in UTF-16 units.
const LOG_LIMIT: usize = 64 * 1024;

/// Why a `SetResourceStatus` was refused. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The handle is no open resource's.
    UnknownHandle(usize),
    /// The status pointer is NULL.
    NullStatus,
    /// `ResourceState` is no state a report can carry.
    UnknownState(i32),
    /// No Online or Offline was ever called for the resource.
    NeverPending,
    /// The monitor refused the report.
    Monitor(StatusError),
}

impl Refusal {
    /// What `SetResourceStatus` answers: continue when a correct report may
    /// follow, terminate when nobody listens.
    pub(crate) fn exit_state(&self) -> ExitState {
        match self {
            Refusal::NullStatus | Refusal::UnknownState(_) => ExitState::Continue,
            Refusal::UnknownHandle(_) | Refusal::NeverPending => ExitState::Terminate,
            Refusal::Monitor(e) => e.exit_state(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::UnknownHandle(h) => write!(
                f,
                "handle {h:#x} is not a resource of this host (never opened, or closed)"
            ),
            Refusal::NullStatus => f.write_str("the RESOURCE_STATUS pointer is NULL"),
            Refusal::UnknownState(v) => write!(
                f,
                "ResourceState {v} is not a state a report can carry (Online 2, Offline 3, \
                 Failed 4, OnlinePending 129, OfflinePending 130)"
            ),
            Refusal::NeverPending => {
                f.write_str("no Online or Offline of this resource has been called")
            }
            Refusal::Monitor(e) => fmt::Display::fmt(e, f),
        }
    }
}

fn answer(exit: ExitState) -> u32 {
    match exit {
        ExitState::Continue => ffi::EXIT_CONTINUE,
        _ => ffi::EXIT_TERMINATE,
    }
}

/// `SetResourceStatus`, as the host gives it to `Startup`.
///
/// # Safety
///
/// `status` is null or points to a readable `RESOURCE_STATUS` (the
/// header's contract). `handle` may be anything.
pub(crate) unsafe extern "C" fn set_resource_status(
    handle: ResourceHandle,
    status: *mut ResourceStatus,
) -> u32 {
    if EXITING.load(Ordering::SeqCst) {
        return ffi::EXIT_TERMINATE;
    }
    // Nothing below should panic; if it did, the library's thread must not
    // see an unwind (it would abort the host).
    std::panic::catch_unwind(|| {
        // SAFETY: the caller's promise, passed on.
        unsafe { report(handle, status) }
    })
    .unwrap_or(ffi::EXIT_TERMINATE)
}

/// [`set_resource_status`]'s work.
///
/// # Safety
///
/// As for [`set_resource_status`].
unsafe fn report(handle: ResourceHandle, status: *mut ResourceStatus) -> u32 {
    let Some(core) = lookup(handle) else {
        let refusal = Refusal::UnknownHandle(handle as usize);
        log(1, "-", &format!("SetResourceStatus refused: {refusal}"));
        return answer(refusal.exit_state());
    };
    // SAFETY: the caller promises that a non-null `status` is readable.
    let report = unsafe { status.as_ref() }.copied();
    let decided = report
        .ok_or(Refusal::NullStatus)
        .and_then(|s| {
            ResourceState::try_from(s.resource_state)
                .map(|state| (state, s.check_point))
                .map_err(|_| Refusal::UnknownState(s.resource_state))
        })
        .and_then(|(state, checkpoint)| {
            let handle = core.status().ok_or(Refusal::NeverPending)?;
            match handle.report(state, checkpoint) {
                Ok(exit) => Ok(exit),
                // A failure reported after the online operation settled is
                // the resource failing on its own (Windows lets a resource
                // report ClusterResourceFailed at any time).
                Err(
                    e
                    @ (StatusError::Ended | StatusError::Rejected(ReportError::NotPending { .. })),
                ) if state == ResourceState::Failed => {
                    match handle.signal_failure(ERROR_RESOURCE_FAILED) {
                        Ok(()) => Ok(ExitState::Terminate),
                        Err(_) => Err(Refusal::Monitor(e)),
                    }
                }
                Err(e) => Err(Refusal::Monitor(e)),
            }
        });
    match decided {
        Ok(exit) => answer(exit),
        Err(refusal) => {
            let exit = refusal.exit_state();
            let said = if exit == ExitState::Continue {
                "Continue"
            } else {
                "Terminate"
            };
            let text = format!("SetResourceStatus refused (answered {said}): {refusal}");
            log(1, &core.name, &text);
            answer(exit)
        }
    }
}

/// `LogEvent`, as the host gives it to `Startup`: the message goes to the
/// host's log at the level's `tracing` level, with the resource's name.
///
/// # Safety
///
/// `message` is null or a NUL-terminated UTF-16 string. `handle` may be
/// anything.
pub(crate) unsafe extern "C" fn log_event(
    handle: ResourceHandle,
    level: i32,
    message: *const Wchar,
) {
    // SAFETY: the caller promises a NUL-terminated string (or null);
    // at most LOG_LIMIT units are read.
    let Some(text) = (unsafe { read_wide(message, LOG_LIMIT) }) else {
        return;
    };
    let name = lookup(handle).map(|c| c.name.clone());
    log(level, name.as_deref().unwrap_or("-"), &text);
}

/// Logs `text` for the resource `name` ("-": none) at `LOG_LEVEL` `level`
/// (0 information, 1 warning, 2 and above error): through `tracing`, or
/// straight to stderr when `tracing` is not set up yet or no longer usable.
fn log(level: i32, name: &str, text: &str) {
    if EXITING.load(Ordering::SeqCst) || !tracing::dispatcher::has_been_set() {
        let level = match level {
            0 => "INFO",
            1 => "WARN",
            _ => "ERROR",
        };
        write_stderr(level, name, text);
        return;
    }
    let logged = std::panic::catch_unwind(|| match level {
        0 => tracing::info!(resource = name, "{text}"),
        1 => tracing::warn!(resource = name, "{text}"),
        _ => tracing::error!(resource = name, "{text}"),
    });
    if logged.is_err() {
        write_stderr("ERROR", name, text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_that_was_never_given_out_is_refused_with_terminate() {
        let mut status = ResourceStatus {
            resource_state: ResourceState::OnlinePending.value(),
            check_point: 1,
            wait_hint: 0,
            event_handle: std::ptr::null_mut(),
        };
        for handle in [0usize, 0x1234_5678, usize::MAX] {
            // SAFETY: `status` is a valid RESOURCE_STATUS; the handle is
            // only looked up.
            let r = unsafe { set_resource_status(handle as ResourceHandle, &mut status) };
            assert_eq!(r, ffi::EXIT_TERMINATE, "handle {handle:#x}");
        }
    }

    #[test]
    fn refusals_say_what_is_wrong_and_whether_to_go_on() {
        assert_eq!(Refusal::NullStatus.exit_state(), ExitState::Continue);
        assert_eq!(Refusal::UnknownState(128).exit_state(), ExitState::Continue);
        assert_eq!(Refusal::NeverPending.exit_state(), ExitState::Terminate);
        assert_eq!(Refusal::UnknownHandle(9).exit_state(), ExitState::Terminate);
        assert!(
            Refusal::UnknownState(128)
                .to_string()
                .contains("ResourceState 128")
        );
        assert!(
            Refusal::UnknownHandle(0x10)
                .to_string()
                .contains("0x10 is not a resource")
        );
    }
}
