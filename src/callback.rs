//! Callbacks on terminate: [`OnTerminate`], registered on a
//! [`Context`](crate::Context) or a handle, and what happens to a callback's
//! panic.

use std::any::Any;
use std::cell::Cell;
use std::fmt;
use std::panic::{self, AssertUnwindSafe, catch_unwind};
use std::pin::Pin;

use clusworker_core::{CallbackHooks, Registered, WorkerWord};

use crate::quiet::drop_quietly;
use crate::sys::Park;

thread_local! {
    /// Its address tells threads apart ([`CallbackHooks::thread`]). `const`
    /// and without a destructor, so it is there even while the thread's
    /// thread-locals are being destroyed.
    static ME: u8 = const { 0 };
    /// How many calls on this thread are collecting callbacks' panics to
    /// re-raise them (nested: a callback may request another worker's
    /// terminate).
    static COLLECTING: Cell<u32> = const { Cell::new(0) };
    /// The first panic of a callback run on this thread since the
    /// innermost collecting call began.
    static PANIC: Cell<Option<Box<dyn Any + Send>>> = const { Cell::new(None) };
}

/// The hooks every registration of this crate uses.
static HOOKS: CallbackHooks = CallbackHooks {
    thread: || ME.with(|me| std::ptr::from_ref(me) as usize),
    call: run_caught,
};

/// Runs a callback, catching its panic: kept (the first one) for the
/// collecting call that made the request, or dropped if no call on this
/// thread collects (the panic hook has reported it already).
fn run_caught(callback: &mut dyn FnMut()) {
    let Err(payload) = catch_unwind(AssertUnwindSafe(callback)) else {
        return;
    };
    let spare = if COLLECTING.with(Cell::get) > 0 {
        PANIC.with(|p| match p.take() {
            None => {
                p.set(Some(payload));
                None
            }
            first => {
                p.set(first);
                Some(payload)
            }
        })
    } else {
        Some(payload)
    };
    if let Some(spare) = spare {
        // A payload's `Drop` is the user's code too.
        let _ = drop_quietly(spare);
    }
}

/// Runs `op` (a request, a registration), then re-raises on this thread the
/// first panic of a callback that `op` ran, after all of them ran.
pub(crate) fn collect_panics<R>(op: impl FnOnce() -> R) -> R {
    struct Frame {
        outer: Option<Box<dyn Any + Send>>,
    }
    impl Drop for Frame {
        fn drop(&mut self) {
            COLLECTING.with(|c| c.set(c.get() - 1));
            // Put the outer call's panic back; ours is taken below (or, if
            // `op` itself unwinds, dropped quietly: one panic at a time).
            if let Some(mine) = PANIC.with(|p| p.replace(self.outer.take())) {
                let _ = drop_quietly(mine);
            }
        }
    }
    COLLECTING.with(|c| c.set(c.get() + 1));
    let frame = Frame {
        outer: PANIC.with(Cell::take),
    };
    let result = op();
    let mine = PANIC.with(Cell::take);
    drop(frame);
    if let Some(payload) = mine {
        panic::resume_unwind(payload);
    }
    result
}

pin_project_lite::pin_project! {
    /// A callback that runs once when terminate is requested: C++
    /// `std::stop_callback`, .NET's `CancellationToken.Register`, Go's
    /// `context.AfterFunc`. Made by [`Context::on_terminate`](crate::Context::on_terminate)
    /// (the routine's side) or a handle's `on_terminate`
    /// ([`Worker::on_terminate`](crate::Worker::on_terminate),
    /// [`PoolWorker::on_terminate`](crate::pool::PoolWorker::on_terminate));
    /// armed when pinned and [registered](Self::register); disarmed when
    /// dropped.
    ///
    /// - **Exactly once.** The callback runs once, on the thread that made
    ///   the first terminate request, right after the request (the flag is
    ///   set: the routine may already see it); or at once, inside
    ///   `register`, on the registering thread, if terminate was requested
    ///   before. It sees whatever the requester wrote before its request.
    ///   Callbacks of one worker run one after the other, in no set order.
    /// - **Removal.** Dropping a registered `OnTerminate` guarantees, once
    ///   the drop returns, that the callback is not running and never will:
    ///   if it is running on another thread, the drop waits for it (and then
    ///   sees what it wrote). Except from inside the callback itself (on the
    ///   thread running it, directly or deeper): then the drop returns at
    ///   once instead of waiting for itself.
    /// - **Panics.** A callback that panics loses neither the request (its
    ///   flag was set before) nor the other callbacks (they all run). The
    ///   first panic is re-raised on the requesting thread after all of them
    ///   ran, from the call that made the request (`request_terminate`,
    ///   `terminate`, … on a handle; `register` for a callback that ran at
    ///   once); later ones are dropped. A request that has no caller to
    ///   re-raise to (a handle's drop, a pool shutting down, `terminate_all`,
    ///   the monitor) drops them: the panic hook has reported each already.
    /// - **No allocation.** Registering links this value's own memory (an
    ///   intrusive node, as the `terminated()` futures do): pin it on the
    ///   stack with [`std::pin::pin!`], or in a `Box::pin` to keep it
    ///   around.
    /// - **`'static` callbacks.** A registration can be leaked in safe code
    ///   (`Box::pin` then `mem::forget`), and would then still run its
    ///   callback later, so a callback owns what it uses (`move`, an `Arc`).
    ///
    /// # Examples
    ///
    /// A routine blocked in a call that cannot check for terminate: the
    /// callback unblocks it (here by closing its channel).
    ///
    /// ```
    /// use std::pin::pin;
    /// use std::sync::mpsc;
    /// use clusworker::Worker;
    /// let (tx, rx) = mpsc::channel::<u32>();
    /// let worker = Worker::spawn(move |ctx| {
    ///     let mut closer = pin!(ctx.on_terminate(move || drop(tx)));
    ///     closer.as_mut().register();
    ///     rx.recv() // Err once every sender is gone
    /// })?;
    /// worker.terminate();
    /// assert!(worker.join().unwrap().is_err(), "woken by the callback");
    /// # Ok::<(), clusworker::SpawnError>(())
    /// ```
    ///
    /// Already requested: the callback runs at once, inside `register`.
    ///
    /// ```
    /// use std::pin::pin;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// use clusworker::{Registered, Worker};
    /// let worker = Worker::spawn(|ctx| while ctx.sleep(std::time::Duration::MAX).is_ok() {})?;
    /// let _ = worker.request_terminate();
    /// let ran = Arc::new(AtomicBool::new(false));
    /// let flag = ran.clone();
    /// let mut cb = pin!(worker.on_terminate(move || flag.store(true, Ordering::Relaxed)));
    /// assert_eq!(cb.as_mut().register(), Registered::Ran);
    /// assert!(ran.load(Ordering::Relaxed));
    /// # Ok::<(), clusworker::SpawnError>(())
    /// ```
    #[doc(alias = "stop_callback")]
    #[doc(alias = "Register")]
    #[doc(alias = "AfterFunc")]
    pub struct OnTerminate<'a, F> {
        #[pin]
        inner: clusworker_core::OnTerminate<'a, Park, F>,
    }
}

impl<'a, F: FnOnce() + Send + 'static> OnTerminate<'a, F> {
    /// A registration of `callback` on `word`, not yet registered.
    pub(crate) fn new(word: &'a WorkerWord<Park>, callback: F) -> Self {
        OnTerminate {
            inner: word.on_terminate(callback, &HOOKS),
        }
    }

    /// Registers the callback: it runs once, when terminate is requested,
    /// on the requesting thread; or now, on this thread, before this
    /// returns, if terminate was requested already ([`Registered::Ran`]).
    /// A second call changes nothing.
    ///
    /// # Panics
    ///
    /// Re-raises the callback's panic if it ran here and panicked (the
    /// registration is then done: it will not run again).
    pub fn register(self: Pin<&mut Self>) -> Registered {
        let inner = self.project().inner;
        collect_panics(|| inner.register())
    }
}

impl<F> fmt::Debug for OnTerminate<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}
