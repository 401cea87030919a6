//! The host's own subscriber: every event logged, kept as its resource's
//! last, and summed up for systemd's `STATUS=` (at most one every 50 ms;
//! the last change of a burst is sent once the burst is over).

use std::cell::Cell;
use std::io;
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::thread;
use std::time::{Duration, Instant};

use clusworker_monitor::Event;

use super::host::Host;
use crate::log;
use crate::notify::Notifier;

/// Starts the thread that takes `events` (a subscription made before the
/// first resource was added).
pub(crate) fn spawn(
    host: Arc<Host>,
    events: Receiver<Event>,
    notifier: Arc<Notifier>,
) -> io::Result<thread::JoinHandle<()>> {
    thread::Builder::new()
        .name("clusworker-events".into())
        .spawn(move || {
            let status = Status::new(&host, &notifier);
            host.follow(
                &events,
                |e| {
                    log::event(e);
                    host.record(e);
                    status.changed();
                    true
                },
                || {
                    status.flush();
                    true
                },
            );
            status.flush();
        })
}

/// The `STATUS=` sender, rate-limited.
struct Status<'a> {
    host: &'a Host,
    notifier: &'a Notifier,
    sent: Cell<Option<Instant>>,
    pending: Cell<bool>,
}

impl<'a> Status<'a> {
    const EVERY: Duration = Duration::from_millis(50);

    fn new(host: &'a Host, notifier: &'a Notifier) -> Status<'a> {
        Status {
            host,
            notifier,
            sent: Cell::new(None),
            pending: Cell::new(false),
        }
    }

    /// A resource changed: send now, or soon.
    fn changed(&self) {
        self.pending.set(true);
        if self.sent.get().is_none_or(|t| t.elapsed() >= Self::EVERY) {
            self.flush();
        }
    }

    /// Sends the summary if a change is not yet told.
    fn flush(&self) {
        if self.pending.replace(false) {
            self.notifier.status(&self.host.summary());
            self.sent.set(Some(Instant::now()));
        }
    }
}
