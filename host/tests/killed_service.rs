//! A real service, killed: `python3 -m http.server` on a loopback port,
//! kept online by a `process` resource with an HTTP health check. Killing
//! it fails the resource at once (the `process` type watches its child,
//! no polling), the Failed event comes through `events`, and `online`
//! brings it back. The time from the kill to the event is printed, not
//! asserted.

mod hostrun;

use std::time::Instant;

use hostrun::{Dir, Host, assert_gone, processes_with};
use serde_json::json;

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    l.local_addr().unwrap().port()
}

fn python3() -> bool {
    std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn a_killed_service_fails_at_once_and_comes_back_online() {
    if !python3() {
        eprintln!("no python3 here: the test of a killed http.server is skipped");
        return;
    }
    let dir = Dir::new("killed");
    let port = free_port();
    let config = format!(
        r#"
[defaults]
pending_timeout = "10s"

[[resource]]
name = "web"
type = "process"
[resource.params]
command = ["python3", "-m", "http.server", "{port}", "--bind", "127.0.0.1"]
health = {{ http = "http://127.0.0.1:{port}/" }}
check_interval = "50ms"
stop_grace = "2s"
"#
    );
    let marker = format!("http.server {port}");
    let mut host = Host::start(&dir, &config);
    host.wait_for("web", "Online");
    let pids = processes_with(&marker);
    assert_eq!(pids.len(), 1, "one server runs: {pids:?}");

    let mut events = host.connect().events();
    let killed = Instant::now();
    // SAFETY: kill sends a signal to the server the host started.
    assert_eq!(unsafe { libc::kill(pids[0], libc::SIGKILL) }, 0);
    let e = events.until("web", "Failed");
    let took = killed.elapsed();
    println!(
        "kill -> Failed event: {:.1} ms ({e})",
        took.as_secs_f64() * 1000.0
    );
    eprintln!(
        "kill -> Failed event: {:.1} ms",
        took.as_secs_f64() * 1000.0
    );
    assert_eq!(e["cause"]["kind"], "signalled", "{e}");
    assert_eq!(e["cause"]["code"], 128 + libc::SIGKILL, "{e}");
    assert_gone(&marker);

    // Back online on request.
    let a = host.ask(json!({"op": "online", "name": "web"}));
    assert_eq!(a["ok"], true, "{a}");
    host.wait_for("web", "Online");
    assert_eq!(processes_with(&marker).len(), 1);

    host.signal(libc::SIGTERM);
    assert_eq!(host.wait_exit(), 0);
    assert_gone(&marker);
}
