//! The agent under a real single-node corosync + pacemaker cluster on
//! 127.0.0.1 (`bash .ci/pacemaker.sh` starts it): a killed process is
//! restarted, a start that never gets healthy fails through
//! PendingTimeout, and a stop leaves nothing behind.
//!
//! Ignored by a plain `cargo test` (see `tools.rs`).

mod common;

use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use common::{AGENT, PROVIDER, host, http_server, installed, processes, ra_path, run, text, until};

// ---- a single-node cluster ----

fn crm_mon_xml() -> String {
    let out = run("crm_mon", &["-1", "--output-as=xml"], &[]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn xpath(xml: &str, expr: &str) -> String {
    use std::io::Write;
    let mut child = Command::new("xmllint")
        .args(["--xpath", expr, "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("xmllint");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(xml.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("xmllint");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn role(id: &str) -> String {
    xpath(
        &crm_mon_xml(),
        &format!("string(//resources/resource[@id='{id}']/@role)"),
    )
}

fn fail_count(id: &str) -> String {
    xpath(
        &crm_mon_xml(),
        &format!("string(//node_history//resource_history[@id='{id}']/@fail-count)"),
    )
}

/// The failed monitor's record in crm_mon's failures, whatever the
/// fail-count says (the count alone has been seen cleared while another
/// resource was deleted beside this one, Pacemaker 2.1.5).
fn monitor_failed(id: &str) -> bool {
    xpath(
        &crm_mon_xml(),
        &format!("count(//failures/failure[@op_key='{id}_monitor_1000'])"),
    )
    .parse::<u32>()
    .is_ok_and(|n| n > 0)
}

/// One cluster test at a time: they share the cluster, and deleting one
/// test's resource has cleared the other's fail-count.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static CLUSTER: std::sync::Mutex<()> = std::sync::Mutex::new(());
    CLUSTER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Waits for the cluster to have a DC (the script started it).
fn cluster_up() {
    until(
        "a DC (is the cluster running? bash .ci/pacemaker.sh)",
        Duration::from_secs(60),
        || {
            crm_mon_xml()
                .contains(r#"<current_dc present="true""#)
                .then_some(())
        },
    );
}

/// A primitive of this agent, its parameters, and short operations.
fn primitive(id: &str, params: &[(&str, String)], start_timeout: &str) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
    };
    let nv: String = params
        .iter()
        .map(|(n, v)| format!(r#"<nvpair id="{id}-{n}" name="{n}" value="{}"/>"#, esc(v)))
        .collect();
    format!(
        r#"<primitive id="{id}" class="ocf" provider="{PROVIDER}" type="{AGENT}">
  <instance_attributes id="{id}-ia">{nv}</instance_attributes>
  <operations>
    <op id="{id}-start" name="start" interval="0s" timeout="{start_timeout}"/>
    <op id="{id}-stop" name="stop" interval="0s" timeout="30s"/>
    <op id="{id}-monitor" name="monitor" interval="1s" timeout="10s"/>
  </operations>
</primitive>"#
    )
}

/// Removes the resource from the CIB when dropped (stopping it first).
struct Resource(&'static str);

impl Drop for Resource {
    fn drop(&mut self) {
        let id = self.0;
        let _ = run(
            "crm_resource",
            &["-r", id, "--meta", "-p", "target-role", "-v", "Stopped"],
            &[],
        );
        // No panic here: this may run while a failed test unwinds.
        let begun = Instant::now();
        while !matches!(role(id).as_str(), "Stopped" | "")
            && begun.elapsed() < Duration::from_secs(40)
        {
            thread::sleep(Duration::from_millis(100));
        }
        // No `crm_resource --cleanup` either: the script starts a fresh
        // cluster for every run.
        let _ = run(
            "cibadmin",
            &[
                "--delete",
                "-o",
                "resources",
                "--xml-text",
                &format!(r#"<primitive id="{id}"/>"#),
            ],
            &[],
        );
    }
}

fn create(xml: &str) -> Instant {
    let begun = Instant::now();
    let out = run(
        "cibadmin",
        &["--create", "-o", "resources", "--xml-text", xml],
        &[],
    );
    assert!(out.status.success(), "cibadmin --create:\n{}", text(&out));
    begun
}

/// The last result of the resource's `operation` with `interval_ms`, from
/// the CIB's status section (a pending one shows 193).
fn op_rc(id: &str, operation: &str, interval_ms: u32) -> Option<String> {
    let out = run("cibadmin", &["-Q", "-o", "status"], &[]);
    let xml = String::from_utf8_lossy(&out.stdout);
    let rc = xpath(
        &xml,
        &format!(
            "string(//lrm_resource[@id='{id}']/lrm_rsc_op[@operation='{operation}' and @interval='{interval_ms}']/@rc-code)"
        ),
    );
    (!rc.is_empty()).then_some(rc)
}

/// The recurring monitor's last result.
fn monitor_rc(id: &str) -> Option<String> {
    op_rc(id, "monitor", 1000)
}

/// Started, its start done and successful (not merely under way).
fn started(id: &str) -> bool {
    role(id) == "Started" && op_rc(id, "start", 0).as_deref() == Some("0")
}

#[test]
#[ignore = "needs pacemaker: bash .ci/pacemaker.sh"]
fn the_cluster_restarts_a_killed_process_and_stops_it_cleanly() {
    let _one = one_at_a_time();
    installed();
    cluster_up();
    let test_begun = Instant::now();
    let host = host("cluster-web");
    let id = "cw-web";
    let port = 18102;
    let server = ["http.server", "18102"];
    let xml = primitive(
        id,
        &[
            (
                "command",
                serde_json::to_string(&http_server(port)).unwrap(),
            ),
            ("health", format!("http://127.0.0.1:{port}/")),
            ("check_interval", "100ms".into()),
            ("pending_timeout", "10s".into()),
            ("looks_alive_interval", "1s".into()),
            ("is_alive_interval", "2s".into()),
            ("socket", host.socket()),
        ],
        "30s",
    );
    let _resource = Resource(id);
    let created = create(&xml);
    until("Started", Duration::from_secs(30), || {
        started(id).then_some(())
    });
    let to_started = created.elapsed();
    let first = processes(&server);
    assert_eq!(first.len(), 1, "one server runs: {first:?}");

    // The recurring monitor runs and finds it healthy.
    until("a recurring monitor", Duration::from_secs(10), || {
        monitor_rc(id)
    });
    assert_eq!(
        monitor_rc(id).as_deref(),
        Some("0"),
        "the monitor finds it healthy"
    );
    assert_eq!(fail_count(id), "", "no failure yet");

    // Kill it: the host fails it, the monitor sees it, Pacemaker restarts it.
    let killed = Instant::now();
    let _ = Command::new("kill")
        .args(["-KILL", &first[0].to_string()])
        .status();
    let second = until(
        "restarted (the monitor's failure recorded, Started, a new server)",
        Duration::from_secs(30),
        || {
            let now = processes(&server);
            let failed = fail_count(id) == "1" || monitor_failed(id);
            (failed && started(id) && now.len() == 1 && now[0] != first[0]).then(|| now[0])
        },
    );
    let to_restarted = killed.elapsed();
    assert_ne!(second, first[0]);

    // target-role=Stopped: stopped, nothing left behind.
    let out = run(
        "crm_resource",
        &["-r", id, "--meta", "-p", "target-role", "-v", "Stopped"],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    until("Stopped", Duration::from_secs(30), || {
        (role(id) == "Stopped").then_some(())
    });
    until("no server left", Duration::from_secs(5), || {
        processes(&server).is_empty().then_some(())
    });
    let agent_says = run(
        ra_path().to_str().unwrap(),
        &["monitor"],
        &[
            ("OCF_RESOURCE_INSTANCE", id),
            ("OCF_RESKEY_socket", &host.socket()),
        ],
    );
    assert_eq!(
        agent_says.status.code(),
        Some(7),
        "the agent's monitor: {}",
        text(&agent_says)
    );
    println!(
        "timings: cibadmin --create -> Started {:.2}s; kill -> Started again {:.2}s; this test {:.2}s",
        to_started.as_secs_f64(),
        to_restarted.as_secs_f64(),
        test_begun.elapsed().as_secs_f64()
    );
}

#[test]
#[ignore = "needs pacemaker: bash .ci/pacemaker.sh"]
fn a_start_that_never_gets_healthy_fails_through_pending_timeout() {
    let _one = one_at_a_time();
    installed();
    cluster_up();
    let test_begun = Instant::now();
    let host = host("cluster-hang");
    let id = "cw-hang";
    // The command runs; its health check hangs, so no checkpoint comes
    // and PendingTimeout (2 s) fails the online, long before the
    // operation's 60 s.
    let xml = primitive(
        id,
        &[
            ("command", r#"["/bin/sleep", "601"]"#.into()),
            ("health", r#"{"command": ["/bin/sleep", "602"]}"#.into()),
            ("check_timeout", "30s".into()),
            ("pending_timeout", "2s".into()),
            ("socket", host.socket()),
        ],
        "60s",
    );
    let _resource = Resource(id);
    let created = create(&xml);
    let failure = until("the start's failure", Duration::from_secs(30), || {
        let xml = crm_mon_xml();
        let reason = xpath(
            &xml,
            &format!("string(//failures/failure[@op_key='{id}_start_0']/@exitreason)"),
        );
        (!reason.is_empty()).then_some((
            reason,
            xpath(
                &xml,
                &format!("string(//failures/failure[@op_key='{id}_start_0']/@exec)"),
            ),
        ))
    });
    let failed_after = created.elapsed();
    let (reason, exec_ms) = failure;
    assert!(
        reason.contains("PendingTimeout expired"),
        "the reason says why: {reason:?}"
    );
    let exec_ms: f64 = exec_ms.parse().unwrap_or(f64::MAX);
    assert!(
        exec_ms < 10_000.0,
        "the start took {exec_ms} ms: not long before its 60 s timeout"
    );
    let shown = run("crm_mon", &["-1", "-rf"], &[]);
    assert!(
        text(&shown).contains("PendingTimeout expired"),
        "crm_mon shows the reason:\n{}",
        text(&shown)
    );
    until(
        "Stopped after the failed start",
        Duration::from_secs(30),
        || (role(id) == "Stopped").then_some(()),
    );
    until("nothing left", Duration::from_secs(5), || {
        (processes(&["/bin/sleep", "601"]).is_empty()
            && processes(&["/bin/sleep", "602"]).is_empty())
        .then_some(())
    });
    println!(
        "timings: cibadmin --create -> start failed {:.2}s (start exec {exec_ms} ms of a 60 s timeout); this test {:.2}s",
        failed_after.as_secs_f64(),
        test_begun.elapsed().as_secs_f64()
    );
}
