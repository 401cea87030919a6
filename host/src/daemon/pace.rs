//! Per-resource health-poll intervals on a monitor that polls every
//! resource at one pace.
//!
//! The monitor's `LooksAlive` and `IsAlive` intervals are monitor-wide. The
//! host starts it at the shortest interval any resource asks for (the
//! *base*), and wraps each resource that asks for a longer one in a
//! [`Paced`], which answers the polls that come early with "alive" without
//! calling the resource. A poll is due when at least the resource's
//! interval, less half the base, has passed since its last one (or since
//! its online began), so it runs at the base tick nearest its interval. A
//! host's check (`is_alive_now`) is never paced, and counts as a poll. A `LooksAlive` that says false
//! lets the `IsAlive` the monitor calls at once through, whatever its pace.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use clusworker::Reason;
use clusworker_monitor::{Outcome, Resource, StatusHandle};

/// The monitor-wide intervals for resources that ask for `wanted`: the
/// shortest of those that poll, or never if none does.
pub(crate) fn base(wanted: impl IntoIterator<Item = Option<Duration>>) -> Option<Duration> {
    wanted.into_iter().flatten().min()
}

/// Why a resource's interval cannot be served by the monitor's base.
pub(crate) fn check(
    what: &str,
    wanted: Option<Duration>,
    base: Option<Duration>,
) -> Result<(), String> {
    match (wanted, base) {
        (None, _) => Ok(()),
        (Some(w), Some(b)) if w >= b => Ok(()),
        (Some(w), b) => Err(format!(
            "{what} {} is shorter than the host's poll tick ({}): the host polls no more often; \
             restart it with that interval in its config",
            crate::duration::format(w),
            b.map_or_else(|| "never".to_owned(), crate::duration::format)
        )),
    }
}

/// `resource`, polled at `looks` / `is` on a monitor that polls at
/// `base_looks` / `base_is`; the resource itself when they agree.
pub(crate) fn wrap(
    resource: Arc<dyn Resource>,
    (looks, base_looks): (Option<Duration>, Option<Duration>),
    (is, base_is): (Option<Duration>, Option<Duration>),
) -> Arc<dyn Resource> {
    if looks == base_looks && is == base_is {
        return resource;
    }
    Arc::new(Paced {
        inner: resource,
        looks: looks.map(|every| Pace::new(every, base_looks)),
        is: is.map(|every| Pace::new(every, base_is)),
        state: Mutex::new(PaceState::default()),
    })
}

/// A resource polled less often than the monitor polls.
struct Paced {
    inner: Arc<dyn Resource>,
    looks: Option<Pace>,
    is: Option<Pace>,
    state: Mutex<PaceState>,
}

#[derive(Clone, Copy)]
struct Pace {
    /// The interval less half the base tick.
    due_after: Duration,
}

impl Pace {
    fn new(every: Duration, base: Option<Duration>) -> Pace {
        let half = base.unwrap_or(Duration::ZERO) / 2;
        Pace {
            due_after: every.saturating_sub(half),
        }
    }

    fn due(self, last: Option<Instant>, now: Instant) -> bool {
        last.is_none_or(|t| now.duration_since(t) >= self.due_after)
    }
}

#[derive(Default)]
struct PaceState {
    last_looks: Option<Instant>,
    last_is: Option<Instant>,
    looks_failed: bool,
}

impl Paced {
    fn state(&self) -> std::sync::MutexGuard<'_, PaceState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Resource for Paced {
    /// The polls count from here: the first comes an interval after the
    /// online began, as the monitor's own first poll comes an interval
    /// after the resource came online (not at the first tick).
    fn online(&self, status: StatusHandle) -> Outcome {
        let now = Some(Instant::now());
        let mut state = self.state();
        state.last_looks = now;
        state.last_is = now;
        drop(state);
        self.inner.online(status)
    }
    fn offline(&self, status: StatusHandle) -> Outcome {
        self.inner.offline(status)
    }
    fn terminate(&self) {
        self.inner.terminate()
    }
    fn terminate_with(&self, reason: Reason) {
        self.inner.terminate_with(reason)
    }
    fn looks_alive(&self) -> bool {
        let Some(pace) = self.looks else {
            return true;
        };
        let now = Instant::now();
        if !pace.due(self.state().last_looks, now) {
            return true;
        }
        self.state().last_looks = Some(now);
        let alive = self.inner.looks_alive();
        self.state().looks_failed = !alive;
        alive
    }
    fn is_alive(&self) -> bool {
        let now = Instant::now();
        let forced = std::mem::take(&mut self.state().looks_failed);
        let due = self.is.is_some_and(|p| p.due(self.state().last_is, now));
        if !forced && !due {
            return true;
        }
        self.state().last_is = Some(now);
        self.inner.is_alive()
    }
    /// A host's check: never paced, and the scheduled polls count from it.
    fn is_alive_now(&self) -> bool {
        self.state().last_is = Some(Instant::now());
        self.inner.is_alive_now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[derive(Default)]
    struct Counting {
        looks: AtomicU32,
        is: AtomicU32,
    }
    impl Resource for Counting {
        fn online(&self, _: StatusHandle) -> Outcome {
            Outcome::Done
        }
        fn offline(&self, _: StatusHandle) -> Outcome {
            Outcome::Done
        }
        fn terminate(&self) {}
        fn looks_alive(&self) -> bool {
            self.looks.fetch_add(1, Ordering::Relaxed);
            false
        }
        fn is_alive(&self) -> bool {
            self.is.fetch_add(1, Ordering::Relaxed);
            true
        }
    }

    #[test]
    fn a_poll_that_comes_early_is_answered_without_the_resource() {
        let inner = Arc::new(Counting::default());
        let hour = Some(Duration::from_secs(3600));
        let tick = Some(Duration::from_millis(10));
        let paced = wrap(inner.clone(), (hour, tick), (None, tick));
        assert!(!paced.looks_alive(), "the first poll is due");
        // The false LooksAlive lets one IsAlive through, though IsAlive is off.
        assert!(paced.is_alive());
        for _ in 0..5 {
            assert!(paced.looks_alive(), "early polls say alive");
            assert!(paced.is_alive(), "IsAlive is off");
        }
        assert_eq!(inner.looks.load(Ordering::Relaxed), 1);
        assert_eq!(inner.is.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn the_first_polls_come_an_interval_after_the_online() {
        let inner = Arc::new(Counting::default());
        let hour = Some(Duration::from_secs(3600));
        let tick = Duration::from_millis(10);
        let paced = wrap(inner.clone(), (hour, Some(tick)), (hour, Some(tick)));
        let monitor = clusworker_monitor::Monitor::builder()
            .looks_alive_interval(Some(tick))
            .is_alive_interval(Some(tick))
            .start()
            .expect("a monitor");
        let id = monitor.add("r", paced);
        assert_eq!(monitor.online(id).expect("online"), Outcome::Done);
        // Ten timer wake-ups: the monitor's polls came, at the base tick.
        let woken = monitor.stats().wakeups;
        let guard = Instant::now() + Duration::from_secs(20);
        while monitor.stats().wakeups < woken + 10 {
            assert!(Instant::now() < guard, "the monitor's timer never woke");
            std::thread::sleep(tick);
        }
        assert_eq!(
            inner.looks.load(Ordering::Relaxed),
            0,
            "not due: an hour after the online"
        );
        assert_eq!(inner.is.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_hosts_check_is_never_paced_and_puts_the_next_poll_off() {
        let inner = Arc::new(Counting::default());
        let hour = Some(Duration::from_secs(3600));
        let tick = Some(Duration::from_millis(10));
        let paced = wrap(inner.clone(), (None, tick), (hour, tick));
        assert!(paced.is_alive(), "the first scheduled poll is due");
        assert!(paced.is_alive_now());
        assert!(paced.is_alive_now(), "a check is never answered early");
        assert_eq!(inner.is.load(Ordering::Relaxed), 3);
        assert!(
            paced.is_alive(),
            "the scheduled one, an hour after the check"
        );
        assert_eq!(inner.is.load(Ordering::Relaxed), 3);
    }

    #[derive(Default)]
    struct Reasons(std::sync::Mutex<Vec<Reason>>);
    impl Resource for Reasons {
        fn online(&self, _: StatusHandle) -> Outcome {
            Outcome::Done
        }
        fn offline(&self, _: StatusHandle) -> Outcome {
            Outcome::Done
        }
        fn terminate(&self) {}
        fn terminate_with(&self, reason: Reason) {
            self.0.lock().unwrap().push(reason);
        }
    }

    #[test]
    fn a_paced_resource_is_given_the_terminates_reason() {
        let inner = Arc::new(Reasons::default());
        let tick = Some(Duration::from_millis(10));
        let paced = wrap(
            inner.clone(),
            (Some(Duration::from_secs(1)), tick),
            (None, tick),
        );
        paced.terminate_with(Reason::User(7));
        assert_eq!(*inner.0.lock().unwrap(), [Reason::User(7)]);
    }

    #[test]
    fn the_base_is_the_shortest_interval_and_shorter_ones_are_refused_later() {
        let s = Duration::from_secs;
        assert_eq!(base([Some(s(5)), None, Some(s(2))]), Some(s(2)));
        assert_eq!(base([None, None]), None);
        assert!(check("looks_alive_interval", Some(s(3)), Some(s(2))).is_ok());
        assert!(check("looks_alive_interval", Some(s(1)), Some(s(2))).is_err());
        assert!(check("looks_alive_interval", Some(s(1)), None).is_err());
        assert!(check("looks_alive_interval", None, None).is_ok());
    }
}
