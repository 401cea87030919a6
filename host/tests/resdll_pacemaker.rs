//! The ClipBook resource library under Pacemaker's own tool: `crm_resource
//! --force-*` runs the OCF agent (`clusworker-ocf`, the ocf/ crate) with
//! `type=resdll`, and the agent drives a host of this test's own. A start
//! is the pending Online with its checkpoints; a stalled copy's start fails
//! through PendingTimeout, its Terminate called (the host's log says so).
//!
//! Ignored by a plain `cargo test`: it needs root, Pacemaker's
//! `crm_resource` (`.ci/pacemaker.sh` installs it) and the agent built
//! beside the host (`cargo build -p clusworker-ocf`). Run:
//! `cargo build -p clusworker-ocf && cargo test -p clusworker-host --test resdll_pacemaker -- --ignored`.
//! The agent is installed under a provider of its own
//! (`/usr/lib/ocf/resource.d/clusworker-resdll-test/`), not over the one
//! the ocf crate's tests install.

mod resdll_libs;

use std::path::Path;
use std::process::Output;
use std::thread;
use std::time::{Duration, Instant};

use clusworker_test_support::pacemaker::{self, AgentHost, text};

const PROVIDER: &str = "clusworker-resdll-test";
const AGENT: &str = "clusworker";
const NEEDS: &str =
    "needs root, crm_resource (bash .ci/pacemaker.sh) and cargo build -p clusworker-ocf";
/// The longest a wait lasts (a guard against a hang).
const GUARD: Duration = Duration::from_secs(30);

/// Installs the agent built beside the host binary, once.
fn install_agent() {
    static ONCE: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| {
        let host = Path::new(env!("CARGO_BIN_EXE_clusworker-host"));
        let agent = host.with_file_name("clusworker-ocf");
        assert!(agent.exists(), "{} is missing: {NEEDS}", agent.display());
        pacemaker::install(&agent, &pacemaker::agent_path(PROVIDER, AGENT));
    });
}

/// The host the agent starts for a test, stopped when dropped.
type Host = AgentHost;

fn host(test: &str) -> Host {
    AgentHost::new("/run/clusworker-resdll-test", test)
}

/// `crm_resource ACTION` on the agent with `options` (each test's own
/// host tells its resource apart from the other test's).
fn crm_resource(action: &str, options: &[String]) -> Output {
    pacemaker::crm_resource(PROVIDER, AGENT, action, options)
}

/// The agent's options for a ClipBook resource with `parameters` (JSON).
fn options(host: &Host, parameters: serde_json::Value, pending_timeout: &str) -> Vec<String> {
    let params = serde_json::json!({
        "library": resdll_libs::clipbook(),
        "resource_type": "ClipBook Server",
        "parameters": parameters,
    });
    vec![
        "type=resdll".to_owned(),
        format!("params={params}"),
        format!("pending_timeout={pending_timeout}"),
        "looks_alive_interval=0s".to_owned(),
        "is_alive_interval=0s".to_owned(),
        format!("socket={}", host.socket()),
        format!("host_binary={}", env!("CARGO_BIN_EXE_clusworker-host")),
    ]
}

fn await_log(host: &Host, text: &str) {
    let begun = Instant::now();
    while !host.log().contains(text) {
        assert!(
            begun.elapsed() < GUARD,
            "the host never logged {text:?}:\n{}",
            host.log()
        );
        thread::sleep(Duration::from_millis(50));
    }
}

#[test]
#[ignore = "needs root, crm_resource and the OCF agent built"]
fn crm_resource_starts_checks_and_stops_the_clipbook_library() {
    install_agent();
    let host = host("clipbook");
    let o = options(&host, serde_json::json!({"Steps": 3, "StepMs": 50}), "10s");
    for (action, want) in [
        ("--validate", 0),
        ("--force-check", 7),
        ("--force-start", 0),
        ("--force-check", 0),
        ("--force-stop", 0),
        ("--force-check", 7),
    ] {
        let out = crm_resource(action, &o);
        assert_eq!(
            out.status.code(),
            Some(want),
            "{action}:\n{}\n--- host.log\n{}",
            text(&out),
            host.log()
        );
    }
    for line in [
        "ClipBook: checkpoint 3 answered Continue",
        "ClipBook: online after 3 checkpoints",
        "ClipBook: offline after 3 checkpoints",
    ] {
        await_log(&host, line);
    }
    assert!(
        !host.log().contains("SetResourceStatus refused"),
        "{}",
        host.log()
    );
}

#[test]
#[ignore = "needs root, crm_resource and the OCF agent built"]
fn a_stalled_clipbook_start_fails_through_pending_timeout_with_terminate_called() {
    install_agent();
    let host = host("stalled");
    let o = options(&host, serde_json::json!({"Stalled": 1}), "1s");
    let out = crm_resource("--force-start", &o);
    let all = text(&out);
    println!("the stalled start:\n{all}");
    assert_ne!(
        out.status.code(),
        Some(0),
        "a stalled start succeeded:\n{all}"
    );
    assert!(
        all.contains("PendingTimeout"),
        "the reason names PendingTimeout:\n{all}"
    );
    await_log(&host, "ClipBook: online stalled");
    await_log(&host, "ClipBook: Terminate called");
    let out = crm_resource("--force-check", &o);
    assert_ne!(
        out.status.code(),
        Some(0),
        "a failed resource checks as running:\n{}",
        text(&out)
    );
}
