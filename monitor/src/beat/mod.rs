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
//! Every access to the word is `Relaxed`: the word publishes nothing but
//! itself, and the exclusion of an accepted heartbeat and an expiry comes
//! from the single modification order of one atomic, which every
//! read-modify-write reads the latest value of. `loom_tests.rs` checks it
//! under loom, with the mutant of a close that is not a compare-and-swap.
//!
//! # Where the words live, and their reuse
//!
//! A word is not an allocation of its own: the monitor keeps its words in
//! chunks that never move ([`slots`]), one per resource plus spares, and a
//! status handle points at its operation's word ([`Held`]). A word is
//! reused by a later operation, so a handle of an earlier one must never
//! pass for a current one. Each word therefore counts its holders (the
//! handles that point at it), as an `Arc` counts its owners, and the
//! monitor reopens a word only when no handle holds it ([`Beat::free`]):
//! a new holder is only ever made under the monitor's lock or from an
//! existing holder, so a count of 0 read under the lock stays 0. Every
//! access of an earlier holder to the word happens before that read
//! (`Release` decrements, an `Acquire` read), so it precedes the reopening
//! in the word's modification order and cannot land in the new operation.
//! An operation whose resource's own word is still held takes a spare one.

use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::time::Duration;

use crate::machine::{Operation, ResourceState};
use crate::sync::{self, AtomicU64};

mod held;
pub(crate) mod slots;

pub(crate) use held::Held;

/// The word of a closed beat.
const CLOSED: u64 = 0;

/// The longest age the lock-free path judges (2^30 ms, some 12 days); a
/// longer PendingTimeout is judged by the locked path past it.
pub(crate) const LIMIT_MS: u64 = 1 << 30;

#[cfg(feature = "loom")]
thread_local! {
    /// Puts a mutant into this protocol (set by its loom models,
    /// `loom_tests.rs`).
    pub(crate) static MUTANT: std::cell::Cell<Option<Mutant>> = const { std::cell::Cell::new(None) };
}

/// The mutants of the word's loom models.
#[cfg(feature = "loom")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mutant {
    /// [`Beat::close_if`] closes with a plain store.
    CloseByStore,
    /// [`Beat::free`] says a word is free while handles hold it.
    ReuseHeld,
}

#[cfg(feature = "loom")]
fn mutant(m: Mutant) -> bool {
    MUTANT.with(|c| c.get() == Some(m))
}

#[cfg(all(test, feature = "loom"))]
mod loom_tests;

/// How far before its deadline a heartbeat is left to the locked path: the
/// stamps' rounding up (at most 2 ms).
const MARGIN_MS: i64 = 2;

/// The holders' count: the low 32 bits of [`Beat::info`].
const HOLDERS: u64 = u32::MAX as u64;
/// Past this many holders, [`Beat::hold`] aborts (as `Arc::clone` does):
/// the count must never carry into the operation's fields.
const MAX_HOLDERS: u64 = HOLDERS / 2;
/// The operation's bit of [`Beat::info`] (set: `Offline`).
const OFFLINE: u64 = 1 << 63;

/// The heartbeat word of one pending operation; see the module docs. 16
/// bytes, in a chunk of the monitor's ([`slots`]).
#[derive(Debug)]
pub(crate) struct Beat {
    word: AtomicU64,
    /// The operation (bit 63), its PendingTimeout in milliseconds (bits
    /// 32–62, at most [`LIMIT_MS`]), and the holders' count (bits 0–31).
    /// The operation's fields change only while nobody holds the word.
    info: AtomicU64,
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
    /// A closed word that nobody holds.
    pub(crate) fn closed() -> Beat {
        Beat {
            word: AtomicU64::new(CLOSED),
            info: AtomicU64::new(0),
        }
    }

    /// Opens the word for an operation begun at `now` (its first report
    /// must carry a checkpoint above 0). Only under the monitor's lock, on
    /// a word that is [`free`](Self::free): a handle made afterwards (under
    /// the lock, or from one made so) sees these stores, and none made
    /// before exists.
    pub(crate) fn open(&self, operation: Operation, pending: Duration, now: Duration) {
        debug_assert!(self.free(), "a held word reopened");
        let timeout = (pending.as_millis() as u64).min(LIMIT_MS);
        let op = match operation {
            Operation::Online => 0,
            Operation::Offline => OFFLINE,
        };
        self.info.store(op | (timeout << 32), Relaxed);
        self.word.store(pack(0, stamp(ms_up(now))), Relaxed);
    }

    /// No handle holds the word: it may be reopened. `Acquire`, to order
    /// every earlier holder's use of the word (up to its `Release` in
    /// [`release`](Self::release)) before the reopening; see the module
    /// docs. Read under the monitor's lock, where no holder can be made
    /// meanwhile.
    pub(crate) fn free(&self) -> bool {
        #[cfg(feature = "loom")]
        if mutant(Mutant::ReuseHeld) {
            return true;
        }
        self.info.load(Acquire) & HOLDERS == 0
    }

    /// One more holder. `Relaxed`, as `Arc::clone`: the new holder is made
    /// under the monitor's lock or from an existing one, which orders it.
    pub(crate) fn hold(&self) {
        let before = self.info.fetch_add(1, Relaxed);
        if before & HOLDERS >= MAX_HOLDERS {
            // Some 2^31 handles of one operation: a leak of handles, and
            // the count must not reach the operation's bits.
            std::process::abort();
        }
    }

    /// One holder less; its last use of the word is before this (`Release`,
    /// paired with the `Acquire` of [`free`](Self::free)).
    pub(crate) fn release(&self) {
        self.info.fetch_sub(1, Release);
    }

    /// The operation's PendingTimeout in milliseconds.
    fn timeout_ms(&self) -> u32 {
        ((self.info.load(Relaxed) & !OFFLINE) >> 32) as u32
    }

    /// The operation the word is for.
    fn operation(&self) -> Operation {
        if self.info.load(Relaxed) & OFFLINE != 0 {
            Operation::Offline
        } else {
            Operation::Online
        }
    }

    /// Whether a report of `state` could be a heartbeat of this operation.
    pub(crate) fn takes(&self, state: ResourceState) -> bool {
        state.is_pending() && self.operation().can_reach(state)
    }

    /// A worker's heartbeat at `checkpoint`, now: `true` if taken; `false`
    /// if the locked path must decide (nothing changed). `origin` is the
    /// coarse clock's reading at the monitor's epoch ([`sync::coarse`]),
    /// in nanoseconds.
    pub(crate) fn heartbeat(&self, checkpoint: u32, origin: u64) -> bool {
        let (reading, resolution) = sync::coarse();
        let since = (reading.as_nanos() as u64).saturating_sub(origin);
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
        let timeout_ms = self.timeout_ms();
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
            if i64::from(age) + MARGIN_MS >= i64::from(timeout_ms) {
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
    /// be, and the margin of the lock-free path is taken off. `origin` as
    /// for [`heartbeat`](Self::heartbeat).
    pub(crate) fn left(&self, origin: u64) -> Option<Duration> {
        let seen = self.read()?;
        let (reading, resolution) = sync::coarse();
        let since = (reading.as_nanos() as u64).saturating_sub(origin);
        let upper = (since + 2 * resolution.as_nanos() as u64).div_ceil(1_000_000);
        let age = (upper as u32).wrapping_sub(seen.stamp) as i32;
        let left = i64::from(self.timeout_ms()) - i64::from(age.max(0)) - MARGIN_MS;
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
        if mutant(Mutant::CloseByStore) {
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
