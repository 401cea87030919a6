//! Deliberately broken copies of the worker-word protocol, to show that the
//! loom models have teeth: each mutant differs from `clusworker-core` in one
//! known-bad way, and a model must fail on it (`tests/loom_mutants.rs`).
//!
//! The models in [`crate::models`] are generic over [`Protocol`], which both
//! the shipped `WorkerCell<Loom, u32>` and every [`Mutant`] implement, so the
//! very model that passes on the real code is the one that fails here.

use core::time::Duration;

use clusworker_core::word::{
    ASYNC_WAITER, COMPLETED, COMPLETING, EXIT_WAITER, EXITED, RELEASED, SLEEPER, TERMINATE,
};
use clusworker_core::{AtomicWord, Last, Platform, Request, Sleep, SlotCell, WorkerCell};
use loom::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

use crate::loom_platform::{Loom, LoomCell, LoomWord};

/// The operations the generic models use.
pub trait Protocol: Send + Sync + 'static {
    /// A running worker.
    fn new() -> Self;
    /// Request terminate.
    fn request_terminate(&self) -> Request;
    /// Has terminate been requested? (The routine's poll.)
    fn check_terminate(&self) -> bool;
    /// Interruptible sleep.
    fn sleep(&self, timeout: Duration) -> Sleep;
    /// The worker stores its result and publishes the exit.
    fn complete(&self, value: u32);
    /// Waits, without limit, for the exit.
    fn wait_exited(&self);
    /// Takes the result after the exit.
    fn take(&self) -> Option<u32>;
    /// The worker of a detached handle: stores its result, publishes the
    /// exit, and says whether it must free the storage (the handle let go
    /// first).
    fn complete_last(&self, value: u32) -> bool;
    /// The handle lets go (`detach`), and says whether it must free the
    /// storage (the worker is done with it).
    fn release(&self) -> bool;
}

impl<P: Platform<Word = LoomWord>> Protocol for WorkerCell<P, u32> {
    fn new() -> Self {
        WorkerCell::new()
    }
    fn request_terminate(&self) -> Request {
        self.word().request_terminate()
    }
    fn check_terminate(&self) -> bool {
        self.word().check_terminate()
    }
    fn sleep(&self, timeout: Duration) -> Sleep {
        self.word().sleep(timeout)
    }
    fn complete(&self, value: u32) {
        assert!(WorkerCell::complete(self, value).is_ok(), "completed twice");
    }
    fn wait_exited(&self) {
        assert!(self.word().wait_exited(None).is_ok());
    }
    fn take(&self) -> Option<u32> {
        WorkerCell::take(self).ok()
    }
    fn complete_last(&self, value: u32) -> bool {
        WorkerCell::complete(self, value) == Ok(Last::Yes)
    }
    fn release(&self) -> bool {
        WorkerCell::release(self) == Last::Yes
    }
}

/// Which bug a [`Mutant`] carries.
pub mod bug {
    /// `request_terminate` loads, then stores `TERMINATE` (no RMW): two
    /// terminators can both be first, and a sleeper bit can be overwritten.
    pub const CHECK_THEN_STORE: u8 = 1;
    /// The exit is published with a `Relaxed` RMW: the result slot's write
    /// no longer happens-before the claimant's read.
    pub const RELAXED_PUBLISH: u8 = 2;
    /// `sleep` registers as a sleeper, then blocks without re-checking the
    /// word (a wait that does not compare): a wake-up in between is lost.
    pub const SLEEP_WITHOUT_RECHECK: u8 = 3;
    /// Whoever sees `EXITED` decides who frees (the rule before
    /// `COMPLETED`): a handle that detaches after the exit frees the
    /// storage while the worker may still be waking the exit's waiters
    /// through it.
    pub const FREE_ON_EXITED: u8 = 4;
    /// `check_terminate` loads with `Relaxed` instead of `Acquire`: a
    /// `true` no longer synchronises with the request, so what the
    /// terminator wrote before it may be unseen by the routine.
    pub const RELAXED_CHECK_TERMINATE: u8 = 5;
    /// The exit's CAS (the one that sets `EXITED`, and `COMPLETED` with it
    /// when nobody waits) is `Release` on success instead of `AcqRel`: when
    /// the handle let go first, the writer frees the storage on this CAS
    /// without acquiring the handle's `release`, so the handle's last uses
    /// are not ordered before the free.
    pub const RELEASE_ONLY_EXIT_CAS: u8 = 6;
    /// The sleeper's CAS in `sleep` is `Relaxed` on failure instead of
    /// `Acquire`: a sleep that finds `TERMINATE` through its failed CAS
    /// returns `Terminated` from a value it read without acquiring it.
    pub const RELAXED_SLEEPER_CAS_FAILURE: u8 = 7;
}

/// A copy of the core protocol with bug `B` (see [`bug`]).
#[derive(Debug)]
pub struct Mutant<const B: u8> {
    word: LoomWord,
    slot: LoomCell<Option<u32>>,
}

// SAFETY: the slot is a loom cell: the (possibly broken) protocol is what
// should serialise its accesses, and loom reports every access that races,
// which is the point of a mutant. Only used inside loom models.
unsafe impl<const B: u8> Sync for Mutant<B> {}

impl<const B: u8> Mutant<B> {
    /// `WorkerCell::complete` and `WorkerWord::publish_exit`: claims the
    /// writer's role, stores the result, sets `EXITED` (and `COMPLETED`
    /// with it when nobody waits) with one CAS, wakes the waiters and then
    /// sets `COMPLETED`. Returns the bits before the RMW that set
    /// `COMPLETED` (with [`bug::FREE_ON_EXITED`]: before the one that set
    /// `EXITED`).
    fn exit(&self, value: u32) -> u32 {
        const WAITERS: u32 = EXIT_WAITER | ASYNC_WAITER;
        let claimed = self.word.fetch_or(COMPLETING, AcqRel);
        assert_eq!(claimed & COMPLETING, 0, "completed twice");
        self.slot.with_mut(|p| {
            // SAFETY: `p` is loom's pointer to the slot, valid in the closure;
            // loom reports the access if it races.
            unsafe { *p = Some(value) }
        });
        let success = match B {
            bug::RELAXED_PUBLISH => Relaxed,
            bug::RELEASE_ONLY_EXIT_CAS => Release,
            _ => AcqRel,
        };
        let mut cur = claimed | COMPLETING;
        let old = loop {
            let done = if cur & WAITERS == 0 { COMPLETED } else { 0 };
            match self
                .word
                .compare_exchange(cur, cur | EXITED | done, success, Relaxed)
            {
                Ok(old) => break old,
                Err(actual) => cur = actual,
            }
        };
        if old & WAITERS == 0 {
            return old;
        }
        if old & EXIT_WAITER != 0 {
            Loom::wake_all(&self.word);
        }
        if B == bug::FREE_ON_EXITED {
            return old;
        }
        self.word.fetch_or(COMPLETED, AcqRel)
    }
}

impl<const B: u8> Protocol for Mutant<B> {
    fn new() -> Self {
        Mutant {
            word: LoomWord::new(0),
            slot: LoomCell::new(None),
        }
    }

    fn request_terminate(&self) -> Request {
        if B != bug::CHECK_THEN_STORE && self.word.load(Acquire) & TERMINATE != 0 {
            return Request::AlreadyRequested(clusworker_core::Reason::Requested);
        }
        let old = if B == bug::CHECK_THEN_STORE {
            let old = self.word.load(Acquire);
            if old & TERMINATE == 0 {
                self.word.store(old | TERMINATE, Release);
            }
            old
        } else {
            self.word.fetch_or(TERMINATE, AcqRel)
        };
        if old & TERMINATE != 0 {
            return Request::AlreadyRequested(clusworker_core::Reason::Requested);
        }
        if old & SLEEPER != 0 {
            Loom::wake_all(&self.word);
        }
        if old & EXITED != 0 {
            Request::AlreadyExited
        } else {
            Request::First
        }
    }

    fn check_terminate(&self) -> bool {
        let order = if B == bug::RELAXED_CHECK_TERMINATE {
            Relaxed
        } else {
            Acquire
        };
        self.word.load(order) & TERMINATE != 0
    }

    fn sleep(&self, _timeout: Duration) -> Sleep {
        // Time never passes in these models: sleep until terminate.
        let mut cur = self.word.load(Acquire);
        loop {
            if cur & TERMINATE != 0 {
                return Sleep::Terminated;
            }
            if B == bug::SLEEP_WITHOUT_RECHECK {
                self.word.fetch_or(SLEEPER, AcqRel);
                self.word.wait_unchecked();
            } else {
                let failure = if B == bug::RELAXED_SLEEPER_CAS_FAILURE {
                    Relaxed
                } else {
                    Acquire
                };
                match self
                    .word
                    .compare_exchange(cur, cur | SLEEPER, Acquire, failure)
                {
                    Ok(_) => Loom::wait(&self.word, cur | SLEEPER, None),
                    Err(actual) => {
                        cur = actual;
                        continue;
                    }
                }
            }
            cur = self.word.load(Acquire);
        }
    }

    fn complete(&self, value: u32) {
        self.exit(value);
    }

    fn complete_last(&self, value: u32) -> bool {
        self.exit(value) & RELEASED != 0
    }

    fn release(&self) -> bool {
        let old = self.word.fetch_or(RELEASED, AcqRel);
        let done = if B == bug::FREE_ON_EXITED {
            EXITED
        } else {
            COMPLETED
        };
        old & RELEASED == 0 && old & done != 0
    }

    fn wait_exited(&self) {
        let mut cur = self.word.load(Acquire);
        while cur & EXITED == 0 {
            let with = cur | EXIT_WAITER;
            if self
                .word
                .compare_exchange(cur, with, Acquire, Acquire)
                .is_ok()
            {
                Loom::wait(&self.word, with, None);
            }
            cur = self.word.load(Acquire);
        }
    }

    fn take(&self) -> Option<u32> {
        if self.word.load(Acquire) & EXITED == 0 {
            return None;
        }
        self.slot.with_mut(|p| {
            // SAFETY: as in `complete`.
            unsafe { (*p).take() }
        })
    }
}

/// The operations the generic async model uses.
pub trait AsyncProtocol: Send + Sync + 'static {
    /// A running worker.
    fn new() -> Self;
    /// Request terminate, waking the futures that wait for it.
    fn request_terminate(&self);
    /// Awaits the request in a future, under loom's `block_on`.
    fn await_terminated(&self);
    /// Drops what the model left behind (loom counts every waker).
    fn finish(&self) {}
}

impl AsyncProtocol for WorkerCell<Loom, u32> {
    fn new() -> Self {
        WorkerCell::new()
    }
    fn request_terminate(&self) {
        let _ = self.word().request_terminate();
    }
    fn await_terminated(&self) {
        loom::future::block_on(self.word().terminated());
    }
}

/// Which bug an [`AsyncMutant`] carries.
pub mod async_bug {
    /// The future announces itself (`ASYNC_WAITER`) and checks the bit
    /// before it links its waker: a request in between drains a list that
    /// does not hold it yet.
    pub const ANNOUNCE_BEFORE_LINK: u8 = 1;
    /// The request reads `ASYNC_WAITER` with a load before its `fetch_or`:
    /// a future that announces itself in between is never woken.
    pub const SETTER_LOADS_FIRST: u8 = 2;
}

/// A copy of the async protocol (the core's `Until` and the setter's
/// drain) with bug `B` (see [`async_bug`]). The intrusive list is a loom
/// `Mutex<Vec<Waker>>` here: the bugs are in the order of the word's RMWs
/// and the list's lock, which this copy keeps.
#[derive(Debug)]
pub struct AsyncMutant<const B: u8> {
    word: loom::sync::atomic::AtomicU32,
    list: loom::sync::Mutex<Vec<core::task::Waker>>,
}

impl<const B: u8> AsyncMutant<B> {
    fn poll(&self, cx: &mut core::task::Context<'_>) -> core::task::Poll<()> {
        use clusworker_core::word::ASYNC_WAITER;
        use core::task::Poll;
        if self.word.load(Acquire) & TERMINATE != 0 {
            return Poll::Ready(());
        }
        if B == async_bug::ANNOUNCE_BEFORE_LINK {
            if self.word.fetch_or(ASYNC_WAITER, AcqRel) & TERMINATE != 0 {
                return Poll::Ready(());
            }
            self.list.lock().unwrap().push(cx.waker().clone());
            return Poll::Pending;
        }
        let mut list = self.list.lock().unwrap();
        list.push(cx.waker().clone());
        let old = self.word.fetch_or(ASYNC_WAITER, AcqRel);
        drop(list);
        if old & TERMINATE != 0 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl<const B: u8> AsyncProtocol for AsyncMutant<B> {
    fn new() -> Self {
        AsyncMutant {
            word: loom::sync::atomic::AtomicU32::new(0),
            list: loom::sync::Mutex::new(Vec::new()),
        }
    }

    fn request_terminate(&self) {
        use clusworker_core::word::ASYNC_WAITER;
        let had_waiters = if B == async_bug::SETTER_LOADS_FIRST {
            let had = self.word.load(Acquire) & ASYNC_WAITER != 0;
            self.word.fetch_or(TERMINATE, AcqRel);
            had
        } else {
            self.word.fetch_or(TERMINATE, AcqRel) & ASYNC_WAITER != 0
        };
        if had_waiters {
            let wakers = core::mem::take(&mut *self.list.lock().unwrap());
            for waker in wakers {
                waker.wake();
            }
        }
    }

    fn await_terminated(&self) {
        loom::future::block_on(core::future::poll_fn(|cx| self.poll(cx)));
    }

    fn finish(&self) {
        // A waker a future linked and then found the bit set (the real
        // `Until` takes its node out on drop; this copy has no drop).
        self.list.lock().unwrap().clear();
    }
}
