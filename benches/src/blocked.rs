//! Waiting until another thread of this process is asleep in the kernel.
//!
//! A latency probe must start from a thread that is really parked (in
//! `futex_wait`, `nanosleep`, ...), otherwise it measures a wake-up of a
//! thread that was still running. The thread publishes its kernel id
//! ([`Tid::publish`]) just before it blocks; the prober then reads
//! `/proc/self/task/<tid>/stat` until the state is `S` (interruptible
//! sleep).

use std::sync::atomic::AtomicI32;
use std::sync::atomic::Ordering::{Acquire, Release};
use std::time::{Duration, Instant};

use crate::raw::gettid;

/// A slot for a thread's kernel id, 0 until published.
#[derive(Debug, Default)]
pub struct Tid(AtomicI32);

impl Tid {
    /// An empty slot.
    pub const fn new() -> Tid {
        Tid(AtomicI32::new(0))
    }

    /// Called by the thread itself, just before it blocks.
    pub fn publish(&self) {
        self.0.store(gettid(), Release);
    }

    /// Waits until the thread published its id and is asleep in the kernel.
    /// Gives up (and returns) after a second, so a bench never hangs on it.
    pub fn wait_blocked(&self) {
        let start = Instant::now();
        let tid = loop {
            let t = self.0.load(Acquire);
            if t != 0 {
                break t;
            }
            if start.elapsed() > Duration::from_secs(1) {
                return;
            }
            std::thread::yield_now();
        };
        wait_tid_blocked(tid, start);
    }
}

/// Is the thread `tid` of this process in interruptible sleep?
fn is_sleeping(tid: i32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")) else {
        // Gone already, or no procfs: nothing to wait for.
        return true;
    };
    // "tid (comm) S ...": the state follows the last ')'.
    stat.rfind(')')
        .and_then(|i| stat[i + 1..].trim_start().chars().next())
        == Some('S')
}

fn wait_tid_blocked(tid: i32, start: Instant) {
    while !is_sleeping(tid) {
        if start.elapsed() > Duration::from_secs(1) {
            return;
        }
        std::thread::yield_now();
    }
}

/// Waits until every slot's thread is asleep in the kernel.
pub fn wait_all_blocked(tids: &[Tid]) {
    for t in tids {
        t.wait_blocked();
    }
}
