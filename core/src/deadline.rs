//! Deadlines on the platform's monotonic clock.

use core::marker::PhantomData;
use core::time::Duration;

use crate::platform::Platform;

/// A point on `P`'s clock, or never.
pub(crate) struct Deadline<P: Platform> {
    /// `None`: no deadline (no timeout, or one too large to represent).
    at: Option<Duration>,
    _platform: PhantomData<fn() -> P>,
}

impl<P: Platform> Deadline<P> {
    /// `timeout` from now. A timeout that overflows the clock never expires.
    pub(crate) fn after(timeout: Option<Duration>) -> Self {
        Deadline {
            at: timeout.and_then(|t| P::now().checked_add(t)),
            _platform: PhantomData,
        }
    }

    /// Time left: `None` for no deadline, `Some(ZERO)` once it has passed.
    pub(crate) fn remaining(&self) -> Option<Duration> {
        self.at.map(|at| at.saturating_sub(P::now()))
    }
}
