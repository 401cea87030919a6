//! The core protocol (`WorkerWord`, `WorkerCell`) on real threads, parked
//! with `WaitOnAddress` / `WakeByAddressAll`: the tests of
//! `os-posix/tests/park.rs`, instantiated for this crate's platform by
//! `on_every_platform!`.
//!
//! Every wait that a wake-up must end runs on a thread of its own, with no
//! timeout or one ([`common::GIVE_UP`]) that outlasts the test's bound
//! ([`common::LONG`]): a lost wake-up fails the test, rather than hanging it
//! or passing slowly when the wait re-checks at its own timeout.
#![cfg(windows)]

#[path = "../../os-posix/tests/common/mod.rs"]
mod common;

use std::hint::spin_loop;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use clusworker_core::word::{EXIT_WAITER, EXITED, SLEEPER, TERMINATE};
use clusworker_core::{
    Last, Platform, Request, Sleep, State, TakeError, TimedOut, WorkerCell, WorkerWord,
};
use common::{Drops, GIVE_UP, LONG, Rng, StartLine, eventually, watchdog};

/// Instantiates each generic test for every platform of this system (one,
/// on Windows).
macro_rules! on_every_platform {
    ($($test:ident),* $(,)?) => {
        mod wait_on_address {
            $(
                #[test]
                fn $test() {
                    let _w = super::watchdog(concat!("wait_on_address::", stringify!($test)));
                    super::$test::<clusworker_windows::WaitOnAddress>();
                }
            )*
        }
    };
}

include!("../../os-posix/tests/common/park_suite.rs");
