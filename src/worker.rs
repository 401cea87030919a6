//! The handle: [`Worker`].

use std::fmt;
use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::thread;

use clusworker_core::word::JOINED;
use clusworker_core::{Last, WorkerWord};

use crate::error::JoinOwnThread;
use crate::packet::{self, Header};
use crate::sys::{Park, Thread};

/// A worker thread that can be asked to terminate: `CLUS_WORKER`, done
/// right.
///
/// Created by [`Worker::spawn`] or [`Builder::spawn`](crate::Builder::spawn).
/// The routine gets a [`Context`](crate::Context) to poll
/// ([`Context::check_terminate`](crate::Context::check_terminate)) and to
/// sleep on ([`Context::sleep`](crate::Context::sleep)); the handle requests
/// terminate and waits for the exit.
///
/// - `Worker<T>` is `Send + Sync`: any number of threads may terminate and
///   wait for one worker at once, exactly one of them is
///   [`Terminate::First`](crate::Terminate::First).
/// - Two words (16 bytes), the size of a `CLUS_WORKER`; one heap block
///   beside it, shared with the thread.
/// - Dropping it requests terminate and waits for the exit, then joins the
///   thread (like C++'s `std::jthread`). Use [`detach`](Worker::detach) to
///   let it run on. A routine that ignores terminate makes the drop wait for
///   as long as it runs: use [`terminate_timeout`](Worker::terminate_timeout)
///   first when that matters.
///
/// # Values whose `Drop` panics
///
/// The routine's result, or the payload of its panic, is the user's value
/// until [`join`](Worker::join) hands it back. When nobody joins it (the
/// handle was dropped or [detached](Worker::detach)), clusworker drops it:
/// on the dropping thread, or on the worker's own thread after a detach.
/// A panic raised by that `Drop` never unwinds out of clusworker and never
/// aborts the process: it is caught, its own payload is leaked (its `Drop`
/// might panic again), and so is whatever the panicking `Drop` had not
/// freed yet. The panic hook still reports it (by default on stderr). The
/// same holds for a routine dropped unrun because its spawn failed, and
/// for an async waker that panics when the exit wakes it (the worker's
/// block is then leaked, never freed under a user).
///
/// # Windows: never block on a worker from `DllMain`
///
/// `DllMain` runs under the loader lock, and a thread needs that lock to
/// start and to exit (`DLL_THREAD_ATTACH` / `DLL_THREAD_DETACH`): a worker
/// spawned from `DllMain` does not run its routine until `DllMain` returns,
/// and a thread's handle is only signalled after its detach notifications.
/// So, from `DllMain` and anything it calls (a DLL's static constructors
/// and destructors), never call [`terminate`](Worker::terminate),
/// [`join`](Worker::join), [`wait`](Worker::wait), a
/// [`terminate_timeout`](Worker::terminate_timeout) or
/// [`wait_timeout`](Worker::wait_timeout) with a non-zero timeout, or
/// [`terminate_all`](crate::terminate_all) / [`wait_all`](crate::wait_all),
/// and never drop a `Worker` (it terminates and joins) or a
/// [`Monitor`](crate::monitor::Monitor): each deadlocks. During
/// `DLL_PROCESS_DETACH` at process exit the workers' threads are already
/// gone, so a wait would never end. Stop workers from an explicit shutdown
/// call (a resource DLL's `Close` or `Terminate` entry point); inside
/// `DllMain`, only [`detach`](Worker::detach) or `std::mem::forget` one.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use clusworker::{Terminate, Worker};
///
/// let worker = Worker::spawn(|ctx| {
///     let mut steps = 0u32;
///     while !ctx.check_terminate() {
///         steps += 1; // a step of real work
///         if ctx.sleep(Duration::from_millis(50)).is_err() {
///             break;
///         }
///     }
///     steps
/// })?;
/// assert_eq!(worker.terminate(), Terminate::First);
/// assert_eq!(worker.terminate(), Terminate::AlreadyRequested(clusworker::Reason::Requested));
/// // The request may even come before the first step: zero steps is fine.
/// let steps: u32 = worker.join().expect("the routine does not panic");
/// # let _ = steps;
/// # Ok::<(), clusworker::SpawnError>(())
/// ```
#[doc(alias = "CLUS_WORKER")]
pub struct Worker<T> {
    header: NonNull<Header<T>>,
    thread: ManuallyDrop<Thread>,
}

// SAFETY: the handle only gives shared access to the atomic word, and moves
// the `T` out (in `join`, by value) to the thread that owns the handle; so
// sending or sharing it needs `T: Send`, as for `std::thread::JoinHandle`.
unsafe impl<T: Send> Send for Worker<T> {}
// SAFETY: as above: through `&Worker` nothing but atomic operations on the
// word is reachable; no `&T` is ever handed out.
unsafe impl<T: Send> Sync for Worker<T> {}

const _: () = assert!(
    size_of::<Worker<()>>() <= 16,
    "a Worker must be no larger than a CLUS_WORKER"
);

impl<T> Worker<T> {
    pub(crate) fn from_parts(header: NonNull<Header<T>>, thread: Thread) -> Self {
        Worker {
            header,
            thread: ManuallyDrop::new(thread),
        }
    }

    fn header(&self) -> &Header<T> {
        // SAFETY: the block lives at least as long as the handle: only the
        // handle frees it while the handle exists (see `packet`).
        unsafe { self.header.as_ref() }
    }

    pub(crate) fn word(&self) -> &WorkerWord<Park> {
        self.header().cell.word()
    }

    pub(crate) fn is_own_thread(&self) -> bool {
        packet::is_own_thread(self.header())
    }

    /// The worker's name, as given to [`Builder::name`](crate::Builder::name)
    /// (the OS keeps only its first 15 bytes on Linux); `None` for a worker
    /// started without one (its thread is then named `clusworker` on Unix).
    ///
    /// # Examples
    ///
    /// ```
    /// let w = clusworker::Builder::new().name("disk-online".into()).spawn(|_| ())?;
    /// assert_eq!(w.name(), Some("disk-online"));
    /// assert_eq!(clusworker::Worker::spawn(|_| ())?.name(), None);
    /// # Ok::<(), clusworker::SpawnError>(())
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.header().name.as_str()
    }

    /// The first terminator's wait for the exit: the OS join itself, done
    /// here, in place, and remembered in the word (`JOINED`), so that
    /// `join`, `detach` and `Drop` then only release the thread. One sleep
    /// and one wake-up (the thread's end), where waiting on the word and
    /// then joining cost two (BENCHMARKS.md, `cycle`). The thread ends just
    /// after its routine: after the exit is published it only frees what
    /// the OS gave it and runs thread-local destructors.
    fn wait_exit_joining(&self) {
        // SAFETY: `terminate_then` runs this at most once per word (for the
        // one request that returned `First` or `AlreadyExited`, never on
        // the worker's own thread), and `join`, `detach` and `Drop`, which
        // consume the handle, cannot run while this `&self` call does;
        // after it they see `joined` and only release the thread.
        let r = unsafe { self.thread.join_in_place() };
        debug_assert!(r.is_ok(), "{r:?}");
        // The word's `JOINED` bit (its docs say why `Relaxed` is enough):
        // a bit, not a field, so that the block stays one cache line.
        self.word().mark_joined();
    }

    /// Has a terminator joined the thread in place already?
    fn joined(&self) -> bool {
        self.word().bits() & JOINED != 0
    }

    /// Joins the thread, or only releases it if a terminator joined it in
    /// place.
    fn join_thread(&self, thread: Thread) {
        let r = if self.joined() {
            thread.release_joined()
        } else {
            thread.join()
        };
        debug_assert!(r.is_ok(), "{r:?}");
    }

    crate::handle::handle_api!(
        own = is_own_thread,
        wait_exit = wait_exit_joining,
        what = "worker",
        setup = "let w = clusworker::Worker::spawn(|ctx| while ctx.sleep(std::time::Duration::MAX).is_ok() {})?;",
        end = "# Ok::<(), clusworker::SpawnError>(())"
    );

    /// Waits for the routine to return (without requesting terminate) and
    /// gives its value, or the payload of its panic.
    ///
    /// Called from the worker's own thread, it cannot wait for itself. If
    /// the routine has already returned (the call comes from a
    /// thread-local destructor, or from a waker that the exit woke), the
    /// result exists and is returned, and the thread is detached. Otherwise
    /// (the routine calls `join` on itself) it detaches the worker and
    /// returns `Err` with a [`JoinOwnThread`] payload; the result is
    /// dropped when the routine returns.
    ///
    /// # Examples
    ///
    /// ```
    /// let worker = clusworker::Worker::spawn(|_ctx| -> u32 { panic!("boom") })?;
    /// let payload = worker.join().unwrap_err();
    /// assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
    /// # Ok::<(), clusworker::SpawnError>(())
    /// ```
    pub fn join(self) -> thread::Result<T> {
        if self.is_own_thread() {
            // After the exit the result is in the slot: take it before
            // letting go, so that nothing is lost. (`take` needs only
            // `EXITED`; the detach frees the block, or leaves the free to
            // the exit, as the core's `COMPLETED` decides.)
            let taken = self.header().cell.take();
            self.detach();
            return match taken {
                Ok(r) => r,
                Err(_) => Err(Box::new(JoinOwnThread)),
            };
        }
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used again, so the thread is taken once.
        let thread = unsafe { ManuallyDrop::take(&mut this.thread) };
        // `pthread_join` alone waits for the exit: the thread ends after
        // its routine's result is published, and the join synchronises with
        // everything the thread did. Waiting on the word first would cost a
        // second sleep and wake-up.
        this.join_thread(thread);
        let result = this.header().cell.take();
        // SAFETY: the thread was joined, so nobody else uses the block; the
        // handle is forgotten (`ManuallyDrop`), so this is the one free.
        unsafe { Header::free(this.header) };
        match result {
            Ok(r) => r,
            // Only `join` takes, and it consumes the handle: cannot happen.
            Err(e) => Err(Box::new(e)),
        }
    }

    /// Lets the worker run on by itself: nothing will terminate or join it,
    /// and its result is dropped when it returns. Its memory is freed then.
    ///
    /// That drop runs on the worker's own thread, after the routine. If the
    /// result's `Drop` (or the panic payload's, for a routine that
    /// panicked) panics, the panic is caught there: the process and every
    /// other worker go on, and what that `Drop` had left undone is leaked
    /// (see [`Worker`]'s section on values whose `Drop` panics).
    pub fn detach(self) {
        let own = self.is_own_thread();
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used again, so the thread is taken once.
        let thread = unsafe { ManuallyDrop::take(&mut this.thread) };
        match this.header().cell.release() {
            Last::Yes if own => {
                // The worker's own thread lets go after its entry point was
                // done with the block (a thread-local destructor dropped the
                // last handle). It cannot join itself, so detach. (A handle
                // dropped on this thread *inside* the exit, by a waker the
                // exit woke, gets `Last::No`: the entry point frees.)
                let r = thread.detach();
                debug_assert!(r.is_ok(), "{r:?}");
                // SAFETY: `complete` had returned its last use of the block
                // (`Last::Yes`), and the entry point touches it no more; we
                // were last, so this is the one free.
                unsafe { Header::free(this.header) };
            }
            Last::Yes => {
                // The routine already returned: the thread is at most a few
                // instructions from its end. Join it so that it no longer
                // touches the block, then free.
                this.join_thread(thread);
                // SAFETY: joined; we were last, so this is the one free.
                unsafe { Header::free(this.header) };
            }
            Last::No => {
                // The thread frees the block when its routine returns.
                let r = thread.detach();
                debug_assert!(r.is_ok(), "{r:?}");
            }
        }
    }
}

impl<T> Drop for Worker<T> {
    fn drop(&mut self) {
        let _ = self
            .word()
            .request_terminate_with(clusworker_core::Reason::HandleDropped);
        if self.is_own_thread() {
            // Cannot wait for ourselves: let the thread free the block.
            // SAFETY: `self` is being dropped; moved out exactly once, and
            // `detach` takes over the drop's duties.
            let this = unsafe { std::ptr::read(self) };
            this.detach();
            return;
        }
        // SAFETY: `self` is being dropped; the thread is taken once.
        let thread = unsafe { ManuallyDrop::take(&mut self.thread) };
        // The join alone waits for the exit (see `join`).
        self.join_thread(thread);
        // SAFETY: joined, so nobody else uses the block; this is the one free.
        unsafe { Header::free(self.header) };
    }
}

impl<T> fmt::Debug for Worker<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker")
            .field("name", &self.name())
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}
