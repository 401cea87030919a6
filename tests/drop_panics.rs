//! User values whose `Drop` panics, in every place where clusworker drops a
//! value it does not own: a detached worker's result and panic payload (on
//! the worker's own thread), a pool job's, a routine dropped unrun, a
//! resource's panic payload, a resapi parameter, and an async waker that
//! panics when the exit wakes it. None may abort the process, kill a
//! thread that later work needs, or unwind out of clusworker.

mod common;

use std::future::Future;
use std::panic::resume_unwind;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Wake, Waker};
use std::time::Duration;

use clusworker::monitor::{EntryPoint, Monitor, MonitorError, Outcome, Resource, StatusHandle};
use clusworker::pool::Pool;
use clusworker::resapi::{self, ClusWorker, ERROR_SUCCESS};
use clusworker::{Builder, SpawnError, Terminate, Worker};
use common::{bounded, eventually, watchdog};

/// A value whose `Drop` counts, then panics (quietly: `resume_unwind`
/// skips the panic hook).
struct Bomb(Arc<AtomicUsize>);

impl Drop for Bomb {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
        resume_unwind(Box::new("a Drop that panics"));
    }
}

/// A panic payload whose `Drop` panics: what a routine panics with.
fn panic_with_a_bomb(drops: &Arc<AtomicUsize>) -> ! {
    resume_unwind(Box::new(Bomb(drops.clone())))
}

fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

/// Waits until `drops` counted `n` drops.
#[track_caller]
fn dropped(what: &str, drops: &AtomicUsize, n: usize) {
    eventually(what, || drops.load(SeqCst) >= n);
    assert_eq!(drops.load(SeqCst), n, "{what}: expected {n} drops");
}

// ----- Pool ----------------------------------------------------------------

/// A pool of one thread: if that thread died, `job` would never run and
/// its join would hang (`bounded` turns that into a failure).
#[track_caller]
fn the_pool_still_runs_jobs(pool: &Pool) {
    let job = pool.spawn(|_ctx| 42u32);
    let r = bounded("a later job's join", move || job.join());
    assert_eq!(r.ok(), Some(42), "a job after the panicking drop runs");
    assert_eq!(pool.threads(), 1);
}

#[test]
fn a_detached_jobs_result_that_panics_on_drop_does_not_kill_the_pool_thread() {
    let _w = watchdog("a_detached_jobs_result_that_panics_on_drop_does_not_kill_the_pool_thread");
    let pool = Pool::new(1).expect("pool");
    let drops = counter();
    let d = drops.clone();
    pool.spawn(move |_ctx| Bomb(d)).detach();
    dropped("the detached job's result", &drops, 1);
    the_pool_still_runs_jobs(&pool);
    assert!(pool.shutdown(Duration::from_secs(10)).is_clean());
}

#[test]
fn a_detached_jobs_panic_payload_that_panics_on_drop_does_not_kill_the_pool_thread() {
    let _w =
        watchdog("a_detached_jobs_panic_payload_that_panics_on_drop_does_not_kill_the_pool_thread");
    let pool = Pool::new(1).expect("pool");
    let drops = counter();
    let d = drops.clone();
    pool.spawn(move |_ctx| -> u32 { panic_with_a_bomb(&d) })
        .detach();
    dropped("the detached job's payload", &drops, 1);
    the_pool_still_runs_jobs(&pool);
}

#[test]
fn a_joined_jobs_handle_dropped_unjoined_drops_its_result_quietly() {
    let _w = watchdog("a_joined_jobs_handle_dropped_unjoined_drops_its_result_quietly");
    let pool = Pool::new(1).expect("pool");
    let drops = counter();
    let d = drops.clone();
    let job = pool.spawn(move |_ctx| Bomb(d));
    assert_eq!(job.wait_timeout(Duration::from_secs(10)), Ok(()));
    // The result is dropped with the job's last reference: here, or on the
    // pool thread if it still holds the job for a moment. Either way its
    // panic does not unwind into this test, nor kill the thread.
    drop(job);
    dropped("the unjoined job's result", &drops, 1);
    the_pool_still_runs_jobs(&pool);
}

#[test]
fn a_routine_dropped_unrun_by_shutdown_may_panic_on_drop() {
    let _w = watchdog("a_routine_dropped_unrun_by_shutdown_may_panic_on_drop");
    let pool = Pool::new(1).expect("pool");
    // Occupies the one thread past the shutdown's deadline.
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    let stubborn = pool.spawn(move |_ctx| {
        started_tx.send(()).expect("test alive");
        let _ = release_rx.recv();
    });
    started_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the stubborn job started");
    let drops = counter();
    let bomb = Bomb(drops.clone());
    let queued = pool.spawn(move |_ctx| drop(bomb));
    let report = pool.shutdown(Duration::from_millis(50));
    assert_eq!(report.never_ran, vec![queued.id()]);
    assert_eq!(drops.load(SeqCst), 1, "the unrun routine was dropped");
    let payload = queued.join().expect_err("never ran");
    assert!(payload.is::<clusworker::pool::NeverRan>());
    drop(release_tx);
    assert!(stubborn.join().is_ok());
}

#[test]
fn an_absurd_pool_size_is_an_error_not_a_panic() {
    for n in [usize::MAX, usize::MAX / 2, Pool::MAX_THREADS + 1] {
        match Pool::new(n) {
            Err(SpawnError::TooManyThreads { requested, max }) => {
                assert_eq!((requested, max), (n, Pool::MAX_THREADS));
            }
            other => panic!("Pool::new({n}): expected TooManyThreads, got {other:?}"),
        }
    }
    let e = Pool::new(usize::MAX).expect_err("refused");
    assert_eq!(
        e.to_string(),
        format!(
            "cannot start a pool of {} threads: at most {} are allowed",
            usize::MAX,
            Pool::MAX_THREADS
        )
    );
    assert_eq!(e.raw_os_error(), None);
}

// ----- Worker --------------------------------------------------------------

/// Spawns and joins a worker: the process and the backend still work.
fn workers_still_work() {
    let w = Worker::spawn(|_ctx| 7u32).expect("spawn");
    assert_eq!(
        bounded("a later worker's join", move || w.join()).ok(),
        Some(7)
    );
}

#[test]
fn a_detached_workers_result_that_panics_on_drop_does_not_abort_the_process() {
    let _w = watchdog("a_detached_workers_result_that_panics_on_drop_does_not_abort_the_process");
    let drops = counter();
    let d = drops.clone();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let worker = Worker::spawn(move |_ctx| {
        // Returns after the detach: the result is dropped on this thread.
        let _ = go_rx.recv();
        Bomb(d)
    })
    .expect("spawn");
    worker.detach();
    drop(go_tx);
    dropped("the detached worker's result", &drops, 1);
    workers_still_work();
}

#[test]
fn a_detached_workers_panic_payload_that_panics_on_drop_does_not_abort_the_process() {
    let _w =
        watchdog("a_detached_workers_panic_payload_that_panics_on_drop_does_not_abort_the_process");
    let drops = counter();
    let d = drops.clone();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let worker = Worker::spawn(move |_ctx| -> u32 {
        let _ = go_rx.recv();
        panic_with_a_bomb(&d)
    })
    .expect("spawn");
    worker.detach();
    drop(go_tx);
    dropped("the detached worker's payload", &drops, 1);
    workers_still_work();
}

#[test]
fn a_worker_detached_after_its_exit_drops_the_result_quietly() {
    let drops = counter();
    let d = drops.clone();
    let worker = Worker::spawn(move |_ctx| Bomb(d)).expect("spawn");
    assert_eq!(worker.wait_timeout(Duration::from_secs(10)), Ok(()));
    // Usually the handle is last and frees on this thread; but the exit is
    // published before the worker's thread lets go of the cell, so that
    // thread may be last (seen under Wine): either way, once and quietly.
    worker.detach();
    dropped("the detached worker's result", &drops, 1);
    workers_still_work();
}

#[test]
fn dropping_an_unjoined_worker_drops_its_result_quietly() {
    let drops = counter();
    let d = drops.clone();
    let worker = Worker::spawn(move |ctx| {
        let _ = ctx.sleep(Duration::MAX);
        Bomb(d)
    })
    .expect("spawn");
    drop(worker); // terminates, joins, drops the result: no unwind here
    assert_eq!(drops.load(SeqCst), 1);
}

#[test]
fn a_failed_spawn_drops_the_routines_captures_quietly_and_returns_the_error() {
    let drops = counter();
    let bomb = Bomb(drops.clone());
    let r = Builder::new()
        .stack_size(usize::MAX)
        .spawn(move |_ctx| drop(bomb));
    assert!(
        matches!(r, Err(SpawnError::Os { .. })),
        "expected the OS error, got {r:?}"
    );
    assert_eq!(drops.load(SeqCst), 1, "the routine was dropped unrun");
}

// ----- async waker ---------------------------------------------------------

/// A waker whose `wake` panics.
struct PanickingWaker(Arc<AtomicUsize>);

impl Wake for PanickingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
        resume_unwind(Box::new("a waker that panics"));
    }
}

/// Registers a panicking waker on `fut` (polls it once, pending).
fn register<F: Future>(fut: std::pin::Pin<&mut F>, wakes: &Arc<AtomicUsize>) {
    let waker = Waker::from(Arc::new(PanickingWaker(wakes.clone())));
    let mut cx = TaskContext::from_waker(&waker);
    assert!(fut.poll(&mut cx).is_pending(), "registered before the exit");
}

#[test]
fn a_waker_that_panics_when_the_exit_wakes_it_does_not_abort_the_worker_thread() {
    let _w =
        watchdog("a_waker_that_panics_when_the_exit_wakes_it_does_not_abort_the_worker_thread");
    let wakes = counter();
    let worker = Worker::spawn(|ctx| {
        let _ = ctx.sleep(Duration::MAX);
        3u32
    })
    .expect("spawn");
    {
        let mut exited = pin!(worker.exited());
        register(exited.as_mut(), &wakes);
        // The exit (on the worker's thread) wakes the panicking waker.
        assert_eq!(
            bounded_ref(|| worker.terminate_timeout(Duration::from_secs(10))),
            Ok(())
        );
        dropped("the exit's wake-up", &wakes, 1);
    }
    assert_eq!(
        worker.terminate(),
        Terminate::AlreadyRequested(clusworker::Reason::Requested)
    );
    assert_eq!(bounded("join", move || worker.join()).ok(), Some(3));
    workers_still_work();
}

#[test]
fn a_waker_that_panics_when_the_exit_wakes_it_does_not_kill_the_pool_thread() {
    let _w = watchdog("a_waker_that_panics_when_the_exit_wakes_it_does_not_kill_the_pool_thread");
    let pool = Pool::new(1).expect("pool");
    let wakes = counter();
    let job = pool.spawn(|ctx| {
        let _ = ctx.sleep(Duration::MAX);
        5u32
    });
    {
        let mut exited = pin!(job.exited());
        register(exited.as_mut(), &wakes);
        assert_eq!(job.terminate(), Terminate::First);
        dropped("the exit's wake-up", &wakes, 1);
    }
    assert_eq!(bounded("join", move || job.join()).ok(), Some(5));
    the_pool_still_runs_jobs(&pool);
}

/// A waker that counts its wakes.
struct CountingWaker(Arc<AtomicUsize>);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn a_panicking_waker_does_not_leave_the_other_waiters_of_the_exit_unwoken() {
    let _w = watchdog("a_panicking_waker_does_not_leave_the_other_waiters_of_the_exit_unwoken");
    let (wakes, panics) = (counter(), counter());
    let worker = Worker::spawn(|ctx| {
        let _ = ctx.sleep(Duration::MAX);
    })
    .expect("spawn");
    {
        // The list wakes the newest waiter first: the panicking one.
        let mut calm = pin!(worker.exited());
        let waker = Waker::from(Arc::new(CountingWaker(wakes.clone())));
        let mut cx = TaskContext::from_waker(&waker);
        assert!(calm.as_mut().poll(&mut cx).is_pending());
        let mut wild = pin!(worker.exited());
        register(wild.as_mut(), &panics);
        assert_eq!(worker.terminate(), Terminate::First);
        dropped("the panicking waker", &panics, 1);
        dropped("the other waiter's waker", &wakes, 1);
    }
    workers_still_work();
}

/// `within`, for a closure borrowing the test's locals.
fn bounded_ref<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    common::within("a bounded call", f)
}

// ----- monitor -------------------------------------------------------------

/// `online` panics with a payload whose `Drop` panics.
struct PanicsWithABomb(Arc<AtomicUsize>);

impl Resource for PanicsWithABomb {
    fn online(&self, _status: StatusHandle) -> Outcome {
        panic_with_a_bomb(&self.0)
    }
    fn offline(&self, _status: StatusHandle) -> Outcome {
        Outcome::Done
    }
    fn terminate(&self) {}
}

#[test]
fn a_resources_panic_payload_that_panics_on_drop_still_finishes_the_call() {
    let _w = watchdog("a_resources_panic_payload_that_panics_on_drop_still_finishes_the_call");
    let m = Monitor::builder()
        .pending_timeout(Duration::from_secs(3600))
        .deadlock_timeout(Duration::from_secs(3600))
        .looks_alive_interval(None)
        .is_alive_interval(None)
        .start()
        .expect("monitor");
    let drops = counter();
    let id = m.add("bomb", PanicsWithABomb(drops.clone()));
    // Before the fix the payload's drop unwound past the call's completion:
    // the call stayed in flight and `online` waited for its DeadlockTimeout.
    let r = common::within("Monitor::online", || m.online(id));
    assert!(
        matches!(
            r,
            Err(MonitorError::Panicked {
                entry_point: EntryPoint::Online,
                ..
            })
        ),
        "expected Panicked, got {r:?}"
    );
    assert_eq!(drops.load(SeqCst), 1);
}

/// A resource whose own `Drop` panics: dropping the monitor does not
/// unwind.
struct BombResource {
    _bomb: Mutex<Option<Bomb>>,
}

impl Resource for BombResource {
    fn online(&self, _status: StatusHandle) -> Outcome {
        Outcome::Done
    }
    fn offline(&self, _status: StatusHandle) -> Outcome {
        Outcome::Done
    }
    fn terminate(&self) {}
}

#[test]
fn dropping_a_monitor_whose_resource_panics_on_drop_does_not_unwind() {
    let drops = counter();
    let m = Monitor::builder().start().expect("monitor");
    let id = m.add(
        "bomb",
        BombResource {
            _bomb: Mutex::new(Some(Bomb(drops.clone()))),
        },
    );
    assert_eq!(m.online(id).expect("online"), Outcome::Done);
    drop(m);
    eventually("the resource's drop", || drops.load(SeqCst) == 1);
}

// ----- resapi ----------------------------------------------------------------

#[test]
fn a_resapi_param_that_panics_on_drop_after_a_failed_create_gives_the_error_code() {
    let slot = ClusWorker::new();
    let drops = counter();
    let absurd = Builder::new().stack_size(usize::MAX);
    let code =
        resapi::clus_worker_create_with(&slot, absurd, |_ctx, _bomb: Bomb| 0, Bomb(drops.clone()));
    assert_ne!(code, ERROR_SUCCESS, "an absurd stack is refused");
    assert_eq!(drops.load(SeqCst), 1, "the param was dropped");
    assert!(slot.is_empty());
}
