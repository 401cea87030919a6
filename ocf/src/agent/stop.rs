//! `stop`: offline the resource (Terminate if that fails), then remove it.

use super::*;

/// Why the host did not take a resource out.
#[derive(Debug)]
pub(super) enum Refused {
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
    pub(super) fn exit(self) -> Exit {
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
pub(super) fn clear(c: &mut Client, v: &ResourceView, budget: &Budget) -> Result<(), Refused> {
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

pub(super) fn stop(t: &Target, op: Operation) -> Result<Exit, Exit> {
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
