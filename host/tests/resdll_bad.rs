//! The `resdll` type refuses bad libraries and bad reports, each with a
//! clear error, and nothing crashes: a library without `Startup`, version
//! ranges that do not overlap, a table of the wrong version or size, a NULL
//! entry point, no table, a failing `Open`; and, under the real host,
//! `SetResourceStatus` with a handle that is not (or no longer) a
//! resource's, a NULL status, an unknown state, a state the operation
//! cannot reach, checkpoints that do not increase, a report when nothing is
//! pending. The libraries are `capi/tests/resdll_bad.c`, one per macro.

mod hostrun;
mod resdll_libs;

use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use clusworker_host::types::{ResourceType, create};
use hostrun::{Dir, GUARD, Host, run_to_exit};
use serde_json::json;

/// Building a resource of `library` (type "Bad"): its error's text.
fn refusal(library: &Path) -> String {
    let params = json!({"library": library, "resource_type": "Bad"});
    match create(ResourceType::ResDll, "bad", params) {
        Ok(_) => panic!("{} was accepted", library.display()),
        Err(e) => e.to_string(),
    }
}

fn assert_says(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "expected {part:?} in: {text}");
    }
}

#[test]
fn a_library_without_startup_is_refused() {
    let lib = resdll_libs::bad("BAD_NO_STARTUP");
    let e = refusal(&lib);
    assert_says(
        &e,
        &[
            "bad parameters for a resdll resource",
            "libbad_no_startup.so",
            "exports no `Startup`",
        ],
    );
}

#[test]
fn version_ranges_that_do_not_overlap_are_refused() {
    let e = refusal(&resdll_libs::bad("BAD_VERSIONS"));
    assert_says(
        &e,
        &[
            "Startup(\"Bad\", 0x100, 0x100) returned 1306 (ERROR_REVISION_MISMATCH)",
            "supports no version from 0x100 to 0x100",
        ],
    );
}

#[test]
fn a_table_of_another_version_is_refused() {
    let e = refusal(&resdll_libs::bad("BAD_TABLE_VERSION"));
    assert_says(
        &e,
        &["the function table's Version is 0x200, outside the 0x100 to 0x100"],
    );
}

#[test]
fn a_table_of_the_wrong_size_is_refused() {
    let e = refusal(&resdll_libs::bad("BAD_TABLE_SIZE"));
    let size = 8 + 7 * size_of::<usize>();
    let want = format!(
        "TableSize is {size}, not CLRES_V1_FUNCTION_SIZE ({})",
        8 + 11 * size_of::<usize>()
    );
    assert_says(&e, &[&want]);
}

#[test]
fn a_null_entry_point_is_refused() {
    let e = refusal(&resdll_libs::bad("BAD_NULL_ENTRY"));
    assert_says(&e, &["the function table's IsAlive is NULL"]);
}

#[test]
fn a_startup_that_gives_no_table_is_refused() {
    let e = refusal(&resdll_libs::bad("BAD_NO_TABLE"));
    assert_says(
        &e,
        &["Startup returned ERROR_SUCCESS but no function table"],
    );
}

#[test]
fn an_open_that_fails_is_refused_with_its_errno() {
    let e = refusal(&resdll_libs::bad("BAD_OPEN"));
    assert_says(&e, &["Open(\"bad\") returned NULL", "Permission denied"]);
}

#[test]
fn a_missing_library_or_an_unknown_type_is_refused() {
    let e = refusal(Path::new("/nonexistent/libnothing.so"));
    assert_says(
        &e,
        &["cannot load /nonexistent/libnothing.so", "No such file"],
    );
    let lib = resdll_libs::bad("BAD_REPORTS");
    let params = json!({"library": lib, "resource_type": "Good"});
    let e = create(ResourceType::ResDll, "x", params)
        .err()
        .expect("refused")
        .to_string();
    assert_says(&e, &["returned 126 (ERROR_MOD_NOT_FOUND)"]);
    let params = json!({"library": lib, "resource_type": "Bad", "parameters": {"N": -3}});
    let e = create(ResourceType::ResDll, "x", params)
        .err()
        .expect("refused")
        .to_string();
    assert_says(&e, &["`parameters`", "-3 does not fit a DWORD"]);
}

#[test]
fn the_config_check_refuses_a_bad_library_at_its_line() {
    let lib = resdll_libs::bad("BAD_NULL_ENTRY");
    let dir = Dir::new("resdll-check");
    let config = format!(
        "[[resource]]\nname = \"x\"\ntype = \"resdll\"\n[resource.params]\nlibrary = \"{}\"\nresource_type = \"Bad\"\n",
        lib.display()
    );
    let (code, stderr) = run_to_exit(&dir, &config, true);
    assert_eq!(code, 2, "{stderr}");
    assert_says(&stderr, &["host.toml:", "IsAlive is NULL"]);
}

/// The answers (`report <what> -> <n>`) the BAD_REPORTS library logged for
/// `resource`.
fn answer(host: &Host, resource: &str, what: &str) -> Option<u32> {
    let tag = format!("report {what} -> ");
    let name = format!("resource=\"{resource}\"");
    host.stderr()
        .lines()
        .filter(|l| l.contains(&name))
        .find_map(|l| l.split(&tag).nth(1))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
}

fn await_answer(host: &Host, resource: &str, what: &str) -> u32 {
    let start = Instant::now();
    loop {
        if let Some(a) = answer(host, resource, what) {
            return a;
        }
        assert!(
            start.elapsed() < GUARD,
            "no answer to {what} for {resource}:\n{}",
            host.stderr()
        );
        thread::sleep(Duration::from_millis(10));
    }
}

/// The host's warnings of refused reports.
fn refusals(host: &Host) -> Vec<String> {
    host.stderr()
        .lines()
        .filter(|l| l.contains("SetResourceStatus refused"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn bad_reports_are_refused_with_their_reason_and_nothing_breaks() {
    let lib = resdll_libs::bad("BAD_REPORTS");
    let dir = Dir::new("resdll-reports");
    let mut config =
        String::from("[defaults]\nlooks_alive_interval = \"0s\"\nis_alive_interval = \"0s\"\n");
    for name in ["a", "b", "failing"] {
        config += &format!(
            "[[resource]]\nname = \"{name}\"\ntype = \"resdll\"\nonline = false\n[resource.params]\nlibrary = \"{}\"\nresource_type = \"Bad\"\n",
            lib.display()
        );
    }
    let host = Host::start(&dir, &config);
    let mut events = host.connect().events();

    // Open reported before any Online: nothing is pending.
    assert_eq!(await_answer(&host, "a", "before_any_online"), 1);
    // `a` is removed (closed): its handle is no longer a resource's.
    let r = host.ask(json!({"op": "remove", "name": "a"}));
    assert_eq!(r["ok"], true, "{r}");
    let r = host.ask(json!({"op": "online", "name": "b"}));
    assert_eq!(r["ok"], true, "{r}");
    let online = events.until("b", "Online");
    assert_eq!(online["cause"]["checkpoint"], 6, "{online}");

    // Logged with the bad handles: no resource's name.
    assert_eq!(await_answer(&host, "-", "unknown_handle"), 1);
    assert_eq!(await_answer(&host, "-", "closed_handle"), 1);
    let expected = [
        ("null_status", 0),
        ("unknown_state", 0),
        ("wrong_state", 0),
        ("checkpoint_5", 0),
        ("checkpoint_5_again", 0),
        ("checkpoint_3", 0),
        ("online", 0),
        ("after_online", 1),
    ];
    for (what, want) in expected {
        assert_eq!(
            await_answer(&host, "b", what),
            want,
            "{what}:\n{}",
            host.stderr()
        );
    }
    let refused = refusals(&host).join("\n");
    assert_says(
        &refused,
        &[
            "handle 0x7777 is not a resource of this host (never opened, or closed)",
            "the RESOURCE_STATUS pointer is NULL",
            "ResourceState 77 is not a state a report can carry",
            "a pending online cannot lead to OfflinePending",
            "checkpoint 5 does not exceed the previous 5",
            "checkpoint 3 does not exceed the previous 5",
            "no Online or Offline of this resource has been called",
        ],
    );
    let unknown = refusals(&host)
        .iter()
        .filter(|l| l.contains("is not a resource of this host"))
        .count();
    assert!(
        unknown >= 2,
        "the closed handle was not refused as unknown:\n{refused}"
    );
    // The report after Online: nothing is pending any more.
    assert!(
        refusals(&host).iter().any(|l| l.contains("resource=\"b\"")
            && (l.contains("nothing is pending") || l.contains("the operation is over"))),
        "no refusal of the report after Online:\n{refused}"
    );
    assert_eq!(host.state("b"), "Online");

    // ClusterResourceFailed while online fails the resource.
    let r = host.ask(json!({"op": "online", "name": "failing"}));
    assert_eq!(r["ok"], true, "{r}");
    let failed = events.until("failing", "Failed");
    assert_eq!(failed["cause"]["kind"], "signalled", "{failed}");
    assert_eq!(failed["cause"]["code"], 5038, "{failed}");
    assert_eq!(await_answer(&host, "failing", "failed_while_online"), 1);
    assert_eq!(
        host.state("b"),
        "Online",
        "the host still serves the others"
    );
}
