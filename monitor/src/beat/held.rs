//! [`Held`]: a status handle's share of its operation's heartbeat word.

use std::ptr::NonNull;
use std::time::Duration;

use super::Beat;
use crate::machine::ResourceState;

/// One holder of a [`Beat`] in the monitor's chunks (see the module docs
/// of [`crate::beat`]): counted in the word while it lives, so that the
/// word is not reopened for a later operation under it.
#[derive(Debug)]
pub(crate) struct Held {
    beat: NonNull<Beat>,
    /// The coarse clock's reading at the monitor's epoch, in nanoseconds.
    origin: u64,
}

// SAFETY: a `Held` only reads and changes its word through atomics (`Beat`
// is `Sync`); the word's memory stays valid while it lives (`new`'s
// contract), whichever thread it is on.
unsafe impl Send for Held {}
// SAFETY: as for `Send`: `&Held` gives only `&Beat`, which is `Sync`.
unsafe impl Sync for Held {}

impl Held {
    /// A new holder of `beat`, counted in it.
    ///
    /// # Safety
    ///
    /// `beat` must stay where it is, alive, until this `Held` and every
    /// clone of it are dropped: the caller keeps the chunks that hold it
    /// (the monitor's state) alive for that long. A status handle does, by
    /// the monitor it reports to, which it drops after this.
    pub(crate) unsafe fn new(beat: &Beat, origin: Duration) -> Held {
        beat.hold();
        Held {
            beat: NonNull::from(beat),
            origin: origin.as_nanos() as u64,
        }
    }

    fn beat(&self) -> &Beat {
        // SAFETY: the word outlives every holder (`new`'s contract).
        unsafe { self.beat.as_ref() }
    }

    /// Whether a report of `state` could be a heartbeat of this operation.
    pub(crate) fn takes(&self, state: ResourceState) -> bool {
        self.beat().takes(state)
    }

    /// A heartbeat at `checkpoint`, now ([`Beat::heartbeat`]).
    pub(crate) fn heartbeat(&self, checkpoint: u32) -> bool {
        self.beat().heartbeat(checkpoint, self.origin)
    }

    /// What is left of the PendingTimeout ([`Beat::left`]).
    pub(crate) fn left(&self) -> Option<Duration> {
        self.beat().left(self.origin)
    }
}

/// The word itself, for the state's tests and the models.
impl std::ops::Deref for Held {
    type Target = Beat;

    fn deref(&self) -> &Beat {
        self.beat()
    }
}

impl Clone for Held {
    fn clone(&self) -> Self {
        self.beat().hold();
        Held {
            beat: self.beat,
            origin: self.origin,
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.beat().release();
    }
}
