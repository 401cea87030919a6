//! Deadlines on the worker itself (.NET's `CancelAfter`, Go's
//! `context.WithDeadline`): a worker spawned with
//! [`Builder::deadline`](crate::Builder::deadline) or
//! [`Builder::timeout`](crate::Builder::timeout) is terminated with
//! [`Reason::DeadlinePassed`](crate::Reason::DeadlinePassed) when its
//! deadline passes, by the process's one timer thread (`timer`), even if
//! its routine only ever calls `check_terminate`.
//!
//! # Nothing for a worker without one
//!
//! The block's deadline part is a type parameter of the packet, [`Hold`]:
//! `()` for a worker without a deadline, whose three methods are empty and
//! inlined away (no field, no branch, no lock on spawn, exit or free), and
//! [`Armed`] for one with a deadline. The timer thread starts with the
//! first worker that has one, and lives for the process.
//!
//! # Who frees a block with a deadline
//!
//! The timer's entry points into the block (to request terminate through
//! the word), so while the entry exists the block must. The block has two
//! *shares*: the owners' (the handle and the thread, who decide between
//! them as `WorkerCell::release` says) and the timer's. Whoever lets go
//! second frees the block ([`timer::Shares`]). The timer's share is given
//! when the routine's thread arms the deadline, before the routine, and
//! dropped by whichever of these comes first:
//!
//! - the timer fires: it takes the entry out (under its lock), requests
//!   terminate, and lets go (it may then be last, and free the block);
//! - the routine returns first: its thread takes the entry out (under the
//!   same lock) before it publishes the exit, and lets go on the timer's
//!   behalf. So an entry never outlives its routine, and never keeps an
//!   exited worker's block alive until its deadline;
//! - the deadline has passed already when it is armed (given in the past,
//!   or a pool job that waited in the queue): the arming thread fires it
//!   itself, before the routine, whose first check then sees it, and lets
//!   go; the entry never enters the timer.
//!
//! Exactly one of the two finds the entry (the lock decides), so the
//! timer's share is dropped once. Neither waits for the other: a routine
//! whose deadline fires while it returns exits at once, and the timer
//! frees the block after its request if the owners had let go meanwhile.
//! The owners drop the routine's result before they let go, so the timer's
//! free runs no user code.
//!
//! A pool job's block is an `Arc` ([`JobDeadline`]): the timer's share is
//! a reference of the job's own, dropped by the same rule. Its last drop
//! may then be the timer's, which drops a detached job's result there
//! (quietly, as the pool does), as it runs callbacks and wakers already.

mod timer;

use std::io;
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use clusworker_core::WorkerWord;

use crate::context::Context;
use crate::sys::Park;

use self::timer::Shares;

/// A builder's deadline, resolved when the worker is spawned.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Limit {
    /// At this instant.
    At(Instant),
    /// This long after the spawn.
    After(Duration),
}

/// The deadline part of a worker's block: `()` without a deadline,
/// [`Armed`] with one (see the module docs).
pub(crate) trait Hold: Send + Sync {
    /// On the worker's thread, before its routine: enters the deadline in
    /// the timer, giving it the block's second share.
    ///
    /// # Safety
    ///
    /// `self` and `word` are in the block `block`; `free(block)` frees that
    /// block and runs no user code; the block is freed only through
    /// [`let_go`](Self::let_go) (or `free`, called by the timer when
    /// `let_go` said the timer is last). Called once.
    unsafe fn arm(&self, word: &WorkerWord<Park>, block: NonNull<()>, free: unsafe fn(NonNull<()>));

    /// On the worker's thread, after its routine returned and before the
    /// exit is published: takes the entry out of the timer, unless the
    /// timer has taken it already.
    fn disarm(&self, word: &WorkerWord<Park>);

    /// The owners let go of the block: `true` if it may be freed now,
    /// `false` if the timer frees it later.
    fn let_go(&self) -> bool;
}

impl Hold for () {
    #[inline(always)]
    unsafe fn arm(&self, _: &WorkerWord<Park>, _: NonNull<()>, _: unsafe fn(NonNull<()>)) {}

    #[inline(always)]
    fn disarm(&self, _: &WorkerWord<Park>) {}

    #[inline(always)]
    fn let_go(&self) -> bool {
        true
    }
}

/// The deadline part of a block with a deadline: the instant, and the
/// block's two shares.
#[derive(Debug)]
pub(crate) struct Armed {
    at: Instant,
    shares: Shares,
}

impl Hold for Armed {
    unsafe fn arm(
        &self,
        word: &WorkerWord<Park>,
        block: NonNull<()>,
        free: unsafe fn(NonNull<()>),
    ) {
        // SAFETY: our caller's contract: the word and the shares live in
        // `block`, which only the last of the two shares frees.
        unsafe { timer::arm(self.at, word, &self.shares, block, free) }
    }

    fn disarm(&self, word: &WorkerWord<Park>) {
        if timer::disarm(self.at, word) {
            // The timer's share, dropped on its behalf: the owners still
            // hold theirs (the exit is not published yet), so never last.
            let last = self.shares.let_go();
            debug_assert!(!last, "the owners let go before the exit");
        }
    }

    fn let_go(&self) -> bool {
        self.shares.let_go()
    }
}

/// The deadline of a worker about to be spawned with `limit`, or `None`
/// (also for a timeout too large for the clock: it never passes). Starts
/// the timer thread with the first deadline.
///
/// # Errors
///
/// The OS refused the timer thread (only ever asked for by the first
/// worker with a deadline, and again after such a refusal).
pub(crate) fn resolve(limit: Option<Limit>) -> io::Result<Option<Armed>> {
    let at = match limit {
        None => return Ok(None),
        Some(Limit::At(at)) => at,
        Some(Limit::After(timeout)) => match Instant::now().checked_add(timeout) {
            Some(at) => at,
            None => return Ok(None),
        },
    };
    timer::start()?;
    Ok(Some(Armed {
        at,
        shares: Shares::new(),
    }))
}

/// A pool job's deadline ([`Pool::spawn_with_deadline`]): its instant,
/// and the shares of a block that the job's `Arc` counts. The timer's
/// share is a reference of the job's own: given when the pool thread arms
/// the deadline, before the routine, and dropped by whichever of the timer
/// (when it fires) and the pool thread (when the routine returned first,
/// before the exit is published) takes the entry out, as for a worker.
///
/// [`Pool::spawn_with_deadline`]: crate::pool::Pool::spawn_with_deadline
#[derive(Debug)]
pub(crate) struct JobDeadline {
    at: Instant,
    shares: Shares,
}

impl JobDeadline {
    /// The deadline of a pool job spawned now with `limit`, or `None` (a
    /// timeout too large for the clock never passes). Starts the timer
    /// thread with the first deadline.
    ///
    /// # Errors
    ///
    /// As [`resolve`].
    pub(crate) fn new(limit: Limit) -> io::Result<Option<JobDeadline>> {
        Ok(resolve(Some(limit))?.map(|armed| JobDeadline {
            at: armed.at,
            shares: Shares::counted(),
        }))
    }

    /// On the pool thread, before the routine: enters the deadline, with
    /// the timer's reference `block`.
    ///
    /// # Safety
    ///
    /// `self` and `word` live in the job that `block` is a reference of
    /// (one the caller gives up: `free(block)` drops it, and runs no user
    /// code but the job's own quiet drop); called once per job, and
    /// [`disarm`](Self::disarm)ed before the exit is published.
    pub(crate) unsafe fn arm(
        &self,
        word: &WorkerWord<Park>,
        block: NonNull<()>,
        free: unsafe fn(NonNull<()>),
    ) {
        // SAFETY: our caller's contract; the timer's `let_go` on counted
        // shares always frees, which drops its reference only.
        unsafe { timer::arm(self.at, word, &self.shares, block, free) }
    }

    /// On the pool thread, after the routine returned and before the exit
    /// is published: `true` if the entry was still there, and the caller
    /// now drops the timer's reference; `false` if the timer took it.
    pub(crate) fn disarm(&self, word: &WorkerWord<Park>) -> bool {
        timer::disarm(self.at, word)
    }
}

impl Context {
    /// The worker's deadline, if it was spawned with one
    /// ([`Builder::deadline`](crate::Builder::deadline),
    /// [`Builder::timeout`](crate::Builder::timeout)): when it is
    /// terminated with [`Reason::DeadlinePassed`](crate::Reason::DeadlinePassed)
    /// (Go's `ctx.Deadline()`), or a pool's job spawned with one
    /// ([`Pool::spawn_with_deadline`](crate::pool::Pool::spawn_with_deadline)).
    /// `None` for the others. Still there once the deadline has passed.
    ///
    /// One lock of the process's timer, for a worker with a deadline; one
    /// load for the others while no worker ever had one.
    ///
    /// # Examples
    ///
    /// A routine that plans its last step by its deadline:
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use clusworker::{Builder, Worker};
    /// let at = Instant::now() + Duration::from_secs(3600);
    /// let worker = Builder::new().deadline(at).spawn(move |ctx| ctx.deadline())?;
    /// assert_eq!(worker.join().unwrap(), Some(at));
    /// let plain = Worker::spawn(|ctx| ctx.deadline())?;
    /// assert_eq!(plain.join().unwrap(), None);
    /// # Ok::<(), clusworker::SpawnError>(())
    /// ```
    #[doc(alias = "Deadline")]
    pub fn deadline(&self) -> Option<Instant> {
        timer::deadline_of(self.word())
    }
}
