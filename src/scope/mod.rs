//! Scoped workers: [`scope`], [`Scope`], [`ScopedWorker`]; and children,
//! [`Context::scope`](crate::Context::scope).
//!
//! The contract is on [`scope`], the public entry point; `group` holds
//! the bookkeeping (and its protocol notes), `spawn` the spawns, `handle`
//! the handles, `child` [`Context::scope`](crate::Context::scope).

mod child;
mod group;
mod handle;
mod spawn;

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use clusworker_core::{Reason, Request};

use crate::builder::{Builder, SpawnError};
use crate::callback::collect_panics;
use crate::context::Context;
use crate::quiet::drop_quietly;
use group::Group;
pub use handle::ScopedWorker;

/// The scope that [`scope`] (or [`Context::scope`](crate::Context::scope))
/// gives its body: spawn into it, terminate it. See [`scope`].
///
/// `'scope` is the scope's own lifetime, `'env` that of what its workers
/// borrow (as std's `thread::Scope`).
pub struct Scope<'scope, 'env: 'scope> {
    group: Arc<Group>,
    scope: PhantomData<&'scope mut &'scope ()>,
    env: PhantomData<&'env mut &'env ()>,
}

/// Runs `body` with a [`Scope`], joins every worker spawned in it, and
/// returns the body's value.
///
/// A scope is std's `thread::scope` whose workers can be told to stop, and
/// stop together:
///
/// - **Borrowing.** Workers spawned in a scope ([`Scope::spawn`],
///   [`Scope::spawn_fallible`], [`Builder::spawn_scoped`](crate::Builder::spawn_scoped))
///   may borrow from the caller: no `'static`. The scope joins every one of
///   them before [`scope`] returns, whether its body returns or panics.
/// - **One fails, all stop.** When a worker panics (or, spawned with
///   `spawn_fallible`, returns `Err`), every other worker of the scope is
///   terminated with [`Reason::SiblingFailed`], once, the failed one
///   excepted; workers spawned later start terminated. So does a panic of
///   the scope's body (it is a member too).
/// - **Terminated as a whole.** [`Scope::request_terminate_with`] requests
///   every worker, present and future, with one reason;
///   [`Scope::reason`] says why the scope was terminated.
/// - **Children.** [`Context::scope`](crate::Context::scope) opens a scope
///   tied to a routine's own worker: when that worker is terminated, the
///   scope is, at once, with [`Reason::ParentTerminated`] (a callback on
///   the parent, no polling); the routine cannot return before its
///   children have exited. Scopes nest.
///
/// # Results: every one, once
///
/// [`ScopedWorker::join`] gives a worker's value or its panic's payload.
/// What nobody joined, the scope handles after joining every thread:
///
/// - values (an `Err` of `spawn_fallible` included: it is the routine's
///   value, and it already stopped the siblings) are dropped;
/// - panics are re-raised by [`scope`] (as std's `thread::scope` does,
///   but with the worker's own payload): the one that terminated the scope
///   if it is un-joined, otherwise the first in spawn order; the others
///   are dropped (the panic hook reported each). A panic of the body wins
///   over them all.
///
/// Nothing is dropped twice: a result is taken once (the core's claim bit)
/// by `join` or by the scope, never both.
///
/// # Deadlines
///
/// The scope's: [`Scope::terminate_at`] terminates the whole scope with
/// [`Reason::DeadlinePassed`]. A worker's own:
/// [`Builder::deadline`](crate::Builder::deadline) or
/// [`Builder::timeout`](crate::Builder::timeout), then
/// [`spawn_scoped`](crate::Builder::spawn_scoped); a deadline that passes
/// terminates that worker, and is no failure.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use clusworker::Reason;
///
/// let disks = vec!["sda", "sdb", "sdc"];
/// let outcome = clusworker::scope(|s| {
///     for d in &disks {
///         // Borrows `disks`: no 'static, no Arc.
///         s.spawn(move |ctx| while ctx.sleep(Duration::from_millis(1)).is_ok() { let _ = d; })?;
///     }
///     let bad = s.spawn_fallible(|_ctx| Err::<(), _>("sdd is missing"))?;
///     Ok::<_, clusworker::SpawnError>(bad.join().unwrap())
/// })?;
/// // The failure stopped the three others; all were joined.
/// assert_eq!(outcome, Err("sdd is missing"));
/// # Ok::<(), clusworker::SpawnError>(())
/// ```
///
/// # Panics
///
/// Re-raises the body's panic, or else an un-joined worker's (above),
/// after every worker was joined.
///
/// A smaller example, workers writing into the caller's array:
///
/// ```
/// let mut totals = [0u64; 2];
/// let data = [1u64, 2, 3, 4];
/// clusworker::scope(|s| {
///     let (a, b) = totals.split_at_mut(1);
///     s.spawn(|_| a[0] = data[..2].iter().sum()).unwrap();
///     s.spawn(|_| b[0] = data[2..].iter().sum()).unwrap();
/// });
/// assert_eq!(totals, [3, 7]);
/// ```
pub fn scope<'env, F, R>(body: F) -> R
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> R,
{
    let group = Arc::new(Group::default());
    let ran = run_body(&group, body);
    end(&group, ran)
}

/// Runs the body and joins every worker; never unwinds. The caller then
/// makes sure that nothing else can request the group (a parent's callback
/// removed) and calls [`end`].
fn run_body<'env, F, R>(group: &Arc<Group>, body: F) -> thread::Result<R>
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> R,
{
    let scope = Scope {
        group: group.clone(),
        scope: PhantomData,
        env: PhantomData,
    };
    let ran = catch_unwind(AssertUnwindSafe(|| body(&scope)));
    if ran.is_err() {
        let _ = group.terminate(Reason::SiblingFailed, None);
    }
    group.join_all();
    ran
}

/// Frees the workers' blocks and gives the body's value, or re-raises.
fn end<R>(group: &Group, ran: thread::Result<R>) -> R {
    let unjoined: Option<Box<dyn Any + Send>> = group.finish();
    match ran {
        Ok(value) => match unjoined {
            Some(payload) => resume_unwind(payload),
            None => value,
        },
        Err(payload) => {
            if let Some(other) = unjoined {
                let _ = drop_quietly(other);
            }
            resume_unwind(payload)
        }
    }
}

impl<'scope, 'env> Scope<'scope, 'env> {
    fn group(&'scope self) -> &'scope Group {
        &self.group
    }

    /// Terminates the scope: requests every worker in it, and every worker
    /// spawned in it later, with `reason`; returns at once (the scope's end
    /// waits). [`Request::First`] if this call terminated the scope,
    /// otherwise [`Request::AlreadyRequested`] with the first reason (a
    /// sibling's failure, a parent's terminate, an earlier call).
    ///
    /// # Panics
    ///
    /// Re-raises the first panic of an [`OnTerminate`](crate::OnTerminate)
    /// callback this request ran, after all of them ran.
    ///
    /// # Examples
    ///
    /// ```
    /// use clusworker::{Reason, Request};
    /// clusworker::scope(|s| {
    ///     let a = s.spawn(|ctx| while ctx.sleep(std::time::Duration::MAX).is_ok() {})?;
    ///     assert_eq!(s.request_terminate_with(Reason::User(9)), Request::First);
    ///     let late = s.spawn(|ctx| ctx.reason())?;
    ///     assert_eq!(late.join().unwrap(), Some(Reason::User(9)));
    ///     assert_eq!(a.reason(), Some(Reason::User(9)));
    ///     Ok::<(), clusworker::SpawnError>(())
    /// })?;
    /// # Ok::<(), clusworker::SpawnError>(())
    /// ```
    pub fn request_terminate_with(&self, reason: Reason) -> Request {
        collect_panics(|| self.group.terminate(reason, None))
    }

    /// Terminates the scope at `deadline`, with [`Reason::DeadlinePassed`]
    /// (unless it was terminated before): every worker in it then, and
    /// every one spawned later. The deadline counts until every worker
    /// ended, not only the body. A deadline already past terminates the
    /// scope at once. Each call adds one (the earliest wins).
    ///
    /// It costs a thread of the scope's own, asleep until the deadline
    /// (its `Builder::deadline`, from the process's one timer), and ended
    /// by the scope's end.
    ///
    /// # Errors
    ///
    /// As [`spawn`](Self::spawn): that thread could not be started.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use clusworker::Reason;
    /// clusworker::scope(|s| {
    ///     s.terminate_at(Instant::now() + Duration::from_millis(10))?;
    ///     let w = s.spawn(|ctx| while ctx.sleep(Duration::MAX).is_ok() {})?;
    ///     w.join().unwrap(); // ended by the deadline
    ///     assert_eq!(s.reason(), Some(Reason::DeadlinePassed));
    ///     Ok::<(), clusworker::SpawnError>(())
    /// })?;
    /// # Ok::<(), clusworker::SpawnError>(())
    /// ```
    pub fn terminate_at(&'scope self, deadline: Instant) -> Result<(), SpawnError> {
        let group = self.group();
        let clock = move |ctx: &Context| {
            while ctx.sleep(Duration::MAX).is_ok() {}
            if ctx.reason() == Some(Reason::DeadlinePassed) {
                // Not `request_terminate_with`: no caller to re-raise a
                // callback's panic to (dropped, reported by the hook).
                let _ = group.terminate(Reason::DeadlinePassed, None);
            }
        };
        let builder = Builder::new()
            .name("scope-deadline".into())
            .deadline(deadline);
        spawn::spawn_member(builder, self, clock, |_| false, true).map(drop)
    }

    /// [`request_terminate_with`](Self::request_terminate_with)
    /// [`Reason::Requested`].
    pub fn request_terminate(&self) -> Request {
        self.request_terminate_with(Reason::Requested)
    }

    /// Why the scope was terminated: the first reason
    /// ([`Reason::SiblingFailed`], [`Reason::ParentTerminated`], a
    /// request's), or `None` while it was not.
    pub fn reason(&self) -> Option<Reason> {
        self.group.reason()
    }
}

impl fmt::Debug for Scope<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("workers", &self.group.len())
            .field("reason", &self.group.reason())
            .finish()
    }
}
