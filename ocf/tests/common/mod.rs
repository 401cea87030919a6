//! What the agent's Pacemaker tests share: the agent and host this build
//! made, installed once; a host of each test's own; bounded waits.

#![allow(dead_code)] // each test binary uses its own part

pub(crate) mod cib;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use clusworker_test_support::pacemaker::{self, AgentHost};

pub(crate) use clusworker_test_support::pacemaker::{processes, text};

pub(crate) const PROVIDER: &str = "clusworker";
pub(crate) const AGENT: &str = "clusworker";
pub(crate) const NEEDS: &str = "needs pacemaker: bash .ci/pacemaker.sh";

/// Where the agent is installed.
pub(crate) fn ra_path() -> PathBuf {
    pacemaker::agent_path(PROVIDER, AGENT)
}

/// Installs this build's agent (as [`ra_path`]) and host (as
/// `/usr/local/sbin/clusworker-host`), once.
pub(crate) fn installed() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let agent = Path::new(env!("CARGO_BIN_EXE_clusworker-ocf"));
        let host = agent.with_file_name("clusworker-host");
        assert!(
            host.exists(),
            "{} is missing: build it first (cargo build -p clusworker-host --bins)",
            host.display()
        );
        pacemaker::install(agent, &ra_path());
        pacemaker::install(&host, Path::new("/usr/local/sbin/clusworker-host"));
    });
}

/// The host of the test called `test`, stopped when dropped.
pub(crate) fn host(test: &str) -> AgentHost {
    AgentHost::new("/run/clusworker-ocf-test", test)
}

pub(crate) fn run(program: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    pacemaker::run(program, args, env, NEEDS)
}

/// `crm_resource ACTION` on the agent with `options`.
pub(crate) fn crm_resource(action: &str, options: &[String]) -> Output {
    pacemaker::crm_resource(PROVIDER, AGENT, action, options)
}

/// Waits for `f` to give a value, for at most `limit`; the panic shows
/// `crm_mon`'s view.
pub(crate) fn until<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let begun = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        if begun.elapsed() > limit {
            let mon = run("crm_mon", &["-1", "-rf"], &[]);
            panic!("{what}: not within {limit:?}\n{}", text(&mon));
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// The command line of a Python HTTP server on 127.0.0.1:`port`.
pub(crate) fn http_server(port: u16) -> Vec<String> {
    [
        "/usr/bin/python3",
        "-m",
        "http.server",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
    ]
    .map(str::to_owned)
    .to_vec()
}
