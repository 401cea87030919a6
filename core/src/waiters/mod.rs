//! The async waiters of a worker word: any number of tasks awaiting a
//! terminate request or the exit, without blocking a thread and without
//! allocating.
//!
//! Each waiting future carries its own [`Node`] (a waker and two links), and
//! a pending poll links that node into an intrusive, doubly linked list whose
//! head lives beside the worker word. The setter of a bit (the terminate
//! request, the exit) unlinks the nodes waiting for it and wakes their
//! wakers. This is the design of tokio's `Notify` and of `event-listener`:
//! the memory for the wait is the future's own, so a wait costs no
//! allocation and the number of waiters has no limit.
//!
//! # The lock
//!
//! The list and every node in it are touched only under a small lock, the
//! [`lock`](crate::lock) module's: one more [`AtomicWord`] beside the worker
//! word.
//!
//! Critical sections run no user code except `Waker::clone` and a
//! callback's [`CallbackHooks::thread`] (the embedder's: a thread-local's
//! address): wakers are dropped and woken, and callbacks run, after the
//! lock is released.
//!
//! A node may also be a callback's ([`OnTerminate`](crate::OnTerminate),
//! the `callback` module): the setter unlinks it, marks it running on its
//! thread, runs it with the lock released, and marks it done under the
//! lock again; one callback at a time, after the batch of wakers before
//! it. Acquire with `Acquire`,
//! release with `Release`: the lock orders every use of the list and nodes.
//!
//! A waker whose `wake` panics unwinds out of the setter (the request or the
//! exit, whose bit is set by then), as it would out of any wake-up; but
//! first, while it unwinds, the setter wakes every other waiter for its bit
//! (the rest of the batch and of the list: `WakeRest`), so no other future
//! is left unwoken. If the setter was the exit, `complete` then never sets
//! `COMPLETED`: the storage is never freed (a leak, never a use after
//! free); clusworker's worker and pool threads catch the panic there.
//! Wakers of the usual executors do not panic.
//!
//! # Why a node cannot dangle
//!
//! A node lives inside a `!Unpin` future ([`Until`](crate::Until)); it is
//! linked only from `poll`, which takes `Pin<&mut Self>`, so it does not move
//! while linked; and the future's `Drop` unlinks it under the lock before
//! the memory goes. The setter takes a node's waker out and unlinks the node
//! under the lock, and wakes the waker after releasing it, so it never
//! touches a node that may be gone.

use core::cell::Cell;
use core::marker::PhantomPinned;
use core::ptr;
use core::sync::atomic::Ordering::Relaxed;
use core::task::Waker;

use crate::hooks::CallbackHooks;

use crate::lock::{LockGuard, WordLock};
use crate::platform::{AtomicWord, Platform, SlotCell};

mod wake;

/// How many wakers a setter takes out per turn of the lock. They are woken
/// with the lock released, then the setter comes back for more.
const BATCH: usize = 8;

/// One waiting future's place in the list.
pub(crate) struct Node<P: Platform> {
    links: P::Cell<Links<P>>,
    _pinned: PhantomPinned,
}

/// The fields of a node; touched only under the list's lock.
struct Links<P: Platform> {
    prev: *const Node<P>,
    next: *const Node<P>,
    /// The bits (`TERMINATE`, `EXITED`) this waiter waits for.
    mask: u32,
    /// In the list now. A node that was linked and is not any more was
    /// taken by a setter: its bit is set.
    linked: bool,
    waker: Option<Waker>,
    /// `Some` for a callback's node ([`OnTerminate`](crate::OnTerminate)):
    /// the setter runs it instead of waking a waker.
    call: Option<Call<P>>,
}

/// A callback node's part: how to run it, and where it stands.
struct Call<P: Platform> {
    /// Runs the callback of the `OnTerminate` whose node this is.
    run: unsafe fn(*const Node<P>),
    hooks: &'static CallbackHooks,
    state: CallState,
}

/// Where a callback stands; touched only under the list's lock.
enum CallState {
    /// Not taken by a setter (linked, or not yet).
    Idle,
    /// Taken by the setter on thread `runner` (a [`CallbackHooks::thread`]
    /// value), which is running it now. `destroyed` is a flag on that
    /// setter's stack: a removal from inside the callback (on `runner`)
    /// sets it and returns at once, and the setter then touches the node
    /// no more. `remover`: a removal on another thread waits for `Done`.
    Running {
        runner: usize,
        destroyed: *const Cell<bool>,
        remover: bool,
    },
    /// Ran (or unwound); the setter touches the node no more.
    Done,
}

impl<P: Platform> Node<P> {
    pub(crate) fn new(mask: u32) -> Self {
        Node {
            links: P::Cell::new(Links {
                prev: ptr::null(),
                next: ptr::null(),
                mask,
                linked: false,
                waker: None,
                call: None,
            }),
            _pinned: PhantomPinned,
        }
    }

    /// A callback's node, waiting for `TERMINATE`: `run` runs the callback
    /// of the `OnTerminate` this node is the first field of.
    pub(crate) fn new_call(
        mask: u32,
        run: unsafe fn(*const Node<P>),
        hooks: &'static CallbackHooks,
    ) -> Self {
        let node = Node::new(mask);
        // SAFETY: the node was never linked: nobody else knows it.
        unsafe {
            node.with(|l| {
                l.call = Some(Call {
                    run,
                    hooks,
                    state: CallState::Idle,
                })
            })
        };
        node
    }

    /// Runs `f` on the node's fields.
    ///
    /// # Safety
    ///
    /// The caller holds the lock of the list the node is (or may be) linked
    /// into, or the node has never been linked (so no other thread knows
    /// it).
    unsafe fn with<R>(&self, f: impl FnOnce(&mut Links<P>) -> R) -> R {
        // SAFETY: the caller guarantees exclusive access (see above): only
        // the holder of the lock touches a linked node's fields.
        self.links.with_mut(|links| f(unsafe { &mut *links }))
    }
}

/// The list: its lock word and its head. Lives in `WorkerWord`.
pub(crate) struct Waiters<P: Platform> {
    lock: WordLock<P>,
    /// Bumped (and woken) by a setter that finished a callback a removal
    /// on another thread waits for: the removal parks on it, outside the
    /// lock. It lives in the list, not the node: the setter touches it
    /// after its last use of the node, when the node may be gone.
    finished: P::Word,
    head: P::Cell<*const Node<P>>,
}

// SAFETY: the head pointer and every node reached through it are only read
// or written by the holder of `lock` (module docs); the lock's `Acquire` and
// `Release` order those accesses between threads. The nodes hold `Waker`s,
// which are `Send + Sync`.
unsafe impl<P: Platform> Sync for Waiters<P> {}
// SAFETY: as above; moving the list moves a pointer that only the lock
// holder dereferences, and a list is only moved when no node is linked
// (nodes borrow the word that holds it).
unsafe impl<P: Platform> Send for Waiters<P> {}

impl<P: Platform> Waiters<P> {
    pub(crate) fn new() -> Self {
        Waiters {
            lock: WordLock::new(),
            finished: P::Word::new(0),
            head: P::Cell::new(ptr::null()),
        }
    }

    fn lock(&self) -> LockGuard<'_, P> {
        self.lock.lock()
    }

    /// Links `node`, waiting for `mask`, with `waker`, or refreshes its
    /// waker if it is linked already; then, still under the lock, runs
    /// `recheck` (the caller's read-modify-write of the worker word). If
    /// `recheck` says the bit is set, the node is unlinked again and `true`
    /// is returned.
    ///
    /// # Safety
    ///
    /// `node` does not move until it is unlinked: it is pinned, and its
    /// owner calls [`remove`](Self::remove) before it is dropped. A node is
    /// only ever linked into this one list.
    pub(crate) unsafe fn register(
        &self,
        node: &Node<P>,
        waker: &Waker,
        recheck: impl FnOnce() -> bool,
    ) -> bool {
        let mut old_waker = None;
        let ready = {
            let guard = self.lock();
            // SAFETY: we hold the lock.
            unsafe {
                node.with(|links| match &links.waker {
                    Some(w) if w.will_wake(waker) => {}
                    _ => old_waker = links.waker.replace(waker.clone()),
                });
            }
            // SAFETY: the caller's guarantees are `link_locked`'s.
            unsafe { self.link_locked(&guard, node, recheck) }
        };
        drop(old_waker);
        ready
    }

    /// Links a callback's `node` (unless linked already), then runs
    /// `recheck` under the lock, as [`register`](Self::register) does; if
    /// it says the bit is set, unlinks the node again and returns `true`:
    /// no setter saw the node, and the caller runs the callback itself.
    ///
    /// # Safety
    ///
    /// As [`register`](Self::register); the owner calls
    /// [`remove_call`](Self::remove_call) (not `remove`) before the node
    /// goes.
    pub(crate) unsafe fn register_call(
        &self,
        node: &Node<P>,
        recheck: impl FnOnce() -> bool,
    ) -> bool {
        let guard = self.lock();
        // SAFETY: the caller's guarantees are `link_locked`'s.
        unsafe { self.link_locked(&guard, node, recheck) }
    }

    /// The part of `register` and `register_call` under the lock.
    ///
    /// # Safety
    ///
    /// As [`register`](Self::register); `_guard` is this list's lock, held.
    unsafe fn link_locked(
        &self,
        _guard: &LockGuard<'_, P>,
        node: &Node<P>,
        recheck: impl FnOnce() -> bool,
    ) -> bool {
        // SAFETY: we hold the lock; the node stays put (caller).
        unsafe {
            if !node.with(|links| links.linked) {
                self.push(node);
            }
        }
        let ready = recheck();
        if ready {
            // SAFETY: we hold the lock, and the node is linked (above).
            unsafe { self.unlink(node) };
        }
        ready
    }

    /// Takes a callback's `node` out, for its owner before it goes. On
    /// return the callback is not running and never will: if it was
    /// linked, it is unlinked (it never ran); if a setter is running it on
    /// another thread, this waits until it returned; if it is running on
    /// *this* thread (the removal comes from inside the callback, directly
    /// or deeper), this returns at once, and the setter touches the node
    /// no more (C++ `stop_callback`'s rule; libunifex #670 is the deadlock
    /// it avoids).
    pub(crate) fn remove_call(&self, node: &Node<P>) {
        loop {
            let seen = {
                let _guard = self.lock();
                // SAFETY: we hold the lock.
                if unsafe { node.with(|links| links.linked) } {
                    // SAFETY: we hold the lock, and the node is linked.
                    unsafe { self.unlink(node) };
                    return;
                }
                // SAFETY: we hold the lock.
                let running = unsafe {
                    node.with(|links| match links.call.as_mut() {
                        Some(Call {
                            hooks,
                            state:
                                CallState::Running {
                                    runner,
                                    destroyed,
                                    remover,
                                },
                            ..
                        }) => {
                            if *runner == (hooks.thread)() {
                                Some(Some(*destroyed))
                            } else {
                                *remover = true;
                                Some(None)
                            }
                        }
                        _ => None,
                    })
                };
                let wait = match running {
                    // Not running: it ran, or never will.
                    None => false,
                    // Running on this thread: we are inside the callback.
                    Some(Some(destroyed)) => {
                        // SAFETY: the runner is this thread, and it is
                        // inside the callback (the state says it runs it):
                        // the flag is on a frame below ours on this very
                        // stack, alive. Set under the lock, read by the
                        // runner on this thread after the callback.
                        unsafe { (*destroyed).set(true) };
                        false
                    }
                    // Running on another thread: wait for `Done`.
                    Some(None) => true,
                };
                if !wait {
                    return;
                }
                // `Relaxed`: the setter bumps `finished` only after it took
                // the lock and saw `remover` (set above, before our unlock),
                // so this load happens before the bump and, by coherence,
                // reads a value before it; `wait` then returns at once or
                // is woken. What the callback wrote is ordered by the lock
                // (the setter sets `Done` under it, we read it under it).
                self.finished.load(Relaxed)
            };
            P::wait(&self.finished, seen, None);
        }
    }

    /// A setter finished the callback of `node` (it returned or unwound):
    /// mark it `Done` and wake a removal that waits for it. Skipped if the
    /// callback removed its own registration (`destroyed`): the node may
    /// be gone.
    fn finish_call(&self, node: *const Node<P>, destroyed: &Cell<bool>) {
        if destroyed.get() {
            return;
        }
        let remover = {
            let _guard = self.lock();
            // SAFETY: we hold the lock; the node is alive: its owner's
            // removal waits for `Done` (set here), unless it came from
            // inside the callback, which sets `destroyed` (checked above).
            unsafe {
                (*node).with(|links| match links.call.as_mut() {
                    Some(call) => {
                        let waits = matches!(call.state, CallState::Running { remover: true, .. });
                        call.state = CallState::Done;
                        waits
                    }
                    None => false,
                })
            }
        };
        if remover {
            // An increment by CAS (the trait has no `fetch_add`). `Relaxed`
            // both ways: the count only tells a parked removal that
            // something changed (see `remove_call`); the lock orders the
            // rest.
            let mut cur = self.finished.load(Relaxed);
            while let Err(actual) =
                self.finished
                    .compare_exchange(cur, cur.wrapping_add(1), Relaxed, Relaxed)
            {
                cur = actual;
            }
            P::wake_all(&self.finished);
        }
    }

    /// Unlinks `node` if it is linked: called by its owner before it goes.
    pub(crate) fn remove(&self, node: &Node<P>) {
        let waker = {
            let _guard = self.lock();
            // SAFETY: we hold the lock.
            unsafe {
                if node.with(|links| links.linked) {
                    self.unlink(node);
                }
                node.with(|links| links.waker.take())
            }
        };
        drop(waker);
    }

    /// Pushes `node` at the head.
    ///
    /// # Safety
    ///
    /// The lock is held; `node` is not linked, and stays where it is until
    /// unlinked.
    unsafe fn push(&self, node: &Node<P>) {
        let me: *const Node<P> = node;
        self.head.with_mut(|head| {
            // SAFETY: we hold the lock (the caller's guarantee), which
            // guards the head and every linked node.
            unsafe {
                let old = *head;
                if !old.is_null() {
                    (*old).with(|l| l.prev = me);
                }
                node.with(|l| {
                    l.prev = ptr::null();
                    l.next = old;
                    l.linked = true;
                });
                *head = me;
            }
        });
    }

    /// Unlinks `node`.
    ///
    /// # Safety
    ///
    /// The lock is held and `node` is linked in this list.
    unsafe fn unlink(&self, node: &Node<P>) {
        // SAFETY: we hold the lock (the caller's guarantee); the node and
        // its neighbours are linked, so alive.
        unsafe {
            let (prev, next) = node.with(|l| {
                let links = (l.prev, l.next);
                l.linked = false;
                l.prev = ptr::null();
                l.next = ptr::null();
                links
            });
            if prev.is_null() {
                self.head.with_mut(|head| *head = next);
            } else {
                (*prev).with(|l| l.next = next);
            }
            if !next.is_null() {
                (*next).with(|l| l.prev = prev);
            }
        }
    }
}
