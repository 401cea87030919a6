//! [`Slots`]: heartbeat words in chunks that never move, so that a status
//! handle can point at its word while the monitor adds more.

use std::ptr::{self, NonNull};

use super::Beat;

/// Words per chunk (1 KiB of them; a few in a model, where each is a
/// loom atomic).
const CHUNK: usize = if cfg!(feature = "loom") { 2 } else { 64 };

/// Words, each at a fixed place from its making until the `Slots` drop.
#[derive(Debug, Default)]
pub(crate) struct Slots {
    /// Each a `Box<[Beat]>` of [`CHUNK`] words, leaked until `drop`.
    chunks: Vec<NonNull<Beat>>,
    len: usize,
}

// SAFETY: the chunks are owned by the `Slots` (freed only by its `drop`)
// and hold only `Beat`s, which are `Send` and `Sync`.
unsafe impl Send for Slots {}
// SAFETY: as for `Send`: `&Slots` gives only `&Beat`s.
unsafe impl Sync for Slots {}

impl Slots {
    /// Words made.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Makes one more closed word; returns its index.
    pub(crate) fn push(&mut self) -> usize {
        if self.len == self.chunks.len() * CHUNK {
            let chunk: Box<[Beat]> = (0..CHUNK).map(|_| Beat::closed()).collect();
            let chunk = Box::into_raw(chunk).cast::<Beat>();
            // SAFETY: `Box::into_raw` never gives a null pointer.
            self.chunks.push(unsafe { NonNull::new_unchecked(chunk) });
        }
        self.len += 1;
        self.len - 1
    }

    /// Word `i`, at the same place for as long as `self` lives.
    ///
    /// # Panics
    ///
    /// If `i` is not below [`len`](Self::len).
    pub(crate) fn get(&self, i: usize) -> &Beat {
        assert!(i < self.len, "word {i} of {}", self.len);
        // SAFETY: chunk `i / CHUNK` exists (`i < len`) and holds `CHUNK`
        // initialised words, freed only when `self` drops.
        unsafe { &*self.chunks[i / CHUNK].as_ptr().add(i % CHUNK) }
    }
}

impl Drop for Slots {
    fn drop(&mut self) {
        for chunk in self.chunks.drain(..) {
            let slice = ptr::slice_from_raw_parts_mut(chunk.as_ptr(), CHUNK);
            // SAFETY: made by `Box::into_raw` of a `Box<[Beat]>` of `CHUNK`
            // words in `push`, and freed only here, once. Whoever points at
            // a word (a status handle's `Held`) has gone: the monitor's
            // state, which owns these `Slots`, outlives its handles.
            drop(unsafe { Box::from_raw(slice) });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_stay_where_they_are_as_more_are_made() {
        let mut s = Slots::default();
        let first = s.push();
        let at = ptr::from_ref(s.get(first));
        for _ in 0..10 * CHUNK {
            s.push();
        }
        assert_eq!(ptr::from_ref(s.get(first)), at);
        assert_eq!(s.len(), 10 * CHUNK + 1);
        assert!(s.get(10 * CHUNK).free());
    }

    #[test]
    #[should_panic(expected = "word 1 of 1")]
    fn a_word_not_made_is_refused() {
        let mut s = Slots::default();
        s.push();
        let _ = s.get(1);
    }
}
