//! The agent under a real single-node corosync + pacemaker cluster on
//! 127.0.0.1 (`bash .ci/pacemaker.sh` starts it): a killed process is
//! restarted, a service that hangs while its process lives on is found by
//! the depth-10 monitor and restarted, a start that never gets healthy
//! fails through PendingTimeout, and a stop leaves nothing behind.
//!
//! Ignored by a plain `cargo test` (see `tools.rs`).

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::cib::{
    Resource, cluster_up, create, crm_mon_xml, fail_count, monitor_failed, monitor_rc,
    one_at_a_time, primitive, primitive_deep, role, started, xpath,
};
use common::{host, http_server, installed, processes, ra_path, run, text, until};

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

/// A server stopped with SIGSTOP still runs, so LooksAlive and the
/// depth-0 monitor see nothing, and the host's own IsAlive poll is a
/// minute away; the depth-10 monitor (every 2 s) has the host call IsAlive
/// now, whose HTTP check times out: the resource fails, Pacemaker recovers
/// it, and a new server answers.
#[test]
#[ignore = "needs pacemaker: bash .ci/pacemaker.sh"]
fn the_deep_monitor_finds_a_hung_service_and_the_cluster_restarts_it() {
    let _one = one_at_a_time();
    installed();
    cluster_up();
    let test_begun = Instant::now();
    let host = host("cluster-deep");
    let id = "cw-deep";
    let port = 18104;
    let server = ["http.server", "18104"];
    let xml = primitive_deep(
        id,
        &[
            (
                "command",
                serde_json::to_string(&http_server(port)).unwrap(),
            ),
            ("health", format!("http://127.0.0.1:{port}/")),
            ("check_interval", "100ms".into()),
            ("check_timeout", "1s".into()),
            ("stop_grace", "1s".into()),
            ("looks_alive_interval", "1s".into()),
            ("is_alive_interval", "60s".into()),
            ("socket", host.socket()),
        ],
        "30s",
        "2s",
    );
    let _resource = Resource(id);
    create(&xml);
    until("Started", Duration::from_secs(30), || {
        started(id).then_some(())
    });
    let first = processes(&server);
    assert_eq!(first.len(), 1, "one server runs: {first:?}");

    let hung = Instant::now();
    let _ = Command::new("kill")
        .args(["-STOP", &first[0].to_string()])
        .status();
    // Pacemaker keeps one last failure per resource: the depth-0 monitor
    // may record the Failed state after the deep one failed it. What
    // shows the deep monitor did it: IsAlive ran long before its minute.
    let reason_of = |xml: &str| {
        xpath(
            xml,
            &format!(
                "string(//failures/failure[starts-with(@op_key,'{id}_monitor_')]/@exitreason)"
            ),
        )
    };
    let (second, reason) = until(
        "a monitor's failure recorded, Started again, a new server",
        Duration::from_secs(30),
        || {
            let now = processes(&server);
            let reason = reason_of(&crm_mon_xml());
            (!reason.is_empty() && started(id) && now.len() == 1 && now[0] != first[0])
                .then(|| (now[0], reason))
        },
    );
    let to_restarted = hung.elapsed();
    assert_ne!(second, first[0]);
    assert!(
        reason.contains("IsAlive failed"),
        "the failure is the deep check's: {reason:?}"
    );
    println!(
        "timings: SIGSTOP -> Started again {:.2}s; this test {:.2}s",
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
