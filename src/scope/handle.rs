//! The handle of a scoped worker: [`ScopedWorker`].

use std::fmt;
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::thread;
use std::time::Duration;

use clusworker_core::{Reason, Request, State, WorkerWord};

use crate::callback::collect_panics;
use crate::error::{JoinOwnThread, WaitError};
use crate::packet::{self, Header};
use crate::sys::Park;
use crate::wait::{self, Terminate};

/// A worker spawned in a [`Scope`](super::Scope): std's
/// `ScopedJoinHandle`, with the [`Worker`](crate::Worker)'s terminate.
///
/// Its requests, waits and state are the `Worker`'s (the same code, over
/// the worker's word). What differs: the scope owns the thread and the
/// block. Dropping the handle neither terminates nor joins: the scope
/// joins every worker before it returns, and then drops the results
/// nobody [joined](Self::join) (re-raising an un-joined panic; see
/// [`scope`](super::scope)).
///
/// # Examples
///
/// ```
/// use clusworker::{Reason, scope};
/// let ticks = scope(|s| {
///     let w = s.spawn(|ctx| {
///         let mut ticks = 0u32;
///         while ctx.sleep(std::time::Duration::from_millis(1)).is_ok() {
///             ticks += 1;
///         }
///         (ticks, ctx.reason())
///     })?;
///     let _ = w.request_terminate_with(Reason::User(3));
///     Ok::<_, clusworker::SpawnError>(w.join().expect("no panic"))
/// })?;
/// assert_eq!(ticks.1, Some(Reason::User(3)));
/// # Ok::<(), clusworker::SpawnError>(())
/// ```
pub struct ScopedWorker<'scope, T> {
    header: NonNull<Header<T>>,
    scope: PhantomData<&'scope ()>,
}

// SAFETY: as for `Worker`: through the handle only the atomic word is
// shared, and `join` moves the `T` to the handle's owner: `T: Send`.
unsafe impl<T: Send> Send for ScopedWorker<'_, T> {}
// SAFETY: as above; no `&T` is ever handed out.
unsafe impl<T: Send> Sync for ScopedWorker<'_, T> {}

impl<'scope, T> ScopedWorker<'scope, T> {
    pub(super) fn new(header: NonNull<Header<T>>) -> Self {
        ScopedWorker {
            header,
            scope: PhantomData,
        }
    }

    fn header(&self) -> &Header<T> {
        // SAFETY: the scope frees the block only after its body and every
        // worker returned, and the handle cannot outlive `'scope`, which
        // ends before that.
        unsafe { self.header.as_ref() }
    }

    fn word(&self) -> &WorkerWord<Park> {
        self.header().cell.word()
    }

    fn is_own_thread(&self) -> bool {
        packet::is_own_thread(self.header())
    }

    /// Requests terminate, without waiting; see
    /// [`Worker::request_terminate_with`](crate::Worker::request_terminate_with).
    ///
    /// # Panics
    ///
    /// Re-raises the first panic of an [`OnTerminate`](crate::OnTerminate)
    /// callback this request ran, after all of them ran.
    pub fn request_terminate_with(&self, reason: Reason) -> Request {
        collect_panics(|| self.word().request_terminate_with(reason))
    }

    /// [`request_terminate_with`](Self::request_terminate_with)
    /// [`Reason::Requested`].
    pub fn request_terminate(&self) -> Request {
        self.request_terminate_with(Reason::Requested)
    }

    /// Requests terminate and, if this call was first, waits for the
    /// routine to return; see [`Worker::terminate_with`](crate::Worker::terminate_with).
    ///
    /// # Panics
    ///
    /// As [`request_terminate_with`](Self::request_terminate_with).
    pub fn terminate_with(&self, reason: Reason) -> Terminate {
        collect_panics(|| wait::terminate(self.word(), self.is_own_thread(), reason))
    }

    /// [`terminate_with`](Self::terminate_with) [`Reason::Requested`]:
    /// `ClusWorkerTerminate`.
    #[doc(alias = "ClusWorkerTerminate")]
    pub fn terminate(&self) -> Terminate {
        self.terminate_with(Reason::Requested)
    }

    /// Waits at most `timeout` for the routine to return, without
    /// requesting terminate.
    ///
    /// # Errors
    ///
    /// As [`Worker::wait_timeout`](crate::Worker::wait_timeout).
    pub fn wait_timeout(&self, timeout: Duration) -> Result<(), WaitError> {
        wait::wait_timeout(self.word(), self.is_own_thread(), timeout)
    }

    /// Why terminate was requested (the first request's reason: a
    /// sibling's failure is [`Reason::SiblingFailed`]), or `None`.
    pub fn reason(&self) -> Option<Reason> {
        self.word().reason()
    }

    /// The phase: `Running`, `Terminating` or `Exited`.
    pub fn state(&self) -> State {
        self.word().state()
    }

    /// Waits for the routine to return and gives its value, or its panic's
    /// payload. Exactly once per worker: the scope drops only what nobody
    /// joined.
    ///
    /// Called from the worker's own thread it cannot wait for itself:
    /// `Err` with a [`JoinOwnThread`] payload, and the result is left to
    /// the scope.
    pub fn join(self) -> thread::Result<T> {
        if self.is_own_thread() {
            return Err(Box::new(JoinOwnThread));
        }
        let _ = wait::wait_exited(self.word(), None);
        match self.header().cell.take() {
            Ok(result) => result,
            // The handle is the only taker before the scope ends, and
            // `join` consumes it: cannot happen.
            Err(e) => Err(Box::new(e)),
        }
    }
}

impl<T> fmt::Debug for ScopedWorker<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopedWorker")
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}
