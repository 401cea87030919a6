//! A callback that panics: the request and the other callbacks are not
//! lost, and the panic comes out of the call that ran it (terminate,
//! register) or is dropped (a handle's drop).

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::sync::atomic::Ordering::SeqCst;
use std::thread;
use std::time::Duration;

use clusworker::{Reason, Registered, Request, Worker};
use common::{counting_callback, sleeping_worker};

#[test]
fn a_panicking_callback_loses_neither_the_request_nor_the_others() {
    let w = sleeping_worker();
    let (n, _) = counting_callback();
    let mut guards = Vec::new();
    for i in 0..3 {
        let m = n.clone();
        let mut g = Box::pin(w.on_terminate(move || {
            m.fetch_add(1, SeqCst);
            if i == 1 {
                panic!("callback {i} fails");
            }
        }));
        g.as_mut().register();
        guards.push(g);
    }
    let err = catch_unwind(AssertUnwindSafe(|| w.request_terminate()))
        .expect_err("the callback's panic is re-raised on the requesting thread");
    assert_eq!(
        err.downcast_ref::<String>().map(String::as_str),
        Some("callback 1 fails")
    );
    assert_eq!(n.load(SeqCst), 3, "every callback ran");
    assert!(w.is_terminate_requested(), "the request was made");
    assert_eq!(
        w.request_terminate(),
        Request::AlreadyRequested(Reason::Requested)
    );
    drop(guards);
    assert!(w.join().is_ok(), "the routine saw the request and returned");
}

#[test]
fn terminate_re_raises_a_callbacks_panic_after_waiting() {
    let w = sleeping_worker();
    let mut g = pin!(w.on_terminate(|| panic!("boom")));
    g.as_mut().register();
    let err = catch_unwind(AssertUnwindSafe(|| w.terminate())).expect_err("re-raised");
    assert_eq!(err.downcast_ref::<&str>(), Some(&"boom"));
    assert_eq!(
        w.state(),
        clusworker::State::Exited,
        "terminate waited first"
    );
}

#[test]
fn a_callback_that_runs_at_once_and_panics_panics_out_of_register() {
    let w = sleeping_worker();
    let _ = w.request_terminate();
    let mut g = pin!(w.on_terminate(|| panic!("at once")));
    let err = catch_unwind(AssertUnwindSafe(|| g.as_mut().register())).expect_err("re-raised");
    assert_eq!(err.downcast_ref::<&str>(), Some(&"at once"));
    assert_eq!(
        g.as_mut().register(),
        Registered::Ran,
        "and never runs again"
    );
}

#[test]
fn a_callbacks_panic_during_a_handle_drop_is_dropped() {
    // The routine's own callback panics when the handle's drop
    // requests terminate: the drop neither panics nor hangs.
    let w = Worker::spawn(|ctx| {
        let mut g = pin!(ctx.on_terminate(|| panic!("in drop")));
        g.as_mut().register();
        while ctx.sleep(Duration::MAX).is_ok() {}
    })
    .expect("spawn");
    thread::sleep(Duration::from_millis(10));
    drop(w);
}
