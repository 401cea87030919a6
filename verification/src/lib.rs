//! Verification of clusworker: the loom platform the models run the core on.
//!
//! With the `loom` feature, `loom_platform::Loom` implements
//! `clusworker_core::Platform` with loom's atomics, cells and a faithful
//! futex (a loom mutex/condvar per word), so the models in `tests/loom_*.rs`
//! check the exact protocol code that ships. Without the feature this crate
//! only hosts ordinary tests.

#[cfg(feature = "loom")]
pub mod callback;
#[cfg(feature = "loom")]
pub mod loom_platform;
#[cfg(feature = "loom")]
pub mod models;
#[cfg(feature = "loom")]
pub mod mutants;
#[cfg(feature = "loom")]
pub mod reason;
