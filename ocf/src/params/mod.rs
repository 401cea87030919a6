//! The agent's parameters: the table that `meta-data` describes
//! ([`PARAMETERS`]), and [`Params::read`], which reads them from the
//! `OCF_RESKEY_*` environment and checks each, naming the bad one.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use clusworker_host::duration;
use serde_json::{Map, Value};

use crate::exit::{Code, Exit};

mod table;
#[cfg(test)]
mod tests;

pub(crate) use table::{
    DEADLOCK_TIMEOUT, DEFAULT_OP_TIMEOUT, PARAMETERS, PENDING_TIMEOUT, ROOT_SOCKET,
};

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
