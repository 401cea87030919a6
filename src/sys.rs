//! The OS backend this build uses. Everything OS-specific that `clusworker`
//! touches goes through these names.

#[cfg(unix)]
pub(crate) use clusworker_posix::thread::set_current_name;
#[cfg(unix)]
pub(crate) use clusworker_posix::{Default as Park, OsError, thread::Thread, thread::spawn};

#[cfg(not(unix))]
compile_error!(
    "clusworker supports Unix targets today; the Windows backend (clusworker-windows) is not wired in yet"
);
