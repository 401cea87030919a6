//! The global striped lock table that guards every [`ClusWorker`] slot.
//!
//! A slot hashes by its address to one of [`STRIPES`] mutexes. Every change
//! to a slot's fields happens with its stripe locked, so the slot needs no
//! protocol of its own (and no loom model): the only lock-free access is the
//! `Acquire` load of the `Terminate` mirror, which is a single flag. The
//! table is a `static` of `const`-initialised mutexes, so a zeroed slot from
//! C needs no initialisation. A stripe is held only for a few field updates
//! (and a thread spawn in `create`), never while waiting for a worker, and
//! never two at once, so stripes cannot deadlock with one another.
//!
//! [`ClusWorker`]: super::ClusWorker

use std::sync::{Mutex, MutexGuard, PoisonError};

/// The number of stripes.
pub(super) const STRIPES: usize = 64;

/// A mutex alone on its cache line, so that slots in different stripes do
/// not slow each other down.
#[repr(align(64))]
struct Stripe(Mutex<()>);

static TABLE: [Stripe; STRIPES] = [const { Stripe(Mutex::new(())) }; STRIPES];

/// Locks the stripe of the slot at `addr`.
pub(super) fn lock(addr: usize) -> MutexGuard<'static, ()> {
    // Slots are 8-aligned and usually 16 bytes apart: drop the low bits,
    // then take the top bits of a Fibonacci hash.
    let h = (addr >> 4).wrapping_mul(0x9E37_79B9_7F4A_7C15_u64 as usize);
    let stripe = &TABLE[h >> (usize::BITS - STRIPES.trailing_zeros())];
    // The guarded data is `()`, and no code panics with a stripe held; a
    // poisoned stripe is as good as a healthy one.
    stripe.0.lock().unwrap_or_else(PoisonError::into_inner)
}
