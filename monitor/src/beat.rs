//! The heartbeat's lock-free path: [`Beat`], one atomic word per pending
//! operation, through which a worker's heartbeat (a report of the pending
//! state with a greater checkpoint) is taken without the monitor's lock
//! and without a precise clock read.
//!
//! # The protocol
//!
//! The word holds the last checkpoint (high 32 bits) and when it was
//! reported (low 32 bits: milliseconds since the monitor's epoch, wrapping,
//! rounded *up* to what the coarse clock can tell, never 0), or `CLOSED`
//! (0) once the operation is over.
//!
//! - A heartbeat is one compare-and-swap from an open word with a smaller
//!   checkpoint, not surely late, to the new checkpoint and time
//!   ([`Beat::heartbeat`]). Anything else — closed, a stale checkpoint,
//!   perhaps late — takes the locked path, which decides exactly.
//! - The monitor, under its lock, *folds* the word into the resource state
//!   machine before it decides anything about the operation ([`Beat::read`]),
//!   and ends the operation by closing the word: unconditionally when the
//!   operation is over ([`Beat::close`]), or, when the heartbeat expired,
//!   only if the word is still the one it folded ([`Beat::close_if`]). A
//!   heartbeat that lands first makes that close fail, and the monitor folds
//!   it and does not expire; a heartbeat that comes after the close finds
//!   `CLOSED` and is refused. So no report is both accepted and ignored.
//!
//! Every access is `Relaxed`: the word publishes nothing but itself, and
//! the exclusion of an accepted heartbeat and an expiry comes from the
//! single modification order of one atomic, which every read-modify-write
//! reads the latest value of. `beat_loom.rs` checks it under loom, with
//! the mutant of a close that is not a compare-and-swap.

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use crate::machine::{Operation, ResourceState};
use crate::sync::{self, AtomicU64};

/// The word of a closed beat.
const CLOSED: u64 = 0;

/// The longest age the lock-free path judges (2^30 ms, some 12 days); a
/// longer PendingTimeout is judged by the locked path past it.
pub(crate) const LIMIT_MS: u64 = 1 << 30;

#[cfg(feature = "loom")]
thread_local! {
    /// Puts the mutant into [`Beat::close_if`] (set by the loom model of
    /// this protocol, `loom_tests.rs`).
    pub(crate) static MUTANT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[cfg(all(test, feature = "loom"))]
#[path = "beat_loom.rs"]
mod loom_tests;

/// How far before its deadline a heartbeat is left to the locked path: the
/// stamps' rounding up (at most 2 ms).
const MARGIN_MS: i64 = 2;

/// The heartbeat word of one pending operation; see the module docs.
#[derive(Debug)]
pub(crate) struct Beat {
    word: AtomicU64,
    operation: Operation,
    /// PendingTimeout in milliseconds, at most [`LIMIT_MS`].
    timeout_ms: u32,
    /// The coarse clock's reading at the monitor's epoch, in nanoseconds.
    origin: u64,
}

/// A checkpoint and a report's time in milliseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seen {
    pub(crate) checkpoint: u32,
    stamp: u32,
    word: u64,
}

impl Seen {
    /// The report's time as an offset from the monitor's epoch, given `now`
    /// (within 2^31 ms of it).
    pub(crate) fn at(&self, now: Duration) -> Duration {
        let now_ms = ms_up(now);
        let ahead = self.stamp.wrapping_sub(now_ms as u32) as i32;
        Duration::from_millis(now_ms.saturating_add_signed(i64::from(ahead)))
    }
}

fn pack(checkpoint: u32, stamp: u32) -> u64 {
    (u64::from(checkpoint) << 32) | u64::from(stamp)
}

/// `ms` as a stamp: wrapping, never 0 (0 becomes 1, a millisecond later,
/// which only moves a deadline later).
fn stamp(ms: u64) -> u32 {
    (ms as u32).max(1)
}

/// `d` in milliseconds, rounded up.
fn ms_up(d: Duration) -> u64 {
    let ms = d.as_millis() as u64;
    if d > Duration::from_millis(ms) {
        ms + 1
    } else {
        ms
    }
}

impl Beat {
    /// The beat of an operation begun at `now` (its first report must carry
    /// a checkpoint above 0). `origin` is the coarse clock's reading at the
    /// monitor's epoch ([`sync::coarse`]).
    pub(crate) fn new(
        operation: Operation,
        pending: Duration,
        origin: Duration,
        now: Duration,
    ) -> Beat {
        let timeout = (pending.as_millis() as u64).min(LIMIT_MS);
        Beat {
            word: AtomicU64::new(pack(0, stamp(ms_up(now)))),
            operation,
            timeout_ms: timeout as u32,
            origin: origin.as_nanos() as u64,
        }
    }

    /// Whether a report of `state` could be a heartbeat of this operation.
    pub(crate) fn takes(&self, state: ResourceState) -> bool {
        state.is_pending() && self.operation.can_reach(state)
    }

    /// A worker's heartbeat at `checkpoint`, now: `true` if taken; `false`
    /// if the locked path must decide (nothing changed).
    pub(crate) fn heartbeat(&self, checkpoint: u32) -> bool {
        let (reading, resolution) = sync::coarse();
        let since = (reading.as_nanos() as u64).saturating_sub(self.origin);
        let res = resolution.as_nanos() as u64;
        // The epoch's own reading lagged it by up to one resolution, and
        // this one lags now by up to one more.
        let lower = since.saturating_sub(res) / 1_000_000;
        let upper = (since + 2 * res).div_ceil(1_000_000);
        self.heartbeat_at(checkpoint, lower, upper)
    }

    /// [`heartbeat`](Self::heartbeat) with the time known to be within
    /// `[lower, upper]` milliseconds since the epoch.
    pub(crate) fn heartbeat_at(&self, checkpoint: u32, lower: u64, upper: u64) -> bool {
        let mut word = self.word.load(Relaxed);
        loop {
            if word == CLOSED {
                return false;
            }
            let (previous, last) = ((word >> 32) as u32, word as u32);
            if checkpoint <= previous {
                return false;
            }
            // Perhaps late: the locked path knows. The stamps are rounded
            // up (to the millisecond, and 0 to 1), so "perhaps" begins
            // `MARGIN_MS` before the deadline the stamp says.
            let age = (lower as u32).wrapping_sub(last) as i32;
            if i64::from(age) + MARGIN_MS >= i64::from(self.timeout_ms) {
                return false;
            }
            let next = pack(checkpoint, later(last, stamp(upper)));
            match self.word.compare_exchange(word, next, Relaxed, Relaxed) {
                Ok(_) => return true,
                Err(current) => word = current,
            }
        }
    }

    /// The locked path took a heartbeat at `checkpoint`, `now`: the word
    /// says so too (unless a greater one is there already).
    pub(crate) fn raise(&self, checkpoint: u32, now: Duration) {
        let mut word = self.word.load(Relaxed);
        while word != CLOSED && checkpoint > (word >> 32) as u32 {
            let next = pack(checkpoint, later(word as u32, stamp(ms_up(now))));
            match self.word.compare_exchange(word, next, Relaxed, Relaxed) {
                Ok(_) => return,
                Err(current) => word = current,
            }
        }
    }

    /// How long from now until the PendingTimeout runs out if no heartbeat
    /// comes, or `None` once closed. From the word's stamp and a coarse
    /// clock read, on the early side: `now` is taken at the latest it can
    /// be, and the margin of the lock-free path is taken off.
    pub(crate) fn left(&self) -> Option<Duration> {
        let seen = self.read()?;
        let (reading, resolution) = sync::coarse();
        let since = (reading.as_nanos() as u64).saturating_sub(self.origin);
        let upper = (since + 2 * resolution.as_nanos() as u64).div_ceil(1_000_000);
        let age = (upper as u32).wrapping_sub(seen.stamp) as i32;
        let left = i64::from(self.timeout_ms) - i64::from(age.max(0)) - MARGIN_MS;
        Some(Duration::from_millis(left.max(0) as u64))
    }

    /// The last heartbeat, or `None` once closed.
    pub(crate) fn read(&self) -> Option<Seen> {
        let word = self.word.load(Relaxed);
        (word != CLOSED).then_some(Seen {
            checkpoint: (word >> 32) as u32,
            stamp: word as u32,
            word,
        })
    }

    /// Ends the operation: every later heartbeat takes the locked path.
    pub(crate) fn close(&self) {
        self.word.swap(CLOSED, Relaxed);
    }

    /// Ends the operation if no heartbeat came since `seen` was read;
    /// otherwise changes nothing and returns `false`.
    pub(crate) fn close_if(&self, seen: Seen) -> bool {
        #[cfg(feature = "loom")]
        if MUTANT.with(std::cell::Cell::get) {
            // The mutant: a close that is not a compare-and-swap.
            self.word.store(CLOSED, Relaxed);
            return true;
        }
        self.word
            .compare_exchange(seen.word, CLOSED, Relaxed, Relaxed)
            .is_ok()
    }
}

/// The later of two stamps (within 2^31 ms of each other).
fn later(a: u32, b: u32) -> u32 {
    if (b.wrapping_sub(a) as i32) > 0 { b } else { a }
}
