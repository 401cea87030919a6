//! `clusworker-ocf`: an OCF 1.1 resource agent for Pacemaker that runs
//! clusworker resources through the resource host (`clusworker-host`).
//!
//! Installed as `/usr/lib/ocf/resource.d/clusworker/clusworker`, it is
//! called with one action (`start`, `stop`, `monitor`, `validate-all`,
//! `meta-data`) and its parameters in `OCF_RESKEY_*`; it exits with the
//! action's OCF code and, on a failure, writes `ocf-exit-reason:` and the
//! reason to stderr. `ocf/README.md` is the user's guide.
//!
//! - [`params`]: the parameters, read and checked.
//! - [`agent`]: the actions.
//! - [`link`]: finding (or starting) the host.
//! - [`exit`]: the OCF codes, and the monitor's table of states.
//! - [`metadata`]: the meta-data XML.

mod agent;
mod exit;
mod link;
mod metadata;
mod params;

use std::collections::HashMap;

use crate::exit::{Code, Exit};

fn main() {
    let env: HashMap<String, String> = std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect();
    let exit = match std::env::args_os().nth(1) {
        None => Exit::new(Code::Args, format!("no action given ({})", agent::USAGE)),
        Some(a) => agent::run(&a.to_string_lossy(), &env),
    };
    if let Some(reason) = &exit.reason {
        // One line: Pacemaker takes the reason from the last such line.
        eprintln!("ocf-exit-reason:{}", reason.replace('\n', " "));
    }
    std::process::exit(exit.code.status());
}
