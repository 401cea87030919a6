//! loom model of the diagnostics list (`clusworker_core::registry`, as
//! clusworker's `diagnostics` uses it) against workers' exits: the shipped
//! registry on the loom platform.
//!
//! A worker's thread links an entry (on its own stack) that points at its
//! word, and unlinks it before it publishes the exit; the handle waits for
//! the exit and frees the block ([`free_storage`]); a walker reads every
//! listed worker's state meanwhile. Checked: a walk never reads a freed
//! block (every word use reads the storage's loom cell, which the free
//! writes: a late read is a `Causality violation`), never reads an entry
//! after its frame ended (the entry's [`Note`], which the worker writes
//! after the unlink), never sees an exited worker, and no entry is left
//! behind once the worker exited; with the handle joining and with it
//! detaching (then the worker may free its own block). The mutant that
//! unlinks after the exit (and the free) is caught. Run with `cargo test
//! --release --features loom`.
#![cfg(feature = "loom")]

use std::time::Duration;

use clusworker_core::registry::{Entry, Registry};
use clusworker_core::{AtomicWord, Last, Platform, State, WorkerCell, WorkerWord};
use clusworker_test_support::expect_caught;
use clusworker_verification::loom_platform::{
    Loom, LoomCell, Note, check_model, free_storage, touch_storage,
};
use loom::sync::atomic::{AtomicU32, Ordering};
use loom::thread;

/// The registry's own platform: it lives outside every worker's block
/// (a `static` in clusworker), so its lock word is a plain loom atomic,
/// not a [`Loom`] word (whose every use is a use of the block), and its
/// lock spins (a spurious wake-up every time, which the contract allows).
struct Outside;

/// loom's `AtomicU32`, as the registry's lock.
struct Atom(AtomicU32);

// SAFETY: forwards every call to loom's `AtomicU32` with the same ordering.
unsafe impl AtomicWord for Atom {
    fn new(value: u32) -> Self {
        Atom(AtomicU32::new(value))
    }
    fn load(&self, order: Ordering) -> u32 {
        self.0.load(order)
    }
    fn fetch_or(&self, bits: u32, order: Ordering) -> u32 {
        self.0.fetch_or(bits, order)
    }
    fn compare_exchange(
        &self,
        current: u32,
        new: u32,
        success: Ordering,
        failure: Ordering,
    ) -> Result<u32, u32> {
        self.0.compare_exchange(current, new, success, failure)
    }
}

impl Platform for Outside {
    type Word = Atom;
    type Cell<T> = LoomCell<T>;
    fn wait(_: &Atom, _: u32, _: Option<Duration>) {
        thread::yield_now();
    }
    fn wake_all(_: &Atom) {}
    fn now() -> Duration {
        Duration::ZERO
    }
}

/// What a walk sees of a listed worker: its word (in the block), and a
/// note standing for the entry's own memory (on the worker's stack).
struct Listed {
    word: &'static WorkerWord<Loom>,
    frame: Note,
}

fn leak<T>(value: T) -> &'static T {
    // Leaked, not a loom `Arc` (see `loom_callback.rs`).
    Box::leak(Box::new(value))
}

/// The worker's exit, in the shipped order (`packet::run`: unlink, then
/// publish the exit, then free the block if last) or, for the mutant,
/// with the unlink after all that.
#[derive(Clone, Copy, PartialEq)]
enum Exit {
    UnlinkFirst,
    UnlinkLast,
}

/// How the handle lets go: joins (`Worker::join`, `Drop`: wait for the
/// exit, join the thread, free), or detaches (`Worker::detach`: release;
/// the last of it and the worker frees).
#[derive(Clone, Copy, PartialEq)]
enum Handle {
    Join,
    Detach,
}

fn the_list_never_outlives_an_exit(exit: Exit, handle: Handle) {
    // Three threads (the worker, the walker, the handle: this one);
    // preemption bound 3, every interleaving with up to three preemptions.
    check_model(Some(3), move || {
        let cell: &'static WorkerCell<Loom, u32> = leak(WorkerCell::new());
        let list: &'static Registry<Outside, Listed> = leak(Registry::new());
        let worker = thread::spawn(move || {
            let entry = std::pin::pin!(Entry::new(Listed {
                word: cell.word(),
                frame: Note::new(),
            }));
            // SAFETY: pinned in this frame, unlinked below before it ends.
            unsafe { list.link(entry.as_ref()) };
            let unlink = || {
                // SAFETY: linked above, into this list, once.
                unsafe { list.unlink(entry.as_ref().get_ref()) }
            };
            if exit == Exit::UnlinkFirst {
                unlink();
            }
            if cell.complete(7) == Ok(Last::Yes) {
                // Detached, and the handle let go first: the thread frees.
                free_storage();
            }
            if exit == Exit::UnlinkLast {
                unlink();
            }
            // The frame ends: its memory is reused.
            entry.value().frame.write(1);
        });
        let walker = thread::spawn(move || {
            list.for_each(|listed| {
                assert_eq!(listed.frame.read(), 0, "the entry's frame had ended");
                touch_storage();
                assert_ne!(
                    listed.word.state(),
                    State::Exited,
                    "a listed worker had exited"
                );
            });
        });
        match handle {
            Handle::Join => {
                assert_eq!(cell.word().wait_exited(None), Ok(()));
                assert_eq!(cell.take(), Ok(7));
                worker.join().unwrap();
                free_storage();
            }
            Handle::Detach => {
                if cell.release() == Last::Yes {
                    // The routine returned: join the finishing thread, free.
                    worker.join().unwrap();
                    free_storage();
                } else {
                    worker.join().unwrap();
                }
            }
        }
        walker.join().unwrap();
        let mut left = 0;
        list.for_each(|_| left += 1);
        assert_eq!(left, 0, "an entry was left behind after the exit");
    });
}

#[test]
fn a_walk_never_reads_a_freed_block_nor_sees_an_exited_worker() {
    the_list_never_outlives_an_exit(Exit::UnlinkFirst, Handle::Join);
}

#[test]
fn a_walk_never_reads_a_freed_block_of_a_detached_worker() {
    the_list_never_outlives_an_exit(Exit::UnlinkFirst, Handle::Detach);
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by unlinking_after_the_exit_is_caught"]
fn mutant_unlink_after_the_exit() {
    the_list_never_outlives_an_exit(Exit::UnlinkLast, Handle::Detach);
}

#[test]
fn unlinking_after_the_exit_is_caught() {
    // The detached worker frees its block while its entry is still listed:
    // a walk reads the freed word. (In a child process: a failing loom
    // model may abort its process.)
    expect_caught("mutant_unlink_after_the_exit", "Causality violation");
}
