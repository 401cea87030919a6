//! [`run`]: the host from start to exit.
//!
//! 1. Takes `NOTIFY_SOCKET` from the environment, handles SIGTERM / SIGINT,
//!    and binds the control socket, while it is the only thread (the
//!    umask is the process's).
//! 2. Starts the monitor (its poll ticks the shortest any resource wants),
//!    the event logger, every resource (Offline), the signal thread and the
//!    socket's server; says `READY=1`; brings the `online = true`
//!    resources online, each on its own thread.
//! 3. Waits for a signal or an escalation, pinging systemd's watchdog on
//!    the way if it asked for one.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use clusworker_monitor::{Escalation, Monitor};

use super::events;
use super::host::{Host, Ticks};
use super::listen::{self, Bound, ListenError};
use super::pace;
use super::serve;
use super::shutdown::{self, Offlined};
use super::signals;
use crate::config::Config;
use crate::exit;
use crate::log;
use crate::notify::Notifier;

/// How long the host waits at exit for its log and its `events` clients to
/// pass on the last events.
const CLOSE: Duration = Duration::from_secs(2);

/// What wakes the main thread.
enum Control {
    Signal(i32),
    Escalation(Escalation),
}

/// Runs the host on `config` until it stops; returns the exit code
/// ([`exit`]).
///
/// # Safety
///
/// Call it before any other thread starts (it changes the environment,
/// the umask and the signal handlers).
pub unsafe fn run(config: Config) -> i32 {
    // SAFETY: the caller promises that this is the only thread.
    let notifier = match unsafe { Notifier::from_env() } {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "NOTIFY_SOCKET is unusable; not notifying systemd");
            Notifier::none()
        }
    };
    let stops = match signals::install() {
        Ok(s) => s,
        Err(e) => return fail("cannot handle SIGTERM and SIGINT", &e),
    };
    let bound = match listen::acquire(&config.host.socket) {
        Ok(b) => b,
        Err(e @ ListenError::InUse { .. }) => {
            tracing::error!("{e}");
            eprintln!("clusworker-host: {e}");
            return exit::SOCKET_IN_USE;
        }
        Err(e) => return fail("cannot make the control socket", &e),
    };

    let (tx, rx) = mpsc::channel();
    let d = config.defaults;
    let ticks = Ticks {
        looks_alive: pace::base(
            std::iter::once(d.looks_alive_interval).chain(
                config
                    .resources
                    .iter()
                    .map(|r| r.timeouts.looks_alive_interval),
            ),
        ),
        is_alive: pace::base(
            std::iter::once(d.is_alive_interval).chain(
                config
                    .resources
                    .iter()
                    .map(|r| r.timeouts.is_alive_interval),
            ),
        ),
    };
    let hook = tx.clone();
    let monitor = Monitor::builder()
        .pending_timeout(d.pending_timeout)
        .deadlock_timeout(d.deadlock_timeout)
        .looks_alive_interval(ticks.looks_alive)
        .is_alive_interval(ticks.is_alive)
        .on_escalation(move |e| {
            let _ = hook.send(Control::Escalation(e.clone()));
        })
        .start();
    let monitor = match monitor {
        Ok(m) => m,
        Err(e) => return fail("cannot start the monitor", &e),
    };
    let subscription = monitor.subscribe();
    let host = Arc::new(Host::new(monitor, d, ticks));
    let notifier = Arc::new(notifier);
    if let Err(e) = events::spawn(Arc::clone(&host), subscription, Arc::clone(&notifier)) {
        return fail("cannot start the event thread", &e);
    }
    let mut to_online = Vec::new();
    for spec in config.resources {
        let added = host.add(
            &spec.name,
            &spec.type_name,
            spec.timeouts,
            serde_json::to_value(&spec.params).unwrap_or_default(),
            spec.resource,
        );
        match added {
            Ok(id) if spec.online => to_online.push(id),
            Ok(_) => {}
            Err((_, m)) => return fail("cannot add a resource", &m),
        }
    }
    if let Err(e) = signals::spawn_waiter(stops, move |s| tx.send(Control::Signal(s)).is_ok()) {
        return fail("cannot start the signal thread", &e);
    }
    let listener = match bound.listener.try_clone() {
        Ok(l) => l,
        Err(e) => return fail("cannot use the control socket", &e),
    };
    if let Err(e) = serve::spawn(listener, Arc::clone(&host), config.host.max_clients) {
        return fail("cannot start the socket's server", &e);
    }
    tracing::info!(
        socket = %config.host.socket.display(),
        config = %config.file.display(),
        resources = host.ids().len(),
        "ready"
    );
    notifier.ready();
    notifier.status(&host.summary());
    for id in to_online {
        let h = Arc::clone(&host);
        let started = thread::Builder::new()
            .name("clusworker-start".into())
            .spawn(move || {
                if let Err(e) = h.monitor.online(id) {
                    tracing::warn!(id = id.index(), error = %e, "online at start refused");
                }
            });
        if let Err(e) = started {
            tracing::warn!(id = id.index(), error = %e, "cannot start a resource's online");
        }
    }

    let mut pinger = Pinger::new(&notifier);
    loop {
        match rx.recv_timeout(pinger.until_next()) {
            Ok(Control::Signal(s)) => {
                let timeout = config.host.shutdown_timeout;
                return stop(&host, &notifier, &rx, &mut pinger, timeout, s, bound);
            }
            Ok(Control::Escalation(e)) => {
                let exiting = config.host.exit_on_escalation;
                log::escalation(&e, exiting);
                if exiting {
                    notifier.stopping();
                    host.stop_taking_changes();
                    shutdown::terminate_rest(&host);
                    host.close(CLOSE);
                    drop(bound);
                    tracing::error!("exiting after an escalation");
                    return exit::ESCALATED;
                }
            }
            Err(RecvTimeoutError::Timeout) => pinger.ping(&host),
            Err(RecvTimeoutError::Disconnected) => pinger.ping(&host),
        }
    }
}

/// SIGTERM / SIGINT: offline everything under the deadline, a second
/// signal cutting it short, then terminate the rest.
fn stop(
    host: &Arc<Host>,
    notifier: &Notifier,
    rx: &Receiver<Control>,
    pinger: &mut Pinger<'_>,
    timeout: Duration,
    signal: i32,
    bound: Bound,
) -> i32 {
    tracing::info!(
        signal = signals::name(signal),
        "stopping: taking every online resource offline"
    );
    notifier.stopping();
    host.stop_taking_changes();
    let ended = shutdown::offline_all(host, super::dispatch::far(timeout), |deadline| {
        let left = deadline.saturating_duration_since(Instant::now());
        let wait = left.min(Duration::from_millis(20)).min(pinger.until_next());
        match rx.recv_timeout(wait) {
            Ok(Control::Signal(s)) => {
                tracing::warn!(
                    signal = signals::name(s),
                    "second signal: terminating every resource at once"
                );
                true
            }
            Ok(Control::Escalation(e)) => {
                log::escalation(&e, false);
                false
            }
            Err(_) => {
                pinger.ping(host);
                false
            }
        }
    });
    if ended == Offlined::TimedOut {
        tracing::warn!(
            "shutdown_timeout ({}) passed: terminating the rest",
            crate::duration::format(timeout)
        );
    }
    shutdown::terminate_rest(host);
    host.close(CLOSE);
    drop(bound);
    tracing::info!("stopped");
    exit::STOPPED
}

/// systemd's watchdog: `WATCHDOG=1` every half `WATCHDOG_USEC`, after a
/// look at the monitor (which takes its lock: a monitor stuck there stops
/// the pings, and systemd restarts the host).
struct Pinger<'n> {
    notifier: &'n Notifier,
    period: Option<Duration>,
    next: Instant,
}

impl<'n> Pinger<'n> {
    fn new(notifier: &'n Notifier) -> Pinger<'n> {
        let period = notifier.watchdog_period();
        Pinger {
            notifier,
            period,
            next: Instant::now(),
        }
    }

    /// How long until the next ping is due (an hour without a watchdog).
    fn until_next(&self) -> Duration {
        match self.period {
            Some(_) => self.next.saturating_duration_since(Instant::now()),
            None => Duration::from_secs(3600),
        }
    }

    fn ping(&mut self, host: &Host) {
        let Some(period) = self.period else { return };
        if Instant::now() < self.next {
            return;
        }
        let _ = host.monitor.stats();
        self.notifier.watchdog();
        self.next = super::dispatch::far(period);
    }
}

fn fail(what: &str, error: &dyn std::fmt::Display) -> i32 {
    tracing::error!("{what}: {error}");
    eprintln!("clusworker-host: {what}: {error}");
    exit::START_FAILED
}
