//! How the host ends: SIGTERM offlines every online resource and exits 0
//! leaving no process behind; a second signal terminates at once; a call
//! hung past DeadlockTimeout makes the host exit 70 after terminating the
//! rest (the resource host recycle), or only isolates the resource when
//! `exit_on_escalation = false`.

mod hostrun;

use hostrun::{Dir, Host, Line, assert_gone, processes_with, unique_sleep};
use serde_json::json;

#[test]
fn sigterm_offlines_every_resource_and_exits_0_leaving_no_process() {
    let dir = Dir::new("signals");
    let marker = unique_sleep();
    let config = format!(
        r#"
[[resource]]
name = "steps"
type = "scripted"
params = {{ steps = 2, step = "20ms" }}

[[resource]]
name = "idle"
type = "scripted"
online = false

[[resource]]
name = "sleeper"
type = "process"
params = {{ command = ["sleep", "{marker}"], stop_grace = "5s" }}
"#
    );
    let mut host = Host::start(&dir, &config);
    host.wait_for("steps", "Online");
    host.wait_for("sleeper", "Online");
    assert_eq!(processes_with(&marker).len(), 1, "the sleeper runs");
    let mut events = host.connect().events();
    host.signal(libc::SIGTERM);
    // Both go Offline, in either order, by their own Offline.
    let mut offline = std::collections::BTreeMap::new();
    while offline.len() < 2 {
        let line = events.read().expect("events until both are offline");
        let e = &line["event"];
        if e["to"] == "Offline" {
            offline.insert(
                e["resource"].as_str().unwrap().to_owned(),
                e["cause"]["kind"].clone(),
            );
        }
    }
    assert_eq!(offline["steps"], "reported", "offlined, not terminated");
    assert_eq!(offline["sleeper"], "reported", "offlined, not terminated");
    assert_eq!(host.wait_exit(), 0);
    assert_gone(&marker);
    assert!(
        !host.stderr().contains("idle: "),
        "the idle one was left alone"
    );
}

#[test]
fn sigint_is_a_stop_too() {
    let dir = Dir::new("signals");
    let mut host = Host::start(
        &dir,
        "[[resource]]\nname = \"a\"\ntype = \"scripted\"\nparams = { online = \"done\", offline = \"done\" }\n",
    );
    host.wait_for("a", "Online");
    host.signal(libc::SIGINT);
    assert_eq!(host.wait_exit(), 0);
}

/// A host with one resource, `slow`, Online at once, whose offline would
/// take 100 s, under `shutdown_timeout`; SIGTERM sent, with an event stream
/// opened before it.
fn stopping_a_slow_offline(dir: &Dir, shutdown_timeout: &str) -> (Host, Line) {
    let config = format!(
        r#"
[host]
shutdown_timeout = "{shutdown_timeout}"

[[resource]]
name = "slow"
type = "scripted"
params = {{ steps = 1000, step = "100ms", online = "done" }}
"#
    );
    let host = Host::start(dir, &config);
    host.wait_for("slow", "Online");
    let events = host.connect().events();
    host.signal(libc::SIGTERM);
    (host, events)
}

#[test]
fn a_second_signal_terminates_at_once() {
    let dir = Dir::new("signals");
    let (mut host, mut events) = stopping_a_slow_offline(&dir, "60s");
    events.until("slow", "OfflinePending");
    host.signal(libc::SIGTERM);
    let e = events.until("slow", "Offline");
    assert_eq!(e["cause"]["kind"], "terminated", "{e}");
    assert_eq!(host.wait_exit(), 0);
    assert!(host.stderr().contains("second signal"), "{}", host.stderr());
}

#[test]
fn the_shutdown_deadline_terminates_what_is_left() {
    let dir = Dir::new("signals");
    let (mut host, mut events) = stopping_a_slow_offline(&dir, "200ms");
    let e = events.until("slow", "Offline");
    assert_eq!(e["cause"]["kind"], "terminated", "{e}");
    assert_eq!(host.wait_exit(), 0);
}

/// `hung`: its online reports once then never again, so PendingTimeout
/// expires and the monitor calls Terminate, which hangs past
/// DeadlockTimeout.
const HUNG: &str = r#"
[defaults]
pending_timeout = "100ms"
deadlock_timeout = "200ms"

[[resource]]
name = "fine"
type = "scripted"
params = { online = "done", offline = "done" }

[[resource]]
name = "hung"
type = "scripted"
online = false
params = { online = { hang_after = 1 }, step = "10ms", terminate_hangs = true }
"#;

#[test]
fn an_escalation_exits_70_after_terminating_the_rest() {
    let dir = Dir::new("signals");
    let mut host = Host::start(&dir, HUNG);
    host.wait_for("fine", "Online");
    let mut events = host.connect().events();
    host.ask(json!({"op": "online", "name": "hung"}));
    let e = events.until("hung", "Failed");
    assert_eq!(e["cause"]["kind"], "heartbeat_expired", "{e}");
    let e = events.until("fine", "Offline");
    assert_eq!(e["cause"]["kind"], "terminated", "{e}");
    assert_eq!(host.wait_exit(), 70, "{}", host.stderr());
    assert!(host.stderr().contains("escalat"), "{}", host.stderr());
}

#[test]
fn without_exit_on_escalation_the_resource_is_only_isolated() {
    let dir = Dir::new("signals");
    let config = format!("[host]\nexit_on_escalation = false\n{HUNG}");
    let mut host = Host::start(&dir, &config);
    host.wait_for("fine", "Online");
    let mut events = host.connect().events();
    host.ask(json!({"op": "online", "name": "hung"}));
    let e = events.until("hung", "Failed");
    // The escalation's own event (Failed -> Failed).
    loop {
        let line = events.read().expect("the escalation event");
        if line["event"]["cause"]["kind"] == "escalated" {
            break;
        }
    }
    let _ = e;
    let a = host.ask(json!({"op": "state", "name": "hung"}));
    assert_eq!(a["resource"]["isolated"], true, "{a}");
    let a = host.ask(json!({"op": "online", "name": "hung"}));
    assert_eq!(a["error"]["kind"], "isolated", "{a}");
    assert_eq!(host.state("fine"), "Online", "the others are served");
    host.signal(libc::SIGTERM);
    assert_eq!(host.wait_exit(), 0);
}
