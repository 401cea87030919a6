//! [`terminate_all`]: `ClusWorkersTerminate`.

use std::fmt;
use std::time::{Duration, Instant};

use crate::worker::Worker;

/// Requests terminate of every worker first, then waits for all of them
/// under one deadline `timeout` from now: `ClusWorkersTerminate`.
///
/// Signalling all before waiting means N sleeping workers wind down in
/// parallel, in about the time of one. Microsoft's documentation does not
/// fix the order; this is ours.
///
/// # Errors
///
/// [`NotExited`] lists (by index into `workers`) the workers whose routine
/// was still running at the deadline, including a worker whose own thread
/// called this (it cannot wait for itself). They keep running and keep their
/// results: wait for them, terminate them or join them later.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use clusworker::{terminate_all, Worker};
/// let workers: Vec<Worker<()>> = (0..4)
///     .map(|_| Worker::spawn(|ctx| while ctx.sleep(Duration::MAX).is_ok() {}))
///     .collect::<Result<_, _>>()?;
/// let refs: Vec<&Worker<()>> = workers.iter().collect();
/// assert!(terminate_all(&refs, Duration::from_secs(10)).is_ok());
/// # Ok::<(), clusworker::SpawnError>(())
/// ```
#[doc(alias = "ClusWorkersTerminate")]
pub fn terminate_all<T>(workers: &[&Worker<T>], timeout: Duration) -> Result<(), NotExited> {
    for w in workers {
        let _ = w.word().request_terminate();
    }
    wait_all(workers, timeout)
}

/// Waits, under one deadline, for every worker to exit, without requesting
/// terminate: `ClusWorkersTerminate` with `wait_only`.
///
/// # Errors
///
/// As [`terminate_all`].
pub fn wait_all<T>(workers: &[&Worker<T>], timeout: Duration) -> Result<(), NotExited> {
    let deadline = Instant::now().checked_add(timeout);
    let mut pending = Vec::new();
    for (i, w) in workers.iter().enumerate() {
        let left = match deadline {
            Some(d) => d.saturating_duration_since(Instant::now()),
            None => Duration::MAX,
        };
        if w.wait_timeout(left).is_err() {
            pending.push(i);
        }
    }
    if pending.is_empty() {
        Ok(())
    } else {
        Err(NotExited { pending })
    }
}

/// Some workers had not exited by the deadline of [`terminate_all`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NotExited {
    pending: Vec<usize>,
}

impl NotExited {
    /// Indices, into the slice given, of the workers still running, in
    /// increasing order.
    pub fn pending(&self) -> &[usize] {
        &self.pending
    }
}

impl fmt::Display for NotExited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} worker(s) did not exit before the deadline: {:?}",
            self.pending.len(),
            self.pending
        )
    }
}

impl std::error::Error for NotExited {}
