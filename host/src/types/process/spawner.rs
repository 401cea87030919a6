//! The thread that starts every resource's process, so that the process
//! dies with the host.
//!
//! Each command the host starts is set to get SIGKILL when its parent dies
//! (`PR_SET_PDEATHSIG`, [`die_with_parent`]). Without that, a host that is
//! killed or crashes leaves its services running, unmanaged: the host that
//! Pacemaker (or an operator) starts next does not know them, starts them a
//! second time, and a `stop` that succeeded would not mean "not running".
//!
//! The kernel sends the signal when the *thread* that forked the child
//! ends, not the process (prctl(2)), and Online runs on the monitor's call
//! threads, which exit after idling. So a resource's process is forked by
//! one thread that lives as long as the host: this module's, started by
//! the first [`spawn`]. (A health check's command is forked by the worker
//! that waits for it, which outlives it: it can use [`die_with_parent`]
//! where it is.)
//!
//! The signal reaches the group's leader only: a process that the leader
//! started and that outlives it is re-parented (to init, with the host
//! gone). A set-user-ID or set-group-ID program clears the setting when it
//! is `exec`ed.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::OnceLock;
use std::sync::mpsc::{self, Sender};
use std::thread;

/// A command to start, and where its result goes.
type Job = (Command, mpsc::SyncSender<io::Result<Child>>);

/// Starts `cmd` on the spawner thread, set to die with the host (see the
/// module docs): its `Child`, or why it did not start (the thread's own
/// start included).
pub(super) fn spawn(mut cmd: Command) -> io::Result<Child> {
    static JOBS: OnceLock<io::Result<Sender<Job>>> = OnceLock::new();
    let jobs = JOBS.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        thread::Builder::new()
            .name("spawner".into())
            .spawn(move || {
                // Ends only with the process: JOBS keeps a sender forever.
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })
            .map(|_| tx)
    });
    let jobs = match jobs {
        Ok(jobs) => jobs,
        Err(e) => {
            return Err(io::Error::new(
                e.kind(),
                format!("cannot start the spawner thread: {e}"),
            ));
        }
    };
    die_with_parent(&mut cmd);
    let (reply, result) = mpsc::sync_channel(1);
    jobs.send((cmd, reply))
        .map_err(|_| io::Error::other("the spawner thread is gone"))?;
    result
        .recv()
        .map_err(|_| io::Error::other("the spawner thread is gone"))?
}

/// Sets `cmd` to get SIGKILL when the thread that forks it ends (with its
/// process, for the spawner thread). Added after the command's other
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
