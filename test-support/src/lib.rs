//! `clusworker-test-support`: the helpers the integration tests of the
//! clusworker workspace share, as a dev-dependency (it is never published,
//! and enables no feature of any crate).
//!
//! - Bounds that turn a hang into a failed assert: [`LONG`], [`GIVE_UP`],
//!   [`bounded`], [`within`], [`recv`], [`eventually`].
//! - [`watchdog`](fn@watchdog): aborts a test process that hangs where no bound reaches
//!   (a `Drop`), replaying the panics that led there;
//!   [`expect_panics_on_this_thread`] silences the meant ones.
//! - Values that tell what happened to them: [`Drops`] and [`Counted`]; a
//!   quiet panic payload, [`Boom`] and [`quiet_panic`].
//! - [`gate`](fn@gate): a [`Gate`] a routine blocks on ([`Pass::wait`]), deaf to
//!   terminate, until the test opens it.
//! - Races: a [`StartLine`] for threads that must leave together, a
//!   small deterministic generator, [`Rng`], and the rule of a deadline
//!   racing a request ([`assert_first_of_deadline_and_request`]).
//! - [`expect_caught`]: a model's mutant, run in a child process, must fail.
//! - [`park`]: the tests of a [`Platform`](clusworker_core::Platform) on
//!   real threads, written once and instantiated for each backend's
//!   platforms by [`park_tests!`].
//! - [`pacemaker`] (Unix): the plumbing of the tests that run the OCF agent
//!   under Pacemaker's tools.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use clusworker_test_support::{LONG, bounded, eventually, watchdog};
//!
//! // First in a test, so that it is dropped last.
//! let _w = watchdog("an_example");
//! let started = std::time::Instant::now();
//! eventually("a millisecond to pass", || started.elapsed() >= Duration::from_millis(1));
//! assert_eq!(bounded("a quick call", || 6 * 7), 42);
//! # let _ = LONG;
//! ```

mod bounds;
mod drops;
mod gate;
mod mutant;
#[cfg(unix)]
pub mod pacemaker;
mod panics;
pub mod park;
mod race;
mod watchdog;

pub use bounds::{GIVE_UP, LONG, bounded, eventually, recv, within};
pub use drops::{Counted, Drops};
pub use gate::{Gate, Pass, gate};
pub use mutant::expect_caught;
pub use panics::{Boom, quiet_panic};
pub use race::{Rng, StartLine, assert_first_of_deadline_and_request};
pub use watchdog::{Watchdog, expect_panics_on_this_thread, watchdog};
