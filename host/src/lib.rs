//! The clusworker resource host: one [`Monitor`](clusworker_monitor::Monitor)
//! as a program. Resources are declared in a TOML file, driven through a
//! control socket, and reported to systemd.

pub mod duration;
pub mod types;
