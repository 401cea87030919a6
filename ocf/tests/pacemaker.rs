//! The agent under the real Pacemaker: ocf-tester, crm_resource without a
//! cluster, and a single-node corosync + pacemaker cluster on 127.0.0.1.
//!
//! Every test is ignored by a plain `cargo test`: they need root, the
//! Debian packages and (for the cluster tests) running daemons, which
//! `bash .ci/pacemaker.sh` installs and starts, then runs
//! `cargo test -p clusworker-ocf -- --ignored`. Each test installs the
//! agent it was built with as `/usr/lib/ocf/resource.d/clusworker/clusworker`
//! and the host beside it as `/usr/local/sbin/clusworker-host`, talks to a
//! host of its own (its own socket), and stops that host when it ends.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

const PROVIDER: &str = "clusworker";
const AGENT: &str = "clusworker";
const NEEDS: &str = "needs pacemaker: bash .ci/pacemaker.sh";

fn ra_path() -> PathBuf {
    Path::new("/usr/lib/ocf/resource.d")
        .join(PROVIDER)
        .join(AGENT)
}

/// Copies `from` to `to` (mode 0755) through a rename, so that a running
/// copy is never overwritten.
fn install(from: &Path, to: &Path) {
    let dir = to.parent().expect("a folder");
    fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let tmp = to.with_extension("new");
    fs::copy(from, &tmp)
        .unwrap_or_else(|e| panic!("copy {} to {}: {e}", from.display(), tmp.display()));
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755)).expect("chmod");
    fs::rename(&tmp, to).expect("rename");
}

/// Installs this build's agent and host, once.
fn installed() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let agent = Path::new(env!("CARGO_BIN_EXE_clusworker-ocf"));
        let host = agent.with_file_name("clusworker-host");
        assert!(
            host.exists(),
            "{} is missing: build it first (cargo build -p clusworker-host --bins)",
            host.display()
        );
        install(agent, &ra_path());
        install(&host, Path::new("/usr/local/sbin/clusworker-host"));
    });
}

fn run(program: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output()
        .unwrap_or_else(|e| panic!("{program}: {e} (is it installed? {NEEDS})"))
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A host of the test's own, stopped (by the pid in its lock file) when
/// the guard drops, with every process it ran.
struct Host {
    dir: PathBuf,
}

impl Host {
    fn new(test: &str) -> Host {
        let dir = PathBuf::from("/run/clusworker-ocf-test").join(test);
        let h = Host { dir };
        h.stop(); // one left by an earlier run that was killed
        let _ = fs::remove_dir_all(&h.dir);
        h
    }

    fn socket(&self) -> String {
        self.dir.join("host.sock").display().to_string()
    }

    fn pid(&self) -> Option<i32> {
        let text = fs::read_to_string(self.dir.join("host.sock.lock")).ok()?;
        let pid: i32 = text.trim().parse().ok()?;
        let comm = fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
        (comm.trim() == "clusworker-host" && !zombie(pid)).then_some(pid)
    }

    fn stop(&self) {
        let Some(pid) = self.pid() else { return };
        let _ = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
        let until = Instant::now() + Duration::from_secs(15);
        while self.pid().is_some() && Instant::now() < until {
            thread::sleep(Duration::from_millis(50));
        }
        if self.pid().is_some() {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        self.stop();
    }
}

fn zombie(pid: i32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit(')')
                .next()
                .is_some_and(|r| r.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}

/// The live (not zombie) processes whose command line holds every one of
/// `words`.
fn processes(words: &[&str]) -> Vec<i32> {
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

/// Waits for `f` to give a value, for at most `limit`.
fn until<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
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

fn http_server(port: u16) -> Vec<String> {
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

// ---- ocf-tester ----

#[test]
#[ignore = "needs pacemaker: bash .ci/pacemaker.sh"]
fn ocf_tester_passes_over_a_process_resource() {
    installed();
    let host = Host::new("ocf-tester");
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

fn crm_resource(action: &str, options: &[String]) -> Output {
    let mut args = vec![
        action.to_owned(),
        "--class".into(),
        "ocf".into(),
        "--provider".into(),
        PROVIDER.into(),
        "--agent".into(),
        AGENT.into(),
        "--timeout".into(),
        "20s".into(),
    ];
    for o in options {
        args.push("--option".into());
        args.push(o.clone());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run("crm_resource", &args, &[])
}

#[test]
#[ignore = "needs pacemaker: bash .ci/pacemaker.sh"]
fn crm_resource_validates_starts_checks_and_stops() {
    installed();
    let host = Host::new("crm-resource");
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
        let _ = run("crm_resource", &["--cleanup", "-r", id], &[]);
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
    installed();
    cluster_up();
    let test_begun = Instant::now();
    let host = Host::new("cluster-web");
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
        "restarted (fail-count 1, Started, a new server)",
        Duration::from_secs(30),
        || {
            let now = processes(&server);
            (fail_count(id) == "1" && started(id) && now.len() == 1 && now[0] != first[0])
                .then(|| now[0])
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
    installed();
    cluster_up();
    let test_begun = Instant::now();
    let host = Host::new("cluster-hang");
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

#[test]
#[ignore = "needs pacemaker: bash .ci/pacemaker.sh"]
fn a_hung_terminate_recycles_the_host_and_the_stop_fails_for_fencing() {
    installed();
    let host = Host::new("crm-escalation");
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
