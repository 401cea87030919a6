//! The error of a failed OS call.

use std::fmt;

use windows_sys::Win32::Foundation::GetLastError;

/// An OS call failed; carries its `GetLastError` code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OsError {
    /// Which call failed.
    pub call: &'static str,
    /// The error code it left (`GetLastError`, a `WIN32_ERROR`), as the
    /// `i32` that [`std::io::Error::from_raw_os_error`] takes on Windows.
    pub code: i32,
}

impl OsError {
    /// `call` failed just now: its code is the calling thread's
    /// `GetLastError()`. Call this before any other OS call.
    pub(crate) fn last(call: &'static str) -> OsError {
        // SAFETY: GetLastError has no preconditions.
        let code = unsafe { GetLastError() };
        OsError {
            call,
            // `WIN32_ERROR`s are below 2^16; std converts the same way.
            code: code as i32,
        }
    }

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
