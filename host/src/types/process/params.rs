//! [`ProcessParams`]: the `process` type's parameters, checked while they
//! are read, so that a bad value fails at its key.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::http::HttpUrl;
use super::user::User;

/// The parameters of a `process` resource.
///
/// | key | value | default |
/// |---|---|---|
/// | `command` | array of strings, the program first (looked up in `PATH`) | required |
/// | `env` | table of strings, added to (or replacing) the host's environment | `{}` |
/// | `cwd` | working folder | the host's |
/// | `user` | user name to run as (needs root, unless it is the host's own user) | the host's user |
/// | `health` | `{ tcp = "IP:PORT" }`, `{ http = "http://IP:PORT/path" }` or `{ command = [..] }` | none: started = healthy |
/// | `check_interval` | duration between two health attempts while coming online | `"1s"` |
/// | `check_timeout` | duration bounding one health attempt (and `IsAlive`) | `"5s"` |
/// | `max_attempts` | failed health attempts after which Online fails | none: until PendingTimeout |
/// | `stop_grace` | duration from SIGTERM to SIGKILL on Offline | `"10s"` |
///
/// Durations are strings such as `"250ms"` or `"1m30s"`
/// ([`crate::duration`]). Unknown keys are refused.
///
/// # Examples
///
/// ```
/// use clusworker_host::types::process::{HealthCheck, ProcessParams};
///
/// let p: ProcessParams = toml::from_str(r#"
///     command = ["python3", "-m", "http.server", "--bind", "127.0.0.1", "8080"]
///     health = { http = "http://127.0.0.1:8080/" }
///     check_interval = "250ms"
/// "#)?;
/// assert_eq!(p.command.program(), "python3");
/// assert!(matches!(p.health, Some(HealthCheck::Http(_))));
///
/// let e = toml::from_str::<ProcessParams>("command = []").unwrap_err();
/// assert!(e.to_string().contains("command"), "{e}");
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ProcessParams {
    /// The program and its arguments.
    #[serde(deserialize_with = "command")]
    pub command: Argv,
    /// Variables added to the host's environment.
    #[serde(default, deserialize_with = "env")]
    pub env: Env,
    /// The working folder.
    #[serde(default, deserialize_with = "cwd")]
    pub cwd: Option<PathBuf>,
    /// The user to run as.
    #[serde(default, deserialize_with = "user")]
    pub user: Option<User>,
    /// The health check; none means started = healthy.
    #[serde(default, deserialize_with = "health")]
    pub health: Option<HealthCheck>,
    /// Time between two health attempts while coming online.
    #[serde(default = "default_interval", deserialize_with = "check_interval")]
    pub check_interval: Duration,
    /// The bound on one health attempt.
    #[serde(default = "default_timeout", deserialize_with = "check_timeout")]
    pub check_timeout: Duration,
    /// Failed attempts after which Online fails; none = keep trying.
    #[serde(default, deserialize_with = "max_attempts")]
    pub max_attempts: Option<NonZeroU32>,
    /// Time from SIGTERM to SIGKILL on Offline.
    #[serde(default = "default_grace", deserialize_with = "stop_grace")]
    pub stop_grace: Duration,
}

impl ProcessParams {
    /// Parameters that run `command` with every default: no health check,
    /// checks every 1 s bounded by 5 s, a stop grace of 10 s.
    pub fn new(command: Argv) -> ProcessParams {
        ProcessParams {
            command,
            env: Env::default(),
            cwd: None,
            user: None,
            health: None,
            check_interval: default_interval(),
            check_timeout: default_timeout(),
            max_attempts: None,
            stop_grace: default_grace(),
        }
    }

    /// Checks what the types cannot: non-zero `check_interval` and
    /// `check_timeout` (deserialization checks them already).
    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.check_interval.is_zero() {
            return Err("check_interval: must be more than 0".to_owned());
        }
        if self.check_timeout.is_zero() {
            return Err("check_timeout: must be more than 0".to_owned());
        }
        Ok(())
    }
}

keyed! {
    command: Argv = "command" by Argv::deserialize;
    env: Env = "env" by Env::deserialize;
    cwd: Option<PathBuf> = "cwd" by Option::<PathBuf>::deserialize;
    user: Option<User> = "user" by Option::<User>::deserialize;
    health: Option<HealthCheck> = "health" by Option::<HealthCheck>::deserialize;
    check_interval: Duration = "check_interval" by positive;
    check_timeout: Duration = "check_timeout" by positive;
    max_attempts: Option<NonZeroU32> = "max_attempts" by Option::<NonZeroU32>::deserialize;
    stop_grace: Duration = "stop_grace" by crate::duration::deserialize;
}

fn default_interval() -> Duration {
    Duration::from_secs(1)
}
fn default_timeout() -> Duration {
    Duration::from_secs(5)
}
fn default_grace() -> Duration {
    Duration::from_secs(10)
}

/// A duration that must be more than zero.
fn positive<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let v = crate::duration::deserialize(d)?;
    if v.is_zero() {
        return Err(serde::de::Error::custom("must be more than 0"));
    }
    Ok(v)
}

/// A command line: a program and its arguments, never empty, no NUL.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "Vec<String>")]
pub struct Argv(Vec<String>);

impl Argv {
    /// The program: the first word.
    pub fn program(&self) -> &str {
        &self.0[0]
    }

    /// The arguments after the program.
    pub fn args(&self) -> &[String] {
        &self.0[1..]
    }
}

impl TryFrom<Vec<String>> for Argv {
    type Error = String;
    fn try_from(words: Vec<String>) -> Result<Argv, String> {
        match words.first() {
            None => Err("an empty command: give at least the program".to_owned()),
            Some(p) if p.is_empty() => Err("an empty program name".to_owned()),
            _ => match words.iter().find(|w| w.contains('\0')) {
                Some(w) => Err(format!("a NUL character in {w:?}")),
                None => Ok(Argv(words)),
            },
        }
    }
}

impl<const N: usize> TryFrom<[&str; N]> for Argv {
    type Error = String;
    fn try_from(words: [&str; N]) -> Result<Argv, String> {
        Argv::try_from(words.map(str::to_owned).to_vec())
    }
}

/// Environment variables: names without `=` or NUL, values without NUL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "BTreeMap<String, String>")]
pub struct Env(BTreeMap<String, String>);

impl Env {
    /// The variables, by name.
    pub fn vars(&self) -> &BTreeMap<String, String> {
        &self.0
    }
}

impl TryFrom<BTreeMap<String, String>> for Env {
    type Error = String;
    fn try_from(vars: BTreeMap<String, String>) -> Result<Env, String> {
        for (k, v) in &vars {
            if k.is_empty() || k.contains('=') || k.contains('\0') {
                return Err(format!("bad variable name {k:?}"));
            }
            if v.contains('\0') {
                return Err(format!("a NUL character in the value of {k}"));
            }
        }
        Ok(Env(vars))
    }
}

/// How a `process` resource's health is checked: while it comes online
/// (one attempt per `check_interval`), and by `IsAlive`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
#[non_exhaustive]
pub enum HealthCheck {
    /// `{ tcp = "127.0.0.1:8080" }`: a TCP connect succeeds. An IP
    /// address and a port (no DNS).
    Tcp(#[serde(deserialize_with = "tcp_addr")] SocketAddr),
    /// `{ http = "http://127.0.0.1:8080/health" }`: an HTTP/1.0 GET answers
    /// 2xx. The host must be an IP address or `localhost` (no DNS).
    Http(HttpUrl),
    /// `{ command = ["sh", "-c", "..."] }`: the command exits 0. It runs in
    /// its own process group, with stdin, stdout and stderr on `/dev/null`;
    /// past `check_timeout` its group is killed.
    Command(Argv),
}

/// `IP:PORT`, with a message naming the text.
fn tcp_addr<'de, D: Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    let text = String::deserialize(d)?;
    text.parse().map_err(|_| {
        serde::de::Error::custom(format!(
            "bad address {text:?}: expected IP:PORT, such as 127.0.0.1:8080 (no DNS)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        toml::from_str::<ProcessParams>(text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn defaults_fill_what_is_absent() {
        let p: ProcessParams = toml::from_str(r#"command = ["sleep", "1"]"#).unwrap();
        assert_eq!(p.command.args(), ["1"]);
        assert_eq!(p.check_interval, Duration::from_secs(1));
        assert_eq!(p.check_timeout, Duration::from_secs(5));
        assert_eq!(p.stop_grace, Duration::from_secs(10));
        assert_eq!(p.health, None);
        assert!(p.validate().is_ok());
    }

    #[test]
    fn every_health_check_reads() {
        let p: ProcessParams =
            toml::from_str("command = [\"x\"]\nhealth = { tcp = \"127.0.0.1:80\" }").unwrap();
        assert_eq!(
            p.health,
            Some(HealthCheck::Tcp("127.0.0.1:80".parse().unwrap()))
        );
        let p: ProcessParams =
            toml::from_str("command = [\"x\"]\nhealth = { command = [\"true\"] }").unwrap();
        assert!(matches!(p.health, Some(HealthCheck::Command(_))));
    }

    #[test]
    fn bad_values_fail_at_their_key() {
        for (text, key, words) in [
            ("command = []", "command", "empty command"),
            ("command = [\"\"]", "command", "empty program"),
            ("command = [\"x\"]\nbogus = 1", "bogus", "unknown field"),
            (
                "command = [\"x\"]\ncheck_timeout = \"0s\"",
                "check_timeout",
                "more than 0",
            ),
            (
                "command = [\"x\"]\ncheck_interval = \"1 s\"",
                "check_interval",
                "\"1 s\"",
            ),
            (
                "command = [\"x\"]\nstop_grace = \"10\"",
                "stop_grace",
                "without a unit",
            ),
            (
                "command = [\"x\"]\nenv = { \"A=B\" = \"1\" }",
                "env",
                "bad variable",
            ),
            (
                "command = [\"x\"]\nhealth = { tcp = \"localhost\" }",
                "health",
                "IP:PORT",
            ),
            (
                "command = [\"x\"]\nhealth = { udp = \"1.2.3.4:5\" }",
                "health",
                "udp",
            ),
            (
                "command = [\"x\"]\nhealth = { http = \"https://127.0.0.1/\" }",
                "health",
                "https",
            ),
            (
                "command = [\"x\"]\nuser = \"no-such-user-clusworker\"",
                "user",
                "no such user",
            ),
            (
                "command = [\"x\"]\nmax_attempts = 0",
                "max_attempts",
                "nonzero",
            ),
        ] {
            let e = err(text);
            assert!(
                e.contains(key),
                "{text:?}: the error should name {key}: {e}"
            );
            assert!(
                e.contains(words),
                "{text:?}: the error should say {words:?}: {e}"
            );
        }
        assert!(err("env = {}").contains("command"), "command is required");
    }

    #[test]
    fn json_reads_the_same() {
        let p: ProcessParams = serde_json::from_str(
            r#"{"command":["sh","-c","exit 0"],"health":{"http":"http://127.0.0.1:9/x"},"stop_grace":"1s"}"#,
        )
        .unwrap();
        assert_eq!(p.stop_grace, Duration::from_secs(1));
        let e = serde_json::from_str::<ProcessParams>(r#"{"command":"sh"}"#).unwrap_err();
        assert!(e.to_string().contains("sequence"), "{e}");
    }
}
