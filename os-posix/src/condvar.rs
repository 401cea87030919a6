//! Parking on a table of pthread mutex/condvar pairs: the portable fallback.
//!
//! A word hashes to one of [`BUCKETS`] buckets. `wait` locks the bucket,
//! re-reads the word, and sleeps on the condvar only if it still holds the
//! expected value; `wake_all` locks and unlocks the bucket, then broadcasts.
//! Why no wake-up is lost: the waker modified the word before it locked the
//! bucket. If the waiter locked the bucket after the waker, the lock orders
//! the modification before the waiter's read, which sees it and returns. If
//! the waiter locked first, it is inside `pthread_cond_wait` (which released
//! the lock atomically) by the time the waker gets the lock, so the
//! broadcast reaches it. Words that share a bucket see spurious wake-ups,
//! which the `Platform` contract allows.

use std::cell::UnsafeCell;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::time::Duration;

use clusworker_core::Platform;

use crate::clock;

/// The number of mutex/condvar pairs in the table.
pub(crate) const BUCKETS: usize = 64;

/// Parks on a pthread condvar chosen by the word's address.
#[derive(Debug, Clone, Copy, Default)]
pub struct Condvar;

struct Bucket {
    mutex: UnsafeCell<libc::pthread_mutex_t>,
    cond: UnsafeCell<libc::pthread_cond_t>,
}

// SAFETY: the pthread objects are only touched through pthread calls, which
// are thread-safe; the table is never moved after initialisation (it lives in
// a `OnceLock`'d `Box`) and never destroyed.
unsafe impl Sync for Bucket {}
// SAFETY: as above.
unsafe impl Send for Bucket {}

/// Whether the condvars time out on `CLOCK_MONOTONIC` (`false`: realtime).
const MONOTONIC: bool = cfg!(not(target_vendor = "apple"));

fn table() -> &'static [Bucket] {
    static TABLE: OnceLock<Box<[Bucket]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let table: Box<[Bucket]> = (0..BUCKETS)
            .map(|_| Bucket {
                mutex: UnsafeCell::new(libc::PTHREAD_MUTEX_INITIALIZER),
                cond: UnsafeCell::new(libc::PTHREAD_COND_INITIALIZER),
            })
            .collect();
        // Initialised in place, in their final heap location: POSIX does
        // not allow using a copy of an initialised condvar. (Moving the
        // `Box` below moves the pointer, not the buckets.)
        for b in table.iter() {
            b.use_monotonic_clock();
        }
        table
    })
}

impl Bucket {
    /// Re-initialises the condvar to time out on `CLOCK_MONOTONIC`, where
    /// the OS allows it. Only before the table is published.
    fn use_monotonic_clock(&self) {
        #[cfg(not(target_vendor = "apple"))]
        // SAFETY: `attr` is initialised before use and destroyed after; the
        // condvar is re-initialised in place before anyone can use it.
        unsafe {
            let mut attr = std::mem::MaybeUninit::<libc::pthread_condattr_t>::uninit();
            let r = libc::pthread_condattr_init(attr.as_mut_ptr());
            assert_eq!(r, 0, "pthread_condattr_init: {r}");
            let r = libc::pthread_condattr_setclock(attr.as_mut_ptr(), libc::CLOCK_MONOTONIC);
            assert_eq!(r, 0, "pthread_condattr_setclock: {r}");
            let r = libc::pthread_cond_init(self.cond.get(), attr.as_ptr());
            assert_eq!(r, 0, "pthread_cond_init: {r}");
            let r = libc::pthread_condattr_destroy(attr.as_mut_ptr());
            debug_assert_eq!(r, 0, "pthread_condattr_destroy: {r}");
        }
    }

    fn of(word: &AtomicU32) -> &'static Bucket {
        // Words live in 64-byte blocks; drop the low bits before hashing.
        let addr = word as *const AtomicU32 as usize;
        let h = (addr >> 6).wrapping_mul(0x9E37_79B9_7F4A_7C15_u64 as usize);
        &table()[h >> (usize::BITS - BUCKETS.trailing_zeros())]
    }

    fn lock(&self) {
        // SAFETY: the mutex was initialised and is never moved or destroyed.
        let r = unsafe { libc::pthread_mutex_lock(self.mutex.get()) };
        debug_assert_eq!(r, 0, "pthread_mutex_lock: {r}");
    }

    fn unlock(&self) {
        // SAFETY: as in `lock`; this thread holds the mutex.
        let r = unsafe { libc::pthread_mutex_unlock(self.mutex.get()) };
        debug_assert_eq!(r, 0, "pthread_mutex_unlock: {r}");
    }
}

impl Platform for Condvar {
    type Word = AtomicU32;
    type Cell<T> = core::cell::UnsafeCell<T>;

    const SPIN_LIMIT: u32 = 10;

    fn wait(word: &AtomicU32, expected: u32, timeout: Option<Duration>) {
        let b = Bucket::of(word);
        b.lock();
        // Relaxed is enough: the bucket lock orders this read after any
        // waker that locked before us (see the module notes).
        if word.load(Relaxed) == expected {
            match timeout {
                // SAFETY: we hold the bucket's mutex, the pair is initialised.
                None => unsafe {
                    let r = libc::pthread_cond_wait(b.cond.get(), b.mutex.get());
                    debug_assert_eq!(r, 0, "pthread_cond_wait: {r}");
                },
                Some(t) => {
                    let abs = absolute(t);
                    // SAFETY: as above; `abs` outlives the call.
                    let r =
                        unsafe { libc::pthread_cond_timedwait(b.cond.get(), b.mutex.get(), &abs) };
                    debug_assert!(
                        r == 0 || r == libc::ETIMEDOUT,
                        "pthread_cond_timedwait: {r}"
                    );
                }
            }
        }
        b.unlock();
    }

    fn wake_all(word: &AtomicU32) {
        let b = Bucket::of(word);
        b.lock();
        b.unlock();
        // SAFETY: the condvar is initialised and never destroyed.
        let r = unsafe { libc::pthread_cond_broadcast(b.cond.get()) };
        debug_assert_eq!(r, 0, "pthread_cond_broadcast: {r}");
    }

    fn now() -> Duration {
        clock::now()
    }
}

/// `timeout` from now on the condvars' clock, clamped (the caller re-checks).
fn absolute(timeout: Duration) -> libc::timespec {
    let now = if MONOTONIC {
        clock::now()
    } else {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
    };
    let rel = clock::timespec(timeout);
    let at = now + Duration::new(rel.tv_sec as u64, rel.tv_nsec as u32);
    clock::timespec(at)
}
