//! One health attempt: a TCP connect, an HTTP GET, or a check command, each
//! bounded by the attempt's timeout, and given up within about 50 ms of a
//! stop request (a terminate).

use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::deathsig;
use super::group;
use super::http;
use super::params::{Argv, HealthCheck};
use super::pidfd::ExitWait;

/// Runs one attempt of `check`: `Ok` when it passes, otherwise why not.
pub(super) fn attempt(
    check: &HealthCheck,
    timeout: Duration,
    stop: &dyn Fn() -> bool,
) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    match check {
        HealthCheck::Tcp(addr) => TcpStream::connect_timeout(addr, timeout)
            .map(drop)
            .map_err(|e| format!("tcp {addr}: {e}")),
        HealthCheck::Http(url) => http::get(url, deadline, stop).map(drop),
        HealthCheck::Command(argv) => command(argv, deadline, stop),
    }
}

/// Runs `argv` in its own process group, stdio on `/dev/null`: passes if
/// it exits 0 by `deadline`. Whatever it leaves in its group is killed,
/// and the leader reaped, however the attempt ends.
fn command(argv: &Argv, deadline: Instant, stop: &dyn Fn() -> bool) -> Result<(), String> {
    let name = argv.program();
    group::become_subreaper();
    let mut cmd = Command::new(name);
    cmd.args(argv.args())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    // This thread waits for the check (or kills it): it outlives it, so the
    // check dies with the host, or with this thread.
    deathsig::die_with_parent(&mut cmd);
    let mut process = cmd
        .spawn()
        .map_err(|e| format!("check command {name:?}: cannot start: {e}"))?;
    let pid = libc::pid_t::try_from(process.id()).unwrap_or(libc::pid_t::MAX);
    let outcome = match ExitWait::new(pid) {
        Ok(exit) => {
            wait(&exit, deadline, stop).map_err(|why| format!("check command {name:?}: {why}"))
        }
        Err(e) => Err(format!("check command {name:?}: cannot watch it: {e}")),
    };
    // The leader is unreaped (a zombie at worst): its group is still ours.
    group::kill_group(pid, libc::SIGKILL);
    let status = process
        .wait()
        .map_err(|e| format!("check command {name:?}: cannot reap it: {e}"))?;
    // Whatever it left behind got SIGKILL while the id was ours.
    group::reap_group(pid, Duration::from_secs(1));
    outcome?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("check command {name:?}: {status}"))
    }
}

/// Waits for the exit in slices of 50 ms, watching `stop` and `deadline`.
fn wait(exit: &ExitWait, deadline: Instant, stop: &dyn Fn() -> bool) -> Result<(), String> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err("did not finish within the check's timeout (killed)".to_owned());
        }
        if stop() {
            return Err("stopped (killed)".to_owned());
        }
        match exit.wait(left.min(Duration::from_millis(50))) {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(e) => return Err(format!("cannot wait for it: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    const SECOND: Duration = Duration::from_secs(1);

    fn never() -> bool {
        false
    }

    fn check_command(words: &[&str]) -> HealthCheck {
        HealthCheck::Command(
            Argv::try_from(words.iter().map(|w| w.to_string()).collect::<Vec<_>>()).unwrap(),
        )
    }

    #[test]
    fn tcp_passes_on_a_listener_and_fails_without() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        assert_eq!(attempt(&HealthCheck::Tcp(addr), SECOND, &never), Ok(()));
        drop(listener);
        let e = attempt(&HealthCheck::Tcp(addr), SECOND, &never).unwrap_err();
        assert!(e.contains(&addr.to_string()), "{e}");
    }

    #[test]
    fn a_check_command_passes_on_exit_0_and_fails_otherwise() {
        assert_eq!(attempt(&check_command(&["true"]), SECOND, &never), Ok(()));
        let e = attempt(&check_command(&["sh", "-c", "exit 3"]), SECOND, &never).unwrap_err();
        assert!(e.contains("exit status: 3"), "{e}");
        let e = attempt(&check_command(&["/no/such/check"]), SECOND, &never).unwrap_err();
        assert!(e.contains("cannot start"), "{e}");
    }

    #[test]
    fn a_slow_check_command_is_killed_at_its_timeout_or_on_stop() {
        let started = Instant::now();
        let slow = check_command(&["sleep", "30"]);
        let e = attempt(&slow, Duration::from_millis(100), &never).unwrap_err();
        assert!(e.contains("timeout"), "{e}");
        let e = attempt(&slow, Duration::from_secs(30), &|| {
            started.elapsed() > SECOND / 5
        })
        .unwrap_err();
        assert!(e.contains("stopped"), "{e}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "neither check waited for sleep 30"
        );
    }
}
