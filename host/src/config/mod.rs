//! The config file: [`Config::load`] reads and checks it whole, and builds
//! every resource, before anything starts.
//!
//! ```toml
//! [host]
//! socket = "/run/clusworker/host.sock"   # default: see paths::default_socket
//! shutdown_timeout = "60s"               # SIGTERM: offline everything within it
//! exit_on_escalation = true              # a hung call: exit 70, to be restarted
//! log_level = "info"                     # error, warn, info, debug, trace
//! max_clients = 64                       # control-socket clients at once
//!
//! [defaults]                             # the monitor's defaults otherwise
//! pending_timeout = "180s"
//! deadlock_timeout = "300s"
//! looks_alive_interval = "5s"            # "0s": never poll
//! is_alive_interval = "60s"
//!
//! [[resource]]
//! name = "web"                           # unique, not empty
//! type = "process"                       # a built-in type (crate::types)
//! online = true                          # bring it online at start
//! pending_timeout = "10s"                # any of the four [defaults] keys
//! [resource.params]                      # the type's own parameters
//! command = ["python3", "-m", "http.server", "8080"]
//! ```
//!
//! Every table refuses keys it does not know, and every refusal is a
//! [`ConfigError`] naming the file, the line and the key, including the
//! errors of a type's own parameters.

mod build;
mod error;
mod file;
mod locate;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clusworker_monitor::{MonitorBuilder, Resource, Timeouts};
use toml::Spanned;
use toml::de::DeTable;

pub use error::ConfigError;
pub use file::LogLevel;

pub(crate) use build::{BuildError, from_json};
pub(crate) use file::TimeoutsTable;

/// A checked config: the host's settings and every resource, built.
#[derive(Debug)]
pub struct Config {
    /// The file it was read from.
    pub file: PathBuf,
    /// `[host]`.
    pub host: HostSettings,
    /// `[defaults]`, completed with the monitor's own defaults.
    pub defaults: ResourceTimeouts,
    /// Every `[[resource]]`, in the file's order.
    pub resources: Vec<ResourceSpec>,
}

/// The `[host]` table, completed with its defaults.
#[derive(Debug, Clone)]
pub struct HostSettings {
    /// The control socket.
    pub socket: PathBuf,
    /// How long a SIGTERM's offlines may take, together, before the rest
    /// is terminated (default 60 s).
    pub shutdown_timeout: Duration,
    /// Exit with [`exit::ESCALATED`](crate::exit::ESCALATED) after a hung
    /// entry point (default true): the resource host's recycle.
    pub exit_on_escalation: bool,
    /// The log level (default info); `RUST_LOG` overrides it.
    pub log_level: LogLevel,
    /// The most control-socket clients at once (default 64).
    pub max_clients: usize,
}

impl HostSettings {
    /// The default `shutdown_timeout`.
    pub const DEFAULT_SHUTDOWN: Duration = Duration::from_secs(60);
    /// The default `max_clients`.
    pub const DEFAULT_MAX_CLIENTS: usize = 64;
}

/// A resource's PendingTimeout, DeadlockTimeout and health-poll intervals
/// (`None`: never polled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceTimeouts {
    /// PendingTimeout, the heartbeat of pending operations.
    pub pending_timeout: Duration,
    /// DeadlockTimeout, the bound on every entry-point call.
    pub deadlock_timeout: Duration,
    /// How often `LooksAlive` is polled while online.
    pub looks_alive_interval: Option<Duration>,
    /// How often `IsAlive` is polled while online.
    pub is_alive_interval: Option<Duration>,
}

impl ResourceTimeouts {
    /// The monitor's defaults (Windows'): 180 s, 300 s, 5 s, 60 s.
    pub const MONITOR: ResourceTimeouts = ResourceTimeouts {
        pending_timeout: Timeouts::DEFAULT_PENDING,
        deadlock_timeout: Timeouts::DEFAULT_DEADLOCK,
        looks_alive_interval: Some(MonitorBuilder::DEFAULT_LOOKS_ALIVE),
        is_alive_interval: Some(MonitorBuilder::DEFAULT_IS_ALIVE),
    };

    /// These, with each key `table` sets replaced.
    pub(crate) fn overridden(self, table: &TimeoutsTable) -> ResourceTimeouts {
        ResourceTimeouts {
            pending_timeout: table.pending_timeout.map_or(self.pending_timeout, |t| t.0),
            deadlock_timeout: table
                .deadlock_timeout
                .map_or(self.deadlock_timeout, |t| t.0),
            looks_alive_interval: table
                .looks_alive_interval
                .map_or(self.looks_alive_interval, |i| i.0),
            is_alive_interval: table
                .is_alive_interval
                .map_or(self.is_alive_interval, |i| i.0),
        }
    }

    /// The monitor's [`Timeouts`] (PendingTimeout never beyond
    /// DeadlockTimeout in effect, as the monitor says).
    pub fn monitor_timeouts(&self) -> Timeouts {
        // Both are at least Timeouts::MIN: checked where they were read.
        Timeouts::new(self.pending_timeout, self.deadlock_timeout)
            .unwrap_or(Timeouts::new(Timeouts::MIN, Timeouts::MIN).expect("the minimum is valid"))
    }
}

/// One `[[resource]]`, built.
#[derive(Clone)]
pub struct ResourceSpec {
    /// Its name, unique in the file.
    pub name: String,
    /// Its type.
    pub type_name: String,
    /// Bring it online when the host starts.
    pub online: bool,
    /// Its timeouts: its own keys, else `[defaults]`, else the monitor's.
    pub timeouts: ResourceTimeouts,
    /// `[resource.params]`, as written.
    pub params: toml::Table,
    /// The resource its type built.
    pub resource: Arc<dyn Resource>,
}

impl fmt::Debug for ResourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceSpec")
            .field("name", &self.name)
            .field("type_name", &self.type_name)
            .field("online", &self.online)
            .field("timeouts", &self.timeouts)
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Reads `file`, checks it, and builds every resource (nothing starts).
    ///
    /// # Errors
    ///
    /// [`ConfigError::Read`], or [`ConfigError::Invalid`] naming the line
    /// and key of the first problem: a syntax error, an unknown key, a bad
    /// value, a duplicate or empty name, an unknown type, a type's own
    /// parameter missing or wrong.
    pub fn load(file: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(file).map_err(|error| ConfigError::Read {
            file: file.to_owned(),
            error,
        })?;
        Config::parse(file, &text)
    }

    /// As [`load`](Self::load), from the file's text.
    ///
    /// # Errors
    ///
    /// As [`load`](Self::load).
    pub fn parse(file: &Path, text: &str) -> Result<Config, ConfigError> {
        let invalid = |span: Option<std::ops::Range<usize>>, message: &str| {
            let place = locate::place(text, span, message);
            ConfigError::Invalid {
                file: file.to_owned(),
                line: place.line,
                column: place.column,
                key: place.key,
                message: message.trim().to_owned(),
            }
        };
        let raw: file::File = toml::from_str(text).map_err(|e| invalid(e.span(), e.message()))?;

        let socket = match raw.host.socket {
            None => crate::paths::default_socket(),
            Some(p) if p.is_absolute() => p,
            // Relative to the config's folder, not to wherever the host runs.
            Some(p) => file.parent().unwrap_or(Path::new(".")).join(p),
        };
        let host = HostSettings {
            socket,
            shutdown_timeout: raw
                .host
                .shutdown_timeout
                .map_or(HostSettings::DEFAULT_SHUTDOWN, |t| t.0),
            exit_on_escalation: raw.host.exit_on_escalation.unwrap_or(true),
            log_level: raw.host.log_level.unwrap_or(LogLevel::Info),
            max_clients: raw
                .host
                .max_clients
                .map_or(HostSettings::DEFAULT_MAX_CLIENTS, |c| c.0),
        };
        let defaults = ResourceTimeouts::MONITOR.overridden(&raw.defaults);

        // The file again, keeping every span, for the types' own checks.
        let doc = DeTable::parse(text).map_err(|e| invalid(e.span(), e.message()))?;
        let mut resources: Vec<ResourceSpec> = Vec::with_capacity(raw.resource.len());
        for (index, table) in raw.resource.into_iter().enumerate() {
            let at = table.span();
            let table = table.into_inner();
            let name = table.name.get_ref();
            if name.trim().is_empty() {
                return Err(invalid(
                    Some(table.name.span()),
                    "a resource's name is empty",
                ));
            }
            if resources.iter().any(|r| r.name == *name) {
                let message = format!("duplicate resource name {name:?}");
                return Err(invalid(Some(table.name.span()), &message));
            }
            let timeouts = defaults.overridden(&table.timeouts());
            let resource = build::from_config(&doc, index, name, &table.type_name, at).map_err(
                |(span, message, key)| match (invalid(span, &message), key) {
                    (
                        ConfigError::Invalid {
                            file,
                            line,
                            column,
                            message,
                            ..
                        },
                        Some(key),
                    ) => ConfigError::Invalid {
                        file,
                        line,
                        column,
                        key,
                        message,
                    },
                    (e, _) => e,
                },
            )?;
            resources.push(ResourceSpec {
                name: name.clone(),
                type_name: table.type_name.get_ref().clone(),
                online: table.online,
                timeouts,
                params: table.params.map(Spanned::into_inner).unwrap_or_default(),
                resource,
            });
        }
        Ok(Config {
            file: file.to_owned(),
            host,
            defaults,
            resources,
        })
    }
}
