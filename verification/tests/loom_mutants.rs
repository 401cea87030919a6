//! The loom models have teeth: each generic model passes on the shipped
//! protocol and fails on a mutant that carries one known bug.
//!
//! A failing loom model may abort its process, so each mutant runs in a
//! child process (this test binary, filtered to one `#[ignore]`d test), and
//! the parent asserts that the child failed for the expected reason.
#![cfg(feature = "loom")]

use clusworker_core::WorkerCell;
use clusworker_test_support::expect_caught;
use clusworker_verification::loom_platform::Loom;
use clusworker_verification::models;
use clusworker_verification::mutants::{AsyncMutant, Mutant, async_bug, bug};
use clusworker_verification::reason::{
    ReasonMutant, reason_bug, the_reason_seen_is_the_first_requests,
};

type Real = WorkerCell<Loom, u32>;

#[test]
fn models_pass_on_the_shipped_protocol() {
    models::first_terminator_is_unique::<Real>();
    models::sleep_wakes_on_terminate::<Real>();
    models::result_is_published_before_the_exit::<Real>();
    models::storage_is_freed_once_after_its_last_use::<Real>();
    models::storage_is_freed_once_after_its_last_use::<Mutant<0>>();
    models::future_wakes_on_terminate::<Real>();
    models::future_wakes_on_terminate::<AsyncMutant<0>>();
}

/// The visibility models run on the shipped protocol in `loom_word.rs`;
/// here they run on the copy without a bug, so that a mutant's failure is
/// its bug's, not the copy's.
#[test]
fn visibility_models_pass_on_the_unbroken_copy() {
    models::check_terminate_sees_the_terminators_writes::<Mutant<0>>();
    models::sleep_terminated_sees_the_terminators_writes::<Mutant<0>>();
    models::a_handle_that_lets_go_first_is_ordered_before_the_writers_free::<Mutant<0>>();
    the_reason_seen_is_the_first_requests::<ReasonMutant<0>>();
}

#[test]
fn check_then_store_terminate_is_caught() {
    expect_caught("mutant_check_then_store", "exactly one first terminator");
}

#[test]
fn relaxed_publish_of_the_exit_is_caught() {
    expect_caught("mutant_relaxed_publish", "Causality violation");
}

#[test]
fn sleep_without_recheck_is_caught() {
    expect_caught("mutant_sleep_without_recheck", "deadlock");
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by check_then_store_terminate_is_caught"]
fn mutant_check_then_store() {
    models::first_terminator_is_unique::<Mutant<{ bug::CHECK_THEN_STORE }>>();
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by relaxed_publish_of_the_exit_is_caught"]
fn mutant_relaxed_publish() {
    models::result_is_published_before_the_exit::<Mutant<{ bug::RELAXED_PUBLISH }>>();
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by sleep_without_recheck_is_caught"]
fn mutant_sleep_without_recheck() {
    models::sleep_wakes_on_terminate::<Mutant<{ bug::SLEEP_WITHOUT_RECHECK }>>();
}

#[test]
fn freeing_on_the_exit_is_caught() {
    expect_caught("mutant_free_on_exited", "Causality violation");
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by freeing_on_the_exit_is_caught"]
fn mutant_free_on_exited() {
    models::storage_is_freed_once_after_its_last_use::<Mutant<{ bug::FREE_ON_EXITED }>>();
}

#[test]
fn relaxed_check_terminate_is_caught() {
    expect_caught("mutant_relaxed_check_terminate", "Causality violation");
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by relaxed_check_terminate_is_caught"]
fn mutant_relaxed_check_terminate() {
    models::check_terminate_sees_the_terminators_writes::<Mutant<{ bug::RELAXED_CHECK_TERMINATE }>>(
    );
}

#[test]
fn release_only_exit_cas_is_caught() {
    expect_caught("mutant_release_only_exit_cas", "Causality violation");
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by release_only_exit_cas_is_caught"]
fn mutant_release_only_exit_cas() {
    models::a_handle_that_lets_go_first_is_ordered_before_the_writers_free::<
        Mutant<{ bug::RELEASE_ONLY_EXIT_CAS }>,
    >();
}

#[test]
fn relaxed_sleeper_cas_failure_is_caught() {
    expect_caught("mutant_relaxed_sleeper_cas_failure", "Causality violation");
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by relaxed_sleeper_cas_failure_is_caught"]
fn mutant_relaxed_sleeper_cas_failure() {
    models::sleep_terminated_sees_the_terminators_writes::<
        Mutant<{ bug::RELAXED_SLEEPER_CAS_FAILURE }>,
    >();
}

#[test]
fn async_announce_before_link_is_caught() {
    expect_caught("mutant_async_announce_before_link", "deadlock");
}

#[test]
fn async_setter_loading_first_is_caught() {
    expect_caught("mutant_async_setter_loads_first", "deadlock");
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by async_announce_before_link_is_caught"]
fn mutant_async_announce_before_link() {
    models::future_wakes_on_terminate::<AsyncMutant<{ async_bug::ANNOUNCE_BEFORE_LINK }>>();
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by async_setter_loading_first_is_caught"]
fn mutant_async_setter_loads_first() {
    models::future_wakes_on_terminate::<AsyncMutant<{ async_bug::SETTER_LOADS_FIRST }>>();
}

// --- The reason (issue 16): `the_reason_seen_is_the_first_requests` on a
// --- copy of the request path with one bug each.

#[test]
fn publishing_the_flag_before_the_reason_is_caught() {
    expect_caught("mutant_publish_before_write", "Causality violation");
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by publishing_the_flag_before_the_reason_is_caught"]
fn mutant_publish_before_write() {
    the_reason_seen_is_the_first_requests::<ReasonMutant<{ reason_bug::PUBLISH_BEFORE_WRITE }>>();
}

#[test]
fn a_reason_written_without_a_claim_is_caught() {
    expect_caught("mutant_no_claim", "Causality violation");
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by a_reason_written_without_a_claim_is_caught"]
fn mutant_no_claim() {
    the_reason_seen_is_the_first_requests::<ReasonMutant<{ reason_bug::NO_CLAIM }>>();
}

#[test]
fn a_relaxed_pre_load_of_a_later_request_is_caught() {
    expect_caught("mutant_relaxed_pre_load", "Causality violation");
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by a_relaxed_pre_load_of_a_later_request_is_caught"]
fn mutant_relaxed_pre_load() {
    the_reason_seen_is_the_first_requests::<ReasonMutant<{ reason_bug::RELAXED_PRE_LOAD }>>();
}

#[test]
fn a_relaxed_read_of_the_reason_is_caught() {
    expect_caught("mutant_relaxed_read", "Causality violation");
}

#[test]
#[ignore = "a mutant: run (and expected to fail) by a_relaxed_read_of_the_reason_is_caught"]
fn mutant_relaxed_read() {
    the_reason_seen_is_the_first_requests::<ReasonMutant<{ reason_bug::RELAXED_READ }>>();
}
