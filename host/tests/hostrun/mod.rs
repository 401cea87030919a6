//! What the host's integration tests share: a temporary folder, the real
//! `clusworker-host` binary started on a config in it, a line client of
//! its socket, and `/proc` scans. Every wait is bounded by [`GUARD`], a
//! guard against a hang, never a timing assertion.

#![allow(dead_code)] // each test file uses a part

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The longest any wait lasts before the test fails.
pub(crate) const GUARD: Duration = Duration::from_secs(20);

/// The host binary under test.
pub(crate) const HOST: &str = env!("CARGO_BIN_EXE_clusworker-host");
/// The control tool.
pub(crate) const HOSTCTL: &str = env!("CARGO_BIN_EXE_clusworker-hostctl");

/// A temporary folder, removed when dropped.
pub(crate) struct Dir(pub(crate) PathBuf);

impl Dir {
    pub(crate) fn new(tag: &str) -> Dir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("cwh-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("a temporary folder");
        Dir(path)
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Writes `text` to `name` in the folder.
    pub(crate) fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).expect("write a test file");
        p
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running host.
pub(crate) struct Host {
    pub(crate) child: Child,
    pub(crate) socket: PathBuf,
    stderr: Arc<Mutex<String>>,
    status: Option<ExitStatus>,
}

/// The host's command on `config`, its socket at `socket`.
pub(crate) fn command(config: &Path, socket: &Path) -> Command {
    let mut c = Command::new(HOST);
    c.arg(config)
        .arg("--socket")
        .arg(socket)
        .env("RUST_LOG", "info")
        .env_remove("NOTIFY_SOCKET")
        .env_remove("WATCHDOG_USEC")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

impl Host {
    /// Starts the host on `config` (TOML text) in `dir`, and waits until its
    /// socket answers.
    pub(crate) fn start(dir: &Dir, config: &str) -> Host {
        let path = dir.write("host.toml", config);
        Host::spawn(
            command(&path, &dir.path("run/host.sock")),
            &dir.path("run/host.sock"),
        )
    }

    /// Starts `command` (from [`command`]) and waits until `socket` answers.
    pub(crate) fn spawn(mut command: Command, socket: &Path) -> Host {
        let mut child = command.spawn().expect("start clusworker-host");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("piped stderr");
        let sink = Arc::clone(&stderr);
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                eprint!("{text}");
                sink.lock().unwrap().push_str(&text);
            }
        });
        let mut host = Host {
            child,
            socket: socket.to_owned(),
            stderr,
            status: None,
        };
        let start = Instant::now();
        while UnixStream::connect(socket).is_err() {
            if let Ok(Some(status)) = host.child.try_wait() {
                panic!("the host exited at start ({status}): {}", host.stderr());
            }
            assert!(start.elapsed() < GUARD, "the host's socket never came up");
            thread::sleep(Duration::from_millis(10));
        }
        host
    }

    pub(crate) fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub(crate) fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// A new connection.
    pub(crate) fn connect(&self) -> Line {
        Line::connect(&self.socket)
    }

    /// One request on a new connection; its answer.
    pub(crate) fn ask(&self, request: Value) -> Value {
        self.connect().ask(&request.to_string())
    }

    /// `clusworker-hostctl ARGS` on this host's socket: its exit code and
    /// what it printed.
    pub(crate) fn ctl(&self, args: &[&str]) -> (i32, String) {
        let out = Command::new(HOSTCTL)
            .arg("--socket")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run hostctl");
        (
            out.status.code().expect("hostctl exits"),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }

    /// The resource's state, as `state` answers.
    pub(crate) fn state(&self, name: &str) -> String {
        let a = self.ask(serde_json::json!({"op": "state", "name": name}));
        a["resource"]["state"]
            .as_str()
            .unwrap_or_else(|| panic!("no state in {a}"))
            .to_owned()
    }

    /// Waits (through the protocol's `wait`) for `name` to be in `state`.
    pub(crate) fn wait_for(&self, name: &str, state: &str) {
        let ms = GUARD.as_millis() as u64;
        let a =
            self.ask(serde_json::json!({"op":"wait","name":name,"state":state,"timeout_ms":ms}));
        assert_eq!(a["reached"], state, "waiting for {name} to be {state}: {a}");
    }

    pub(crate) fn signal(&self, signal: i32) {
        // SAFETY: kill sends a signal to our own child; no memory is involved.
        let r = unsafe { libc::kill(self.pid(), signal) };
        assert_eq!(r, 0, "kill the host");
    }

    /// Waits for the host to exit; its code.
    pub(crate) fn wait_exit(&mut self) -> i32 {
        let start = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().expect("wait for the host") {
                self.status = Some(s);
                return s
                    .code()
                    .unwrap_or_else(|| panic!("the host died of a signal: {s}"));
            }
            assert!(
                start.elapsed() < GUARD,
                "the host did not exit: {}",
                self.stderr()
            );
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        if self.status.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A line client of the socket, every read bounded by [`GUARD`].
pub(crate) struct Line {
    reader: BufReader<UnixStream>,
    pub(crate) stream: UnixStream,
}

impl Line {
    pub(crate) fn connect(socket: &Path) -> Line {
        let stream = UnixStream::connect(socket).expect("connect to the host");
        stream.set_read_timeout(Some(GUARD)).unwrap();
        let reader = BufReader::new(stream.try_clone().unwrap());
        Line { reader, stream }
    }

    /// Sends raw bytes.
    pub(crate) fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send to the host");
    }

    /// Sends `line` and a newline; the answer.
    pub(crate) fn ask(&mut self, line: &str) -> Value {
        self.send(format!("{line}\n").as_bytes());
        self.read().expect("an answer")
    }

    /// The next line, or None at the end of the stream.
    pub(crate) fn read(&mut self) -> Option<Value> {
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(0) => None,
            Ok(_) => Some(serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"))),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => None,
            Err(e) => panic!("reading from the host: {e}"),
        }
    }

    /// Subscribes to events; returns self for [`until`](Self::until).
    pub(crate) fn events(mut self) -> Line {
        let a = self.ask(r#"{"op":"events"}"#);
        assert_eq!(a["ok"], true, "{a}");
        self
    }

    /// Reads events until one for `name` goes `to`; that event.
    pub(crate) fn until(&mut self, name: &str, to: &str) -> Value {
        loop {
            let line = self
                .read()
                .unwrap_or_else(|| panic!("events ended before {name} -> {to}"));
            let e = &line["event"];
            if e["resource"] == name && e["to"] == to {
                return e.clone();
            }
        }
    }
}

/// Processes whose command line contains `marker`, as pids.
pub(crate) fn processes_with(marker: &str) -> Vec<i32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if text.contains(marker) && pid != std::process::id() as i32 {
            found.push(pid);
        }
    }
    found
}

/// A `sleep` argument no other process has: `3600.<pid><n>`.
pub(crate) fn unique_sleep() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "3600.{}{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Waits until no process's command line contains `marker`.
pub(crate) fn assert_gone(marker: &str) {
    let start = Instant::now();
    while !processes_with(marker).is_empty() {
        assert!(
            start.elapsed() < GUARD,
            "a process with {marker:?} is left: {:?}",
            processes_with(marker)
        );
        thread::sleep(Duration::from_millis(10));
    }
}

/// Runs the host on `config` (text) with `--check` or for real, expecting
/// it to exit at once; its code and stderr.
pub(crate) fn run_to_exit(dir: &Dir, config: &str, check: bool) -> (i32, String) {
    let path = dir.write("host.toml", config);
    let mut c = command(&path, &dir.path("run/host.sock"));
    if check {
        c.arg("--check");
    }
    let out = c
        .stderr(Stdio::piped())
        .output()
        .expect("run clusworker-host");
    (
        out.status.code().expect("an exit code"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
