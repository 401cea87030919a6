//! What the routine sees: [`Context`].

use std::fmt;
use std::time::{Duration, Instant};

use clusworker_core::{Reason, Sleep, WorkerWord};

use crate::callback::OnTerminate;
use crate::sys::Park;

/// The routine's view of its worker: check for terminate, sleep
/// interruptibly, read why terminate was requested.
///
/// A `&Context` is passed to the routine by [`Worker::spawn`](crate::Worker::spawn).
/// It may be shared with helper threads the routine scopes
/// (`std::thread::scope`); any number of them may check and sleep at once.
#[repr(transparent)]
pub struct Context {
    word: WorkerWord<Park>,
}

/// Terminate was requested, for the [`Reason`] it holds (the first
/// request's): the routine should wind down and return.
///
/// Returned by [`Context::sleep`] and [`Context::sleep_until`] when they end
/// early (or would start) because of a terminate request.
///
/// # Examples
///
/// ```
/// use clusworker::{Reason, Terminated, Worker};
/// let worker = Worker::spawn(|ctx| match ctx.sleep(std::time::Duration::MAX) {
///     Err(Terminated(reason)) => reason,
///     Ok(()) => unreachable!("an endless sleep ends only by a request"),
/// })?;
/// let _ = worker.request_terminate_with(Reason::User(7));
/// assert_eq!(worker.join().unwrap(), Reason::User(7));
/// # Ok::<(), clusworker::SpawnError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Terminated(pub Reason);

impl fmt::Display for Terminated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "terminate was requested ({})", self.0)
    }
}

impl std::error::Error for Terminated {}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("state", &self.word.state())
            .finish()
    }
}

impl Context {
    /// The word under this context.
    pub(crate) fn word(&self) -> &WorkerWord<Park> {
        &self.word
    }

    /// The context of a word.
    pub(crate) fn from_word(word: &WorkerWord<Park>) -> &Context {
        let ptr = word as *const WorkerWord<Park> as *const Context;
        // SAFETY: `Context` is `repr(transparent)` over `WorkerWord<Park>`, so
        // the two have the same layout; the lifetime is carried over.
        unsafe { &*ptr }
    }

    /// Has terminate been requested? One atomic load (`Acquire`): call it as
    /// often as you like.
    ///
    /// The terminate request that returned [`Terminate::First`](crate::Terminate::First)
    /// synchronises with a call that returns `true`.
    ///
    /// # Examples
    ///
    /// ```
    /// use clusworker::Worker;
    /// let worker = Worker::spawn(|ctx| {
    ///     let mut steps = 0u64;
    ///     while !ctx.check_terminate() {
    ///         steps += 1;
    ///         std::hint::spin_loop();
    ///     }
    ///     steps
    /// })?;
    /// worker.terminate();
    /// let steps = worker.join().expect("the routine does not panic");
    /// # let _ = steps;
    /// # Ok::<(), clusworker::SpawnError>(())
    /// ```
    #[doc(alias = "ClusWorkerCheckTerminate")]
    #[inline(always)]
    pub fn check_terminate(&self) -> bool {
        self.word.check_terminate()
    }

    /// Sleeps for `timeout`, or less: returns `Err(Terminated)` as soon as
    /// terminate is requested (at once if it already was), `Ok(())` when the
    /// whole timeout passed. Any timeout is valid: zero only checks,
    /// [`Duration::MAX`] sleeps until terminate.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use clusworker::Worker;
    /// let worker = Worker::spawn(|ctx| {
    ///     let mut ticks = 0;
    ///     while ctx.sleep(Duration::from_millis(100)).is_ok() {
    ///         ticks += 1; // periodic work
    ///     }
    ///     ticks
    /// })?;
    /// worker.terminate(); // wakes the sleep at once
    /// # let _ = worker.join();
    /// # Ok::<(), clusworker::SpawnError>(())
    /// ```
    pub fn sleep(&self, timeout: Duration) -> Result<(), Terminated> {
        match self.word.sleep(timeout) {
            Sleep::Elapsed => Ok(()),
            Sleep::Terminated => Err(Terminated(self.reason_requested())),
        }
    }

    /// Why terminate was requested: the first request's [`Reason`]
    /// (Go's `context.Cause`), or `None` while none was made. One atomic
    /// load, and a read beside the word once a request was made.
    ///
    /// A `Some` synchronises with the first request as a
    /// [`check_terminate`](Self::check_terminate) that returns `true` does:
    /// every reader, whenever it asks, sees the same first reason.
    ///
    /// # Examples
    ///
    /// ```
    /// use clusworker::{Reason, Worker};
    /// let worker = Worker::spawn(|ctx| {
    ///     while !ctx.check_terminate() {
    ///         std::thread::yield_now();
    ///     }
    ///     ctx.reason()
    /// })?;
    /// let _ = worker.request_terminate_with(Reason::SiblingFailed);
    /// let _ = worker.request_terminate_with(Reason::User(1)); // too late: not first
    /// assert_eq!(worker.join().unwrap(), Some(Reason::SiblingFailed));
    /// # Ok::<(), clusworker::SpawnError>(())
    /// ```
    pub fn reason(&self) -> Option<Reason> {
        self.word.reason()
    }

    /// The reason, once this thread has acquired `TERMINATE` (`sleep`
    /// returned `Terminated`, a future resolved): always `Some`.
    pub(crate) fn reason_requested(&self) -> Reason {
        self.word.reason().unwrap_or_default()
    }

    /// A callback to run once when terminate is requested (C++
    /// `std::stop_callback`, .NET's `Register`, Go's `AfterFunc`): on the
    /// requesting thread right after the request, or at once if it was
    /// requested already. Pin it and [register](OnTerminate::register) it;
    /// drop it to remove it. See [`OnTerminate`] for the whole contract
    /// (removal, panics, why `'static`).
    ///
    /// # Examples
    ///
    /// The routine runs a blocking call that cannot check for terminate;
    /// a callback unblocks it.
    ///
    /// ```
    /// use std::pin::pin;
    /// use std::sync::mpsc;
    /// use clusworker::Worker;
    /// let (tx, rx) = mpsc::channel::<u32>();
    /// let worker = Worker::spawn(move |ctx| {
    ///     let mut closer = pin!(ctx.on_terminate(move || drop(tx)));
    ///     // `Waiting`, or `Ran` (here, at once) if the request came first
    ///     closer.as_mut().register();
    ///     rx.recv() // returns Err once the callback dropped the sender
    /// })?;
    /// worker.terminate();
    /// assert!(worker.join().unwrap().is_err());
    /// # Ok::<(), clusworker::SpawnError>(())
    /// ```
    #[doc(alias = "stop_callback")]
    pub fn on_terminate<F: FnOnce() + Send + 'static>(&self, callback: F) -> OnTerminate<'_, F> {
        OnTerminate::new(&self.word, callback)
    }

    /// Sleeps until `deadline`, or until terminate is requested; see
    /// [`sleep`](Self::sleep).
    pub fn sleep_until(&self, deadline: Instant) -> Result<(), Terminated> {
        self.sleep(deadline.saturating_duration_since(Instant::now()))
    }
}
