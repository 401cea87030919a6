//! A mutant's run in a child process: [`expect_caught`].

use std::process::Command;

/// Runs the ignored test `name` of this very test binary in a child
/// process, and asserts that it failed and that its output says
/// `expected`; then prints `loom model caught mutant NAME: EXPECTED`.
///
/// For a model's mutant: a test marked `#[ignore]` that runs a model on a
/// copy of the protocol with one bug, and must fail. A failing loom model
/// may abort its process, hence the child. The child runs `name` alone
/// (`--exact`), on one test thread, without backtraces.
///
/// # Panics
///
/// If the child passed (the model did not catch the mutant), failed
/// without saying `expected` (it failed for another reason), or could not
/// be run.
///
/// # Examples
///
/// ```no_run
/// #[test]
/// fn the_lost_wake_up_is_caught() {
///     clusworker_test_support::expect_caught("mutant_lost_wake_up", "deadlock");
/// }
///
/// #[test]
/// #[ignore = "a mutant: run (and expected to fail) by the_lost_wake_up_is_caught"]
/// fn mutant_lost_wake_up() {
///     // the model, on the mutant
/// }
/// ```
#[track_caller]
pub fn expect_caught(name: &str, expected: &str) {
    let exe = std::env::current_exe().expect("the test binary's own path");
    let out = Command::new(exe)
        .args([
            "--exact",
            name,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("run the child test");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("running 1 test"),
        "the child ran no test named `{name}`:\n{text}"
    );
    assert!(
        !out.status.success(),
        "the model did NOT catch mutant `{name}`:\n{text}"
    );
    assert!(
        text.contains(expected),
        "mutant `{name}` failed, but not with `{expected}`:\n{text}"
    );
    println!("loom model caught mutant {name}: {expected}");
}
