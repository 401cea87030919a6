//! Names: `Worker::name`, the names Unix worker threads get, and
//! `NotExited::names`. None of it needs the diagnostics list.

mod common;

use std::time::Duration;

use clusworker::{Builder, Worker};
use common::{gate, join, watchdog};

#[test]
fn worker_name_is_the_builders() {
    let _w = watchdog("worker_name_is_the_builders");
    let named = Builder::new()
        .name("disk-online".into())
        .spawn(|_| ())
        .expect("spawn");
    assert_eq!(named.name(), Some("disk-online"));
    assert!(format!("{named:?}").contains("disk-online"), "{named:?}");
    // The whole name, even past the 15 bytes the OS keeps.
    let long = "a-name-longer-than-fifteen-bytes";
    let w = Builder::new()
        .name(long.into())
        .spawn(|_| ())
        .expect("spawn");
    assert_eq!(w.name(), Some(long));
    let unnamed = Worker::spawn(|_| ()).expect("spawn");
    assert_eq!(unnamed.name(), None);
    for w in [named, w, unnamed] {
        join(w).expect("the routine does not panic");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn an_unnamed_workers_thread_is_named_clusworker_not_after_its_spawner() {
    use clusworker_posix::thread::current_name;
    let _w = watchdog("an_unnamed_workers_thread_is_named_clusworker_not_after_its_spawner");
    let spawner = std::thread::Builder::new()
        .name("the-spawner".into())
        .spawn(|| {
            assert_eq!(current_name().as_deref(), Some("the-spawner"));
            let worker = Worker::spawn(|_| current_name()).expect("spawn");
            join(worker).expect("the routine does not panic")
        })
        .expect("spawn the spawner");
    let seen = spawner.join().expect("the spawner does not panic");
    assert_eq!(seen.as_deref(), Some("clusworker"));
}

#[test]
fn not_exited_names_the_workers_still_running() {
    let _w = watchdog("not_exited_names_the_workers_still_running");
    let (open, pass) = gate();
    let quick = Builder::new()
        .name("quick".into())
        .spawn(|_| ())
        .expect("spawn");
    let deaf = Builder::new()
        .name("deaf-to-all".into())
        .spawn(move |_| {
            let _ = pass.wait();
        })
        .expect("spawn");
    let unnamed = Worker::spawn(|ctx| while ctx.sleep(Duration::MAX).is_ok() {}).expect("spawn");
    quick.wait().expect("quick returns by itself");
    let err = clusworker::wait_all(&[&quick, &deaf, &unnamed], Duration::ZERO)
        .expect_err("two are still running");
    assert_eq!(err.pending(), [1, 2]);
    assert_eq!(err.names().collect::<Vec<_>>(), [Some("deaf-to-all"), None]);
    let shown = err.to_string();
    assert!(shown.ends_with(": [1 (deaf-to-all), 2]"), "{shown}");
    open.open();
    unnamed.terminate();
    for w in [quick, deaf] {
        join(w).expect("the routine does not panic");
    }
    join(unnamed).expect("the routine does not panic");
}
