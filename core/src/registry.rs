//! A registry of live things: an intrusive, doubly linked list of entries
//! that their owners link and unlink, and that anyone may walk.
//!
//! clusworker's diagnostics list the live workers of a process with it:
//! each worker's thread links one [`Entry`] (on its own stack) when its
//! routine starts and unlinks it when the routine returns, *before* it
//! publishes the exit, so an entry never outlives the memory its value
//! points into (the worker's block, freed only after the exit), and a walk
//! never meets an entry whose worker has exited.
//!
//! # The lock
//!
//! The head and every linked entry's links are touched only under a small
//! lock, the core's `lock` module's: one [`AtomicWord`](crate::AtomicWord) with the platform's
//! [`wait`](Platform::wait)/[`wake_all`](Platform::wake_all) for
//! contention, the futex mutex of the waiters' list (`0` free, `LOCKED`
//! held, `LOCKED | CONTENDED` held with someone maybe blocked). Taking it
//! `Acquire`s and giving it back `Release`s, so every link, unlink and walk
//! is ordered after the last one before it. [`Registry::for_each`] runs
//! its closure under the lock: what the closure reads of an entry's value
//! happens before the entry's unlink returns, and so before its owner
//! frees anything the value points to. The loom model `loom_diagnostics`
//! checks exactly that (and that weakening the lock, or unlinking after the
//! free, is caught).
//!
//! # Why an entry cannot dangle
//!
//! [`Registry::link`] takes a pinned entry and is `unsafe`: its caller
//! promises to [`unlink`](Registry::unlink) it before the entry moves or is
//! dropped, which the owner does unconditionally (a guard's `Drop`, in
//! clusworker). Unlinking under the lock waits for a walk in progress to
//! finish, so after `unlink` returns, no other thread holds a reference to
//! the entry.
//!
//! The registry itself must outlive its entries: clusworker's is a
//! `static`.

use core::marker::PhantomPinned;
use core::pin::Pin;
use core::ptr;

use crate::lock::{LockGuard, WordLock};
use crate::platform::{Platform, SlotCell};

/// The list; see the [module docs](self).
pub struct Registry<P: Platform, T> {
    lock: WordLock<P>,
    head: P::Cell<*const Entry<P, T>>,
}

/// One entry: its links, and the value a walk sees.
pub struct Entry<P: Platform, T> {
    links: P::Cell<Links<P, T>>,
    value: T,
    _pinned: PhantomPinned,
}

struct Links<P: Platform, T> {
    prev: *const Entry<P, T>,
    next: *const Entry<P, T>,
}

// SAFETY: the head and every entry reached through it are only used by the
// holder of `lock` (module docs), whose `Acquire`/`Release` order those
// uses between threads; a walk hands out `&T` to another thread, hence
// `T: Sync`.
unsafe impl<P: Platform, T: Sync> Sync for Registry<P, T> {}
// SAFETY: as above; a registry moves only while nothing borrows it, and
// the entries it points to are `Sync`.
unsafe impl<P: Platform, T: Sync> Send for Registry<P, T> {}
// SAFETY: an entry's links are only touched under its registry's lock; its
// value is shared (`&T`) with walkers, hence `T: Sync`.
unsafe impl<P: Platform, T: Sync> Sync for Entry<P, T> {}
// SAFETY: an entry only moves while unlinked (it is pinned while linked).
unsafe impl<P: Platform, T: Send> Send for Entry<P, T> {}

impl<P: Platform, T> Entry<P, T> {
    /// An unlinked entry holding `value`.
    pub fn new(value: T) -> Self {
        Entry {
            links: P::Cell::new(Links {
                prev: ptr::null(),
                next: ptr::null(),
            }),
            value,
            _pinned: PhantomPinned,
        }
    }

    /// The value.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// # Safety
    ///
    /// The caller holds the lock of the registry this entry is linked into
    /// (or it is not linked, and no other thread knows it).
    unsafe fn with<R>(&self, f: impl FnOnce(&mut Links<P, T>) -> R) -> R {
        // SAFETY: exclusive access, by the caller's guarantee.
        self.links.with_mut(|l| f(unsafe { &mut *l }))
    }
}

impl<P: Platform, T> Default for Registry<P, T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P: Platform, T> Registry<P, T> {
    /// An empty registry.
    pub fn new() -> Self {
        Registry {
            lock: WordLock::new(),
            head: P::Cell::new(ptr::null()),
        }
    }

    fn lock(&self) -> LockGuard<'_, P> {
        self.lock.lock()
    }

    /// Links `entry` at the head.
    ///
    /// # Safety
    ///
    /// `entry` is not linked, and stays where it is (it is pinned) until
    /// [`unlink`](Self::unlink)ed from this registry, which its owner does
    /// before dropping it.
    pub unsafe fn link(&self, entry: Pin<&Entry<P, T>>) {
        let entry = entry.get_ref();
        let me: *const Entry<P, T> = entry;
        let _g = self.lock();
        self.head.with_mut(|head| {
            // SAFETY: we hold the lock, which guards the head and every
            // linked entry; linked entries are alive (the owners' contract).
            unsafe {
                let old = *head;
                if !old.is_null() {
                    (*old).with(|l| l.prev = me);
                }
                entry.with(|l| {
                    l.prev = ptr::null();
                    l.next = old;
                });
                *head = me;
            }
        });
    }

    /// Unlinks `entry`. When it returns, no walk uses the entry any more.
    ///
    /// # Safety
    ///
    /// `entry` was [`link`](Self::link)ed into this registry and not
    /// unlinked since.
    pub unsafe fn unlink(&self, entry: &Entry<P, T>) {
        let _g = self.lock();
        // SAFETY: we hold the lock; `entry` and its neighbours are linked,
        // so alive.
        unsafe {
            let (prev, next) = entry.with(|l| {
                let links = (l.prev, l.next);
                l.prev = ptr::null();
                l.next = ptr::null();
                links
            });
            if prev.is_null() {
                self.head.with_mut(|head| *head = next);
            } else {
                (*prev).with(|l| l.next = next);
            }
            if !next.is_null() {
                (*next).with(|l| l.prev = prev);
            }
        }
    }

    /// Calls `f` with the value of every linked entry, newest first, under
    /// the lock: keep `f` short, and do not link or unlink from it (that
    /// would wait for ever on the lock this walk holds).
    pub fn for_each(&self, mut f: impl FnMut(&T)) {
        let _g = self.lock();
        // SAFETY: we hold the lock; every entry reached from the head is
        // linked, so alive until its unlink, which waits for our release.
        let mut at = self.head.with(|head| unsafe { *head });
        while !at.is_null() {
            // SAFETY: as above.
            let entry = unsafe { &*at };
            f(&entry.value);
            // SAFETY: as above.
            at = unsafe { entry.with(|l| l.next) };
        }
    }
}

impl<P: Platform, T> core::fmt::Debug for Registry<P, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Registry").finish_non_exhaustive()
    }
}

impl<P: Platform, T: core::fmt::Debug> core::fmt::Debug for Entry<P, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Entry")
            .field("value", &self.value)
            .finish_non_exhaustive()
    }
}
