//! Signals to a process group, and whether one is empty.
//!
//! The rule that keeps them safe: signal a group only while its leader is
//! not reaped (a zombie at worst). The zombie keeps the pid, and so the
//! group's id, reserved, so `pgid` cannot name a stranger's group.

use std::io;
use std::sync::Once;
use std::thread;
use std::time::{Duration, Instant};

/// `killpg(pgid, signal)`; ESRCH (nobody left) is not an error.
///
/// The caller must hold the group's leader unreaped (a zombie at worst),
/// so that `pgid` cannot name a stranger's group.
pub(super) fn kill_group(pgid: libc::pid_t, signal: libc::c_int) {
    // SAFETY: killpg takes plain values and touches no memory of ours.
    let r = unsafe { libc::killpg(pgid, signal) };
    debug_assert!(
        r == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH),
        "killpg({pgid}, {signal}): {}",
        io::Error::last_os_error()
    );
}

/// Whether any process is left in group `pgid` (`kill(-pgid, 0)`; a
/// process of another user counts).
pub(super) fn group_exists(pgid: libc::pid_t) -> bool {
    // SAFETY: signal 0 only checks; kill touches no memory of ours.
    let r = unsafe { libc::kill(-pgid, 0) };
    r == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Makes this process a child subreaper (`PR_SET_CHILD_SUBREAPER`), once:
/// the processes a command leaves behind when its leader exits are then
/// re-parented to the host instead of to init (which, in a container, may
/// never reap them), and [`reap_group`] reaps them.
pub(super) fn become_subreaper() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: prctl(PR_SET_CHILD_SUBREAPER, 1) takes plain values and
        // touches no memory of ours.
        let r = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
        if r != 0 {
            tracing::warn!(
                "cannot become a child subreaper ({}): processes left by a resource's \
                 command are reaped by init",
                io::Error::last_os_error()
            );
        }
    });
}

/// After group `pgid`'s leader is reaped, and the group SIGKILLed while the
/// leader was unreaped: waits, at most `bound`, until the group is empty,
/// reaping its members that are our children (re-parented to us, the
/// subreaper). True if it emptied.
///
/// Each round checks that the group still exists before it reaps by group:
/// a member keeps the group's id reserved until it is reaped, so the id is
/// never reused between the check and the reap.
pub(super) fn reap_group(pgid: libc::pid_t, bound: Duration) -> bool {
    let deadline = Instant::now() + bound;
    let mut pause = Duration::from_micros(50);
    loop {
        if !group_exists(pgid) {
            return true;
        }
        // SAFETY: waitpid with a null status pointer is allowed; it reaps
        // at most one child of ours in group pgid, or returns 0 / -1.
        let reaped = unsafe { libc::waitpid(-pgid, std::ptr::null_mut(), libc::WNOHANG) };
        if reaped > 0 {
            continue;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(10));
    }
}
