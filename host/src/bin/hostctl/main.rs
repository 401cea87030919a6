//! `clusworker-hostctl`: drives a running `clusworker-host` over its
//! control socket.
//!
//! ```sh
//! clusworker-hostctl list
//! clusworker-hostctl online web && clusworker-hostctl wait web online
//! clusworker-hostctl --json state web
//! clusworker-hostctl watch
//! ```
//!
//! Exit codes: 0 done; 1 the host refused the request; 2 the command line
//! is wrong; 3 the host cannot be reached; 4 `wait` timed out; 5 `wait`
//! saw the resource fail, or `check` failed it (its IsAlive said no).

mod cli;
mod render;
mod watch;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use clusworker_host::client::Client;
use clusworker_host::protocol::{Request, Response};

use cli::{Args, Command};

/// The host refused the request.
const REFUSED: u8 = 1;
/// The host cannot be reached, or hung up.
const UNREACHABLE: u8 = 3;
/// `wait`: the time ran out.
const TIMED_OUT: u8 = 4;
/// `wait`: the resource failed instead; `check`: IsAlive said no.
const FAILED: u8 = 5;

fn main() -> ExitCode {
    let args = Args::parse();
    let socket = args
        .socket
        .clone()
        .unwrap_or_else(clusworker_host::paths::default_socket);
    let mut client = match Client::connect(&socket) {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "clusworker-hostctl: cannot reach the host at {}: {e}",
                socket.display()
            );
            return ExitCode::from(UNREACHABLE);
        }
    };
    let request = match args.command.request() {
        Ok(r) => r,
        Err(m) => {
            eprintln!("clusworker-hostctl: {m}");
            return ExitCode::from(2);
        }
    };
    let result = match (&args.command, request) {
        (Command::Watch, _) => watch::run(client, &socket, args.json),
        (_, Some(request @ Request::Events)) => events(&mut client, &request, args.json),
        (command, Some(request)) => once(&mut client, &request, command, args.json),
        (_, None) => Ok(ExitCode::SUCCESS),
    };
    result.unwrap_or_else(|e| {
        eprintln!("clusworker-hostctl: lost the host: {e}");
        ExitCode::from(UNREACHABLE)
    })
}

/// One request, one answer.
fn once(
    client: &mut Client,
    request: &Request,
    command: &Command,
    json: bool,
) -> io::Result<ExitCode> {
    let answer = client.request(request)?;
    let mut out = io::stdout().lock();
    if json {
        write!(out, "{}", answer.to_line())?;
    } else {
        render::answer(&mut out, command, &answer)?;
    }
    Ok(code(request, &answer))
}

fn code(request: &Request, answer: &Response) -> ExitCode {
    if let Some(e) = &answer.error {
        return match e.kind {
            clusworker_host::protocol::ErrorKind::Timeout => ExitCode::from(TIMED_OUT),
            _ => ExitCode::from(REFUSED),
        };
    }
    if answer.alive == Some(false) {
        return ExitCode::from(FAILED);
    }
    if let (Request::Wait { state, .. }, Some(reached)) = (request, &answer.reached) {
        if !reached.eq_ignore_ascii_case(state) {
            return ExitCode::from(FAILED);
        }
    }
    ExitCode::SUCCESS
}

/// `events`: the stream, until the host or the user ends it.
fn events(client: &mut Client, request: &Request, json: bool) -> io::Result<ExitCode> {
    let first = client.request(request)?;
    if !first.ok {
        render::answer(&mut io::stdout().lock(), &Command::Events, &first)?;
        return Ok(ExitCode::from(REFUSED));
    }
    while let Some(line) = client.receive()? {
        let mut out = io::stdout().lock();
        if json {
            write!(out, "{}", line.to_line())?;
        } else if let Some(e) = &line.event {
            writeln!(out, "{}", render::event(e))?;
        }
        out.flush()?;
    }
    Ok(ExitCode::SUCCESS)
}
