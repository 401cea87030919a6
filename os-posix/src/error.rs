//! The error of a failed OS call.

use std::fmt;

/// An OS call failed; carries its `errno`-style code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OsError {
    /// Which call failed.
    pub call: &'static str,
    /// The error code it returned (`errno` values).
    pub code: i32,
}

impl OsError {
    /// The code as an [`std::io::Error`].
    pub fn to_io(self) -> std::io::Error {
        std::io::Error::from_raw_os_error(self.code)
    }
}

impl fmt::Display for OsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed: {}", self.call, self.to_io())
    }
}

impl std::error::Error for OsError {}

impl From<OsError> for std::io::Error {
    fn from(e: OsError) -> Self {
        e.to_io()
    }
}
