//! `terminate_all` and `wait_all` (`ClusWorkersTerminate`): signal every
//! worker, wait under one deadline, report exactly who did not exit.

mod common;

use std::time::Duration;

use clusworker::{State, Terminated, Worker, terminate_all, wait_all};
use common::{GIVE_UP, Gate, bounded, gate, join, wait_exit, watchdog, within};

/// How a test routine ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// Its sleep was ended by a terminate request.
    Terminated,
    /// Its gate was opened.
    Released,
    /// Something else (a bug, or a gate that gave up).
    Unexpected,
}

/// Worker `i` sleeps until terminated.
fn sleeper(i: usize) -> Worker<(usize, End)> {
    Worker::spawn(move |ctx| match ctx.sleep(Duration::MAX) {
        Err(Terminated(_)) => (i, End::Terminated),
        Ok(()) => (i, End::Unexpected),
    })
    .expect("spawn")
}

/// Worker `i` ignores terminate until its gate opens.
fn stubborn(i: usize) -> (Worker<(usize, End)>, Gate) {
    let (gate, pass) = gate();
    let worker = Worker::spawn(move |_ctx| {
        (
            i,
            if pass.wait() {
                End::Released
            } else {
                End::Unexpected
            },
        )
    })
    .expect("spawn");
    (worker, gate)
}

#[test]
fn terminate_all_over_sleeping_workers_returns_ok() {
    let _w = watchdog("terminate_all_over_sleeping_workers_returns_ok");
    let workers: Vec<_> = (0..6).map(sleeper).collect();
    let workers = bounded("terminate_all", move || {
        let refs: Vec<&Worker<_>> = workers.iter().collect();
        assert_eq!(
            within("terminate_all", || terminate_all(&refs, GIVE_UP)),
            Ok(())
        );
        workers
    });
    for (i, w) in workers.into_iter().enumerate() {
        assert_eq!(w.state(), State::Exited, "worker {i}");
        assert_eq!(join(w).ok(), Some((i, End::Terminated)));
    }
}

#[test]
fn terminate_all_without_a_deadline_and_on_no_workers() {
    let _w = watchdog("terminate_all_without_a_deadline_and_on_no_workers");
    assert_eq!(terminate_all::<()>(&[], Duration::ZERO), Ok(()));
    assert_eq!(wait_all::<()>(&[], Duration::ZERO), Ok(()));
    let workers: Vec<_> = (0..3).map(sleeper).collect();
    let workers = bounded("terminate_all(MAX)", move || {
        let refs: Vec<&Worker<_>> = workers.iter().collect();
        assert_eq!(terminate_all(&refs, Duration::MAX), Ok(()));
        // Everyone exited: a zero deadline is enough now, and repeats are fine.
        assert_eq!(terminate_all(&refs, Duration::ZERO), Ok(()));
        assert_eq!(wait_all(&refs, Duration::ZERO), Ok(()));
        workers
    });
    for (i, w) in workers.into_iter().enumerate() {
        assert_eq!(join(w).ok(), Some((i, End::Terminated)));
    }
}

#[test]
fn terminate_all_reports_exactly_the_index_of_the_stubborn_worker() {
    let _w = watchdog("terminate_all_reports_exactly_the_index_of_the_stubborn_worker");
    const STUBBORN: usize = 2;
    let (stubborn_worker, gate) = stubborn(STUBBORN);
    let mut workers: Vec<_> = (0..5).filter(|&i| i != STUBBORN).map(sleeper).collect();
    workers.insert(STUBBORN, stubborn_worker);
    // The deadline is generous for the sleepers (signalled first, they exit
    // at once) and is spent in full by the stubborn one.
    let refs: Vec<&Worker<_>> = workers.iter().collect();
    let err = terminate_all(&refs, Duration::from_secs(2)).expect_err("one worker is stubborn");
    assert_eq!(err.pending(), &[STUBBORN]);
    let shown = err.to_string();
    assert!(
        shown.contains("1 worker") && shown.contains("[2]"),
        "{shown:?}"
    );
    for (i, w) in workers.iter().enumerate() {
        let expected = if i == STUBBORN {
            State::Terminating
        } else {
            State::Exited
        };
        assert_eq!(w.state(), expected, "worker {i}");
    }

    // Nothing was lost: release the stubborn one, wait again, join all.
    gate.open();
    assert_eq!(within("wait_all", || wait_all(&refs, GIVE_UP)), Ok(()));
    drop(refs);
    for (i, w) in workers.into_iter().enumerate() {
        let end = if i == STUBBORN {
            End::Released
        } else {
            End::Terminated
        };
        assert_eq!(join(w).ok(), Some((i, end)), "worker {i}");
    }
}

#[test]
fn terminate_all_lists_every_stubborn_worker_in_increasing_order() {
    let _w = watchdog("terminate_all_lists_every_stubborn_worker_in_increasing_order");
    let (first, first_gate) = stubborn(0);
    let (last, last_gate) = stubborn(3);
    let workers = vec![first, sleeper(1), sleeper(2), last];
    let ends = [
        End::Released,
        End::Terminated,
        End::Terminated,
        End::Released,
    ];
    let refs: Vec<&Worker<_>> = workers.iter().collect();
    let err = terminate_all(&refs, Duration::from_secs(2)).expect_err("two workers are stubborn");
    assert_eq!(err.pending(), &[0, 3]);

    first_gate.open();
    wait_exit(&workers[0]);
    let err = terminate_all(&refs, Duration::ZERO).expect_err("the last one is still stubborn");
    assert_eq!(err.pending(), &[3], "the first one exited when released");
    last_gate.open();
    assert_eq!(
        within("terminate_all", || terminate_all(&refs, GIVE_UP)),
        Ok(())
    );
    drop(refs);
    for (i, w) in workers.into_iter().enumerate() {
        assert_eq!(join(w).ok(), Some((i, ends[i])), "worker {i}");
    }
}

#[test]
fn wait_all_does_not_request_terminate() {
    let _w = watchdog("wait_all_does_not_request_terminate");
    let workers: Vec<_> = (0..3).map(sleeper).collect();
    let refs: Vec<&Worker<_>> = workers.iter().collect();
    // The sleepers only exit on a request, and wait_all makes none.
    let err = wait_all(&refs, Duration::from_millis(20)).expect_err("nobody was asked to exit");
    assert_eq!(err.pending(), &[0, 1, 2]);
    for w in &refs {
        assert!(!w.is_terminate_requested());
        assert_eq!(w.state(), State::Running);
    }
    assert_eq!(
        within("terminate_all", || terminate_all(&refs, GIVE_UP)),
        Ok(())
    );
    drop(refs);
    for (i, w) in workers.into_iter().enumerate() {
        assert_eq!(join(w).ok(), Some((i, End::Terminated)));
    }
}

#[test]
fn wait_all_returns_ok_once_every_worker_exits_by_itself() {
    let _w = watchdog("wait_all_returns_ok_once_every_worker_exits_by_itself");
    let (workers, gates): (Vec<_>, Vec<_>) = (0..4).map(stubborn).unzip();
    let refs: Vec<&Worker<_>> = workers.iter().collect();
    assert_eq!(
        wait_all(&refs, Duration::ZERO).map_err(|e| e.pending().to_vec()),
        Err(vec![0, 1, 2, 3])
    );
    drop(gates); // opens them all
    assert_eq!(within("wait_all", || wait_all(&refs, GIVE_UP)), Ok(()));
    for w in &refs {
        assert!(!w.is_terminate_requested(), "wait_all must not request");
    }
    drop(refs);
    for (i, w) in workers.into_iter().enumerate() {
        assert_eq!(join(w).ok(), Some((i, End::Released)));
    }
}
