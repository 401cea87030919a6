//! [`Beats`]: which heartbeat word each pending operation uses.
//!
//! Every resource has its own word (by its index); an operation opens it,
//! unless a handle of an earlier operation still holds it (a resource that
//! keeps its online handle to signal a failure later does). Then the
//! operation takes a spare word, and the entry remembers which; spares are
//! given back when their operation ends and reused once nobody holds them.
//! Nothing here allocates per operation: the words live in chunks
//! ([`Slots`]), made as resources are added and, for the spares, as many
//! as are held at once.

use std::collections::VecDeque;
use std::time::Duration;

use crate::beat::{Beat, Held, Seen, slots::Slots};
use crate::machine::Operation;
use crate::types::ResourceId;

use super::MonitorState;
use super::entry::Entry;

/// How many given-back spares an opening looks at before it makes a new
/// one (each is either reused or moved to the back): O(1) per opening, and
/// a spare whose handles went is found within a few openings.
const LOOK: usize = 2;

/// The resources' words and the spares.
#[derive(Debug, Default)]
pub(crate) struct Beats {
    own: Slots,
    spare: Slots,
    /// Spares whose operation ended, oldest first (some may still be held).
    given_back: VecDeque<u32>,
    /// The coarse clock's reading at the monitor's epoch, for the handles.
    pub(crate) origin: Duration,
}

impl Beats {
    /// Makes the own words of resources `0..resources`.
    pub(crate) fn grow(&mut self, resources: usize) {
        while self.own.len() < resources {
            self.own.push();
        }
    }

    /// The word of resource `id`'s operation: its spare if it has one.
    pub(crate) fn of(&self, id: usize, spare: Option<u32>) -> &Beat {
        match spare {
            None => self.own.get(id),
            Some(i) => self.spare.get(i as usize),
        }
    }

    /// Opens a word for resource `id`'s operation `op`, begun at `now`;
    /// returns the spare taken, if its own word is still held.
    pub(crate) fn open(
        &mut self,
        id: usize,
        op: Operation,
        pending: Duration,
        now: Duration,
    ) -> Option<u32> {
        let own = self.own.get(id);
        if own.free() {
            own.open(op, pending, now);
            return None;
        }
        let i = self.take_spare();
        self.spare.get(i as usize).open(op, pending, now);
        Some(i)
    }

    /// A spare nobody holds: one given back, or a new one.
    fn take_spare(&mut self) -> u32 {
        for _ in 0..LOOK.min(self.given_back.len()) {
            let i = self.given_back.pop_front().expect("within its length");
            if self.spare.get(i as usize).free() {
                return i;
            }
            self.given_back.push_back(i);
        }
        let i = self.spare.push();
        // More spares than u32 can count means more than 2^32 handles kept.
        u32::try_from(i).expect("fewer than 2^32 spare words")
    }

    /// Closes resource `id`'s word (and gives its spare back).
    pub(crate) fn close(&mut self, id: usize, spare: Option<u32>) {
        self.of(id, spare).close();
        if let Some(i) = spare {
            self.given_back.push_back(i);
        }
    }

    /// Spares made (held, open, or given back).
    #[cfg(test)]
    pub(crate) fn spares(&self) -> usize {
        self.spare.len()
    }
}

/// The state's use of the words: folded before it decides, closed when the
/// operation ends, held by the handles it makes.
impl MonitorState {
    /// Opens a word for `id`'s operation `op`, begun at `now` (its own, or
    /// a spare if that is still held).
    pub(super) fn open_beat(&mut self, id: ResourceId, op: Operation, now: Duration) {
        let pending = self.entry_mut(id).machine.timeouts().pending();
        let spare = self.beats.open(id.0, op, pending, now);
        let entry = self.entry_mut(id);
        entry.set_spare(spare);
        entry.tidy();
    }

    /// Folds the heartbeats taken by the lock-free path into `id`'s state
    /// machine (`now` dates them); returns what was read, `None` if no
    /// operation's word is open.
    pub(super) fn fold(&mut self, id: ResourceId, now: Duration) -> Option<Seen> {
        let Some(Some(entry)) = self.entries.get_mut(id.0) else {
            return None;
        };
        let seen = self.beats.of(id.0, entry.spare()).read()?;
        entry.machine.observe(seen.checkpoint, seen.at(now));
        Some(seen)
    }

    /// The word of `id`'s operation, open or closed.
    pub(super) fn beat_of(&self, id: ResourceId) -> &Beat {
        let spare = self.entry(id).ok().and_then(Entry::spare);
        self.beats.of(id.0, spare)
    }

    /// Ends `id`'s pending operation's word: its heartbeats take the
    /// locked path from now on, which refuses them.
    pub(super) fn close_beat(&mut self, id: ResourceId) {
        let entry = self.entry_mut(id);
        let spare = entry.spare();
        entry.set_spare(None);
        entry.tidy();
        self.beats.close(id.0, spare);
    }

    /// A holder of the word of `id`'s pending operation of generation
    /// `generation`, for the status handle of its call; `None` if that
    /// operation is over.
    ///
    /// # Safety
    ///
    /// The `Held` (and its clones) must be dropped before `self` is: it
    /// points into `self`'s words. The driver's status handles keep the
    /// driver, which owns the state, until after they let go of it.
    pub(crate) unsafe fn hold_beat(&self, id: ResourceId, generation: u64) -> Option<Held> {
        let entry = self.entry(id).ok()?;
        let beat = self.beats.of(id.0, entry.spare());
        if entry.generation != generation || beat.read().is_none() {
            return None;
        }
        // SAFETY: passed on to the caller (this function's contract).
        Some(unsafe { Held::new(beat, self.beats.origin) })
    }
}
