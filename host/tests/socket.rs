//! The control socket's file: owner-only, refused to a second host,
//! recovered from a crashed one.

mod hostrun;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;

use hostrun::{Dir, Host, command, run_to_exit};

const CONFIG: &str = "[[resource]]\nname = \"a\"\ntype = \"scripted\"\nonline = false\n";

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path)
        .expect("the file exists")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn the_socket_is_owner_only_in_an_owner_only_folder() {
    let dir = Dir::new("socket");
    let host = Host::start(&dir, CONFIG);
    assert_eq!(mode(&host.socket), 0o600, "the socket's mode");
    assert_eq!(mode(&dir.path("run")), 0o700, "the folder the host made");
}

#[test]
fn a_second_host_on_the_same_socket_refuses_to_start() {
    let dir = Dir::new("socket");
    let first = Host::start(&dir, CONFIG);
    let (code, stderr) = run_to_exit(&dir, CONFIG, false);
    assert_eq!(code, 3, "the second host exits 3: {stderr}");
    assert!(stderr.contains("another clusworker-host"), "{stderr}");
    assert!(
        stderr.contains(&first.pid().to_string()),
        "it names the first's pid: {stderr}"
    );
    // The first is untouched and still serves.
    assert_eq!(first.state("a"), "Offline");
}

#[test]
fn two_hosts_starting_together_cannot_both_win() {
    let dir = Dir::new("socket");
    let config = dir.write("host.toml", CONFIG);
    let socket = dir.path("run/host.sock");
    let mut hosts: Vec<_> = (0..4)
        .map(|_| command(&config, &socket).spawn().expect("start a host"))
        .collect();
    // Exactly one keeps running; the others exit 3.
    let mut refused = 0;
    let start = std::time::Instant::now();
    while refused < 3 {
        refused = 0;
        for h in &mut hosts {
            if let Some(s) = h.try_wait().unwrap() {
                assert_eq!(s.code(), Some(3), "a loser exits 3");
                refused += 1;
            }
        }
        assert!(start.elapsed() < hostrun::GUARD, "{refused} of 3 refused");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    for h in &mut hosts {
        let _ = h.kill();
        let _ = h.wait();
    }
}

#[test]
fn a_stale_socket_from_a_crashed_host_is_recovered() {
    let dir = Dir::new("socket");
    std::fs::create_dir_all(dir.path("run")).unwrap();
    // A socket file nobody listens on: what a killed host leaves.
    drop(UnixListener::bind(dir.path("run/host.sock")).unwrap());
    let host = Host::start(&dir, CONFIG);
    assert_eq!(host.state("a"), "Offline");
}

#[test]
fn a_host_killed_by_sigkill_is_replaced_by_the_next() {
    let dir = Dir::new("socket");
    let mut first = Host::start(&dir, CONFIG);
    first.signal(libc::SIGKILL);
    let _ = first.child.wait();
    assert!(
        dir.path("run/host.sock").exists(),
        "SIGKILL leaves the socket behind"
    );
    let second = Host::start(&dir, CONFIG);
    assert_eq!(second.state("a"), "Offline");
}

#[test]
fn a_live_listener_that_is_not_a_host_is_left_alone() {
    let dir = Dir::new("socket");
    std::fs::create_dir_all(dir.path("run")).unwrap();
    let _other = UnixListener::bind(dir.path("run/host.sock")).unwrap();
    let (code, stderr) = run_to_exit(&dir, CONFIG, false);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        dir.path("run/host.sock").exists(),
        "its socket is not removed"
    );
}

#[test]
fn a_clean_stop_removes_the_socket() {
    let dir = Dir::new("socket");
    let mut host = Host::start(&dir, CONFIG);
    host.signal(libc::SIGTERM);
    assert_eq!(host.wait_exit(), 0);
    assert!(!host.socket.exists(), "the socket file is gone");
}
