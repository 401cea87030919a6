//! The OS backend this build uses. Everything OS-specific that `clusworker`
//! touches goes through these names.

#[cfg(unix)]
pub(crate) use clusworker_posix::thread::set_current_name;
#[cfg(unix)]
pub(crate) use clusworker_posix::{OsError, Park, thread::Start, thread::Thread, thread::spawn};

#[cfg(windows)]
pub(crate) use clusworker_windows::thread::set_current_name;
#[cfg(windows)]
pub(crate) use clusworker_windows::{OsError, Park, thread::Start, thread::Thread, thread::spawn};

#[cfg(not(any(unix, windows)))]
compile_error!(
    "clusworker supports Unix (clusworker-posix) and Windows (clusworker-windows) targets"
);
