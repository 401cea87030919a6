//! [`Host`]: the monitor, and what the host knows beside it: each
//! resource's name, type, timeouts and parameters, and its last event.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use std::time::Instant;

use clusworker_monitor::{Event, Monitor, Resource, ResourceId, ResourceState};

use super::pace;
use crate::config::ResourceTimeouts;
use crate::duration;
use crate::protocol::{ErrorKind, ResourceView};

/// What the host knows of a resource beside the monitor.
#[derive(Debug, Clone)]
struct Entry {
    id: ResourceId,
    type_name: String,
    timeouts: ResourceTimeouts,
    params: serde_json::Value,
}

/// The monitor's poll ticks (see [`pace`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ticks {
    pub(crate) looks_alive: Option<Duration>,
    pub(crate) is_alive: Option<Duration>,
}

/// The monitor with the host's bookkeeping.
#[derive(Debug)]
pub(crate) struct Host {
    pub(crate) monitor: Monitor,
    pub(crate) defaults: ResourceTimeouts,
    ticks: Ticks,
    /// By name; also the lock that makes `add` and `remove` of one name
    /// atomic.
    names: Mutex<HashMap<String, Entry>>,
    /// Each resource's latest event, by its `at`.
    last: Mutex<HashMap<ResourceId, Event>>,
    stopping: AtomicBool,
    /// The host is about to exit: every event it will have is queued.
    closing: AtomicBool,
    /// Subscribers still passing events on (the log, `events` clients).
    followers: AtomicUsize,
}

/// How often a follower looks up from an idle subscription.
const IDLE: Duration = Duration::from_millis(100);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Host {
    pub(crate) fn new(monitor: Monitor, defaults: ResourceTimeouts, ticks: Ticks) -> Host {
        Host {
            monitor,
            defaults,
            ticks,
            names: Mutex::new(HashMap::new()),
            last: Mutex::new(HashMap::new()),
            stopping: AtomicBool::new(false),
            closing: AtomicBool::new(false),
            followers: AtomicUsize::new(0),
        }
    }

    /// Adds a resource, Offline.
    pub(crate) fn add(
        &self,
        name: &str,
        type_name: &str,
        timeouts: ResourceTimeouts,
        params: serde_json::Value,
        resource: Arc<dyn Resource>,
    ) -> Result<ResourceId, (ErrorKind, String)> {
        let ticks = self.ticks;
        for (what, wanted, base) in [
            (
                "looks_alive_interval",
                timeouts.looks_alive_interval,
                ticks.looks_alive,
            ),
            (
                "is_alive_interval",
                timeouts.is_alive_interval,
                ticks.is_alive,
            ),
        ] {
            pace::check(what, wanted, base).map_err(|m| (ErrorKind::BadParams, m))?;
        }
        let resource = pace::wrap(
            resource,
            (timeouts.looks_alive_interval, ticks.looks_alive),
            (timeouts.is_alive_interval, ticks.is_alive),
        );
        let mut names = lock(&self.names);
        if names.contains_key(name) {
            return Err((
                ErrorKind::DuplicateName,
                format!("a resource named {name:?} exists"),
            ));
        }
        let id = self
            .monitor
            .add_with_timeouts(name, resource, timeouts.monitor_timeouts());
        names.insert(
            name.to_owned(),
            Entry {
                id,
                type_name: type_name.to_owned(),
                timeouts,
                params,
            },
        );
        Ok(id)
    }

    /// Removes a resource (Offline, Failed or Unknown).
    pub(crate) fn remove(&self, name: &str) -> Result<(), (ErrorKind, String)> {
        let mut names = lock(&self.names);
        let id = names.get(name).map(|e| e.id).ok_or_else(|| unknown(name))?;
        self.monitor
            .remove(id)
            .map_err(|e| (ErrorKind::of(&e), e.to_string()))?;
        names.remove(name);
        lock(&self.last).remove(&id);
        Ok(())
    }

    /// The id of the resource named `name`.
    pub(crate) fn id(&self, name: &str) -> Result<ResourceId, (ErrorKind, String)> {
        lock(&self.names)
            .get(name)
            .map(|e| e.id)
            .ok_or_else(|| unknown(name))
    }

    /// Every resource's id, in the order they were added.
    pub(crate) fn ids(&self) -> Vec<ResourceId> {
        self.monitor.resources().iter().map(|i| i.id).collect()
    }

    /// Keeps `event` as its resource's last one, unless a later one is kept.
    pub(crate) fn record(&self, event: &Event) {
        let mut last = lock(&self.last);
        match last.get(&event.resource) {
            Some(kept) if kept.at > event.at => {}
            _ => {
                last.insert(event.resource, event.clone());
            }
        }
    }

    /// The resource as the protocol shows it; `details` adds its timeouts
    /// and parameters.
    pub(crate) fn view(&self, id: ResourceId, details: bool) -> Option<ResourceView> {
        let info = self.monitor.info(id).ok()?;
        let entry = lock(&self.names).get(&*info.name).cloned()?;
        let last = lock(&self.last).get(&id).cloned();
        let mut view = ResourceView::new(&info, &entry.type_name, last.as_ref());
        if details {
            let t = entry.timeouts;
            let interval =
                |i: Option<Duration>| i.map_or_else(|| "0s".to_owned(), duration::format);
            view.details = Some(serde_json::json!({
                "timeouts": {
                    "pending_timeout": duration::format(t.pending_timeout),
                    "deadlock_timeout": duration::format(t.deadlock_timeout),
                    "looks_alive_interval": interval(t.looks_alive_interval),
                    "is_alive_interval": interval(t.is_alive_interval),
                },
                "params": entry.params,
            }));
        }
        Some(view)
    }

    /// Every resource's view.
    pub(crate) fn views(&self) -> Vec<ResourceView> {
        self.ids()
            .into_iter()
            .filter_map(|id| self.view(id, false))
            .collect()
    }

    /// One line for systemd's `STATUS=`: counts, then each resource.
    pub(crate) fn summary(&self) -> String {
        let infos = self.monitor.resources();
        let count = |s: ResourceState| infos.iter().filter(|i| i.state == s).count();
        let pending = infos.iter().filter(|i| i.state.is_pending()).count();
        let mut line = format!(
            "{} online, {pending} pending, {} offline, {} failed",
            count(ResourceState::Online),
            count(ResourceState::Offline),
            count(ResourceState::Failed),
        );
        for (n, info) in infos.iter().enumerate() {
            if n == 16 {
                line.push_str(&format!(", and {} more", infos.len() - n));
                break;
            }
            line.push_str(if n == 0 { ": " } else { ", " });
            line.push_str(&format!("{} {}", info.name, info.state));
        }
        line
    }

    /// The host is shutting down: requests that change anything are
    /// refused from now on.
    pub(crate) fn stop_taking_changes(&self) {
        self.stopping.store(true, Ordering::Relaxed);
    }

    /// Whether [`stop_taking_changes`](Self::stop_taking_changes) was called.
    pub(crate) fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }
}

impl Host {
    /// Passes every event of `events` to `each` until it answers false,
    /// the subscription ends, `idle` (asked when nothing came for a
    /// moment) answers false, or the host closes: then the events queued
    /// so far are passed on first, so that none is lost at exit.
    pub(crate) fn follow(
        &self,
        events: &Receiver<Event>,
        mut each: impl FnMut(&Event) -> bool,
        mut idle: impl FnMut() -> bool,
    ) {
        self.followers.fetch_add(1, Ordering::AcqRel);
        loop {
            match events.recv_timeout(IDLE) {
                Ok(e) if each(&e) => {}
                Ok(_) | Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) if self.closing.load(Ordering::Acquire) => {
                    let _ = events.try_iter().all(|e| each(&e));
                    break;
                }
                Err(RecvTimeoutError::Timeout) if !idle() => break,
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
        self.followers.fetch_sub(1, Ordering::AcqRel);
    }

    /// Before exit: tells the followers that no event will come after the
    /// queued ones, and waits (at most `limit`) until they passed them on.
    pub(crate) fn close(&self, limit: Duration) {
        // Release: a follower that sees `closing` sees every event queued
        // before it (they were sent before this store, on this thread or
        // one joined before it).
        self.closing.store(true, Ordering::Release);
        let end = Instant::now() + limit;
        while self.followers.load(Ordering::Acquire) > 0 && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

fn unknown(name: &str) -> (ErrorKind, String) {
    (
        ErrorKind::UnknownResource,
        format!("no resource named {name:?}"),
    )
}
