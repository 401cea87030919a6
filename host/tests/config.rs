//! A config that is wrong anywhere is refused at start, naming the file,
//! the line and the key, with exit code 2, and nothing starts: no socket,
//! no process of any resource.

mod hostrun;

use hostrun::{Dir, processes_with, run_to_exit, unique_sleep};

/// Runs the host on `config`, for real (not `--check`), and checks that it
/// was refused at `line` naming `key`, and that nothing started.
fn refused(config: &str, line: usize, key: &str) -> String {
    let dir = Dir::new("config");
    let (code, stderr) = run_to_exit(&dir, config, false);
    assert_eq!(code, 2, "a bad config exits 2; stderr: {stderr}");
    let file = dir.path("host.toml");
    let place = format!("{}:{line}:", file.display());
    assert!(stderr.contains(&place), "the error names {place}: {stderr}");
    assert!(
        stderr.contains(&format!("key `{key}`")),
        "the error names `{key}`: {stderr}"
    );
    assert!(
        !dir.path("run").exists(),
        "nothing started: no socket folder"
    );
    stderr
}

#[test]
fn an_unknown_key_is_refused_at_its_line() {
    let e = refused(
        "[host]\nexit_on_escalation = true\nsokcet = \"/x\"\n",
        3,
        "host.sokcet",
    );
    assert!(e.contains("unknown field `sokcet`"), "{e}");
}

#[test]
fn a_bad_duration_is_refused_at_its_line() {
    let config = "[[resource]]\nname = \"a\"\ntype = \"scripted\"\npending_timeout = \"3 s\"\n";
    let e = refused(config, 4, "resource.pending_timeout");
    assert!(e.contains("\"3 s\""), "{e}");
}

#[test]
fn a_timeout_below_the_minimum_is_refused() {
    refused(
        "[defaults]\ndeadlock_timeout = \"5ms\"\n",
        2,
        "defaults.deadlock_timeout",
    );
}

#[test]
fn a_duplicate_name_is_refused_at_the_second() {
    let config = "[[resource]]\nname = \"a\"\ntype = \"scripted\"\n\n\
                  [[resource]]\nname = \"a\"\ntype = \"scripted\"\n";
    let e = refused(config, 6, "resource.name");
    assert!(e.contains("duplicate"), "{e}");
}

#[test]
fn an_empty_name_is_refused() {
    refused(
        "[[resource]]\nname = \" \"\ntype = \"scripted\"\n",
        2,
        "resource.name",
    );
}

#[test]
fn an_unknown_type_is_refused_at_its_line() {
    let e = refused(
        "[[resource]]\nname = \"a\"\ntype = \"proces\"\n",
        3,
        "resource.type",
    );
    assert!(e.contains("proces"), "{e}");
}

#[test]
fn a_missing_parameter_is_refused_naming_it() {
    // `process` needs `command`; there is no params table to point into.
    let e = refused(
        "[[resource]]\nname = \"a\"\ntype = \"process\"\n",
        1,
        "resource.params.command",
    );
    assert!(e.contains("missing field `command`"), "{e}");
}

#[test]
fn a_bad_parameter_is_refused_at_its_own_line() {
    let config = "[[resource]]\nname = \"a\"\ntype = \"scripted\"\n\n\
                  [resource.params]\nsteps = 3\nstep = \"fast\"\n";
    refused(config, 7, "resource.params.step");
}

#[test]
fn an_unknown_parameter_in_an_inline_table_is_refused_at_its_line() {
    let config = "[[resource]]\nname = \"a\"\ntype = \"scripted\"\nparams = { stepz = 3 }\n";
    let e = refused(config, 4, "resource.params.stepz");
    assert!(e.contains("unknown field `stepz`"), "{e}");
}

#[test]
fn a_missing_required_key_of_a_resource_is_refused() {
    refused("[[resource]]\nname = \"a\"\n", 1, "resource.type");
}

#[test]
fn a_good_resource_before_a_bad_one_is_not_started() {
    let marker = unique_sleep();
    let config = format!(
        "[[resource]]\nname = \"good\"\ntype = \"process\"\n\
         params = {{ command = [\"sleep\", \"{marker}\"] }}\n\n\
         [[resource]]\nname = \"bad\"\ntype = \"scripted\"\nonline = \"yes\"\n"
    );
    refused(&config, 9, "resource.online");
    assert!(
        processes_with(&marker).is_empty(),
        "the good resource's process never ran"
    );
}

#[test]
fn check_accepts_a_good_config_and_starts_nothing() {
    let dir = Dir::new("config");
    let config = "[host]\nshutdown_timeout = \"5s\"\nexit_on_escalation = false\nlog_level = \"warn\"\n\
                  max_clients = 4\n\n[defaults]\npending_timeout = \"2s\"\nlooks_alive_interval = \"0s\"\n\n\
                  [[resource]]\nname = \"a\"\ntype = \"scripted\"\nonline = false\nis_alive_interval = \"2m\"\n\
                  [resource.params]\nsteps = 2\n";
    let (code, stderr) = run_to_exit(&dir, config, true);
    assert_eq!(code, 0, "{stderr}");
    assert!(!dir.path("run").exists(), "--check starts nothing");
}

#[test]
fn the_example_config_is_valid() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/web.toml");
    let out = std::process::Command::new(hostrun::HOST)
        .arg("--check")
        .arg(example)
        .output()
        .expect("run the host");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
