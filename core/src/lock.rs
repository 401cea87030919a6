//! The small lock of the core's intrusive lists (the async waiters' list,
//! the diagnostics registry): one [`AtomicWord`], with the platform's own
//! [`wait`](Platform::wait)/[`wake_all`](Platform::wake_all) for contention
//! (a futex mutex in the manner of Drepper's "Futexes Are Tricky", written
//! with `fetch_or` and `compare_exchange` only):
//!
//! | lock word             | meaning                                     |
//! |-----------------------|---------------------------------------------|
//! | `0`                   | free                                        |
//! | `LOCKED`              | held, nobody waits                          |
//! | `LOCKED \| CONTENDED` | held, and somebody may be blocked on it     |

use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};

use crate::platform::{AtomicWord, Platform};

const LOCKED: u32 = 1;
const CONTENDED: u32 = 2;

/// The lock; see the [module docs](self).
pub(crate) struct WordLock<P: Platform> {
    word: P::Word,
}

/// The lock, held: releases on drop.
pub(crate) struct LockGuard<'a, P: Platform> {
    lock: &'a WordLock<P>,
}

impl<P: Platform> WordLock<P> {
    /// A free lock.
    pub(crate) fn new() -> Self {
        WordLock {
            word: P::Word::new(0),
        }
    }

    /// Takes the lock, blocking while another thread holds it.
    pub(crate) fn lock(&self) -> LockGuard<'_, P> {
        // Both RMWs `Acquire`: the one that finds the lock free synchronises
        // with the last holder's release, so its uses of the list come
        // first (either one `Relaxed`: every `loom_async` model reports two
        // unordered writes of a node or the head, and both
        // `loom_diagnostics` models a causality violation). The waiters'
        // lock is also what orders their list against the word's RMWs: see
        // the `word` module's notes, "Async waiters".
        if self.word.fetch_or(LOCKED, Acquire) & LOCKED != 0 {
            // Held: mark it contended, and block until the holder's release
            // (which sees `CONTENDED` and wakes us). `wait` returns at once
            // if the word changed since our RMW.
            while self.word.fetch_or(LOCKED | CONTENDED, Acquire) & LOCKED != 0 {
                P::wait(&self.word, LOCKED | CONTENDED, None);
            }
        }
        LockGuard { lock: self }
    }
}

impl<P: Platform> Drop for LockGuard<'_, P> {
    fn drop(&mut self) {
        let word = &self.lock.word;
        // Swap in 0 (the trait has no `swap`): one CAS when nobody waits, a
        // second when a contender has added `CONTENDED`. Success `Release`:
        // the next holder's `Acquire` sees every use made under the lock
        // (`Relaxed`: every `loom_async` model reports two unordered writes
        // of a node or the head; both `loom_diagnostics` models a causality
        // violation). Failure `Relaxed`, the weakest: the value only feeds
        // the next try, and the CAS that succeeds carries the ordering.
        let mut cur = LOCKED;
        while let Err(actual) = word.compare_exchange(cur, 0, Release, Relaxed) {
            cur = actual;
        }
        if cur & CONTENDED != 0 {
            P::wake_all(word);
        }
    }
}
