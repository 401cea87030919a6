//! One request, carried out: [`handle`] turns a [`Request`] (other than
//! `events`, which [`serve`](super::serve) streams) into its [`Response`].
//! A refused request changes nothing, except where the monitor says a
//! call began and then hung or panicked.

use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use clusworker_monitor::{MonitorError, Outcome, ResourceId, ResourceState};

use super::host::Host;
use crate::config::{BuildError, TimeoutsTable, from_json};
use crate::protocol::{ErrorKind, OutcomeView, Request, Response, WorkerView, parse_state};

/// Carries out `request`.
pub(crate) fn handle(host: &Host, request: Request) -> Response {
    let changes = matches!(
        request,
        Request::Online { .. }
            | Request::Offline { .. }
            | Request::Terminate { .. }
            | Request::Add { .. }
            | Request::Remove { .. }
    );
    if changes && host.stopping() {
        let view = request
            .name()
            .and_then(|n| host.id(n).ok())
            .and_then(|id| host.view(id, false));
        return Response::error(ErrorKind::ShuttingDown, "the host is shutting down")
            .with_resource(view);
    }
    let result = match request {
        Request::Online { name } => operate(host, &name, |h, id| h.monitor.online(id).map(Some)),
        Request::Offline { name } => operate(host, &name, |h, id| h.monitor.offline(id).map(Some)),
        Request::Terminate { name } => {
            operate(host, &name, |h, id| h.monitor.terminate(id).map(|()| None))
        }
        Request::Check { name } => check(host, &name),
        Request::State { name } => show(host, &name, false),
        Request::Info { name } => show(host, &name, true),
        Request::List => Ok(Response {
            resources: Some(host.views()),
            ..Response::ok()
        }),
        Request::Workers => Ok(Response {
            workers: Some(
                clusworker::diagnostics::workers()
                    .iter()
                    .map(WorkerView::new)
                    .collect(),
            ),
            ..Response::ok()
        }),
        Request::Add {
            name,
            type_name,
            params,
            timeouts,
            online,
        } => add(host, &name, &type_name, params, timeouts, online),
        Request::Remove { name } => host
            .remove(&name)
            .map(|()| Response::ok())
            .map_err(|e| (e, None)),
        Request::Wait {
            name,
            state,
            timeout_ms,
        } => wait(host, &name, &state, Duration::from_millis(timeout_ms)),
        Request::Events => Err((
            (
                ErrorKind::Malformed,
                "events is answered by the connection".to_owned(),
            ),
            None,
        )),
    };
    match result {
        Ok(r) => r,
        Err(((kind, message), id)) => {
            Response::error(kind, message).with_resource(id.and_then(|id| host.view(id, false)))
        }
    }
}

/// A refusal, and the resource to show with it.
type Refusal = ((ErrorKind, String), Option<ResourceId>);

fn refused(e: &MonitorError, id: ResourceId) -> Refusal {
    ((ErrorKind::of(e), e.to_string()), Some(id))
}

/// Calls an entry point through the monitor, then answers with what it
/// returned and the resource as it is after the call (its last event is
/// the call's own, taken from a subscription made before it).
fn operate(
    host: &Host,
    name: &str,
    call: impl FnOnce(&Host, ResourceId) -> Result<Option<Outcome>, MonitorError>,
) -> Result<Response, Refusal> {
    let id = host.id(name).map_err(|e| (e, None))?;
    let events = host.monitor.subscribe();
    let result = call(host, id);
    if let Some(last) = events.try_iter().filter(|e| e.resource == id).last() {
        host.record(&last);
    }
    let outcome = result.map_err(|e| refused(&e, id))?;
    Ok(Response {
        outcome: outcome.map(OutcomeView::new),
        resource: host.view(id, false),
        ..Response::ok()
    })
}

/// Calls the resource's `IsAlive` now; answers with what it said and the
/// resource as it is after it (`Failed` when it said no).
fn check(host: &Host, name: &str) -> Result<Response, Refusal> {
    let id = host.id(name).map_err(|e| (e, None))?;
    let events = host.monitor.subscribe();
    let alive = host.monitor.is_alive(id);
    if let Some(last) = events.try_iter().filter(|e| e.resource == id).last() {
        host.record(&last);
    }
    let alive = alive.map_err(|e| refused(&e, id))?;
    Ok(Response {
        alive: Some(alive),
        resource: host.view(id, false),
        ..Response::ok()
    })
}

fn show(host: &Host, name: &str, details: bool) -> Result<Response, Refusal> {
    let id = host.id(name).map_err(|e| (e, None))?;
    Ok(Response {
        resource: host.view(id, details),
        ..Response::ok()
    })
}

fn add(
    host: &Host,
    name: &str,
    type_name: &str,
    params: serde_json::Map<String, serde_json::Value>,
    timeouts: serde_json::Map<String, serde_json::Value>,
    online: bool,
) -> Result<Response, Refusal> {
    let bad = |m: String| ((ErrorKind::BadParams, m), None);
    if name.trim().is_empty() {
        return Err(bad("a resource's name is empty".to_owned()));
    }
    let table: TimeoutsTable = serde_json::from_value(serde_json::Value::Object(timeouts))
        .map_err(|e| bad(format!("timeouts: {e}")))?;
    let timeouts = host.defaults.overridden(&table);
    let params = serde_json::Value::Object(params);
    let resource = from_json(type_name, name, params.clone()).map_err(|e| match e {
        BuildError::UnknownType(m) => ((ErrorKind::UnknownType, m), None),
        BuildError::Params(m) => bad(m),
    })?;
    let id = host
        .add(name, type_name, timeouts, params, resource)
        .map_err(|e| (e, None))?;
    if online {
        return operate(host, name, |h, id| h.monitor.online(id).map(Some));
    }
    Ok(Response {
        resource: host.view(id, false),
        ..Response::ok()
    })
}

/// Waits for the resource to be in `state`, or Failed, for at most `limit`.
fn wait(host: &Host, name: &str, state: &str, limit: Duration) -> Result<Response, Refusal> {
    let Some(target) = parse_state(state) else {
        let names: Vec<_> = ResourceState::ALL.iter().map(|s| s.name()).collect();
        let m = format!("{state:?} is not a state; one of {}", names.join(", "));
        return Err(((ErrorKind::BadState, m), None));
    };
    let id = host.id(name).map_err(|e| (e, None))?;
    let deadline = far(limit);
    // Subscribe first, then look: no transition falls between the two.
    let events = host.monitor.subscribe();
    let now = host.monitor.state(id).map_err(|e| refused(&e, id))?;
    let settled = |s: ResourceState| s == target || s == ResourceState::Failed;
    let mut reached = settled(now).then_some(now);
    while reached.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        match events.recv_timeout(left) {
            Ok(e) if e.resource == id && settled(e.to) => {
                host.record(&e);
                reached = Some(e.to);
            }
            Ok(_) => {}
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                let m = format!(
                    "{name} did not reach {target} (or Failed) within {}",
                    crate::duration::format(limit)
                );
                return Err(((ErrorKind::Timeout, m), Some(id)));
            }
        }
    }
    Ok(Response {
        reached: reached.map(|s| s.name().to_owned()),
        resource: host.view(id, false),
        ..Response::ok()
    })
}

/// Now plus `d`, or a century from now when that does not fit an
/// `Instant` (`"timeout_ms": 18446744073709551615`).
pub(crate) fn far(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 86_400)))
        .unwrap_or(now)
}
