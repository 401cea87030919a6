use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    let mut m: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (format!("OCF_RESKEY_{k}"), (*v).to_owned()))
        .collect();
    m.insert("OCF_RESOURCE_INSTANCE".into(), "web".into());
    m
}

fn refused(pairs: &[(&str, &str)]) -> Exit {
    Params::read(&env(pairs)).expect_err("should be refused")
}

#[test]
fn a_process_resource_reads_with_its_defaults() {
    let p = Params::read(&env(&[
        ("command", "python3 -m http.server 8080"),
        ("health", "http://127.0.0.1:8080/"),
        ("check_interval", "250ms"),
    ]))
    .unwrap();
    assert_eq!(p.name, "web");
    assert_eq!(p.type_name, "process");
    assert_eq!(
        Value::Object(p.params.clone()),
        serde_json::json!({
            "command": ["python3", "-m", "http.server", "8080"],
            "health": { "http": "http://127.0.0.1:8080/" },
            "check_interval": "250ms",
        })
    );
    assert_eq!(p.pending_timeout(), PENDING_TIMEOUT);
    assert_eq!(p.deadlock_timeout(), DEADLOCK_TIMEOUT);
    assert_eq!(p.timeouts["is_alive_interval"], "60s");
    assert_eq!(p.socket, PathBuf::from(ROOT_SOCKET));
    assert!(p.start_host);
}

#[test]
fn command_and_health_take_every_documented_form() {
    let p = Params::read(&env(&[
        ("command", r#"["sh", "-c", "sleep 60"]"#),
        ("health", "tcp:127.0.0.1:9"),
        (
            "params",
            r#"{"env": {"A": "1"}, "command": ["overridden"]}"#,
        ),
        ("max_attempts", "3"),
    ]))
    .unwrap();
    assert_eq!(
        p.params["command"],
        serde_json::json!(["sh", "-c", "sleep 60"])
    );
    assert_eq!(
        p.params["health"],
        serde_json::json!({ "tcp": "127.0.0.1:9" })
    );
    assert_eq!(p.params["env"], serde_json::json!({ "A": "1" }));
    assert_eq!(p.params["max_attempts"], 3);
    let p = Params::read(&env(&[("health", r#"{"command": ["true"]}"#)])).unwrap();
    assert_eq!(
        p.params["health"],
        serde_json::json!({ "command": ["true"] })
    );
}

#[test]
fn the_scripted_type_gets_no_process_keys() {
    let p = Params::read(&env(&[("type", "scripted"), ("params", r#"{"steps": 2}"#)])).unwrap();
    assert_eq!(Value::Object(p.params), serde_json::json!({ "steps": 2 }));
}

#[test]
fn bad_values_are_refused_naming_the_parameter() {
    for (pairs, words) in [
        (vec![("bogus", "1")], "parameter bogus: no such parameter"),
        (
            vec![("params", "[1]")],
            "parameter params: not a JSON object",
        ),
        (vec![("params", "{")], "parameter params: not JSON"),
        (
            vec![("command", "[")],
            "parameter command: not a JSON array",
        ),
        (vec![("command", "[]")], "parameter command: an empty array"),
        (vec![("health", "udp:1")], "parameter health: \"udp:1\""),
        (vec![("check_interval", "fast")], "parameter check_interval"),
        (vec![("pending_timeout", "1ms")], "below the least"),
        (
            vec![("deadlock_timeout", "10")],
            "parameter deadlock_timeout",
        ),
        (vec![("max_attempts", "0")], "parameter max_attempts"),
        (vec![("start_host", "maybe")], "parameter start_host"),
    ] {
        let e = refused(&pairs);
        assert_eq!(e.code, Code::Configured, "{pairs:?}: {e}");
        let reason = e.reason.unwrap_or_default();
        assert!(
            reason.contains(words),
            "{pairs:?}: want {words:?} in {reason:?}"
        );
    }
}

#[test]
fn no_instance_name_is_an_argument_error() {
    let mut e = env(&[]);
    e.remove("OCF_RESOURCE_INSTANCE");
    assert_eq!(Params::read(&e).unwrap_err().code, Code::Args);
    e.insert("OCF_RESOURCE_INSTANCE".into(), "  ".into());
    assert_eq!(Params::read(&e).unwrap_err().code, Code::Args);
}

#[test]
fn the_operation_reads_pacemakers_meta_attributes() {
    let mut e = HashMap::new();
    let op = Operation::read(&e).unwrap();
    assert_eq!(op.timeout, DEFAULT_OP_TIMEOUT);
    assert_eq!(op.depth, 0);
    e.insert("OCF_RESKEY_CRM_meta_timeout".into(), "60000".into());
    e.insert("OCF_RESKEY_CRM_meta_interval".into(), "5000".into());
    e.insert("OCF_CHECK_LEVEL".into(), "10".into());
    let op = Operation::read(&e).unwrap();
    assert_eq!(op.timeout, Duration::from_secs(60));
    assert_eq!(op.depth, 10);
    e.insert("OCF_CHECK_LEVEL".into(), "deep".into());
    assert_eq!(Operation::read(&e).unwrap_err().code, Code::Args);
    e.insert("OCF_RESKEY_CRM_meta_timeout".into(), "20s".into());
    assert_eq!(Operation::read(&e).unwrap_err().code, Code::Args);
}

#[test]
fn the_table_defaults_are_the_constants() {
    let default = |n: &str| PARAMETERS.iter().find(|p| p.name == n).unwrap().default;
    assert_eq!(
        default("pending_timeout").map(|d| duration::parse(d).unwrap()),
        Some(PENDING_TIMEOUT)
    );
    assert_eq!(
        default("deadlock_timeout").map(|d| duration::parse(d).unwrap()),
        Some(DEADLOCK_TIMEOUT)
    );
    assert_eq!(default("socket"), Some(ROOT_SOCKET));
}
