//! Embedding the core in another runtime: what a [`Platform`] must do.
//!
//! This module holds no code; it is the guide for writing a platform
//! (bare metal, an RTOS, a runtime that owns its threads) and for putting
//! worker words where that runtime wants them.
//!
//! # What the core needs, and nothing more
//!
//! The core needs `core` only: no `std`, no `alloc`, no OS. It builds for
//! bare-metal targets (CI builds it for `thumbv7em-none-eabihf`, a
//! Cortex-M4F/M7F, with `.ci/nostd.sh`). The one hardware requirement is a
//! 32-bit atomic with compare-and-swap (`AtomicU32` with `fetch_or` and
//! `compare_exchange`); targets without CAS (`thumbv6m`) need an
//! [`AtomicWord`] built on a critical section.
//!
//! A [`WorkerWord`] or [`WorkerCell`] lives wherever the embedder puts it: a
//! `static`, a stack frame, a field of a task's control block, a heap block
//! shared by a handle and a thread. The core never allocates and never
//! moves it; it must simply not move while another thread uses it (a
//! borrow guarantees that).
//!
//! # The contract, method by method
//!
//! [`Platform::Word`] ([`AtomicWord`], an `unsafe` trait): a real atomic.
//! Every method behaves as the one of the same name on
//! [`AtomicU32`](core::sync::atomic::AtomicU32), with at least the ordering
//! it is given. The result slot is published through these orderings
//! (`Release` on the exit, `Acquire` on every read of it), so a weaker word
//! is undefined behaviour; this is why the trait is `unsafe`. `AtomicU32`
//! itself is the usual choice.
//!
//! [`Platform::Cell`] ([`SlotCell`], an `unsafe` trait): `with_mut` hands
//! its closure a pointer to the one value it owns, valid for the call. The
//! core serialises every access itself (one writer before the exit, one
//! reader after it; for the async waiters' links and wakers, the holder of
//! the list's lock). [`UnsafeCell`](core::cell::UnsafeCell) is the usual
//! choice; a model checker substitutes a cell that tracks accesses.
//!
//! [`Platform::wait`]`(word, expected, timeout)`: a futex wait.
//!
//! - It may block only while `*word == expected`, and the comparison and
//!   the start of blocking must be atomic with respect to
//!   [`Platform::wake_all`]: a `wake_all` that follows a change of the word
//!   either finds the waiter blocked and wakes it, or the waiter's
//!   comparison sees the change. (A futex, `WaitOnAddress`, or a mutex +
//!   condvar whose `wake_all` takes the mutex give this; see
//!   `clusworker-posix`'s `futex.rs` and `condvar.rs`.)
//! - It may return at any time, spuriously, early or late, any number of
//!   times: the core re-reads the word and the clock after every return and
//!   waits again if nothing it waits for happened. A `wait` that never
//!   blocks (it spins once and returns) is therefore correct, only busy.
//! - `timeout` is relative (`None`: none); it may be huge
//!   ([`Duration::MAX`](core::time::Duration::MAX)) and is to be clamped,
//!   never to overflow. Ending late only makes a timed wait late.
//! - It needs no memory ordering of its own: the core reads the word again
//!   with `Acquire` after it returns.
//!
//! [`Platform::wake_all`]`(word)`: wakes every thread blocked in `wait` on
//! `word`. The core calls it only after a read-modify-write of the word
//! that saw a waiter bit, so a platform never counts waiters. A platform
//! whose `wait` never blocks makes it a no-op.
//!
//! [`Platform::now`]: a monotonic clock, as a [`Duration`](core::time::Duration)
//! since any fixed origin. It orders nothing (a `Relaxed` tick counter is
//! fine); a coarse clock only makes timeouts coarse. The core uses it for
//! the deadlines of [`WorkerWord::sleep`] and [`WorkerWord::wait_exited`]
//! and nothing else.
//!
//! [`Platform::SPIN_LIMIT`]: how many rounds (of 1, 2, 4, ... 64
//! `spin_loop` hints) a thread waiting for an exit spins before it calls
//! `wait`. Zero (the default) parks at once, what a model checker wants; a
//! multi-core platform with a costly park wants about 10.
//!
//! **Who frees the storage.** An embedder that detaches a worker (its
//! handle lets go before the routine returns) frees the storage on the
//! side that [`WorkerCell::release`] or [`WorkerCell::complete`] names with
//! [`Last::Yes`]. That side is the later of the two, and the other touches
//! the storage no more: in particular `wake_all` is never called on a word
//! whose storage may be gone, so a platform may keep its wait queue in (or
//! beside) the word. A handle that has seen the exit may still get
//! `Last::No` for the few instructions in which `complete` wakes the
//! waiters; then `complete`'s caller frees.
//!
//! Breaking `wait`/`wake_all`'s contract makes the core hang or spin, never
//! undefined behaviour: memory safety rests on [`AtomicWord`] and
//! [`SlotCell`] alone.
//!
//! # What the embedder gets
//!
//! The guarantees in the crate docs' memory-ordering contract, on any
//! platform that meets the contract above: exactly one first terminator; a
//! terminate request synchronises with the `check_terminate` that sees it;
//! an interruptible sleep that cannot miss a request; the exit synchronises
//! with every wait that sees it and with the one `take` of the result.
//!
//! # Async
//!
//! [`WorkerWord::terminated`] and [`WorkerWord::exited`] return an
//! [`Until`], a future that resolves when terminate is requested or the
//! routine has exited. Any number of them may wait on one word at once. A
//! pending poll links the future's own node (its waker and two links, kept
//! in [`Platform::Cell`]s so that a model checker sees every access) into an
//! intrusive list beside the word, and sets the word's `ASYNC_WAITER` bit;
//! the request or the exit unlinks the nodes waiting for it and wakes them.
//! No allocation, and no platform call but the list's lock, which parks
//! with [`Platform::wait`] on a second word when it is contended: an
//! executor's waker is all a future needs.
//!
//! # Examples in this repository
//!
//! - **A spin/yield platform** for bare metal, written only against this
//!   crate's trait: `core/tests/spin_platform.rs`. Its `wait` spins, then
//!   calls an embedder-supplied yield hook and returns (a spurious wake-up);
//!   `wake_all` does nothing; `now` reads a tick counter that a timer
//!   interrupt advances. The tests run a worker, racing terminators and a
//!   timer over it on host threads. The crate-level example above is a
//!   smaller one.
//! - **A real no_std build**: `.ci/nostd.sh` builds this crate for
//!   `thumbv7em-none-eabihf` with `-Zbuild-std=core`.
//! - **OS platforms**: `clusworker-posix` (`Futex`: `FUTEX_WAIT_PRIVATE` on
//!   the word; `Condvar`: a table of mutex/condvar pairs hashed by address)
//!   and `clusworker-windows` (`WaitOnAddress`).
//! - **A model-checking platform**: `verification/src/loom_platform.rs`
//!   implements the trait with loom's atomics, cell and a faithful futex,
//!   which is how the shipped protocol code is model-checked.
//! - **A runtime that owns its threads**: `clusworker::pool` runs worker
//!   routines on a fixed pool of threads. Each job's heap block holds a
//!   [`WorkerCell`] and the routine; the pool thread runs the routine with a
//!   `Context` over the job's word, exactly as a dedicated thread does, so
//!   the protocol (and its proofs) are unchanged.
//! - **An async runtime**: `clusworker::Context::terminated` is awaited by
//!   tasks a routine runs (a `select!` against its I/O), and
//!   `clusworker::Exited` (`Worker::exited`, `PoolWorker::exited`) awaits an
//!   exit, under tokio; the loom models of the list are
//!   `verification/tests/loom_async.rs`.
//!
//! [`Platform`]: crate::Platform
//! [`Platform::Word`]: crate::Platform::Word
//! [`Platform::Cell`]: crate::Platform::Cell
//! [`Platform::wait`]: crate::Platform::wait
//! [`Platform::wake_all`]: crate::Platform::wake_all
//! [`Platform::now`]: crate::Platform::now
//! [`Platform::SPIN_LIMIT`]: crate::Platform::SPIN_LIMIT
//! [`WorkerWord::terminated`]: crate::WorkerWord::terminated
//! [`WorkerWord::exited`]: crate::WorkerWord::exited
//! [`Until`]: crate::Until
//! [`AtomicWord`]: crate::AtomicWord
//! [`SlotCell`]: crate::SlotCell
//! [`WorkerWord`]: crate::WorkerWord
//! [`WorkerWord::sleep`]: crate::WorkerWord::sleep
//! [`WorkerWord::wait_exited`]: crate::WorkerWord::wait_exited
//! [`WorkerCell`]: crate::WorkerCell
//! [`WorkerCell::release`]: crate::WorkerCell::release
//! [`WorkerCell::complete`]: crate::WorkerCell::complete
//! [`Last::Yes`]: crate::Last::Yes
