//! A progress mark from below the facade: [`mark`] calls the hook that
//! `clusworker` sets when its diagnostics list is turned on (the facade's
//! `Context::progress`, which marks the calling thread). The monitor marks
//! each checkpoint a worker reports through it, so that the list shows a
//! monitor worker's last checkpoint without the monitor depending on the
//! facade (which depends on it).

use core::sync::atomic::AtomicPtr;
use core::sync::atomic::Ordering::Relaxed;

/// The hook: null, or a `fn(u64)` cast to a pointer (only [`set_hook`]
/// stores, and only that).
static HOOK: AtomicPtr<()> = AtomicPtr::new(core::ptr::null_mut());

// A function pointer round-trips through a data pointer only where the two
// have the same size.
const _: () = assert!(size_of::<fn(u64)>() == size_of::<*mut ()>());

/// Sets the hook that [`mark`] calls (a later call replaces it).
///
/// `Relaxed`: the pointer is to code, which publishes no data; a `mark`
/// that still reads null only misses a mark.
pub fn set_hook(hook: fn(u64)) {
    HOOK.store(hook as *mut (), Relaxed);
}

/// Marks `value` as the calling thread's progress through the hook, if one
/// is set: one `Relaxed` load when none is.
#[inline]
pub fn mark(value: u64) {
    let hook = HOOK.load(Relaxed);
    if !hook.is_null() {
        // SAFETY: the only non-null value ever stored in `HOOK` is a
        // `fn(u64)` cast to a pointer (`set_hook`), of the same size (the
        // assertion above): cast back, it is that function.
        let hook = unsafe { core::mem::transmute::<*mut (), fn(u64)>(hook) };
        hook(value);
    }
}
