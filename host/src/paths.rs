//! Where the control socket lives when the config does not say:
//! [`default_socket`].

use std::env;
use std::path::PathBuf;

/// The socket's file name inside the runtime folder.
pub const SOCKET_NAME: &str = "host.sock";

/// The default control socket:
///
/// 1. `$RUNTIME_DIRECTORY/host.sock`: systemd sets it from the unit's
///    `RuntimeDirectory=clusworker` (the first folder, if it lists several);
/// 2. as root, `/run/clusworker/host.sock`;
/// 3. otherwise `$XDG_RUNTIME_DIR/clusworker/host.sock`;
/// 4. otherwise `/run/clusworker/host.sock`.
///
/// The host and `clusworker-hostctl` both use it, so that a tool run in the
/// host's environment finds the host.
///
/// # Examples
///
/// ```
/// let path = clusworker_host::paths::default_socket();
/// assert!(path.ends_with("host.sock"));
/// ```
pub fn default_socket() -> PathBuf {
    let var = |name: &str| env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dirs) = var("RUNTIME_DIRECTORY") {
        if let Some(first) = env::split_paths(&dirs).next() {
            return first.join(SOCKET_NAME);
        }
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        if let Some(xdg) = var("XDG_RUNTIME_DIR") {
            return PathBuf::from(xdg).join("clusworker").join(SOCKET_NAME);
        }
    }
    PathBuf::from("/run/clusworker").join(SOCKET_NAME)
}
