//! SIGTERM and SIGINT, delivered to one thread as messages, through a
//! self-pipe: the handler writes the signal's number, one byte, to a pipe
//! (`write` is async-signal-safe; nothing else happens in the handler),
//! and a thread reads the pipe.
//!
//! Why not `sigwait` with the signals blocked in every thread: a blocked
//! mask is inherited by every child through `fork` and `exec` (std's
//! `Command` does not reset it), so a resource's process would start with
//! SIGTERM blocked, and its Offline's SIGTERM would do nothing. A handler,
//! on the contrary, is reset to the default by `exec`.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{FromRawFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering};
use std::thread;

/// The pipe's write end, for the handler (-1 before [`install`]).
static PIPE: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(signal: libc::c_int) {
    // Relaxed: the store in `install` happens before `sigaction` installs
    // this handler, and a signal runs it only after that.
    let fd = PIPE.load(Ordering::Relaxed);
    if fd >= 0 {
        let byte = signal as u8;
        // SAFETY: write(2) is async-signal-safe; it reads one byte from a
        // live local. The pipe is non-blocking: when it is full (255
        // signals unread) the byte is dropped, which loses nothing that
        // matters (two are enough to stop at once). errno is saved and
        // restored, as a handler must.
        unsafe {
            let errno = *libc::__errno_location();
            libc::write(fd, (&raw const byte).cast(), 1);
            *libc::__errno_location() = errno;
        }
    }
}

/// The read end of the signals' pipe.
#[derive(Debug)]
pub(crate) struct Stops(File);

/// Installs the handler of SIGTERM and SIGINT.
pub(crate) fn install() -> io::Result<Stops> {
    let mut fds: [RawFd; 2] = [-1; 2];
    // SAFETY: pipe2 writes two file descriptors into the array it is given.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fds[0] is the pipe's read end, just made, owned by nobody else.
    let read = unsafe { File::from_raw_fd(fds[0]) };
    // SAFETY: fcntl on the write end we just made; it only sets a flag.
    if unsafe { libc::fcntl(fds[1], libc::F_SETFL, libc::O_NONBLOCK) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // The write end stays open for the process's life: the handler owns it.
    PIPE.store(fds[1], Ordering::Relaxed);
    for signal in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: a zeroed sigaction is a valid value to fill in; the
        // handler is an `extern "C" fn(c_int)` that only calls write(2);
        // sigemptyset initialises the mask it is given.
        let r = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut())
        };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(Stops(read))
}

/// Starts the thread that reads the signals and gives each one's number
/// to `on_signal`, until it answers false.
pub(crate) fn spawn_waiter<F>(stops: Stops, on_signal: F) -> io::Result<thread::JoinHandle<()>>
where
    F: Fn(i32) -> bool + Send + 'static,
{
    let Stops(mut pipe) = stops;
    thread::Builder::new()
        .name("clusworker-signals".into())
        .spawn(move || {
            let mut byte = [0u8; 1];
            loop {
                match pipe.read(&mut byte) {
                    Ok(1) => {
                        if !on_signal(i32::from(byte[0])) {
                            return;
                        }
                    }
                    Ok(_) => return,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => return,
                }
            }
        })
}

/// The signal's name, for the log.
pub(crate) fn name(signal: i32) -> &'static str {
    match signal {
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        _ => "a signal",
    }
}
