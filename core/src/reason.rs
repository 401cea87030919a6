//! [`Reason`]: why terminate was requested, and how it is packed into the
//! worker word (its kind) and the word's one code slot (its `u32`).

use core::fmt;

/// Why terminate was requested: a small `Copy` value that travels with
/// the request (Go's `context.Cause`, .NET's and tokio's cancellation
/// reasons, which are asked for and not yet there: dotnet/runtime #109246,
/// tokio #5249).
///
/// Only the *first* request's reason is ever seen: the routine reads it
/// after it learns of the request ([`WorkerWord::reason`](crate::WorkerWord::reason)),
/// and every later request gets it back in
/// [`Request::AlreadyRequested`](crate::Request::AlreadyRequested). It is
/// published with the terminate flag itself: whoever sees the flag sees
/// the reason. No allocation: the kind lives in the worker word, the code
/// in one `u32` beside it.
///
/// # Examples
///
/// ```
/// use clusworker_core::Reason;
/// let r = Reason::User(0x8007_0005); // an HRESULT, say E_ACCESSDENIED
/// assert_eq!(r.code(), Some(0x8007_0005));
/// assert_eq!(Reason::default(), Reason::Requested);
/// assert_eq!(Reason::PendingTimeout.to_string(), "PendingTimeout expired");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Reason {
    /// Requested with nothing more said: `terminate()`, `request_terminate()`,
    /// `ClusWorkerTerminate`.
    #[default]
    Requested,
    /// The handle was dropped (a `Worker` terminates and joins on drop).
    HandleDropped,
    /// A deadline passed.
    DeadlinePassed,
    /// The parent (whatever started this worker) was terminated.
    ParentTerminated,
    /// A sibling failed (a group stops the others when one fails).
    SiblingFailed,
    /// The pool is shutting down.
    PoolShutDown,
    /// The monitor is shutting down.
    MonitorShutDown,
    /// PendingTimeout expired: no status report came within it.
    PendingTimeout,
    /// A code of the user's, in the Windows style: a Win32 error code, an
    /// `NTSTATUS` or an `HRESULT`, or any `u32` of the application's.
    User(u32),
}

/// Where the kind sits in the worker word: bits 10..=13.
pub(crate) const KIND_SHIFT: u32 = 10;
/// The kind's bits, in place.
pub(crate) const KIND_MASK: u32 = 0b1111 << KIND_SHIFT;

impl Reason {
    /// The user's code, for [`Reason::User`]; `None` for the other kinds.
    pub const fn code(self) -> Option<u32> {
        match self {
            Reason::User(code) => Some(code),
            _ => None,
        }
    }

    /// The kind, in place in the word, and the code slot's value.
    pub(crate) const fn pack(self) -> (u32, u32) {
        let (kind, code) = match self {
            Reason::Requested => (0, 0),
            Reason::HandleDropped => (1, 0),
            Reason::DeadlinePassed => (2, 0),
            Reason::ParentTerminated => (3, 0),
            Reason::SiblingFailed => (4, 0),
            Reason::PoolShutDown => (5, 0),
            Reason::MonitorShutDown => (6, 0),
            Reason::PendingTimeout => (7, 0),
            Reason::User(code) => (8, code),
        };
        (kind << KIND_SHIFT, code)
    }

    /// The reason of the word's `bits` (their kind) and the code slot's
    /// value. The inverse of [`pack`](Self::pack).
    pub(crate) const fn unpack(bits: u32, code: u32) -> Reason {
        match (bits & KIND_MASK) >> KIND_SHIFT {
            0 => Reason::Requested,
            1 => Reason::HandleDropped,
            2 => Reason::DeadlinePassed,
            3 => Reason::ParentTerminated,
            4 => Reason::SiblingFailed,
            5 => Reason::PoolShutDown,
            6 => Reason::MonitorShutDown,
            7 => Reason::PendingTimeout,
            _ => Reason::User(code),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Requested => f.write_str("requested"),
            Reason::HandleDropped => f.write_str("the handle was dropped"),
            Reason::DeadlinePassed => f.write_str("the deadline passed"),
            Reason::ParentTerminated => f.write_str("the parent was terminated"),
            Reason::SiblingFailed => f.write_str("a sibling failed"),
            Reason::PoolShutDown => f.write_str("the pool is shutting down"),
            Reason::MonitorShutDown => f.write_str("the monitor is shutting down"),
            Reason::PendingTimeout => f.write_str("PendingTimeout expired"),
            Reason::User(code) => write!(f, "user code {code:#010x}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_survives_packing() {
        let all = [
            Reason::Requested,
            Reason::HandleDropped,
            Reason::DeadlinePassed,
            Reason::ParentTerminated,
            Reason::SiblingFailed,
            Reason::PoolShutDown,
            Reason::MonitorShutDown,
            Reason::PendingTimeout,
            Reason::User(0),
            Reason::User(u32::MAX),
        ];
        for r in all {
            let (kind, code) = r.pack();
            assert_eq!(kind & !KIND_MASK, 0, "{r:?} packs outside its field");
            assert_eq!(Reason::unpack(kind | 0x3ff, code), r, "{r:?}");
        }
    }
}
