//! [`Until`]: the future that waits for a terminate request or an exit.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::Ordering::AcqRel;
use core::task::{Context, Poll};

use crate::platform::Platform;
use crate::waiters::Node;
use crate::word::{ASYNC_WAITER, EXITED, TERMINATE, WorkerWord};

/// A future that resolves when a bit of a worker word is set: made by
/// [`WorkerWord::terminated`] (the terminate request) and
/// [`WorkerWord::exited`] (the exit).
///
/// Any number of these may wait on one word at once, from any tasks and
/// threads. Each carries its own place in the word's list of waiters, so a
/// wait allocates nothing; dropping a pending one takes it out of the list.
/// Resolving synchronises with the setter, as
/// [`check_terminate`](WorkerWord::check_terminate) returning `true` or
/// [`wait_exited`](WorkerWord::wait_exited) returning `Ok` does.
///
/// It is `!Unpin`: `.await` it, or pin it (`core::pin::pin!`) to poll it by
/// hand.
#[must_use = "futures do nothing unless polled"]
pub struct Until<'a, P: Platform> {
    word: &'a WorkerWord<P>,
    mask: u32,
    /// `node` may be in the word's list: `Drop` must take it out.
    registered: bool,
    node: Node<P>,
}

// SAFETY: the node's fields (two links and a `Waker`, which is `Send`) are
// only touched under the word's list lock, whichever thread polls or drops
// the future; the rest is a shared reference to a `Sync` word and plain
// data.
unsafe impl<P: Platform> Send for Until<'_, P> {}
// SAFETY: a shared `&Until` gives access to nothing (polling needs
// `Pin<&mut Self>`).
unsafe impl<P: Platform> Sync for Until<'_, P> {}

impl<'a, P: Platform> Until<'a, P> {
    fn new(word: &'a WorkerWord<P>, mask: u32) -> Self {
        Until {
            word,
            mask,
            registered: false,
            node: Node::new(mask),
        }
    }
}

impl<P: Platform> Future for Until<'_, P> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: nothing is moved out of `self`: `node` stays where it is
        // (the pin's promise, which the list relies on) until `drop`.
        let this = unsafe { self.get_unchecked_mut() };
        let mask = this.mask;
        if this.word.bits() & mask != 0 {
            return Poll::Ready(());
        }
        this.registered = true;
        let word = this.word;
        // Link *then* announce with an RMW and re-check what it read (the
        // `word` module's notes, "Async waiters"). `Acquire`: a `Ready`
        // from this RMW synchronises with the setter, as `check_terminate`
        // does (`Release` alone: loom's
        // `terminated_future_vs_request_no_lost_wakeup_and_the_requesters_writes_visible`
        // reports a causality violation). The `Release` half is more than
        // needed, and no model fails without it: the link is published to
        // the setter by the list's lock, not by this RMW (the word module's
        // notes say why the lock alone is enough). Kept `AcqRel`, as is the
        // setter's RMW: the pair orders the link by itself too, a second
        // guard beside the lock, for one RMW per wait.
        // SAFETY: the node is pinned (above) and `Drop` removes it before it
        // goes; it is only ever linked into this word's list.
        let ready = unsafe {
            word.waiters().register(&this.node, cx.waker(), || {
                word.fetch_or(ASYNC_WAITER, AcqRel) & mask != 0
            })
        };
        if ready {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl<P: Platform> Drop for Until<'_, P> {
    fn drop(&mut self) {
        if self.registered {
            self.word.waiters().remove(&self.node);
        }
    }
}

impl<P: Platform> fmt::Debug for Until<'_, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.mask == TERMINATE {
            "terminate request"
        } else {
            "exit"
        };
        f.debug_struct("Until")
            .field("waits_for", &what)
            .field("state", &self.word.state())
            .finish()
    }
}

impl<P: Platform> WorkerWord<P> {
    /// A future that resolves when terminate is requested (at once if it
    /// already was): the async [`check_terminate`](Self::check_terminate).
    /// Any number of tasks may await it at once; see [`Until`].
    pub fn terminated(&self) -> Until<'_, P> {
        Until::new(self, TERMINATE)
    }

    /// A future that resolves when the routine has returned and its result
    /// is published: the async [`wait_exited`](Self::wait_exited). Any
    /// number of tasks may await it at once; see [`Until`].
    pub fn exited(&self) -> Until<'_, P> {
        Until::new(self, EXITED)
    }
}
