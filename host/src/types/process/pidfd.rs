//! Waiting for a child's exit with a timeout, without reaping it: a pidfd
//! (`pidfd_open`, Linux 5.3) and `poll`, or, where there is none,
//! `waitid(WNOHANG | WNOWAIT)` every few milliseconds.
//!
//! The child stays a zombie, so its pid (and its process group's id) stay
//! reserved until the caller reaps it: signalling its group in between can
//! never reach a stranger.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::thread;
use std::time::{Duration, Instant};

/// A child process being waited for.
#[derive(Debug)]
pub(super) struct ExitWait {
    pid: libc::pid_t,
    /// None where the kernel has no pidfd_open (ENOSYS).
    fd: Option<OwnedFd>,
}

impl ExitWait {
    /// Starts watching `pid`, a child of this process not yet reaped.
    pub(super) fn new(pid: libc::pid_t) -> io::Result<ExitWait> {
        // SAFETY: pidfd_open takes a pid and flags by value and returns a
        // new descriptor or -1; it touches no memory of ours.
        let r = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        if r < 0 {
            let e = io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::ENOSYS) => Ok(ExitWait { pid, fd: None }),
                _ => Err(e),
            };
        }
        let raw = libc::c_int::try_from(r).map_err(|_| io::Error::other("pidfd out of range"))?;
        // SAFETY: raw is a descriptor pidfd_open just returned; nothing else
        // owns it, and the OwnedFd closes it once.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        Ok(ExitWait { pid, fd: Some(fd) })
    }

    /// Whether the child has exited, waiting at most `timeout`. It is not
    /// reaped.
    pub(super) fn wait(&self, timeout: Duration) -> io::Result<bool> {
        match &self.fd {
            Some(fd) => poll_readable(fd, timeout),
            None => self.poll_waitid(timeout),
        }
    }

    fn poll_waitid(&self, timeout: Duration) -> io::Result<bool> {
        let deadline = Instant::now() + timeout;
        loop {
            if exited_now(self.pid)? {
                return Ok(true);
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(false);
            }
            thread::sleep((deadline - now).min(Duration::from_millis(5)));
        }
    }
}

/// `poll` on a pidfd: readable once the process has exited.
fn poll_readable(fd: &OwnedFd, timeout: Duration) -> io::Result<bool> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        // Round up, so that a wait of 0.4 ms does not spin at 0.
        let ms = libc::c_int::try_from(left.as_micros().div_ceil(1000)).unwrap_or(libc::c_int::MAX);
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: pfd is one valid pollfd on our stack, and nfds is 1.
        let r = unsafe { libc::poll(&mut pfd, 1, ms) };
        match r {
            r if r > 0 => return Ok(true),
            0 if Instant::now() >= deadline => return Ok(false),
            0 => {}
            _ => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
}

/// `waitid(P_PID, pid, WEXITED | WNOHANG | WNOWAIT)`: has the child exited?
/// Leaves it unreaped.
pub(super) fn exited_now(pid: libc::pid_t) -> io::Result<bool> {
    let id = libc::id_t::try_from(pid).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: an all-zero siginfo_t is valid; waitid fills it.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: info is a valid siginfo_t on our stack; the other
        // arguments are plain values.
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                id,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            )
        };
        if r == 0 {
            // SAFETY: waitid succeeded, so info holds a SIGCHLD siginfo (or
            // zeros with WNOHANG when no child has changed state), for
            // which si_pid is the field to read.
            return Ok(unsafe { info.si_pid() } != 0);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// `waitid(P_PID, pid, WEXITED | WNOWAIT)`: blocks until the child has
/// exited, and leaves it unreaped.
pub(super) fn block_until_exited(pid: libc::pid_t) -> io::Result<()> {
    let id = libc::id_t::try_from(pid).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: an all-zero siginfo_t is valid; waitid fills it.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: as in exited_now.
        let r = unsafe { libc::waitid(libc::P_PID, id, &mut info, libc::WEXITED | libc::WNOWAIT) };
        if r == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}
