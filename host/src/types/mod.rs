//! The built-in resource types, and the registry the daemon builds
//! resources with.
//!
//! | type | what it is | parameters |
//! |---|---|---|
//! | `process` | a command in its own process group, online when its health check passes (Failover Cluster's *Generic Application*) | [`ProcessParams`] |
//! | `scripted` | the demo's timer resource: checkpoints on a schedule, optionally a hang | [`ScriptedParams`] |
//! | `resdll` | a resource of a resource library in C (a Windows resource DLL, ported): `Startup`, its function table, `SetResourceStatus` | [`ResDllParams`] |
//!
//! # Building a resource
//!
//! One call, from any serde [`Deserializer`] of the
//! type's parameters (a `toml::Value`, a `toml::Table`, a
//! `serde_json::Value`, ...): [`create`]. A bad parameter is a
//! [`TypeError::Params`] whose message names the key.
//!
//! ```
//! use clusworker_host::types::{create, ResourceType};
//! use clusworker_monitor::{Monitor, ResourceState};
//!
//! // From the config file: `type = "scripted"` and its parameter table.
//! let ty: ResourceType = "scripted".parse()?;
//! let params: toml::Table = toml::from_str(r#"steps = 2
//! step = "10ms""#)?;
//! let resource = create(ty, "demo", params)?;
//!
//! // From the control socket's JSON.
//! let json = serde_json::json!({ "command": ["sleep", "60"] });
//! let sleeper = create("process".parse()?, "sleeper", json)?;
//!
//! let monitor = Monitor::start()?;
//! let id = monitor.add("demo", resource);
//! let _ = monitor.add("sleeper", sleeper); // never started: runs nothing
//! monitor.online(id)?;
//! # let events = monitor.subscribe();
//! # while monitor.state(id)? != ResourceState::Online { events.recv()?; }
//!
//! // Errors name what is wrong.
//! let e = create(ResourceType::Process, "x", serde_json::json!({ "command": [] }));
//! assert!(e.err().expect("refused").to_string().contains("empty command"));
//! let e = "proces".parse::<ResourceType>().unwrap_err();
//! assert_eq!(e.to_string(), "unknown resource type \"proces\" (known: process, scripted, resdll)");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Keeping the file's line numbers
//!
//! A `toml::Value` has no positions. To report a bad parameter at its line,
//! read the parameters with a span-keeping deserializer (for example
//! `toml::de::ValueDeserializer` over the `toml::de::DeValue` of the
//! parameter table) through [`ResourceType::params`], which returns that
//! deserializer's own error (with its span), then
//! [`ResourceParams::build`].

#[macro_use]
mod keyed;
pub mod process;
pub mod resdll;
pub mod scripted;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use clusworker_monitor::Resource;
use serde::{Deserialize, Deserializer};

use self::process::{ProcessParams, ProcessResource};
use self::resdll::ResDllParams;
use self::scripted::{ScriptedParams, ScriptedResource};

/// A built-in resource type, by its config name (`type = "process"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResourceType {
    /// `process`: [`ProcessResource`].
    Process,
    /// `scripted`: [`ScriptedResource`].
    Scripted,
    /// `resdll`: [`ResDllResource`](resdll::ResDllResource).
    ResDll,
}

impl ResourceType {
    /// Every type, in the order error messages list them.
    pub const ALL: [ResourceType; 3] = [
        ResourceType::Process,
        ResourceType::Scripted,
        ResourceType::ResDll,
    ];

    /// The config name.
    pub const fn name(self) -> &'static str {
        match self {
            ResourceType::Process => "process",
            ResourceType::Scripted => "scripted",
            ResourceType::ResDll => "resdll",
        }
    }

    /// Reads this type's parameters from `params`.
    ///
    /// # Errors
    ///
    /// The deserializer's own error (so a span-keeping one keeps its
    /// position), naming the key: an unknown key, a missing required one, or
    /// a bad value.
    pub fn params<'de, D: Deserializer<'de>>(self, params: D) -> Result<ResourceParams, D::Error> {
        Ok(match self {
            ResourceType::Process => {
                ResourceParams::Process(Box::new(ProcessParams::deserialize(params)?))
            }
            ResourceType::Scripted => {
                ResourceParams::Scripted(ScriptedParams::deserialize(params)?)
            }
            ResourceType::ResDll => ResourceParams::ResDll(ResDllParams::deserialize(params)?),
        })
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl FromStr for ResourceType {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<ResourceType, TypeError> {
        ResourceType::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| TypeError::UnknownType(s.to_owned()))
    }
}

impl<'de> Deserialize<'de> for ResourceType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ResourceType, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// A type's parameters, read: what [`ResourceType::params`] returns.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ResourceParams {
    /// `process`'s (boxed: they are much larger than the others).
    Process(Box<ProcessParams>),
    /// `scripted`'s.
    Scripted(ScriptedParams),
    /// `resdll`'s.
    ResDll(ResDllParams),
}

impl ResourceParams {
    /// The type these parameters belong to.
    pub fn resource_type(&self) -> ResourceType {
        match self {
            ResourceParams::Process(_) => ResourceType::Process,
            ResourceParams::Scripted(_) => ResourceType::Scripted,
            ResourceParams::ResDll(_) => ResourceType::ResDll,
        }
    }

    /// The resource, named `name` (for its logs and threads; the monitor
    /// keeps its own copy of the name).
    ///
    /// # Errors
    ///
    /// [`TypeError::Params`] when the parameters break a rule their types do
    /// not hold (possible only for parameters built by hand).
    pub fn build(self, name: &str) -> Result<Arc<dyn Resource>, TypeError> {
        let ty = self.resource_type();
        Ok(match self {
            ResourceParams::Process(p) => Arc::new(
                ProcessResource::new(name, *p)
                    .map_err(|message| TypeError::Params { ty, message })?,
            ),
            ResourceParams::Scripted(p) => Arc::new(ScriptedResource::new(p)),
            ResourceParams::ResDll(p) => Arc::new(
                p.open(name)
                    .map_err(|message| TypeError::Params { ty, message })?,
            ),
        })
    }
}

/// Builds a resource of type `ty` named `name` from its parameters: a
/// `toml::Value` or `toml::Table`, a `serde_json::Value`, or any other
/// [`Deserializer`]. See the [module](self) for an example.
///
/// # Errors
///
/// [`TypeError::Params`], whose message names the bad key.
pub fn create<'de, D>(
    ty: ResourceType,
    name: &str,
    params: D,
) -> Result<Arc<dyn Resource>, TypeError>
where
    D: Deserializer<'de>,
    D::Error: fmt::Display,
{
    ty.params(params)
        .map_err(|e| TypeError::Params {
            ty,
            message: e.to_string(),
        })?
        .build(name)
}

/// Why a resource could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TypeError {
    /// No built-in type has this name.
    UnknownType(String),
    /// The parameters were refused.
    Params {
        /// The type.
        ty: ResourceType,
        /// What is wrong, naming the key.
        message: String,
    },
}

impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeError::UnknownType(name) => {
                write!(f, "unknown resource type {name:?} (known: ")?;
                for (i, t) in ResourceType::ALL.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}{t}")?;
                }
                f.write_str(")")
            }
            TypeError::Params { ty, message } => {
                write!(f, "bad parameters for a {ty} resource: {message}")
            }
        }
    }
}

impl std::error::Error for TypeError {}
