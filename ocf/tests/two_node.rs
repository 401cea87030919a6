//! Two nodes on one machine (issue 15, item 3): killing node 1's stack
//! moves the resource to node 2. Ignored by a plain `cargo test`:
//! `bash .ci/pacemaker.sh` starts the nodes with `ocf/ci/two-node.sh`
//! (network and mount namespaces) and runs it with
//! `CLUSWORKER_TWO_NODE` set to their folder.

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::thread;
use std::time::{Duration, Instant};

fn work() -> PathBuf {
    PathBuf::from(
        std::env::var("CLUSWORKER_TWO_NODE")
            .expect("CLUSWORKER_TWO_NODE: run bash .ci/pacemaker.sh"),
    )
}

fn pid_file(node: u32, name: &str) -> i32 {
    let p = work().join(format!("n{node}/{name}"));
    fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .trim()
        .parse()
        .expect("a pid")
}

/// Runs `args` in node `node`'s network and mount namespaces.
fn on(node: u32, args: &[&str]) -> Output {
    let shell = pid_file(node, "shell.pid").to_string();
    Command::new("nsenter")
        .args(["-t", &shell, "-n", "-m", "--"])
        .args(args)
        .output()
        .expect("nsenter")
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n{}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Where node `node` sees the resource started ("" if nowhere).
fn started_on(node: u32, id: &str) -> String {
    let xml = on(node, &["crm_mon", "-1", "--output-as=xml"]);
    let mut x = Command::new("xmllint")
        .args([
            "--xpath",
            &format!("string(//resources/resource[@id='{id}' and @role='Started']/node/@name)"),
            "-",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("xmllint");
    use std::io::Write;
    let _ = x.stdin.take().expect("stdin").write_all(&xml.stdout);
    let out = x.wait_with_output().expect("xmllint");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let begun = Instant::now();
    while !f() {
        if begun.elapsed() > limit {
            panic!(
                "{what}: not within {limit:?}\n{}",
                text(&on(2, &["crm_mon", "-1", "-r"]))
            );
        }
        thread::sleep(Duration::from_millis(100));
    }
}

fn children(parent: i32) -> Vec<i32> {
    let mut kids = Vec::new();
    for e in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let after = stat.rsplit(')').next().unwrap_or_default();
        if after.split_whitespace().nth(1).and_then(|p| p.parse().ok()) == Some(parent) {
            kids.push(pid);
        }
    }
    kids
}

fn agent_monitor(node: u32, id: &str) -> Option<i32> {
    let env_id = format!("OCF_RESOURCE_INSTANCE={id}");
    on(
        node,
        &[
            "env",
            &env_id,
            "/usr/lib/ocf/resource.d/clusworker/clusworker",
            "monitor",
        ],
    )
    .status
    .code()
}

#[test]
#[ignore = "needs pacemaker: bash .ci/pacemaker.sh"]
fn killing_node1s_stack_moves_the_resource_to_node2() {
    let id = "cw-two";
    let xml = format!(
        r#"<primitive id="{id}" class="ocf" provider="clusworker" type="clusworker">
  <instance_attributes id="{id}-ia">
    <nvpair id="{id}-command" name="command" value="/usr/bin/python3 -m http.server 18110 --bind 127.0.0.1"/>
    <nvpair id="{id}-health" name="health" value="http://127.0.0.1:18110/"/>
    <nvpair id="{id}-check" name="check_interval" value="100ms"/>
  </instance_attributes>
  <operations>
    <op id="{id}-start" name="start" interval="0s" timeout="30s"/>
    <op id="{id}-stop" name="stop" interval="0s" timeout="30s"/>
    <op id="{id}-monitor" name="monitor" interval="1s" timeout="10s"/>
  </operations>
</primitive>"#
    );
    let out = on(
        1,
        &[
            "cibadmin",
            "--create",
            "-o",
            "resources",
            "--xml-text",
            &xml,
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let prefer =
        format!(r#"<rsc_location id="{id}-on-node1" rsc="{id}" node="node1" score="100"/>"#);
    let out = on(
        1,
        &[
            "cibadmin",
            "--create",
            "-o",
            "constraints",
            "--xml-text",
            &prefer,
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    until("Started on node1", Duration::from_secs(30), || {
        started_on(2, id) == "node1"
    });
    assert_eq!(agent_monitor(1, id), Some(0), "node 1's host runs it");
    assert_eq!(agent_monitor(2, id), Some(7), "node 2's does not");

    // Kill node 1's stack: pacemakerd, its daemons, corosync.
    let pacemakerd = pid_file(1, "pacemakerd.pid");
    let mut victims = children(pacemakerd);
    victims.push(pacemakerd);
    victims.push(pid_file(1, "corosync.pid"));
    let orphans: Vec<String> = victims.iter().map(i32::to_string).collect();
    fs::write(work().join("n1/orphans"), orphans.join("\n")).expect("orphans");
    let killed = Instant::now();
    let mut kill = Command::new("kill");
    kill.arg("-KILL").args(&orphans);
    assert!(kill.status().expect("kill").success());
    until("Started on node2", Duration::from_secs(60), || {
        started_on(2, id) == "node2"
    });
    let moved = killed.elapsed();
    assert_eq!(agent_monitor(2, id), Some(0), "node 2's host runs it now");
    println!(
        "timings: node 1's stack killed -> Started on node 2 {:.2}s",
        moved.as_secs_f64()
    );

    // Leave nothing: node 1's host (its server with it) goes with
    // two-node.sh down; stop the resource on node 2.
    let _ = on(
        2,
        &[
            "crm_resource",
            "-r",
            id,
            "--meta",
            "-p",
            "target-role",
            "-v",
            "Stopped",
        ],
    );
    until("Stopped on node2", Duration::from_secs(30), || {
        started_on(2, id).is_empty()
    });
    assert_eq!(agent_monitor(2, id), Some(7), "stopped on node 2");
}
