//! The core protocol (`WorkerWord`, `WorkerCell`) and the platform's own
//! `wait` / `wake_all` and clock on real threads, parked with
//! `WaitOnAddress` / `WakeByAddressAll`: the suite of
//! `clusworker_test_support::park` (which `os-posix/tests/park.rs` runs on
//! the POSIX platforms), instantiated for this crate's platform.
#![cfg(windows)]

mod wait_on_address {
    clusworker_test_support::park_tests!("wait_on_address", clusworker_windows::WaitOnAddress);
}
