//! systemd's notify protocol, seen by a fake systemd: a datagram socket
//! the test binds and names in `NOTIFY_SOCKET`.

mod hostrun;

use std::os::unix::net::UnixDatagram;
use std::time::Instant;

use hostrun::{Dir, GUARD, Host, command, unique_sleep};

/// Reads datagrams until one satisfies `want`; every one read.
fn until(systemd: &UnixDatagram, seen: &mut Vec<String>, want: impl Fn(&str) -> bool) {
    let start = Instant::now();
    let mut buf = vec![0u8; 4096];
    loop {
        assert!(start.elapsed() < GUARD, "never came; got {seen:?}");
        let n = systemd
            .recv(&mut buf)
            .unwrap_or_else(|e| panic!("{e}; got {seen:?}"));
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        let done = want(&text);
        seen.push(text);
        if done {
            return;
        }
    }
}

#[test]
fn ready_status_watchdog_and_stopping_reach_the_notify_socket() {
    let dir = Dir::new("notify");
    let systemd = UnixDatagram::bind(dir.path("notify.sock")).unwrap();
    systemd.set_read_timeout(Some(GUARD)).unwrap();
    let env_file = dir.path("child-env");
    let marker = unique_sleep();
    let config = dir.write(
        "host.toml",
        &format!(
            r#"
[[resource]]
name = "a"
type = "scripted"
params = {{ steps = 1, step = "10ms" }}

[[resource]]
name = "child"
type = "process"
params = {{ command = ["sh", "-c", "echo \"[$NOTIFY_SOCKET][$WATCHDOG_USEC]\" > {env}; exec sleep {marker}"] }}
"#,
            env = env_file.display()
        ),
    );
    let socket = dir.path("run/host.sock");
    let mut c = command(&config, &socket);
    c.env("NOTIFY_SOCKET", dir.path("notify.sock"))
        .env("WATCHDOG_USEC", "200000");
    let mut host = Host::spawn(c, &socket);

    let mut seen = Vec::new();
    until(&systemd, &mut seen, |d| d == "READY=1");
    until(&systemd, &mut seen, |d| {
        d.starts_with("STATUS=") && d.contains("a Online")
    });
    until(&systemd, &mut seen, |d| d == "WATCHDOG=1");
    until(&systemd, &mut seen, |d| d == "WATCHDOG=1");
    host.wait_for("child", "Online");
    host.signal(libc::SIGTERM);
    until(&systemd, &mut seen, |d| d == "STOPPING=1");
    assert_eq!(host.wait_exit(), 0);
    let ready = seen.iter().position(|d| d == "READY=1").unwrap();
    let stopping = seen.iter().position(|d| d == "STOPPING=1").unwrap();
    assert!(ready < stopping, "{seen:?}");
    eprintln!("datagrams: {seen:?}");

    let child_env = std::fs::read_to_string(&env_file).unwrap();
    assert_eq!(
        child_env.trim(),
        "[][]",
        "the resources' processes do not inherit NOTIFY_SOCKET"
    );
}

#[test]
fn an_abstract_notify_socket_is_reached() {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::SocketAddr;
    let dir = Dir::new("notify");
    let name = format!("clusworker-host-test-{}", std::process::id());
    let systemd =
        UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes()).unwrap()).unwrap();
    systemd.set_read_timeout(Some(GUARD)).unwrap();
    let config = dir.write("host.toml", "");
    let socket = dir.path("run/host.sock");
    let mut c = command(&config, &socket);
    c.env("NOTIFY_SOCKET", format!("@{name}"));
    let mut host = Host::spawn(c, &socket);
    let mut seen = Vec::new();
    until(&systemd, &mut seen, |d| d == "READY=1");
    host.signal(libc::SIGTERM);
    until(&systemd, &mut seen, |d| d == "STOPPING=1");
    assert_eq!(host.wait_exit(), 0);
    assert!(
        !seen.iter().any(|d| d == "WATCHDOG=1"),
        "no watchdog unless asked: {seen:?}"
    );
}
