//! Bad parameters, through the registry the daemon calls: each is refused
//! with a message that names its key in backquotes (as serde names
//! unknown and missing fields), from a `toml::Table` (no positions) and
//! from JSON alike; a span-keeping deserializer keeps its span.

use clusworker_host::types::{ResourceType, TypeError, create};

fn refused(ty: ResourceType, toml_text: &str) -> String {
    let table: toml::Table = toml::from_str(toml_text).expect("valid TOML");
    match create(ty, "r", table) {
        Ok(_) => panic!("{toml_text:?} should be refused"),
        Err(e @ TypeError::Params { .. }) => e.to_string(),
        Err(e) => panic!("{toml_text:?}: expected a parameter error, got {e}"),
    }
}

#[test]
fn every_bad_process_parameter_is_refused_at_its_key() {
    for (text, key, says) in [
        ("", "`command`", "missing field"),
        ("command = []", "`command`", "empty command"),
        ("command = \"sleep 1\"", "`command`", "sequence"),
        ("command = [\"x\"]\nbogus = 1", "`bogus`", "unknown field"),
        (
            "command = [\"x\"]\ncheck_timeout = \"0s\"",
            "`check_timeout`",
            "more than 0",
        ),
        (
            "command = [\"x\"]\ncheck_interval = \"-1s\"",
            "`check_interval`",
            "\"-1s\"",
        ),
        (
            "command = [\"x\"]\nstop_grace = \"5 min\"",
            "`stop_grace`",
            "\"5 min\"",
        ),
        (
            "command = [\"x\"]\nstop_grace = \"3d\"",
            "`stop_grace`",
            "unknown unit \"d\"",
        ),
        (
            "command = [\"x\"]\nenv = { \"\" = \"1\" }",
            "`env`",
            "bad variable name",
        ),
        ("command = [\"x\"]\ncwd = 3", "`cwd`", "invalid type"),
        (
            "command = [\"x\"]\nuser = \"no-such-user-clusworker\"",
            "`user`",
            "no such user",
        ),
        (
            "command = [\"x\"]\nhealth = { tcp = \"localhost:80\" }",
            "`health`",
            "bad address \"localhost:80\": expected IP:PORT",
        ),
        (
            "command = [\"x\"]\nhealth = { http = \"http://example.com/\" }",
            "`health`",
            "IP address or localhost",
        ),
        (
            "command = [\"x\"]\nhealth = { command = [] }",
            "`health`",
            "empty command",
        ),
        (
            "command = [\"x\"]\nhealth = { ping = \"1.2.3.4\" }",
            "`health`",
            "unknown variant `ping`",
        ),
        (
            "command = [\"x\"]\nmax_attempts = 0",
            "`max_attempts`",
            "nonzero",
        ),
    ] {
        let e = refused(ResourceType::Process, text);
        assert!(
            e.contains(key),
            "{text:?}: expected the message to name {key}: {e}"
        );
        assert!(
            e.contains(says),
            "{text:?}: expected the message to say {says:?}: {e}"
        );
        assert!(
            e.starts_with("bad parameters for a process resource"),
            "{e}"
        );
    }
}

#[test]
fn every_bad_scripted_parameter_is_refused_at_its_key() {
    for (text, key, says) in [
        ("steps = -1", "`steps`", "invalid value"),
        ("step = \"fast\"", "`step`", "\"fast\""),
        (
            "online = \"sometimes\"",
            "`online`",
            "unknown variant `sometimes`",
        ),
        (
            "online = { hang_after = \"x\" }",
            "`online`",
            "invalid type",
        ),
        ("offline = \"fail\"", "`offline`", "unknown variant `fail`"),
        (
            "terminate_hangs = \"yes\"",
            "`terminate_hangs`",
            "invalid type",
        ),
        ("stepz = 3", "`stepz`", "unknown field"),
    ] {
        let e = refused(ResourceType::Scripted, text);
        assert!(
            e.contains(key),
            "{text:?}: expected the message to name {key}: {e}"
        );
        assert!(
            e.contains(says),
            "{text:?}: expected the message to say {says:?}: {e}"
        );
    }
}

#[test]
fn json_parameters_are_read_and_refused_the_same_way() {
    let ok = serde_json::json!({
        "command": ["sh", "-c", "exit 0"],
        "health": { "tcp": "127.0.0.1:9" },
        "check_interval": "100ms",
    });
    assert!(create(ResourceType::Process, "r", ok).is_ok());
    let bad = serde_json::json!({ "command": ["x"], "stop_grace": "soon" });
    let e = create(ResourceType::Process, "r", bad)
        .err()
        .expect("refused");
    assert!(e.to_string().contains("`stop_grace`"), "{e}");
    let scripted = serde_json::json!({ "online": { "hang_after": 2 }, "terminate_hangs": true });
    assert!(create(ResourceType::Scripted, "r", scripted).is_ok());
    assert!(
        create(ResourceType::Scripted, "r", toml::Table::new()).is_ok(),
        "every key has a default"
    );
}

#[test]
fn a_span_keeping_deserializer_keeps_the_span_of_the_bad_key() {
    let e = ResourceType::Process
        .params(
            toml::de::ValueDeserializer::parse("{ command = [\"x\"], check_timeout = \"5\" }")
                .unwrap(),
        )
        .expect_err("refused");
    let message = e.to_string();
    assert!(
        e.span().is_some(),
        "a span-keeping deserializer keeps its span: {message}"
    );
    assert!(message.contains("`check_timeout`"), "{message}");
}

#[test]
fn unknown_types_list_the_known_ones() {
    let e = "generic-application".parse::<ResourceType>().unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown resource type \"generic-application\" (known: process, scripted, resdll)"
    );
    for ty in ResourceType::ALL {
        assert_eq!(ty.name().parse::<ResourceType>(), Ok(ty));
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(rename = "type")]
        _ty: ResourceType,
    }
    let e = toml::from_str::<Entry>("type = \"proces\"")
        .err()
        .expect("refused");
    assert!(e.to_string().contains("known: process, scripted"), "{e}");
    assert!(e.to_string().contains("line 1"), "{e}");
}
