//! The cluster's side of the agent's cluster tests: crm_mon's view
//! (roles, fail-counts, failures), the CIB (a primitive of this agent,
//! created and removed), and one cluster test at a time.

use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use super::{AGENT, PROVIDER, run, text, until};

pub(crate) fn crm_mon_xml() -> String {
    let out = run("crm_mon", &["-1", "--output-as=xml"], &[]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn xpath(xml: &str, expr: &str) -> String {
    use std::io::Write;
    let mut child = Command::new("xmllint")
        .args(["--xpath", expr, "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("xmllint");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(xml.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("xmllint");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

pub(crate) fn role(id: &str) -> String {
    xpath(
        &crm_mon_xml(),
        &format!("string(//resources/resource[@id='{id}']/@role)"),
    )
}

pub(crate) fn fail_count(id: &str) -> String {
    xpath(
        &crm_mon_xml(),
        &format!("string(//node_history//resource_history[@id='{id}']/@fail-count)"),
    )
}

/// The failed monitor's record in crm_mon's failures, whatever the
/// fail-count says (the count alone has been seen cleared while another
/// resource was deleted beside this one, Pacemaker 2.1.5).
pub(crate) fn monitor_failed(id: &str) -> bool {
    xpath(
        &crm_mon_xml(),
        &format!("count(//failures/failure[@op_key='{id}_monitor_1000'])"),
    )
    .parse::<u32>()
    .is_ok_and(|n| n > 0)
}

/// One cluster test at a time: they share the cluster, and deleting one
/// test's resource has cleared the other's fail-count.
pub(crate) fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static CLUSTER: std::sync::Mutex<()> = std::sync::Mutex::new(());
    CLUSTER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Waits for the cluster to have a DC (the script started it).
pub(crate) fn cluster_up() {
    until(
        "a DC (is the cluster running? bash .ci/pacemaker.sh)",
        Duration::from_secs(60),
        || {
            crm_mon_xml()
                .contains(r#"<current_dc present="true""#)
                .then_some(())
        },
    );
}

/// A primitive of this agent, its parameters, and short operations.
pub(crate) fn primitive(id: &str, params: &[(&str, String)], start_timeout: &str) -> String {
    primitive_with(id, params, start_timeout, "")
}

/// [`primitive`], with a depth-10 monitor every `interval` as well.
pub(crate) fn primitive_deep(
    id: &str,
    params: &[(&str, String)],
    start_timeout: &str,
    interval: &str,
) -> String {
    let deep = format!(
        r#"
    <op id="{id}-monitor-deep" name="monitor" interval="{interval}" timeout="10s">
      <instance_attributes id="{id}-monitor-deep-ia">
        <nvpair id="{id}-monitor-deep-depth" name="OCF_CHECK_LEVEL" value="10"/>
      </instance_attributes>
    </op>"#
    );
    primitive_with(id, params, start_timeout, &deep)
}

fn primitive_with(
    id: &str,
    params: &[(&str, String)],
    start_timeout: &str,
    more_ops: &str,
) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
    };
    let nv: String = params
        .iter()
        .map(|(n, v)| format!(r#"<nvpair id="{id}-{n}" name="{n}" value="{}"/>"#, esc(v)))
        .collect();
    format!(
        r#"<primitive id="{id}" class="ocf" provider="{PROVIDER}" type="{AGENT}">
  <instance_attributes id="{id}-ia">{nv}</instance_attributes>
  <operations>
    <op id="{id}-start" name="start" interval="0s" timeout="{start_timeout}"/>
    <op id="{id}-stop" name="stop" interval="0s" timeout="30s"/>
    <op id="{id}-monitor" name="monitor" interval="1s" timeout="10s"/>{more_ops}
  </operations>
</primitive>"#
    )
}

/// Removes the resource from the CIB when dropped (stopping it first).
pub(crate) struct Resource(pub(crate) &'static str);

impl Drop for Resource {
    fn drop(&mut self) {
        let id = self.0;
        let _ = run(
            "crm_resource",
            &["-r", id, "--meta", "-p", "target-role", "-v", "Stopped"],
            &[],
        );
        // No panic here: this may run while a failed test unwinds.
        let begun = Instant::now();
        while !matches!(role(id).as_str(), "Stopped" | "")
            && begun.elapsed() < Duration::from_secs(40)
        {
            thread::sleep(Duration::from_millis(100));
        }
        // No `crm_resource --cleanup` either: the script starts a fresh
        // cluster for every run.
        let _ = run(
            "cibadmin",
            &[
                "--delete",
                "-o",
                "resources",
                "--xml-text",
                &format!(r#"<primitive id="{id}"/>"#),
            ],
            &[],
        );
    }
}

pub(crate) fn create(xml: &str) -> Instant {
    let begun = Instant::now();
    let out = run(
        "cibadmin",
        &["--create", "-o", "resources", "--xml-text", xml],
        &[],
    );
    assert!(out.status.success(), "cibadmin --create:\n{}", text(&out));
    begun
}

/// The last result of the resource's `operation` with `interval_ms`, from
/// the CIB's status section (a pending one shows 193).
pub(crate) fn op_rc(id: &str, operation: &str, interval_ms: u32) -> Option<String> {
    let out = run("cibadmin", &["-Q", "-o", "status"], &[]);
    let xml = String::from_utf8_lossy(&out.stdout);
    let rc = xpath(
        &xml,
        &format!(
            "string(//lrm_resource[@id='{id}']/lrm_rsc_op[@operation='{operation}' and @interval='{interval_ms}']/@rc-code)"
        ),
    );
    (!rc.is_empty()).then_some(rc)
}

/// The recurring monitor's last result.
pub(crate) fn monitor_rc(id: &str) -> Option<String> {
    op_rc(id, "monitor", 1000)
}

/// Started, its start done and successful (not merely under way).
pub(crate) fn started(id: &str) -> bool {
    role(id) == "Started" && op_rc(id, "start", 0).as_deref() == Some("0")
}
