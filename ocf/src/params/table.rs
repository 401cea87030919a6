//! The parameters' table, as `meta-data` describes them.

use std::time::Duration;

/// What a parameter holds, as OCF's `<content type>` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    String,
    Integer,
    Boolean,
    Time,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Integer => "integer",
            Kind::Boolean => "boolean",
            Kind::Time => "time",
        }
    }
}

/// One parameter, as `meta-data` describes it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Parameter {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    pub(crate) default: Option<&'static str>,
    pub(crate) short: &'static str,
    pub(crate) long: &'static str,
}

/// PendingTimeout unless `pending_timeout` says otherwise.
pub(crate) const PENDING_TIMEOUT: Duration = Duration::from_secs(30);
/// DeadlockTimeout unless `deadlock_timeout` says otherwise.
pub(crate) const DEADLOCK_TIMEOUT: Duration = Duration::from_secs(60);
/// The socket of the host the agent talks to (and starts), as root.
pub(crate) const ROOT_SOCKET: &str = "/run/clusworker-ocf/host.sock";
/// The operation timeout when Pacemaker gives none (crm_resource's own).
pub(crate) const DEFAULT_OP_TIMEOUT: Duration = Duration::from_secs(20);

const fn p(
    name: &'static str,
    kind: Kind,
    default: Option<&'static str>,
    short: &'static str,
    long: &'static str,
) -> Parameter {
    Parameter {
        name,
        kind,
        default,
        short,
        long,
    }
}

/// Every parameter, in the order `meta-data` lists them. The four
/// timeouts' defaults are [`PENDING_TIMEOUT`] and [`DEADLOCK_TIMEOUT`]
/// (checked by a test), and the host's.
pub(crate) const PARAMETERS: [Parameter; 16] = [
    p(
        "type",
        Kind::String,
        Some("process"),
        "The host's resource type",
        "The resource type the host builds: process (a command, online when its health check passes) or scripted (a timer, for demos).",
    ),
    p(
        "command",
        Kind::String,
        None,
        "The command (process)",
        "The process type's command: a JSON array of words, [\"python3\", \"-m\", \"http.server\"], or words separated by spaces (no quoting). Required for the process type unless params gives it.",
    ),
    p(
        "health",
        Kind::String,
        None,
        "The health check (process)",
        "How the process type checks health while coming online and in IsAlive: http://IP:PORT/path (an HTTP GET answers 2xx), tcp:IP:PORT (a connect succeeds), or a JSON object such as {\"command\": [\"sh\", \"-c\", \"...\"]}. None: started means healthy.",
    ),
    p(
        "check_interval",
        Kind::Time,
        Some("1s"),
        "Time between health attempts (process)",
        "Time between two health attempts while coming online; each failed attempt is a checkpoint, the heartbeat that PendingTimeout watches.",
    ),
    p(
        "check_timeout",
        Kind::Time,
        Some("5s"),
        "The bound on one health attempt (process)",
        "The bound on one health attempt, and on IsAlive.",
    ),
    p(
        "max_attempts",
        Kind::Integer,
        None,
        "Failed health attempts before start fails (process)",
        "Failed health attempts after which the online fails. None: until PendingTimeout or the operation's timeout.",
    ),
    p(
        "stop_grace",
        Kind::Time,
        Some("10s"),
        "SIGTERM to SIGKILL on stop (process)",
        "Time from SIGTERM to SIGKILL of the process group on stop.",
    ),
    p(
        "user",
        Kind::String,
        None,
        "The user the command runs as (process)",
        "The user name the command runs as. None: the host's user.",
    ),
    p(
        "params",
        Kind::String,
        Some("{}"),
        "More parameters of the type, as JSON",
        "A JSON object of any of the type's parameters, as the host's [resource.params] takes them (env, cwd, ...; the scripted type's steps, step, ...). The parameters above override its keys.",
    ),
    p(
        "pending_timeout",
        Kind::Time,
        Some("30s"),
        "PendingTimeout: the heartbeat of a pending start or stop",
        "PendingTimeout: a pending online or offline fails when no checkpoint arrives within it of the last one. It is a heartbeat, not a deadline; the operation's own timeout is the deadline.",
    ),
    p(
        "deadlock_timeout",
        Kind::Time,
        Some("60s"),
        "DeadlockTimeout: the bound on every entry-point call",
        "DeadlockTimeout: an entry point that does not return within it is failed and isolated, and (with the host's exit_on_escalation) the host terminates the rest and exits 70, to be restarted.",
    ),
    p(
        "looks_alive_interval",
        Kind::Time,
        Some("5s"),
        "How often the host polls LooksAlive",
        "How often the host polls LooksAlive while the resource is online; 0s: never. A failed poll makes the resource Failed, which monitor then reports.",
    ),
    p(
        "is_alive_interval",
        Kind::Time,
        Some("60s"),
        "How often the host polls IsAlive",
        "How often the host polls IsAlive while the resource is online; 0s: never.",
    ),
    p(
        "socket",
        Kind::String,
        Some(ROOT_SOCKET),
        "The host's control socket",
        "The control socket of the resource host the agent talks to: a host already running (a systemd service), or the one the agent starts there on first use (with start_host).",
    ),
    p(
        "start_host",
        Kind::Boolean,
        Some("true"),
        "Start a host when none answers",
        "When no host answers on socket, start one (detached: it outlives the agent and is found again at the socket). false: the host must already run.",
    ),
    p(
        "host_binary",
        Kind::String,
        Some("clusworker-host"),
        "The host program the agent starts",
        "The clusworker-host program started with start_host: a path, or a name looked up in PATH, /usr/local/sbin, /usr/local/bin, /usr/sbin, /usr/bin.",
    ),
];
