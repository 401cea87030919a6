//! `start`: add the resource to the host, online it, wait for Online.

use super::stop::{Refused, clear};
use super::*;

pub(super) fn start(p: &Params, op: Operation) -> Result<Exit, Exit> {
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
