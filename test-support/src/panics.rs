//! A quiet panic: [`quiet_panic`] raises a [`Boom`].

use std::panic::resume_unwind;

/// A panic payload; raised with `resume_unwind`, which skips the panic
/// hook, so the test output stays quiet.
///
/// # Examples
///
/// ```
/// use clusworker_test_support::{Boom, quiet_panic};
/// let payload = std::thread::spawn(|| quiet_panic(3)).join().unwrap_err();
/// assert_eq!(payload.downcast_ref::<Boom>(), Some(&Boom(3)));
/// ```
#[derive(Debug, PartialEq, Eq)]
pub struct Boom(pub u32);

/// Panics with `Boom(n)` without printing a panic message.
pub fn quiet_panic(n: u32) -> ! {
    resume_unwind(Box::new(Boom(n)))
}
