//! [`TimerHeap`]: the monitor's deadlines, earliest first.
//!
//! Timers are never removed when they become moot; each carries the
//! generation it was armed for, and is dropped when it fires if the
//! generation has moved on. A heartbeat timer is not moved on each report
//! either: when it fires early (the deadline was extended meanwhile), it is
//! pushed again at the new deadline. So a report never touches the heap, and
//! each pending resource costs at most one wake-up per PendingTimeout.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::time::Duration;

use super::resource::ResourceId;

/// What a timer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimerKind {
    /// The heartbeat of operation `generation`.
    Heartbeat,
    /// DeadlockTimeout of call `generation`.
    Deadlock,
    /// The next `LooksAlive` poll of the online period `generation`.
    LooksAlive,
    /// The next `IsAlive` poll of the online period `generation`.
    IsAlive,
}

/// One deadline.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timer {
    pub(crate) at: Duration,
    pub(crate) resource: ResourceId,
    pub(crate) kind: TimerKind,
    /// The operation or call number this timer is for.
    pub(crate) generation: u64,
    /// Insertion order: equal deadlines fire first in, first out.
    seq: u64,
}

impl PartialEq for Timer {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Timer {}
impl PartialOrd for Timer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Timer {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// A min-heap of [`Timer`]s.
#[derive(Debug, Default)]
pub(crate) struct TimerHeap {
    heap: BinaryHeap<Reverse<Timer>>,
    seq: u64,
}

impl TimerHeap {
    /// Adds a timer; says whether it is now the earliest (then the monitor
    /// thread must be woken to sleep less).
    pub(crate) fn push(
        &mut self,
        at: Duration,
        resource: ResourceId,
        kind: TimerKind,
        generation: u64,
    ) -> bool {
        let earliest = self.next().is_none_or(|next| at < next);
        self.seq += 1;
        self.heap.push(Reverse(Timer {
            at,
            resource,
            kind,
            generation,
            seq: self.seq,
        }));
        earliest
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Duration> {
        self.heap.peek().map(|t| t.0.at)
    }

    /// Removes and returns the earliest timer if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: Duration) -> Option<Timer> {
        if self.next()? <= now {
            self.heap.pop().map(|t| t.0)
        } else {
            None
        }
    }

    /// How many timers are armed (moot ones included).
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;
    const R: ResourceId = ResourceId(0);

    #[test]
    fn timers_pop_earliest_first_and_only_when_due() {
        let mut h = TimerHeap::default();
        assert!(h.push(MS(30), R, TimerKind::Heartbeat, 1));
        assert!(h.push(MS(10), R, TimerKind::Deadlock, 2));
        assert!(!h.push(MS(20), R, TimerKind::IsAlive, 3));
        assert_eq!(h.next(), Some(MS(10)));
        assert!(h.pop_due(MS(9)).is_none());
        let order: Vec<u64> = std::iter::from_fn(|| h.pop_due(MS(100)))
            .map(|t| t.generation)
            .collect();
        assert_eq!(order, [2, 3, 1]);
        assert_eq!(h.len(), 0);
    }

    #[test]
    fn equal_deadlines_fire_in_insertion_order() {
        let mut h = TimerHeap::default();
        for generation in 0..5 {
            h.push(MS(1), R, TimerKind::LooksAlive, generation);
        }
        let order: Vec<u64> = std::iter::from_fn(|| h.pop_due(MS(1)))
            .map(|t| t.generation)
            .collect();
        assert_eq!(order, [0, 1, 2, 3, 4]);
    }
}
