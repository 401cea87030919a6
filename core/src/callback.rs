//! [`OnTerminate`]: a callback that runs once when terminate is requested
//! (C++ `std::stop_callback`, .NET's `CancellationToken.Register`, Go's
//! `context.AfterFunc`), registered without allocating.
//!
//! # How it works
//!
//! The registration is a node of the word's intrusive list of async
//! waiters (the `waiters` module), pinned inside the `OnTerminate`, so its
//! memory is the registrant's own. It is linked and announced exactly as a
//! `terminated()` future is: link under the list's lock, then, still under
//! it, set `ASYNC_WAITER` with a `fetch_or` and read `TERMINATE` from the
//! value it returns (the `word` module's notes, "Async waiters", say why
//! this loses no request). So a callback runs exactly once:
//!
//! - the request came first (the RMW returned `TERMINATE`): the
//!   registration unlinks its node in the same critical section, before
//!   any setter could see it, and runs the callback itself, at once, on the
//!   registering thread;
//! - the registration came first: the request's `fetch_or` sees
//!   `ASYNC_WAITER`, takes the lock (after the registration's unlock), and
//!   finds the node. It unlinks it, marks it *running on this thread*,
//!   releases the lock and runs the callback, then takes the lock again
//!   and marks it *done*. Callbacks run one after the other, on the
//!   requesting thread, after the flag is set: whatever the requester
//!   wrote before its request, a callback sees.
//!
//! # Removal
//!
//! Dropping a registered `OnTerminate` takes its node out under the lock:
//!
//! - still linked: unlinked; the callback never ran and never will (it is
//!   dropped with the `OnTerminate`);
//! - running on another thread: the drop waits (parked on a word of the
//!   list, outside the lock) until the setter marks it done; what the
//!   callback wrote is then visible to the dropping thread (the lock);
//! - running on *this* thread (the callback, or something it called,
//!   drops its own registration): returns at once, and sets a flag on the
//!   setter's stack so that the setter touches the node no more (C++
//!   `stop_callback`'s rule; libunifex #670 is the deadlock it avoids).
//!   "This thread" is told by [`CallbackHooks::thread`];
//! - done, or ran at registration: nothing to do.
//!
//! # Why the callback is `'static`
//!
//! A registration may be leaked (`Box::pin` and `mem::forget`, in safe
//! code): its node then stays linked, its memory valid, and a later
//! request runs the callback. A callback that borrowed a local would then
//! run after the local is gone; so callbacks own what they use.

use core::fmt;
use core::marker::PhantomData;
use core::pin::Pin;
use core::sync::atomic::Ordering::AcqRel;

use crate::hooks::CallbackHooks;
use crate::platform::{Platform, SlotCell};
use crate::waiters::Node;
use crate::word::{ASYNC_WAITER, TERMINATE, WorkerWord};

/// What [`OnTerminate::register`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Registered {
    /// Linked: the callback runs when terminate is requested, on the
    /// requesting thread, unless the registration is dropped first.
    Waiting,
    /// Terminate was already requested: the callback ran, on this thread,
    /// before `register` returned (or it had run before).
    Ran,
}

/// A callback registered to run once when terminate is requested: made by
/// [`WorkerWord::on_terminate`], armed by [`register`](Self::register),
/// disarmed by dropping it (see the module docs of `callback` in the
/// source, and `clusworker::OnTerminate`, for the whole contract).
///
/// It is `!Unpin`: pin it (`core::pin::pin!`, or `Box::pin`) to register
/// it. Registering allocates nothing: the node linked into the word's list
/// is this value's own memory.
#[repr(C)]
pub struct OnTerminate<'a, P: Platform, F> {
    /// First (`repr(C)`): the node's address is this value's, which is how
    /// the setter finds the callback (`run::<P, F>`).
    node: Node<P>,
    word: &'a WorkerWord<P>,
    /// The callback until it runs. Written by the one runner (which owns
    /// it then: the node was taken under the lock), or by `register`
    /// before any setter can see the node.
    callback: P::Cell<Option<F>>,
    hooks: &'static CallbackHooks,
    /// The node may be in the list (or being run): `Drop` must remove it.
    registered: bool,
    _callback: PhantomData<F>,
}

// SAFETY: the callback `F: Send` is moved to (and run on) whichever thread
// requests; the node's fields are only touched under the word's list lock;
// the rest is a shared reference to a `Sync` word and a `'static` table.
unsafe impl<P: Platform, F: Send> Send for OnTerminate<'_, P, F> {}
// SAFETY: a shared `&OnTerminate` gives access to nothing (registering
// needs `Pin<&mut Self>`), so it may be shared freely.
unsafe impl<P: Platform, F> Sync for OnTerminate<'_, P, F> {}

/// Runs the callback of the `OnTerminate<P, F>` whose node is `node`.
///
/// # Safety
///
/// `node` is the `node` field of a live, pinned `OnTerminate<'_, P, F>`,
/// which the caller has taken out of the list (under the lock) and marked
/// running, so that nothing else touches its callback.
unsafe fn run<P: Platform, F: FnOnce()>(node: *const Node<P>) {
    // The lifetime is immaterial: only the callback field is read, and the
    // value is alive (caller's contract).
    let this = node.cast::<OnTerminate<'static, P, F>>();
    // SAFETY: the node is the first field of a live `OnTerminate` (`repr(C)`),
    // and we are its one runner (caller's contract): nobody else reads or
    // writes the callback now.
    let callback = unsafe { (*this).callback.with_mut(|f| (*f).take()) };
    if let Some(callback) = callback {
        // SAFETY: as above; the table is `'static`.
        let hooks = unsafe { (*this).hooks };
        call(hooks, callback);
    }
}

/// Runs `callback` through the embedder's hook.
fn call<F: FnOnce()>(hooks: &CallbackHooks, callback: F) {
    let mut once = Some(callback);
    (hooks.call)(&mut || {
        if let Some(f) = once.take() {
            f()
        }
    });
}

impl<'a, P: Platform, F: FnOnce() + Send + 'static> OnTerminate<'a, P, F> {
    fn new(word: &'a WorkerWord<P>, callback: F, hooks: &'static CallbackHooks) -> Self {
        OnTerminate {
            node: Node::new_call(TERMINATE, run::<P, F>, hooks),
            word,
            callback: P::Cell::new(Some(callback)),
            hooks,
            registered: false,
            _callback: PhantomData,
        }
    }

    /// Registers the callback: it runs once, when terminate is requested,
    /// on the requesting thread; or now, on this thread, if terminate was
    /// requested already ([`Registered::Ran`]). A second call changes
    /// nothing and says where the first left it.
    ///
    /// A callback that runs at once here, having seen the request,
    /// synchronises with it as a `check_terminate` that returns `true`
    /// does.
    pub fn register(self: Pin<&mut Self>) -> Registered {
        // SAFETY: nothing is moved out of `self`: the node stays where it is
        // (the pin's promise, which the list relies on) until `drop`.
        let this = unsafe { self.get_unchecked_mut() };
        if this.registered {
            return Registered::Waiting;
        }
        let word = this.word;
        // `check_terminate` acquires: a callback run from here sees what
        // the requester wrote before its request.
        let ran_now = word.check_terminate()
            // Link, *then* announce with an RMW and re-check what it read,
            // all under the list's lock, as a `terminated()` future does.
            // `AcqRel`: `Acquire` because the callback may run from what
            // it read (`Relaxed`: loom's
            // `a_callback_runs_once_whichever_comes_first_and_sees_the_requesters_writes`
            // reports a causality violation); `Release` as the future's,
            // a second guard beside the lock.
            // SAFETY: the node is pinned (above) and `Drop` removes it
            // (`remove_call`) before it goes; only this word's list links
            // it.
            || unsafe {
                word.waiters().register_call(&this.node, || {
                    word.fetch_or(ASYNC_WAITER, AcqRel) & TERMINATE != 0
                })
            };
        if !ran_now {
            this.registered = true;
            return Registered::Waiting;
        }
        // The node is not linked (never, or unlinked in the same critical
        // section that linked it): no setter knows it, so we own the
        // callback.
        let callback = this.callback.with_mut(|f| {
            // SAFETY: as just said, nobody else touches the cell.
            unsafe { (*f).take() }
        });
        if let Some(callback) = callback {
            call(this.hooks, callback);
        }
        Registered::Ran
    }
}

impl<P: Platform, F> Drop for OnTerminate<'_, P, F> {
    fn drop(&mut self) {
        if self.registered {
            // On return the callback is not running (unless on this very
            // thread, from inside it) and never will: see `remove_call`.
            self.word.waiters().remove_call(&self.node);
        }
    }
}

impl<P: Platform, F> fmt::Debug for OnTerminate<'_, P, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnTerminate")
            .field("registered", &self.registered)
            .field("state", &self.word.state())
            .finish_non_exhaustive()
    }
}

impl<P: Platform> WorkerWord<P> {
    /// A callback to run once when terminate is requested (C++
    /// `stop_callback`); nothing happens until it is pinned and
    /// [registered](OnTerminate::register). `hooks` says how to tell
    /// threads apart and how to run a callback ([`CallbackHooks`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::AtomicU32;
    /// # use core::cell::UnsafeCell;
    /// # use core::time::Duration;
    /// # struct Spin;
    /// # impl clusworker_core::Platform for Spin {
    /// #     type Word = AtomicU32;
    /// #     type Cell<T> = UnsafeCell<T>;
    /// #     fn wait(_: &AtomicU32, _: u32, _: Option<Duration>) { core::hint::spin_loop() }
    /// #     fn wake_all(_: &AtomicU32) {}
    /// #     fn now() -> Duration { Duration::ZERO }
    /// # }
    /// use core::pin::pin;
    /// use core::sync::atomic::Ordering::Relaxed;
    /// use clusworker_core::{CallbackHooks, Registered, WorkerWord};
    /// static HOOKS: CallbackHooks = CallbackHooks { thread: || 1, call: |f| f() };
    /// static RAN: AtomicU32 = AtomicU32::new(0);
    ///
    /// let word = WorkerWord::<Spin>::new();
    /// let mut cb = pin!(word.on_terminate(|| { RAN.fetch_add(1, Relaxed); }, &HOOKS));
    /// assert_eq!(cb.as_mut().register(), Registered::Waiting);
    /// assert_eq!(RAN.load(Relaxed), 0);
    /// let _ = word.request_terminate(); // runs it, here
    /// assert_eq!(RAN.load(Relaxed), 1);
    /// let _ = word.request_terminate(); // not again
    /// assert_eq!(RAN.load(Relaxed), 1);
    /// ```
    pub fn on_terminate<F: FnOnce() + Send + 'static>(
        &self,
        callback: F,
        hooks: &'static CallbackHooks,
    ) -> OnTerminate<'_, P, F> {
        OnTerminate::new(self, callback, hooks)
    }
}
