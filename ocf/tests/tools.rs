//! The agent under Pacemaker's tools, without a cluster: `ocf-tester`
//! over a process resource, and `crm_resource --force-*` (validate, start,
//! check, stop; a hung Terminate that recycles the host).
//!
//! Every test is ignored by a plain `cargo test`: they need root and the
//! Debian packages, which `bash .ci/pacemaker.sh` installs before it runs
//! `cargo test -p clusworker-ocf --test tools --test cluster -- --ignored`.
//! Each test installs the agent it was built with as
//! `/usr/lib/ocf/resource.d/clusworker/clusworker` and the host beside it
//! as `/usr/local/sbin/clusworker-host`, talks to a host of its own (its
//! own socket), and stops that host when it ends.

mod common;

use std::time::{Duration, Instant};

use common::{crm_resource, host, http_server, installed, processes, ra_path, run, text, until};

// ---- ocf-tester ----

#[test]
#[ignore = "needs pacemaker: bash .ci/pacemaker.sh"]
fn ocf_tester_passes_over_a_process_resource() {
    installed();
    let host = host("ocf-tester");
    let command = serde_json::to_string(&http_server(18101)).unwrap();
    let args = [
        "-n".to_owned(),
        "ocft".to_owned(),
        "-o".to_owned(),
        format!("command={command}"),
        "-o".to_owned(),
        "health=http://127.0.0.1:18101/".to_owned(),
        "-o".to_owned(),
        "check_interval=100ms".to_owned(),
        "-o".to_owned(),
        format!("socket={}", host.socket()),
        ra_path().display().to_string(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let begun = Instant::now();
    let out = run("ocf-tester", &args, &[]);
    let all = text(&out);
    println!("ocf-tester: {:.1}s\n{all}", begun.elapsed().as_secs_f64());
    assert!(out.status.success(), "ocf-tester failed:\n{all}");
    assert!(all.contains("passed all tests"), "{all}");
    assert_eq!(
        processes(&["http.server", "18101"]),
        Vec::<i32>::new(),
        "the server outlived the stop"
    );
}

// ---- crm_resource without a cluster ----

#[test]
#[ignore = "needs pacemaker: bash .ci/pacemaker.sh"]
fn crm_resource_validates_starts_checks_and_stops() {
    installed();
    let host = host("crm-resource");
    let options = vec![
        format!(
            "command={}",
            serde_json::to_string(&http_server(18103)).unwrap()
        ),
        "health=http://127.0.0.1:18103/".to_owned(),
        "check_interval=100ms".to_owned(),
        format!("socket={}", host.socket()),
    ];
    for (action, want) in [
        ("--validate", 0),
        ("--force-check", 7),
        ("--force-start", 0),
        ("--force-check", 0),
        ("--force-stop", 0),
        ("--force-check", 7),
    ] {
        let out = crm_resource(action, &options);
        assert_eq!(out.status.code(), Some(want), "{action}:\n{}", text(&out));
        let running = processes(&["http.server", "18103"]).len();
        let want_running =
            usize::from(action == "--force-start" || (action == "--force-check" && want == 0));
        assert_eq!(running, want_running, "after {action}: servers running");
    }
    let mut bad = options.clone();
    bad.push("check_interval=fast".to_owned());
    let out = crm_resource("--validate", &bad);
    assert_eq!(
        out.status.code(),
        Some(6),
        "a bad parameter:\n{}",
        text(&out)
    );
    assert!(
        text(&out).contains("check_interval"),
        "the reason names it:\n{}",
        text(&out)
    );
}

// ---- the deep monitor ----

/// Depth 0 answers from the state the host's polls keep; depth 10 has the
/// host call IsAlive now, so a health check that starts failing between
/// two scheduled IsAlive polls (a minute apart) is seen at the next deep
/// monitor, not a minute later.
#[test]
#[ignore = "needs pacemaker: bash .ci/pacemaker.sh"]
fn a_depth_10_monitor_calls_is_alive_now() {
    installed();
    let host = host("crm-deep");
    let healthy = std::env::temp_dir().join(format!("clusworker-deep-{}", std::process::id()));
    std::fs::write(&healthy, "").expect("write the health marker");
    let sleep = format!("3600.{}", std::process::id());
    let options = vec![
        format!("command={}", serde_json::json!(["sleep", sleep])),
        format!(
            "health={}",
            serde_json::json!({"command": ["test", "-e", healthy]})
        ),
        "check_interval=100ms".to_owned(),
        format!("socket={}", host.socket()),
    ];
    let check = |action: &str, want: i32, what: &str| {
        let out = crm_resource(action, &options);
        assert_eq!(
            out.status.code(),
            Some(want),
            "{action}: {what}\n{}",
            text(&out)
        );
        text(&out)
    };
    check("--force-start", 0, "online");
    check("--force-check", 0, "online");
    check("--force-check=10", 0, "IsAlive says yes");
    std::fs::remove_file(&healthy).expect("remove the health marker");
    check("--force-check", 0, "depth 0: the polls saw nothing yet");
    let out = check("--force-check=10", 1, "IsAlive now says no");
    assert!(
        out.contains("IsAlive failed"),
        "the reason says why:\n{out}"
    );
    check("--force-check", 1, "failed, at every depth from now on");
    check("--force-stop", 0, "stopped");
    assert!(
        processes(&["sleep", &sleep]).is_empty(),
        "the service is gone"
    );
}

// ---- escalation ----

#[test]
#[ignore = "needs pacemaker: bash .ci/pacemaker.sh"]
fn a_hung_terminate_recycles_the_host_and_the_stop_fails_for_fencing() {
    installed();
    let host = host("crm-escalation");
    let common = |script: &str| {
        vec![
            "type=scripted".to_owned(),
            format!("params={script}"),
            "pending_timeout=1s".to_owned(),
            "deadlock_timeout=1s".to_owned(),
            format!("socket={}", host.socket()),
        ]
    };
    // Two checkpoints, then silence: PendingTimeout fails the online;
    // the monitor's Terminate hangs past DeadlockTimeout: the host
    // escalates, terminates the rest and exits 70 (the recycle).
    let hangs =
        common(r#"{"online": {"hang_after": 2}, "terminate_hangs": true, "step": "100ms"}"#);
    let out = crm_resource("--force-start", &hangs);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the start fails:\n{}",
        text(&out)
    );
    assert!(
        text(&out).contains("PendingTimeout expired at checkpoint 2"),
        "the reason names the heartbeat and the checkpoint:\n{}",
        text(&out)
    );
    let first = host.pid().expect("the agent started a host");
    let out = crm_resource("--force-stop", &hangs);
    assert_eq!(
        out.status.code(),
        Some(1),
        "an isolated resource cannot be stopped:\n{}",
        text(&out)
    );
    assert!(
        text(&out).contains("hung past DeadlockTimeout"),
        "{}",
        text(&out)
    );
    until("the host exited", Duration::from_secs(10), || {
        (host.pid() != Some(first)).then_some(())
    });
    let out = crm_resource("--force-check", &hangs);
    assert_eq!(
        out.status.code(),
        Some(7),
        "no host, not running:\n{}",
        text(&out)
    );
    // The next start brings a new host up.
    let fine = common(r#"{"online": "done"}"#);
    let out = crm_resource("--force-start", &fine);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let second = host.pid().expect("a new host");
    assert_ne!(second, first, "a new host");
    let out = crm_resource("--force-stop", &fine);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}
