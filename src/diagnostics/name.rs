//! A worker's name as its block keeps it: one thin pointer.

use std::ffi::{CStr, CString, c_char};
use std::ptr::NonNull;

/// The name given to [`Builder::name`](crate::Builder::name), or none: a
/// `CString` held by its thin pointer (8 bytes, where `Option<CString>`
/// takes 16), so that the name fits in the worker's block beside its
/// header and the block stays one cache line. Written once, before the
/// thread starts; freed with the block.
pub(crate) struct Name(Option<NonNull<c_char>>);

// SAFETY: the pointed-to bytes are owned by `Name`, never written after
// `new`, and freed only by its `Drop`: sharing or sending it shares or
// sends an immutable C string.
unsafe impl Send for Name {}
// SAFETY: as above.
unsafe impl Sync for Name {}

/// The name a worker's thread gets when it was given none: a Unix thread
/// without a name would show its spawner's.
pub(crate) const DEFAULT: &CStr = c"clusworker";

impl Name {
    pub(crate) fn new(name: Option<CString>) -> Name {
        // `into_raw` never returns null.
        Name(name.and_then(|n| NonNull::new(n.into_raw())))
    }

    pub(crate) fn as_c_str(&self) -> Option<&CStr> {
        // SAFETY: the pointer came from `CString::into_raw` and is freed
        // only by `Drop`, so it is a live NUL-terminated string for `&self`.
        self.0.map(|p| unsafe { CStr::from_ptr(p.as_ptr()) })
    }

    /// The name as given (`Builder::name` takes a `String`, so it is UTF-8).
    pub(crate) fn as_str(&self) -> Option<&str> {
        self.as_c_str().and_then(|c| c.to_str().ok())
    }
}

impl Drop for Name {
    fn drop(&mut self) {
        if let Some(p) = self.0 {
            // SAFETY: from `CString::into_raw` in `new`; freed once, here.
            drop(unsafe { CString::from_raw(p.as_ptr()) });
        }
    }
}
