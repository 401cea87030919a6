//! How a worker starts: [`Worker::spawn`], [`Builder`] (a worker with a
//! name or a stack size), and [`SpawnError`].

use std::ffi::CString;
use std::fmt;
use std::io;
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use crate::context::Context;
use crate::deadline::{self, Limit};
use crate::packet::{self, Header};
use crate::sys::Thread;
use crate::worker::Worker;

impl<T: Send + 'static> Worker<T> {
    /// Starts a worker running `routine` on a new OS thread.
    ///
    /// Fails only if the OS cannot start a thread; the error carries the OS
    /// code, and nothing is leaked (the routine is dropped unrun).
    ///
    /// # Examples
    ///
    /// ```
    /// let worker = clusworker::Worker::spawn(|_ctx| 6 * 7)?;
    /// assert_eq!(worker.join().ok(), Some(42));
    /// # Ok::<(), clusworker::SpawnError>(())
    /// ```
    #[doc(alias = "ClusWorkerCreate")]
    #[track_caller]
    pub fn spawn<F>(routine: F) -> Result<Worker<T>, SpawnError>
    where
        F: FnOnce(&Context) -> T + Send + 'static,
    {
        Builder::new().spawn(routine)
    }
}

/// Configures a worker before it starts.
///
/// # Examples
///
/// ```
/// use clusworker::Builder;
/// let worker = Builder::new()
///     .name("disk-online".to_string())
///     .stack_size(256 * 1024)
///     .spawn(|ctx| ctx.check_terminate())?;
/// assert_eq!(worker.join().ok(), Some(false));
/// # Ok::<(), clusworker::SpawnError>(())
/// ```
#[derive(Debug, Clone, Default)]
#[must_use = "a Builder does nothing until `spawn` is called"]
pub struct Builder {
    name: Option<String>,
    stack_size: Option<usize>,
    deadline: Option<Limit>,
}

impl Builder {
    /// A builder with the OS defaults: no name, the default stack size.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Names the thread (as the OS shows it in debuggers and `top`). Linux
    /// keeps the first 15 bytes. A name with a NUL byte makes `spawn` fail
    /// with [`SpawnError::InvalidName`].
    pub fn name(mut self, name: String) -> Builder {
        self.name = Some(name);
        self
    }

    /// The stack size in bytes, rounded up to the system minimum and to a
    /// whole page. A size the OS cannot provide makes `spawn` fail with
    /// [`SpawnError::Os`].
    pub fn stack_size(mut self, bytes: usize) -> Builder {
        self.stack_size = Some(bytes);
        self
    }

    /// A deadline on the worker itself (.NET's `CancelAfter`, Go's
    /// `context.WithDeadline`): when `deadline` passes, terminate is
    /// requested with [`Reason::DeadlinePassed`](crate::Reason::DeadlinePassed),
    /// as if a handle had asked, so a routine that only ever calls
    /// `check_terminate` sees it too. The routine reads it with
    /// [`Context::deadline`]. An earlier request wins (the reason seen is
    /// the first one's); a routine that returns first cancels it. A
    /// deadline that has passed by the time the thread starts is requested
    /// on the worker's thread before the routine, whose first check sees it.
    ///
    /// No thread or timer per worker: one timer thread for the process
    /// fires every deadline, started by the first worker with one. The
    /// request runs on it, so [`OnTerminate`](crate::OnTerminate) callbacks
    /// of that worker run there too: keep them short, as they delay the
    /// process's other deadlines while they run. A worker without a
    /// deadline pays nothing for this. A pool's jobs take one too:
    /// [`Pool::spawn_with_deadline`](crate::pool::Pool::spawn_with_deadline).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use clusworker::{Builder, Reason};
    /// let worker = Builder::new()
    ///     .deadline(Instant::now() + Duration::from_millis(20))
    ///     .spawn(|ctx| {
    ///         while !ctx.check_terminate() {
    ///             std::hint::spin_loop(); // a step of work
    ///         }
    ///         ctx.reason()
    ///     })?;
    /// assert_eq!(worker.join().unwrap(), Some(Reason::DeadlinePassed));
    /// # Ok::<(), clusworker::SpawnError>(())
    /// ```
    #[doc(alias = "CancelAfter")]
    #[doc(alias = "WithDeadline")]
    pub fn deadline(mut self, deadline: Instant) -> Builder {
        self.deadline = Some(Limit::At(deadline));
        self
    }

    /// A deadline `timeout` after the spawn (.NET's `CancelAfter`, Go's
    /// `context.WithTimeout`); see [`deadline`](Self::deadline). Measured
    /// from each `spawn`, so one builder gives every worker it starts its
    /// own. A timeout too large for the clock ([`Duration::MAX`]) never
    /// passes: no deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use clusworker::{Builder, Reason, Terminated};
    /// let worker = Builder::new()
    ///     .timeout(Duration::from_millis(20))
    ///     .spawn(|ctx| ctx.sleep(Duration::MAX))?;
    /// assert_eq!(worker.join().unwrap(), Err(Terminated(Reason::DeadlinePassed)));
    /// # Ok::<(), clusworker::SpawnError>(())
    /// ```
    #[doc(alias = "CancelAfter")]
    #[doc(alias = "WithTimeout")]
    pub fn timeout(mut self, timeout: Duration) -> Builder {
        self.deadline = Some(Limit::After(timeout));
        self
    }

    /// Starts the worker; see [`Worker::spawn`].
    ///
    /// # Errors
    ///
    /// [`SpawnError::InvalidName`] for a name with a NUL byte, and
    /// [`SpawnError::Os`] when the OS refuses the thread (out of memory,
    /// thread limits, an absurd stack size). On error, `routine` is dropped
    /// unrun and nothing is leaked.
    #[doc(alias = "ClusWorkerCreate")]
    #[track_caller]
    pub fn spawn<F, T>(self, routine: F) -> Result<Worker<T>, SpawnError>
    where
        F: FnOnce(&Context) -> T + Send + 'static,
        T: Send + 'static,
    {
        // SAFETY: `F` and `T` are `'static`: they outlive any thread.
        let (header, thread) = unsafe { self.spawn_unchecked(routine) }?;
        Ok(Worker::from_parts(header, thread))
    }

    /// [`spawn`](Self::spawn) without the `'static` bounds, giving the
    /// block and the thread (a scope keeps them: `crate::scope`).
    ///
    /// # Safety
    ///
    /// As [`packet::spawn_unchecked`]: the caller waits for the thread's
    /// use of `F` and `T` to end before anything they borrow goes.
    #[track_caller]
    pub(crate) unsafe fn spawn_unchecked<F, T>(
        self,
        routine: F,
    ) -> Result<(NonNull<Header<T>>, Thread), SpawnError>
    where
        F: FnOnce(&Context) -> T + Send,
        T: Send,
    {
        let name = match self.name {
            Some(n) => Some(CString::new(n).map_err(|_| SpawnError::InvalidName)?),
            None => None,
        };
        let timer = deadline::resolve(self.deadline).map_err(|error| SpawnError::Os {
            call: "std::thread::Builder::spawn (the deadline timer)",
            error,
        })?;
        let spawned = match timer {
            // SAFETY: our caller's contract is `spawn_unchecked`'s.
            None => unsafe { packet::spawn_unchecked(routine, name, self.stack_size, ()) },
            // SAFETY: as above.
            Some(timer) => unsafe {
                packet::spawn_unchecked(routine, name, self.stack_size, timer)
            },
        };
        spawned.map_err(|e| SpawnError::Os {
            call: e.call,
            error: e.to_io(),
        })
    }
}

/// Why a worker could not be started. Nothing was leaked; the routine was
/// dropped unrun.
#[derive(Debug)]
#[non_exhaustive]
pub enum SpawnError {
    /// The OS refused: `call` failed with `error` (which carries the OS
    /// code: [`io::Error::raw_os_error`]).
    Os {
        /// The OS call that failed, such as `pthread_create`.
        call: &'static str,
        /// The OS error.
        error: io::Error,
    },
    /// The thread name contained a NUL byte.
    InvalidName,
    /// More threads were asked of a [`Pool`](crate::pool::Pool) than it
    /// may have; nothing was allocated or started.
    TooManyThreads {
        /// The number asked for.
        requested: usize,
        /// The most a pool may have ([`Pool::MAX_THREADS`](crate::pool::Pool::MAX_THREADS)).
        max: usize,
    },
}

impl SpawnError {
    /// The OS error code (`errno`, `GetLastError`), if the OS refused.
    pub fn raw_os_error(&self) -> Option<i32> {
        match self {
            SpawnError::Os { error, .. } => error.raw_os_error(),
            SpawnError::InvalidName | SpawnError::TooManyThreads { .. } => None,
        }
    }
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::Os { call, error } => {
                write!(f, "cannot start a worker: {call} failed: {error}")
            }
            SpawnError::InvalidName => {
                f.write_str("cannot start a worker: its name contains a NUL byte")
            }
            SpawnError::TooManyThreads { requested, max } => write!(
                f,
                "cannot start a pool of {requested} threads: at most {max} are allowed"
            ),
        }
    }
}

impl std::error::Error for SpawnError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SpawnError::Os { error, .. } => Some(error),
            SpawnError::InvalidName | SpawnError::TooManyThreads { .. } => None,
        }
    }
}

impl From<SpawnError> for io::Error {
    fn from(e: SpawnError) -> io::Error {
        match e {
            SpawnError::Os { error, .. } => error,
            SpawnError::InvalidName | SpawnError::TooManyThreads { .. } => {
                io::Error::new(io::ErrorKind::InvalidInput, e)
            }
        }
    }
}
