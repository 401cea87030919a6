//! [`Timers`]: the monitor's deadlines in one indexed min-heap.
//!
//! Each resource has at most one timer of each [`TimerKind`], so a timer is
//! named by its key (resource, kind) and the heap keeps, for every key, the
//! position of its node. Setting a key that is armed moves its node;
//! cancelling removes it; both are O(log n). Nothing stale is ever left in
//! the heap: the timer count is bounded by five per live resource.
//!
//! A heartbeat timer is not moved on each report (a report must not touch
//! the heap): it fires at the deadline it was set for, and the state sets
//! it again at the deadline the reports have moved it to.

use std::cmp::Ordering;
use std::time::Duration;

use crate::table;

/// What a timer is for; one of each per resource at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum TimerKind {
    /// The PendingTimeout heartbeat of the pending operation.
    Heartbeat = 0,
    /// The next `LooksAlive` poll.
    LooksAlive = 1,
    /// The next `IsAlive` poll.
    IsAlive = 2,
    /// DeadlockTimeout of the running `Online`, `Offline` or poll call.
    CallDeadline = 3,
    /// DeadlockTimeout of the running `Terminate` call.
    TerminateDeadline = 4,
}

impl TimerKind {
    const COUNT: usize = 5;
    const ALL: [TimerKind; Self::COUNT] = [
        TimerKind::Heartbeat,
        TimerKind::LooksAlive,
        TimerKind::IsAlive,
        TimerKind::CallDeadline,
        TimerKind::TerminateDeadline,
    ];
}

/// A timer's name: the resource's index and the kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct TimerKey {
    pub(crate) resource: usize,
    pub(crate) kind: TimerKind,
}

impl TimerKey {
    fn slot(self) -> usize {
        self.resource * TimerKind::COUNT + self.kind as usize
    }

    fn from_slot(slot: usize) -> TimerKey {
        TimerKey {
            resource: slot / TimerKind::COUNT,
            kind: TimerKind::ALL[slot % TimerKind::COUNT],
        }
    }
}

/// No node: the key is not armed.
const NONE: u32 = u32::MAX;

/// `d` in nanoseconds, saturated at `u64::MAX` (some 584 years).
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[derive(Debug, Clone, Copy)]
struct Node {
    /// The deadline in nanoseconds (saturated).
    at: u64,
    /// Arming order: equal deadlines fire first armed, first fired. It
    /// wraps after 2^32 arms, which only upsets that order between two
    /// timers of the same deadline armed that far apart: the heap is
    /// ordered by `at` whatever the ties say. 32 bits, for 16-byte nodes
    /// (a pending resource's heartbeat is one).
    seq: u32,
    slot: u32,
}

impl Node {
    fn cmp(&self, other: &Node) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// The heap, and each key's position in it.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    heap: Vec<Node>,
    /// By key slot: the index of its node in `heap`, or [`NONE`].
    pos: Vec<u32>,
    seq: u32,
}

impl Timers {
    /// Makes room for the keys of resources `0..resources`.
    pub(crate) fn grow(&mut self, resources: usize) {
        let slots = resources * TimerKind::COUNT;
        if self.pos.len() < slots {
            let more = slots - self.pos.len();
            table::reserve(&mut self.pos, more);
            self.pos.resize(slots, NONE);
        }
    }

    /// Timers armed.
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Duration> {
        self.heap.first().map(|n| Duration::from_nanos(n.at))
    }

    /// When `key` fires, if it is armed.
    #[cfg(test)]
    pub(crate) fn get(&self, key: TimerKey) -> Option<Duration> {
        let p = *self.pos.get(key.slot())?;
        (p != NONE).then(|| Duration::from_nanos(self.heap[p as usize].at))
    }

    /// Arms `key` at `at`, moving it if it was armed. Returns whether it is
    /// now the earliest timer (the timer thread must re-read its deadline).
    pub(crate) fn set(&mut self, key: TimerKey, at: Duration) -> bool {
        let slot = key.slot();
        debug_assert!(slot < self.pos.len(), "timer of an unknown resource");
        self.seq = self.seq.wrapping_add(1);
        let node = Node {
            at: nanos(at),
            seq: self.seq,
            slot: slot as u32,
        };
        let p = self.pos[slot];
        let at_root = if p == NONE {
            let i = self.heap.len();
            table::push(&mut self.heap, node);
            self.pos[slot] = i as u32;
            self.sift_up(i)
        } else {
            let i = p as usize;
            self.heap[i] = node;
            let j = self.sift_up(i);
            self.sift_down(j)
        };
        at_root == 0
    }

    /// Disarms `key`, if it is armed.
    pub(crate) fn cancel(&mut self, key: TimerKey) {
        let Some(&p) = self.pos.get(key.slot()) else {
            return;
        };
        if p != NONE {
            self.remove_at(p as usize);
        }
    }

    /// Disarms every timer of `resource`.
    pub(crate) fn cancel_all(&mut self, resource: usize) {
        for kind in TimerKind::ALL {
            self.cancel(TimerKey { resource, kind });
        }
    }

    /// Removes and returns the earliest timer if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: Duration) -> Option<TimerKey> {
        let first = *self.heap.first()?;
        if first.at > nanos(now) {
            return None;
        }
        self.remove_at(0);
        Some(TimerKey::from_slot(first.slot as usize))
    }

    fn remove_at(&mut self, i: usize) {
        let last = self.heap.len() - 1;
        self.swap(i, last);
        let gone = self.heap.pop().map(|n| n.slot);
        if let Some(slot) = gone {
            self.pos[slot as usize] = NONE;
        }
        if i < self.heap.len() {
            let j = self.sift_up(i);
            self.sift_down(j);
        }
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.heap.swap(a, b);
        self.pos[self.heap[a].slot as usize] = a as u32;
        self.pos[self.heap[b].slot as usize] = b as u32;
    }

    /// Moves node `i` up to its place; returns where it ended.
    fn sift_up(&mut self, mut i: usize) -> usize {
        while i > 0 {
            let parent = (i - 1) / 2;
            if self.heap[i].cmp(&self.heap[parent]) != Ordering::Less {
                break;
            }
            self.swap(i, parent);
            i = parent;
        }
        i
    }

    /// Moves node `i` down to its place; returns where it ended.
    fn sift_down(&mut self, mut i: usize) -> usize {
        loop {
            let left = 2 * i + 1;
            if left >= self.heap.len() {
                return i;
            }
            let right = left + 1;
            let child = if right < self.heap.len()
                && self.heap[right].cmp(&self.heap[left]) == Ordering::Less
            {
                right
            } else {
                left
            };
            if self.heap[child].cmp(&self.heap[i]) != Ordering::Less {
                return i;
            }
            self.swap(i, child);
            i = child;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn key(resource: usize, kind: TimerKind) -> TimerKey {
        TimerKey { resource, kind }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn timers_fire_earliest_first_and_equal_deadlines_in_arming_order() {
        let mut t = Timers::default();
        t.grow(3);
        assert!(t.set(key(0, TimerKind::Heartbeat), ms(30)));
        assert!(t.set(key(1, TimerKind::Heartbeat), ms(10)));
        assert!(!t.set(key(2, TimerKind::IsAlive), ms(10)));
        assert_eq!(t.pop_due(ms(5)), None, "nothing is due at 5 ms");
        assert_eq!(t.pop_due(ms(10)), Some(key(1, TimerKind::Heartbeat)));
        assert_eq!(t.pop_due(ms(10)), Some(key(2, TimerKind::IsAlive)));
        assert_eq!(t.pop_due(ms(29)), None);
        assert_eq!(t.pop_due(ms(99)), Some(key(0, TimerKind::Heartbeat)));
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn setting_an_armed_key_moves_it_and_cancelling_removes_it() {
        let mut t = Timers::default();
        t.grow(2);
        t.set(key(0, TimerKind::CallDeadline), ms(50));
        t.set(key(1, TimerKind::CallDeadline), ms(60));
        assert!(t.set(key(1, TimerKind::CallDeadline), ms(5)), "moved first");
        assert_eq!(t.len(), 2, "moved, not added");
        assert_eq!(t.get(key(1, TimerKind::CallDeadline)), Some(ms(5)));
        t.cancel(key(1, TimerKind::CallDeadline));
        t.cancel(key(1, TimerKind::CallDeadline)); // twice: nothing
        assert_eq!(t.get(key(1, TimerKind::CallDeadline)), None);
        assert_eq!(t.next(), Some(ms(50)));
        t.cancel_all(0);
        assert_eq!((t.len(), t.next()), (0, None));
    }

    proptest! {
        /// The heap against a reference map of key → (deadline, order).
        #[test]
        fn timers_match_a_reference_map(ops in proptest::collection::vec(
            (0usize..4, 0usize..5, 0u64..50, 0u8..4), 0..200)
        ) {
            let mut t = Timers::default();
            t.grow(4);
            let mut reference: BTreeMap<usize, (Duration, u64)> = BTreeMap::new();
            let mut seq = 0;
            for (resource, kind, at, op) in ops {
                let k = key(resource, TimerKind::ALL[kind]);
                match op {
                    0 | 1 => {
                        seq += 1;
                        t.set(k, ms(at));
                        reference.insert(k.slot(), (ms(at), seq));
                    }
                    2 => {
                        t.cancel(k);
                        reference.remove(&k.slot());
                    }
                    _ => {
                        let now = ms(at);
                        let want = reference
                            .iter()
                            .filter(|(_, (d, _))| *d <= now)
                            .min_by_key(|(_, v)| **v)
                            .map(|(s, _)| *s);
                        let got = t.pop_due(now).map(TimerKey::slot);
                        prop_assert_eq!(got, want);
                        if let Some(s) = want {
                            reference.remove(&s);
                        }
                    }
                }
                prop_assert_eq!(t.len(), reference.len());
                prop_assert_eq!(t.next(), reference.values().map(|v| v.0).min());
            }
        }
    }
}
