//! The actions: [`run`] carries one out and says how it ended.
//!
//! | action | does |
//! |---|---|
//! | `start` | adds the resource to the host (from the parameters) and onlines it; waits for Online (0) or Failed (1), and gives up (1, terminating it) a margin before the operation's timeout |
//! | `stop` | offlines it, Terminate if the offline fails or it is not Online, removes it; 0 when it is gone |
//! | `monitor` | its state in the host ([`exit::monitor`]); at `OCF_CHECK_LEVEL` 10 and above, after an IsAlive now (the host's `check`) |
//! | `validate-all` | reads the parameters and builds the resource without a host (0, 2, 5 or 6) |
//! | `meta-data` | prints the XML |
//! | anything else | 3 |

use std::collections::HashMap;
use std::path::PathBuf;
use std::thread;
use std::time::{Duration, Instant};

use clusworker_host::client::Client;
use clusworker_host::protocol::{ErrorKind, Request, ResourceView, Response};
use clusworker_host::types::{self, ResourceType};

use crate::exit::{self, Code, Exit, because, why};
use crate::link::{self, ask};
use crate::metadata;
use crate::params::{Operation, Params, ROOT_SOCKET};

/// The usage line.
pub(crate) const USAGE: &str =
    "usage: clusworker-ocf {start|stop|monitor|validate-all|meta-data|usage}";

/// Carries out `action` with the environment `env`.
pub(crate) fn run(action: &str, env: &HashMap<String, String>) -> Exit {
    let result = match action {
        "meta-data" => {
            print!("{}", metadata::xml());
            Ok(Exit::OK)
        }
        "usage" | "help" => {
            println!("{USAGE}");
            Ok(Exit::OK)
        }
        "start" => Operation::read(env).and_then(|op| start(&Params::read(env)?, op)),
        "stop" => Operation::read(env).and_then(|op| stop(&target(env)?, op)),
        "monitor" | "status" => Operation::read(env).and_then(|op| monitor(&target(env)?, op)),
        "validate-all" => Params::read(env).and_then(|p| validate(&p)),
        other => Ok(Exit::new(
            Code::Unimplemented,
            format!("action {other:?} is not implemented ({USAGE})"),
        )),
    };
    result.unwrap_or_else(|e| e)
}

/// What stop and monitor need: the name and the socket. They read no
/// other parameter, so that a resource whose parameters went wrong can
/// still be stopped and probed.
#[derive(Debug)]
struct Target {
    name: String,
    socket: PathBuf,
}

fn target(env: &HashMap<String, String>) -> Result<Target, Exit> {
    let name = env
        .get("OCF_RESOURCE_INSTANCE")
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Exit::new(Code::Args, "OCF_RESOURCE_INSTANCE is not set"))?;
    let socket = env
        .get("OCF_RESKEY_socket")
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .unwrap_or(ROOT_SOCKET);
    Ok(Target {
        name: name.to_owned(),
        socket: PathBuf::from(socket),
    })
}

/// The agent's own deadline: the operation's timeout less a margin (a
/// tenth, between 1 s and 5 s, and never more than a quarter), so that it
/// answers before Pacemaker kills it.
pub(crate) fn margin(timeout: Duration) -> Duration {
    (timeout / 10)
        .clamp(Duration::from_secs(1), Duration::from_secs(5))
        .min(timeout / 4)
}

struct Budget {
    begun: Instant,
    op: Operation,
}

impl Budget {
    fn new(op: Operation) -> Budget {
        Budget {
            begun: Instant::now(),
            op,
        }
    }
    fn deadline(&self) -> Instant {
        self.begun + self.op.timeout - margin(self.op.timeout)
    }
    fn left(&self) -> Duration {
        self.deadline().saturating_duration_since(Instant::now())
    }
    fn left_ms(&self) -> u64 {
        u64::try_from(self.left().as_millis()).unwrap_or(u64::MAX)
    }
    fn gave_up(&self, what: &str) -> Exit {
        Exit::new(
            Code::Generic,
            format!(
                "gave up after {:.1}s, {:.1}s before the operation's timeout ({}s): {what}",
                self.begun.elapsed().as_secs_f64(),
                margin(self.op.timeout).as_secs_f64(),
                self.op.timeout.as_secs_f64()
            ),
        )
    }
}

/// The resource as the host shows it, or `None` if the host has none of
/// that name.
fn state(c: &mut Client, name: &str) -> Result<Option<ResourceView>, Exit> {
    let r = ask(
        c,
        &Request::State {
            name: name.to_owned(),
        },
    )?;
    if r.ok {
        return Ok(r.resource);
    }
    match r.error {
        Some(e) if e.kind == ErrorKind::UnknownResource => Ok(None),
        e => Err(refusal("state", e.as_ref().map(|e| e.to_string()))),
    }
}

fn refusal(what: &str, message: Option<String>) -> Exit {
    Exit::new(
        Code::Generic,
        format!(
            "the host refused {what}: {}",
            message.unwrap_or_else(|| "no reason given".to_owned())
        ),
    )
}

fn error_text(r: &Response) -> String {
    r.error
        .as_ref()
        .map_or_else(|| "no reason given".to_owned(), |e| e.to_string())
}

mod start;
mod stop;
#[cfg(test)]
mod tests;

use start::start;
use stop::stop;

/// The depth at and above which `monitor` asks for an IsAlive now.
const DEEP: u32 = 10;

fn monitor(t: &Target, op: Operation) -> Result<Exit, Exit> {
    let Some(mut c) = link::connect(&t.socket)? else {
        return Ok(Exit::bare(Code::NotRunning));
    };
    // Depth 0 reads the state the host keeps with its LooksAlive polls (and
    // the process watch); deeper, the host calls IsAlive now.
    let v = if op.depth >= DEEP {
        checked(&mut c, &t.name)?
    } else {
        state(&mut c, &t.name)?
    };
    Ok(exit::monitor(v.as_ref()))
}

/// The resource after an IsAlive now (the host's `check`: a no fails it),
/// or as it is when the host would not check it (not online, terminating,
/// isolated: its state says so). `None` if the host has none of that name.
fn checked(c: &mut Client, name: &str) -> Result<Option<ResourceView>, Exit> {
    let r = ask(
        c,
        &Request::Check {
            name: name.to_owned(),
        },
    )?;
    if r.ok {
        return Ok(r.resource);
    }
    match r.error {
        Some(e) if e.kind == ErrorKind::UnknownResource => Ok(None),
        // A host from before `check`: its polls' state, as at depth 0.
        Some(e) if e.kind == ErrorKind::UnknownOp => state(c, name),
        Some(_) if r.resource.is_some() => Ok(r.resource),
        e => Err(refusal("check", e.as_ref().map(|e| e.to_string()))),
    }
}

/// Checks the parameters without a host: builds the resource (and drops
/// it: it runs nothing until it is brought online), looks for the
/// command's program and the host's.
fn validate(p: &Params) -> Result<Exit, Exit> {
    let ty: ResourceType = p
        .type_name
        .parse()
        .map_err(|e| Exit::new(Code::Configured, format!("parameter type: {e}")))?;
    let params = serde_json::Value::Object(p.params.clone());
    drop(
        types::create(ty, &p.name, params)
            .map_err(|e| Exit::new(Code::Configured, e.to_string()))?,
    );
    if p.pending_timeout() > p.deadlock_timeout() {
        return Err(Exit::new(
            Code::Configured,
            "parameter pending_timeout: more than deadlock_timeout",
        ));
    }
    if ty == ResourceType::Process
        && let Some(program) = p
            .params
            .get("command")
            .and_then(|c| c.get(0))
            .and_then(serde_json::Value::as_str)
        && link::find_program(program.as_ref()).is_none()
    {
        return Err(link::not_installed(program.as_ref()));
    }
    if p.start_host
        && link::connect(&p.socket)?.is_none()
        && link::find_program(&p.host_binary).is_none()
    {
        return Err(link::not_installed(&p.host_binary));
    }
    Ok(Exit::OK)
}
