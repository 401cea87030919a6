//! Finding the host: [`connect`] to one that runs, or [`connect_or_start`],
//! which starts one on first use.
//!
//! A host the agent starts is detached: a new session (`setsid`), stdin
//! on `/dev/null`, its log appended to `host.log` beside the socket, and
//! none of Pacemaker's variables (`OCF_*`, `HA_*`, `PCMK_*`) in its
//! environment. The agent does not wait for it, so when the agent exits
//! the host is re-parented (to init, or the nearest subreaper) and lives
//! on; the next action finds it again at the socket. Two agents that
//! start a host at once are safe: the host's lock file lets one win, the
//! other exits 3 and both agents connect to the winner.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use clusworker_host::client::Client;
use clusworker_host::protocol::{Request, Response};

use crate::exit::{Code, Exit};
use crate::params::Params;

/// How long a started host may take to answer.
const HOST_START: Duration = Duration::from_secs(10);
/// How often the agent looks for the socket while the host starts.
const POLL: Duration = Duration::from_millis(25);

/// Where a name is looked for besides `PATH`.
const DIRS: [&str; 4] = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin"];

/// The host at `socket`, or `None` when no host answers there.
///
/// # Errors
///
/// `OCF_ERR_PERM` when the socket refuses us; `OCF_ERR_GENERIC` for any
/// other failure to connect.
pub(crate) fn connect(socket: &Path) -> Result<Option<Client>, Exit> {
    match Client::connect(socket) {
        Ok(c) => Ok(Some(c)),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
            ) =>
        {
            Ok(None)
        }
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Err(Exit::new(
            Code::Perm,
            format!("the host's socket {}: {e}", socket.display()),
        )),
        Err(e) => Err(Exit::new(
            Code::Generic,
            format!("the host's socket {}: {e}", socket.display()),
        )),
    }
}

/// Sends `request`; a failure to talk to the host is `OCF_ERR_GENERIC`.
pub(crate) fn ask(client: &mut Client, request: &Request) -> Result<Response, Exit> {
    client
        .request(request)
        .map_err(|e| Exit::new(Code::Generic, format!("the host did not answer: {e}")))
}

/// The host at `p.socket`; started first if none answers and
/// `p.start_host` allows it.
///
/// # Errors
///
/// As [`connect`]; `OCF_ERR_INSTALLED` when the host program is not
/// found; `OCF_ERR_GENERIC` when it started but did not answer (with the
/// end of its log).
pub(crate) fn connect_or_start(p: &Params, deadline: Instant) -> Result<Client, Exit> {
    if let Some(c) = connect(&p.socket)? {
        return Ok(c);
    }
    if !p.start_host {
        return Err(Exit::new(
            Code::Generic,
            format!(
                "no host answers at {} (start_host=false: start clusworker-host yourself)",
                p.socket.display()
            ),
        ));
    }
    let binary = find_program(&p.host_binary).ok_or_else(|| not_installed(&p.host_binary))?;
    let dir = p.socket.parent().unwrap_or(Path::new("/"));
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| Exit::new(Code::Generic, format!("{}: {e}", dir.display())))?;
    let config = dir.join("host.toml");
    write_config(&config, &p.socket)?;
    let log_path = dir.join("host.log");
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| Exit::new(Code::Generic, format!("{}: {e}", log_path.display())))?;
    let log_start = log.metadata().map(|m| m.len()).unwrap_or(0);
    let mut child = spawn_detached(&binary, &config, log)?;
    let until = deadline.min(Instant::now() + HOST_START);
    loop {
        if let Some(c) = connect(&p.socket)? {
            return Ok(c);
        }
        match child.try_wait() {
            // Exit 3: another host holds the lock; it is starting too.
            Ok(Some(status)) if status.code() != Some(3) => {
                return Err(Exit::new(
                    Code::Generic,
                    format!(
                        "the host {} exited ({status}) before it answered: {}",
                        binary.display(),
                        log_tail(&log_path, log_start)
                    ),
                ));
            }
            _ => {}
        }
        if Instant::now() >= until {
            return Err(Exit::new(
                Code::Generic,
                format!(
                    "the host {} did not answer at {} in time: {}",
                    binary.display(),
                    p.socket.display(),
                    log_tail(&log_path, log_start)
                ),
            ));
        }
        thread::sleep(POLL);
    }
}

pub(crate) fn not_installed(program: &Path) -> Exit {
    Exit::new(
        Code::Installed,
        format!(
            "{} not found (looked in PATH and {})",
            program.display(),
            DIRS.join(", ")
        ),
    )
}

/// `program` as a path: itself if it names a folder, else the first
/// executable of that name in `PATH` or [`DIRS`].
pub(crate) fn find_program(program: &Path) -> Option<PathBuf> {
    let executable = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.components().count() > 1 || program.is_absolute() {
        return executable(program).then(|| program.to_owned());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(DIRS.iter().map(PathBuf::from))
        .map(|d| d.join(program))
        .find(|p| executable(p))
}

/// The config of a host the agent starts: its socket, and poll ticks
/// short enough for any resource's intervals (1 s).
pub(crate) fn config_text(socket: &Path) -> String {
    let quoted = serde_json::to_string(&socket.to_string_lossy()).unwrap_or_default();
    format!(
        "# Written by clusworker-ocf for the host it starts; rewritten at each start.\n\
         [host]\nsocket = {quoted}\n\n[defaults]\nlooks_alive_interval = \"1s\"\nis_alive_interval = \"1s\"\n"
    )
}

fn write_config(path: &Path, socket: &Path) -> Result<(), Exit> {
    let tmp = path.with_extension(format!("toml.{}", std::process::id()));
    fs::write(&tmp, config_text(socket))
        .and_then(|()| fs::rename(&tmp, path))
        .map_err(|e| Exit::new(Code::Generic, format!("{}: {e}", path.display())))
}

fn spawn_detached(binary: &Path, config: &Path, log: File) -> Result<std::process::Child, Exit> {
    let err = log
        .try_clone()
        .map_err(|e| Exit::new(Code::Generic, format!("the host's log: {e}")))?;
    let mut cmd = Command::new(binary);
    cmd.arg(config)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .current_dir("/");
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy();
        if ["OCF_", "HA_", "PCMK_", "NOTIFY_SOCKET"]
            .iter()
            .any(|p| k.starts_with(p))
        {
            cmd.env_remove(&key);
        }
    }
    // SAFETY: the closure runs in the child between fork and exec, and
    // calls only setsid, which is async-signal-safe; it touches no memory
    // of the parent's.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.spawn().map_err(|e| {
        Exit::new(
            Code::Generic,
            format!("could not start {}: {e}", binary.display()),
        )
    })
}

/// The last lines the host wrote to its log since `from`.
fn log_tail(path: &Path, from: u64) -> String {
    let mut text = String::new();
    if let Ok(mut f) = File::open(path)
        && f.seek(SeekFrom::Start(from)).is_ok()
    {
        let _ = f.take(64 * 1024).read_to_string(&mut text);
    }
    let lines: Vec<&str> = text.lines().rev().take(3).collect();
    if lines.is_empty() {
        return format!("nothing in {}", path.display());
    }
    lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_socket_means_no_host() {
        let dir = std::env::temp_dir().join(format!("clusworker-ocf-link-{}", std::process::id()));
        assert!(matches!(connect(&dir.join("none.sock")), Ok(None)));
    }

    #[test]
    fn programs_are_found_by_name_or_path() {
        assert!(find_program(Path::new("sh")).is_some());
        assert_eq!(
            find_program(Path::new("/bin/sh")),
            Some(PathBuf::from("/bin/sh"))
        );
        assert_eq!(find_program(Path::new("no-such-program-clusworker")), None);
        assert_eq!(
            find_program(Path::new("/nonexistent/clusworker-host")),
            None
        );
        let e = not_installed(Path::new("clusworker-host"));
        assert_eq!(e.code, Code::Installed);
    }

    #[test]
    fn the_config_quotes_the_socket() {
        let t = config_text(Path::new("/run/a \"b\"/host.sock"));
        assert!(t.contains(r#"socket = "/run/a \"b\"/host.sock""#), "{t}");
    }
}
