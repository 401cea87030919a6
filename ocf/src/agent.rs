//! The actions: [`run`] carries one out and says how it ended.
//!
//! | action | does |
//! |---|---|
//! | `start` | adds the resource to the host (from the parameters) and onlines it; waits for Online (0) or Failed (1), and gives up (1, terminating it) a margin before the operation's timeout |
//! | `stop` | offlines it, Terminate if the offline fails or it is not Online, removes it; 0 when it is gone |
//! | `monitor` | its state in the host ([`exit::monitor`]) |
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

fn start(p: &Params, op: Operation) -> Result<Exit, Exit> {
    let budget = Budget::new(op);
    let built = validate(p)?;
    if built.code != Code::Success {
        return Ok(built);
    }
    let mut c = link::connect_or_start(p, budget.deadline())?;
    if let Some(v) = state(&mut c, &p.name)? {
        match v.state.as_str() {
            "Online" if !v.isolated => return Ok(Exit::OK),
            "OnlinePending" if !v.isolated => return wait_online(&mut c, p, &budget),
            // Anything else is cleared away, so that the resource starts
            // with the parameters it has now.
            _ => clear(&mut c, &v, &budget).map_err(Refused::exit)?,
        }
    }
    let r = ask(
        &mut c,
        &Request::Add {
            name: p.name.clone(),
            type_name: p.type_name.clone(),
            params: p.params.clone(),
            timeouts: p.timeouts.clone(),
            online: true,
        },
    )?;
    if !r.ok {
        let kind = r.error.as_ref().map(|e| e.kind);
        let code = match kind {
            Some(ErrorKind::BadParams | ErrorKind::UnknownType) => Code::Configured,
            _ => Code::Generic,
        };
        return Ok(Exit::new(
            code,
            format!("the host refused add: {}", error_text(&r)),
        ));
    }
    match &r.resource {
        Some(v) if v.state == "Online" => Ok(Exit::OK),
        Some(v) if v.state == "Failed" => Ok(Exit::new(Code::Generic, failed(v, &r))),
        _ => wait_online(&mut c, p, &budget),
    }
}

/// The reason of a failed online: why, and the code the online returned.
fn failed(v: &ResourceView, r: &Response) -> String {
    match r.outcome {
        Some(o) if o.code != 0 && o.code != 997 => {
            format!("{} (the online returned code {})", why(v), o.code)
        }
        _ => why(v),
    }
}

/// How long one `wait` request lasts: the agent asks again after it, to
/// learn the latest checkpoint (a failed resource shows none).
const WAIT_SLICE: Duration = Duration::from_millis(250);

fn wait_online(c: &mut Client, p: &Params, budget: &Budget) -> Result<Exit, Exit> {
    let mut checkpoint = None;
    loop {
        let slice = budget.left().min(WAIT_SLICE);
        let r = ask(
            c,
            &Request::Wait {
                name: p.name.clone(),
                state: "Online".into(),
                timeout_ms: u64::try_from(slice.as_millis()).unwrap_or(u64::MAX),
            },
        )?;
        if let Some(cp) = r.resource.as_ref().and_then(|v| v.checkpoint) {
            checkpoint = Some(cp);
        }
        if r.ok {
            return Ok(match (r.reached.as_deref(), &r.resource) {
                (Some("Online"), _) => Exit::OK,
                (_, Some(v)) => Exit::new(Code::Generic, because(v, checkpoint)),
                _ => Exit::new(
                    Code::Generic,
                    "the host's wait answered without the resource",
                ),
            });
        }
        let timed_out = r
            .error
            .as_ref()
            .is_some_and(|e| e.kind == ErrorKind::Timeout);
        if !timed_out {
            return Ok(refusal("wait", Some(error_text(&r))));
        }
        if budget.left().is_zero() {
            // Out of time: end the pending online, so that nothing comes
            // online after Pacemaker was told the start failed.
            let what = r
                .resource
                .as_ref()
                .map_or_else(|| "still pending".to_owned(), |v| because(v, checkpoint));
            let _ = ask(
                c,
                &Request::Terminate {
                    name: p.name.clone(),
                },
            );
            return Ok(budget.gave_up(&format!("{what} (terminated)")));
        }
    }
}

/// Why the host did not take a resource out.
#[derive(Debug)]
enum Refused {
    /// The host is shutting down (after a SIGTERM, or recycling after an
    /// escalation): it stops every resource itself, then exits.
    Leaving,
    /// Anything else.
    Failed(Exit),
}

impl From<Exit> for Refused {
    fn from(e: Exit) -> Refused {
        Refused::Failed(e)
    }
}

impl Refused {
    fn exit(self) -> Exit {
        match self {
            Refused::Leaving => Exit::new(Code::Generic, "the host is shutting down"),
            Refused::Failed(e) => e,
        }
    }
}

fn leaving(r: &Response) -> bool {
    r.error
        .as_ref()
        .is_some_and(|e| e.kind == ErrorKind::ShuttingDown)
}

/// Takes `v` out of the host: Terminate unless Offline, then remove.
fn clear(c: &mut Client, v: &ResourceView, budget: &Budget) -> Result<(), Refused> {
    let name = &v.name;
    if v.state != "Offline" {
        let r = ask(c, &Request::Terminate { name: name.clone() })?;
        if leaving(&r) {
            return Err(Refused::Leaving);
        }
        if !r.ok
            && r.error
                .as_ref()
                .is_some_and(|e| e.kind == ErrorKind::Isolated)
        {
            return Err(Refused::Failed(Exit::new(
                Code::Generic,
                format!("{}: the host cannot stop it ({})", why(v), error_text(&r)),
            )));
        }
    }
    remove(c, name, budget)
}

/// Removes `name`, retrying while a call of it has not returned.
fn remove(c: &mut Client, name: &str, budget: &Budget) -> Result<(), Refused> {
    loop {
        let r = ask(
            c,
            &Request::Remove {
                name: name.to_owned(),
            },
        )?;
        let kind = r.error.as_ref().map(|e| e.kind);
        match kind {
            None if r.ok => return Ok(()),
            Some(ErrorKind::UnknownResource) => return Ok(()),
            Some(ErrorKind::ShuttingDown) => return Err(Refused::Leaving),
            Some(ErrorKind::Busy | ErrorKind::Terminating | ErrorKind::NotRemovable)
                if !budget.left().is_zero() =>
            {
                thread::sleep(Duration::from_millis(50));
            }
            _ => return Err(refusal("remove", Some(error_text(&r))).into()),
        }
    }
}

fn stop(t: &Target, op: Operation) -> Result<Exit, Exit> {
    let budget = Budget::new(op);
    // No host: nothing of it runs (a host that was SIGKILLed may have
    // left processes behind: see the README).
    let Some(mut c) = link::connect(&t.socket)? else {
        return Ok(Exit::OK);
    };
    let Some(v) = state(&mut c, &t.name)? else {
        return Ok(Exit::OK);
    };
    match take_out(&mut c, t, &v, &budget) {
        Ok(()) => Ok(Exit::OK),
        // The host went away while we talked: as a host that leaves.
        Err(Refused::Failed(_)) if matches!(link::connect(&t.socket), Ok(None)) => {
            Ok(host_gone(t, &v, &budget))
        }
        Err(Refused::Failed(e)) => Ok(e),
        Err(Refused::Leaving) => Ok(host_gone(t, &v, &budget)),
    }
}

/// Offline (waited for), Terminate if that fails, remove.
fn take_out(c: &mut Client, t: &Target, v: &ResourceView, budget: &Budget) -> Result<(), Refused> {
    let mut offline = v.state == "Offline" && !v.isolated;
    if v.state == "Online" && !v.isolated {
        let r = ask(
            c,
            &Request::Offline {
                name: t.name.clone(),
            },
        )?;
        if leaving(&r) {
            return Err(Refused::Leaving);
        }
        if r.ok {
            let w = ask(
                c,
                &Request::Wait {
                    name: t.name.clone(),
                    state: "Offline".into(),
                    timeout_ms: budget.left_ms(),
                },
            )?;
            offline = w.ok && w.reached.as_deref() == Some("Offline");
        }
    }
    let now = if offline { None } else { state(c, &t.name)? };
    match now {
        Some(v) => clear(c, &v, budget),
        None => remove(c, &t.name, budget),
    }
}

/// The host is shutting down: it stops every resource itself (an
/// Offline, then Terminate), then exits. Stopped once it has exited,
/// unless the resource was isolated (an entry point hung past
/// DeadlockTimeout: nothing says its process is gone, so the stop fails
/// and Pacemaker escalates, by fencing where it can).
fn host_gone(t: &Target, seen: &ResourceView, budget: &Budget) -> Exit {
    let mut isolated = seen.isolated;
    loop {
        match link::connect(&t.socket) {
            Ok(None) => break,
            Ok(Some(mut c)) => {
                if let Ok(Some(v)) = state(&mut c, &t.name) {
                    isolated |= v.isolated;
                }
            }
            Err(_) => {}
        }
        if budget.left().is_zero() {
            return budget.gave_up("the host is shutting down and has not exited yet");
        }
        thread::sleep(Duration::from_millis(100));
    }
    if isolated {
        return Exit::new(
            Code::Generic,
            format!(
                "{}: an entry point hung past DeadlockTimeout and the host exited (recycled); \
                 nothing shows that its processes are gone",
                t.name
            ),
        );
    }
    Exit::OK
}

fn monitor(t: &Target, op: Operation) -> Result<Exit, Exit> {
    // Both depths read the state the host keeps with its own polls:
    // LooksAlive every looks_alive_interval, IsAlive every
    // is_alive_interval (the host has no request that runs a poll now).
    let _ = op.depth;
    let Some(mut c) = link::connect(&t.socket)? else {
        return Ok(Exit::bare(Code::NotRunning));
    };
    let v = state(&mut c, &t.name)?;
    Ok(exit::monitor(v.as_ref()))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        let mut m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (format!("OCF_RESKEY_{k}"), (*v).to_owned()))
            .collect();
        m.insert("OCF_RESOURCE_INSTANCE".into(), "unit".into());
        m.insert(
            "OCF_RESKEY_socket".into(),
            "/nonexistent/clusworker-ocf/host.sock".into(),
        );
        m
    }

    #[test]
    fn the_margin_leaves_time_to_answer() {
        assert_eq!(margin(Duration::from_secs(20)), Duration::from_secs(2));
        assert_eq!(margin(Duration::from_secs(120)), Duration::from_secs(5));
        assert_eq!(margin(Duration::from_secs(5)), Duration::from_secs(1));
        assert_eq!(margin(Duration::from_secs(2)), Duration::from_millis(500));
        assert_eq!(margin(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn unknown_actions_are_unimplemented() {
        for a in ["promote", "reload", "", "START"] {
            assert_eq!(run(a, &env(&[])).code, Code::Unimplemented, "{a:?}");
        }
    }

    #[test]
    fn validate_all_answers_each_code_with_a_reason() {
        let ok = env(&[("command", "sleep 60"), ("host_binary", "/bin/sh")]);
        assert_eq!(run("validate-all", &ok), Exit::OK);
        for (pairs, want, words) in [
            (
                vec![("type", "widget")],
                Code::Configured,
                "unknown resource type",
            ),
            (
                vec![("command", "sleep 60"), ("check_timeout", "0s")],
                Code::Configured,
                "check_timeout",
            ),
            (
                vec![("params", "{\"steps\": 1}")],
                Code::Configured,
                "command",
            ),
            (
                vec![("command", "no-such-program-clusworker")],
                Code::Installed,
                "no-such-program",
            ),
            (
                vec![
                    ("command", "sleep 1"),
                    ("host_binary", "/nonexistent/clusworker-host"),
                ],
                Code::Installed,
                "clusworker-host",
            ),
            (
                vec![
                    ("command", "sleep 1"),
                    ("pending_timeout", "2m"),
                    ("host_binary", "/bin/sh"),
                ],
                Code::Configured,
                "pending_timeout",
            ),
        ] {
            let e = run("validate-all", &env(&pairs));
            assert_eq!(e.code, want, "{pairs:?}: {e}");
            let reason = e.reason.unwrap_or_default();
            assert!(
                reason.contains(words),
                "{pairs:?}: want {words:?} in {reason:?}"
            );
        }
        let mut no_name = ok.clone();
        no_name.remove("OCF_RESOURCE_INSTANCE");
        assert_eq!(run("validate-all", &no_name).code, Code::Args);
    }

    #[test]
    fn without_a_host_monitor_is_not_running_and_stop_succeeds() {
        let e = env(&[("command", "sleep 60")]);
        assert_eq!(run("monitor", &e).code, Code::NotRunning);
        assert_eq!(run("stop", &e), Exit::OK);
        // stop and monitor read no parameter but the name and socket.
        let bad = env(&[("command", "["), ("bogus", "1")]);
        assert_eq!(run("monitor", &bad).code, Code::NotRunning);
        assert_eq!(run("stop", &bad), Exit::OK);
        assert_eq!(run("start", &bad).code, Code::Configured);
    }

    #[test]
    fn start_without_a_host_to_start_says_so() {
        let e = env(&[("command", "sleep 60"), ("start_host", "false")]);
        let got = run("start", &e);
        assert_eq!(got.code, Code::Generic, "{got}");
        assert!(got.reason.unwrap_or_default().contains("start_host=false"));
    }
}
