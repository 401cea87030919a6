//! systemd's notify protocol (`Type=notify`), by hand: one datagram of
//! `KEY=value` lines to the socket named by `$NOTIFY_SOCKET` (a path, or
//! `@name` for an abstract address), as `sd_notify(3)` describes it.
//!
//! The host sends `READY=1` once its control socket is up, `STATUS=` with
//! the resources' states whenever one changes, `WATCHDOG=1` every half
//! `$WATCHDOG_USEC` when systemd asks for it (`WatchdogSec=`), and
//! `STOPPING=1` when it begins to shut down. Without `$NOTIFY_SOCKET`
//! every call does nothing.
//!
//! # Examples
//!
//! ```
//! use std::os::unix::net::UnixDatagram;
//! use clusworker_host::notify::Notifier;
//!
//! let dir = std::env::temp_dir().join(format!("notify-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("notify.sock");
//! # let _ = std::fs::remove_file(&path);
//! let systemd = UnixDatagram::bind(&path)?; // a fake systemd
//! let notifier = Notifier::to(path.to_str().unwrap())?;
//! notifier.ready();
//! let mut buf = [0; 64];
//! let n = systemd.recv(&mut buf)?;
//! assert_eq!(&buf[..n], b"READY=1");
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

/// The sender of notifications to systemd (or to nobody).
#[derive(Debug)]
pub struct Notifier {
    target: Option<(UnixDatagram, SocketAddr)>,
    watchdog: Option<Duration>,
}

impl Notifier {
    /// A notifier that sends nothing.
    pub fn none() -> Notifier {
        Notifier {
            target: None,
            watchdog: None,
        }
    }

    /// The notifier `$NOTIFY_SOCKET` and `$WATCHDOG_USEC` ask for (none when
    /// unset), and removes `NOTIFY_SOCKET`, `WATCHDOG_USEC` and
    /// `WATCHDOG_PID` from the environment so that the resources' processes
    /// do not inherit them (as `sd_notify(3)`'s `unset_environment`).
    ///
    /// # Safety
    ///
    /// Changes the environment: call it before any other thread starts.
    ///
    /// # Errors
    ///
    /// When the address is neither a path nor `@name`, or the socket cannot
    /// be made.
    pub unsafe fn from_env() -> io::Result<Notifier> {
        let address = std::env::var("NOTIFY_SOCKET").ok();
        let watchdog = watchdog_interval(
            std::env::var("WATCHDOG_USEC").ok().as_deref(),
            std::env::var("WATCHDOG_PID").ok().as_deref(),
        );
        for var in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
            // SAFETY: the caller promises that no other thread runs, so
            // none reads the environment while it changes.
            unsafe { std::env::remove_var(var) };
        }
        let mut notifier = match address.filter(|a| !a.is_empty()) {
            Some(a) => Notifier::to(&a)?,
            None => Notifier::none(),
        };
        notifier.watchdog = watchdog;
        Ok(notifier)
    }

    /// A notifier to `address`: a socket path, or `@name` for the abstract
    /// name `name`.
    ///
    /// # Errors
    ///
    /// When the address is neither, or the socket cannot be made.
    pub fn to(address: &str) -> io::Result<Notifier> {
        let addr = if let Some(name) = address.strip_prefix('@') {
            abstract_address(name.as_bytes())?
        } else if address.starts_with('/') {
            SocketAddr::from_pathname(address)?
        } else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("NOTIFY_SOCKET={address:?} is neither a path nor @name"),
            ));
        };
        Ok(Notifier {
            target: Some((UnixDatagram::unbound()?, addr)),
            watchdog: None,
        })
    }

    /// Whether there is anyone to tell.
    pub fn enabled(&self) -> bool {
        self.target.is_some()
    }

    /// How often to send `WATCHDOG=1`: half of `$WATCHDOG_USEC`, if systemd
    /// asked for pings.
    pub fn watchdog_period(&self) -> Option<Duration> {
        self.watchdog.map(|w| w / 2)
    }

    /// Sends `state` (`KEY=value` lines) as one datagram; an error (systemd
    /// gone, its queue full) is logged and otherwise ignored, as
    /// `sd_notify` callers do.
    pub fn send(&self, state: &str) {
        if let Some((socket, addr)) = &self.target {
            if let Err(e) = socket.send_to_addr(state.as_bytes(), addr) {
                tracing::debug!(error = %e, "cannot notify systemd");
            }
        }
    }

    /// `READY=1`: the host is up.
    pub fn ready(&self) {
        self.send("READY=1");
    }

    /// `STATUS=<text>`: one line that `systemctl status` shows.
    pub fn status(&self, text: &str) {
        self.send(&format!("STATUS={}", text.replace('\n', " ")));
    }

    /// `WATCHDOG=1`: the host is alive.
    pub fn watchdog(&self) {
        self.send("WATCHDOG=1");
    }

    /// `STOPPING=1`: the host is shutting down.
    pub fn stopping(&self) {
        self.send("STOPPING=1");
    }
}

/// The watchdog's interval from `WATCHDOG_USEC`, if it is set, positive,
/// and (when `WATCHDOG_PID` is set) meant for this process.
fn watchdog_interval(usec: Option<&str>, pid: Option<&str>) -> Option<Duration> {
    if let Some(pid) = pid {
        if pid.trim().parse::<u32>().ok() != Some(std::process::id()) {
            return None;
        }
    }
    let usec: u64 = usec?.trim().parse().ok()?;
    (usec > 0).then(|| Duration::from_micros(usec))
}

#[cfg(target_os = "linux")]
fn abstract_address(name: &[u8]) -> io::Result<SocketAddr> {
    use std::os::linux::net::SocketAddrExt;
    SocketAddr::from_abstract_name(name)
}

#[cfg(not(target_os = "linux"))]
fn abstract_address(_: &[u8]) -> io::Result<SocketAddr> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "abstract socket addresses exist only on Linux",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watchdog_is_half_its_usec_and_only_for_this_process() {
        let me = std::process::id().to_string();
        assert_eq!(
            watchdog_interval(Some("2000000"), None),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            watchdog_interval(Some("2000000"), Some(&me)),
            Some(Duration::from_secs(2))
        );
        assert_eq!(watchdog_interval(Some("2000000"), Some("1")), None);
        assert_eq!(watchdog_interval(Some("0"), None), None);
        assert_eq!(watchdog_interval(Some("soon"), None), None);
        assert_eq!(watchdog_interval(None, None), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_abstract_address_is_reached() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("clusworker-notify-test-{}", std::process::id());
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let systemd = UnixDatagram::bind_addr(&addr).unwrap();
        let n = Notifier::to(&format!("@{name}")).unwrap();
        n.status("web Online");
        let mut buf = [0; 64];
        let len = systemd.recv(&mut buf).unwrap();
        assert_eq!(&buf[..len], b"STATUS=web Online");
    }

    #[test]
    fn a_relative_address_is_refused() {
        assert!(Notifier::to("notify.sock").is_err());
    }
}
