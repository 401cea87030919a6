//! The core protocol (`WorkerWord`, `WorkerCell`) and the platform's own
//! `wait` / `wake_all` and clock on real threads, on both POSIX platforms:
//! the suite of `clusworker_test_support::park`, instantiated for `Futex`
//! (Linux) and `Condvar`.
#![cfg(unix)]

#[cfg(any(target_os = "linux", target_os = "android"))]
mod futex {
    clusworker_test_support::park_tests!("futex", clusworker_posix::Futex);
}

mod condvar {
    clusworker_test_support::park_tests!("condvar", clusworker_posix::Condvar);
}
