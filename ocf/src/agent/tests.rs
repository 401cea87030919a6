use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    let mut m: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (format!("OCF_RESKEY_{k}"), (*v).to_owned()))
        .collect();
    m.insert("OCF_RESOURCE_INSTANCE".into(), "unit".into());
    m.insert(
        "OCF_RESKEY_socket".into(),
        "/nonexistent/clusworker-ocf/host.sock".into(),
    );
    m
}

#[test]
fn the_margin_leaves_time_to_answer() {
    assert_eq!(margin(Duration::from_secs(20)), Duration::from_secs(2));
    assert_eq!(margin(Duration::from_secs(120)), Duration::from_secs(5));
    assert_eq!(margin(Duration::from_secs(5)), Duration::from_secs(1));
    assert_eq!(margin(Duration::from_secs(2)), Duration::from_millis(500));
    assert_eq!(margin(Duration::ZERO), Duration::ZERO);
}

#[test]
fn unknown_actions_are_unimplemented() {
    for a in ["promote", "reload", "", "START"] {
        assert_eq!(run(a, &env(&[])).code, Code::Unimplemented, "{a:?}");
    }
}

#[test]
fn validate_all_answers_each_code_with_a_reason() {
    let ok = env(&[("command", "sleep 60"), ("host_binary", "/bin/sh")]);
    assert_eq!(run("validate-all", &ok), Exit::OK);
    for (pairs, want, words) in [
        (
            vec![("type", "widget")],
            Code::Configured,
            "unknown resource type",
        ),
        (
            vec![("command", "sleep 60"), ("check_timeout", "0s")],
            Code::Configured,
            "check_timeout",
        ),
        (
            vec![("params", "{\"steps\": 1}")],
            Code::Configured,
            "command",
        ),
        (
            vec![("command", "no-such-program-clusworker")],
            Code::Installed,
            "no-such-program",
        ),
        (
            vec![
                ("command", "sleep 1"),
                ("host_binary", "/nonexistent/clusworker-host"),
            ],
            Code::Installed,
            "clusworker-host",
        ),
        (
            vec![
                ("command", "sleep 1"),
                ("pending_timeout", "2m"),
                ("host_binary", "/bin/sh"),
            ],
            Code::Configured,
            "pending_timeout",
        ),
    ] {
        let e = run("validate-all", &env(&pairs));
        assert_eq!(e.code, want, "{pairs:?}: {e}");
        let reason = e.reason.unwrap_or_default();
        assert!(
            reason.contains(words),
            "{pairs:?}: want {words:?} in {reason:?}"
        );
    }
    let mut no_name = ok.clone();
    no_name.remove("OCF_RESOURCE_INSTANCE");
    assert_eq!(run("validate-all", &no_name).code, Code::Args);
}

#[test]
fn without_a_host_monitor_is_not_running_and_stop_succeeds() {
    let e = env(&[("command", "sleep 60")]);
    assert_eq!(run("monitor", &e).code, Code::NotRunning);
    assert_eq!(run("stop", &e), Exit::OK);
    // stop and monitor read no parameter but the name and socket.
    let bad = env(&[("command", "["), ("bogus", "1")]);
    assert_eq!(run("monitor", &bad).code, Code::NotRunning);
    assert_eq!(run("stop", &bad), Exit::OK);
    assert_eq!(run("start", &bad).code, Code::Configured);
}

#[test]
fn start_without_a_host_to_start_says_so() {
    let e = env(&[("command", "sleep 60"), ("start_host", "false")]);
    let got = run("start", &e);
    assert_eq!(got.code, Code::Generic, "{got}");
    assert!(got.reason.unwrap_or_default().contains("start_host=false"));
}
