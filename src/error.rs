//! Errors of waiting on a worker.

use std::fmt;

/// Why a wait for a worker's exit returned without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WaitError {
    /// The routine was still running at the deadline. Nothing was lost: the
    /// worker can be waited for, terminated or joined again.
    #[doc(alias = "WAIT_TIMEOUT")]
    TimedOut,
    /// The call came from the worker's own thread, which cannot wait for its
    /// own exit. A terminate request, if the call makes one, was made.
    OwnThread,
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WaitError::TimedOut => "the worker did not exit before the timeout",
            WaitError::OwnThread => "a worker cannot wait for its own exit",
        })
    }
}

impl std::error::Error for WaitError {}

/// The panic-payload-shaped error of [`Worker::join`](crate::Worker::join)
/// called from the worker's own thread (which detaches the worker instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct JoinOwnThread;

impl fmt::Display for JoinOwnThread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a worker cannot join itself; it was detached")
    }
}

impl std::error::Error for JoinOwnThread {}
