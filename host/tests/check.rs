//! `check`: a resource's IsAlive, now, through the control socket and
//! `clusworker-hostctl check`. A real `sleep` kept by a `process`
//! resource whose health check is a command that looks for a file: the
//! file there, IsAlive says yes; gone, it says no and the resource fails.

mod hostrun;

use hostrun::{Dir, Host, assert_gone, unique_sleep};
use serde_json::json;

fn config(dir: &Dir, sleep: &str) -> String {
    let healthy = dir.path("healthy");
    format!(
        r#"
[defaults]
pending_timeout = "10s"

[[resource]]
name = "svc"
type = "process"
[resource.params]
command = ["sleep", "{sleep}"]
health = {{ command = ["test", "-e", "{}"] }}
check_interval = "20ms"

[[resource]]
name = "idle"
type = "scripted"
online = false
params = {{ online = "done", offline = "done" }}
"#,
        healthy.display()
    )
}

#[test]
fn check_asks_is_alive_now_and_a_no_fails_the_resource() {
    let dir = Dir::new("check");
    let healthy = dir.write("healthy", "");
    let sleep = unique_sleep();
    let host = Host::start(&dir, &config(&dir, &sleep));
    host.wait_for("svc", "Online");

    let a = host.ask(json!({"op": "check", "name": "svc"}));
    assert_eq!(
        (a["ok"].clone(), a["alive"].clone()),
        (json!(true), json!(true)),
        "{a}"
    );
    assert_eq!(a["resource"]["state"], "Online", "{a}");
    let (code, out) = host.ctl(&["check", "svc"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("IsAlive answered: alive"), "{out}");

    // The health check now fails: the next check says so at once (the
    // scheduled IsAlive is a minute away), and the resource fails.
    std::fs::remove_file(&healthy).expect("remove the marker");
    let (code, out) = host.ctl(&["check", "svc"]);
    assert_eq!(code, 5, "IsAlive said no: {out}");
    assert!(out.starts_with("IsAlive answered: not alive"), "{out}");
    let a = host.ask(json!({"op": "state", "name": "svc"}));
    assert_eq!(a["resource"]["state"], "Failed", "{a}");
    assert_eq!(
        a["resource"]["last_cause"]["kind"], "is_alive_failed",
        "{a}"
    );
    // Failed is not stopped: the cluster (or the operator) stops it.
    let a = host.ask(json!({"op": "terminate", "name": "svc"}));
    assert_eq!(a["resource"]["state"], "Offline", "{a}");
    assert_gone(&sleep);
}

#[test]
fn check_of_a_resource_not_online_is_refused_and_changes_nothing() {
    let dir = Dir::new("check-refused");
    dir.write("healthy", "");
    let sleep = unique_sleep();
    let host = Host::start(&dir, &config(&dir, &sleep));
    host.wait_for("svc", "Online");

    let a = host.ask(json!({"op": "check", "name": "idle"}));
    assert_eq!(a["ok"], false, "{a}");
    assert_eq!(a["error"]["kind"], "not_online", "{a}");
    assert_eq!(a["resource"]["state"], "Offline", "{a}");
    let a = host.ask(json!({"op": "check", "name": "nobody"}));
    assert_eq!(a["error"]["kind"], "unknown_resource", "{a}");
    let a = host.ask(json!({"op": "check"}));
    assert_eq!(a["error"]["kind"], "malformed", "{a}");
    assert_eq!(host.ctl(&["check", "idle"]).0, 1, "refused");
    assert_eq!(host.state("idle"), "Offline");
    assert_eq!(host.state("svc"), "Online");
}
