//! [`gate`]: something a routine blocks on, deaf to terminate, until the
//! test opens it.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};

use crate::bounds::LONG;

/// The test's side of a gate: the routine blocked in [`Pass::wait`] goes on
/// when this is opened, or dropped.
#[derive(Debug)]
#[must_use = "dropping the gate opens it"]
pub struct Gate {
    _open: Sender<()>,
}

/// The routine's side of a gate.
#[derive(Debug)]
pub struct Pass {
    rx: Receiver<()>,
}

/// A gate a routine blocks on, deaf to terminate, until the test opens it.
///
/// # Examples
///
/// ```
/// use clusworker_test_support::gate;
/// let (gate, pass) = gate();
/// let routine = std::thread::spawn(move || pass.wait());
/// gate.open();
/// assert!(routine.join().unwrap(), "the gate was opened");
/// ```
pub fn gate() -> (Gate, Pass) {
    let (tx, rx) = mpsc::channel();
    (Gate { _open: tx }, Pass { rx })
}

impl Gate {
    /// Lets the routine go on.
    pub fn open(self) {}
}

impl Pass {
    /// Blocks until the gate is opened (or dropped). Gives up after
    /// [`LONG`], so that a failing test cannot leave a worker blocked
    /// forever; returns whether the gate was really opened.
    pub fn wait(self) -> bool {
        matches!(
            self.rx.recv_timeout(LONG),
            Err(RecvTimeoutError::Disconnected) | Ok(())
        )
    }
}
