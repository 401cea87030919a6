//! `clusworker-host`: the resource host daemon.
//!
//! ```sh
//! clusworker-host host/examples/web.toml          # run it
//! clusworker-host --check host/examples/web.toml  # check the config only
//! ```
//!
//! Exit codes: `clusworker_host::exit` (0 stopped by a signal, 1 could
//! not start, 2 config or command line refused, 3 socket in use, 70 an
//! escalation).

use std::path::PathBuf;

use clap::Parser;
use clusworker_host::config::Config;
use clusworker_host::exit;

/// The clusworker resource host: keeps the resources of CONFIG online
/// under a Resource Monitor, driven through a control socket
/// (clusworker-hostctl).
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Args {
    /// The config file (TOML).
    config: PathBuf,
    /// Check the config (every key, every resource's parameters) and exit:
    /// 0 if it is good, 2 if not. Nothing starts.
    #[arg(long)]
    check: bool,
    /// The control socket, instead of the config's `host.socket`.
    #[arg(long, value_name = "PATH")]
    socket: Option<PathBuf>,
}

fn main() {
    let args = Args::parse();
    let mut config = match Config::load(&args.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("clusworker-host: {e}");
            std::process::exit(exit::CONFIG);
        }
    };
    if let Some(socket) = args.socket {
        config.host.socket = socket;
    }
    if args.check {
        println!(
            "{}: ok, {} resource(s), socket {}",
            args.config.display(),
            config.resources.len(),
            config.host.socket.display()
        );
        std::process::exit(exit::STOPPED);
    }
    let level = config.host.log_level.name();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
    // Every worker the host starts is listed, for `clusworker-hostctl
    // workers`: one entry on each worker's stack, and a load per spawn.
    clusworker::diagnostics::enable();
    // SAFETY: no thread has started yet (the subscriber starts none).
    let code = unsafe { clusworker_host::daemon::run(config) };
    std::process::exit(code);
}
