//! loom models of scopes (`clusworker::scope`, `Context::scope`): a
//! sibling's failure racing the others' exits, and a parent's terminate
//! racing a child's spawn.
//!
//! The scope's bookkeeping lives in the std facade (`src/scope/group.rs`:
//! a `std::sync::Mutex` around the member list), which loom cannot run;
//! [`Group`] below is a line-for-line copy of it on loom's mutex, over the
//! shipped core (`WorkerCell<Loom, _>`, `OnTerminate`), with one switch
//! per mutant. Keep the two in step. A member's block carries a loom cell
//! that its free writes and every use reads, so a use that the joins and
//! the lock do not order before the free is a loom race; a lost request
//! is a loom deadlock (the child sleeps until terminated); a lost or
//! doubled result is a failed assert.
//! Run with `cargo test --release --features loom`.
#![cfg(feature = "loom")]

use core::pin::pin;

use clusworker_core::{CallbackHooks, Reason, Request, WorkerCell};
use clusworker_test_support::expect_caught;
use clusworker_verification::loom_platform::{Loom, check_model};
use loom::sync::Mutex;
use loom::thread::{self, JoinHandle};

type Cell = WorkerCell<Loom, u32>;

/// The mutants (one bug each); `OK` is the shipped protocol.
mod bug {
    pub(super) const OK: u8 = 0;
    /// The walk requests the failed member too.
    pub(super) const REQUEST_THE_FAILED: u8 = 1;
    /// The end frees each member's block as soon as its thread is joined,
    /// not after every thread was.
    pub(super) const FREE_EACH_AFTER_ITS_JOIN: u8 = 2;
    /// `add` reads the reason, then pushes, in two critical sections; and
    /// the member does not `enter`.
    pub(super) const READ_BEFORE_PUSH: u8 = 3;
    /// `Context::scope` frees the blocks before removing the parent's
    /// callback.
    pub(super) const FREE_BEFORE_REMOVAL: u8 = 4;
}

/// A member's block: its cell, and whether it is still allocated (a loom
/// cell, so a use that its free does not order is a race).
struct Block {
    cell: Cell,
    live: loom::cell::UnsafeCell<bool>,
}

// SAFETY: the cell is `Sync`; `live` is only accessed through loom's cell,
// which checks that every access is ordered with the free: the subject of
// the models.
unsafe impl Sync for Block {}

impl Block {
    fn new() -> &'static Block {
        leak(Block {
            cell: Cell::new(),
            live: loom::cell::UnsafeCell::new(true),
        })
    }

    /// A use of the block (the walk's or `add`'s deref of its word).
    fn touch(&self) {
        // SAFETY: loom's pointer, valid in the closure.
        self.live
            .with(|p| assert!(unsafe { *p }, "a member's block used after its free"));
    }

    /// `Header::free`.
    fn free(&self) {
        // SAFETY: as in `touch`.
        self.live.with_mut(|p| unsafe { *p = false });
    }

    /// A request: its RMW, then its wake-up and callbacks, which use the
    /// block until it returns (checked after the RMW, the schedule point:
    /// loom's clocks would count a use right after an unlock as ordered by
    /// the next locker, a use no real thread makes that promise for).
    fn request(&self, reason: Reason) {
        let _ = self.cell.word().request_terminate_with(reason);
        self.touch();
    }
}

struct Member {
    block: &'static Block,
    thread: Option<JoinHandle<()>>,
    freed: bool,
}

#[derive(Default)]
struct Inner {
    members: Vec<Member>,
    reason: Option<Reason>,
    failed: Option<&'static Block>,
}

/// `src/scope/group.rs`'s `Group`, on loom.
#[derive(Default)]
struct Group<const M: u8> {
    inner: Mutex<Inner>,
}

fn same(a: Option<&'static Block>, b: &'static Block) -> bool {
    a.is_some_and(|a| core::ptr::eq(a, b))
}

impl<const M: u8> Group<M> {
    fn enter(&self, block: &'static Block) {
        if M == bug::READ_BEFORE_PUSH {
            return;
        }
        let reason = self.inner.lock().unwrap().reason;
        if let Some(reason) = reason {
            block.request(reason);
        }
    }

    fn add(&self, block: &'static Block, thread: JoinHandle<()>) {
        let member = Member {
            block,
            thread: Some(thread),
            freed: false,
        };
        let reason = if M == bug::READ_BEFORE_PUSH {
            let r = self.inner.lock().unwrap().reason;
            self.inner.lock().unwrap().members.push(member);
            r
        } else {
            let mut inner = self.inner.lock().unwrap();
            inner.members.push(member);
            inner.reason.filter(|_| !same(inner.failed, block))
        };
        if let Some(reason) = reason {
            block.request(reason);
        }
    }

    fn terminate(&self, reason: Reason, failed: Option<&'static Block>) -> Request {
        {
            let mut inner = self.inner.lock().unwrap();
            if let Some(first) = inner.reason {
                return Request::AlreadyRequested(first);
            }
            inner.reason = Some(reason);
            inner.failed = failed;
        }
        let mut i = 0;
        loop {
            let next = self.inner.lock().unwrap().members.get(i).map(|m| m.block);
            let Some(block) = next else { break };
            i += 1;
            if !same(failed, block) || M == bug::REQUEST_THE_FAILED {
                block.request(reason);
            }
        }
        Request::First
    }

    fn join_all(&self) {
        let mut i = 0;
        loop {
            let thread = {
                let mut inner = self.inner.lock().unwrap();
                let Some(m) = inner.members.get_mut(i) else {
                    return;
                };
                m.thread.take()
            };
            if let Some(t) = thread {
                t.join().unwrap();
                if M == bug::FREE_EACH_AFTER_ITS_JOIN {
                    let mut inner = self.inner.lock().unwrap();
                    let m = &mut inner.members[i];
                    let _ = m.block.cell.take();
                    m.block.free();
                    m.freed = true;
                }
            }
            i += 1;
        }
    }

    /// `finish`: takes what nobody joined, then frees; returns how many
    /// results were taken here.
    fn finish(&self) -> u32 {
        let members = core::mem::take(&mut self.inner.lock().unwrap().members);
        let mut taken = 0;
        for m in members.iter().filter(|m| !m.freed) {
            m.block.touch();
            if m.block.cell.take().is_ok() {
                taken += 1;
            }
            m.block.free();
        }
        taken
    }
}

fn leak<T>(value: T) -> &'static T {
    // Leaked, not a loom `Arc` (see `loom_callback.rs`).
    Box::leak(Box::new(value))
}

/// What a member's routine does.
#[derive(Clone, Copy, PartialEq)]
enum Routine {
    /// Returns at once, by itself.
    Returns,
    /// Fails (reports it as the shipped `Watch` does), then returns.
    Fails,
    /// Sleeps until terminated: a lost request is a loom deadlock.
    Sleeps,
}

/// A member: `enter`, the routine, then the exit; then `add` by the
/// spawner.
fn spawn<const M: u8>(group: &'static Group<M>, block: &'static Block, routine: Routine) {
    let t = thread::spawn(move || {
        group.enter(block);
        match routine {
            Routine::Returns => {}
            Routine::Fails => {
                let _ = group.terminate(Reason::SiblingFailed, Some(block));
            }
            Routine::Sleeps => {
                let _ = block.cell.word().sleep(core::time::Duration::MAX);
            }
        }
        let _ = block.cell.complete(u32::from(routine == Routine::Fails));
    });
    group.add(block, t);
}

/// B returns by itself while A fails. Once the scope ended: each result
/// was received exactly once (B's by its handle's join, A's by the
/// scope), B was requested with `SiblingFailed` (the request may come
/// after its exit), A was not requested, and no block was used after its
/// free.
fn a_sibling_failure_racing_the_others_exits<const M: u8>() {
    check_model(Some(2), || {
        let group: &'static Group<M> = leak(Group::default());
        let (b, a) = (Block::new(), Block::new());
        spawn(group, b, Routine::Returns);
        spawn(group, a, Routine::Fails);
        // B's handle joins it (`ScopedWorker::join`).
        let _ = b.cell.word().park_exited(None);
        let mut received = u32::from(b.cell.take() == Ok(0));
        group.join_all();
        assert_eq!(
            a.cell.word().reason(),
            None,
            "the failed worker was requested"
        );
        assert_eq!(
            b.cell.word().reason(),
            Some(Reason::SiblingFailed),
            "B terminated"
        );
        received += group.finish();
        assert_eq!(received, 2, "every result received once");
    });
}

loom::thread_local! {
    static ME: u8 = 0;
}

static HOOKS: CallbackHooks = CallbackHooks {
    thread: || ME.with(|me| core::ptr::from_ref(me) as usize),
    call: |f| f(),
};

/// `Context::scope`: the parent's callback terminates the group; another
/// thread terminates the parent while the parent's routine spawns a child.
/// A child that sleeps until terminated is terminated (with
/// `ParentTerminated`) whichever comes first: otherwise it never exits, a
/// loom deadlock. A child that returns by itself races the callback's walk
/// to the scope's end: the walk is over before the child's block is freed.
fn a_parent_terminate_racing_a_child_spawn<const M: u8>(routine: Routine) {
    check_model(Some(2), move || {
        let parent = leak(Cell::new());
        let group: &'static Group<M> = leak(Group::default());
        let child = Block::new();
        let terminator;
        {
            let mut link = pin!(parent.word().on_terminate(
                move || {
                    let _ = group.terminate(Reason::ParentTerminated, None);
                },
                &HOOKS,
            ));
            let _ = link.as_mut().register();
            terminator = thread::spawn(move || {
                let _ = parent.word().request_terminate();
            });
            spawn(group, child, routine);
            group.join_all();
            if M == bug::FREE_BEFORE_REMOVAL {
                let _ = group.finish();
            }
        } // the callback's removal
        let reason = child.cell.word().reason();
        if routine == Routine::Sleeps {
            assert_eq!(reason, Some(Reason::ParentTerminated), "the child's reason");
        } else {
            assert!(reason.is_none() || reason == Some(Reason::ParentTerminated));
        }
        if M != bug::FREE_BEFORE_REMOVAL {
            let _ = group.finish();
        }
        terminator.join().unwrap();
    });
}

#[test]
fn the_scope_models_pass_on_the_copy_of_the_shipped_protocol() {
    a_sibling_failure_racing_the_others_exits::<{ bug::OK }>();
    a_parent_terminate_racing_a_child_spawn::<{ bug::OK }>(Routine::Sleeps);
    a_parent_terminate_racing_a_child_spawn::<{ bug::OK }>(Routine::Returns);
}

#[test]
fn requesting_the_failed_member_is_caught() {
    expect_caught(
        "mutant_request_the_failed",
        "the failed worker was requested",
    );
}

#[test]
#[ignore = "a mutant: run by requesting_the_failed_member_is_caught"]
fn mutant_request_the_failed() {
    a_sibling_failure_racing_the_others_exits::<{ bug::REQUEST_THE_FAILED }>();
}

#[test]
fn freeing_each_block_after_its_join_is_caught() {
    expect_caught("mutant_free_each_after_its_join", "used after its free");
}

#[test]
#[ignore = "a mutant: run by freeing_each_block_after_its_join_is_caught"]
fn mutant_free_each_after_its_join() {
    a_sibling_failure_racing_the_others_exits::<{ bug::FREE_EACH_AFTER_ITS_JOIN }>();
}

#[test]
fn reading_the_reason_before_the_push_is_caught() {
    expect_caught("mutant_read_before_push", "deadlock");
}

#[test]
#[ignore = "a mutant: run by reading_the_reason_before_the_push_is_caught"]
fn mutant_read_before_push() {
    a_parent_terminate_racing_a_child_spawn::<{ bug::READ_BEFORE_PUSH }>(Routine::Sleeps);
}

#[test]
fn freeing_before_the_callbacks_removal_is_caught() {
    expect_caught("mutant_free_before_removal", "Causality violation");
}

#[test]
#[ignore = "a mutant: run by freeing_before_the_callbacks_removal_is_caught"]
fn mutant_free_before_removal() {
    a_parent_terminate_racing_a_child_spawn::<{ bug::FREE_BEFORE_REMOVAL }>(Routine::Returns);
}
