//! The `resdll` type under the real `clusworker-host`: the ClipBook
//! resource library (`capi/tests/clipbook_resdll.c`, built here with the
//! system C compiler) goes Online through a pending operation whose
//! checkpoints come through `SetResourceStatus`, goes Offline the same way,
//! is closed on removal and at exit; a stalled copy is failed through
//! PendingTimeout and its `Terminate` is called; a failing health poll
//! fails it. Every wait is bounded by `GUARD` (a guard against a hang,
//! never a timing assertion).

mod hostrun;
mod resdll_libs;

use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use hostrun::{Dir, GUARD, Host};
use serde_json::{Value, json};

/// A config: no health polls unless `extra` sets them, and the resources
/// of `resources` (TOML `[[resource]]` tables).
fn config(resources: &str) -> String {
    format!(
        r#"[host]
shutdown_timeout = "10s"
[defaults]
pending_timeout = "10s"
deadlock_timeout = "20s"
looks_alive_interval = "0s"
is_alive_interval = "0s"
{resources}"#
    )
}

/// One ClipBook resource's `[[resource]]` table.
fn clipbook(name: &str, lib: &Path, parameters: &str, extra: &str) -> String {
    format!(
        r#"
[[resource]]
name = "{name}"
type = "resdll"
online = false
{extra}
[resource.params]
library = "{}"
resource_type = "ClipBook Server"
parameters = {{ {parameters} }}
"#,
        lib.display()
    )
}

/// The host's log lines that mention `resource` and contain `text`.
fn lines(host: &Host, resource: &str, text: &str) -> Vec<String> {
    let name = format!("resource=\"{resource}\"");
    let name2 = format!("resource={resource}");
    host.stderr()
        .lines()
        .filter(|l| l.contains(text) && (l.contains(&name) || l.contains(&name2)))
        .map(str::to_owned)
        .collect()
}

/// Waits until the host has logged `text` for `resource`.
fn await_line(host: &Host, resource: &str, text: &str) {
    let start = Instant::now();
    while lines(host, resource, text).is_empty() {
        assert!(
            start.elapsed() < GUARD,
            "the host never logged {text:?} for {resource}; its log:\n{}",
            host.stderr()
        );
        thread::sleep(Duration::from_millis(10));
    }
}

fn ok(a: &Value) -> &Value {
    assert_eq!(a["ok"], true, "refused: {a}");
    a
}

#[test]
fn clipbook_goes_online_and_offline_through_checkpoints_and_is_closed_on_removal() {
    let lib = resdll_libs::clipbook();
    let dir = Dir::new("resdll-clip");
    let host = Host::start(
        &dir,
        &config(&clipbook("clip", &lib, "Steps = 3, StepMs = 20", "")),
    );
    let mut events = host.connect().events();
    await_line(&host, "clip", "ClipBook: Open (steps 3, step 20 ms)");

    let a = host.ask(json!({"op": "online", "name": "clip"}));
    assert_eq!(ok(&a)["outcome"]["result"], "pending", "{a}");
    assert_eq!(a["outcome"]["code"], 997, "{a}");
    let online = events.until("clip", "Online");
    assert_eq!(online["cause"]["kind"], "reported", "{online}");
    assert_eq!(online["cause"]["checkpoint"], 4, "{online}");
    for checkpoint in 1..=3 {
        let text = format!("ClipBook: checkpoint {checkpoint} answered Continue");
        assert_eq!(
            lines(&host, "clip", &text).len(),
            1,
            "{text}: {}",
            host.stderr()
        );
    }
    await_line(&host, "clip", "ClipBook: online after 3 checkpoints");

    let a = host.ask(json!({"op": "offline", "name": "clip"}));
    assert_eq!(ok(&a)["outcome"]["result"], "pending", "{a}");
    let offline = events.until("clip", "Offline");
    assert_eq!(offline["cause"]["kind"], "reported", "{offline}");
    assert_eq!(offline["cause"]["checkpoint"], 4, "{offline}");
    await_line(&host, "clip", "ClipBook: offline after 3 checkpoints");
    assert!(
        !host.stderr().contains("SetResourceStatus refused"),
        "a good library's report was refused: {}",
        host.stderr()
    );

    assert!(
        lines(&host, "clip", "Close called").is_empty(),
        "closed early"
    );
    ok(&host.ask(json!({"op": "remove", "name": "clip"})));
    await_line(&host, "clip", "ClipBook: Close called");
}

#[test]
fn a_stalled_online_fails_through_pending_timeout_and_its_terminate_is_called() {
    let lib = resdll_libs::clipbook();
    let dir = Dir::new("resdll-stall");
    let resources = clipbook(
        "stalled",
        &lib,
        "Stalled = true",
        r#"pending_timeout = "300ms""#,
    ) + &clipbook("clip", &lib, "Steps = 2, StepMs = 10", "");
    let mut host = Host::start(&dir, &config(&resources));
    let mut events = host.connect().events();

    let a = host.ask(json!({"op": "online", "name": "stalled"}));
    assert_eq!(ok(&a)["outcome"]["result"], "pending", "{a}");
    // A bystander of the same library is not disturbed.
    ok(&host.ask(json!({"op": "online", "name": "clip"})));
    let failed = events.until("stalled", "Failed");
    assert_eq!(failed["cause"]["kind"], "heartbeat_expired", "{failed}");
    await_line(&host, "stalled", "ClipBook: online stalled");
    await_line(&host, "stalled", "ClipBook: Terminate called");
    host.wait_for("clip", "Online");
    assert!(
        lines(&host, "clip", "Terminate called").is_empty(),
        "the bystander was terminated: {}",
        host.stderr()
    );

    // At exit, every resource still open is closed.
    host.signal(libc::SIGTERM);
    assert_eq!(host.wait_exit(), 0, "{}", host.stderr());
    await_line(&host, "stalled", "ClipBook: Close called");
    await_line(&host, "clip", "ClipBook: Close called");
}

#[test]
fn terminate_stops_a_pending_online_and_a_failing_health_poll_fails_it() {
    let lib = resdll_libs::clipbook();
    let dir = Dir::new("resdll-term");
    let resources = clipbook("slow", &lib, "Steps = 100000, StepMs = 10", "")
        + &clipbook(
            "sick",
            &lib,
            "Steps = 1, StepMs = 10, FailAfterPolls = 3",
            r#"looks_alive_interval = "20ms"
is_alive_interval = "20ms""#,
        );
    let host = Host::start(&dir, &config(&resources));
    let mut events = host.connect().events();

    ok(&host.ask(json!({"op": "online", "name": "slow"})));
    await_line(&host, "slow", "ClipBook: checkpoint 1 answered Continue");
    let a = host.ask(json!({"op": "terminate", "name": "slow"}));
    assert_eq!(ok(&a)["resource"]["state"], "Offline", "{a}");
    await_line(&host, "slow", "ClipBook: Terminate called");

    ok(&host.ask(json!({"op": "online", "name": "sick"})));
    let failed = events.until("sick", "Failed");
    assert_eq!(failed["cause"]["kind"], "is_alive_failed", "{failed}");
    await_line(&host, "sick", "ClipBook: health poll 3 fails");
}

#[test]
fn the_socket_adds_a_resdll_resource_and_refuses_a_bad_library() {
    let lib = resdll_libs::clipbook();
    let dir = Dir::new("resdll-add");
    let host = Host::start(&dir, &config(""));
    let params = json!({
        "library": lib, "resource_type": "ClipBook Server",
        "parameters": {"Steps": 1, "StepMs": 10},
    });
    let a = host
        .ask(json!({"op": "add", "name": "c", "type": "resdll", "params": params, "online": true}));
    ok(&a);
    host.wait_for("c", "Online");

    let missing = dir.path("no-such-library.so");
    let params = json!({"library": missing, "resource_type": "ClipBook Server"});
    let a = host.ask(json!({"op": "add", "name": "d", "type": "resdll", "params": params}));
    assert_eq!(a["error"]["kind"], "bad_params", "{a}");
    let message = a["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("cannot load") && message.contains("no-such-library.so"),
        "{a}"
    );
    let params = json!({"library": lib, "resource_type": "Clip Board"});
    let a = host.ask(json!({"op": "add", "name": "e", "type": "resdll", "params": params}));
    let message = a["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("returned 126 (ERROR_MOD_NOT_FOUND)"),
        "{a}"
    );
}

#[test]
fn terminate_runs_while_the_online_entry_point_is_still_running() {
    let lib = resdll_libs::clipbook();
    let dir = Dir::new("resdll-race");
    let gate = dir.path("gate");
    let parameters = format!(
        "Steps = 2, StepMs = 10, OnlineWaitFile = \"{}\"",
        gate.display()
    );
    let host = Host::start(&dir, &config(&clipbook("race", &lib, &parameters, "")));
    let mut online = host.connect();
    online.send(b"{\"op\":\"online\",\"name\":\"race\"}\n");
    await_line(&host, "race", "ClipBook: Online called");

    // Online waits for the gate: Terminate runs beside it.
    let a = host.ask(json!({"op": "terminate", "name": "race"}));
    assert_eq!(ok(&a)["resource"]["state"], "Offline", "{a}");
    await_line(&host, "race", "ClipBook: Terminate called");
    assert!(
        lines(&host, "race", "ClipBook: Online found").is_empty(),
        "Online returned before the gate opened"
    );

    // Online goes on, starts its worker, returns ERROR_IO_PENDING; the
    // operation is over, so the worker's first report is told to stop.
    std::fs::write(&gate, "").expect("open the gate");
    let answer = online.read().expect("the online's answer");
    await_line(&host, "race", "ClipBook: Online found");
    await_line(&host, "race", "ClipBook: checkpoint 1 answered Terminate");
    assert_eq!(host.state("race"), "Offline", "online answered {answer}");
    assert!(
        lines(&host, "race", "online after").is_empty(),
        "the terminated online completed: {}",
        host.stderr()
    );
}
