//! The daemon: [`run`](fn@run) hosts one monitor, serves the control socket,
//! handles the signals and talks to systemd.
//!
//! Its modules form one chain: `listen`, `signals`, `pace` (leaves) →
//! `host` (the monitor and the host's bookkeeping) → `dispatch` (one
//! request) → `serve` (the socket's threads), `events` (the log),
//! `shutdown` (the ends) → `run`.

mod dispatch;
mod events;
mod host;
mod listen;
mod pace;
mod run;
mod serve;
mod shutdown;
mod signals;

pub use run::run;
