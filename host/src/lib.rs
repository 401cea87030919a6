//! The clusworker resource host: one [`Monitor`](clusworker_monitor::Monitor)
//! as a program. Resources are declared in a TOML file ([`config`]),
//! driven through a control socket ([`protocol`], [`client`]), logged
//! through `tracing` ([`log`]) and reported to systemd ([`notify`]).
//!
//! - [`config`]: the config file, checked whole before anything starts.
//! - [`daemon::run`]: the host, from start to exit ([`exit`] lists its
//!   codes).
//! - [`protocol`]: the control socket's line-delimited JSON.
//! - [`client`]: a client of it, as `clusworker-hostctl` uses.
//! - [`notify`]: systemd's `Type=notify` protocol.
//! - [`types`]: the built-in resource types; [`duration`]: `"30s"`.
//! - [`paths`]: where the socket is by default.

pub mod client;
pub mod config;
pub mod daemon;
pub mod duration;
pub mod exit;
pub mod log;
pub mod notify;
pub mod paths;
pub mod protocol;
pub mod types;
