//! The plumbing of the tests that run the OCF agent under Pacemaker's own
//! tools (`ocf/tests/`, `host/tests/resdll_pacemaker.rs`): installing a
//! binary, running a tool with its output in the failure message,
//! `crm_resource --force-*` on an agent, the host an agent starts (stopped
//! by the pid in its lock file), and the processes of `/proc`.
//!
//! Unix only; the tests that use it need root and the Debian packages that
//! `bash .ci/pacemaker.sh` installs.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::thread;
use std::time::{Duration, Instant};

/// Where OCF agents live: `/usr/lib/ocf/resource.d/<provider>/<agent>`.
pub fn agent_path(provider: &str, agent: &str) -> PathBuf {
    Path::new("/usr/lib/ocf/resource.d")
        .join(provider)
        .join(agent)
}

/// Copies `from` to `to` (mode 0755, its folder made) through a rename, so
/// that a copy that is running is never overwritten in place.
pub fn install(from: &Path, to: &Path) {
    let dir = to.parent().expect("a folder");
    fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let tmp = to.with_extension(format!("new{}", std::process::id()));
    fs::copy(from, &tmp)
        .unwrap_or_else(|e| panic!("copy {} to {}: {e}", from.display(), tmp.display()));
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755)).expect("chmod");
    fs::rename(&tmp, to).unwrap_or_else(|e| panic!("rename to {}: {e}", to.display()));
}

/// An exit status and both streams, for a failure message.
pub fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs `program` with `args` and the extra `env`; panics, with `needs`
/// (what to install), if it cannot be started.
pub fn run(program: &str, args: &[&str], env: &[(&str, &str)], needs: &str) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output()
        .unwrap_or_else(|e| panic!("{program}: {e} (is it installed? {needs})"))
}

/// `crm_resource ACTION --class ocf --provider P --agent A --timeout 20s`
/// with each of `options` as `--option name=value`.
pub fn crm_resource(provider: &str, agent: &str, action: &str, options: &[String]) -> Output {
    let mut c = Command::new("crm_resource");
    c.args([
        action,
        "--class",
        "ocf",
        "--provider",
        provider,
        "--agent",
        agent,
        "--timeout",
        "20s",
    ]);
    for o in options {
        c.arg("--option").arg(o);
    }
    c.output()
        .unwrap_or_else(|e| panic!("crm_resource: {e} (is it installed? bash .ci/pacemaker.sh)"))
}

/// Is `pid` gone or a zombie?
pub fn zombie(pid: i32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit(')')
                .next()
                .is_some_and(|r| r.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}

/// The live (not zombie) processes whose command line holds every one of
/// `words` as a whole argument.
pub fn processes(words: &[&str]) -> Vec<i32> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        if words.iter().all(|w| args.iter().any(|a| a == w)) && !zombie(pid) {
            found.push(pid);
        }
    }
    found
}

/// The resource host an agent starts for one test, in a folder of the
/// test's own (its socket, lock file and log), stopped when dropped: SIGTERM
/// to the pid in its lock file, then SIGKILL if it has not exited within
/// 30 s. A host left by an earlier run that was killed is stopped first.
#[derive(Debug)]
pub struct AgentHost {
    dir: PathBuf,
}

impl AgentHost {
    /// The host of `root/test`, none running and its folder empty.
    pub fn new(root: &str, test: &str) -> AgentHost {
        let h = AgentHost {
            dir: Path::new(root).join(test),
        };
        h.stop();
        let _ = fs::remove_dir_all(&h.dir);
        h
    }

    /// Its socket, for the agent's `socket` parameter.
    pub fn socket(&self) -> String {
        self.dir.join("host.sock").display().to_string()
    }

    /// What it has logged so far (empty before it started).
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("host.log")).unwrap_or_default()
    }

    /// Its pid, while a live `clusworker-host` holds the lock file.
    pub fn pid(&self) -> Option<i32> {
        let text = fs::read_to_string(self.dir.join("host.sock.lock")).ok()?;
        let pid: i32 = text.trim().parse().ok()?;
        let comm = fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
        (comm.trim() == "clusworker-host" && !zombie(pid)).then_some(pid)
    }

    /// Stops it, if it runs (see the type's docs).
    pub fn stop(&self) {
        let Some(pid) = self.pid() else { return };
        let signal = |name: &str| {
            let _ = Command::new("kill").args([name, &pid.to_string()]).status();
        };
        signal("-TERM");
        let until = Instant::now() + Duration::from_secs(30);
        while self.pid().is_some() && Instant::now() < until {
            thread::sleep(Duration::from_millis(50));
        }
        if self.pid().is_some() {
            signal("-KILL");
        }
    }
}

impl Drop for AgentHost {
    fn drop(&mut self) {
        self.stop();
    }
}
