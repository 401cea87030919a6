//! `size`: the handle's size and the heap a worker costs, counted (not
//! timed) with a counting global allocator that lives in this bench binary
//! only (the library allocates through whatever allocator its user picks).
//!
//! Every allocation made by any thread between "before spawn" and "after
//! join" is counted, with its requested size. Each row runs a few times and
//! reports the last run, so one-time initialisation (thread-locals, std's
//! first-spawn set-up) is not charged to it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::Mutex;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicUsize};

use clusworker::Worker;
use tokio_util::sync::CancellationToken;

/// The system allocator, counting while `COUNTING` is set.
struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static COUNT: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);
/// The requested sizes of the first allocations counted.
static SIZES: [AtomicUsize; 8] = [const { AtomicUsize::new(0) }; 8];

// SAFETY: forwards every call to `System` unchanged; the counting touches
// only atomics and never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Relaxed) {
            let i = COUNT.fetch_add(1, Relaxed);
            BYTES.fetch_add(layout.size(), Relaxed);
            if let Some(s) = SIZES.get(i) {
                s.store(layout.size(), Relaxed);
            }
        }
        // SAFETY: the caller's contract is `System::alloc`'s.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is `System::dealloc`'s.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Counted allocations of one run of `f`: (count, bytes, first sizes).
fn count(f: impl FnOnce()) -> (usize, usize, Vec<usize>) {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    COUNT.store(0, Relaxed);
    BYTES.store(0, Relaxed);
    COUNTING.store(true, Relaxed);
    f();
    COUNTING.store(false, Relaxed);
    let n = COUNT.load(Relaxed);
    let sizes = SIZES[..n.min(SIZES.len())]
        .iter()
        .map(|s| s.load(Relaxed))
        .collect();
    (n, BYTES.load(Relaxed), sizes)
}

/// The last of a few runs.
fn steady(mut f: impl FnMut()) -> (usize, usize, Vec<usize>) {
    for _ in 0..3 {
        let _ = count(&mut f);
    }
    count(f)
}

fn row(name: &str, handle: usize, (n, bytes, sizes): (usize, usize, Vec<usize>), note: &str) {
    println!("  {name:<40} {handle:>7} B {n:>7} {bytes:>8} B   {sizes:?} {note}");
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    println!("size: handle size, and heap allocations per spawn (counted on all threads)");
    println!(
        "  {:<40} {:>9} {:>7} {:>10}   sizes",
        "row", "handle", "allocs", "bytes"
    );
    row(
        "CLUS_WORKER (HANDLE + BOOL)",
        16,
        (0, 0, vec![]),
        "(Windows)",
    );
    row(
        "clusworker Worker<()>, empty closure",
        size_of::<Worker<()>>(),
        steady(|| {
            let w = Worker::spawn(|_ctx| ()).expect("spawn");
            w.join().expect("no panic");
        }),
        "",
    );
    let big = [7u8; 64];
    row(
        "clusworker Worker<[u8; 64]>, 64 B closure",
        size_of::<Worker<[u8; 64]>>(),
        steady(|| {
            let w = Worker::spawn(move |_ctx| black_box(big)).expect("spawn");
            black_box(w.join().expect("no panic"));
        }),
        "(closure 64 B + T 64 B)",
    );
    row(
        "clusworker Builder with a name",
        size_of::<Worker<()>>(),
        steady(|| {
            let w = clusworker::Builder::new()
                .name("bench-worker".to_string())
                .spawn(|_ctx| ())
                .expect("spawn");
            w.join().expect("no panic");
        }),
        "(the name's String and CString)",
    );
    row(
        "std::thread::spawn, empty closure",
        size_of::<std::thread::JoinHandle<()>>(),
        steady(|| std::thread::spawn(|| ()).join().expect("no panic")),
        "",
    );
    row(
        "tokio-util CancellationToken::new",
        size_of::<CancellationToken>(),
        steady(|| drop(black_box(CancellationToken::new()))),
        "(a token only: no thread)",
    );
}
