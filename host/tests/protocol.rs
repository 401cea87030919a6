//! The control socket's protocol, request by request, against the real
//! host: every request's answer, and every way a bad request is refused
//! while nothing changes.

mod hostrun;

use hostrun::{Dir, Host, Line};
use serde_json::json;

/// Two scripted resources: `quick` (done at once, not online at start)
/// and `slow` (pending with checkpoints, online at start).
const CONFIG: &str = r#"
[host]
max_clients = 8

[defaults]
pending_timeout = "5s"

[[resource]]
name = "quick"
type = "scripted"
online = false
params = { online = "done", offline = "done" }

[[resource]]
name = "slow"
type = "scripted"
params = { steps = 2, step = "20ms" }
"#;

fn start() -> (Dir, Host) {
    let dir = Dir::new("protocol");
    let host = Host::start(&dir, CONFIG);
    host.wait_for("slow", "Online");
    (dir, host)
}

#[test]
fn online_offline_and_terminate_answer_with_the_outcome_and_the_state() {
    let (_dir, host) = start();
    let a = host.ask(json!({"op": "online", "name": "quick"}));
    assert_eq!(a["ok"], true, "{a}");
    assert_eq!(a["outcome"]["result"], "done", "{a}");
    assert_eq!(a["resource"]["state"], "Online", "{a}");
    assert_eq!(a["resource"]["last_cause"]["kind"], "returned", "{a}");

    let a = host.ask(json!({"op": "offline", "name": "slow"}));
    assert_eq!(a["outcome"]["result"], "pending", "{a}");
    assert_eq!(a["resource"]["state"], "OfflinePending", "{a}");
    host.wait_for("slow", "Offline");

    let a = host.ask(json!({"op": "terminate", "name": "quick"}));
    assert_eq!(a["ok"], true, "{a}");
    assert_eq!(a["resource"]["state"], "Offline", "{a}");
    assert_eq!(a["resource"]["last_cause"]["kind"], "terminated", "{a}");
}

#[test]
fn state_info_and_list_show_every_resource() {
    let (_dir, host) = start();
    let a = host.ask(json!({"op": "state", "name": "slow"}));
    assert_eq!(a["resource"]["state"], "Online", "{a}");
    assert_eq!(a["resource"]["state_value"], 2, "{a}");
    assert_eq!(a["resource"]["last_cause"]["kind"], "reported", "{a}");
    assert_eq!(a["resource"]["last_cause"]["checkpoint"], 3, "{a}");

    let a = host.ask(json!({"op": "info", "name": "slow"}));
    let d = &a["resource"]["details"];
    assert_eq!(d["timeouts"]["pending_timeout"], "5s", "{a}");
    assert_eq!(d["params"]["steps"], 2, "{a}");

    let a = host.ask(json!({"op": "list"}));
    let names: Vec<_> = a["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].clone())
        .collect();
    assert_eq!(names, [json!("quick"), json!("slow")], "{a}");
}

#[test]
fn add_wait_and_remove_a_resource() {
    let (_dir, host) = start();
    let a = host.ask(json!({
        "op": "add", "name": "extra", "type": "scripted",
        "params": {"steps": 1, "step": "10ms"}, "timeouts": {"pending_timeout": "3s"},
        "online": true
    }));
    assert_eq!(a["ok"], true, "{a}");
    assert_eq!(a["outcome"]["result"], "pending", "{a}");
    let a =
        host.ask(json!({"op": "wait", "name": "extra", "state": "online", "timeout_ms": 20000}));
    assert_eq!(a["reached"], "Online", "{a}");

    let a = host.ask(json!({"op": "add", "name": "extra", "type": "scripted"}));
    assert_eq!(a["error"]["kind"], "duplicate_name", "{a}");
    let a = host.ask(json!({"op": "add", "name": "x", "type": "nope"}));
    assert_eq!(a["error"]["kind"], "unknown_type", "{a}");
    let a = host
        .ask(json!({"op": "add", "name": "x", "type": "scripted", "params": {"steps": "many"}}));
    assert_eq!(a["error"]["kind"], "bad_params", "{a}");
    let a = host.ask(json!({"op": "add", "name": "x", "type": "scripted", "timeouts": {"pending_timeout": "1ms"}}));
    assert_eq!(a["error"]["kind"], "bad_params", "{a}");

    let a = host.ask(json!({"op": "remove", "name": "extra"}));
    assert_eq!(a["error"]["kind"], "not_removable", "online: {a}");
    host.ask(json!({"op": "offline", "name": "extra"}));
    host.wait_for("extra", "Offline");
    let a = host.ask(json!({"op": "remove", "name": "extra"}));
    assert_eq!(a["ok"], true, "{a}");
    let a = host.ask(json!({"op": "state", "name": "extra"}));
    assert_eq!(a["error"]["kind"], "unknown_resource", "{a}");
}

#[test]
fn wait_times_out_and_stops_at_failed() {
    let (_dir, host) = start();
    let a = host.ask(json!({"op": "wait", "name": "quick", "state": "Online", "timeout_ms": 50}));
    assert_eq!(a["error"]["kind"], "timeout", "{a}");
    assert_eq!(a["resource"]["state"], "Offline", "{a}");
    let a =
        host.ask(json!({"op": "wait", "name": "slow", "state": "Online", "timeout_ms": u64::MAX}));
    assert_eq!(
        a["reached"], "Online",
        "already there, whatever the timeout: {a}"
    );
    let a = host.ask(json!({"op": "wait", "name": "quick", "state": "sideways", "timeout_ms": 50}));
    assert_eq!(a["error"]["kind"], "bad_state", "{a}");

    // A resource whose online fails: wait for Online ends at Failed.
    host.ask(json!({"op": "add", "name": "bad", "type": "scripted", "params": {"online": "fail"}}));
    let mut waiter = host.connect();
    waiter.send(b"{\"op\":\"wait\",\"name\":\"bad\",\"state\":\"Online\",\"timeout_ms\":20000}\n");
    host.ask(json!({"op": "online", "name": "bad"}));
    let a = waiter.read().unwrap();
    assert_eq!(a["reached"], "Failed", "{a}");
}

#[test]
fn events_stream_every_transition_until_the_client_closes() {
    let (_dir, host) = start();
    let mut events = host.connect().events();
    host.ask(json!({"op": "online", "name": "quick"}));
    let e = events.until("quick", "OnlinePending");
    assert_eq!(e["from"], "Offline");
    assert_eq!(e["cause"]["kind"], "requested");
    let e = events.until("quick", "Online");
    assert_eq!(e["cause"]["kind"], "returned");
    drop(events);
    // The host goes on serving.
    assert_eq!(host.state("quick"), "Online");
}

/// Asks `line` (raw) and expects the refusal `kind`, with nothing changed.
fn refused(host: &Host, line: &str, kind: &str) {
    let before = host.ask(json!({"op": "list"}));
    let a = host.connect().ask(line);
    assert_eq!(a["ok"], false, "{line}: {a}");
    assert_eq!(a["error"]["kind"], kind, "{line}: {a}");
    assert!(
        a["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{a}"
    );
    assert_eq!(
        host.ask(json!({"op": "list"})),
        before,
        "{line} changed nothing"
    );
}

#[test]
fn a_malformed_or_unknown_request_is_refused_and_changes_nothing() {
    let (_dir, host) = start();
    refused(&host, "{\"op\":\"online\",\"name\":", "malformed");
    refused(&host, "online quick", "malformed");
    refused(&host, "[1, 2]", "malformed");
    refused(&host, "{\"name\":\"quick\"}", "malformed");
    refused(&host, "{\"op\":\"online\"}", "malformed");
    refused(
        &host,
        "{\"op\":\"online\",\"name\":\"quick\",\"force\":true}",
        "malformed",
    );
    refused(
        &host,
        "{\"op\":\"reboot\",\"name\":\"quick\"}",
        "unknown_op",
    );
    refused(
        &host,
        "{\"op\":\"online\",\"name\":\"nobody\"}",
        "unknown_resource",
    );
    refused(&host, "{\"op\":\"online\",\"name\":\"slow\"}", "rejected");
    // A refusal does not close the connection.
    let mut c = host.connect();
    assert_eq!(c.ask("{")["error"]["kind"], "malformed");
    assert_eq!(c.ask("{\"op\":\"list\"}")["ok"], true);
}

#[test]
fn a_client_that_disconnects_mid_line_changes_nothing() {
    let (_dir, host) = start();
    let mut c = host.connect();
    c.send(b"{\"op\":\"online\",\"name\":\"quick\"}");
    drop(c); // no newline: the request never arrived whole
    let mut c = host.connect();
    c.send(b"{\"op\":\"offline\",\"name\":\"sl");
    drop(c);
    // Afterwards (each request on its own connection, in order).
    assert_eq!(host.state("quick"), "Offline");
    assert_eq!(host.state("slow"), "Online");
}

#[test]
fn an_over_long_line_is_refused_and_the_connection_closed() {
    let (_dir, host) = start();
    let mut c = host.connect();
    let long = format!(
        "{{\"op\":\"online\",\"name\":\"{}\"}}\n",
        "q".repeat(70 * 1024)
    );
    // The host may close before it has read everything: ignore the send's error.
    let _ = std::io::Write::write_all(&mut c.stream, long.as_bytes());
    let a = c.read().expect("an answer before the close");
    assert_eq!(a["error"]["kind"], "line_too_long", "{a}");
    assert!(c.read().is_none(), "the connection is closed");
    assert_eq!(host.state("quick"), "Offline");
}

/// A connection the host has taken and answered, retried while earlier
/// connections' slots are still being freed (a slot is freed when the
/// host's thread sees the close).
fn served(host: &Host) -> Line {
    let start = std::time::Instant::now();
    loop {
        let mut c = host.connect();
        // Refused and closed while the slots are still taken: try again.
        let _ = std::io::Write::write_all(&mut c.stream, b"{\"op\":\"list\"}\n");
        if c.read().is_some_and(|a| a["ok"] == true) {
            return c;
        }
        assert!(start.elapsed() < hostrun::GUARD, "no slot freed");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn clients_beyond_max_clients_are_refused() {
    let (_dir, host) = start();
    let held: Vec<Line> = (0..8).map(|_| served(&host)).collect();
    let mut ninth = host.connect();
    let a = ninth.read().expect("a refusal");
    assert_eq!(a["error"]["kind"], "too_many_clients", "{a}");
    assert!(ninth.read().is_none(), "and the connection is closed");
    drop(held);
    // Slots free up once clients leave.
    served(&host);
}

#[test]
fn hostctl_speaks_the_protocol() {
    let (_dir, host) = start();
    let ctl = |args: &[&str]| host.ctl(args);
    let (code, out) = ctl(&["list"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("NAME") && out.contains("quick") && out.contains("slow"),
        "{out}"
    );
    let (code, out) = ctl(&["online", "quick"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = ctl(&["--json", "state", "quick"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["resource"]["state"], "Online");
    assert_eq!(ctl(&["state", "nobody"]).0, 1, "refused");
    assert_eq!(
        ctl(&["wait", "quick", "offline", "--timeout", "20ms"]).0,
        4,
        "timed out"
    );
    let (code, _) = ctl(&["add", "c", "scripted", "-p", "online=\"fail\"", "--online"]);
    assert_eq!(code, 0);
    assert_eq!(ctl(&["wait", "c", "online"]).0, 5, "failed instead");
    let out = std::process::Command::new(hostrun::HOSTCTL)
        .args(["--socket", "/nonexistent/host.sock", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "unreachable");
}
