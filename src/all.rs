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
    let mut names = Vec::new();
    for (i, w) in workers.iter().enumerate() {
        let left = match deadline {
            Some(d) => d.saturating_duration_since(Instant::now()),
            None => Duration::MAX,
        };
        if w.wait_timeout(left).is_err() {
            pending.push(i);
            names.push(w.name().map(str::to_owned));
        }
    }
    if pending.is_empty() {
        Ok(())
    } else {
        Err(NotExited { pending, names })
    }
}

/// Some workers had not exited by the deadline of [`terminate_all`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NotExited {
    pending: Vec<usize>,
    /// `names[i]` is the name of the worker at `pending[i]`.
    names: Vec<Option<String>>,
}

impl NotExited {
    /// Indices, into the slice given, of the workers still running, in
    /// increasing order.
    pub fn pending(&self) -> &[usize] {
        &self.pending
    }

    /// The names ([`Worker::name`]) of the workers still running, in the
    /// order of [`pending`](Self::pending); `None` for an unnamed one.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use clusworker::{Builder, wait_all};
    /// let (release, released) = std::sync::mpsc::channel::<()>();
    /// let quick = Builder::new().name("quick".into()).spawn(|_| ())?;
    /// let slow = Builder::new().name("slow".into()).spawn(move |_| {
    ///     let _ = released.recv();
    /// })?;
    /// quick.wait().unwrap();
    /// let err = wait_all(&[&quick, &slow], Duration::ZERO).unwrap_err();
    /// assert_eq!(err.pending(), [1]);
    /// assert_eq!(err.names().collect::<Vec<_>>(), [Some("slow")]);
    /// assert!(err.to_string().contains("slow"));
    /// drop(release);
    /// # Ok::<(), clusworker::SpawnError>(())
    /// ```
    pub fn names(&self) -> impl Iterator<Item = Option<&str>> {
        self.names.iter().map(Option::as_deref)
    }
}

impl fmt::Display for NotExited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} worker(s) did not exit before the deadline: [",
            self.pending.len()
        )?;
        for (n, (i, name)) in self.pending.iter().zip(self.names()).enumerate() {
            let sep = if n == 0 { "" } else { ", " };
            match name {
                Some(name) => write!(f, "{sep}{i} ({name})")?,
                None => write!(f, "{sep}{i}")?,
            }
        }
        f.write_str("]")
    }
}

impl std::error::Error for NotExited {}
