//! Children: [`Context::scope`], a scope tied to the routine's own worker.

use std::pin::pin;
use std::sync::Arc;

use clusworker_core::Reason;

use super::group::Group;
use super::{Scope, end, run_body};
use crate::context::Context;

impl Context {
    /// A [`scope`](fn@crate::scope) whose workers are this worker's children:
    /// terminating this worker terminates the scope at once, with
    /// [`Reason::ParentTerminated`] (a callback on this worker, run by the
    /// terminating thread: no polling), and this call, like `scope`,
    /// returns only after every child exited. If this worker was already
    /// terminated, every child starts terminated. Works the same in a
    /// [pool](crate::pool)'s routine, and nests (a child's own
    /// `ctx.scope` makes grandchildren).
    ///
    /// A child's failure terminates its siblings, not the parent: the
    /// routine decides (it joins the child, or sees
    /// [`Scope::reason`]).
    ///
    /// # Panics
    ///
    /// As [`scope`](fn@crate::scope).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use clusworker::{Reason, Worker};
    /// let parent = Worker::spawn(|ctx| {
    ///     ctx.scope(|s| {
    ///         let child = s.spawn(|c| while c.sleep(Duration::MAX).is_ok() {}).unwrap();
    ///         while ctx.sleep(Duration::MAX).is_ok() {}
    ///         child.join().expect("no panic");
    ///         s.reason()
    ///     })
    /// })?;
    /// parent.terminate(); // the child is terminated by the same request
    /// assert_eq!(parent.join().unwrap(), Some(Reason::ParentTerminated));
    /// # Ok::<(), clusworker::SpawnError>(())
    /// ```
    pub fn scope<'env, F, R>(&'env self, body: F) -> R
    where
        F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> R,
    {
        let group = Arc::new(Group::default());
        let ran = {
            let link = group.clone();
            let mut parent = pin!(self.on_terminate(move || {
                let _ = link.terminate(Reason::ParentTerminated, None);
            }));
            // `Ran` when this worker was terminated already: the scope
            // starts terminated, so every child does.
            let _ = parent.as_mut().register();
            run_body(&group, body)
            // The callback is removed here, before the blocks are freed:
            // once the drop returns it is not running and never will, so
            // its walk over the children's words has ended.
        };
        end(&group, ran)
    }
}
