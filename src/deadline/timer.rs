//! The process's one deadline timer: a thread that sleeps on a condition
//! variable until the earliest deadline, and requests terminate of each
//! worker whose deadline has passed. Started by the first worker with a
//! deadline; it lives for the process (parked, it costs nothing), so no
//! worker ever waits for it to start or stop.
//!
//! The deadlines are a `BTreeMap` keyed by (instant, word address): the
//! earliest first, and an entry found again by its key, in O(log n), when
//! its routine returns first. The address is unique among the entries: an
//! entry keeps its block (and so its word) allocated.

use std::collections::BTreeMap;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::NonNull;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::{AcqRel, Relaxed};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use clusworker_core::{Reason, WorkerWord};

use crate::quiet::drop_quietly;
use crate::sys::Park;

/// The two shares of a block with a deadline: the owners' and the timer's
/// (see the parent module). Whoever lets go second frees the block.
#[derive(Debug)]
pub(crate) struct Shares {
    /// One of the two shares has been let go.
    gone: AtomicBool,
}

impl Shares {
    pub(crate) const fn new() -> Shares {
        Shares {
            gone: AtomicBool::new(false),
        }
    }

    /// The shares of a block whose owners count themselves (a pool job's
    /// `Arc`): the timer's share is a reference of its own, so its
    /// [`let_go`](Self::let_go) always says "free", which drops that
    /// reference. Only the timer calls `let_go` on these.
    pub(crate) const fn counted() -> Shares {
        Shares {
            gone: AtomicBool::new(true),
        }
    }

    /// Lets go of one share: `true` if the other was let go before, and
    /// the caller must free the block.
    pub(crate) fn let_go(&self) -> bool {
        // `AcqRel`, as `Arc`'s last decrement: `Release` orders this side's
        // uses of the block before the other side's free; `Acquire` orders
        // the other side's uses before this side's free. The swap's
        // atomicity makes exactly one of the two calls return `true`.
        self.gone.swap(true, AcqRel)
    }
}

/// A deadline waiting in the timer: what firing it needs. It holds the
/// timer's share of the block that `word` and `shares` live in.
struct Entry {
    word: NonNull<WorkerWord<Park>>,
    shares: NonNull<Shares>,
    block: NonNull<()>,
    free: unsafe fn(NonNull<()>),
}

// SAFETY: the entry is a share of a block made to be used from any thread
// (the word and the shares are atomics and a lock; `free` is called by
// whichever thread lets go last); moving it between threads moves four
// pointers.
unsafe impl Send for Entry {}

struct State {
    /// The deadlines not yet fired, earliest first.
    due: BTreeMap<(Instant, usize), Entry>,
    /// Every armed worker's deadline, by word address, from the arming to
    /// the routine's return (fired ones included): `Context::deadline`.
    armed: BTreeMap<usize, Instant>,
    /// The thread was started.
    running: bool,
}

static STATE: Mutex<State> = Mutex::new(State {
    due: BTreeMap::new(),
    armed: BTreeMap::new(),
    running: false,
});
/// The timer thread waits here; notified when an earlier deadline comes.
static WAKE: Condvar = Condvar::new();
/// Set once the thread was started: `deadline_of` answers `None` without
/// the lock until then.
static STARTED: AtomicBool = AtomicBool::new(false);

/// The lock. Nothing panics while it is held (map operations only), so a
/// poisoned lock is taken as it is.
fn lock() -> MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(PoisonError::into_inner)
}

fn address(word: &WorkerWord<Park>) -> usize {
    std::ptr::from_ref(word) as usize
}

/// Starts the timer thread, unless it runs.
pub(crate) fn start() -> io::Result<()> {
    let mut state = lock();
    if !state.running {
        // The handle is dropped: the thread is detached, and parked on
        // `WAKE` whenever no deadline is due, for the life of the process.
        std::thread::Builder::new()
            .name("clusworker-deadline".to_string())
            .spawn(run)?;
        state.running = true;
        // `Relaxed`: a worker that asks `deadline_of` was armed after this
        // (its arming took the lock after this thread let go of it), and
        // the lock's edge carries this store to it.
        STARTED.store(true, Relaxed);
    }
    Ok(())
}

/// Enters the deadline `at` of `word`, giving the timer a share of `block`.
///
/// # Safety
///
/// `word` and `shares` live in `block`, which stays allocated until the
/// second [`Shares::let_go`] (and `free(block)` frees it, running no user
/// code); the word is armed once, and [`disarm`]ed before its exit.
pub(crate) unsafe fn arm(
    at: Instant,
    word: &WorkerWord<Park>,
    shares: &Shares,
    block: NonNull<()>,
    free: unsafe fn(NonNull<()>),
) {
    let key = (at, address(word));
    let entry = Entry {
        word: NonNull::from(word),
        shares: NonNull::from(shares),
        block,
        free,
    };
    let mut state = lock();
    state.armed.insert(key.1, at);
    if at <= Instant::now() {
        // Passed already (a pool job that waited in the queue, a deadline
        // given in the past): fired here, on the routine's thread before
        // the routine, so that its first check sees it. Never entered in
        // `due`, so `disarm` will find nothing and let go of nothing.
        drop(state);
        // SAFETY: the entry was never in `due`: its share is ours alone.
        unsafe { fire(entry) };
        return;
    }
    let earliest = state.due.first_key_value().is_none_or(|(k, _)| key < *k);
    state.due.insert(key, entry);
    drop(state);
    if earliest {
        WAKE.notify_one();
    }
}

/// The routine of `word` returned: takes its entry out. `true` if it was
/// still there (the caller now holds the timer's share), `false` if the
/// timer took it (and lets go itself).
pub(crate) fn disarm(at: Instant, word: &WorkerWord<Park>) -> bool {
    let addr = address(word);
    let mut state = lock();
    state.armed.remove(&addr);
    state.due.remove(&(at, addr)).is_some()
}

/// The deadline `word` was armed with, while its routine runs.
pub(crate) fn deadline_of(word: &WorkerWord<Park>) -> Option<Instant> {
    if !STARTED.load(Relaxed) {
        return None;
    }
    lock().armed.get(&address(word)).copied()
}

/// The timer thread.
fn run() {
    let mut state = lock();
    loop {
        let now = Instant::now();
        let next = state.due.first_key_value().map(|(&(at, _), _)| at);
        state = match next {
            None => WAKE.wait(state).unwrap_or_else(PoisonError::into_inner),
            Some(at) if at > now => {
                WAKE.wait_timeout(state, at - now)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
            Some(_) => {
                let Some((_, entry)) = state.due.pop_first() else {
                    continue;
                };
                // The request runs user code (callbacks, wakers): never
                // under the lock, which a callback's own spawn may need.
                drop(state);
                // SAFETY: taken out of `due` under the lock, so the entry
                // and its share are this thread's alone.
                unsafe { fire(entry) };
                lock()
            }
        };
    }
}

/// Requests terminate through `entry`, then lets go of its share.
///
/// # Safety
///
/// `entry` holds the timer's share, and is not in `due` (taken out, or
/// never put in: nobody else will let go of that share).
unsafe fn fire(entry: Entry) {
    // SAFETY: the timer's share keeps the block, and the word in it,
    // allocated until the `let_go` below.
    let word = unsafe { entry.word.as_ref() };
    // Callbacks catch their own panics (their hook); an async waker is the
    // executor's code and might panic: caught, so that the one timer
    // thread outlives it. The request was made either way.
    let requested = catch_unwind(AssertUnwindSafe(|| {
        word.request_terminate_with(Reason::DeadlinePassed)
    }));
    if let Err(payload) = requested {
        let _ = drop_quietly(payload);
    }
    // SAFETY: as above; the shares live in the block.
    if unsafe { entry.shares.as_ref() }.let_go() {
        // SAFETY: the owners let go first, so the timer is the block's
        // last user; `free` runs no user code (the owners dropped the
        // result).
        unsafe { (entry.free)(entry.block) }
    }
}
