//! Spawning into a scope: [`Scope::spawn`], [`Scope::spawn_fallible`] and
//! their [`Builder`] forms, all through [`spawn_member`].

use std::ptr::NonNull;

use clusworker_core::WorkerWord;

use super::Scope;
use super::group::{Group, Member};
use super::handle::ScopedWorker;
use crate::builder::{Builder, SpawnError};
use crate::context::Context;
use crate::sys::Park;

impl<'scope> Scope<'scope, '_> {
    /// Starts a worker in the scope. Its routine may borrow anything that
    /// outlives the scope; a panic in it terminates the other workers
    /// ([`Reason::SiblingFailed`](crate::Reason::SiblingFailed)). Started
    /// in a scope already terminated, it sees the request at once.
    ///
    /// # Errors
    ///
    /// As [`Worker::spawn`](crate::Worker::spawn): the OS refused the
    /// thread; the routine was dropped unrun, the scope goes on.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut counts = [0u32; 4];
    /// clusworker::scope(|s| {
    ///     for c in counts.iter_mut() {
    ///         s.spawn(move |_ctx| *c += 1)?;
    ///     }
    ///     Ok::<(), clusworker::SpawnError>(())
    /// })?;
    /// assert_eq!(counts, [1; 4]);
    /// # Ok::<(), clusworker::SpawnError>(())
    /// ```
    #[track_caller]
    pub fn spawn<F, T>(&'scope self, routine: F) -> Result<ScopedWorker<'scope, T>, SpawnError>
    where
        F: FnOnce(&Context) -> T + Send + 'scope,
        T: Send + 'scope,
    {
        Builder::new().spawn_scoped(self, routine)
    }

    /// [`spawn`](Self::spawn) for a routine that returns a `Result`: an
    /// `Err` is a failure too, and terminates the other workers
    /// ([`Reason::SiblingFailed`](crate::Reason::SiblingFailed)). The
    /// `Err` is the routine's value: [`join`](ScopedWorker::join) gives it.
    ///
    /// # Errors
    ///
    /// As [`spawn`](Self::spawn).
    ///
    /// # Examples
    ///
    /// ```
    /// use clusworker::Reason;
    /// clusworker::scope(|s| {
    ///     let waiter = s.spawn(|ctx| while ctx.sleep(std::time::Duration::MAX).is_ok() {})?;
    ///     let failing = s.spawn_fallible(|_ctx| "disk offline".parse::<u32>())?;
    ///     assert!(failing.join().unwrap().is_err());
    ///     waiter.join().unwrap(); // ended by the failure
    ///     assert_eq!(s.reason(), Some(Reason::SiblingFailed));
    ///     Ok::<(), clusworker::SpawnError>(())
    /// })?;
    /// # Ok::<(), clusworker::SpawnError>(())
    /// ```
    #[track_caller]
    pub fn spawn_fallible<F, T, E>(
        &'scope self,
        routine: F,
    ) -> Result<ScopedWorker<'scope, Result<T, E>>, SpawnError>
    where
        F: FnOnce(&Context) -> Result<T, E> + Send + 'scope,
        T: Send + 'scope,
        E: Send + 'scope,
    {
        Builder::new().spawn_scoped_fallible(self, routine)
    }
}

impl Builder {
    /// [`Scope::spawn`] with this builder's name and stack size (std's
    /// `Builder::spawn_scoped`).
    ///
    /// # Errors
    ///
    /// As [`Builder::spawn`].
    ///
    /// # Examples
    ///
    /// ```
    /// use clusworker::Builder;
    /// let disks = ["sda", "sdb"];
    /// clusworker::scope(|s| {
    ///     for d in &disks {
    ///         let w = Builder::new().name(format!("online-{d}")).spawn_scoped(s, |_ctx| d.len())?;
    ///         assert_eq!(w.join().unwrap(), 3);
    ///     }
    ///     Ok::<(), clusworker::SpawnError>(())
    /// })?;
    /// # Ok::<(), clusworker::SpawnError>(())
    /// ```
    #[track_caller]
    pub fn spawn_scoped<'scope, F, T>(
        self,
        scope: &'scope Scope<'scope, '_>,
        routine: F,
    ) -> Result<ScopedWorker<'scope, T>, SpawnError>
    where
        F: FnOnce(&Context) -> T + Send + 'scope,
        T: Send + 'scope,
    {
        spawn_member(self, scope, routine, |_| false, false)
    }

    /// [`Scope::spawn_fallible`] with this builder's name and stack size.
    ///
    /// # Errors
    ///
    /// As [`Builder::spawn`].
    #[track_caller]
    pub fn spawn_scoped_fallible<'scope, F, T, E>(
        self,
        scope: &'scope Scope<'scope, '_>,
        routine: F,
    ) -> Result<ScopedWorker<'scope, Result<T, E>>, SpawnError>
    where
        F: FnOnce(&Context) -> Result<T, E> + Send + 'scope,
        T: Send + 'scope,
        E: Send + 'scope,
    {
        spawn_member(self, scope, routine, Result::is_err, false)
    }
}

/// Reports its worker's failure to the group when dropped armed: by a
/// panic's unwinding, or after a value that `fails`.
struct Watch<'a> {
    group: &'a Group,
    word: NonNull<WorkerWord<Park>>,
    armed: bool,
}

impl Drop for Watch<'_> {
    fn drop(&mut self) {
        if self.armed {
            // Requests the siblings (their callbacks' panics are caught and
            // dropped: this may run during an unwinding).
            let _ = self
                .group
                .terminate(crate::Reason::SiblingFailed, Some(self.word));
        }
    }
}

/// Starts `routine` as a member of `scope`; `fails` says which of its
/// values count as a failure; a `clock` is joined last (`join_all`).
#[track_caller]
pub(super) fn spawn_member<'scope, F, T>(
    builder: Builder,
    scope: &'scope Scope<'scope, '_>,
    routine: F,
    fails: fn(&T) -> bool,
    clock: bool,
) -> Result<ScopedWorker<'scope, T>, SpawnError>
where
    F: FnOnce(&Context) -> T + Send + 'scope,
    T: Send + 'scope,
{
    let group: &'scope Group = scope.group();
    let member = move |ctx: &Context| {
        group.enter(ctx.word());
        let mut watch = Watch {
            group,
            word: NonNull::from(ctx.word()),
            armed: true,
        };
        let value = routine(ctx);
        watch.armed = fails(&value);
        // The siblings are requested before this worker's exit is
        // published: whoever joins it sees them terminated.
        drop(watch);
        value
    };
    // SAFETY: std's `thread::scope` invariant. The scope joins every
    // member's thread before `scope` (or `Context::scope`) returns, on
    // every path: the member is in the group right below (a push cannot
    // unwind: out of memory aborts), the body's panic is caught, and
    // `join_all` cannot unwind; then it takes every un-joined `T` out and
    // drops it, still before returning. What `F` and `T` borrow outlives
    // `'scope`, and since the body takes any `'scope` (higher-ranked),
    // that is whatever outlives the call to `scope`: alive until after
    // those joins and drops.
    let (header, thread) = unsafe { builder.spawn_unchecked(member) }?;
    group.add(Member::new(header, thread, clock));
    Ok(ScopedWorker::new(header))
}
