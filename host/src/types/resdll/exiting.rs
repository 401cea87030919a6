//! The process's exit, as the library's callbacks see it, and the log line
//! written straight to stderr when `tracing` cannot be used. Its own module
//! so that the callbacks and the resources (which set it at exit) both use
//! it without depending on each other.

use std::sync::atomic::AtomicBool;

/// Set when the process exits (the `atexit` that closes the resources):
/// from then on no `tracing` (its thread-locals are gone) and no report.
pub(crate) static EXITING: AtomicBool = AtomicBool::new(false);

/// Writes one log line straight to stderr, in the shape of the host's log
/// (`LEVEL message resource="name"`): for `LogEvent`s that come before the
/// host's log is set up (the config's check builds, and so opens, every
/// resource first) or after it is gone (at exit).
pub(crate) fn write_stderr(level: &str, name: &str, text: &str) {
    let line = format!("{level:>5} {text} resource={name:?}\n");
    let mut bytes = line.as_bytes();
    while !bytes.is_empty() {
        // SAFETY: writes bytes from a live buffer to fd 2; no Rust state
        // (and no thread-local) is involved.
        let n = unsafe { libc::write(2, bytes.as_ptr().cast(), bytes.len()) };
        if n <= 0 {
            return;
        }
        bytes = &bytes[n as usize..];
    }
}
