//! The API a [`Worker`](crate::Worker) and a
//! [`PoolWorker`](crate::pool::PoolWorker) share, written once.
//!
//! [`handle_api!`] expands, inside either type's `impl`, to the methods
//! whose meaning is the same for both: request, terminate, the waits, the
//! state and the exit future, with their docs, doc aliases and tested
//! examples. Each type supplies `word()` (its worker word) and an
//! own-thread check, and the setup line of the examples. The logic behind
//! them is `wait`'s; what differs between the types (`join`, `detach`,
//! `Drop`, who frees the storage) stays in each type's own module.

/// The shared methods; see the [module docs](self).
///
/// `own` names the type's own-thread check (`fn(&self) -> bool`),
/// `wait_exit` the first terminator's wait for the exit (`fn(&self)`), `what`
/// is "worker" or "job", `setup` is a doc-test prelude that binds `w` to a
/// handle whose routine sleeps until terminate is requested, and ends with
/// the line that returns `Ok` from the doc test (`end`).
macro_rules! handle_api {
    (own = $own:ident, wait_exit = $wait_exit:ident, what = $what:literal, setup = $setup:literal, end = $end:literal) => {
        /// Requests terminate and returns at once, without waiting for the
        /// routine (C++ `request_stop`, tokio's `cancel`, .NET's `Cancel`),
        /// and says which case it was: [`Request::First`](crate::Request::First)
        /// (this call made the request),
        /// [`Request::AlreadyRequested`](crate::Request::AlreadyRequested), or
        /// [`Request::AlreadyExited`](crate::Request::AlreadyExited) (this call
        /// made it, but the routine had returned already). Exactly one call
        #[doc = concat!("on a ", $what, " returns `First` or `AlreadyExited`, and it")]
        /// synchronises with a `check_terminate` that returns `true`. Any
        /// thread may call it, the routine's own included; a job still
        /// queued in a pool sees the request as soon as it runs.
        ///
        /// # Examples
        ///
        /// ```
        #[doc = $setup]
        /// use clusworker::{Reason, Request};
        /// assert_eq!(w.request_terminate(), Request::First);
        /// assert_eq!(w.request_terminate(), Request::AlreadyRequested(Reason::Requested));
        /// w.join().expect("the routine returns once asked");
        #[doc = $end]
        /// ```
        #[doc(alias = "request_stop")]
        #[doc(alias = "cancel")]
        pub fn request_terminate(&self) -> clusworker_core::Request {
            self.request_terminate_with(clusworker_core::Reason::Requested)
        }

        /// [`request_terminate`](Self::request_terminate) with a
        /// [`Reason`](crate::Reason) (Go's `context.WithCancelCause`, .NET's
        /// and tokio's asked-for cancellation reasons). Only the first
        /// request's reason counts: the routine reads it
        /// ([`Context::reason`](crate::Context::reason), the `Err` of
        /// [`Context::sleep`](crate::Context::sleep),
        /// [`Context::terminated`](crate::Context::terminated)), and every
        /// later request gets it back in
        /// [`Request::AlreadyRequested`](crate::Request::AlreadyRequested).
        /// It is published with the flag, by the same edge: no allocation,
        /// and `check_terminate` stays one load.
        ///
        /// # Examples
        ///
        /// ```
        #[doc = $setup]
        /// use clusworker::{Reason, Request};
        /// assert_eq!(w.request_terminate_with(Reason::User(5)), Request::First);
        /// // A later request learns the first one's reason.
        /// assert_eq!(
        ///     w.request_terminate_with(Reason::HandleDropped),
        ///     Request::AlreadyRequested(Reason::User(5)),
        /// );
        /// assert_eq!(w.reason(), Some(Reason::User(5)));
        /// w.join().expect("the routine returns once asked");
        #[doc = $end]
        /// ```
        ///
        /// # Panics
        ///
        /// Re-raises the first panic of an [`OnTerminate`](crate::OnTerminate)
        /// callback this request ran, after all of them ran (the request
        /// is made either way).
        pub fn request_terminate_with(
            &self,
            reason: clusworker_core::Reason,
        ) -> clusworker_core::Request {
            crate::callback::collect_panics(|| self.word().request_terminate_with(reason))
        }

        /// [`terminate`](Self::terminate) with a [`Reason`](crate::Reason):
        /// requests (giving the reason, if this call is first) and, if this
        /// call was first, waits for the routine to return. A later call
        /// returns [`Terminate::AlreadyRequested`](crate::Terminate::AlreadyRequested)
        /// with the first request's reason, at once.
        ///
        /// # Examples
        ///
        /// ```
        #[doc = $setup]
        /// use clusworker::{Reason, Terminate};
        /// assert_eq!(w.terminate_with(Reason::PoolShutDown), Terminate::First);
        /// assert_eq!(w.terminate(), Terminate::AlreadyRequested(Reason::PoolShutDown));
        #[doc = $end]
        /// ```
        ///
        /// # Panics
        ///
        /// As [`request_terminate_with`](Self::request_terminate_with),
        /// after the wait.
        pub fn terminate_with(&self, reason: clusworker_core::Reason) -> crate::Terminate {
            crate::callback::collect_panics(|| {
                crate::wait::terminate_then(self.word(), self.$own(), reason, || self.$wait_exit())
            })
        }

        /// A callback to run once when terminate is requested, registered
        /// from outside the routine: see [`OnTerminate`](crate::OnTerminate)
        /// and [`Context::on_terminate`](crate::Context::on_terminate). It
        /// borrows the handle: drop it (which removes it) before the handle
        /// is joined or dropped.
        ///
        /// # Examples
        ///
        /// ```
        #[doc = $setup]
        /// use std::pin::pin;
        /// use std::sync::atomic::{AtomicU32, Ordering};
        /// use std::sync::Arc;
        /// use clusworker::Registered;
        /// let calls = Arc::new(AtomicU32::new(0));
        /// {
        ///     let counter = calls.clone();
        ///     let mut cb = pin!(w.on_terminate(move || {
        ///         counter.fetch_add(1, Ordering::Relaxed);
        ///     }));
        ///     assert_eq!(cb.as_mut().register(), Registered::Waiting);
        ///     let _ = w.request_terminate(); // runs the callback, on this thread
        ///     let _ = w.request_terminate(); // not again
        /// } // removed (it ran already: nothing to do)
        /// assert_eq!(calls.load(Ordering::Relaxed), 1);
        /// w.join().expect("the routine returns once asked");
        #[doc = $end]
        /// ```
        #[doc(alias = "stop_callback")]
        pub fn on_terminate<F: FnOnce() + Send + 'static>(
            &self,
            callback: F,
        ) -> crate::OnTerminate<'_, F> {
            crate::OnTerminate::new(self.word(), callback)
        }

        /// Why terminate was requested: the first request's
        /// [`Reason`](crate::Reason), or `None` if none was made. One atomic
        /// load (and a read beside the word once requested); the same value
        /// the routine reads through [`Context::reason`](crate::Context::reason).
        pub fn reason(&self) -> Option<clusworker_core::Reason> {
            self.word().reason()
        }

        /// Requests terminate and, if this call was the first to, waits
        /// until the routine returns: `ClusWorkerTerminate`. No timeout:
        /// see [`terminate_timeout`](Self::terminate_timeout).
        ///
        /// As with `ClusWorkerTerminate`, only the first call waits; later
        /// calls return [`Terminate::AlreadyRequested`](crate::Terminate::AlreadyRequested)
        #[doc = concat!("at once. Called from the ", $what, "'s own routine it requests and")]
        /// returns [`Terminate::OwnThread`](crate::Terminate::OwnThread)
        /// without waiting. Terminating one whose routine already returned
        /// is allowed and returns `First` (if no one requested before)
        /// without waiting; a job still queued in a pool is waited for too
        /// (it runs, sees the request at once, and returns).
        ///
        /// # Examples
        ///
        /// ```
        #[doc = $setup]
        /// use clusworker::{State, Terminate};
        /// assert_eq!(w.terminate(), Terminate::First);
        /// assert_eq!(w.state(), State::Exited);
        /// assert_eq!(w.terminate(), Terminate::AlreadyRequested(clusworker::Reason::Requested));
        #[doc = $end]
        /// ```
        #[doc(alias = "ClusWorkerTerminate")]
        pub fn terminate(&self) -> crate::Terminate {
            self.terminate_with(clusworker_core::Reason::Requested)
        }

        /// Requests terminate (if no one has yet), then waits at most
        /// `timeout` for the routine to return: `ClusWorkerTerminateEx`.
        /// Every caller waits, not only the first.
        ///
        /// A timeout loses nothing: the result is kept, and can be waited
        /// for or joined later. Any duration is valid: zero only checks,
        /// [`Duration::MAX`](std::time::Duration::MAX) waits without limit.
        ///
        /// # Errors
        ///
        /// [`WaitError::TimedOut`](crate::WaitError::TimedOut) if the
        /// routine was still running (or still queued) at the deadline;
        /// [`WaitError::OwnThread`](crate::WaitError::OwnThread) when
        /// called from the routine's own thread (the request is made,
        /// nothing waits).
        ///
        /// # Examples
        ///
        /// ```
        #[doc = $setup]
        /// assert_eq!(w.terminate_timeout(std::time::Duration::from_secs(10)), Ok(()));
        /// assert!(w.join().is_ok());
        #[doc = $end]
        /// ```
        #[doc(alias = "ClusWorkerTerminateEx")]
        pub fn terminate_timeout(
            &self,
            timeout: std::time::Duration,
        ) -> Result<(), crate::WaitError> {
            let _ = self.request_terminate();
            self.wait_timeout(timeout)
        }

        /// Waits at most `timeout` for the routine to return, without
        /// requesting terminate: `ClusWorkerTerminateEx` with `wait_only`.
        /// Any number of threads may wait at once.
        ///
        /// # Errors
        ///
        /// As [`terminate_timeout`](Self::terminate_timeout).
        pub fn wait_timeout(&self, timeout: std::time::Duration) -> Result<(), crate::WaitError> {
            crate::wait::wait_timeout(self.word(), self.$own(), timeout)
        }

        /// Waits, without limit, for the routine to return (without
        /// requesting terminate).
        ///
        /// # Errors
        ///
        /// [`WaitError::OwnThread`](crate::WaitError::OwnThread) when called
        /// from the routine's own thread.
        pub fn wait(&self) -> Result<(), crate::WaitError> {
            self.wait_timeout(std::time::Duration::MAX)
        }

        /// The phase: `Running` (or queued), `Terminating` (requested, not
        /// yet returned), or `Exited`.
        pub fn state(&self) -> clusworker_core::State {
            self.word().state()
        }

        /// Has terminate been requested (by anyone)? One atomic load:
        /// `ClusWorkerCheckTerminate`, asked from outside the routine.
        #[doc(alias = "ClusWorkerCheckTerminate")]
        pub fn is_terminate_requested(&self) -> bool {
            self.word().check_terminate()
        }

        /// A future that resolves when the routine has returned; see
        /// [`Exited`](crate::Exited). Any number of tasks may await one
        /// exit; awaiting allocates nothing.
        ///
        /// # Examples
        ///
        /// ```
        /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        /// # rt.block_on(async {
        #[doc = $setup]
        /// // Request without waiting, then await the exit without blocking
        /// // the runtime's thread.
        /// let _ = w.request_terminate();
        /// w.exited().await;
        /// assert!(w.join().is_ok());
        #[doc = $end]
        /// # }).unwrap();
        /// ```
        pub fn exited(&self) -> crate::Exited<'_> {
            crate::Exited::new(self.word().exited())
        }
    };
}

pub(crate) use handle_api;
