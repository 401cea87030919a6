//! The one heap block of a worker, and the thread entry point that runs it.
//!
//! A `Packet<T, F>` holds, in one allocation aligned to a cache line, the
//! [`Header`] (the worker word, the result slot, and how to free the block)
//! followed by what the new thread consumes at start (the routine and its
//! name). The handle only knows `Header<T>`: `F` is erased behind the `free`
//! function pointer, so `Worker<T>` is two words.
//!
//! # Who frees the block
//!
//! - While the handle exists, the handle frees it, and only after it joined
//!   the OS thread (`pthread_join`), so the thread has stopped touching it.
//! - `detach` calls [`WorkerCell::release`]: if the routine already exited,
//!   the handle joins the (finishing) thread and frees; otherwise it detaches
//!   the thread, and the thread frees the block after its
//!   [`WorkerCell::complete`] reports that it is last.

use std::cell::{Cell, UnsafeCell};
use std::ffi::{CString, c_void};
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::ptr::NonNull;
use std::thread;

use clusworker_core::word::{CLAIMED, EXITED};
use clusworker_core::{Last, WorkerCell};

use crate::context::Context;
use crate::deadline::Hold;
use crate::diagnostics;
use crate::diagnostics::name::{self, Name};
use crate::quiet::drop_quietly;
use crate::sys::{self, OsError, Park, Thread};

thread_local! {
    /// On a worker's thread, its header (as an address), from the start of
    /// the routine to the end of the thread (thread-local destructors
    /// included); null on every other thread. Cleared before the thread
    /// frees the block itself, so it never names a freed block.
    static RUNNING: Cell<*const ()> = const { Cell::new(std::ptr::null()) };
}

/// Is the calling thread the one running (or that ran) the worker of
/// `header`? One thread-local load, instead of asking the OS for the
/// current thread: `Worker::terminate` and the waits ask it on every call.
#[inline]
pub(crate) fn is_own_thread<T>(header: &Header<T>) -> bool {
    let me = std::ptr::from_ref(header).cast::<()>();
    RUNNING.with(|r| r.get() == me)
}

/// What the handle sees of the block: the cell, and how to free the block.
#[repr(C)]
pub(crate) struct Header<T> {
    pub(crate) cell: WorkerCell<Park, thread::Result<T>>,
    free: unsafe fn(NonNull<Header<T>>),
    /// The worker's name (`Worker::name`), one thin pointer.
    pub(crate) name: Name,
}

impl<T> Header<T> {
    /// Frees the whole block.
    ///
    /// # Safety
    ///
    /// `this` came from [`spawn_unchecked`], nobody uses the block any more (the thread
    /// was joined, or it is the thread itself after `complete` said it is
    /// last), and this is the only call for it.
    pub(crate) unsafe fn free(this: NonNull<Header<T>>) {
        // SAFETY: the block is alive until this call (caller's contract).
        let header = unsafe { this.as_ref() };
        // A result (or panic payload) nobody joined is the user's value:
        // dropped here, quietly (a panicking `Drop` on the worker's own
        // thread would abort the process; see the `quiet` module), so that
        // freeing the block itself runs no user code. One load when the
        // result was joined.
        let bits = header.cell.word().bits();
        if bits & EXITED != 0 && bits & CLAIMED == 0 {
            if let Ok(result) = header.cell.take() {
                let _ = drop_quietly(result);
            }
        }
        let free = header.free;
        // SAFETY: `free` is the `free_packet::<T, F, D>` of the `F` (and `D`) this block
        // was made with; the caller's contract is its contract.
        unsafe { free(this) }
    }
}

/// The whole block. `header` comes first (`repr(C)`), so a pointer to the
/// packet is a pointer to its header.
#[repr(C, align(64))]
struct Packet<T, F, D> {
    header: Header<T>,
    /// Taken by the thread when it starts; never dropped in place.
    start: UnsafeCell<ManuallyDrop<Start<F>>>,
    /// The deadline part: `()` for a worker without a deadline (see the
    /// `deadline` module, which also says who frees a block with one).
    timer: D,
}

// The block of a `Worker<()>` with a closure that captures nothing and no
// deadline is one cache line (`size` bench; a field added to the header
// once made it two): kept so.
const _: () = assert!(
    size_of::<Packet<(), (), ()>>() == 64,
    "a plain worker's block must stay one cache line"
);

struct Start<F> {
    routine: F,
    /// Where the worker was spawned (`#[track_caller]`), for diagnostics.
    site: &'static Location<'static>,
}

/// Allocates the block and starts a thread on it. No `'static` bounds:
/// the routine and its result may borrow (a scope's workers,
/// `crate::scope`), as std's `Builder::spawn_unchecked` allows.
///
/// # Safety
///
/// The caller ensures that the thread's use of `F` and `T` ends before
/// anything they borrow goes: it waits for the exit (or joins the thread)
/// before those borrows end, on every path, unwinding included, and it
/// drops an un-taken `T` (freeing the block) before then too.
#[track_caller]
pub(crate) unsafe fn spawn_unchecked<T, F, D>(
    routine: F,
    name: Option<CString>,
    stack_size: Option<usize>,
    timer: D,
) -> Result<(NonNull<Header<T>>, Thread), OsError>
where
    F: FnOnce(&Context) -> T + Send,
    T: Send,
    D: Hold,
{
    let packet = Box::into_raw(Box::new(Packet {
        header: Header {
            cell: WorkerCell::new(),
            free: free_packet::<T, F, D>,
            name: Name::new(name),
        },
        start: UnsafeCell::new(ManuallyDrop::new(Start {
            routine,
            site: Location::caller(),
        })),
        timer,
    }));
    let entry: sys::Start = entry::<T, F, D>;
    // SAFETY: `packet` stays allocated until the thread or the handle frees
    // it (module docs); `F` and `T` are `Send`, so the thread may use them,
    // and what they borrow outlives that use (our caller's contract).
    match unsafe { sys::spawn(entry, packet.cast::<c_void>(), stack_size) } {
        // SAFETY: `Box::into_raw` never returns null.
        Ok(thread) => Ok((
            unsafe { NonNull::new_unchecked(packet.cast::<Header<T>>()) },
            thread,
        )),
        Err(e) => {
            // SAFETY: no thread was started, so we still own the block.
            let mut packet = unsafe { Box::from_raw(packet) };
            // SAFETY: the routine was never taken; taken here exactly once.
            let start = unsafe { ManuallyDrop::take(packet.start.get_mut()) };
            drop(packet);
            // The routine's captures are the user's: a panicking `Drop`
            // does not turn the spawn error into a panic.
            let _ = drop_quietly(start);
            Err(e)
        }
    }
}

/// The owners let go of the block: frees it, unless a deadline's timer
/// still holds it (then the timer frees it; see `deadline`).
///
/// # Safety
///
/// `this` points at the header of a live `Packet<T, F, D>` that the owners
/// use no more, whose `start` was taken (or dropped) already; called once.
unsafe fn free_packet<T, F, D: Hold>(this: NonNull<Header<T>>) {
    let block = this.cast::<()>();
    // SAFETY: the header is the first field of the packet (`repr(C)`),
    // alive until freed (caller's contract). Always `true` for `D = ()`.
    if unsafe { &(*block.as_ptr().cast::<Packet<T, F, D>>()).timer }.let_go() {
        // SAFETY: the last share was let go: nobody uses the block.
        unsafe { drop_block::<T, F, D>(block) }
    }
}

/// Frees the block, running no user code.
///
/// # Safety
///
/// `block` is a live `Packet<T, F, D>` that nobody uses any more (the last
/// of its shares was let go), whose `start` was taken (or dropped) and
/// whose result was taken or dropped; called once.
unsafe fn drop_block<T, F, D>(block: NonNull<()>) {
    // SAFETY: the block is a `Box<Packet<T, F, D>>` allocation (caller's
    // contract); `start` is `ManuallyDrop`, so only the header (whose
    // result slot holds nothing the cell would drop) is dropped.
    drop(unsafe { Box::from_raw(block.as_ptr().cast::<Packet<T, F, D>>()) });
}

/// The thread's entry point, in the calling convention of `pthread_create`.
#[cfg(unix)]
extern "C" fn entry<T, F, D: Hold>(arg: *mut c_void) -> *mut c_void
where
    F: FnOnce(&Context) -> T + Send,
    T: Send,
{
    run::<T, F, D>(arg);
    std::ptr::null_mut()
}

/// The thread's entry point, in the calling convention of `CreateThread`
/// (`LPTHREAD_START_ROUTINE`); the exit code is unused.
#[cfg(windows)]
extern "system" fn entry<T, F, D: Hold>(arg: *mut c_void) -> u32
where
    F: FnOnce(&Context) -> T + Send,
    T: Send,
{
    run::<T, F, D>(arg);
    0
}

/// What the thread runs, whatever the OS: `arg` is the `Packet<T, F>` that
/// [`spawn_unchecked`] made.
#[inline(always)]
fn run<T, F, D: Hold>(arg: *mut c_void)
where
    F: FnOnce(&Context) -> T + Send,
    T: Send,
{
    let packet = arg.cast::<Packet<T, F, D>>();
    // SAFETY: `packet` is live until `complete` below (module docs); the
    // thread is the only user of `start`, and takes it exactly once.
    let Start { routine, site } = unsafe { ManuallyDrop::take(&mut *(*packet).start.get()) };
    // SAFETY: as above; the header is shared with the handle, which only
    // uses it through `&`.
    let header: &Header<T> = unsafe { &(*packet).header };
    match header.name.as_c_str() {
        Some(n) => sys::set_current_name(n),
        // A Unix thread without a name would show its spawner's (a Windows
        // thread shows none).
        None if cfg!(unix) => sys::set_current_name(name::DEFAULT),
        None => {}
    }
    RUNNING.with(|r| r.set(std::ptr::from_ref(header).cast()));
    // SAFETY: as above. A deadline is armed for the routine's run (nothing
    // for `D = ()`): `drop_block` frees this very block, and the timer calls
    // it only when the owners' share was let go first.
    let timer: &D = unsafe { &(*packet).timer };
    // SAFETY: `timer` and the word live in the block `packet`; `drop_block`
    // frees it without user code; it is armed once, here.
    unsafe {
        timer.arm(
            header.cell.word(),
            NonNull::new_unchecked(packet.cast()),
            drop_block::<T, F, D>,
        );
    }
    // Listed (if diagnostics are on) until the routine returned, before
    // the exit: the entry never outlives the block.
    let result = diagnostics::listed(header.cell.word(), &header.name, site, || {
        catch_unwind(AssertUnwindSafe(|| {
            routine(Context::from_word(header.cell.word()))
        }))
    });
    // Before the exit is published: the entry goes with its routine.
    timer.disarm(header.cell.word());
    let this = NonNull::from(header);
    // After `complete`, the block may be freed by the handle: do not touch
    // `header` again unless we are last. (A handle released meanwhile, even
    // on this thread by code that the exit's wake-up ran inline, gets
    // `Last::No`: `complete` makes us last until it returns.)
    //
    // `complete` runs the async waiters' wakers, which are the user's code
    // (their executor's): one that panics must not unwind out of this
    // `extern` entry point (an abort). Caught, its payload leaked; the
    // block is then leaked too, since nobody can tell whether the handle
    // already let go (`COMPLETED` is never set: the handle never frees).
    let completed = catch_unwind(AssertUnwindSafe(|| header.cell.complete(result)));
    match completed.unwrap_or_else(|payload| {
        std::mem::forget(payload);
        Ok(Last::No)
    }) {
        Ok(Last::Yes) => {
            RUNNING.with(|r| r.set(std::ptr::null()));
            // SAFETY: the handle released the block before `complete` was
            // done with it, so we are its last user; `start` was taken
            // above.
            unsafe { Header::free(this) }
        }
        Ok(Last::No) => {}
        // Only this thread completes the cell: cannot happen.
        Err(value) => {
            debug_assert!(false, "worker result completed twice");
            let _ = drop_quietly(value);
        }
    }
}
