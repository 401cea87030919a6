//! The setter's drain: [`Waiters::wake`] unlinks the nodes waiting for its
//! bits, wakes their wakers in batches and runs callbacks one at a time,
//! each with the lock released; the guards that finish the work when a
//! waker or a callback panics.

use core::cell::Cell;
use core::task::Waker;

use super::{BATCH, CallState, Node, Waiters};
use crate::platform::{Platform, SlotCell};

/// A batch of wakers being woken, outside the lock. A waker is the
/// executor's code and may panic: then, while that panic unwinds, the
/// guard's `Drop` wakes the rest of the batch, and the rest of the list if
/// there may be more, so that one panicking waker never leaves the other
/// futures unwoken. (A second waker that panics during that unwinding
/// aborts the process, as any panic during unwinding does.)
struct WakeRest<'a, P: Platform> {
    waiters: &'a Waiters<P>,
    bits: u32,
    batch: [Option<Waker>; BATCH],
    /// The list may hold more nodes waiting for `bits`.
    more: bool,
}

impl<P: Platform> WakeRest<'_, P> {
    fn wake_batch(&mut self) {
        for waker in self.batch.iter_mut().filter_map(Option::take) {
            waker.wake();
        }
    }
}

impl<P: Platform> Drop for WakeRest<'_, P> {
    fn drop(&mut self) {
        // Reached with wakers left only when one of them panicked.
        self.wake_batch();
        if self.more {
            self.waiters.wake(self.bits);
        }
    }
}

/// Finishes a callback a setter ran, when it returns or unwinds.
struct FinishCall<'a, P: Platform> {
    waiters: &'a Waiters<P>,
    node: *const Node<P>,
    destroyed: &'a Cell<bool>,
}

impl<P: Platform> Drop for FinishCall<'_, P> {
    fn drop(&mut self) {
        self.waiters.finish_call(self.node, self.destroyed);
    }
}

impl<P: Platform> Waiters<P> {
    /// Unlinks every node waiting for any of `bits` and wakes its waker,
    /// or, for a callback's node, runs its callback on this thread, one at
    /// a time, with the lock released.
    pub(crate) fn wake(&self, bits: u32) {
        loop {
            let mut batch: [Option<Waker>; BATCH] = Default::default();
            let mut taken = 0;
            let mut call = None;
            // A removal from inside the callback run below sets it.
            let destroyed = Cell::new(false);
            // The list may hold more nodes waiting for `bits`.
            let mut more = false;
            {
                let _guard = self.lock();
                // SAFETY: we hold the lock, which guards the head.
                let mut cur = self.head.with_mut(|head| unsafe { *head });
                while !cur.is_null() {
                    // SAFETY: we hold the lock; every node reached from the
                    // head is linked, so alive (module docs).
                    let node = unsafe { &*cur };
                    // SAFETY: as above; the lock guards the node's fields.
                    let (next, wanted, is_call) =
                        unsafe { node.with(|l| (l.next, l.mask & bits != 0, l.call.is_some())) };
                    if wanted {
                        if is_call && taken > 0 || taken == BATCH {
                            // Wake the batch first; come back for the rest.
                            more = true;
                            break;
                        }
                        // SAFETY: we hold the lock; the node is linked.
                        unsafe { self.unlink(node) };
                        if is_call {
                            // SAFETY: as above.
                            let run = unsafe {
                                node.with(|l| {
                                    let c = l.call.as_mut()?;
                                    c.state = CallState::Running {
                                        runner: (c.hooks.thread)(),
                                        destroyed: &destroyed,
                                        remover: false,
                                    };
                                    Some(c.run)
                                })
                            };
                            call = run.map(|run| (cur, run));
                            more = true;
                            break;
                        }
                        // SAFETY: as above.
                        batch[taken] = unsafe { node.with(|l| l.waker.take()) };
                        taken += 1;
                    }
                    cur = next;
                }
            }
            let mut rest = WakeRest {
                waiters: self,
                bits,
                batch,
                more,
            };
            rest.wake_batch();
            if let Some((node, run)) = call {
                // Marks the node `Done` when the callback returns, and also
                // if it unwinds (then `rest` goes on with the others).
                let _finish = FinishCall {
                    waiters: self,
                    node,
                    destroyed: &destroyed,
                };
                // SAFETY: `run` is the node's own, and the node is alive
                // until `Done` (its owner's removal waits for it, or sets
                // `destroyed` from inside the callback, after `run` has
                // moved the callback out of the node).
                unsafe { run(node) };
            }
            // Done without a panic: nothing left for the guard.
            rest.more = false;
            drop(rest);
            if !more {
                return;
            }
        }
    }
}
