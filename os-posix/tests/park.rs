//! The core protocol (`WorkerWord`, `WorkerCell`) on real threads, on both
//! POSIX platforms. Each test is written once, generic over the platform,
//! and instantiated for `Futex` (Linux) and `Condvar` by `on_every_platform!`.
//!
//! Every wait that a wake-up must end runs on a thread of its own, with no
//! timeout or one ([`common::GIVE_UP`]) that outlasts the test's bound
//! ([`common::LONG`]): a lost wake-up fails the test, rather than hanging it
//! or passing slowly when the wait re-checks at its own timeout.
#![cfg(unix)]

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

/// Instantiates each generic test for every platform of this system.
macro_rules! on_every_platform {
    ($($test:ident),* $(,)?) => {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        mod futex {
            $(
                #[test]
                fn $test() {
                    let _w = super::watchdog(concat!("futex::", stringify!($test)));
                    super::$test::<clusworker_posix::Futex>();
                }
            )*
        }
        mod condvar {
            $(
                #[test]
                fn $test() {
                    let _w = super::watchdog(concat!("condvar::", stringify!($test)));
                    super::$test::<clusworker_posix::Condvar>();
                }
            )*
        }
    };
}

include!("common/park_suite.rs");
