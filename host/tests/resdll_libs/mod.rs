//! The C resource libraries the `resdll` tests load, built once per test
//! binary with the system C compiler (`$CC`, else `cc`), as `capi/run.sh`
//! builds its C program: the ClipBook library (`capi/tests/clipbook_resdll.c`,
//! linked with `libclusworker_capi.so`, which is built first by a nested
//! `cargo build -p clusworker-capi` in its own target folder, so that it
//! never waits on this build's lock) and the misbehaving ones
//! (`capi/tests/resdll_bad.c`, one per macro).

#![allow(dead_code)] // each test file uses a part

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// The workspace's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ has a parent")
        .to_owned()
}

/// `target/` of this build (the host binary is in `target/debug/`).
fn target() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_clusworker-host"))
        .parent()
        .and_then(Path::parent)
        .expect("the host binary is in <target>/<profile>/")
        .to_owned()
}

/// Where the libraries go.
fn out() -> PathBuf {
    let dir = target().join("resdll-tests");
    std::fs::create_dir_all(&dir).expect("make the libraries' folder");
    dir
}

fn run(mut c: Command, what: &str) {
    let o = c
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        o.status.success(),
        "{what} failed ({}):\n{}{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The folder holding `libclusworker_capi.so`, built (or found up to
/// date) once.
fn capi() -> &'static Path {
    static CAPI: OnceLock<PathBuf> = OnceLock::new();
    CAPI.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let dir = target().join("resdll-capi");
        let mut c = Command::new(cargo);
        c.args(["build", "-q", "-p", "clusworker-capi", "--manifest-path"])
            .arg(root().join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&dir);
        run(c, "cargo build -p clusworker-capi");
        dir.join("debug")
    })
}

/// Compiles `source` (under capi/tests) with `defines` into `name`.so,
/// once; its path.
fn build(name: &str, source: &str, defines: &[&str], with_capi: bool) -> PathBuf {
    static BUILT: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = built.get_or_insert_with(HashMap::new).get(name) {
        return p.clone();
    }
    // Built under a temporary name, then renamed: a host of another test
    // binary that still maps the old file keeps its copy.
    let so = out().join(format!("lib{name}.so"));
    let tmp = out().join(format!("lib{name}.so.{}", std::process::id()));
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let mut c = Command::new(cc);
    c.args([
        "-std=c11", "-Wall", "-Wextra", "-Werror", "-pthread", "-shared", "-fPIC", "-g",
    ])
    .arg(format!("-I{}", root().join("include").display()))
    .args(defines.iter().map(|d| format!("-D{d}")))
    .arg(root().join("capi/tests").join(source))
    .arg("-o")
    .arg(&tmp);
    if with_capi {
        let lib = capi();
        c.arg(format!("-L{}", lib.display()))
            .arg("-lclusworker_capi")
            .arg(format!("-Wl,-rpath,{}", lib.display()));
    }
    run(c, &format!("cc {source} {defines:?}"));
    std::fs::rename(&tmp, &so).expect("rename the built library");
    built
        .get_or_insert_with(HashMap::new)
        .insert(name.to_owned(), so.clone());
    so
}

/// The ClipBook resource library (type "ClipBook Server").
pub(crate) fn clipbook() -> PathBuf {
    build("clipbook", "clipbook_resdll.c", &[], true)
}

/// `resdll_bad.c` built with `-D<variant>` (type "Bad").
pub(crate) fn bad(variant: &str) -> PathBuf {
    build(&variant.to_lowercase(), "resdll_bad.c", &[variant], false)
}
