//! [`Timeouts`]: PendingTimeout and DeadlockTimeout.

use core::time::Duration;

use super::error::TimeoutError;

/// The two timeouts of a resource: PendingTimeout, the heartbeat of a
/// pending operation, and DeadlockTimeout, the bound on any entry-point
/// call.
///
/// - PendingTimeout is at least [`MIN`](Self::MIN) (10 ms); its default is
///   180 s.
/// - DeadlockTimeout is at least [`MIN`](Self::MIN); its default is 300 s.
/// - The heartbeat is never longer than DeadlockTimeout: when PendingTimeout
///   is set higher, [`pending`](Self::pending) is DeadlockTimeout (the lower
///   of the two is used).
///
/// # Examples
///
/// ```
/// use core::time::Duration;
/// use clusworker_monitor::machine::{TimeoutError, Timeouts};
///
/// let d = Timeouts::default();
/// assert_eq!(d.pending(), Duration::from_secs(180));
/// assert_eq!(d.deadlock(), Duration::from_secs(300));
///
/// // The lower of the two is the heartbeat.
/// let t = Timeouts::new(Duration::from_secs(600), Duration::from_secs(300))?;
/// assert_eq!(t.pending(), Duration::from_secs(300));
/// assert_eq!(t.requested_pending(), Duration::from_secs(600));
///
/// assert!(matches!(
///     Timeouts::new(Duration::from_millis(9), Duration::from_secs(1)),
///     Err(TimeoutError::PendingTooShort { .. })
/// ));
/// # Ok::<(), TimeoutError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timeouts {
    /// In milliseconds (see [`new`](Self::new)): a quarter of the size of
    /// two `Duration`s, for the monitor's per-resource footprint.
    pending: u32,
    deadlock: u32,
}

/// `d` in milliseconds, rounded up, saturated at `u32::MAX`.
const fn millis(d: Duration) -> u32 {
    let n = d.as_nanos().div_ceil(1_000_000);
    if n > u32::MAX as u128 {
        u32::MAX
    } else {
        n as u32
    }
}

/// `ms` milliseconds.
const fn from_millis(ms: u32) -> Duration {
    Duration::from_millis(ms as u64)
}

impl Timeouts {
    /// The minimum of either timeout: 10 ms.
    pub const MIN: Duration = Duration::from_millis(10);
    /// The default PendingTimeout: 180 s.
    #[doc(alias = "CLUSREG_NAME_RES_PENDING_TIMEOUT")]
    pub const DEFAULT_PENDING: Duration = Duration::from_secs(180);
    /// The default DeadlockTimeout: 300 s.
    #[doc(alias = "CLUSREG_NAME_RES_DEADLOCK_TIMEOUT")]
    pub const DEFAULT_DEADLOCK: Duration = Duration::from_secs(300);

    /// PendingTimeout `pending` and DeadlockTimeout `deadlock`, each kept
    /// in whole milliseconds, rounded up, and at most `u32::MAX` ms (some
    /// 49.7 days; a longer one is that): the unit and range of the
    /// `DWORD` values Windows keeps them in.
    ///
    /// # Errors
    ///
    /// [`TimeoutError::PendingTooShort`] or
    /// [`TimeoutError::DeadlockTooShort`] for a timeout below
    /// [`MIN`](Self::MIN).
    pub const fn new(pending: Duration, deadlock: Duration) -> Result<Timeouts, TimeoutError> {
        if pending.as_nanos() < Self::MIN.as_nanos() {
            return Err(TimeoutError::PendingTooShort { requested: pending });
        }
        if deadlock.as_nanos() < Self::MIN.as_nanos() {
            return Err(TimeoutError::DeadlockTooShort {
                requested: deadlock,
            });
        }
        Ok(Timeouts {
            pending: millis(pending),
            deadlock: millis(deadlock),
        })
    }

    /// The heartbeat actually used: the lower of PendingTimeout and
    /// DeadlockTimeout.
    pub const fn pending(&self) -> Duration {
        if self.pending <= self.deadlock {
            from_millis(self.pending)
        } else {
            from_millis(self.deadlock)
        }
    }

    /// PendingTimeout as it was set, which may exceed DeadlockTimeout.
    pub const fn requested_pending(&self) -> Duration {
        from_millis(self.pending)
    }

    /// DeadlockTimeout: the bound on any entry-point call.
    pub const fn deadlock(&self) -> Duration {
        from_millis(self.deadlock)
    }

    /// When a pending operation whose last valid report (or start) was at
    /// `last_report` must report again: `last_report + pending()`, or `None`
    /// if that is beyond what a `Duration` holds (never).
    pub const fn heartbeat_deadline(&self, last_report: Duration) -> Option<Duration> {
        last_report.checked_add(self.pending())
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            pending: millis(Self::DEFAULT_PENDING),
            deadlock: millis(Self::DEFAULT_DEADLOCK),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn defaults_are_180_and_300_seconds() {
        let t = Timeouts::default();
        assert_eq!((t.pending(), t.deadlock()), (MS(180_000), MS(300_000)));
    }

    #[test]
    fn ten_milliseconds_is_the_minimum_of_both() {
        assert!(Timeouts::new(MS(10), MS(10)).is_ok());
        assert_eq!(
            Timeouts::new(MS(9), MS(10)),
            Err(TimeoutError::PendingTooShort { requested: MS(9) })
        );
        assert_eq!(
            Timeouts::new(MS(10), Duration::from_micros(9_999)),
            Err(TimeoutError::DeadlockTooShort {
                requested: Duration::from_micros(9_999)
            })
        );
        assert!(Timeouts::new(Duration::ZERO, MS(10)).is_err());
    }

    #[test]
    fn the_heartbeat_is_the_lower_of_the_two() {
        let t = Timeouts::new(MS(500), MS(200)).expect("valid");
        assert_eq!(t.pending(), MS(200));
        assert_eq!(t.requested_pending(), MS(500));
        let t = Timeouts::new(MS(100), MS(200)).expect("valid");
        assert_eq!(t.pending(), MS(100));
    }

    #[test]
    fn timeouts_are_whole_milliseconds_rounded_up_and_at_most_u32_max() {
        let t = Timeouts::new(Duration::from_micros(10_001), MS(20)).expect("valid");
        assert_eq!(t.pending(), MS(11), "10.001 ms rounded up");
        let t = Timeouts::new(Duration::MAX, Duration::MAX).expect("valid");
        assert_eq!(t.deadlock(), MS(u64::from(u32::MAX)), "saturated");
        assert_eq!(t.requested_pending(), MS(u64::from(u32::MAX)));
    }

    #[test]
    fn the_deadline_is_the_last_report_plus_the_heartbeat() {
        let t = Timeouts::new(MS(100), MS(200)).expect("valid");
        assert_eq!(t.heartbeat_deadline(MS(42)), Some(MS(142)));
        assert_eq!(t.heartbeat_deadline(Duration::MAX), None);
    }
}
