//! The command line, with clap, and the request each command sends.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use clusworker_host::protocol::Request;

/// Drive a running clusworker-host over its control socket.
///
/// Exit codes: 0 done; 1 the host refused the request; 2 the command line
/// is wrong; 3 the host cannot be reached; 4 `wait` timed out; 5 `wait`
/// saw the resource fail, or `check` failed it.
#[derive(Debug, Parser)]
#[command(version, about)]
pub(crate) struct Args {
    /// The host's control socket [default: $RUNTIME_DIRECTORY/host.sock,
    /// or /run/clusworker/host.sock as root, or
    /// $XDG_RUNTIME_DIR/clusworker/host.sock].
    #[arg(long, global = true, value_name = "PATH")]
    pub(crate) socket: Option<PathBuf>,
    /// Print the host's JSON answers, one a line, instead of text.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Bring a resource online (returns once its Online entry point has).
    Online {
        /// The resource.
        name: String,
    },
    /// Take a resource offline.
    Offline {
        /// The resource.
        name: String,
    },
    /// Terminate a resource: offline at once.
    Terminate {
        /// The resource.
        name: String,
    },
    /// Call a resource's IsAlive now (the deep health check); exit 5 if it
    /// said no (the resource is then failed).
    Check {
        /// The resource.
        name: String,
    },
    /// A resource's state, checkpoint and last cause.
    State {
        /// The resource.
        name: String,
    },
    /// As state, with its type, timeouts and parameters.
    Info {
        /// The resource.
        name: String,
    },
    /// Every resource.
    List,
    /// The host process's live workers: name, where spawned, state, age,
    /// how long since terminate was requested, last progress mark.
    Workers,
    /// Wait until a resource is in STATE (or Failed).
    Wait {
        /// The resource.
        name: String,
        /// online, offline, failed, onlinepending, offlinepending, unknown.
        state: String,
        /// How long to wait at most ("30s", "500ms").
        #[arg(long, default_value = "30s", value_parser = duration)]
        timeout: Duration,
    },
    /// Add a resource (Offline unless --online).
    Add {
        /// Its name.
        name: String,
        /// Its type (process, scripted).
        #[arg(value_name = "TYPE")]
        type_name: String,
        /// A parameter, KEY=VALUE; VALUE is read as TOML when it can be
        /// (`steps=3`, `command=["sleep","60"]`), else as text.
        #[arg(long = "param", short = 'p', value_name = "KEY=VALUE")]
        params: Vec<String>,
        /// A timeout, KEY=DURATION (pending_timeout=5s, deadlock_timeout,
        /// looks_alive_interval, is_alive_interval).
        #[arg(long = "timeout", short = 't', value_name = "KEY=DURATION")]
        timeouts: Vec<String>,
        /// Bring it online once added.
        #[arg(long)]
        online: bool,
    },
    /// Remove a resource that is Offline or Failed.
    Remove {
        /// The resource.
        name: String,
    },
    /// Print every event as it happens, until interrupted.
    Events,
    /// A live table of every resource and the latest events (plain lines
    /// when stdout is not a terminal). q or Ctrl-C quits.
    Watch,
}

fn duration(s: &str) -> Result<Duration, String> {
    clusworker_host::duration::parse(s).map_err(|e| e.to_string())
}

impl Command {
    /// The request to send (`watch` sends several: `None` here).
    pub(crate) fn request(&self) -> Result<Option<Request>, String> {
        let name = |n: &String| n.clone();
        Ok(Some(match self {
            Command::Online { name: n } => Request::Online { name: name(n) },
            Command::Offline { name: n } => Request::Offline { name: name(n) },
            Command::Terminate { name: n } => Request::Terminate { name: name(n) },
            Command::Check { name: n } => Request::Check { name: name(n) },
            Command::State { name: n } => Request::State { name: name(n) },
            Command::Info { name: n } => Request::Info { name: name(n) },
            Command::List => Request::List,
            Command::Workers => Request::Workers,
            Command::Events => Request::Events,
            Command::Watch => return Ok(None),
            Command::Remove { name: n } => Request::Remove { name: name(n) },
            Command::Wait {
                name: n,
                state,
                timeout,
            } => Request::Wait {
                name: name(n),
                state: state.clone(),
                timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
            },
            Command::Add {
                name: n,
                type_name,
                params,
                timeouts,
                online,
            } => Request::Add {
                name: name(n),
                type_name: type_name.clone(),
                params: pairs(params, toml_or_text)?,
                timeouts: pairs(timeouts, |v| serde_json::Value::String(v.to_owned()))?,
                online: *online,
            },
        }))
    }
}

fn pairs(
    list: &[String],
    value: impl Fn(&str) -> serde_json::Value,
) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    list.iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), value(v))),
            _ => Err(format!("{kv:?} is not KEY=VALUE")),
        })
        .collect()
}

/// `3` → 3, `["a","b"]` → an array, `{ port = 8 }` → an object; anything
/// that is not a TOML value → the text itself.
fn toml_or_text(v: &str) -> serde_json::Value {
    use serde::Deserialize;
    toml::de::ValueDeserializer::parse(v)
        .ok()
        .and_then(|d| serde_json::Value::deserialize(d).ok())
        .unwrap_or_else(|| serde_json::Value::String(v.to_owned()))
}
