//! The agent's parameters: the table that `meta-data` describes
//! ([`PARAMETERS`]), and [`Params::read`], which reads them from the
//! `OCF_RESKEY_*` environment and checks each, naming the bad one.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use clusworker_host::duration;
use serde_json::{Map, Value};

use crate::exit::{Code, Exit};

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

/// The agent's parameters, read and checked.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Params {
    /// `OCF_RESOURCE_INSTANCE`: the resource's name in the host.
    pub(crate) name: String,
    pub(crate) type_name: String,
    /// The type's parameters, as the host's `add` takes them.
    pub(crate) params: Map<String, Value>,
    /// The four timeouts, as the host's `add` takes them.
    pub(crate) timeouts: Map<String, Value>,
    pub(crate) socket: PathBuf,
    pub(crate) start_host: bool,
    pub(crate) host_binary: PathBuf,
}

/// What Pacemaker says about the operation, beside the parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Operation {
    /// `OCF_RESKEY_CRM_meta_timeout` (ms).
    pub(crate) timeout: Duration,
    /// `OCF_CHECK_LEVEL`.
    pub(crate) depth: u32,
}

impl Operation {
    /// Reads the operation's meta-attributes. A probe (a monitor without
    /// `OCF_RESKEY_CRM_meta_interval`) is answered as any monitor: the
    /// host's state says whether the resource runs here.
    ///
    /// # Errors
    ///
    /// `OCF_ERR_ARGS` for a value that is not a number.
    pub(crate) fn read(env: &HashMap<String, String>) -> Result<Operation, Exit> {
        let ms = |key: &str, default: Duration| -> Result<Duration, Exit> {
            match env.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) {
                None => Ok(default),
                Some(v) => v.parse::<u64>().map(Duration::from_millis).map_err(|_| {
                    Exit::new(Code::Args, format!("{key}={v:?} is not a number of ms"))
                }),
            }
        };
        let depth = match env
            .get("OCF_CHECK_LEVEL")
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
        {
            None => 0,
            Some(v) => v.parse().map_err(|_| {
                Exit::new(Code::Args, format!("OCF_CHECK_LEVEL={v:?} is not a number"))
            })?,
        };
        Ok(Operation {
            timeout: ms("OCF_RESKEY_CRM_meta_timeout", DEFAULT_OP_TIMEOUT)?,
            depth,
        })
    }
}

fn configured(name: &str, message: impl std::fmt::Display) -> Exit {
    Exit::new(Code::Configured, format!("parameter {name}: {message}"))
}

impl Params {
    /// Reads the parameters from `env` (the agent's environment).
    ///
    /// # Errors
    ///
    /// `OCF_ERR_ARGS` without `OCF_RESOURCE_INSTANCE`;
    /// `OCF_ERR_CONFIGURED` for a parameter the agent does not know or
    /// cannot read, naming it.
    pub(crate) fn read(env: &HashMap<String, String>) -> Result<Params, Exit> {
        let name = env
            .get("OCF_RESOURCE_INSTANCE")
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| Exit::new(Code::Args, "OCF_RESOURCE_INSTANCE is not set"))?
            .to_owned();
        for key in env.keys() {
            if let Some(p) = key.strip_prefix("OCF_RESKEY_")
                && !p.starts_with("CRM_meta_")
                && !p.starts_with("crm_")
                && !PARAMETERS.iter().any(|q| q.name == p)
            {
                return Err(configured(p, "no such parameter"));
            }
        }
        let get = |n: &str| -> Option<String> {
            env.get(&format!("OCF_RESKEY_{n}"))
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .or_else(|| {
                    let p = PARAMETERS.iter().find(|p| p.name == n)?;
                    p.default.map(str::to_owned)
                })
        };
        let type_name = get("type").unwrap_or_default();
        let mut params = match serde_json::from_str::<Value>(&get("params").unwrap_or_default()) {
            Ok(Value::Object(m)) => m,
            Ok(_) => return Err(configured("params", "not a JSON object")),
            Err(e) => return Err(configured("params", format!("not JSON: {e}"))),
        };
        if let Some(c) = get("command") {
            params.insert("command".into(), command(&c)?);
        }
        if let Some(h) = get("health") {
            params.insert("health".into(), health(&h)?);
        }
        // The process type's own keys: given only when set or asked for,
        // so that the scripted type never sees them.
        for key in ["check_interval", "check_timeout", "stop_grace"] {
            if let Some(v) = env_value(env, key) {
                duration::parse(&v).map_err(|e| configured(key, e))?;
                params.insert(key.into(), Value::String(v));
            }
        }
        if let Some(v) = env_value(env, "max_attempts") {
            let n: u32 = v.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                configured(
                    "max_attempts",
                    format!("{v:?} is not a whole number above 0"),
                )
            })?;
            params.insert("max_attempts".into(), Value::from(n));
        }
        if let Some(v) = env_value(env, "user") {
            params.insert("user".into(), Value::String(v));
        }
        let mut timeouts = Map::new();
        for key in [
            "pending_timeout",
            "deadlock_timeout",
            "looks_alive_interval",
            "is_alive_interval",
        ] {
            let v = get(key).unwrap_or_default();
            let d = duration::parse(&v).map_err(|e| configured(key, e))?;
            let polls = key.ends_with("_interval");
            if !polls && d < Duration::from_millis(10) {
                return Err(configured(key, format!("{v:?} is below the least, 10ms")));
            }
            timeouts.insert(key.into(), Value::String(v));
        }
        let start_host = match get("start_host")
            .unwrap_or_default()
            .to_ascii_lowercase()
            .as_str()
        {
            "true" | "yes" | "1" | "on" => true,
            "false" | "no" | "0" | "off" => false,
            other => {
                return Err(configured(
                    "start_host",
                    format!("{other:?} is not a boolean"),
                ));
            }
        };
        Ok(Params {
            name,
            type_name,
            params,
            timeouts,
            socket: PathBuf::from(get("socket").unwrap_or_default()),
            start_host,
            host_binary: PathBuf::from(get("host_binary").unwrap_or_default()),
        })
    }

    /// PendingTimeout, as read.
    pub(crate) fn pending_timeout(&self) -> Duration {
        self.timeout("pending_timeout", PENDING_TIMEOUT)
    }

    /// DeadlockTimeout, as read.
    pub(crate) fn deadlock_timeout(&self) -> Duration {
        self.timeout("deadlock_timeout", DEADLOCK_TIMEOUT)
    }

    fn timeout(&self, key: &str, default: Duration) -> Duration {
        self.timeouts
            .get(key)
            .and_then(Value::as_str)
            .and_then(|v| duration::parse(v).ok())
            .unwrap_or(default)
    }
}

/// A parameter set in the environment (not empty), without defaults.
fn env_value(env: &HashMap<String, String>, name: &str) -> Option<String> {
    env.get(&format!("OCF_RESKEY_{name}"))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// `command`: a JSON array of strings, or words split at white space.
fn command(text: &str) -> Result<Value, Exit> {
    if text.starts_with('[') {
        return match serde_json::from_str::<Vec<String>>(text) {
            Ok(words) if !words.is_empty() => Ok(Value::from(words)),
            Ok(_) => Err(configured("command", "an empty array")),
            Err(e) => Err(configured(
                "command",
                format!("not a JSON array of strings: {e}"),
            )),
        };
    }
    Ok(Value::from(
        text.split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>(),
    ))
}

/// `health`: `http://...`, `tcp:IP:PORT`, or a JSON object.
fn health(text: &str) -> Result<Value, Exit> {
    if text.starts_with("http://") || text.starts_with("https://") {
        return Ok(serde_json::json!({ "http": text }));
    }
    if let Some(addr) = text.strip_prefix("tcp:") {
        return Ok(serde_json::json!({ "tcp": addr }));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(configured(
            "health",
            format!("{text:?}: expected http://IP:PORT/path, tcp:IP:PORT or a JSON object"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        let mut m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (format!("OCF_RESKEY_{k}"), (*v).to_owned()))
            .collect();
        m.insert("OCF_RESOURCE_INSTANCE".into(), "web".into());
        m
    }

    fn refused(pairs: &[(&str, &str)]) -> Exit {
        Params::read(&env(pairs)).expect_err("should be refused")
    }

    #[test]
    fn a_process_resource_reads_with_its_defaults() {
        let p = Params::read(&env(&[
            ("command", "python3 -m http.server 8080"),
            ("health", "http://127.0.0.1:8080/"),
            ("check_interval", "250ms"),
        ]))
        .unwrap();
        assert_eq!(p.name, "web");
        assert_eq!(p.type_name, "process");
        assert_eq!(
            Value::Object(p.params.clone()),
            serde_json::json!({
                "command": ["python3", "-m", "http.server", "8080"],
                "health": { "http": "http://127.0.0.1:8080/" },
                "check_interval": "250ms",
            })
        );
        assert_eq!(p.pending_timeout(), PENDING_TIMEOUT);
        assert_eq!(p.deadlock_timeout(), DEADLOCK_TIMEOUT);
        assert_eq!(p.timeouts["is_alive_interval"], "60s");
        assert_eq!(p.socket, PathBuf::from(ROOT_SOCKET));
        assert!(p.start_host);
    }

    #[test]
    fn command_and_health_take_every_documented_form() {
        let p = Params::read(&env(&[
            ("command", r#"["sh", "-c", "sleep 60"]"#),
            ("health", "tcp:127.0.0.1:9"),
            (
                "params",
                r#"{"env": {"A": "1"}, "command": ["overridden"]}"#,
            ),
            ("max_attempts", "3"),
        ]))
        .unwrap();
        assert_eq!(
            p.params["command"],
            serde_json::json!(["sh", "-c", "sleep 60"])
        );
        assert_eq!(
            p.params["health"],
            serde_json::json!({ "tcp": "127.0.0.1:9" })
        );
        assert_eq!(p.params["env"], serde_json::json!({ "A": "1" }));
        assert_eq!(p.params["max_attempts"], 3);
        let p = Params::read(&env(&[("health", r#"{"command": ["true"]}"#)])).unwrap();
        assert_eq!(
            p.params["health"],
            serde_json::json!({ "command": ["true"] })
        );
    }

    #[test]
    fn the_scripted_type_gets_no_process_keys() {
        let p = Params::read(&env(&[("type", "scripted"), ("params", r#"{"steps": 2}"#)])).unwrap();
        assert_eq!(Value::Object(p.params), serde_json::json!({ "steps": 2 }));
    }

    #[test]
    fn bad_values_are_refused_naming_the_parameter() {
        for (pairs, words) in [
            (vec![("bogus", "1")], "parameter bogus: no such parameter"),
            (
                vec![("params", "[1]")],
                "parameter params: not a JSON object",
            ),
            (vec![("params", "{")], "parameter params: not JSON"),
            (
                vec![("command", "[")],
                "parameter command: not a JSON array",
            ),
            (vec![("command", "[]")], "parameter command: an empty array"),
            (vec![("health", "udp:1")], "parameter health: \"udp:1\""),
            (vec![("check_interval", "fast")], "parameter check_interval"),
            (vec![("pending_timeout", "1ms")], "below the least"),
            (
                vec![("deadlock_timeout", "10")],
                "parameter deadlock_timeout",
            ),
            (vec![("max_attempts", "0")], "parameter max_attempts"),
            (vec![("start_host", "maybe")], "parameter start_host"),
        ] {
            let e = refused(&pairs);
            assert_eq!(e.code, Code::Configured, "{pairs:?}: {e}");
            let reason = e.reason.unwrap_or_default();
            assert!(
                reason.contains(words),
                "{pairs:?}: want {words:?} in {reason:?}"
            );
        }
    }

    #[test]
    fn no_instance_name_is_an_argument_error() {
        let mut e = env(&[]);
        e.remove("OCF_RESOURCE_INSTANCE");
        assert_eq!(Params::read(&e).unwrap_err().code, Code::Args);
        e.insert("OCF_RESOURCE_INSTANCE".into(), "  ".into());
        assert_eq!(Params::read(&e).unwrap_err().code, Code::Args);
    }

    #[test]
    fn the_operation_reads_pacemakers_meta_attributes() {
        let mut e = HashMap::new();
        let op = Operation::read(&e).unwrap();
        assert_eq!(op.timeout, DEFAULT_OP_TIMEOUT);
        assert_eq!(op.depth, 0);
        e.insert("OCF_RESKEY_CRM_meta_timeout".into(), "60000".into());
        e.insert("OCF_RESKEY_CRM_meta_interval".into(), "5000".into());
        e.insert("OCF_CHECK_LEVEL".into(), "10".into());
        let op = Operation::read(&e).unwrap();
        assert_eq!(op.timeout, Duration::from_secs(60));
        assert_eq!(op.depth, 10);
        e.insert("OCF_CHECK_LEVEL".into(), "deep".into());
        assert_eq!(Operation::read(&e).unwrap_err().code, Code::Args);
        e.insert("OCF_RESKEY_CRM_meta_timeout".into(), "20s".into());
        assert_eq!(Operation::read(&e).unwrap_err().code, Code::Args);
    }

    #[test]
    fn the_table_defaults_are_the_constants() {
        let default = |n: &str| PARAMETERS.iter().find(|p| p.name == n).unwrap().default;
        assert_eq!(
            default("pending_timeout").map(|d| duration::parse(d).unwrap()),
            Some(PENDING_TIMEOUT)
        );
        assert_eq!(
            default("deadlock_timeout").map(|d| duration::parse(d).unwrap()),
            Some(DEADLOCK_TIMEOUT)
        );
        assert_eq!(default("socket"), Some(ROOT_SOCKET));
    }
}
