//! The worker word: one 32-bit atomic that carries every synchronisation of
//! one worker.
//!
//! # Bits
//!
//! | bit | name          | set by                         | cleared |
//! |-----|---------------|--------------------------------|---------|
//! | 0   | `TERMINATE`   | the first terminate request    | never   |
//! | 1   | `EXITED`      | the worker, after its result   | never   |
//! | 2   | `CLAIMED`     | the one result claimant        | never   |
//! | 3   | `COMPLETING`  | the one result writer          | never   |
//! | 4   | `SLEEPER`     | a worker about to park         | never   |
//! | 5   | `EXIT_WAITER` | a waiter about to park         | never   |
//! | 6   | `RELEASED`    | the handle, when it lets go    | never   |
//! | 7   | `ASYNC_WAITER`| a future, when it first waits  | never   |
//! | 8   | `COMPLETED`   | the result writer, when done   | never   |
//! | 9   | `REQUESTING`  | the first terminate request    | never   |
//! | 10–13 | the reason's kind | the first request, with `TERMINATE` | never |
//!
//! Every bit is set at most once and never cleared, so the word only grows:
//! each transition is one `fetch_or` or one `compare_exchange`, and every
//! reader can reason about "has X happened" with a single load.
//!
//! # Notes about memory ordering
//!
//! - **Terminate → check.** `request_terminate` sets `TERMINATE` with a
//!   `Release` read-modify-write; every read through which the routine can
//!   learn of it acquires: `check_terminate` (one `Acquire` load), each
//!   load and the failed sleeper CAS of `sleep`, and the loads and the RMW
//!   of the `terminated` future. A terminate request therefore
//!   *synchronises with* a `check_terminate` that returns `true` (and a
//!   `sleep` that returns `Terminated`, a `terminated` that resolves):
//!   whatever the terminator wrote before its request is visible to the
//!   worker after it. On x86-64 the `Acquire` load is an ordinary load
//!   instruction (on AArch64, `ldar` or `ldapr`).
//! - **The reason.** A request first *claims* the right to give the
//!   reason: one `fetch_or` of `REQUESTING`, which exactly one caller finds
//!   clear. The claimant writes the reason's code into the word's one code
//!   slot, then publishes `TERMINATE` *and* the reason's kind bits with its
//!   `Release` RMW. So the reason rides on the flag's own edge: whatever
//!   acquires `TERMINATE` (every way the routine learns of the request)
//!   reads the first request's reason, and `check_terminate` stays one
//!   load. A later request that finds `REQUESTING` takes the reason from a
//!   value with `TERMINATE` that it acquired; between the claimant's two
//!   RMWs (a few instructions apart, no user code between them) it sleeps
//!   on the word exactly as the routine does, and the publication wakes
//!   it. It is the result slot's pattern (`COMPLETING`, write, `EXITED`)
//!   applied to the request.
//! - **Exit → wait.** The worker writes its result and then sets `EXITED`
//!   with a `Release` read-modify-write; every read through which a waiter
//!   can learn of it acquires (`is_exited`, `state`, `bits`, each load and
//!   the failed waiter CAS of `wait_exited`, the `exited` future), before
//!   it touches the result. This is the edge the result slot rests on.
//! - **What the orderings are checked by.** Each one is weakened one step
//!   at a time and the loom models are run: the weakening is caught by a
//!   model (named beside it), or the comment beside it says why the weaker
//!   one would do. `VERIFICATION.md` has the list.
//! - **No lost wake-up.** The known trap (tokio #7874, libc++ #76807) is a
//!   flag set with a `Release` store on one side and a "sleeper" flag set with
//!   a store on the other, each side then reading the other's flag: both
//!   reads can miss. Here both sides use read-modify-writes *on the same
//!   word*. A sleeper announces itself with a `compare_exchange` that only
//!   succeeds if the condition it waits for is still absent; the waker sets
//!   the condition with a `fetch_or` that returns the previous value. Both
//!   are RMWs on one location, so they are totally ordered in its
//!   modification order, and each reads the latest value: either the
//!   sleeper's CAS comes first, and the waker's `fetch_or` sees the sleeper
//!   bit and calls `wake_all`; or the waker comes first, and the sleeper's CAS
//!   fails and it re-reads the condition. The platform's `wait` re-checks the
//!   word atomically against `wake_all` (the futex contract), which closes
//!   the window between the CAS and the block.
//! - **Who frees.** The exit's wake-ups (`wake_all`, the async waiters'
//!   list) come *after* `EXITED`, so a thread that sees `EXITED` may not
//!   free the storage yet: the writer may still be inside them. The writer
//!   sets `COMPLETED` when it touches the storage no more: in the same CAS
//!   as `EXITED` when no waiter bit is set (nothing to wake: the common
//!   exit stays one RMW), or with one more `AcqRel` RMW after the
//!   wake-ups. The handle lets go with an `AcqRel` RMW setting `RELEASED`.
//!   The two RMWs are ordered in the word's modification order: the later
//!   one sees the other's bit and frees, and its `Acquire` makes every
//!   access of the other side happen before the free. loom checks it
//!   (`free_storage` in the verification crate's platform), spin too.
//! - **Sticky sleeper bits.** `SLEEPER` and `EXIT_WAITER` are never cleared.
//!   Clearing one safely would need a count of sleepers; leaving it set costs
//!   at most one needless `wake_all` per transition, and each transition
//!   happens once in a worker's life.
//! - **Async waiters.** A future ([`terminated`](WorkerWord::terminated),
//!   [`exited`](WorkerWord::exited)) links its node into the word's list of
//!   waiters, *then*, still under the list's lock, sets `ASYNC_WAITER` with
//!   a `fetch_or` and reads the condition from the value it returns.
//!   `request_terminate` and the exit set their bit with a `fetch_or` and,
//!   if the value it returns has `ASYNC_WAITER`, take the list's lock and
//!   wake the nodes waiting for that bit. The same one-word argument as for
//!   sleepers: either the future's RMW comes first in the word's
//!   modification order, so the setter sees `ASYNC_WAITER` and takes the
//!   list's lock, which it can only get after the future's unlock and so
//!   finds the node linked; or the setter's RMW comes first and the
//!   future's RMW returns the condition. The list's lock alone (`Acquire`
//!   to take it, `Release` to give it back) makes the first case work: had
//!   the setter taken the lock *before* the future, the setter's unlock
//!   would synchronise with the future's lock, so the setter's RMW on the
//!   word (made before its lock) would happen before the future's (made
//!   after its lock) and come first in the word's modification order,
//!   against the case. So neither word RMW needs an ordering for the
//!   list's sake: the future's acquires only because it may return `Ready`
//!   from it. (loom cannot show this one: its RMWs read the last value in
//!   the order it runs them, so no weakening of these two RMWs' other
//!   halves can fail a model.) `check_terminate` stays one load: the bit is
//!   only read by the setters, and only costs them anything once a future
//!   has waited.

use core::fmt;
use core::hint::spin_loop;
use core::marker::PhantomData;
use core::sync::atomic::Ordering::{self, AcqRel, Acquire, Relaxed};
use core::time::Duration;

use crate::deadline::Deadline;
use crate::platform::{AtomicWord, Platform, SlotCell};
use crate::reason::Reason;
use crate::waiters::Waiters;

/// Terminate has been requested.
pub const TERMINATE: u32 = 1 << 0;
/// The routine has returned and its result is published.
pub const EXITED: u32 = 1 << 1;
/// The result has been claimed by its one claimant.
pub const CLAIMED: u32 = 1 << 2;
/// The result slot is being written by its one writer.
pub const COMPLETING: u32 = 1 << 3;
/// The worker has parked (or is about to park) waiting for `TERMINATE`.
pub const SLEEPER: u32 = 1 << 4;
/// A thread has parked (or is about to park) waiting for `EXITED`.
pub const EXIT_WAITER: u32 = 1 << 5;
/// The owning handle has let go; whoever is last frees the storage.
pub const RELEASED: u32 = 1 << 6;
/// A future has linked (or is about to link) a waiter into the word's list
/// of async waiters.
pub const ASYNC_WAITER: u32 = 1 << 7;
/// The result writer has published the exit and woken every waiter: it
/// touches the storage no more. Decides, with `RELEASED`, who frees it.
pub const COMPLETED: u32 = 1 << 8;
/// A terminate request has claimed the reason: it writes the code slot,
/// then sets `TERMINATE` with the reason's kind (bits 10..=13).
pub const REQUESTING: u32 = 1 << 9;

/// The handle's owner joined the OS thread in place (a `clusworker`
/// `Worker`'s first terminator does, with the OS join): set only after the
/// worker's thread has ended, and read only by the handle's owner, after
/// the set (the call that set it returned before the owner's next use).
/// No protocol of the word reads it or waits for it, and it changes no
/// [`State`].
pub const JOINED: u32 = 1 << 14;

/// The phase of a worker, as users see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// The routine is running and no terminate has been requested.
    Running,
    /// Terminate has been requested; the routine has not returned yet.
    Terminating,
    /// The routine has returned (by itself or after a request).
    Exited,
}

impl State {
    /// The state a word's bits stand for.
    #[inline]
    pub const fn from_bits(bits: u32) -> State {
        if bits & EXITED != 0 {
            State::Exited
        } else if bits & TERMINATE != 0 {
            State::Terminating
        } else {
            State::Running
        }
    }
}

/// What a terminate request found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Request {
    /// This call made the request, and the routine was still running.
    /// Exactly one call on a word ever returns `First` or `AlreadyExited`.
    First,
    /// This call made the request, but the routine had already returned.
    AlreadyExited,
    /// Another call made the request before this one; it carries that
    /// first request's [`Reason`]. This call does not synchronise with the
    /// first terminator's other writes: to see what it wrote, wait for what
    /// it waits for (the exit, say).
    AlreadyRequested(Reason),
}

/// How an interruptible sleep ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sleep {
    /// The whole timeout passed without a terminate request.
    Elapsed,
    /// Terminate was requested (before or during the sleep).
    Terminated,
}

/// A wait ran out of time before the worker exited. Nothing was consumed:
/// the wait can be repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TimedOut;

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("timed out waiting for the worker to exit")
    }
}

impl core::error::Error for TimedOut {}

/// One worker's word: its terminate flag, exit flag and parking spot.
///
/// `WorkerWord` holds no result; [`WorkerCell`](crate::WorkerCell) pairs it
/// with one. The operations that publish an exit live there, so that the
/// exit flag always means "the result is written".
pub struct WorkerWord<P: Platform> {
    word: P::Word,
    /// The first request's reason code (`Reason::User`'s `u32`; 0 for the
    /// other kinds): written once, by the claimant of `REQUESTING`, before
    /// it sets `TERMINATE`; read only after `TERMINATE` was acquired.
    code: P::Cell<u32>,
    /// The futures waiting for `TERMINATE` or `EXITED` (the `waiters`
    /// module): a lock word and a list head.
    waiters: Waiters<P>,
    _platform: PhantomData<fn() -> P>,
}

// SAFETY: the word and the waiters' list are thread-safe by themselves (an
// atomic; a list behind its lock). The code slot is written by one thread,
// the claimant of `REQUESTING`, before the `Release` RMW that sets
// `TERMINATE`, and read only after an `Acquire` of a value with
// `TERMINATE`, so every read happens after the one write and no two
// accesses race; it holds a plain `u32`.
unsafe impl<P: Platform> Sync for WorkerWord<P> {}
// SAFETY: as above; moving the word moves a `u32` and the list's head,
// which only the list's lock holder dereferences.
unsafe impl<P: Platform> Send for WorkerWord<P> {}

impl<P: Platform> Default for WorkerWord<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P: Platform> fmt::Debug for WorkerWord<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bits = self.bits();
        f.debug_struct("WorkerWord")
            .field("state", &State::from_bits(bits))
            .field("bits", &format_args!("{bits:#09b}"))
            .finish()
    }
}

impl<P: Platform> WorkerWord<P> {
    /// A word in the `Running` state.
    pub fn new() -> Self {
        WorkerWord {
            word: P::Word::new(0),
            code: P::Cell::new(0),
            waiters: Waiters::new(),
            _platform: PhantomData,
        }
    }

    /// Has terminate been requested? One `Acquire` load and nothing else.
    ///
    /// A request that returned [`Request::First`] synchronises with a call
    /// that returns `true`.
    #[doc(alias = "ClusWorkerCheckTerminate")]
    #[inline(always)]
    pub fn check_terminate(&self) -> bool {
        // `Acquire`: a `true` synchronises with the request's `Release`
        // RMW. (`Relaxed`: loom's
        // `a_check_terminate_that_returns_true_sees_the_terminators_writes`
        // reports a causality violation.)
        self.word.load(Acquire) & TERMINATE != 0
    }

    /// The current phase.
    #[inline]
    pub fn state(&self) -> State {
        State::from_bits(self.bits())
    }

    /// The raw bits, for diagnostics and tests.
    #[inline]
    pub fn bits(&self) -> u32 {
        // `Acquire`: `state` returning `Exited` and an `Until` resolving on
        // its first load synchronise through it, and `take` reads the slot
        // after it. (`Relaxed`: loom's
        // `a_state_that_returns_exited_sees_the_routines_writes` and the
        // async `…_writes_visible` models report causality violations.)
        self.word.load(Acquire)
    }

    /// Requests terminate ([`Reason::Requested`]), and tells the caller
    /// whether it was first; see [`request_terminate_with`](Self::request_terminate_with).
    #[doc(alias = "ClusWorkerTerminate")]
    pub fn request_terminate(&self) -> Request {
        self.request_terminate_with(Reason::Requested)
    }

    /// Requests terminate with `reason`, and tells the caller whether it
    /// was first.
    ///
    /// Exactly one call on a word returns [`Request::First`] or
    /// [`Request::AlreadyExited`], and its `reason` is the one every reader
    /// sees ([`reason`](Self::reason)); every other call returns
    /// [`Request::AlreadyRequested`] with that first reason. Wakes the
    /// worker if it is parked in [`sleep`](Self::sleep).
    ///
    /// The first call never waits. A later one that comes while the first
    /// is between its two steps (claiming the reason, then publishing it
    /// with the flag) sleeps on the word until the first has published.
    pub fn request_terminate_with(&self, reason: Reason) -> Request {
        // Read before the RMW: when a request was already made this costs a
        // load instead of a contended RMW. `Acquire`: a value with
        // `TERMINATE` hands its reason back, read from the code slot after
        // this load, so the load must synchronise with the publication
        // (`Relaxed`: loom's `the_reason_seen_is_the_first_requests`
        // reports a causality violation on the slot). It does not make this
        // caller first or not: a load that sees `REQUESTING` read it from
        // the RMW that set it, whose caller is first.
        let cur = self.word.load(Acquire);
        if cur & REQUESTING != 0 {
            return Request::AlreadyRequested(self.first_reason(cur));
        }
        // Claim the reason: the RMW's atomicity makes exactly one claimant.
        // `Acquire`, for a loser that reads the reason from the value it
        // returns, as above. No `Release` half: the claimant's writes
        // (before the request, and the code below) are published by the
        // `Release` RMW that sets `TERMINATE`.
        let claimed = self.word.fetch_or(REQUESTING, Acquire);
        if claimed & REQUESTING != 0 {
            return Request::AlreadyRequested(self.first_reason(claimed));
        }
        let (kind, code) = reason.pack();
        self.code.with_mut(|slot| {
            // SAFETY: we set `REQUESTING`, so we are the slot's one writer;
            // nobody reads it before `TERMINATE`, which we set only below,
            // after this write (`Release`).
            unsafe { slot.write(code) }
        });
        // `Release`: publishes what the caller wrote before the request,
        // and the reason's code, to the routine's `check_terminate`,
        // `sleep`, `terminated` and `reason` (`Acquire` alone: loom's
        // `a_check_terminate_that_returns_true_…` and
        // `the_reason_seen_is_the_first_requests` report causality
        // violations). The `Acquire` half is more than needed, and no model
        // fails without it: the RMW sees `SLEEPER` and `ASYNC_WAITER` by its
        // atomicity, not its ordering; a parked sleeper is then covered by
        // the futex contract and the async list by its own lock (module
        // notes); and the caller reads nothing the routine wrote. Kept
        // `AcqRel`: the path runs once per request, and with the future's
        // `Release` it orders the async list by itself too, a second guard
        // beside the lock.
        let old = self.word.fetch_or(TERMINATE | kind, AcqRel);
        debug_assert_eq!(old & TERMINATE, 0, "only the claimant sets TERMINATE");
        if old & SLEEPER != 0 {
            P::wake_all(&self.word);
        }
        if old & ASYNC_WAITER != 0 {
            self.waiters.wake(TERMINATE);
        }
        if old & EXITED != 0 {
            Request::AlreadyExited
        } else {
            Request::First
        }
    }

    /// The first request's reason, for a request that found `REQUESTING`
    /// in `seen` (a value it acquired).
    fn first_reason(&self, seen: u32) -> Reason {
        let bits = if seen & TERMINATE != 0 {
            seen
        } else {
            // The first request has claimed and not published yet. Sleep
            // until it does: `sleep` without a timeout returns only once
            // `TERMINATE` is set (its loads acquire), parking on the word
            // if the claimant was preempted; the publication wakes it.
            let _ = self.sleep(Duration::MAX);
            // `Relaxed`: `sleep` acquired a value with `TERMINATE`, and by
            // read-read coherence this load returns it or a later one; it
            // only re-reads the kind's bits. (Every model passes with it.)
            self.word.load(Relaxed)
        };
        Reason::unpack(bits, self.read_code())
    }

    /// The code slot. Only after a value with `TERMINATE` was acquired.
    fn read_code(&self) -> u32 {
        self.code.with(|slot| {
            // SAFETY: the caller acquired `TERMINATE`, which the slot's one
            // writer set after writing it (`Release`); nothing writes it
            // again, so this read races with nothing.
            unsafe { *slot }
        })
    }

    /// Why terminate was requested: the first request's [`Reason`], or
    /// `None` if none was made yet. One `Acquire` load (and a read of the
    /// code slot once there is a request).
    ///
    /// A `Some` synchronises with the first request as a `check_terminate`
    /// that returns `true` does, so it is the first request's reason, the
    /// same for every reader.
    pub fn reason(&self) -> Option<Reason> {
        // `Acquire`: the code slot is read after it (`Relaxed`: loom's
        // `the_reason_seen_is_the_first_requests` reports a causality
        // violation on the slot).
        let bits = self.word.load(Acquire);
        if bits & TERMINATE == 0 {
            return None;
        }
        Some(Reason::unpack(bits, self.read_code()))
    }

    /// Sleeps for `timeout`, returning early as soon as terminate is
    /// requested. Spurious platform wake-ups are absorbed here.
    ///
    /// Meant for the worker itself, but any number of threads may sleep on
    /// one word at once.
    pub fn sleep(&self, timeout: Duration) -> Sleep {
        let deadline = Deadline::<P>::after(Some(timeout));
        // Every value of `cur` may end the sleep with `Terminated`, so every
        // read of it acquires: this load, the CAS's failure and the load
        // after the wait. (Each one `Relaxed`: loom's
        // `a_sleep_that_returns_terminated_sees_the_terminators_writes`
        // reports a causality violation.)
        let mut cur = self.word.load(Acquire);
        loop {
            if cur & TERMINATE != 0 {
                return Sleep::Terminated;
            }
            let remaining = deadline.remaining();
            if remaining == Some(Duration::ZERO) {
                return Sleep::Elapsed;
            }
            if cur & SLEEPER == 0 {
                // Announce the sleeper with an RMW that fails if TERMINATE
                // arrived meanwhile; pairs with `request_terminate`'s fetch_or.
                // Success: `Relaxed` would do (the value it read has no
                // `TERMINATE`, so there is nothing to acquire; what matters
                // is its place in the word's modification order, before the
                // request's RMW, which then sees `SLEEPER`); no model fails
                // with it. Failure: `Acquire`, see above.
                match self
                    .word
                    .compare_exchange(cur, cur | SLEEPER, Acquire, Acquire)
                {
                    Ok(_) => cur |= SLEEPER,
                    Err(actual) => {
                        cur = actual;
                        continue;
                    }
                }
            }
            P::wait(&self.word, cur, remaining);
            cur = self.word.load(Acquire);
        }
    }

    /// Sets [`JOINED`]: the OS thread of this word's worker was joined.
    /// `Relaxed`: it publishes nothing (the join itself orders everything
    /// the thread did), and its one reader, the handle's owner, comes after
    /// the setter's call returned.
    pub fn mark_joined(&self) {
        self.word.fetch_or(JOINED, Relaxed);
    }

    /// Has the routine returned?
    #[inline]
    pub fn is_exited(&self) -> bool {
        // `Acquire`: a `true` synchronises with the exit (the `clusworker`
        // handles settle on it before they park). (`Relaxed`: loom's
        // `an_is_exited_that_returns_true_sees_the_routines_writes` reports
        // a causality violation.)
        self.word.load(Acquire) & EXITED != 0
    }

    /// Waits until the routine has returned, for at most `timeout` (`None`:
    /// no limit). Any number of threads may wait at once.
    ///
    /// A waiter first spins briefly ([`Platform::SPIN_LIMIT`] rounds), then
    /// parks on the word ([`park_exited`](Self::park_exited)). `Ok` synchronises with the
    /// worker's exit: its result and everything it wrote before returning
    /// are visible. An embedder that waits its own way first (`clusworker`
    /// spins and yields before it parks) calls `park_exited` instead, so
    /// that two spin phases never run back to back.
    pub fn wait_exited(&self, timeout: Option<Duration>) -> Result<(), TimedOut> {
        if timeout == Some(Duration::ZERO) || P::SPIN_LIMIT == 0 {
            return self.park_exited(timeout);
        }
        // `Acquire`: an `Ok` from a load of the spin synchronises with the
        // exit. (`Relaxed`: loom's
        // `a_timed_wait_that_returns_ok_sees_the_routines_writes`, on a
        // platform with a spin phase, reports a causality violation.)
        if self.word.load(Acquire) & EXITED != 0 {
            return Ok(());
        }
        // The deadline starts before the spin, which counts against it.
        let deadline = Deadline::<P>::after(timeout);
        for spins in 0..P::SPIN_LIMIT {
            for _ in 0..(1u32 << spins.min(6)) {
                spin_loop();
            }
            if self.word.load(Acquire) & EXITED != 0 {
                return Ok(());
            }
        }
        self.park_exited(deadline.remaining())
    }

    /// Waits until the routine has returned, for at most `timeout` (`None`:
    /// no limit), parking on the word at once: [`wait_exited`](Self::wait_exited)
    /// without its spin phase, for a caller that has just spun or yielded
    /// itself. `Ok` synchronises with the worker's exit.
    pub fn park_exited(&self, timeout: Option<Duration>) -> Result<(), TimedOut> {
        // Every value of `cur` may end the wait with `Ok`, so every read of
        // it acquires: this load, the CAS's failure and the load after the
        // wait. (Each one `Relaxed`: loom's
        // `a_timed_wait_that_returns_ok_sees_the_routines_writes` reports a
        // causality violation.)
        let mut cur = self.word.load(Acquire);
        if cur & EXITED != 0 {
            return Ok(());
        }
        if timeout == Some(Duration::ZERO) {
            return Err(TimedOut);
        }
        let deadline = Deadline::<P>::after(timeout);
        loop {
            if cur & EXITED != 0 {
                return Ok(());
            }
            let remaining = deadline.remaining();
            if remaining == Some(Duration::ZERO) {
                return Err(TimedOut);
            }
            if cur & EXIT_WAITER == 0 {
                // Pairs with the worker's CAS of EXITED in `publish_exit`.
                // Success: `Relaxed` would do, as in `sleep` (no `EXITED` to
                // acquire; no model fails with it). Failure: `Acquire`.
                match self
                    .word
                    .compare_exchange(cur, cur | EXIT_WAITER, Acquire, Acquire)
                {
                    Ok(_) => cur |= EXIT_WAITER,
                    Err(actual) => {
                        cur = actual;
                        continue;
                    }
                }
            }
            P::wait(&self.word, cur, remaining);
            cur = self.word.load(Acquire);
        }
    }

    /// Wakes every thread parked on this word. They re-check what they wait
    /// for and park again if nothing changed, so this is never needed for
    /// correctness; a platform's timer (or a test) may use it.
    pub fn wake_all(&self) {
        P::wake_all(&self.word);
    }

    /// Sets `bits` with one RMW of ordering `order` and returns the
    /// previous value. Each caller names (and argues) its own ordering.
    #[inline]
    pub(crate) fn fetch_or(&self, bits: u32, order: Ordering) -> u32 {
        self.word.fetch_or(bits, order)
    }

    /// Publishes the exit: sets `EXITED` (`Release`, after the result was
    /// written), wakes the exit waiters, and sets `COMPLETED` once it
    /// touches the storage no more. `guess` is a recent value of the word.
    /// Returns the bits before the RMW that set `COMPLETED`.
    ///
    /// When nobody waits (no `EXIT_WAITER`, no `ASYNC_WAITER`), there is
    /// nothing to wake and `EXITED | COMPLETED` are set by one CAS: the
    /// common exit costs one RMW, as it did before `COMPLETED` existed. A
    /// waiter that announces itself later finds `EXITED` and does not
    /// wait. Otherwise `EXITED` is set first (the waiters need it to
    /// return), the waiters are woken, and a second RMW sets `COMPLETED`.
    pub(crate) fn publish_exit(&self, guess: u32) -> u32 {
        const WAITERS: u32 = EXIT_WAITER | ASYNC_WAITER;
        let mut cur = guess;
        // `AcqRel` on success: releases the result (and the routine's
        // writes) to every reader of `EXITED` (`Acquire` alone: loom's
        // `result_published_and_taken_exactly_once` and
        // `a_handle_that_lets_go_first_…` report causality violations);
        // acquires a `release` that came first, for the free when this CAS
        // sets `COMPLETED` (`Release` alone: loom's
        // `a_handle_that_lets_go_first_is_ordered_before_the_writers_free`
        // reports the handle's last use racing the free). Failure:
        // `Relaxed`, the weakest: the value is only a new guess, and the
        // CAS that succeeds carries the orderings.
        let old = loop {
            let done = if cur & WAITERS == 0 { COMPLETED } else { 0 };
            match self
                .word
                .compare_exchange(cur, cur | EXITED | done, AcqRel, Relaxed)
            {
                Ok(old) => break old,
                Err(actual) => cur = actual,
            }
        };
        if old & WAITERS == 0 {
            return old;
        }
        if old & EXIT_WAITER != 0 {
            P::wake_all(&self.word);
        }
        if old & ASYNC_WAITER != 0 {
            self.waiters.wake(EXITED);
        }
        // The wake-ups are done: from here on the writer touches the
        // storage no more. `AcqRel`: releases every access above to a
        // `release` that sees `COMPLETED` and frees; acquires a `release`
        // that came first, so that the writer's free comes after the
        // handle's last use. (Either half dropped: loom's
        // `a_handle_that_saw_the_exit_frees_only_after_the_exits_wake_ups`
        // reports a use racing the free.)
        self.word.fetch_or(COMPLETED, AcqRel)
    }

    /// The list of async waiters, for [`Until`](crate::Until).
    #[inline]
    pub(crate) fn waiters(&self) -> &Waiters<P> {
        &self.waiters
    }
}
