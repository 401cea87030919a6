//! The process's list of live workers: a `clusworker_core` [`Registry`]
//! whose entries live on the workers' own stacks.
//!
//! A worker's thread links its entry when its routine starts and unlinks
//! it when the routine returns, *before* the exit is published
//! (`packet::run`): the block the entry points into (the word, the name)
//! is freed only after the exit, by the handle after it joined the thread
//! or by the thread itself, so a walk never reads freed memory and never
//! meets an exited worker. The registry's lock orders a walk's reads
//! before the unlink returns (checked by `loom_diagnostics`).

use std::panic::Location;
use std::pin::pin;
use std::sync::LazyLock;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use clusworker_core::WorkerWord;
use clusworker_core::registry::{Entry, Registry};

use super::name::Name;
use super::progress::MARK;
use crate::callback::OnTerminate;
use crate::sys::Park;

/// Is the list on? Read once per spawn, `Relaxed`: it orders nothing (a
/// worker spawned around `enable` may or may not be listed, either is
/// right); the registry's lock orders everything about the list itself.
pub(super) static ENABLED: AtomicBool = AtomicBool::new(false);

/// The list, made by the first listed worker.
pub(super) static LIST: LazyLock<Registry<Park, Listed>> = LazyLock::new(Registry::new);

/// What a walk sees of one worker.
pub(super) struct Listed {
    pub(super) word: *const WorkerWord<Park>,
    pub(super) name: *const Name,
    pub(super) site: &'static Location<'static>,
    pub(super) started: Instant,
    /// When terminate was requested, as nanoseconds after `started`, plus
    /// one; 0 until a request's callback stored it. `Relaxed`: a snapshot
    /// value, ordered by nothing (the reason is read from the word).
    pub(super) requested: AtomicU64,
    /// The worker thread's progress mark (a thread-local: `progress`).
    pub(super) mark: *const AtomicU64,
}

// SAFETY: the pointers name the worker's word and name (in its block) and
// its thread's mark, which all live at least until the entry is unlinked
// (module docs); through them only atomics and immutable data are read.
unsafe impl Sync for Listed {}
// SAFETY: as above.
unsafe impl Send for Listed {}

/// Where the request callback stores the time.
struct Stamp {
    requested: *const AtomicU64,
    started: Instant,
}

// SAFETY: the callback runs on the requesting thread while the entry is
// registered; the entry outlives the callback's registration (dropped
// after it, which waits for a running callback), and only an atomic is
// written through the pointer.
unsafe impl Send for Stamp {}

impl Stamp {
    fn stamp(&self) {
        let nanos = u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX - 1);
        // SAFETY: see `Send for Stamp`: the entry is alive.
        unsafe { &*self.requested }.store(nanos + 1, Relaxed);
    }
}

/// Runs `routine` (the worker's whole routine, panics caught), listed if
/// the list is on.
#[inline(always)]
pub(crate) fn listed<R>(
    word: &WorkerWord<Park>,
    name: &Name,
    site: &'static Location<'static>,
    routine: impl FnOnce() -> R,
) -> R {
    if !ENABLED.load(Relaxed) {
        return routine();
    }
    run_listed(word, name, site, routine)
}

#[inline(never)]
fn run_listed<R>(
    word: &WorkerWord<Park>,
    name: &Name,
    site: &'static Location<'static>,
    routine: impl FnOnce() -> R,
) -> R {
    let mark = MARK.with(|m| {
        m.store(0, Relaxed);
        std::ptr::from_ref(m)
    });
    let entry = pin!(Entry::new(Listed {
        word,
        name,
        site,
        started: Instant::now(),
        requested: AtomicU64::new(0),
        mark,
    }));
    let list: &Registry<Park, Listed> = &LIST;
    // SAFETY: the entry is pinned on this frame and `Unlink` unlinks it
    // before the frame ends, however it ends.
    unsafe { list.link(entry.as_ref()) };
    struct Unlink<'a> {
        list: &'a Registry<Park, Listed>,
        entry: &'a Entry<Park, Listed>,
    }
    impl Drop for Unlink<'_> {
        fn drop(&mut self) {
            // SAFETY: linked above, into this list, once.
            unsafe { self.list.unlink(self.entry) };
        }
    }
    let _unlink = Unlink {
        list,
        entry: entry.as_ref().get_ref(),
    };
    let value = entry.as_ref().get_ref().value();
    let stamp = Stamp {
        requested: &value.requested,
        started: value.started,
    };
    // Dropped before `_unlink` (declared after it): its removal waits for
    // a callback running on a requester, so the stamp's target is alive.
    let mut on_request = pin!(OnTerminate::new(word, move || stamp.stamp()));
    on_request.as_mut().register();
    routine()
}

/// When terminate was requested, after the routine's start: a request
/// stored as `n` was made `n - 1` nanoseconds after it.
pub(super) fn requested_after(entry: &Listed) -> Option<Duration> {
    match entry.requested.load(Relaxed) {
        0 => None,
        n => Some(Duration::from_nanos(n - 1)),
    }
}
