//! A host killed with SIGKILL (or crashed) leaves none of its services
//! running: each resource's process, and a health check's command in
//! flight, get SIGKILL from the kernel when the host dies
//! (`PR_SET_PDEATHSIG`). Otherwise the host started next would not know
//! them and would start them a second time.

mod hostrun;

use std::thread;
use std::time::{Duration, Instant};

use hostrun::{Dir, GUARD, Host, assert_gone, processes_with, unique_sleep};

#[test]
fn a_killed_host_leaves_no_service_or_check_running() {
    let dir = Dir::new("killed-host");
    let (online, pending, check) = (unique_sleep(), unique_sleep(), unique_sleep());
    // As root, one more runs as `nobody`: the change of user, which clears
    // the parent-death setting, comes before it.
    // SAFETY: geteuid has no preconditions.
    let as_nobody = (unsafe { libc::geteuid() } == 0).then(unique_sleep);
    let nobody = as_nobody.as_ref().map_or(String::new(), |m| {
        format!(
            "\n[[resource]]\nname = \"nobody\"\ntype = \"process\"\n[resource.params]\n\
             command = [\"sleep\", \"{m}\"]\nuser = \"nobody\"\n"
        )
    });
    let config = format!(
        r#"
[defaults]
pending_timeout = "60s"

[[resource]]
name = "online"
type = "process"
[resource.params]
command = ["sleep", "{online}"]

[[resource]]
name = "pending"
type = "process"
[resource.params]
command = ["sleep", "{pending}"]
health = {{ command = ["sleep", "{check}"] }}
check_timeout = "60s"
{nobody}"#
    );
    let mut host = Host::start(&dir, &config);
    host.wait_for("online", "Online");
    let mut markers = vec![&online, &pending, &check];
    if let Some(m) = &as_nobody {
        host.wait_for("nobody", "Online");
        markers.push(m);
    }
    let start = Instant::now();
    while processes_with(&check).is_empty() {
        assert!(start.elapsed() < GUARD, "the health check never started");
        thread::sleep(Duration::from_millis(10));
    }
    for marker in &markers {
        assert_eq!(processes_with(marker).len(), 1, "{marker} runs");
    }
    assert_eq!(host.state("pending"), "OnlinePending");
    if let Some(m) = &as_nobody {
        let pid = processes_with(m)[0];
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
        let uid = status
            .lines()
            .find(|l| l.starts_with("Uid:"))
            .expect("a Uid line");
        assert!(
            uid.split_whitespace().nth(1).is_some_and(|u| u != "0"),
            "{uid}"
        );
    }

    host.child.kill().expect("SIGKILL the host");
    let status = host.child.wait().expect("reap the host");
    assert!(!status.success(), "{status}");
    for marker in markers {
        assert_gone(marker);
    }
}
