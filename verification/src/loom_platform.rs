//! A [`Platform`] made of loom's types, so loom explores the core's protocol.
//!
//! - The word is loom's `AtomicU32`: loom explores every interleaving and
//!   every value a weak-memory load may return.
//! - The futex is modelled faithfully with a loom `Mutex` + `Condvar` per
//!   word: `wait` re-reads the word under the lock and blocks until a
//!   `wake_all` that comes after; `wake_all` takes the lock, then notifies.
//!   A lost wake-up therefore shows up as a loom deadlock ("all threads
//!   blocked"), not as a spin.
//! - The result cell is loom's `UnsafeCell`, so an unsynchronised access to
//!   the result slot is reported as a data race.
//! - Every use of a word (its atomic operations, `wait`, `wake_all`) reads
//!   a loom `UnsafeCell` that [`free_storage`] writes, so a model can free
//!   "the storage" (a worker's block, with every word in it) and loom
//!   reports any use of a word that does not happen before that free as a
//!   data race (`Causality violation`). Nothing is really freed: the
//!   memory stays valid, and loom, not the process, reports the late use.
//! - Time stands still until a model fires the timer ([`fire_timer`]): loom
//!   has no time, so a timeout is modelled as a thread of the model. Before
//!   the fire, [`now`](Platform::now) is zero, a zero timeout expires at once
//!   and any other never does. The fire moves the clock past every timeout a
//!   model uses ([`AFTER_FIRE`]) and wakes the word's timed waiters, under
//!   the word's lock, so a timed wait cannot miss it. A timed wait that
//!   starts after the fire (with a new deadline beyond it) returns at once
//!   and yields, as a real timed wait would in the end.

use core::time::Duration;

use clusworker_core::{AtomicWord, Platform, SlotCell};
use loom::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use loom::sync::{Condvar, Mutex};

/// The clock after the timer fired: far past any timeout a model uses.
pub const AFTER_FIRE: Duration = Duration::from_secs(1 << 40);

loom::lazy_static! {
    /// Has the model's timer fired? Reset for every execution.
    static ref FIRED: AtomicBool = AtomicBool::new(false);
}

/// Fires the model's timer: every timeout computed before this call has now
/// expired, and the timed waiters blocked on `word` wake up.
///
/// No wake-up is lost: a waiter checks `FIRED` under the word's lock, and
/// `wake_all` takes that lock after the store (the futex argument again).
pub fn fire_timer<P: Platform<Word = LoomWord>>(word: &clusworker_core::WorkerWord<P>) {
    FIRED.store(true, Ordering::SeqCst);
    word.wake_all();
}

/// Initialises this execution's statics ([`FIRED`], [`LIVE`]) now, in the
/// thread that makes a word, before the model's threads start.
///
/// loom models a `lazy_static` as `std::sync::Once`: its first use
/// *releases* the initialising thread's history and every later use
/// *acquires* it. Left to the first use of a word, that would be an edge
/// the protocol does not make: a thread that writes some data, then makes
/// the execution's first word operation (its terminate request, say),
/// would have that write acquired by every other thread at its next word
/// operation, whatever the orderings of the core (this hid a `Relaxed`
/// `check_terminate` from the visibility models). A word is made before the model's threads, which
/// inherit everything before their spawn, so this edge orders nothing new.
fn init_statics() {
    FIRED.load(Ordering::Relaxed);
    LIVE.0.with(|live| {
        // SAFETY: as in `LoomWord::used`.
        let _ = unsafe { *live };
    });
}

/// The loom platform.
#[derive(Debug)]
pub struct Loom;

/// A loom atomic word with its own futex queue.
#[derive(Debug)]
pub struct LoomWord {
    atom: AtomicU32,
    lock: Mutex<()>,
    queue: Condvar,
}

/// Whether "the storage" of the model is still allocated: read by every use
/// of a word, written by [`free_storage`].
struct Live(loom::cell::UnsafeCell<bool>);

// SAFETY: every access goes through loom's cell, which checks that a write
// (the free) is ordered with every read (a use): the model's subject is
// exactly whether it is.
unsafe impl Sync for Live {}

loom::lazy_static! {
    /// One storage per execution: a model that checks frees has one worker.
    static ref LIVE: Live = Live(loom::cell::UnsafeCell::new(true));
}

/// The model of freeing the worker's storage (its heap block, every word in
/// it): from now on, a use of any word of this execution that does not
/// happen after this call... is a use after free, and loom reports it as a
/// data race. Nothing is deallocated. Call it once, from the side that
/// [`Last::Yes`](clusworker_core::Last::Yes) names.
pub fn free_storage() {
    LIVE.0.with_mut(|live| {
        // SAFETY: `live` is loom's pointer to the cell's value, valid in the
        // closure; loom checks this write against every read in `used`.
        let live = unsafe { &mut *live };
        assert!(*live, "the storage freed twice");
        *live = false;
    });
}

/// A use of the storage other than through its words: the handle reads or
/// writes its own part of the block (its header, the result it took)
/// before it lets go. Like every use of a word, it must happen before the
/// free ([`free_storage`]), or loom reports a causality violation.
pub fn touch_storage() {
    LIVE.0.with(|live| {
        // SAFETY: as in `LoomWord::used`.
        let live = unsafe { *live };
        assert!(live, "the storage used after it was freed");
    });
}

/// A value that one side of a model writes before an event (its terminate
/// request, the routine's return) and the other side reads after it learns
/// of the event (`check_terminate` returned `true`, a wait returned `Ok`, a
/// future resolved). It is loom's `UnsafeCell`, so a read that the event
/// does not order after the write is reported as a data race (`Causality
/// violation`): the model checks the *visibility* the contract promises,
/// not only that the event was seen.
#[derive(Debug)]
pub struct Note(loom::cell::UnsafeCell<u32>);

// SAFETY: every access goes through loom's cell, which checks that the
// write and the read are ordered: whether they are is the model's subject.
unsafe impl Sync for Note {}

impl Default for Note {
    fn default() -> Self {
        Note::new()
    }
}

impl Note {
    /// A note holding 0 (not written yet).
    pub fn new() -> Self {
        Note(loom::cell::UnsafeCell::new(0))
    }

    /// The writer's side: before the event.
    pub fn write(&self, value: u32) {
        self.0.with_mut(|p| {
            // SAFETY: loom's pointer to the value, valid in the closure;
            // loom checks this write against every read.
            unsafe { *p = value }
        });
    }

    /// The reader's side: after it learned of the event.
    pub fn read(&self) -> u32 {
        self.0.with(|p| {
            // SAFETY: as in `write`.
            unsafe { *p }
        })
    }
}

impl LoomWord {
    /// Every use of a word starts here.
    fn used(&self) {
        LIVE.0.with(|live| {
            // SAFETY: `live` is loom's pointer to the cell's value, valid in
            // the closure; loom checks this read against the free (a
            // write) and reports the two if they are not ordered.
            let live = unsafe { *live };
            assert!(live, "a worker word used after its storage was freed");
        });
    }
}

// SAFETY: every method forwards to loom's `AtomicU32`, which checks (and
// honours) the ordering it is given.
unsafe impl AtomicWord for LoomWord {
    fn new(value: u32) -> Self {
        init_statics();
        LoomWord {
            atom: AtomicU32::new(value),
            lock: Mutex::new(()),
            queue: Condvar::new(),
        }
    }
    fn load(&self, order: Ordering) -> u32 {
        self.used();
        self.atom.load(order)
    }
    fn fetch_or(&self, bits: u32, order: Ordering) -> u32 {
        self.used();
        self.atom.fetch_or(bits, order)
    }
    fn compare_exchange(
        &self,
        current: u32,
        new: u32,
        success: Ordering,
        failure: Ordering,
    ) -> Result<u32, u32> {
        self.used();
        self.atom.compare_exchange(current, new, success, failure)
    }
}

impl LoomWord {
    /// A plain store, for the mutants (the core never stores).
    pub(crate) fn store(&self, value: u32, order: Ordering) {
        self.atom.store(value, order);
    }

    /// Blocks until the next `wake_all`, without comparing the word first:
    /// a broken futex, for the mutants.
    pub(crate) fn wait_unchecked(&self) {
        let guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        drop(self.queue.wait(guard).unwrap_or_else(|e| e.into_inner()));
    }
}

/// loom's `UnsafeCell`, which tracks every access for races.
#[derive(Debug)]
pub struct LoomCell<T>(loom::cell::UnsafeCell<T>);

// SAFETY: `with_mut` hands out loom's pointer to the owned value, valid for
// the closure's duration.
unsafe impl<T> SlotCell<T> for LoomCell<T> {
    fn new(value: T) -> Self {
        LoomCell(loom::cell::UnsafeCell::new(value))
    }
    fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        self.0.with_mut(f)
    }
    fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        self.0.with(f)
    }
}

impl Platform for Loom {
    type Word = LoomWord;
    type Cell<T> = LoomCell<T>;

    fn wait(word: &LoomWord, expected: u32, timeout: Option<Duration>) {
        word.used();
        let guard = word.lock.lock().unwrap_or_else(|e| e.into_inner());
        if timeout.is_some() && FIRED.load(Ordering::SeqCst) {
            // The timer fired: a timed wait ends (the caller re-reads the
            // clock). Yield so that a wait with a deadline beyond the fire
            // does not starve the threads that will end it.
            drop(guard);
            loom::thread::yield_now();
            return;
        }
        // Relaxed, as the kernel's futex compare: the lock orders it after a
        // waker that locked first (see os-posix's condvar notes).
        if word.atom.load(Ordering::Relaxed) == expected {
            drop(word.queue.wait(guard).unwrap_or_else(|e| e.into_inner()));
        }
    }

    fn wake_all(word: &LoomWord) {
        word.used();
        drop(word.lock.lock().unwrap_or_else(|e| e.into_inner()));
        word.queue.notify_all();
    }

    fn now() -> Duration {
        if FIRED.load(Ordering::SeqCst) {
            AFTER_FIRE
        } else {
            Duration::ZERO
        }
    }
}

/// A loom platform that spins: [`wait`](Platform::wait) yields and
/// returns at once (a spurious wake-up every time, which the contract
/// allows), [`wake_all`](Platform::wake_all) does nothing, and a thread
/// waiting for the exit loads the word once more before it "parks"
/// ([`Platform::SPIN_LIMIT`] 1, as on the shipped platforms; [`Loom`]'s is
/// 0). The core's documentation shows such a platform.
///
/// The visibility models run on it. [`Loom`]'s futex is a loom `Mutex` and
/// `Condvar`, which synchronise: a waiter woken by the exit's `wake_all`
/// acquires the exit through the futex's lock, whatever the orderings of
/// the core's loads after the wait. A real futex makes no such promise to
/// the core (the `Platform` contract does not ask for it), and a spinning
/// platform has nothing of the kind: here every edge between the threads
/// is the word's. (A lost wake-up is no deadlock here but a spin; the
/// no-lost-wake-up models run on [`Loom`].)
#[derive(Debug)]
pub struct LoomSpin;

impl Platform for LoomSpin {
    type Word = LoomWord;
    type Cell<T> = LoomCell<T>;
    const SPIN_LIMIT: u32 = 1;

    fn wait(word: &LoomWord, _expected: u32, _timeout: Option<Duration>) {
        word.used();
        loom::thread::yield_now();
    }
    fn wake_all(word: &LoomWord) {
        word.used();
    }
    fn now() -> Duration {
        Loom::now()
    }
}

/// Runs a loom model: explores `f` with at most `bound` preemptions per
/// execution (`None`: every interleaving) unless `LOOM_MAX_PREEMPTIONS`
/// says otherwise, and prints how many executions it explored (the
/// `loom model <test>: N interleavings` lines CI counts; `-- --nocapture`
/// shows them).
#[track_caller]
pub fn check_model(bound: Option<usize>, f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    if b.preemption_bound.is_none() {
        b.preemption_bound = bound;
    }
    let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = runs.clone();
    b.check(move || {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        f()
    });
    let name = std::thread::current().name().unwrap_or("?").to_owned();
    println!(
        "loom model {name}: {} interleavings explored (preemption bound: {:?})",
        runs.load(std::sync::atomic::Ordering::Relaxed),
        b.preemption_bound
    );
}
