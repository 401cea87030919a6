//! loom models of the monitor's driver: the shipped lock, condition
//! variables, timer thread and call threads (`src/driver/`), on loom's
//! types and the model's clock (`src/sync.rs`).
//!
//! Each model starts a real [`Monitor`] inside `clusworker_monitor::loom::check`:
//! its timer thread and its call threads are loom threads, its clock stands
//! still until the model moves it (`Monitor::loom_set_clock`), and every
//! model ends by dropping the monitor. A wake-up the driver loses leaves a
//! thread blocked for ever, which loom reports as a deadlock; a thread the
//! drop does not stop, likewise.
//!
//! Each model states its preemption bound (the number of times loom may
//! switch away from a thread that could go on): the models start a
//! monitor, two or three threads of the driver and one or two of the
//! model, and every lock taken is a branch point, so unbounded searches
//! run for many minutes. `LOOM_MAX_PREEMPTIONS` overrides the bound.
//!
//! The last tests put one bug at a time into the driver
//! (`MonitorBuilder::loom_mutant`) and require that a model catches it.
//! A failing model may abort its process, so each mutant runs in a child
//! process (this test binary, filtered to one `#[ignore]`d test).
#![cfg(feature = "loom")]

// A crate root's modules are looked for beside it: these two live in the
// folder named after this file, as a module's would.
#[path = "loom_driver/fixture.rs"]
mod fixture;
#[path = "loom_driver/models.rs"]
mod models;

use clusworker_monitor::loom::Mutant;

use models::{
    drop_lets_go_of_a_resource_holding_its_handle, drop_while_a_call_runs, host_waits_for_its_call,
    hosts_check_together, hosts_wait_for_their_calls, hung_call, keep_alive_vs_a_new_call,
    report_vs_expiry,
};

#[test]
fn report_vs_expiry_is_accepted_or_fails_at_the_deadline_never_both() {
    report_vs_expiry();
}

#[test]
fn a_host_waiting_for_its_call_always_wakes() {
    host_waits_for_its_call(None);
}

#[test]
fn two_hosts_waiting_for_their_calls_both_wake() {
    hosts_wait_for_their_calls();
}

#[test]
fn two_hosts_checking_one_resource_together_both_wake() {
    hosts_check_together(None);
}

#[test]
fn hung_call_is_declared_by_the_timer_and_its_late_return_changes_nothing() {
    hung_call(None);
}

#[test]
fn drop_while_a_call_runs_and_a_report_comes_hangs_nothing() {
    drop_while_a_call_runs(None);
}

#[test]
fn an_idle_call_thread_timing_out_never_strands_a_new_call() {
    keep_alive_vs_a_new_call(None);
}

#[test]
fn drop_lets_go_of_a_resource_that_holds_its_status_handle() {
    drop_lets_go_of_a_resource_holding_its_handle(None);
}

// ----- the mutants ---------------------------------------------------------

/// Runs the ignored test `name` in a child process, which must fail
/// saying `expected`.
fn assert_caught(name: &str, expected: &str) {
    clusworker_test_support::expect_caught(name, expected);
}

#[test]
fn host_waiting_without_the_lock_is_caught() {
    assert_caught("mutant_host_waits_unlocked", "deadlock");
}

#[test]
fn a_shared_result_taken_by_its_first_host_is_caught() {
    assert_caught("mutant_first_host_takes_the_result", "deadlock");
}

#[test]
fn timer_deadline_read_outside_the_lock_is_caught() {
    assert_caught("mutant_timer_deadline_unlocked", "deadlock");
}

#[test]
fn stop_flag_set_after_the_notify_is_caught() {
    assert_caught("mutant_stop_after_notify", "deadlock");
}

#[test]
fn a_burst_that_forgets_the_stop_is_caught() {
    assert_caught("mutant_burst_forgets_the_stop", "deadlock");
}

#[test]
fn a_drop_that_keeps_the_resources_is_caught() {
    assert_caught("mutant_keeps_resources", "expected the resource dropped");
}

#[test]
fn a_call_thread_letting_go_after_the_return_is_caught() {
    assert_caught(
        "mutant_lets_go_after_return",
        "expected the resource dropped",
    );
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by a_drop_that_keeps_the_resources_is_caught"]
fn mutant_keeps_resources() {
    drop_lets_go_of_a_resource_holding_its_handle(Some(Mutant::KeepsResources));
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by a_call_thread_letting_go_after_the_return_is_caught"]
fn mutant_lets_go_after_return() {
    drop_lets_go_of_a_resource_holding_its_handle(Some(Mutant::LetsGoAfterReturn));
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by host_waiting_without_the_lock_is_caught"]
fn mutant_host_waits_unlocked() {
    host_waits_for_its_call(Some(Mutant::HostWaitsUnlocked));
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by timer_deadline_read_outside_the_lock_is_caught"]
fn mutant_timer_deadline_unlocked() {
    hung_call(Some(Mutant::TimerDeadlineUnlocked));
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by stop_flag_set_after_the_notify_is_caught"]
fn mutant_stop_after_notify() {
    drop_while_a_call_runs(Some(Mutant::StopAfterNotify));
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by a_burst_that_forgets_the_stop_is_caught"]
fn mutant_burst_forgets_the_stop() {
    keep_alive_vs_a_new_call(Some(Mutant::BurstForgetsTheStop));
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by a_shared_result_taken_by_its_first_host_is_caught"]
fn mutant_first_host_takes_the_result() {
    hosts_check_together(Some(Mutant::FirstHostTakesTheResult));
}
