//! Awaiting a worker from async code: [`Exited`] (the handle's side) and
//! [`TerminateRequested`] (the routine's side).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use clusworker_core::{Reason, Until};
use pin_project_lite::pin_project;

use crate::context::Context;
use crate::sys::Park;

pin_project! {
    /// A future that resolves when a worker's routine has returned: the
    /// non-blocking [`Worker::wait`](crate::Worker::wait). Made by
    /// [`Worker::exited`](crate::Worker::exited) and
    /// [`PoolWorker::exited`](crate::pool::PoolWorker::exited).
    ///
    /// It never blocks a thread: a pending poll links the future's own waiter
    /// node into a list beside the worker word, and the routine's exit wakes it
    /// (the core's [`Until`], model-checked with loom against the exit). No
    /// allocation per wait, and any number of tasks may await one worker's
    /// exit at once. Resolving synchronises with the exit, as a successful
    /// [`Worker::wait`](crate::Worker::wait) does:
    /// [`Worker::join`](crate::Worker::join) then returns at once.
    ///
    /// To terminate without blocking, request first
    /// ([`Worker::request_terminate`](crate::Worker::request_terminate)), then
    /// await the exit.
    ///
    /// Like every future here it is `!Unpin` (its waiter node must not move
    /// while linked): `.await` it, or pin it with [`std::pin::pin!`] to poll it
    /// by hand or to reuse it across `select!` rounds.
    #[must_use = "futures do nothing unless polled"]
    pub struct Exited<'a> {
        #[pin]
        inner: Until<'a, Park>,
    }
}

impl<'a> Exited<'a> {
    pub(crate) fn new(inner: Until<'a, Park>) -> Self {
        Exited { inner }
    }
}

impl Future for Exited<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        self.project().inner.poll(cx)
    }
}

impl fmt::Debug for Exited<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Exited").field(&self.inner).finish()
    }
}

pin_project! {
    /// A future that resolves when terminate is requested: the async
    /// [`Context::check_terminate`]. Made by [`Context::terminated`].
    ///
    /// Any number of tasks may await it at once (a routine may hand its
    /// `&Context` to several tasks); each future carries its own waiter node,
    /// so a wait allocates nothing, and dropping a pending one (a `select!`
    /// whose other branch won) takes it out of the list. Resolving
    /// synchronises with the request, as `check_terminate` returning `true`
    /// does. It yields the first request's [`Reason`] (what
    /// [`Context::reason`] then returns too). `!Unpin`, as [`Exited`] is.
    #[must_use = "futures do nothing unless polled"]
    pub struct TerminateRequested<'a> {
        #[pin]
        inner: Until<'a, Park>,
        ctx: &'a Context,
    }
}

impl Future for TerminateRequested<'_> {
    type Output = Reason;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Reason> {
        let this = self.project();
        // Ready: this poll acquired `TERMINATE`, so the reason is there.
        this.inner.poll(cx).map(|()| this.ctx.reason_requested())
    }
}

impl fmt::Debug for TerminateRequested<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TerminateRequested")
            .field(&self.inner)
            .finish()
    }
}

impl Context {
    /// A future that resolves when terminate is requested (at once if it
    /// already was); see [`TerminateRequested`]. For a routine that runs
    /// async code: `select!` it against the I/O, so that a terminate
    /// request cancels the I/O without polling [`check_terminate`](Self::check_terminate).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use clusworker::{Reason, Worker};
    /// let worker = Worker::spawn(|ctx| {
    ///     let rt = tokio::runtime::Builder::new_current_thread()
    ///         .enable_time()
    ///         .build()
    ///         .expect("a runtime");
    ///     rt.block_on(async {
    ///         let mut polls = 0u32;
    ///         loop {
    ///             tokio::select! {
    ///                 reason = ctx.terminated() => return (polls, reason),
    ///                 _ = tokio::time::sleep(Duration::from_millis(5)) => polls += 1,
    ///             }
    ///         }
    ///     })
    /// })?;
    /// // Wakes the task at once, whatever it awaits, and tells it why.
    /// worker.terminate_with(Reason::MonitorShutDown);
    /// let (polls, reason) = worker.join().expect("the routine does not panic");
    /// assert_eq!(reason, Reason::MonitorShutDown);
    /// # let _ = polls;
    /// # Ok::<(), clusworker::SpawnError>(())
    /// ```
    pub fn terminated(&self) -> TerminateRequested<'_> {
        TerminateRequested {
            inner: self.word().terminated(),
            ctx: self,
        }
    }
}
