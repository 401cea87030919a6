//! [`Outcome`]: what an `Online` or `Offline` entry point returned.

use core::fmt;

/// What `online` or `offline` returned: `ERROR_SUCCESS`,
/// `ERROR_IO_PENDING`, or another (Windows-style) error code.
///
/// # Examples
///
/// ```
/// use clusworker_monitor::machine::Outcome;
/// assert_eq!(Outcome::from_code(0), Outcome::Done);
/// assert_eq!(Outcome::from_code(997), Outcome::Pending); // ERROR_IO_PENDING
/// assert_eq!(Outcome::from_code(5).code(), 5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Done: the resource is online (or offline): `ERROR_SUCCESS`.
    #[doc(alias = "ERROR_SUCCESS")]
    Done,
    /// A worker was started and will report its progress (in the monitor,
    /// with `StatusHandle::set_resource_status`): `ERROR_IO_PENDING`.
    #[doc(alias = "ERROR_IO_PENDING")]
    Pending,
    /// The operation failed with this (Windows-style) error code; the
    /// resource is `Failed`.
    Failed(u32),
}

impl Outcome {
    /// `ERROR_IO_PENDING`.
    pub const IO_PENDING: u32 = 997;

    /// The outcome a Windows return code stands for: 0 is `Done`, 997
    /// (`ERROR_IO_PENDING`) `Pending`, anything else `Failed`.
    pub const fn from_code(code: u32) -> Outcome {
        match code {
            0 => Outcome::Done,
            Self::IO_PENDING => Outcome::Pending,
            c => Outcome::Failed(c),
        }
    }

    /// The Windows return code.
    pub const fn code(self) -> u32 {
        match self {
            Outcome::Done => 0,
            Outcome::Pending => Self::IO_PENDING,
            Outcome::Failed(c) => c,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Done => f.write_str("done"),
            Outcome::Pending => f.write_str("pending"),
            Outcome::Failed(c) => write!(f, "failed with code {c}"),
        }
    }
}
