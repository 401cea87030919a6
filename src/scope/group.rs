//! A scope's bookkeeping, [`Group`]: its members, whether (and why) it was
//! terminated, and how it ends (every thread joined, then every block
//! freed).
//!
//! # The protocol
//!
//! One mutex guards the list and the reason; no user code runs under it.
//! A terminate request and a new member meet under it, so neither can miss
//! the other:
//!
//! - [`terminate`](Group::terminate) sets the reason (the first call only;
//!   a later one learns it and does nothing), then walks the list *one
//!   index per critical section*, requesting each member outside the lock
//!   (a member's own callbacks may request this scope again, or spawn);
//! - [`add`](Group::add) pushes the member and reads the reason in the
//!   same critical section: if it is set, the walk may have ended before
//!   the push, so `add` requests the member itself. Either the walk sees
//!   the member or `add` sees the reason: a member is never missed. Both
//!   may request it: the word counts the first request only.
//!
//! A member started in a terminated scope also requests itself before its
//! routine runs ([`enter`](Group::enter)): `add` comes after the thread
//! started, maybe after the routine's first check.
//!
//! The member whose failure terminated the scope is not requested (it is
//! already ending; its `reason()` stays `None`): the walk and `add` skip
//! it by its word.
//!
//! Words stay valid for the walk, without the lock, because blocks are
//! freed only by [`finish`](Group::finish), after [`join_all`](Group::join_all)
//! joined every member's thread and the scope's owner made sure nothing
//! else can request (the body returned; a parent's callback was removed):
//! every walk has ended by then. The loom models of `verification/tests/loom_scope.rs`
//! check this protocol (a copy of it, on loom's mutex and the core's word).

use std::any::Any;
use std::ptr::NonNull;
use std::sync::{Mutex, MutexGuard, PoisonError};

use clusworker_core::{Reason, Request, WorkerWord};

use crate::packet::Header;
use crate::quiet::drop_quietly;
use crate::sys::{Park, Thread};
use crate::wait;

/// The members and the reason; see the [module docs](self).
#[derive(Debug, Default)]
pub(super) struct Group {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// In spawn order; only appended to until [`Group::finish`].
    members: Vec<Member>,
    /// Why the scope was terminated, once it was.
    reason: Option<Reason>,
    /// The member whose failure terminated the scope.
    failed: Option<NonNull<WorkerWord<Park>>>,
}

/// One member: its block (type-erased) and its thread until joined.
#[derive(Debug)]
pub(super) struct Member {
    word: NonNull<WorkerWord<Park>>,
    block: NonNull<()>,
    /// `finish_block::<T>`.
    finish: unsafe fn(NonNull<()>, bool) -> Option<Box<dyn Any + Send>>,
    thread: Option<Thread>,
    /// `pthread_join` failed (it cannot, short of a bug): the thread may
    /// still touch the block after the exit, so the block is leaked (its
    /// result taken out all the same).
    leak: bool,
    /// The thread of `Scope::terminate_at`: joined after every other
    /// member, once requested (it sleeps until its deadline).
    clock: bool,
}

// SAFETY: the pointers name worker blocks whose shared parts (the word,
// the cell) are `Sync`, and which only `finish` frees, once; a thread
// handle may be joined from any thread; `T: Send` was required to spawn.
unsafe impl Send for Inner {}

impl Member {
    /// The member of a block and thread that `Builder::spawn_unchecked`
    /// made.
    pub(super) fn new<T: Send>(header: NonNull<Header<T>>, thread: Thread, clock: bool) -> Member {
        // SAFETY: the block is alive: only `finish` frees it.
        let word = NonNull::from(unsafe { header.as_ref() }.cell.word());
        Member {
            word,
            block: header.cast(),
            finish: finish_block::<T>,
            thread: Some(thread),
            leak: false,
            clock,
        }
    }
}

/// Takes an un-joined result out of the block, then frees it (if `free`):
/// the panic's payload is returned, a value is dropped (quietly: see
/// `quiet`). Whoever frees the block later (a deadline's timer holding a
/// share, see `deadline`) finds no `T` in it: a `T` that borrows is never
/// dropped after the scope.
///
/// # Safety
///
/// `block` is a `Header<T>` made by `spawn_unchecked`, whose routine has
/// exited and which nothing else uses but, when `free` is false, its
/// thread's last steps; with `free`, its thread was joined. Called once.
unsafe fn finish_block<T>(block: NonNull<()>, free: bool) -> Option<Box<dyn Any + Send>> {
    let header = block.cast::<Header<T>>();
    // SAFETY: alive until the free below (caller's contract).
    let payload = match unsafe { header.as_ref() }.cell.take() {
        Ok(Err(payload)) => Some(payload),
        Ok(Ok(value)) => {
            let _ = drop_quietly(value);
            None
        }
        // Joined through its handle: nothing left.
        Err(_) => None,
    };
    if free {
        // SAFETY: the thread was joined and nobody else uses the block
        // (caller's contract): this is its one free.
        unsafe { Header::free(header) };
    }
    payload
}

impl Group {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Nothing panics under the lock (a push aborts, not unwinds, when
        // out of memory), so a poisoned lock still holds a sound list.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A member's first step, on its thread, before its routine: if the
    /// scope was terminated before the member started, the member is
    /// requested now, so that its routine starts terminated (the request
    /// of [`add`](Self::add) may come later than the routine's first
    /// check).
    pub(super) fn enter(&self, word: &WorkerWord<Park>) {
        let reason = self.lock().reason;
        if let Some(reason) = reason {
            let _ = word.request_terminate_with(reason);
        }
    }

    /// Adds a started member; requests it at once if the scope was
    /// terminated (unless it is the member that failed).
    pub(super) fn add(&self, member: Member) {
        let word = member.word;
        let reason = {
            let mut inner = self.lock();
            inner.members.push(member);
            inner.reason.filter(|_| inner.failed != Some(word))
        };
        if let Some(reason) = reason {
            // SAFETY: the block lives until `finish` (module docs).
            let _ = unsafe { word.as_ref() }.request_terminate_with(reason);
        }
    }

    /// Terminates the scope: the first call records `reason` (and the
    /// failed member, if any) and requests every member but that one;
    /// later calls return the first reason and do nothing.
    pub(super) fn terminate(
        &self,
        reason: Reason,
        failed: Option<NonNull<WorkerWord<Park>>>,
    ) -> Request {
        {
            let mut inner = self.lock();
            if let Some(first) = inner.reason {
                return Request::AlreadyRequested(first);
            }
            inner.reason = Some(reason);
            inner.failed = failed;
        }
        let mut i = 0;
        loop {
            // Its own statement: the guard is dropped before the request
            // (a `while let` would hold it through the body).
            let next = self.lock().members.get(i).map(|m| m.word);
            let Some(word) = next else { break };
            i += 1;
            if Some(word) != failed {
                // SAFETY: the block lives until `finish` (module docs).
                let _ = unsafe { word.as_ref() }.request_terminate_with(reason);
            }
        }
        Request::First
    }

    /// The reason the scope was terminated for, if it was.
    pub(super) fn reason(&self) -> Option<Reason> {
        self.lock().reason
    }

    /// How many workers were spawned in the scope.
    pub(super) fn len(&self) -> usize {
        self.lock().members.len()
    }

    /// Joins every member's thread, in spawn order, members spawned
    /// meanwhile included (a member can only spawn while it runs, so it is
    /// met before its end); the clocks last, once the others are joined and
    /// the clocks requested (a deadline counts until every other member
    /// ended). Cannot unwind.
    pub(super) fn join_all(&self) {
        self.join_pass(false);
        let mut i = 0;
        loop {
            let next = self.lock().members.get(i).map(|m| (m.word, m.clock));
            let Some((word, clock)) = next else { break };
            if clock {
                // SAFETY: the block lives until `finish` (module docs).
                let _ = unsafe { word.as_ref() }.request_terminate();
            }
            i += 1;
        }
        self.join_pass(true);
    }

    /// Joins the members that are clocks (or are not).
    fn join_pass(&self, clocks: bool) {
        let mut i = 0;
        loop {
            let (thread, word) = {
                let mut inner = self.lock();
                let Some(m) = inner.members.get_mut(i) else {
                    return;
                };
                if m.clock != clocks {
                    i += 1;
                    continue;
                }
                (m.thread.take(), m.word)
            };
            if let Some(thread) = thread {
                if thread.join().is_err() {
                    // SAFETY: the block lives until `finish`.
                    let word = unsafe { word.as_ref() };
                    // The routine's borrows end with its exit; the
                    // thread's last touches of the block are unknown.
                    let _ = wait::wait_exited(word, None);
                    self.lock().members[i].leak = true;
                }
            }
            i += 1;
        }
    }

    /// After [`join_all`](Self::join_all), once nothing can request any
    /// more: frees every block (dropping un-joined values), and returns the
    /// payload of an un-joined panic to re-raise: the failed member's if it
    /// is one, otherwise the first in spawn order. Other payloads are
    /// dropped (the panic hook reported each).
    pub(super) fn finish(&self) -> Option<Box<dyn Any + Send>> {
        let (members, failed) = {
            let mut inner = self.lock();
            (std::mem::take(&mut inner.members), inner.failed)
        };
        let mut first: Option<Box<dyn Any + Send>> = None;
        for m in members {
            // SAFETY: exited, and joined by `join_all` unless `leak`;
            // nobody else uses it; the list held it once: its one `finish`.
            let Some(payload) = (unsafe { (m.finish)(m.block, !m.leak) }) else {
                continue;
            };
            match first {
                Some(earlier) if Some(m.word) == failed => {
                    let _ = drop_quietly(earlier);
                    first = Some(payload);
                }
                Some(_) => {
                    let _ = drop_quietly(payload);
                }
                None => first = Some(payload),
            }
        }
        first
    }
}
