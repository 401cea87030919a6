//! The `process` type driven by a real monitor, with real processes, on
//! loopback only: health checks and their checkpoints, PendingTimeout, a
//! process killed while online, Offline's grace and SIGKILL, Terminate of
//! a whole group. After each test, `/proc` shows no zombie child of this
//! process and nothing left in the resource's process group.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::thread;
use std::time::{Duration, Instant};

use clusworker_host::types::process::{ProcessParams, ProcessResource};
use clusworker_monitor::{Cause, Event, Monitor, Outcome, Resource, ResourceId, ResourceState};

/// Longest any test waits for an event before it fails (never a timing
/// assertion: only a guard against a hang).
const GUARD: Duration = Duration::from_secs(20);

fn params(toml_text: &str) -> ProcessParams {
    toml::from_str(toml_text).unwrap_or_else(|e| panic!("bad test parameters: {e}"))
}

/// A monitor with one process resource; the resource is also returned, to
/// read its pid.
fn start(
    pending_timeout: Duration,
    p: ProcessParams,
) -> (Monitor, Arc<ProcessResource>, ResourceId, Receiver<Event>) {
    let monitor = Monitor::builder()
        .pending_timeout(pending_timeout)
        .deadlock_timeout(Duration::from_secs(10))
        .looks_alive_interval(None)
        .is_alive_interval(None)
        .start()
        .expect("the monitor starts");
    let resource = Arc::new(ProcessResource::new("svc", p).expect("valid parameters"));
    let events = monitor.subscribe();
    let id = monitor.add("svc", Arc::clone(&resource));
    (monitor, resource, id, events)
}

/// The next event reaching `to`, and every event before it.
fn until(events: &Receiver<Event>, to: ResourceState) -> (Event, Vec<Event>) {
    let mut seen = Vec::new();
    let deadline = Instant::now() + GUARD;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match events.recv_timeout(left) {
            Ok(e) if e.to == to => return (e, seen),
            Ok(e) => seen.push(e),
            Err(_) => panic!("no event to {to:?} within {GUARD:?}; saw {seen:#?}"),
        }
    }
}

/// A free loopback port (bound, then released).
fn free_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local address")
}

/// `/proc/<pid>/stat`'s state, ppid and pgrp, for every process.
fn processes() -> Vec<(u32, char, u32, u32)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue; // gone meanwhile
        };
        // "pid (comm) state ppid pgrp ...": comm may hold spaces and ')'.
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        if let (Some(s), Some(pp), Some(pg)) = (f.first(), f.get(1), f.get(2)) {
            let (Ok(pp), Ok(pg)) = (pp.parse(), pg.parse()) else {
                continue;
            };
            out.push((pid, s.chars().next().unwrap_or('?'), pp, pg));
        }
    }
    out
}

/// Asserts that, within a moment, no process is left in group `pgid` and
/// no child of this test process is a zombie. (Other tests run in parallel:
/// a zombie of theirs may exist for an instant, so this waits a little for
/// the scan to come out clean before failing.)
fn assert_clean(pgid: u32) {
    let me = std::process::id();
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let all = processes();
        let in_group: Vec<_> = all.iter().filter(|p| p.3 == pgid).collect();
        let zombies: Vec<_> = all.iter().filter(|p| p.2 == me && p.1 == 'Z').collect();
        if in_group.is_empty() && zombies.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "expected nothing in group {pgid} and no zombie child of {me}; \
             in the group: {in_group:?}; zombies: {zombies:?}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_http_check_brings_a_python_server_online_with_a_checkpoint_per_attempt() {
    let addr = free_port();
    let p = params(&format!(
        r#"command = ["python3", "-m", "http.server", "--bind", "127.0.0.1", "{port}"]
           health = {{ http = "http://{addr}/" }}
           check_interval = "20ms"
           check_timeout = "1s"
           stop_grace = "5s""#,
        port = addr.port()
    ));
    let (monitor, resource, id, events) = start(Duration::from_secs(5), p);
    assert_eq!(monitor.online(id).unwrap(), Outcome::Pending);
    let pgid = resource.pid().expect("the server runs");
    let (online, _) = until(&events, ResourceState::Online);
    // python3 takes a while to listen: the attempts before failed, each one
    // a checkpoint; the final report carries the attempt that passed.
    let Cause::Reported { checkpoint } = online.cause else {
        panic!("expected Online by a report, got {online:?}");
    };
    println!("Online after {checkpoint} health attempts");
    assert!(
        checkpoint >= 2,
        "expected failed attempts before python3 listened, got {checkpoint}"
    );
    assert!(resource.looks_alive());
    assert!(resource.is_alive(), "IsAlive runs the HTTP check");

    assert_eq!(monitor.offline(id).unwrap(), Outcome::Pending);
    let (offline, _) = until(&events, ResourceState::Offline);
    assert!(
        matches!(offline.cause, Cause::Reported { .. }),
        "{offline:?}"
    );
    assert!(!resource.looks_alive());
    assert_clean(pgid);
}

#[test]
fn a_tcp_check_passes_once_the_port_listens() {
    let addr = free_port();
    let p = params(&format!(
        r#"command = ["sleep", "30"]
           health = {{ tcp = "{addr}" }}
           check_interval = "20ms"
           check_timeout = "1s""#
    ));
    let (monitor, resource, id, events) = start(Duration::from_secs(5), p);
    assert_eq!(monitor.online(id).unwrap(), Outcome::Pending);
    let pgid = resource.pid().expect("sleep runs");
    // The "service" starts listening a little later.
    thread::sleep(Duration::from_millis(150));
    let listener = TcpListener::bind(addr).expect("rebind the free port");
    let (online, _) = until(&events, ResourceState::Online);
    let Cause::Reported { checkpoint } = online.cause else {
        panic!("expected Online by a report, got {online:?}");
    };
    assert!(
        checkpoint >= 2,
        "expected failed attempts first, got {checkpoint}"
    );
    drop(listener);
    assert!(!resource.is_alive(), "IsAlive fails once nothing listens");
    monitor.terminate(id).unwrap();
    assert_clean(pgid);
}

#[test]
fn a_health_check_that_hangs_fails_through_pending_timeout() {
    // A server that accepts and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut buf = [0u8; 512];
        let _ = conn.read(&mut buf); // the request, unanswered
        thread::sleep(Duration::from_secs(2));
        let _ = conn.write_all(b"too late");
    });
    let p = params(&format!(
        r#"command = ["sleep", "30"]
           health = {{ http = "http://{addr}/" }}
           check_timeout = "30s""#
    ));
    let (monitor, resource, id, events) = start(Duration::from_millis(300), p);
    assert_eq!(monitor.online(id).unwrap(), Outcome::Pending);
    let pgid = resource.pid().expect("sleep runs");
    let asked = Instant::now();
    let (failed, _) = until(&events, ResourceState::Failed);
    assert_eq!(failed.cause, Cause::HeartbeatExpired, "{failed:?}");
    println!(
        "PendingTimeout 300 ms: Failed {:?} after Online",
        asked.elapsed()
    );
    // The monitor calls Terminate: the attempt is abandoned, sleep killed.
    assert_clean(pgid);
    server.join().unwrap();
}

#[test]
fn a_check_command_that_hangs_is_killed_with_its_group_on_terminate() {
    let p = params(
        r#"command = ["sleep", "30"]
           health = { command = ["sh", "-c", "sleep 30 & sleep 30"] }
           check_timeout = "30s""#,
    );
    let (monitor, resource, id, events) = start(Duration::from_millis(300), p);
    assert_eq!(monitor.online(id).unwrap(), Outcome::Pending);
    let pgid = resource.pid().expect("sleep runs");
    let (failed, _) = until(&events, ResourceState::Failed);
    assert_eq!(failed.cause, Cause::HeartbeatExpired, "{failed:?}");
    // The monitor's Terminate kills the check's group and the process's.
    assert_clean(pgid);
    // The check's own group is gone too: no `sleep 30` child of ours.
    let me = std::process::id();
    let left: Vec<_> = processes().into_iter().filter(|p| p.2 == me).collect();
    assert!(
        left.iter().all(|p| p.1 != 'Z'),
        "no zombie child should remain: {left:?}"
    );
}

#[test]
fn a_process_killed_while_online_fails_at_once_with_its_status() {
    let (monitor, resource, id, events) = start(
        Duration::from_secs(5),
        params(r#"command = ["sleep", "30"]"#),
    );
    assert_eq!(monitor.online(id).unwrap(), Outcome::Done);
    until(&events, ResourceState::Online);
    let pid = resource.pid().expect("sleep runs");
    let killed = Instant::now();
    // SAFETY: pid is the resource's running process, unreaped by its
    // watcher until it exits: a plain kill of a live child of ours.
    assert_eq!(unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) }, 0);
    let (failed, _) = until(&events, ResourceState::Failed);
    let elapsed = killed.elapsed();
    println!(
        "kill -9 -> Failed event: {:.3} ms",
        elapsed.as_secs_f64() * 1000.0
    );
    assert_eq!(
        failed.cause,
        Cause::Signalled { code: 128 + 9 },
        "{failed:?}"
    );
    assert!(!resource.looks_alive());

    // Offline of a dead process is quick and clean.
    assert_eq!(monitor.offline(id).unwrap(), Outcome::Done);
    assert_eq!(monitor.state(id).unwrap(), ResourceState::Offline);
    assert_clean(pid);
}

#[test]
fn a_process_that_exits_while_online_fails_with_its_exit_status() {
    let (monitor, resource, id, events) = start(
        Duration::from_secs(5),
        params(r#"command = ["sh", "-c", "sleep 0.2; exit 3"]"#),
    );
    assert_eq!(monitor.online(id).unwrap(), Outcome::Done);
    let pid = resource.pid().expect("sh runs");
    let (failed, _) = until(&events, ResourceState::Failed);
    assert_eq!(failed.cause, Cause::Signalled { code: 3 }, "{failed:?}");
    monitor.terminate(id).unwrap();
    assert_clean(pid);
}

#[test]
fn a_process_that_exits_while_coming_online_fails() {
    let addr = free_port();
    let p = params(&format!(
        r#"command = ["sh", "-c", "sleep 0.1; exit 7"]
           health = {{ tcp = "{addr}" }}
           check_interval = "20ms""#
    ));
    let (monitor, resource, id, events) = start(Duration::from_secs(5), p);
    assert_eq!(monitor.online(id).unwrap(), Outcome::Pending);
    let pid = resource.pid().expect("sh runs");
    let (failed, _) = until(&events, ResourceState::Failed);
    assert_eq!(failed.cause, Cause::Signalled { code: 7 }, "{failed:?}");
    monitor.terminate(id).unwrap();
    assert_clean(pid);
}

#[test]
fn offline_sigkills_a_process_that_ignores_sigterm_after_the_grace() {
    let p = params(
        r#"command = ["sh", "-c", "trap '' TERM; sleep 30; sleep 30"]
           stop_grace = "300ms""#,
    );
    let (monitor, resource, id, events) = start(Duration::from_secs(5), p);
    assert_eq!(monitor.online(id).unwrap(), Outcome::Done);
    let pgid = resource.pid().expect("sh runs");
    thread::sleep(Duration::from_millis(50)); // let sh set its trap
    until(&events, ResourceState::Online);
    let asked = Instant::now();
    assert_eq!(monitor.offline(id).unwrap(), Outcome::Pending);
    let (offline, before) = until(&events, ResourceState::Offline);
    println!(
        "offline of a TERM-ignoring process: {:?} (grace 300 ms)",
        asked.elapsed()
    );
    assert!(
        before.iter().all(|e| e.to == ResourceState::OfflinePending),
        "{before:?}"
    );
    // A checkpoint per 250 ms beat while it ignored SIGTERM, then Offline.
    let Cause::Reported { checkpoint } = offline.cause else {
        panic!("expected Offline by a report, got {offline:?}");
    };
    assert!(
        checkpoint >= 2,
        "expected a checkpoint before Offline, got {checkpoint}"
    );
    assert_clean(pgid);
}

#[test]
fn offline_of_a_process_that_obeys_sigterm_is_prompt() {
    let (monitor, resource, id, events) = start(
        Duration::from_secs(5),
        params(r#"command = ["sleep", "30"]"#),
    );
    assert_eq!(monitor.online(id).unwrap(), Outcome::Done);
    let pgid = resource.pid().expect("sleep runs");
    assert_eq!(monitor.offline(id).unwrap(), Outcome::Pending);
    let (offline, _) = until(&events, ResourceState::Offline);
    assert!(
        matches!(offline.cause, Cause::Reported { .. }),
        "{offline:?}"
    );
    assert_clean(pgid);
}

#[test]
fn terminate_kills_the_whole_group_with_grandchildren() {
    let (monitor, resource, id, events) = start(
        Duration::from_secs(5),
        params(r#"command = ["sh", "-c", "sleep 1000 & sleep 1000 & wait"]"#),
    );
    assert_eq!(monitor.online(id).unwrap(), Outcome::Done);
    let pgid = resource.pid().expect("sh runs");
    // Wait until sh has started both sleeps.
    let deadline = Instant::now() + GUARD;
    while processes().iter().filter(|p| p.3 == pgid).count() < 3 {
        assert!(Instant::now() < deadline, "sh did not start its children");
        thread::sleep(Duration::from_millis(10));
    }
    monitor.terminate(id).unwrap();
    let (offline, _) = until(&events, ResourceState::Offline);
    assert_eq!(offline.cause, Cause::Terminated);
    // Terminate returned only once the group was empty.
    assert!(
        processes().iter().all(|p| p.3 != pgid),
        "the group outlived Terminate"
    );
    assert_clean(pgid);
    // Again, and concurrently: nothing to do, nothing breaks.
    let r = Arc::clone(&resource);
    let t = thread::spawn(move || Resource::terminate(&*r));
    Resource::terminate(&*resource);
    t.join().unwrap();
}

#[test]
fn a_failed_is_alive_then_remove_drops_the_resource_and_kills_its_group() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let p = params(&format!(
        r#"command = ["sh", "-c", "sleep 1000 & wait"]
           health = {{ tcp = "{addr}" }}
           check_interval = "20ms""#
    ));
    let monitor = Monitor::builder()
        .looks_alive_interval(None)
        .is_alive_interval(Some(Duration::from_millis(50)))
        .start()
        .unwrap();
    let events = monitor.subscribe();
    let resource = Arc::new(ProcessResource::new("svc", p).unwrap());
    let id = monitor.add("svc", Arc::clone(&resource));
    monitor.online(id).unwrap();
    until(&events, ResourceState::Online);
    let pgid = resource.pid().unwrap();
    drop(listener);
    let (failed, _) = until(&events, ResourceState::Failed);
    assert_eq!(failed.cause, Cause::IsAliveFailed);
    assert!(resource.looks_alive(), "the process itself still runs");
    // The host removes the failed resource; the last reference goes.
    monitor.remove(id).unwrap();
    drop(resource);
    assert_clean(pgid);
}
