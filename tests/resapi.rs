//! `clusworker::resapi`: the `ClusWorker*` rules, one test each.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use clusworker::Builder;
use clusworker::resapi::*;

/// Bounds "soon": only reached when the code under test is broken.
const LONG: Duration = Duration::from_secs(60);

/// Aborts the test process if a test hangs; disarmed when dropped.
#[must_use]
struct Watchdog(#[allow(dead_code)] Sender<()>);

fn watchdog(test: &'static str) -> Watchdog {
    let (tx, rx) = mpsc::channel::<()>();
    thread::spawn(move || {
        if let Err(RecvTimeoutError::Timeout) = rx.recv_timeout(Duration::from_secs(200)) {
            eprintln!("watchdog: test `{test}` hangs; aborting");
            std::process::abort();
        }
    });
    Watchdog(tx)
}

/// Waits until `cond` holds, for at most [`LONG`].
#[track_caller]
fn await_true(what: &str, cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < LONG, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(1));
    }
}

/// A routine that sleeps (interruptibly) until terminate.
fn until_terminate(ctx: &clusworker::Context, (): ()) -> u32 {
    while ctx.sleep(LONG).is_ok() {}
    0
}

/// A routine that ignores terminate until its gate opens (or closes).
fn stubborn(_ctx: &clusworker::Context, gate: Receiver<()>) -> u32 {
    let _ = gate.recv();
    7
}

fn create_stubborn(slot: &ClusWorker) -> Sender<()> {
    let (open, gate) = mpsc::channel();
    assert_eq!(clus_worker_create(slot, stubborn, gate), ERROR_SUCCESS);
    open
}

#[test]
fn an_all_zero_slot_is_an_empty_slot_of_the_windows_size() {
    #[cfg(target_pointer_width = "64")]
    assert_eq!(size_of::<ClusWorker>(), 16, "a CLUS_WORKER is 16 bytes");
    assert_eq!(align_of::<ClusWorker>(), align_of::<usize>());
    // SAFETY: all zeroes is a valid `ClusWorker` (null pointer, zero
    // atomics): the documented empty slot.
    let zeroed: ClusWorker = unsafe { std::mem::zeroed() };
    assert!(zeroed.is_empty());
    assert_eq!(zeroed.generation(), 0);
    assert!(!clus_worker_check_terminate(&zeroed));
    assert_eq!(
        clus_worker_create(&zeroed, until_terminate, ()),
        ERROR_SUCCESS
    );
    clus_worker_terminate(&zeroed);
    assert!(ClusWorker::default().is_empty());
}

#[test]
fn a_slot_is_recreated_after_terminate_with_a_new_generation() {
    let _w = watchdog("a_slot_is_recreated_after_terminate_with_a_new_generation");
    let slot = ClusWorker::new();
    for generation in 1..=50 {
        assert_eq!(
            clus_worker_create(&slot, until_terminate, ()),
            ERROR_SUCCESS
        );
        assert_eq!(slot.generation(), generation);
        assert!(
            !clus_worker_check_terminate(&slot),
            "a new worker starts terminated"
        );
        clus_worker_terminate(&slot);
        assert!(clus_worker_check_terminate(&slot));
        assert!(
            slot.is_empty(),
            "terminate did not reap generation {generation}"
        );
    }
}

#[test]
fn create_reaps_a_worker_that_returned_by_itself() {
    let _w = watchdog("create_reaps_a_worker_that_returned_by_itself");
    let slot = ClusWorker::new();
    assert_eq!(clus_worker_create(&slot, |_, x: u32| x, 1), ERROR_SUCCESS);
    let start = Instant::now();
    loop {
        match clus_worker_create(&slot, until_terminate, ()) {
            ERROR_SUCCESS => break,
            // Still running its last instructions.
            ERROR_INVALID_STATE => assert!(start.elapsed() < LONG, "the worker never exited"),
            other => panic!("create on a finished worker returned {other}"),
        }
        thread::yield_now();
    }
    assert_eq!(slot.generation(), 2);
    clus_worker_terminate(&slot);
}

#[test]
fn create_on_a_running_worker_is_invalid_state_and_changes_nothing() {
    let _w = watchdog("create_on_a_running_worker_is_invalid_state_and_changes_nothing");
    let slot = ClusWorker::new();
    let ran = Arc::new(AtomicBool::new(false));
    assert_eq!(
        clus_worker_create(&slot, until_terminate, ()),
        ERROR_SUCCESS
    );
    let r = clus_worker_create(
        &slot,
        |_, ran: Arc<AtomicBool>| {
            ran.store(true, SeqCst);
            0
        },
        Arc::clone(&ran),
    );
    assert_eq!(r, ERROR_INVALID_STATE);
    assert_eq!(slot.generation(), 1);
    assert!(!slot.is_empty());
    assert!(
        !clus_worker_check_terminate(&slot),
        "a refused create requested terminate"
    );
    assert_eq!(
        Arc::strong_count(&ran),
        1,
        "the refused routine's parameter was not dropped"
    );
    assert_eq!(
        clus_worker_terminate_ex(&slot, LONG_MS, false),
        ERROR_SUCCESS
    );
    assert!(!ran.load(SeqCst), "the refused routine ran");
}

const LONG_MS: u32 = 60_000;

#[test]
fn the_first_terminator_waits_later_ones_return_at_once_and_create_is_refused_meanwhile() {
    let _w = watchdog("the_first_terminator_waits_later_ones_return_at_once");
    let slot = Arc::new(ClusWorker::new());
    let open = create_stubborn(&slot);
    let first_done = Arc::new(AtomicBool::new(false));
    let first = {
        let (slot, done) = (Arc::clone(&slot), Arc::clone(&first_done));
        thread::spawn(move || {
            clus_worker_terminate(&slot);
            done.store(true, SeqCst);
        })
    };
    // The first terminator sets Terminate (under the slot's lock, with its
    // "in progress" flag), then waits for the stubborn worker.
    await_true("the first terminator requested", || {
        clus_worker_check_terminate(&slot)
    });
    for _ in 0..10 {
        clus_worker_terminate(&slot); // later callers: at once
    }
    assert!(
        !first_done.load(SeqCst),
        "the first terminator returned while the worker was running"
    );
    assert_eq!(
        clus_worker_create(&slot, until_terminate, ()),
        ERROR_INVALID_STATE,
        "create while a terminate is in progress"
    );
    drop(open);
    first.join().expect("the first terminator does not panic");
    assert!(first_done.load(SeqCst));
    assert!(slot.is_empty(), "the first terminator did not reap");
    assert_eq!(
        clus_worker_create(&slot, until_terminate, ()),
        ERROR_SUCCESS
    );
    clus_worker_terminate(&slot);
}

#[test]
fn a_late_terminate_ex_never_reaps_or_terminates_the_next_worker() {
    let _w = watchdog("a_late_terminate_ex_never_reaps_or_terminates_the_next_worker");
    // A TerminateEx of generation n, waiting, races with a create that reaps
    // generation n and starts n + 1; whichever wins, generation n + 1 must
    // stay in the slot, running, not terminated. (A unit test in
    // src/resapi/tests.rs forces the losing order deterministically.)
    let slot = Arc::new(ClusWorker::new());
    for n in 0..100u32 {
        let open = create_stubborn(&slot);
        let late = {
            let slot = Arc::clone(&slot);
            thread::spawn(move || clus_worker_terminate_ex(&slot, INFINITE, false))
        };
        // Once the flag is set, the late terminator holds generation n.
        await_true("the late terminator signalled", || {
            clus_worker_check_terminate(&slot)
        });
        drop(open); // generation n exits; the waiter wakes
        let start = Instant::now();
        let next_terminated = Arc::new(AtomicBool::new(false));
        loop {
            let flag = Arc::clone(&next_terminated);
            let r = clus_worker_create(
                &slot,
                |ctx, flag: Arc<AtomicBool>| {
                    while ctx.sleep(LONG).is_ok() {}
                    flag.store(true, SeqCst);
                    0
                },
                flag,
            );
            match r {
                ERROR_SUCCESS => break,
                ERROR_INVALID_STATE => assert!(start.elapsed() < LONG, "never exited"),
                other => panic!("create returned {other}"),
            }
            thread::yield_now();
        }
        assert_eq!(late.join().expect("no panic"), ERROR_SUCCESS);
        assert!(
            !slot.is_empty(),
            "round {n}: the late waiter reaped the new worker"
        );
        assert!(!clus_worker_check_terminate(&slot));
        assert!(
            !next_terminated.load(SeqCst),
            "round {n}: the new worker was terminated"
        );
        assert_eq!(
            clus_worker_terminate_ex(&slot, LONG_MS, false),
            ERROR_SUCCESS
        );
        assert!(next_terminated.load(SeqCst));
    }
}

#[test]
fn terminate_ex_times_out_losing_nothing_then_succeeds() {
    let _w = watchdog("terminate_ex_times_out_losing_nothing_then_succeeds");
    let slot = ClusWorker::new();
    let open = create_stubborn(&slot);
    assert_eq!(clus_worker_terminate_ex(&slot, 0, false), WAIT_TIMEOUT);
    assert_eq!(clus_worker_terminate_ex(&slot, 20, true), WAIT_TIMEOUT);
    assert!(!slot.is_empty(), "a timed-out TerminateEx lost the worker");
    assert!(clus_worker_check_terminate(&slot));
    assert_eq!(
        clus_worker_create(&slot, until_terminate, ()),
        ERROR_INVALID_STATE
    );
    drop(open);
    assert_eq!(
        clus_worker_terminate_ex(&slot, INFINITE, true),
        ERROR_SUCCESS
    );
    assert!(slot.is_empty());
    // An empty slot: nothing to wait for.
    assert_eq!(clus_worker_terminate_ex(&slot, 0, false), ERROR_SUCCESS);
    assert_eq!(clus_worker_terminate_ex(&slot, 0, true), ERROR_SUCCESS);
}

#[test]
fn clus_workers_terminate_signals_every_worker_before_waiting() {
    let _w = watchdog("clus_workers_terminate_signals_every_worker_before_waiting");
    // Each worker exits only once all of them saw terminate: a function
    // that signalled and waited one worker at a time would time out.
    const N: usize = 4;
    let slots: Vec<ClusWorker> = (0..N).map(|_| ClusWorker::new()).collect();
    let seen = Arc::new(AtomicUsize::new(0));
    for slot in &slots {
        let r = clus_worker_create(
            slot,
            |ctx, seen: Arc<AtomicUsize>| {
                while ctx.sleep(LONG).is_ok() {}
                seen.fetch_add(1, SeqCst);
                let start = Instant::now();
                while seen.load(SeqCst) < N && start.elapsed() < LONG {
                    thread::sleep(Duration::from_millis(1));
                }
                0
            },
            Arc::clone(&seen),
        );
        assert_eq!(r, ERROR_SUCCESS);
    }
    let refs: Vec<&ClusWorker> = slots.iter().collect();
    assert_eq!(clus_workers_terminate(&refs, 120_000, false), ERROR_SUCCESS);
    assert_eq!(seen.load(SeqCst), N);
    assert!(
        slots.iter().all(ClusWorker::is_empty),
        "not every worker was reaped"
    );
}

#[test]
fn clus_workers_terminate_waits_under_one_deadline_and_reaps_those_that_exited() {
    let _w = watchdog("clus_workers_terminate_waits_under_one_deadline");
    const N: usize = 10;
    const TIMEOUT_MS: u32 = 200;
    let slots: Vec<ClusWorker> = (0..N).map(|_| ClusWorker::new()).collect();
    // The even workers (5 of them) ignore terminate; the odd ones obey it.
    let gates: Vec<Option<Sender<()>>> = slots
        .iter()
        .enumerate()
        .map(|(i, slot)| {
            if i % 2 == 0 {
                Some(create_stubborn(slot))
            } else {
                assert_eq!(clus_worker_create(slot, until_terminate, ()), ERROR_SUCCESS);
                None
            }
        })
        .collect();
    let refs: Vec<&ClusWorker> = slots.iter().collect();
    let start = Instant::now();
    assert_eq!(
        clus_workers_terminate(&refs, TIMEOUT_MS, false),
        WAIT_TIMEOUT
    );
    let elapsed = start.elapsed();
    // One deadline: about TIMEOUT_MS in all. Waiting TIMEOUT_MS per
    // stubborn worker would take at least 5 × TIMEOUT_MS.
    assert!(
        elapsed < Duration::from_millis(u64::from(TIMEOUT_MS) * 4),
        "expected one {TIMEOUT_MS} ms deadline for all workers, took {elapsed:?}"
    );
    for (i, slot) in slots.iter().enumerate() {
        assert!(
            clus_worker_check_terminate(slot),
            "worker {i} was not signalled"
        );
        assert_eq!(
            slot.is_empty(),
            i % 2 == 1,
            "worker {i}: reaped iff it exited"
        );
    }
    drop(gates);
    assert_eq!(clus_workers_terminate(&refs, INFINITE, true), ERROR_SUCCESS);
    assert!(slots.iter().all(ClusWorker::is_empty));
}

static STATIC_SLOT: ClusWorker = ClusWorker::new();

#[test]
fn a_static_slot_is_created_checked_terminated_and_recreated() {
    let _w = watchdog("a_static_slot_is_created_checked_terminated_and_recreated");
    fn poll_slot(_ctx: &clusworker::Context, slot: &'static ClusWorker) -> u32 {
        let mut polls = 0;
        while !clus_worker_check_terminate(slot) {
            polls += 1;
            thread::sleep(Duration::from_millis(1));
        }
        polls
    }
    for _ in 0..3 {
        assert_eq!(
            clus_worker_create(&STATIC_SLOT, poll_slot, &STATIC_SLOT),
            ERROR_SUCCESS
        );
        clus_worker_terminate(&STATIC_SLOT);
        assert!(STATIC_SLOT.is_empty());
    }
}

#[test]
fn dropping_a_slot_terminates_and_joins_its_worker() {
    let _w = watchdog("dropping_a_slot_terminates_and_joins_its_worker");
    let exited = Arc::new(AtomicBool::new(false));
    let slot = ClusWorker::new();
    let r = clus_worker_create(
        &slot,
        |ctx, exited: Arc<AtomicBool>| {
            while ctx.sleep(LONG).is_ok() {}
            exited.store(true, SeqCst);
            0
        },
        Arc::clone(&exited),
    );
    assert_eq!(r, ERROR_SUCCESS);
    drop(slot);
    assert!(
        exited.load(SeqCst),
        "the drop returned before the worker exited"
    );
    // Joined: the routine (and its parameter) is gone.
    assert_eq!(Arc::strong_count(&exited), 1);
}

#[test]
fn a_failed_spawn_returns_the_os_code_and_leaves_the_slot_unchanged() {
    let _w = watchdog("a_failed_spawn_returns_the_os_code_and_leaves_the_slot_unchanged");
    let slot = ClusWorker::new();
    let absurd = || Builder::new().stack_size(usize::MAX);
    let r = clus_worker_create_with(&slot, absurd(), until_terminate, ());
    assert!(
        r != ERROR_SUCCESS && r != ERROR_INVALID_STATE,
        "expected an OS error code, got {r}"
    );
    assert!(slot.is_empty());
    assert_eq!(slot.generation(), 0);
    // A slot whose worker was terminated: still unchanged (generation 1,
    // Terminate set).
    assert_eq!(
        clus_worker_create(&slot, until_terminate, ()),
        ERROR_SUCCESS
    );
    assert_eq!(
        clus_worker_terminate_ex(&slot, INFINITE, false),
        ERROR_SUCCESS
    );
    assert_eq!(
        clus_worker_create_with(&slot, absurd(), until_terminate, ()),
        r
    );
    assert_eq!(slot.generation(), 1);
    assert!(
        clus_worker_check_terminate(&slot),
        "a failed create reset the Terminate flag"
    );
    // A name with a NUL byte.
    let bad_name = Builder::new().name("a\0b".into());
    assert_eq!(
        clus_worker_create_with(&slot, bad_name, until_terminate, ()),
        ERROR_INVALID_PARAMETER
    );
    assert_eq!(slot.generation(), 1);
}

/// A parameter whose drop uses its slot: dropped with the slot's lock held
/// it would deadlock.
struct TerminatesOnDrop(&'static ClusWorker);

impl Drop for TerminatesOnDrop {
    fn drop(&mut self) {
        clus_worker_terminate(self.0);
        assert!(self.0.is_empty());
    }
}

static DROP_SLOT: ClusWorker = ClusWorker::new();

#[test]
fn the_parameter_of_a_failed_or_refused_create_is_dropped_outside_the_lock() {
    let _w = watchdog("the_parameter_of_a_failed_create_is_dropped_outside_the_lock");
    let r = clus_worker_create_with(
        &DROP_SLOT,
        Builder::new().stack_size(usize::MAX),
        |_, _p: TerminatesOnDrop| 0,
        TerminatesOnDrop(&DROP_SLOT),
    );
    assert_ne!(r, ERROR_SUCCESS);
    assert_eq!(
        clus_worker_create(&DROP_SLOT, until_terminate, ()),
        ERROR_SUCCESS
    );
    // Refused (the worker runs): the parameter's drop terminates it.
    let r = clus_worker_create(
        &DROP_SLOT,
        |_, _p: TerminatesOnDrop| 0,
        TerminatesOnDrop(&DROP_SLOT),
    );
    assert_eq!(r, ERROR_INVALID_STATE);
    assert!(DROP_SLOT.is_empty());
}

static SELF_SLOT: ClusWorker = ClusWorker::new();

#[test]
fn a_worker_terminating_itself_requests_and_returns_at_once() {
    let _w = watchdog("a_worker_terminating_itself_requests_and_returns_at_once");
    let (report, reports) = mpsc::channel::<(bool, u32, u32, bool)>();
    let r = clus_worker_create(
        &SELF_SLOT,
        |ctx, report: Sender<(bool, u32, u32, bool)>| {
            clus_worker_terminate(&SELF_SLOT); // must not wait for itself
            let ex = clus_worker_terminate_ex(&SELF_SLOT, INFINITE, false);
            let all = clus_workers_terminate(&[&SELF_SLOT], INFINITE, true);
            let _ = report.send((
                clus_worker_check_terminate(&SELF_SLOT),
                ex,
                all,
                ctx.check_terminate(),
            ));
            0
        },
        report,
    );
    assert_eq!(r, ERROR_SUCCESS);
    let (flag, ex, all, requested) = reports.recv_timeout(LONG).expect("the worker reports");
    assert!(flag, "self-terminate did not set Terminate");
    assert!(
        requested,
        "self-terminate did not request terminate of the worker"
    );
    assert_eq!(ex, ERROR_POSSIBLE_DEADLOCK);
    assert_eq!(all, ERROR_POSSIBLE_DEADLOCK);
    assert_eq!(
        clus_worker_terminate_ex(&SELF_SLOT, INFINITE, true),
        ERROR_SUCCESS
    );
    assert!(SELF_SLOT.is_empty());
}

#[test]
fn check_terminate_is_the_slot_flag_and_agrees_with_the_context() {
    let _w = watchdog("check_terminate_is_the_slot_flag_and_agrees_with_the_context");
    let slot = Arc::new(ClusWorker::new());
    let r = clus_worker_create(
        &slot,
        |ctx, slot: Arc<ClusWorker>| {
            // Whoever requests through the slot sets the flag first, then
            // requests of the worker: once the context says so, so does
            // the slot.
            while !ctx.check_terminate() {
                thread::sleep(Duration::from_millis(1));
            }
            u32::from(clus_worker_check_terminate(&slot))
        },
        Arc::clone(&slot),
    );
    assert_eq!(r, ERROR_SUCCESS);
    assert!(!clus_worker_check_terminate(&slot));
    assert_eq!(
        clus_worker_terminate_ex(&slot, LONG_MS, false),
        ERROR_SUCCESS
    );
    assert!(clus_worker_check_terminate(&slot));
}

#[test]
fn clipbook_online_and_terminate_from_several_threads() {
    let _w = watchdog("clipbook_online_and_terminate_from_several_threads");
    struct Resource {
        pending: ClusWorker,
        checkpoint: AtomicU32,
    }
    fn online_thread(ctx: &clusworker::Context, res: Arc<Resource>) -> u32 {
        for _ in 0..50 {
            if ctx.check_terminate() {
                return 995; // ERROR_OPERATION_ABORTED
            }
            res.checkpoint.fetch_add(1, SeqCst);
            thread::yield_now();
        }
        ERROR_SUCCESS
    }
    let resources: Arc<Vec<Arc<Resource>>> = Arc::new(
        (0..3)
            .map(|_| {
                Arc::new(Resource {
                    pending: ClusWorker::new(),
                    checkpoint: AtomicU32::new(0),
                })
            })
            .collect(),
    );
    let barrier = Arc::new(Barrier::new(4));
    let drivers: Vec<_> = (0..4)
        .map(|t| {
            let (resources, barrier) = (Arc::clone(&resources), Arc::clone(&barrier));
            thread::spawn(move || {
                barrier.wait();
                for i in 0..100 {
                    let res = &resources[(t + i) % resources.len()];
                    if (t + i) % 3 == 0 {
                        clus_worker_terminate(&res.pending); // Terminate
                        continue;
                    }
                    // Online: terminate the previous worker, create anew.
                    clus_worker_terminate(&res.pending);
                    match clus_worker_create(&res.pending, online_thread, Arc::clone(res)) {
                        // Another thread's worker or terminate holds the slot.
                        ERROR_SUCCESS | ERROR_INVALID_STATE => {}
                        other => panic!("create returned {other}"),
                    }
                }
            })
        })
        .collect();
    for d in drivers {
        d.join().expect("no driver panics");
    }
    let refs: Vec<&ClusWorker> = resources.iter().map(|r| &r.pending).collect();
    assert_eq!(
        clus_workers_terminate(&refs, INFINITE, false),
        ERROR_SUCCESS
    );
    assert!(refs.iter().all(|s| s.is_empty()));
    assert!(resources.iter().any(|r| r.checkpoint.load(SeqCst) > 0));
}
