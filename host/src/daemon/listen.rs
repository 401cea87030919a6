//! The control socket's file: made owner-only, refused when another live
//! host holds it, recovered when a crashed host left it behind.
//!
//! The check and the bind are guarded by an exclusive `flock` on a lock
//! file beside the socket (`host.sock.lock`), held for the host's whole
//! life, so two hosts starting together cannot both win: the second finds
//! the lock taken and stops. With the lock held, a socket file that
//! refuses connections (`ECONNREFUSED`) is a dead host's: it is removed and
//! bound again. One that accepts a connection belongs to a live process
//! (a host that predates the lock, say): it is left alone, and the host
//! stops. The lock file is never removed (removing it would let a third
//! host lock a new file while the second still holds the old one).

use std::fmt;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

/// The bound control socket; dropping it removes the socket's file.
#[derive(Debug)]
pub(crate) struct Bound {
    pub(crate) listener: UnixListener,
    path: PathBuf,
    /// Holds the `flock` until the process ends.
    _lock: File,
}

impl Drop for Bound {
    fn drop(&mut self) {
        // We hold the lock: the file at `path` is ours.
        let _ = fs::remove_file(&self.path);
    }
}

/// Why the socket could not be had.
#[derive(Debug)]
pub(crate) enum ListenError {
    /// Another live host holds it (its pid, when the lock file says).
    InUse { path: PathBuf, pid: Option<u32> },
    /// Something else went wrong.
    Io {
        what: &'static str,
        path: PathBuf,
        error: io::Error,
    },
}

impl fmt::Display for ListenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenError::InUse {
                path,
                pid: Some(pid),
            } => write!(
                f,
                "another clusworker-host (pid {pid}) holds the control socket {}",
                path.display()
            ),
            ListenError::InUse { path, pid: None } => write!(
                f,
                "a live process already serves the control socket {}",
                path.display()
            ),
            ListenError::Io { what, path, error } => {
                write!(f, "cannot {what} {}: {error}", path.display())
            }
        }
    }
}

/// Takes the control socket at `path`, owner-only (0600), creating its
/// folder (0700) if missing.
///
/// Sets the process's umask for the moment of the bind: call it before
/// other threads start.
pub(crate) fn acquire(path: &Path) -> Result<Bound, ListenError> {
    let io = |what: &'static str, p: &Path| {
        let p = p.to_owned();
        move |error| ListenError::Io {
            what,
            path: p,
            error,
        }
    };
    if path.as_os_str().len() >= 108 {
        return Err(io("use the socket path (too long for a socket)", path)(
            io::Error::from(io::ErrorKind::InvalidInput),
        ));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(io("create the socket's folder", dir))?;
        }
    }

    let lock_path = lock_path(path);
    let mut lock = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&lock_path)
        .map_err(io("open the lock file", &lock_path))?;
    // SAFETY: flock on a file descriptor we own; it only takes a lock.
    if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let error = io::Error::last_os_error();
        if error.raw_os_error() == Some(libc::EWOULDBLOCK) {
            let mut text = String::new();
            let _ = lock.read_to_string(&mut text);
            return Err(ListenError::InUse {
                path: path.to_owned(),
                pid: text.trim().parse().ok(),
            });
        }
        return Err(io("lock", &lock_path)(error));
    }
    write_pid(&mut lock).map_err(io("write the lock file", &lock_path))?;

    match fs::symlink_metadata(path) {
        Ok(meta) if !meta.file_type().is_socket() => {
            return Err(io("replace the non-socket file", path)(io::Error::from(
                io::ErrorKind::AlreadyExists,
            )));
        }
        Ok(_) => match UnixStream::connect(path) {
            Ok(_) => {
                return Err(ListenError::InUse {
                    path: path.to_owned(),
                    pid: None,
                });
            }
            Err(e) if e.raw_os_error() == Some(libc::ECONNREFUSED) => {
                tracing::warn!(socket = %path.display(), "removing a stale control socket");
                fs::remove_file(path).map_err(io("remove the stale socket", path))?;
            }
            Err(e) => return Err(io("check the existing socket", path)(e)),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io("inspect", path)(e)),
    }

    // SAFETY: umask only swaps the process's file-mode mask; the caller
    // runs no other thread that could create a file meanwhile.
    let old = unsafe { libc::umask(0o177) };
    let bound = UnixListener::bind(path);
    // SAFETY: as above, putting the old mask back.
    unsafe { libc::umask(old) };
    let listener = bound.map_err(io("bind", path))?;
    let bound = Bound {
        listener,
        path: path.to_owned(),
        _lock: lock,
    };
    // The umask made it 0600 already; say so explicitly all the same.
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
        .map_err(io("set the mode of", path))?;
    Ok(bound)
}

/// `host.sock` → `host.sock.lock`.
fn lock_path(socket: &Path) -> PathBuf {
    let mut name = socket.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

fn write_pid(lock: &mut File) -> io::Result<()> {
    lock.set_len(0)?;
    lock.rewind()?;
    writeln!(lock, "{}", std::process::id())
}
