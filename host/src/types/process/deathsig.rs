//! A resource's processes die with the host.
//!
//! Each command the host starts is set to get SIGKILL when its parent dies
//! (`PR_SET_PDEATHSIG`, [`die_with_parent`]). Without that, a host that is
//! killed or crashes leaves its services running, unmanaged: the host that
//! Pacemaker (or an operator) starts next does not know them, starts them a
//! second time, and a `stop` that succeeded would not mean "not running".
//!
//! The kernel sends the signal when the *thread* that forked the child
//! ends, not the process (prctl(2)), and Online runs on the monitor's call
//! threads, which exit after idling. So each command is forked by a thread
//! that outlives it: a resource's process by its own watcher thread (which
//! ends only after the process did: `child.rs`), a health check's command
//! by the worker that waits for it (or kills it). Each fork stays on its
//! resource's own thread: one `exec` that blocks (a program on a hung
//! mount) holds up no other resource.
//!
//! The signal reaches the command itself (its group's leader): a process
//! that the leader started and that outlives it is re-parented (to init,
//! with the host gone). A set-user-ID or set-group-ID program clears the
//! setting when it is `exec`ed.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::Command;

/// Sets `cmd` to get SIGKILL when the thread that forks it ends (with the
/// host, at the latest). Added after the command's other
/// `pre_exec` steps, as a change of user clears the setting. If the parent
/// died before the setting took, the child does not `exec` (`ESRCH`).
pub(super) fn die_with_parent(cmd: &mut Command) {
    let parent = std::process::id();
    // SAFETY: the closure runs in the forked child before exec. It calls
    // only prctl and getppid (system calls, async-signal-safe) on a value
    // read before the fork, and allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            ) != 0
            {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died between the fork and the prctl: the
            // child was re-parented then, and no signal will come.
            if libc::getppid() as u32 != parent {
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}
