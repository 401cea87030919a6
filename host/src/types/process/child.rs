//! [`Child`]: the resource's process group, and the thread that watches its
//! leader.
//!
//! The watcher blocks in `waitid(P_PID, leader, WEXITED | WNOWAIT)`: it
//! wakes the moment the leader exits, which it does not reap, so the
//! zombie leader keeps its pid and the group's id reserved. Then, under
//! the child's lock, it SIGKILLs whatever is left of the group and reaps
//! the leader, and marks the child reaped: nobody signals the group after
//! that. It tells the monitor (`signal_failure`) if the online operation's
//! handle is still armed, reaps the group's members re-parented to the
//! host (a subreaper) until the group is empty, and wakes the waiters. So every process the host starts is reaped by its watcher, and
//! no group outlives its leader.

use std::ffi::OsStr;
use std::io;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use clusworker_monitor::StatusHandle;

use super::deathsig;
use super::group;
use super::params::ProcessParams;
use super::pidfd;

/// How long the watcher waits for the rest of a group to disappear after
/// SIGKILL, once the leader is reaped.
const DRAIN_BOUND: Duration = Duration::from_secs(2);

/// A started process group: its leader's pid is the group's id.
#[derive(Debug)]
pub(super) struct Child {
    pid: libc::pid_t,
    /// Set by the watcher when the leader has exited (before it is reaped).
    exited: AtomicBool,
    state: Mutex<State>,
    finished: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// The leader's status, once reaped. From then on its group's id may
    /// be reused: never signal it.
    status: Option<ExitStatus>,
    /// The leader is reaped and the group is empty.
    drained: bool,
    /// The online operation's handle, armed while the process should run:
    /// the watcher signals a failure through it when the leader exits.
    on_exit: Option<StatusHandle>,
}

/// The code a process's end is reported with: its exit status, or 128 +
/// the signal that killed it (as shells do).
pub(super) fn exit_code(status: ExitStatus) -> u32 {
    match (status.code(), status.signal()) {
        (Some(c), _) => c as u32 & 0xff,
        (None, Some(s)) => 128 + s as u32,
        (None, None) => 255,
    }
}

impl Child {
    /// Starts `params.command` as the leader of a new process group, with
    /// stdin on `/dev/null` and stdout and stderr the host's, forked by its
    /// watcher thread (so that it dies with the host: `deathsig.rs`).
    pub(super) fn spawn(resource: &str, params: &ProcessParams) -> io::Result<Arc<Child>> {
        let mut cmd = Command::new(params.command.program());
        cmd.args(params.command.args())
            .stdin(Stdio::null())
            .process_group(0);
        if let Some(user) = params.user.as_ref() {
            cmd.env("USER", user.name())
                .env("LOGNAME", user.name())
                .env("HOME", user.home());
            if user.switches() {
                let (uid, gid, groups) = (user.uid(), user.gid(), user.groups().to_vec());
                // SAFETY: the closure runs in the forked child before exec.
                // It calls only setgroups, setgid and setuid (async-signal-
                // safe system calls) on values prepared before the fork, and
                // allocates nothing; groups outlives the calls.
                unsafe {
                    cmd.pre_exec(move || {
                        if libc::setgroups(groups.len(), groups.as_ptr()) != 0
                            || libc::setgid(gid) != 0
                            || libc::setuid(uid) != 0
                        {
                            return Err(io::Error::last_os_error());
                        }
                        Ok(())
                    });
                }
            }
        }
        cmd.envs(
            params
                .env
                .vars()
                .iter()
                .map(|(k, v)| (OsStr::new(k), OsStr::new(v))),
        );
        if let Some(cwd) = &params.cwd {
            cmd.current_dir(cwd);
        }
        group::become_subreaper();
        // The process is forked by its own watcher thread, which ends only
        // after the process has: the parent-death signal (which follows the
        // forking thread) then comes only with the host's death.
        deathsig::die_with_parent(&mut cmd);
        let (tx, rx) = mpsc::sync_channel(1);
        thread::Builder::new()
            .name(format!("watch {resource}"))
            .spawn(move || {
                let mut process = match cmd.spawn() {
                    Ok(process) => process,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                };
                let Ok(pid) = libc::pid_t::try_from(process.id()) else {
                    // Not a pid of this system (cannot happen): reap it.
                    let _ = process.kill();
                    let _ = process.wait();
                    let _ = tx.send(Err(io::Error::other("a pid out of range")));
                    return;
                };
                let child = Arc::new(Child {
                    pid,
                    exited: AtomicBool::new(false),
                    state: Mutex::new(State::default()),
                    finished: Condvar::new(),
                });
                // The spawner waits for this answer; if it has gone (it
                // cannot: it blocks on `recv`), the watch still reaps.
                let _ = tx.send(Ok(Arc::clone(&child)));
                child.watch(process);
            })?;
        let child = rx
            .recv()
            .map_err(|_| io::Error::other("the watcher thread ended without an answer"))??;
        Ok(child)
    }

    /// The leader's pid, which is the group's id.
    pub(super) fn pid(&self) -> u32 {
        self.pid.unsigned_abs()
    }

    /// Whether the leader has exited (LooksAlive's answer is the opposite).
    pub(super) fn has_exited(&self) -> bool {
        // Acquire: pairs with the watcher's Release store; nothing is read
        // through it, but a caller that sees true then sees the status set
        // by the same thread once `wait` returns.
        self.exited.load(Ordering::Acquire)
    }

    /// Arms the failure report: when the leader exits, the watcher calls
    /// `handle.signal_failure(code)`. If it has exited already, does so now.
    pub(super) fn arm(&self, handle: StatusHandle) {
        let mut state = self.lock();
        match state.status {
            Some(status) => {
                drop(state);
                let _ = handle.signal_failure(exit_code(status));
            }
            None => state.on_exit = Some(handle),
        }
    }

    /// Disarms the failure report: the host is stopping the process on
    /// purpose.
    pub(super) fn disarm(&self) {
        self.lock().on_exit = None;
    }

    /// Sends `signal` to the whole group, unless the leader is reaped.
    pub(super) fn signal(&self, signal: libc::c_int) {
        let state = self.lock();
        if state.status.is_none() {
            // The leader is unreaped while we hold the lock (the watcher
            // reaps under it): the group's id is still ours.
            group::kill_group(self.pid, signal);
        }
    }

    /// Waits up to `timeout` (forever with None) until the leader is
    /// reaped and the group empty; its status then.
    pub(super) fn wait(&self, timeout: Option<Duration>) -> Option<ExitStatus> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut state = self.lock();
        loop {
            if let (true, Some(s)) = (state.drained, state.status) {
                return Some(s);
            }
            state = match deadline {
                None => self
                    .finished
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(d) => {
                    let left = d.checked_duration_since(Instant::now())?;
                    self.finished
                        .wait_timeout(state, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The watcher thread's body.
    fn watch(&self, mut process: std::process::Child) {
        if let Err(e) = pidfd::block_until_exited(self.pid) {
            // Only ECHILD (someone else reaped it) or EINVAL can get here.
            tracing::error!(pid = self.pid, "waitid on a resource's process: {e}");
        }
        // Release: pairs with has_exited's Acquire.
        self.exited.store(true, Ordering::Release);
        let (status, on_exit) = {
            let mut state = self.lock();
            // The leader is a zombie: its group's id is still ours.
            group::kill_group(self.pid, libc::SIGKILL);
            let status = process.wait().unwrap_or_else(|e| {
                tracing::error!(pid = self.pid, "reaping a resource's process: {e}");
                ExitStatus::from_raw(255 << 8)
            });
            state.status = Some(status);
            (status, state.on_exit.take())
        };
        if let Some(handle) = on_exit {
            // The online operation may be over already: nothing to do then.
            let _ = handle.signal_failure(exit_code(status));
        }
        // The rest of the group got SIGKILL while the id was ours; its
        // members are re-parented to us (the subreaper) as their parents
        // die. Reap them, so that `wait` means "nothing left".
        if !group::reap_group(self.pid, DRAIN_BOUND) {
            tracing::warn!(
                pgid = self.pid,
                "processes of a resource's group outlived SIGKILL by {DRAIN_BOUND:?} \
                 (stuck in the kernel, or not our children)"
            );
        }
        self.lock().drained = true;
        self.finished.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parent-death signal follows the thread that forked (prctl(2)):
    /// a process started from a thread that then ends must live on, as
    /// Online runs on call threads that exit after idling.
    #[test]
    fn a_process_outlives_the_thread_that_started_it() {
        let p: ProcessParams = toml::from_str(r#"command = ["sleep", "60"]"#).unwrap();
        let child = thread::spawn(move || Child::spawn("outlives", &p))
            .join()
            .expect("the starting thread does not panic")
            .expect("sleep starts");
        assert_eq!(
            child.wait(Some(Duration::from_millis(300))),
            None,
            "the process died with the thread that started it"
        );
        assert!(!child.has_exited());
        child.signal(libc::SIGKILL);
        let status = child.wait(Some(Duration::from_secs(20))).expect("reaped");
        assert_eq!(exit_code(status), 128 + libc::SIGKILL as u32);
    }
}
