//! `workers`: the host process's live workers (`clusworker::diagnostics`),
//! through the socket and through `clusworker-hostctl workers`, from the
//! real binaries.

mod hostrun;

use std::time::Duration;

use hostrun::{Dir, Host};
use serde_json::{Value, json};

/// A resource whose Online reports two checkpoints, then hangs (until
/// terminated), under a PendingTimeout far longer than any test.
const CONFIG: &str = r#"
[[resource]]
name = "stuck"
type = "scripted"
online = false
pending_timeout = "10m"
[resource.params]
step = "5ms"
online = { hang_after = 2 }
"#;

/// The scripted type's workers in `answer` (a `workers` response).
fn scripted(answer: &Value) -> Vec<Value> {
    assert_eq!(answer["ok"], true, "{answer}");
    answer["workers"]
        .as_array()
        .unwrap_or_else(|| panic!("no workers array: {answer}"))
        .iter()
        .filter(|w| {
            w["site"]
                .as_str()
                .is_some_and(|s| s.contains("scripted.rs"))
        })
        .cloned()
        .collect()
}

/// Asks `workers` until `done` holds for the scripted workers (a bound on
/// a hang, never on time).
fn until(host: &Host, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let give_up = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let seen = scripted(&host.ask(json!({"op": "workers"})));
        if done(&seen) {
            return seen;
        }
        assert!(
            std::time::Instant::now() < give_up,
            "never {what}: {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn workers_lists_a_pending_operations_worker_until_it_stops() {
    let dir = Dir::new("workers");
    let host = Host::start(&dir, CONFIG);
    assert_eq!(
        scripted(&host.ask(json!({"op": "workers"}))),
        Vec::<Value>::new()
    );
    let a = host.ask(json!({"op": "online", "name": "stuck"}));
    assert_eq!(a["ok"], true, "{a}");
    let seen = until(&host, "at checkpoint 2", |w| {
        w.len() == 1 && w[0]["progress"] == 2
    });
    let w = &seen[0];
    assert_eq!(w["state"], "Running", "{w}");
    assert_eq!(w["terminating"], Value::Null, "{w}");
    assert!(w["age_ms"].as_f64().is_some_and(|a| a >= 0.0), "{w}");

    // The table and the JSON, from hostctl.
    let (code, out) = host.ctl(&["workers"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("NAME"), "a header first: {out}");
    assert!(
        out.contains("scripted.rs") && out.contains("Running"),
        "{out}"
    );
    let (code, out) = host.ctl(&["--json", "workers"]);
    assert_eq!(code, 0, "{out}");
    let v: Value = serde_json::from_str(&out).expect("one JSON answer");
    assert_eq!(scripted(&v).len(), 1, "{v}");

    // Terminated: it stops, and leaves the list.
    let a = host.ask(json!({"op": "terminate", "name": "stuck"}));
    assert_eq!(a["ok"], true, "{a}");
    until(&host, "gone", <[Value]>::is_empty);
}
