//! The config file's shape, as serde reads it: every table refuses unknown
//! keys, and every duration is checked against its minimum where it is
//! written, so the error's span is the value's.

use std::path::PathBuf;
use std::time::Duration;

use clusworker_monitor::Timeouts;
use serde::{Deserialize, Deserializer};
use toml::Spanned;

use crate::duration;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct File {
    #[serde(default)]
    pub(crate) host: HostTable,
    #[serde(default)]
    pub(crate) defaults: TimeoutsTable,
    #[serde(default)]
    pub(crate) resource: Vec<Spanned<ResourceTable>>,
}

/// `[host]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HostTable {
    pub(crate) socket: Option<PathBuf>,
    pub(crate) shutdown_timeout: Option<Timeout>,
    pub(crate) exit_on_escalation: Option<bool>,
    pub(crate) log_level: Option<LogLevel>,
    pub(crate) max_clients: Option<Clients>,
}

/// `[defaults]`, and the same four keys in a `[[resource]]`.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TimeoutsTable {
    pub(crate) pending_timeout: Option<Timeout>,
    pub(crate) deadlock_timeout: Option<Timeout>,
    pub(crate) looks_alive_interval: Option<Interval>,
    pub(crate) is_alive_interval: Option<Interval>,
}

/// One `[[resource]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResourceTable {
    pub(crate) name: Spanned<String>,
    #[serde(rename = "type")]
    pub(crate) type_name: Spanned<String>,
    #[serde(default = "yes")]
    pub(crate) online: bool,
    // The four of TimeoutsTable, written out: serde's `flatten` would lose
    // both `deny_unknown_fields` and the spans.
    pub(crate) pending_timeout: Option<Timeout>,
    pub(crate) deadlock_timeout: Option<Timeout>,
    pub(crate) looks_alive_interval: Option<Interval>,
    pub(crate) is_alive_interval: Option<Interval>,
    /// Read by the resource's type, from the file's spans (`build`).
    pub(crate) params: Option<Spanned<toml::Table>>,
}

impl ResourceTable {
    /// The resource's own timeouts, as a `[defaults]` table.
    pub(crate) fn timeouts(&self) -> TimeoutsTable {
        TimeoutsTable {
            pending_timeout: self.pending_timeout,
            deadlock_timeout: self.deadlock_timeout,
            looks_alive_interval: self.looks_alive_interval,
            is_alive_interval: self.is_alive_interval,
        }
    }
}

fn yes() -> bool {
    true
}

/// The log levels of `host.log_level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Errors only.
    Error,
    /// Warnings and errors.
    Warn,
    /// Every event of every resource (the default).
    Info,
    /// And the host's own steps.
    Debug,
    /// Everything.
    Trace,
}

impl LogLevel {
    /// The level's name, as `RUST_LOG` writes it.
    pub fn name(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

/// A timeout: a duration of at least the monitor's minimum, 10 ms.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeout(pub(crate) Duration);

impl<'de> Deserialize<'de> for Timeout {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = duration::deserialize(d)?;
        if value < Timeouts::MIN {
            return Err(serde::de::Error::custom(format!(
                "{:?} is below the minimum of 10ms",
                duration::format(value)
            )));
        }
        Ok(Timeout(value))
    }
}

/// A health-poll interval: `"0s"` turns the poll off, anything else is at
/// least 10 ms.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Interval(pub(crate) Option<Duration>);

impl<'de> Deserialize<'de> for Interval {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = duration::deserialize(d)?;
        if value.is_zero() {
            return Ok(Interval(None));
        }
        if value < Timeouts::MIN {
            return Err(serde::de::Error::custom(format!(
                "{:?} is below the minimum of 10ms (\"0s\" turns the poll off)",
                duration::format(value)
            )));
        }
        Ok(Interval(Some(value)))
    }
}

/// `host.max_clients`: at least 1.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clients(pub(crate) usize);

impl<'de> Deserialize<'de> for Clients {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match usize::deserialize(d)? {
            0 => Err(serde::de::Error::custom(
                "at least 1 client must be allowed",
            )),
            n => Ok(Clients(n)),
        }
    }
}
