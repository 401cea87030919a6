//! [`CallbackHooks`]: what an embedder tells the callbacks about its
//! threads. Its own module, because both the callback nodes (`callback`)
//! and the list that runs them (`waiters`) need it, and neither may depend
//! on the other.

/// What an embedder tells the callbacks about its threads: who is calling,
/// and how to run a callback.
///
/// # Examples
///
/// A single-threaded embedder (every caller is the same thread):
///
/// ```
/// use clusworker_core::CallbackHooks;
/// static HOOKS: CallbackHooks = CallbackHooks {
///     thread: || 1,
///     call: |callback| callback(),
/// };
/// # let _ = &HOOKS;
/// ```
#[derive(Debug)]
pub struct CallbackHooks {
    /// A number for the calling thread, different for any two threads
    /// alive at once (the address of a thread-local, say). A removal that
    /// finds its callback running asks it, on its own thread, and compares
    /// it with the runner's: equal means "from inside the callback", and
    /// the removal returns at once instead of waiting for itself. It is
    /// called under the list's lock: keep it to a few instructions.
    pub thread: fn() -> usize,
    /// Runs one callback (`callback` calls it). `|f| f()` runs it plainly;
    /// `clusworker` catches its panic here, so that a panicking callback
    /// stops neither the request nor the other callbacks.
    pub call: fn(&mut dyn FnMut()),
}
