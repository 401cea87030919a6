//! `meta-data`: the agent's OCF 1.1 description, from [`PARAMETERS`].
//! It reads nothing and needs no privilege (Pacemaker and ocf-tester run
//! it as an unprivileged user).

use std::fmt::Write;
use std::time::Duration;

use clusworker_host::duration;

use crate::params::{DEADLOCK_TIMEOUT, PARAMETERS, PENDING_TIMEOUT};

/// The default timeout of start and stop: DeadlockTimeout (the longest an
/// entry point may hang before the host fails it) plus PendingTimeout
/// (one heartbeat more).
pub(crate) const START_STOP_TIMEOUT: Duration = DEADLOCK_TIMEOUT.saturating_add(PENDING_TIMEOUT);
/// The default timeout of monitor: it only asks the host.
pub(crate) const MONITOR_TIMEOUT: Duration = Duration::from_secs(20);
/// The interval of the depth-0 (LooksAlive) monitor.
pub(crate) const MONITOR_INTERVAL: Duration = Duration::from_secs(10);
/// The interval of the depth-10 (IsAlive) monitor: the host's
/// `is_alive_interval` default.
pub(crate) const DEEP_MONITOR_INTERVAL: Duration = Duration::from_secs(60);

/// `&`, `<`, `>` and `"` escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// The meta-data XML.
pub(crate) fn xml() -> String {
    let mut x = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        x,
        r#"<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<resource-agent name="clusworker" version="{version}">
<version>1.1</version>
<longdesc lang="en">
Runs one resource of a clusworker resource host: start brings it online and waits for Online
(or Failed: the host's PendingTimeout is the heartbeat of the pending online), stop takes it
offline (Terminate if the offline fails), monitor reports the state the host's LooksAlive polls
keep, and at depth 10 calls IsAlive now. The host is a running clusworker-host, or one the agent
starts on first use.
</longdesc>
<shortdesc lang="en">A clusworker resource, through its resource host</shortdesc>
<parameters>
"#,
        version = env!("CARGO_PKG_VERSION")
    );
    for p in PARAMETERS {
        let _ = write!(
            x,
            r#"<parameter name="{name}" unique="0" required="0">
<longdesc lang="en">{long}</longdesc>
<shortdesc lang="en">{short}</shortdesc>
<content type="{kind}"{default}/>
</parameter>
"#,
            name = p.name,
            long = escape(p.long),
            short = escape(p.short),
            kind = p.kind.name(),
            default = p
                .default
                .map(|d| format!(r#" default="{}""#, escape(d)))
                .unwrap_or_default(),
        );
    }
    let t = |d: Duration| duration::format(d);
    let _ = write!(
        x,
        r#"</parameters>
<actions>
<action name="start" timeout="{ss}"/>
<action name="stop" timeout="{ss}"/>
<action name="monitor" timeout="{mt}" interval="{mi}" depth="0"/>
<action name="monitor" timeout="{mt}" interval="{di}" depth="10"/>
<action name="validate-all" timeout="20s"/>
<action name="meta-data" timeout="5s"/>
</actions>
</resource-agent>
"#,
        ss = t(START_STOP_TIMEOUT),
        mt = t(MONITOR_TIMEOUT),
        mi = t(MONITOR_INTERVAL),
        di = t(DEEP_MONITOR_INTERVAL),
    );
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup() {
        assert_eq!(escape(r#"a<b>&"c""#), "a&lt;b&gt;&amp;&quot;c&quot;");
    }

    #[test]
    fn every_parameter_is_described_once_with_its_default() {
        let x = xml();
        for p in PARAMETERS {
            let open = format!(r#"<parameter name="{}""#, p.name);
            assert_eq!(x.matches(&open).count(), 1, "{}", p.name);
            if let Some(d) = p.default {
                let content = format!(
                    r#"<content type="{}" default="{}"/>"#,
                    p.kind.name(),
                    escape(d)
                );
                assert!(x.contains(&content), "{}: want {content}", p.name);
            }
        }
    }

    #[test]
    fn timeouts_derive_from_pending_and_deadlock() {
        let x = xml();
        assert_eq!(START_STOP_TIMEOUT, Duration::from_secs(90));
        assert!(
            x.contains(r#"<action name="start" timeout="1m30s"/>"#),
            "{x}"
        );
        assert!(
            x.contains(r#"<action name="stop" timeout="1m30s"/>"#),
            "{x}"
        );
        assert!(x.contains(r#"depth="10""#));
    }

    /// Well-formed: every element opened is closed, in order (a small
    /// check with no XML library; the DTD check is the pacemaker test's).
    #[test]
    fn the_xml_is_well_formed() {
        let x = xml();
        let mut stack: Vec<String> = Vec::new();
        let mut rest = x.as_str();
        while let Some(i) = rest.find('<') {
            let j = rest[i..].find('>').expect("an unclosed tag") + i;
            let tag = &rest[i + 1..j];
            rest = &rest[j + 1..];
            if tag.starts_with('?') || tag.starts_with('!') {
                continue;
            }
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name), "a misnested </{name}>");
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().unwrap_or_default();
                stack.push(name.to_owned());
            }
            assert_eq!(
                tag.matches('"').count() % 2,
                0,
                "unbalanced quotes in <{tag}>"
            );
        }
        assert!(stack.is_empty(), "unclosed: {stack:?}");
    }
}
